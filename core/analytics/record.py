"""The kinds of analytics event, and the widget's own events.

Most events are written where the thing happens, inside that operation's own
transaction (no extra round trip): ``assistant_reply`` and ``content_gap``
(core/assistant/service.py), ``guard_trip``, ``handoff``, ``csat``
(core/chat/service.py), ``order_created`` (core/webhooks/processing.py).
Shopper lines and agent replies are the ``messages`` rows themselves: the
roll-up counts them there, so the message path writes nothing more.

The widget reports what only the page sees (``POST /widget/v1/events``,
core/widget/events.py): loads, opens, proactive triggers fired and add to cart
from a product card, with the A/B variants it shows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.chat.frames import AbChoices, ConversationId
from core.db import Conversation, Event

#: The widget's kinds -> the stored event kinds.
WIDGET_KINDS = {"load": "widget_load", "open": "widget_open", "trigger": "trigger_fired", "add_to_cart": "add_to_cart"}
MAX_BODY = 4096
MAX_EVENTS = 20


class WidgetEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: Literal["load", "open", "trigger", "add_to_cart"]
    trigger: Annotated[int, Field(strict=True, ge=0, le=99)] | None = None
    product_id: str | None = Field(default=None, min_length=1, max_length=64)
    conversation_id: ConversationId | None = None

    @model_validator(mode="after")
    def _complete(self) -> WidgetEvent:
        if self.kind == "trigger" and self.trigger is None:
            raise ValueError("a trigger event needs trigger: the trigger's index in the config's list")
        if self.kind == "add_to_cart" and self.product_id is None:
            raise ValueError("an add_to_cart event needs product_id")
        return self


class WidgetEvents(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    site_key: str = Field(min_length=1, max_length=64)
    events: list[WidgetEvent] = Field(min_length=1, max_length=MAX_EVENTS)
    ab: AbChoices | None = None


def store_widget_events(session: Session, shop_id: int, body: WidgetEvents) -> int:
    """One insert of every event; a conversation id that is not the shop's is dropped
    (the beacon carries no token: it can only point at the shop's own conversations)."""
    named = {e.conversation_id for e in body.events if e.conversation_id is not None}
    ours = (
        set(session.scalars(select(Conversation.id).where(Conversation.id.in_(named), Conversation.shop_id == shop_id)))
        if named
        else set()
    )
    rows: list[dict[str, Any]] = []
    for e in body.events:
        data: dict[str, Any] = {}
        if body.ab:
            data["ab"] = dict(body.ab)
        if e.trigger is not None:
            data["trigger"] = e.trigger
        if e.product_id is not None:
            data["product_id"] = e.product_id
        rows.append(
            {
                "shop_id": shop_id,
                "kind": WIDGET_KINDS[e.kind],
                "data": data,
                "conversation_id": e.conversation_id if e.conversation_id in ours else None,
            }
        )
    session.execute(cast(Table, Event.__table__).insert(), rows)
    return len(rows)
