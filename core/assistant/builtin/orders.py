"""The order-status dialogue: collect the order number and the email, look the
order up live, and say only what the lookup returned.

The dialogue survives across turns in ``context["order"]``: when the number or
the email is missing it asks for that one and continues with the next line
instead of starting over. The email itself is never put in the context; it is
read again from the shopper's own earlier lines.
"""

from __future__ import annotations

import re
from typing import Any

from core.assistant.builtin import slots
from core.assistant.builtin.dialogue import Answer, Dialogue
from core.assistant.builtin.templates import QUICK, status_words

#: "Where is my order?", "track my package", "order status"
STRONG_CUE = re.compile(
    r"\b(where(?:'s| is| are)\s+(my|our)\s+(order|package|parcel|stuff|delivery|shipment|items?|purchase)|"
    r"track(ing)?\s+(my|an|the|our)\s+(order|package|parcel|shipment|delivery)|order\s+status|"
    r"status\s+of\s+(my|an|the|our)\s+order|(has|did|have)\s+(my|our)\s+(order|package|parcel|items?)\s+"
    r"(shipped|been shipped|been sent|dispatched|left)|(check|look\s?up|find)\s+(on\s+)?(my|an|our)\s+order|"
    r"when\s+will\s+(my|our)\s+(order|package|parcel)\s+(arrive|ship|be (shipped|delivered|here))|"
    r"my\s+order\s+number|tracking\s+number\s+for)\b",
    re.I,
)
WEAK_CUE = re.compile(r"\b(my|our)\s+(order|orders|package|parcel|delivery|shipment|purchase)\b", re.I)
_DONT_KNOW = re.compile(r"\b(don'?t|do not|can'?t|cannot)\s+(know|remember|find|recall|have)\b|\blost (it|the)\b", re.I)
AWAITING = ("both", "email", "reference", "retry")


def pending(d: Dialogue) -> dict[str, Any]:
    order = d.prev.get("order")
    return order if isinstance(order, dict) and order.get("awaiting") in AWAITING else {}


def wants_order(d: Dialogue, text: str) -> bool:
    """Whether this line is (part of) an order-status question."""
    if pending(d):
        return bool(
            slots.email(text) or "@" in text or slots.order_reference(text, expecting=True) or _DONT_KNOW.search(text)
        )
    return bool(
        slots.order_reference(text)
        or STRONG_CUE.search(text)
        or (slots.email(text) and (WEAK_CUE.search(text) or len(text.split()) <= 4))
    )


def handle(d: Dialogue, text: str) -> Answer:
    state = pending(d)
    expecting = state.get("awaiting") in ("both", "reference", "retry")
    reference = slots.order_reference(text, expecting=expecting or bool(state))
    email = slots.email(text)
    if state and not reference and not email and _DONT_KNOW.search(text):
        return Answer(d.t.render("order_no_details"), "order_status", [], list(QUICK["human"]), {"offer": "human"})
    if state:
        reference = reference or state.get("reference")
        if not email:
            email = next((e for e in map(slots.email, d.visitor_lines()[:10]) if e), None)
    if "@" in text and not email:
        return _ask(d, "email", reference)
    if not reference and not email:
        return _ask(d, "both", None)
    if not reference:
        return _ask(d, "reference", None)
    result = d.tools.lookup_order(reference, email)
    status = result.get("status")
    if status == "need_reference":
        return _ask(d, "reference", None)
    if status == "need_email":
        return _ask(d, "email", result.get("reference") or reference)
    if status == "found":
        return _found(d, result["order"])
    if status == "not_found":
        return Answer(
            d.t.render("order_not_found"),
            "order_status",
            [],
            list(QUICK["human"]),
            {"order": {"awaiting": "retry", "reference": result.get("reference") or reference}},
        )
    if status == "locked":
        return Answer(d.t.render("order_locked"), "order_status", [], list(QUICK["human"]), {"offer": "human"})
    if status == "too_many_attempts":
        return Answer(
            d.t.render("order_wait", minutes=result.get("retry_after_minutes") or 1),
            "order_status",
            [],
            list(QUICK["human"]),
            {"offer": "human"},
        )
    return Answer(
        d.t.render("order_unavailable"), "order_status", [], list(QUICK["human"]), {"offer": "human"}, answered=False
    )


def _ask(d: Dialogue, what: str, reference: str | None) -> Answer:
    key = {"both": "order_ask_both", "email": "order_ask_email", "reference": "order_ask_reference"}[what]
    context = {"order": {"awaiting": what, "reference": reference}}
    return Answer(d.t.render(key, reference=reference or ""), "order_status", context=context)


_PAYMENT = {
    "paid": "paid",
    "authorized": "payment authorized",
    "pending": "payment pending",
    "refunded": "refunded",
    "partially_refunded": "partly refunded",
    "partially_paid": "partly paid",
    "voided": "payment voided",
    "expired": "payment expired",
}
_FULFILMENT = {
    "fulfilled": "shipped",
    "partial": "partly shipped",
    "unfulfilled": "not shipped yet",
    "restocked": "restocked",
    "in_progress": "being prepared",
    "on_hold": "on hold",
    "scheduled": "scheduled",
}


def _found(d: Dialogue, order: dict[str, Any]) -> Answer:
    said = status_words(d.lang)  # the states in the shopper's language; English below
    parts = []
    if order.get("cancelled"):
        parts.append(said.get("cancelled", "cancelled"))
    payment = order.get("financial_status")
    if payment:
        parts.append(said.get(payment) or _PAYMENT.get(payment, payment.replace("_", " ")))
    if not order.get("cancelled"):
        fulfilment = order.get("fulfillment_status") or "unfulfilled"
        parts.append(said.get(fulfilment) or _FULFILMENT.get(fulfilment, fulfilment.replace("_", " ")))
    items = [
        f"{line['title']}"
        + (f" ({line['variant_title']})" if line.get("variant_title") else "")
        + f" \u00d7 {line['quantity']}"
        for line in order.get("items") or []
    ]
    currency = order.get("currency") or d.currency
    total = d.t.render("order_total", total=d.money(order["total_price"], currency)) if order.get("total_price") else ""
    tracking = []
    for shipment in order.get("shipments") or []:
        numbers = shipment.get("tracking_numbers") or []
        if not numbers:
            continue
        label = " ".join(x for x in [shipment.get("company") or "", ", ".join(numbers)] if x)
        urls = shipment.get("tracking_urls") or []
        tracking.append(label + (f" ({urls[0]})" if urls else ""))
    text = d.t.render(
        "order_status",
        name=order["name"],
        status=", ".join(parts) or said.get("received", "received"),
        items=d.t.render("order_items", items=d.join(items)) if items else "",
        total=total,
        tracking=d.t.render("order_tracking", tracking="; ".join(tracking)) if tracking else "",
        link=d.t.render("order_link", url=order["status_url"]) if order.get("status_url") else "",
    )
    return Answer(text, "order_status")
