"""Which orders a conversation earned.

An order names the conversation it came from (Shopify: the cart attribute
``storechat_conversation``, shown in the order's ``note_attributes``;
WooCommerce: the order meta ``_storechat_conversation``); the connector hands
it to core as ``OrderCreated.conversation_ref``. The order is attributed to
that conversation when the conversation is the shop's and the order was placed
within the shop's window after the conversation's last activity
(``shops.settings["analytics"]["attribution_days"]``, default 7), and not
before the conversation began.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

DEFAULT_DAYS = 7
MAX_DAYS = 90


def window_days(settings: Any) -> int:
    """The shop's attribution window in days; a missing or bad value is the default."""
    value = (
        ((settings or {}).get("analytics") or {}).get("attribution_days")
        if isinstance((settings or {}).get("analytics"), dict)
        else None
    )
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        return DEFAULT_DAYS
    return value


def attributed(placed: datetime, started: datetime, last_activity: datetime, days: int) -> bool:
    return started <= placed + timedelta(minutes=5) and placed - last_activity <= timedelta(days=days)
