"""Handing over outside business hours: the assistant says when the team is back.

The ``handoff`` tool's result carries it (:func:`handoff_note`), so every
engine knows: the built-in engine says it instead of "I'm connecting you"
(its ``handoff_away`` template), an LLM reads it in the tool result. Since a
model may still leave it out, :func:`said` adds the sentence to any handoff
reply that does not name the time. The words are the shopper's language as
the widget chooses it (:mod:`core.business_hours_words`); the figures in
them come from the tool result, so the grounding guard lets them through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.business_hours import from_settings, status
from core.business_hours_words import clock, for_shop, team_back, when

if TYPE_CHECKING:
    from core.db import Shop


def handoff_note(shop: Shop, page_locale: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What the handoff tool adds to its result: nothing while the team is in (or
    the shop has no hours); outside hours ``team_away``, ``team_back`` (when,
    in words; None when no day has hours), ``back_at`` (the time alone) and
    ``say`` (the sentence for the shopper)."""
    hours = from_settings(shop.settings)
    now = now or datetime.now(UTC)
    found = status(hours, now)
    if found.open or hours is None:
        return {}
    speech = for_shop(shop.settings, page_locale, shop.locale)
    if found.next_open is None:
        from core.widget.i18n import strings

        return {"team_away": True, "team_back": None, "back_at": None, "say": strings(speech.lang)["away"]}
    zone = hours.zone
    return {
        "team_away": True,
        "team_back": when(found.next_open, now, zone, speech),
        "back_at": clock(found.next_open.astimezone(zone), speech.twelve_hour),
        "say": team_back(found.next_open, now, zone, speech),
    }


def note_of(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The note of this turn's last handoff call, if it has one."""
    for call in reversed(calls):
        if call.get("tool") == "handoff" and isinstance(call.get("result"), dict):
            return call["result"] if call["result"].get("team_away") else {}
    return {}


def said(text: str, calls: list[dict[str, Any]]) -> str:
    """The handoff reply, naming the time the team is back when it is away and the reply does not."""
    note = note_of(calls)
    if not note.get("back_at") or note["back_at"] in text:
        return text
    return f"{text.rstrip()} {note['say']}" if text.strip() else note["say"]
