"""A scripted session of shopper traffic for the demo, through the real paths.

Each simulated visitor loads the widget's config, reports its events to
``/widget/v1/events``, chats over the HTTP transport (``/api/v1/visitor/*``)
with the A/B variants it was shown, gets the assistant's answer from the same
function the assistant job runs, may ask for a person (an agent of the shop
answers through the chat service), rates, adds to the cart from a card, and
may order: the order goes through the webhook's action (``OrderCreated``
naming the conversation, as the platforms' cart attribute and order meta do).
Then the day is rolled up, so the dashboard shows it at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from core.analytics import rollup
from core.assistant.service import answer
from core.connector import OrderCreated, OrderRecord
from core.db import Agent, Product, Shop
from core.webhooks.processing import apply_action

#: What shoppers ask; {product} is a product of the shop's catalog.
QUESTIONS = (
    "Do you have {product}?",
    "How much is {product}?",
    "Is {product} in stock?",
    "Tell me about {product}",
    "What is your return policy?",
    "How long does shipping take?",
)
#: What the demo catalog cannot answer: the content gaps the dashboard shows.
UNANSWERABLE = (
    "Do you offer gift wrapping?",
    "Can I get gift wrapping for my order?",
    "gift wrap available?",
    "Can I pay with bitcoin?",
    "Do you accept crypto payments?",
    "Do you have a store in Berlin?",
    "Is there a shop in Berlin I can visit?",
)


@dataclass
class Summary:
    visitors: int = 0
    conversations: int = 0
    handoffs: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")
    variants: dict[str, int] = field(default_factory=dict)


def _pick(rng: random.Random, variants: list[dict[str, Any]]) -> str:
    return rng.choices([v["key"] for v in variants], weights=[v["weight"] for v in variants])[0]


def run(
    app: Flask, shop_id: int, visitors: int = 40, *, seed: int = 19, say: Callable[[str], None] = lambda _line: None
) -> Summary:
    svc = app.extensions["storechat"]
    rng = random.Random(seed)
    client = app.test_client()
    summary = Summary()
    with svc.db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        site_key, currency = shop.site_key, shop.currency or "USD"
        products = [
            (p.external_id, p.title, p.variants[0].price if p.variants else Decimal("20"))
            for p in session.scalars(select(Product).where(Product.shop_id == shop_id).limit(50))
        ]
        agent = session.scalar(select(Agent).where(Agent.shop_id == shop_id, Agent.active).limit(1))
    if agent is None:
        from core.agents import create_agent

        create_agent(svc.db, shop_id, "Demo agent")
        with svc.db.session() as session:
            agent = session.scalar(select(Agent).where(Agent.shop_id == shop_id, Agent.active).limit(1))
    products = products or [("demo-1", "gift card", Decimal("25"))]
    config = client.get(f"/widget/v1/config?site_key={site_key}").get_json() or {}
    experiments = config.get("ab") or []
    for i in range(visitors):
        env = {"REMOTE_ADDR": f"10.19.{i // 250}.{i % 250 + 1}"}
        ab = {e["id"]: _pick(rng, e["variants"]) for e in experiments}
        for key in ab.values():
            summary.variants[key] = summary.variants.get(key, 0) + 1
        summary.visitors += 1

        def beacon(*events: dict[str, Any], ab: dict[str, str] = ab, env: dict[str, str] = env) -> None:
            client.post(
                "/widget/v1/events", json={"site_key": site_key, "events": list(events), "ab": ab}, environ_base=env
            )

        beacon({"kind": "load"})
        # Variant B of a greeting test draws a few more chats in the demo, so the test has a story.
        opens = rng.random() < (0.45 if "B" in ab.values() else 0.35)
        if not opens:
            continue
        beacon({"kind": "open"})
        welcome = client.post(
            "/api/v1/visitor/hello", json={"site_key": site_key, "ab": ab}, environ_base=env
        ).get_json()
        token = welcome["token"]
        product_id, title, price = rng.choice(products)
        gap = rng.random() < 0.25
        lines = [rng.choice(UNANSWERABLE) if gap else rng.choice(QUESTIONS).format(product=title)]
        if rng.random() < 0.3:
            lines.append(rng.choice(QUESTIONS).format(product=rng.choice(products)[1]))
        conversation_id = None
        for n, text in enumerate(lines):
            sent = client.post(
                "/api/v1/visitor/messages",
                json={"site_key": site_key, "token": token, "client_id": f"t{i}-{n}", "text": text, "ab": ab},
                environ_base=env,
            ).get_json()
            conversation_id = sent["ack"]["conversation_id"]
            answer(svc, conversation_id, sent["ack"]["seq"])
        assert conversation_id is not None
        summary.conversations += 1
        if gap and rng.random() < 0.5 or rng.random() < 0.1:
            client.post("/api/v1/visitor/handoff", json={"site_key": site_key, "token": token}, environ_base=env)
            svc.chat.agent_message(agent, conversation_id, f"t{i}", "Hi, this is the team: happy to help!")
            summary.handoffs += 1
        if rng.random() < 0.6:
            client.post(
                "/api/v1/visitor/rate",
                json={
                    "site_key": site_key,
                    "token": token,
                    "conversation_id": conversation_id,
                    "score": rng.choice((3, 4, 5, 5, 5)),
                },
                environ_base=env,
            )
        if not gap and rng.random() < 0.5:
            beacon({"kind": "add_to_cart", "product_id": product_id, "conversation_id": conversation_id})
            if rng.random() < 0.6:
                total = (price or Decimal("20")) * rng.choice((1, 1, 2))
                apply_action(
                    svc.db,
                    shop_id,
                    OrderCreated(
                        OrderRecord(
                            external_id=f"demo-order-{seed}-{i}",
                            name=f"#D{seed}{i:04d}",
                            email=None,
                            created_at=datetime.now(UTC),
                            currency=currency,
                            total_price=total,
                        ),
                        conversation_ref=str(conversation_id),
                    ),
                )
                summary.orders += 1
                summary.revenue += total
        say(f"visitor {i + 1}: {len(lines)} line(s), conversation {conversation_id}")
    rollup.roll_up_recent(svc.db, shop_id, 1)
    return summary
