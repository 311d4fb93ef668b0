"""The install page (owners, under Settings): how the widget gets onto the store
(the snippet for a plain site, Shopify's app embed, the WordPress plugin), whether
it is connected, the last catalog sync, and "sync now" with its progress.

"Sync now" creates a sync run and enqueues the same ``sync_shop`` job as
``storechat sync``; the page polls ``sync/<run>`` (JSON) for its counters.
"""

from __future__ import annotations

import importlib.util
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core import audit
from core.admin.settings import nav
from core.admin.team import owner_required
from core.catalog.sync import create_run
from core.db import Shop, SyncRun, Visitor
from core.jobs import enqueue_sync
from core.services import services
from core.widget.snippet import public_origin, render_snippet

bp = Blueprint("install_admin", __name__, template_folder="templates")

#: The theme app extension's app embed block (theme_snippets/shopify/blocks/storechat.liquid).
SHOPIFY_EMBED_HANDLE = "storechat"
PLUGIN_NAME = "storechat-wordpress.zip"


def shopify_embed_link(shop_domain: str, app: dict[str, Any]) -> str | None:
    """The theme editor on the current theme's App embeds with StoreChat's selected; None
    when this server has no Shopify app configured."""
    app_id = app.get("embed_app_id") or app.get("client_id")
    if not app_id or not shop_domain:
        return None
    return f"https://{shop_domain}/admin/themes/current/editor?" + urlencode(
        {"context": "apps", "activateAppId": f"{app_id}/{SHOPIFY_EMBED_HANDLE}"}
    )


@lru_cache(maxsize=1)
def wordpress_zip() -> bytes:
    """The WordPress plugin zip, built once per process as ``make wp-plugin`` builds it."""
    source = files("theme_snippets") / "wordpress" / "build_zip.py"
    spec = importlib.util.spec_from_file_location("storechat_wp_build_zip", str(source))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / PLUGIN_NAME
        module.build(out)
        return out.read_bytes()


def run_state(run: SyncRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "full": run.full,
        "products": run.products_seen,
        "documents": run.documents_seen,
        "removed": run.products_removed,
        "error": run.error,
        "queued_at": run.created_at.isoformat() if run.created_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


@bp.get("/")
@owner_required
def install() -> tuple[str, int]:
    settings = services().settings
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        if shop is None:
            abort(404)
        runs = list(
            session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id).order_by(SyncRun.id.desc()).limit(1))
        )
        last_ok = session.scalar(
            select(SyncRun)
            .where(SyncRun.shop_id == shop.id, SyncRun.status == "finished")
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        seen = session.scalar(select(func.max(Visitor.last_seen_at)).where(Visitor.shop_id == shop.id))
        apps = settings.apps or {}
        shopify = (
            shopify_embed_link(shop.platform_ref or "", dict(apps.get("shopify") or {}))
            if shop.platform == "shopify"
            else None
        )
        return render_template(
            "admin/settings_install.html",
            shop=shop,
            section="install_admin",
            nav=nav(),
            snippet=str(render_snippet(shop.site_key)),
            origin=public_origin(),
            shopify=shopify,
            connected=bool(shop.active and (shop.connector_config or shop.platform == "csv")),
            widget_seen=seen,
            last=run_state(runs[0] if runs else None),
            last_ok=run_state(last_ok),
            watch=request.args.get("run", ""),
        ), 200


@bp.get("/wordpress.zip")
@owner_required
def wordpress() -> Response:
    return Response(
        wordpress_zip(),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{PLUGIN_NAME}"'},
    )


@bp.post("/sync")
@owner_required
def sync_now() -> Any:
    """A full sync of the shop's catalog, queued for a worker; the page then shows its progress."""
    db = services().db
    with db.session() as session:
        busy = session.scalar(
            select(SyncRun)
            .where(SyncRun.shop_id == current_user.shop_id, SyncRun.status.in_(("queued", "running")))
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        if busy is not None:
            return redirect(url_for("install_admin.install", run=busy.id), code=303)
    run = create_run(db, current_user.shop_id)
    try:
        job = enqueue_sync(services().redis, run.id, current_user.shop_id)
    except Exception as exc:  # noqa: BLE001 - Redis down: the run is marked failed, the page says why
        with db.session() as session:
            failed = session.get(SyncRun, run.id)
            assert failed is not None
            failed.status, failed.error = "failed", f"could not queue the sync: {exc}"[:2000]
        return redirect(url_for("install_admin.install", run=run.id), code=303)
    with db.session() as session:
        queued = session.get(SyncRun, run.id)
        assert queued is not None
        queued.job_id = job.id
        audit.record_request(session, "sync.start", {"run": run.id})
    return redirect(url_for("install_admin.install", run=run.id), code=303)


@bp.get("/sync/<int:run_id>")
@owner_required
def sync_progress(run_id: int) -> Response:
    with services().db.session() as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.shop_id != current_user.shop_id:
            return jsonify(error={"code": "not_found", "message": "no such sync run"}), 404  # type: ignore[return-value]
        return jsonify(run_state(run))
