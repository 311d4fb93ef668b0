"""Analytics: a generated stream of conversations, messages and events whose
figures the test knows, rolled up and read back per day and for a range; the
roll-up job; the dashboard, its CSV and the JSON API with its schema."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.accounts.users import create_user, set_password
from core.analytics import gaps, histogram, metrics, rollup
from core.db import AnalyticsDay, Conversation, Database, Event, Message, Shop, Visitor
from core.services import Services
from core.testing.jobs import run_queued_jobs

DAY = date(2026, 3, 10)
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


@pytest.fixture
def shop_id(db: Database) -> int:
    with db.session() as session:
        shop = Shop(name="Metric Shop", platform="csv", site_key="sk_metrics", connector_config={}, currency="EUR")
        session.add(shop)
        session.flush()
        return shop.id


class Stream:
    """Writes a shop's day the way the product does: conversations with their lines and events."""

    def __init__(self, db: Database, shop_id: int) -> None:
        self.db, self.shop_id, self.n = db, shop_id, 0

    def conversation(self, start: datetime, lines: list[tuple[str, float]], events: list[tuple[str, float, dict]]
                     ) -> int:
        """``lines``: (author, seconds after start); ``events``: (kind, seconds after start, data)."""
        self.n += 1
        with self.db.session() as session:
            session.add(Visitor(id=f"v-{self.shop_id}-{self.n}", shop_id=self.shop_id))
            session.flush()
            c = Conversation(shop_id=self.shop_id, visitor_id=f"v-{self.shop_id}-{self.n}", created_at=start,
                             updated_at=start, last_seq=len(lines))
            session.add(c)
            session.flush()
            for seq, (author, after) in enumerate(lines, 1):
                session.add(Message(conversation_id=c.id, seq=seq, author=author, text=f"line {seq}",
                                    created_at=start + timedelta(seconds=after)))
            for kind, after, data in events:
                session.add(Event(shop_id=self.shop_id, conversation_id=c.id, kind=kind, data=data,
                                  created_at=start + timedelta(seconds=after)))
            return c.id

    def events(self, kind: str, count: int, at: datetime, data: dict | None = None,
               conversation_id: int | None = None) -> None:
        with self.db.session() as session:
            for _ in range(count):
                session.add(Event(shop_id=self.shop_id, kind=kind, data=dict(data or {}), created_at=at,
                                  conversation_id=conversation_id))


ANSWERED = {"intent": "product_search", "engine": "builtin", "answered": True, "grounded": True}


def _generate(db: Database, shop_id: int) -> dict[str, Any]:
    s = Stream(db, shop_id)
    ids: dict[str, Any] = {"resolved": [], "gap": []}
    # 6 conversations the assistant resolved alone: first answer after 2 s, last after 30 s.
    for i in range(6):
        ids["resolved"].append(s.conversation(T0 + timedelta(minutes=i), [("visitor", 0), ("assistant", 2),
                                                                             ("visitor", 20), ("assistant", 30)],
                                              [("assistant_reply", 2, ANSWERED), ("assistant_reply", 30, ANSWERED)]))
    # 2 handed to a person: the assistant answers in 3 s, the person 60 s after the handoff, last line at 600 s.
    for i in range(2):
        s.conversation(T0 + timedelta(hours=1, minutes=i),
                       [("visitor", 0), ("assistant", 3), ("visitor", 10), ("agent", 70), ("agent", 600)],
                       [("assistant_reply", 3, {**ANSWERED, "intent": "order_status"}), ("handoff", 10, {})])
    # 2 the assistant could not answer: content gaps, one of them also refused by the guard.
    for i, question in enumerate(("Do you offer gift wrapping?", "gift wrapping available?")):
        cid = s.conversation(T0 + timedelta(hours=2, minutes=i), [("visitor", 0), ("assistant", 5)], [
            ("assistant_reply", 5, {"intent": "unknown", "engine": "builtin", "answered": False,
                                    "grounded": i == 0}),
            ("content_gap", 5, {"text": question, "intent": "unknown"})])
        ids["gap"].append(cid)
    with db.session() as session:  # the refusal's own event
        session.add(Event(shop_id=shop_id, conversation_id=ids["gap"][1], kind="guard_trip", data={},
                          created_at=T0 + timedelta(hours=2, minutes=1, seconds=5)))
    # One more gap, in other words, on a resolved conversation's day.
    s.events("content_gap", 1, T0 + timedelta(hours=3), {"text": "Can I pay with Bitcoin?"}, ids["resolved"][0])
    s.events("widget_load", 100, T0)
    s.events("widget_open", 20, T0)
    s.events("trigger_fired", 3, T0, {"trigger": 0})
    s.events("add_to_cart", 5, T0, {"product_id": "p1"}, ids["resolved"][0])
    for score in (5, 5, 4, 1):
        s.events("csat", 1, T0 + timedelta(hours=4), {"score": score}, ids["resolved"][1])
    order = {"currency": "EUR", "attributed": True}
    s.events("order_created", 1, T0 + timedelta(hours=5), {**order, "order_id": "o1", "total_price": "40.00"},
             ids["resolved"][2])
    s.events("order_created", 1, T0 + timedelta(hours=5), {**order, "order_id": "o1", "total_price": "40.00"},
             ids["resolved"][2])  # the same order delivered again
    s.events("order_created", 1, T0 + timedelta(hours=6), {**order, "order_id": "o2", "total_price": "12.50"},
             ids["resolved"][3])
    s.events("order_created", 1, T0 + timedelta(hours=6),  # outside the window: not the chat's
             {**order, "order_id": "o3", "total_price": "99.00", "attributed": False}, ids["resolved"][4])
    s.events("order_created", 1, T0 + timedelta(hours=7),  # another currency, kept apart
             {**order, "order_id": "o4", "total_price": "10.00", "currency": "USD"}, ids["resolved"][5])
    # The next day: one conversation the assistant resolved, answered in 8 s.
    s.conversation(T0 + timedelta(days=1), [("visitor", 0), ("assistant", 8)], [("assistant_reply", 8, ANSWERED)])
    return ids


def test_a_generated_day_rolls_up_to_the_figures_it_holds(db: Database, shop_id: int) -> None:
    ids = _generate(db, shop_id)
    assert rollup.roll_up(db, shop_id, [DAY, DAY + timedelta(days=1)]) == 2
    with db.session() as session:
        one = metrics.report(session, shop_id, DAY, DAY, "EUR")
        both = metrics.report(session, shop_id, DAY, DAY + timedelta(days=1), "EUR")
    t = one.totals
    assert (t.conversations, t.resolved_ai, t.handoffs) == (10, 6, 2)
    assert (t.resolved_share, t.handoff_share) == (0.6, 0.2)
    assert (t.shopper_messages, t.assistant_messages, t.agent_replies) == (6 * 2 + 2 * 2 + 2, 6 * 2 + 2 + 2, 4)
    assert (t.loads, t.opens, t.triggers, t.add_to_cart) == (100, 20, 3, 5)
    assert (t.answers, t.refused) == (6 * 2 + 2 + 2, 1)
    assert (t.orders, t.revenue, t.other_currencies) == (3, "52.50", {"USD": "10.00"})
    assert one.first_response["assistant"].model_dump() == {"count": 10, "p50": 2.0, "p90": 5.0}
    assert one.first_response["people"].model_dump() == {"count": 2, "p50": 60.0, "p90": 60.0}
    assert one.resolution["assistant"].model_dump() == {"count": 6, "p50": 30.0, "p90": 30.0}
    assert one.resolution["people"].model_dump() == {"count": 2, "p50": 600.0, "p90": 600.0}
    assert one.csat.model_dump() == {"count": 4, "average": 3.75, "scores": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2}}
    assert [(i.intent, i.count) for i in one.intents] == [("product_search", 12), ("order_status", 2),
                                                          ("unknown", 2)]
    assert [(g.question, g.count, sorted(g.conversations)) for g in one.gaps] == [
        # Asked as often: the group is titled by the first key in order ("available gift wrapp").
        ("gift wrapping available?", 2, sorted(ids["gap"])), ("Can I pay with Bitcoin?", 1, [ids["resolved"][0]])]
    assert one.gaps[0].wordings == ["Do you offer gift wrapping?"]
    # The range merges the days: counts add up, percentiles come from the merged histograms.
    assert (both.totals.conversations, both.totals.resolved_ai) == (11, 7)
    assert both.first_response["assistant"].model_dump() == {"count": 11, "p50": 2.0, "p90": 5.0}
    assert [(d.day, d.conversations, d.revenue) for d in both.days] == [(DAY, 10, "52.50"),
                                                                       (DAY + timedelta(days=1), 1, "0.00")]


def test_a_roll_up_again_replaces_the_day(db: Database, shop_id: int) -> None:
    _generate(db, shop_id)
    rollup.roll_up(db, shop_id, [DAY])
    Stream(db, shop_id).events("widget_load", 7, T0)
    rollup.roll_up(db, shop_id, [DAY])
    with db.session() as session:
        rows = session.scalars(select(AnalyticsDay).where(AnalyticsDay.shop_id == shop_id)).all()
        assert len(rows) == 1 and rows[0].data["loads"] == 107


def test_another_shops_events_are_not_counted(db: Database, shop_id: int) -> None:
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add(other)
        session.flush()
        other_id = other.id
    _generate(db, other_id)
    rollup.roll_up(db, shop_id, [DAY])
    with db.session() as session:
        assert metrics.report(session, shop_id, DAY, DAY, "EUR").totals.conversations == 0


def test_histogram_percentiles_are_bucket_bounds() -> None:
    counts = histogram.of([0.5, 2, 2, 2, 29, 31, 100000])
    assert histogram.percentile(counts, 0.5) == 2.0
    assert histogram.percentile(counts, 0.7) == 30.0  # rank 5 of 7: 29 s, in the (20, 30] bucket
    assert histogram.percentile(counts, 0.8) == 45.0  # rank 6: 31 s, in the (30, 45] bucket
    assert histogram.percentile(counts, 1.0) == histogram.BOUNDS[-1] * 2
    assert histogram.percentile({}, 0.5) is None


def test_gap_keys_and_groups() -> None:
    assert gaps.key("Do you ship to Canada?") == gaps.key("ship to canada") == "canada ship"
    assert gaps.key("Shipping to Canada!!") == "canada ship"
    assert gaps.key("Is it?") == ""
    groups = gaps.group([("canada ship", "Do you ship to Canada?", 3, [1, 2]), ("canada cost ship", "cost?", 1, [3]),
                         ("bitcoin pay", "pay with bitcoin", 2, [4])])
    assert [(g.text, g.count, g.conversations) for g in groups] == [
        ("Do you ship to Canada?", 4, [1, 2, 3]), ("pay with bitcoin", 2, [4])]


def test_the_roll_up_job_and_its_schedule(db: Database, shop_id: int, redis: Any, settings: Any) -> None:
    from core.assistant.sweeper import schedule_rollups

    svc = Services(settings)
    try:
        Stream(db, shop_id).events("widget_load", 4, datetime.now(timezone.utc))
        assert schedule_rollups(svc, redis) == 1
        assert schedule_rollups(svc, redis) == 0  # once per period, however many workers sweep
        assert run_queued_jobs(svc) == []
    finally:
        svc.close()
    with db.session() as session:
        rows = session.scalars(select(AnalyticsDay).where(AnalyticsDay.shop_id == shop_id)).all()
        assert len(rows) == rollup.RECENT_DAYS and sum(r.data["loads"] for r in rows) == 4


# -- the admin -------------------------------------------------------------------


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/admin/sign-in", data={"email": email, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 302
    return client


@pytest.fixture
def team(db: Database, shop_id: int) -> None:
    for email, role in (("owner@example.com", "owner"), ("agent@example.com", "agent")):
        set_password(db, create_user(db, shop_id, email, role=role).id, PASSWORD)


def test_the_dashboard_draws_the_figures_for_owners_and_agents(app: Flask, db: Database, shop_id: int,
                                                               team: None) -> None:
    ids = _generate(db, shop_id)
    rollup.roll_up(db, shop_id, [DAY])
    for email in ("owner@example.com", "agent@example.com"):
        page = _signed_in(app, email).get("/admin/analytics/?from=2026-03-01&to=2026-03-31")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert html.count("<svg") == 6 and "cdn" not in html.lower() and "<script" not in html
        assert "60%" in html and "52.50 EUR" in html
        assert f'href="/admin/inbox/#c{ids["gap"][0]}"' in html and "gift wrapping available?" in html
        assert ("Roll up now" in html) == (email == "owner@example.com")
    assert app.test_client().get("/admin/analytics/").status_code in (302, 401)


def test_bad_ranges_are_refused_clearly(app: Flask, shop_id: int, team: None) -> None:
    client = _signed_in(app, "agent@example.com")
    assert "dates like" in client.get("/admin/analytics/?from=yesterday").get_data(as_text=True)
    resp = client.get("/admin/api/analytics?from=2026-03-10&to=2026-03-01")
    assert resp.status_code == 400 and "ends before" in resp.get_json()["error"]["message"]
    resp = client.get("/admin/api/analytics?from=2020-01-01&to=2026-03-01")
    assert resp.status_code == 400 and "366" in resp.get_json()["error"]["message"]
    assert client.get("/admin/analytics/export.csv?chart=nope").status_code == 400


def test_csv_exports_hold_the_charts_figures(app: Flask, db: Database, shop_id: int, team: None) -> None:
    _generate(db, shop_id)
    rollup.roll_up(db, shop_id, [DAY])
    client = _signed_in(app, "agent@example.com")
    resp = client.get("/admin/analytics/export.csv?chart=daily&from=2026-03-10&to=2026-03-11")
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][0] == "day" and rows[1][:3] == ["2026-03-10", "10", "6"] and rows[1][-1] == "52.50"
    gap_rows = list(csv.reader(io.StringIO(client.get(
        "/admin/analytics/export.csv?chart=gaps&from=2026-03-10&to=2026-03-10").get_data(as_text=True))))
    assert gap_rows[1][:2] == ["gift wrapping available?", "2"]


def test_the_json_api_follows_its_schema(app: Flask, db: Database, shop_id: int, team: None) -> None:
    _generate(db, shop_id)
    rollup.roll_up(db, shop_id, [DAY])
    client = _signed_in(app, "agent@example.com")
    body = client.get("/admin/api/analytics?from=2026-03-10&to=2026-03-10").get_json()
    assert body["totals"]["resolved_share"] == 0.6 and body["currency"] == "EUR"
    schema = client.get("/admin/api/analytics/schema.json").get_json()
    assert set(schema["required"]) == set(body) and schema["$id"].endswith("schema.json")
    assert metrics.AnalyticsReport.model_validate(body).totals.orders == 3


def test_the_owner_rolls_up_on_demand_and_agents_cannot(app: Flask, db: Database, shop_id: int,
                                                        team: None) -> None:
    owner, agent = _signed_in(app, "owner@example.com"), _signed_in(app, "agent@example.com")
    Stream(db, shop_id).events("widget_load", 2, datetime.now(timezone.utc))

    def post(client: FlaskClient, days: str) -> Any:
        page = client.get("/admin/inbox/").get_data(as_text=True)
        token = re.search(r'csrf[^"]*" content="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
        value = next(g for g in token.groups() if g) if token else ""  # type: ignore[union-attr]
        return client.post("/admin/analytics/rollup", data={"days": days, "csrf_token": value})

    assert post(agent, "30").status_code == 403
    assert post(owner, "0").status_code == 400
    assert post(owner, "²").status_code == 400  # a digit int() cannot read was a 500
    assert post(owner, "2").status_code == 303
    assert run_queued_jobs(app.extensions["storechat"]) == []
    html = owner.get("/admin/analytics/").get_data(as_text=True)
    assert "2 page views" in html


def test_a_long_range_is_drawn_per_week(app: Flask, db: Database, shop_id: int, team: None) -> None:
    _generate(db, shop_id)
    rollup.roll_up(db, shop_id, [DAY, DAY + timedelta(days=1)])
    html = _signed_in(app, "agent@example.com").get("/admin/analytics/?from=2026-01-01&to=2026-06-30").get_data(
        as_text=True)
    assert "Conversations per week" in html
    chart = html.split('id="chart-conversations"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect") == 27  # 2026-01-01 (a Thursday) to 2026-06-30: 26 Mondays and the first days
    assert "2026-03-09: 11</title>" in chart  # the week of Monday 9 March holds both generated days
