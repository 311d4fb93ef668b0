"""Who hears about a shop's conversations: its notification settings (kept in
``shops.settings["notifications"]``, the webhook URL sealed like every
credential), or else every active member of its team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.users import normalize_email
from core.db import Shop, User
from core.errors import BadInput
from core.outbound import OutboundRefused, check_url
from core.security.credentials import Credentials
from core.settings import Settings

KEY = "notifications"
SECRET_FIELDS = ("webhook_url",)
MAX_EMAILS = 20


@dataclass(frozen=True)
class Recipients:
    emails: tuple[str, ...]
    webhook_url: str | None


def read(session: Session, settings: Settings, shop: Shop) -> Recipients:
    stored = Credentials.from_settings(settings).open((shop.settings or {}).get(KEY) or {})
    emails = tuple(stored.get("emails") or ())
    if not emails:
        emails = tuple(
            session.scalars(select(User.email).where(User.shop_id == shop.id, User.active).order_by(User.id))
        )
    return Recipients(emails=emails, webhook_url=stored.get("webhook_url") or None)


def stored(settings: Settings, emails: list[str], webhook_url: str | None) -> dict[str, Any]:
    """The value to keep in ``shops.settings["notifications"]``: checked, the URL sealed."""
    if len(emails) > MAX_EMAILS:
        raise BadInput(f"at most {MAX_EMAILS} notification addresses")
    clean = sorted({normalize_email(e) for e in emails if e.strip()})
    if webhook_url is not None and webhook_url.strip():
        webhook_url = webhook_url.strip()
        try:
            check_url(webhook_url)  # https to a public address (plain http only where the operator allows it)
        except OutboundRefused as exc:
            raise BadInput(f"the webhook address: {exc.message}") from None
    else:
        webhook_url = None
    return Credentials.from_settings(settings).seal({"emails": clean, "webhook_url": webhook_url}, SECRET_FIELDS)


def shown(settings: Settings, shop: Shop | None) -> dict[str, Any]:
    """What the team page shows: the chosen addresses, and whether a webhook is set (never its URL)."""
    if shop is None:
        return {"emails": "", "webhook": False}
    saved = Credentials.from_settings(settings).open((shop.settings or {}).get(KEY) or {})
    return {"emails": " ".join(saved.get("emails") or ()), "webhook": bool(saved.get("webhook_url"))}
