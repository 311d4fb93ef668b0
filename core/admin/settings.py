"""The Settings pages (owners): the widget with its live preview, proactive
triggers, languages, the assistant (with "test this engine"), privacy (with a
shopper's data exported or deleted), order attribution (the analytics' window),
and the audit log; business hours, team and alerts, canned replies and the install
page are linked from the same navigation.

Each page is one form over one section of ``shops.settings``
(:mod:`core.shop_settings`): checked as a whole before anything is stored (a
refusal names the field and keeps what was typed), stored in one transaction
together with its audit entry (:mod:`core.audit`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from core import audit, privacy
from core.admin.team import owner_required
from core.assistant import engine_check
from core.assistant.llm.sealed_key import seal
from core.chat.frames import MAX_INT
from core.db import Shop
from core.security.credentials import SEALED, Credentials, CredentialsUnreadable
from core.services import services
from core.shop_settings import (
    LOCALES,
    SECTIONS,
    AssistantSettings,
    FormError,
    Section,
    TriggerSettings,
    WidgetSettings,
    changes,
)
from core.widget.routes import _assets, widget_config

bp = Blueprint("settings", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

#: Blank trigger rows shown under the stored ones.
SPARE_TRIGGERS = 2
#: What a form field may hold before the page echoes it back (longer is cut, never stored).
MAX_ECHO = 2000

NAV = [
    ("widget", "Widget"),
    ("triggers", "Proactive triggers"),
    ("languages", "Languages"),
    ("assistant", "Assistant"),
    ("hours.hours", "Business hours"),
    ("team.team", "Team and alerts"),
    ("canned.canned", "Canned replies"),
    ("privacy", "Privacy"),
    ("analytics", "Order attribution"),
    ("install_admin.install", "Install"),
    ("audit", "Audit log"),
]


def nav() -> list[tuple[str, str, str]]:
    """``(key, label, url)`` of every settings page, for the navigation on each."""
    found = []
    for key, label in NAV:
        if "." in key:
            found.append((key.split(".")[0], label, url_for(key)))
        elif key in SECTIONS:
            found.append((key, label, url_for("settings.section", name=key)))
        else:
            found.append((key, label, url_for(f"settings.{key}")))
    return found


def _credentials() -> Credentials:
    return Credentials.from_settings(services().settings)


def _opened_assistant(settings: dict[str, Any]) -> dict[str, Any]:
    stored = settings.get("assistant") if isinstance(settings.get("assistant"), dict) else {}
    return _credentials().open(stored)  # type: ignore[arg-type]


def _echo(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v[:MAX_ECHO] for k, v in form.items() if k != "csrf_token"}
    values["languages"] = form.getlist("languages")
    return values


def _trigger_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    if "triggers" in values and isinstance(values["triggers"], list):
        rows = [t.model_dump() if hasattr(t, "model_dump") else dict(t) for t in values["triggers"]]
    else:  # a refused form, as typed
        # Rows numbered 0 to 99 only: not isdigit() (int() cannot read "²"), and a row numbered
        # 99999999 would draw that many blank rows.
        count = 1 + max(
            [int(m.group(1)) for k in values if (m := re.fullmatch(r"trigger-([0-9]{1,2})-\w+", k))] or [-1]
        )
        rows = [{f: values.get(f"trigger-{n}-{f}", "") for f in TriggerSettings.FIELDS} for n in range(count)]
        return rows
    return rows + [{} for _ in range(SPARE_TRIGGERS)]


def _shop(session: Any) -> Shop:
    shop = session.get(Shop, current_user.shop_id)
    if shop is None:
        abort(404)
    return shop


def _render(
    name: str, status: int = 200, *, values: dict[str, Any] | None = None, error: FormError | None = None, **extra: Any
) -> tuple[str, int]:
    cls = SECTIONS[name]
    with services().db.session() as session:
        shop = _shop(session)
        settings = dict(shop.settings or {})
        current = cls.current(settings)
        if values is None:
            values = current.form() if hasattr(current, "form") else current.model_dump()
        if name == "assistant":
            try:
                opened = _opened_assistant(settings)
                extra.setdefault("key_set", bool(opened.get("api_key")))
            except CredentialsUnreadable:
                extra.setdefault("key_set", True)
                extra.setdefault("key_unreadable", True)
        if name == "privacy":
            extra.setdefault("erased", _counts("erased", "conversations"))
        return render_template(
            f"admin/settings_{name}.html",
            shop=shop,
            section=name,
            nav=nav(),
            values=values,
            error=error,
            label=cls.label(error.field) if error else None,
            saved=request.args.get("saved") == "1",
            locales=LOCALES,
            trigger_rows=_trigger_rows(values) if name == "triggers" else None,
            **extra,
        ), status


def _counts(*names: str) -> tuple[int, ...] | None:
    """Small counts from the query string (after a deletion), or None."""
    found = [request.args.get(n, "") for n in names]
    if not all(re.fullmatch(r"[0-9]{1,6}", v) for v in found):
        return None
    return tuple(int(v) for v in found)


@bp.get("/")
@owner_required
def index() -> WerkzeugResponse:
    return redirect(url_for("settings.section", name="widget"))


@bp.get("/<name>")
@owner_required
def section(name: str) -> tuple[str, int]:
    if name not in SECTIONS:
        abort(404)
    return _render(name)


@bp.post("/<name>")
@owner_required
def save(name: str) -> Any:
    cls = SECTIONS.get(name)
    if cls is None:
        abort(404)
    try:
        chosen = cls.from_form(request.form)
    except FormError as exc:
        return _render(name, 400, values=_echo(request.form), error=exc)
    with services().db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.id == current_user.shop_id).with_for_update())
        if shop is None:
            abort(404)
        before = dict(shop.settings or {})
        try:
            stored, changed = _changed(chosen, before)
        except FormError as exc:
            session.rollback()
            return _render(name, 400, values=_echo(request.form), error=exc)
        if changed:
            shop.settings = stored
            audit.record_request(session, f"settings.{name}", {"changes": changed})
    return redirect(url_for("settings.section", name=name, saved=1), code=303)


def _changed(chosen: Section, before: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The settings to store and what changed (compared with secrets opened, shown redacted)."""
    if not isinstance(chosen, AssistantSettings):
        after = chosen.apply(before)
        return after, changes(before, after)
    try:
        opened = _opened_assistant(before)
    except CredentialsUnreadable:
        if not (chosen.api_key or chosen.clear_key):
            raise FormError(
                "api_key", "the stored key cannot be decrypted (the server's keys changed): enter it again, or clear it"
            ) from None
        opened = {k: v for k, v in (before.get("assistant") or {}).items() if k != SEALED}
    plain_before = {**before, "assistant": opened}
    plain_after = chosen.apply(plain_before)
    stored = {**plain_after, "assistant": seal(_credentials(), plain_after["assistant"])}
    return stored, changes(plain_before, plain_after)


# ---- the live preview: the real widget, drawn from the settings not yet saved


@bp.get("/widget/preview")
@owner_required
def preview() -> Response:
    """The real loader.js and chat.js on an admin page, their config the pending values
    (the query string: the widget form as it is now) run through :func:`widget_config`."""
    error = None
    with services().db.session() as session:
        shop = _shop(session)
        try:
            pending = WidgetSettings.from_form(request.args).apply(dict(shop.settings or {}))
        except FormError as exc:
            error = f"{WidgetSettings.label(exc.field)}: {exc.message}"
            pending = dict(shop.settings or {})
        draft = Shop(
            id=shop.id,
            name=shop.name,
            platform=shop.platform,
            platform_ref=shop.platform_ref,
            site_key=shop.site_key,
            currency=shop.currency,
            locale=shop.locale,
            connector_config={"demo": True} if (shop.connector_config or {}).get("demo") else {},
            settings=pending,
        )
        config = widget_config(draft, _assets()["chat.js"].version, request.args.get("lang") or None)
        site_key = shop.site_key
    body = render_template(
        "admin/settings_preview.html",
        config=config,
        site_key=site_key,
        error=error,
        open_panel=request.args.get("panel", "1") == "1",
    )
    resp = Response(body, content_type="text/html; charset=utf-8")
    # Shown in a frame of the widget settings page (same origin), and nowhere else.
    resp.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return resp


# ---- "test this engine"


@bp.post("/assistant/test")
@owner_required
def test_engine() -> tuple[str, int]:
    """Three questions through the engine the form describes (not saved); the key typed, else the stored one."""
    try:
        chosen = AssistantSettings.from_form(request.form)
    except FormError as exc:
        return _render("assistant", 400, values=_echo(request.form), error=exc)
    with services().db.session() as session:
        shop = _shop(session)
        try:
            opened = _opened_assistant(dict(shop.settings or {}))
        except CredentialsUnreadable:
            opened = {}
        config = chosen.config(opened)
        answers = engine_check.run(session, shop, config)
    return _render("assistant", values=_echo(request.form), answers=answers)


# ---- one shopper's data, exported or deleted (Settings > Privacy)


def _shopper_or_refusal() -> tuple[privacy.Shopper | None, tuple[str, int] | None]:
    """The shopper the form names, or the privacy page answering why not (the typed
    values are not echoed: the page names no shopper)."""
    email = (request.form.get("email") or "").strip()[:320]
    customer = (request.form.get("customer_id") or "").strip()[:255]
    if email and "@" not in email:
        return None, _render("privacy", 400, shopper_error="The email is not an email address.")
    if not email and not customer:
        return None, _render("privacy", 400, shopper_error="Give the shopper's email, customer id, or both.")
    return privacy.Shopper(email or None, customer or None), None


@bp.post("/privacy/export", endpoint="privacy_export")
@owner_required
def privacy_export() -> Any:
    """Everything the shop holds about one shopper, as a JSON file to download (audited)."""
    shopper, refused = _shopper_or_refusal()
    if refused is not None:
        return refused
    assert shopper is not None
    shop_id = current_user.shop_id
    svc = services()
    export = privacy.export_shopper(svc.db, shop_id, shopper, record=False, redis=svc.redis)
    with svc.db.session() as session:
        audit.record_request(
            session,
            "privacy.export",
            {
                "shopper": privacy.shopper_label(shopper),
                "visitors": len(export["visitors"]),
                "conversations": len(export["conversations"]),
            },
        )
    if not export["visitors"] and not export["notifications"] and not export["earlier_exports"]:
        return _render("privacy", 404, shopper_error="This shop holds nothing about that shopper.")
    body = json.dumps(export, indent=2, ensure_ascii=False, default=str)
    resp = Response(body, content_type="application/json; charset=utf-8")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="shopper-data-shop{shop_id}-{export["exported_at"][:10]}.json"'
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/privacy/delete", endpoint="privacy_delete")
@owner_required
def privacy_delete() -> Any:
    """Delete everything the shop holds about one shopper, everywhere it lives (audited)."""
    shopper, refused = _shopper_or_refusal()
    if refused is not None:
        return refused
    assert shopper is not None
    if request.form.get("confirm") != "yes":
        return _render("privacy", 400, shopper_error="Tick the box to confirm: deleting cannot be undone.")
    svc = services()
    erased = privacy.erase_shopper(svc.db, current_user.shop_id, shopper, redis=svc.redis)
    with svc.db.session() as session:
        audit.record_request(session, "privacy.delete", {"shopper": privacy.shopper_label(shopper), **erased.as_dict()})
    if not (erased.visitors or erased.redis_keys or erased.jobs):
        return _render("privacy", 404, shopper_error="This shop holds nothing about that shopper.")
    return redirect(
        url_for("settings.section", name="privacy", erased=erased.visitors, conversations=erased.conversations),
        code=303,
    )


# ---- the audit log


@bp.get("/audit", endpoint="audit")
@owner_required
def audit_page() -> tuple[str, int]:
    before = request.args.get("before", "")
    with services().db.session() as session:
        shop = _shop(session)
        # Any other "before" (not a number, "²", past the column's range) is the first page.
        page_before = int(before) if re.fullmatch(r"[0-9]{1,10}", before) and int(before) <= MAX_INT else None
        entries = audit.entries(session, shop.id, before=page_before)
        return render_template(
            "admin/settings_audit.html",
            shop=shop,
            section="audit",
            nav=nav(),
            entries=entries,
            more=len(entries) == audit.PAGE,
            dumps=json.dumps,
        ), 200
