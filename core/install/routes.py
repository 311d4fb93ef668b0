"""Mounts each connector's install blueprint at ``/connect/<name>/`` and serves
the page a merchant lands on after installing: ``/installed/<site_key>``."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, render_template
from sqlalchemy import select

from core import connector_registry
from core.db import Event, Shop, SyncRun
from core.install.host import CoreInstallHost
from core.services import services

log = logging.getLogger(__name__)
bp = Blueprint("install", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    host = CoreInstallHost(app.extensions["storechat"])
    app.extensions["storechat.install_host"] = host
    for name, cls in sorted(connector_registry.available().items()):
        try:
            blueprint = cls.install_blueprint(host)
        except Exception:  # noqa: BLE001 - one broken connector never takes the app down
            log.exception("connector %r: install blueprint failed; its install routes are off", name)
            continue
        if blueprint is not None:
            app.register_blueprint(blueprint, url_prefix=f"/connect/{name}", name=f"connect_{name}")
    app.register_blueprint(bp)


@bp.get("/installed/<site_key>")
def installed(site_key: str) -> tuple[str, int]:
    with services().db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == site_key))
        if shop is None or not shop.active:
            return render_template("install/missing.html"), 404
        run = session.scalar(select(SyncRun).where(SyncRun.shop_id == shop.id).order_by(SyncRun.id.desc()).limit(1))
        webhooks_failed = (
            session.scalar(
                select(Event.id)
                .where(Event.shop_id == shop.id, Event.kind == "webhooks_not_registered")
                .where(
                    Event.id
                    > (
                        select(Event.id)
                        .where(Event.shop_id == shop.id, Event.kind == "app_installed")
                        .order_by(Event.id.desc())
                        .limit(1)
                        .scalar_subquery()
                    )
                )
            )
            is not None
        )
        return render_template(
            "install/installed.html",
            shop=shop,
            run=run,
            activation_url=(shop.settings or {}).get("activation_url"),
            webhooks_failed=webhooks_failed,
        ), 200
