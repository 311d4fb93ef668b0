"""What the widget's config says of the shop's business hours, and how long
the config may be cached so that it never says "open" after closing time.

``hours`` in the config is None (no hours set: always open) or::

    {"open": false,
     "next_open": "2024-04-01T07:00:00+00:00",   # while closed; None when no day has hours
     "away": "Our team is back Monday at 9:00. Leave your email and we'll answer you there.",
     "until": 1711954800000}                    # ms since the epoch: when this stops being true

``until`` is the next opening or closing, or the shop's next midnight while
closed (when "tomorrow" becomes "today"); the config's ``max-age`` never
goes past it, and the widget asks for the config again once it has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from core.business_hours import from_settings, status
from core.business_hours_words import choose, for_shop, team_back

#: The config's max-age when nothing changes sooner.
MAX_AGE = 60


def _midnight_after(now: datetime, hours: Any) -> datetime:
    zone = hours.zone
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), tzinfo=zone).astimezone(UTC)


def widget_hours(
    prefs: Mapping[str, Any],
    page_lang: str | None,
    shop_locale: str | None,
    now: datetime | None = None,
    chosen: bool = False,
) -> dict[str, Any] | None:
    """``chosen``: ``page_lang`` is the language the widget chose already (say it in that)."""
    hours = from_settings(prefs)
    if hours is None:
        return None
    now = now or datetime.now(UTC)
    found = status(hours, now)
    until = found.changes_at
    away = None
    if not found.open:
        speech = choose(page_lang) if chosen else for_shop(prefs, page_lang, shop_locale)
        if found.next_open is not None:
            away = team_back(found.next_open, now, hours.zone, speech)
            midnight = _midnight_after(now, hours)
            until = min(until, midnight) if until else midnight
    return {
        "open": found.open,
        "next_open": found.next_open.isoformat() if found.next_open else None,
        "away": away,
        "until": int(until.timestamp() * 1000) if until else None,
    }


def cache_control(hours: Mapping[str, Any] | None, now: datetime | None = None) -> str:
    """``public, max-age=60``, or less when the hours change sooner."""
    if not hours or hours.get("until") is None:
        return f"public, max-age={MAX_AGE}"
    now = now or datetime.now(UTC)
    left = int(hours["until"] / 1000 - now.timestamp())
    return f"public, max-age={max(0, min(MAX_AGE, left))}"
