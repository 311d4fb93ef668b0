"""The business hours page (owners): the shop's time zone and weekly hours,
which the widget and the assistant use to say when the team is back.

Each day is one field, ``09:00-12:30, 13:30-18:00`` (empty: closed). The
whole form is checked before anything is stored; a refused form comes back
with what was typed and the field named.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy import select

from core import audit
from core.admin.team import owner_required
from core.business_hours import DAY_NAMES, DAYS, SETTING, BusinessHours, from_settings, status, timezones
from core.business_hours_words import Speech, when
from core.db import Shop
from core.services import services
from core.shop_settings import changes

bp = Blueprint("hours", __name__, template_folder="templates")

_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_FIELD = 200
#: The closed dates' field: a year of holidays, written out.
MAX_DATES = 12 * 366


class FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _label(field: str) -> str:
    return {"timezone": "Time zone", "closed_on": "Closed on"}.get(field) or DAY_NAMES.get(field, field)


def _intervals(field: str, text: str) -> list[dict[str, str]]:
    if len(text) > MAX_FIELD:
        raise FormError(field, f"at most {MAX_FIELD} characters")
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _INTERVAL.fullmatch(part)
        if not match:
            raise FormError(field, f"{part!r} is not an interval like 09:00-17:30")
        h1, m1, h2, m2 = match.groups()
        found.append({"opens": f"{int(h1):02d}:{m1}", "closes": f"{int(h2):02d}:{m2}"})
    return found


def _dates(text: str) -> list[str]:
    if len(text) > MAX_DATES:
        raise FormError("closed_on", f"at most {MAX_DATES} characters")
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            if not _DATE.fullmatch(part):
                raise ValueError(part)
            found.append(date.fromisoformat(part).isoformat())
        except ValueError:
            raise FormError("closed_on", f"{part!r} is not a date like 2024-12-25") from None
    return found


def read_form(form: Any) -> BusinessHours | None:
    """The hours the form asks for (None: always open), or :class:`FormError`."""
    if not form.get("enabled"):
        return None
    week = {day: _intervals(day, form.get(day, "")) for day in DAYS}
    try:
        return BusinessHours.model_validate(
            {
                "timezone": form.get("timezone", ""),
                "week": {d: v for d, v in week.items() if v},
                "closed_on": _dates(form.get("closed_on", "")),
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        field = loc[1] if loc[0] == "week" and len(loc) > 1 else loc[0]
        message = error["msg"].removeprefix("Value error, ")
        raise FormError(field, message) from None


def _fields(hours: BusinessHours | None) -> dict[str, str]:
    values = {day: ", ".join(str(i) for i in hours.week.day(n)) if hours else "" for n, day in enumerate(DAYS)}
    values["timezone"] = hours.timezone if hours else "UTC"
    values["closed_on"] = ", ".join(d.isoformat() for d in hours.closed_on) if hours else ""
    values["enabled"] = "on" if hours else ""
    return values


def _now_line(hours: BusinessHours | None) -> str:
    if hours is None:
        return "Always open: the widget offers an email only when no one answers in time."
    now = datetime.now(UTC)
    found = status(hours, now)
    if found.open:
        return "Open now."
    if found.next_open is None:
        return "Closed: no day has hours."
    return f"Closed now; back {when(found.next_open, now, hours.zone, Speech('en'))} ({hours.timezone})."


def _page(
    status_code: int = 200, *, values: dict[str, str] | None = None, error: FormError | None = None, saved: bool = False
) -> tuple[str, int]:
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        current = from_settings(shop.settings if shop else None)
        return render_template(
            "admin/hours.html",
            shop=shop,
            values=values or _fields(current),
            error=error,
            saved=saved,
            days=[(day, DAY_NAMES[day]) for day in DAYS],
            zones=timezones(),
            now_line=_now_line(current),
            label=_label(error.field) if error else None,
        ), status_code


@bp.get("/")
@owner_required
def hours() -> tuple[str, int]:
    return _page(saved=request.args.get("saved") == "1")


@bp.post("/")
@owner_required
def save() -> Any:
    values = {
        key: str(request.form.get(key, ""))[: MAX_DATES + 1] for key in (*DAYS, "timezone", "enabled", "closed_on")
    }
    try:
        chosen = read_form(request.form)
    except FormError as exc:
        return _page(400, values=values, error=exc)
    with services().db.session() as session:
        shop = session.scalars(select(Shop).where(Shop.id == current_user.shop_id).with_for_update()).one()
        settings = dict(shop.settings or {})  # a new dict: the JSON column sees the change
        if chosen is None:
            settings.pop(SETTING, None)
        else:
            settings[SETTING] = chosen.model_dump(mode="json", exclude_defaults=True)
        changed = changes(shop.settings or {}, settings)
        if changed:
            shop.settings = settings
            audit.record_request(session, "settings.hours", {"changes": changed})
    return redirect(url_for("hours.hours", saved=1), code=303)
