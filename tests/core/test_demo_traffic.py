"""`storechat analytics traffic`: a scripted session of shopper traffic through the
real paths leaves the dashboard with conversations, a resolved share, content gaps,
attributed revenue and an A/B test's two variants."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from core.analytics import experiments, metrics, traffic
from core.catalog.sync import create_run, run_sync
from core.db import Database, Experiment, Shop
from core.db.models import utcnow
from core.shops import ensure_demo_shop


@pytest.fixture
def demo_shop(db: Database) -> int:
    shop = ensure_demo_shop(db, "http://127.0.0.1:8123/demo")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop.id


def test_traffic_fills_the_dashboard_and_a_greeting_test(app: Flask, db: Database, demo_shop: int) -> None:
    with db.session() as session:
        shop = session.get(Shop, demo_shop)
        e = experiments.create(session, shop, experiments.ExperimentIn.model_validate({
            "name": "Greeting", "target": "greeting", "variants": [
                {"key": "A", "weight": 50, "value": "Hi!"}, {"key": "B", "weight": 50, "value": "Need a hand?"}]}))
        experiments.start(session, e)
        eid, currency = e.id, shop.currency or "USD"
    summary = traffic.run(app, demo_shop, visitors=40, seed=7)
    assert summary.conversations > 5 and summary.orders > 0
    today = utcnow().date()
    with db.session() as session:
        report = metrics.report(session, demo_shop, today - timedelta(days=1), today, currency)
        results = experiments.results(session, session.get(Experiment, eid), currency)
    t = report.totals
    assert t.conversations == summary.conversations and t.loads == 40
    assert t.orders == summary.orders and t.revenue == f"{summary.revenue:.2f}"
    assert 0 < t.resolved_ai < t.conversations and t.handoffs == summary.handoffs
    assert report.gaps and report.first_response["assistant"].count == t.conversations
    views = {v["key"]: v["views"] for v in results["variants"]}
    assert sum(views.values()) == 40 and all(views.values())
    assert sum(v["conversations"] for v in results["variants"]) == t.conversations
