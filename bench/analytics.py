"""The analytics dashboard with a million events: roll-up time and every dashboard query.

Seeds one shop with ``--events`` rows in ``events`` (default 1,000,000) over
``--days`` days (default 90): conversations with their messages (about four
lines each) and their events (answers by intent, handoffs, ratings, content
gaps, attributed orders), and the widget's loads, opens, triggers and add to
cart, all with a running greeting A/B test's variants. Then it rolls every
day up (timed: what the scheduled job does), and times in-process, through
Flask's test client signed in as the owner (server time only: no network),
every query the dashboard makes:

1. ``GET /admin/analytics/`` (the last 30 days, six SVG charts and tables);
2. the same for 90 and 366 days;
3. ``GET /admin/api/analytics`` for 7, 90 and 366 days;
4. the CSV exports (daily, gaps) for 90 days;
5. ``GET /admin/experiments/`` (the A/B test's results).

Goal (issue 19): p99 <= 200 ms for each, on SQLite and PostgreSQL. The
process runs the web workers' garbage-collection schedule (core/gc_schedule.py);
``--no-gc-schedule`` leaves CPython's automatic full collections on.

    .venv/bin/python bench/analytics.py [--events 1000000] [--days 90] [--rounds 100]
    .venv/bin/python bench/analytics.py --database-url postgresql://postgres@127.0.0.1:5432/storechat_bench

The PostgreSQL database's public schema is DROPPED and made again: give it a
database of its own. Asserts nothing; prints the figures.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text  # noqa: E402

from core.accounts.users import create_user, set_password  # noqa: E402
from core.analytics import experiments, rollup  # noqa: E402
from core.db import Conversation, Database, Event, Message, Shop, Visitor  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import utcnow  # noqa: E402
from core.settings import load_settings  # noqa: E402

INTENTS = ["product_search", "product_info", "availability", "order_status", "shipping", "returns", "greeting"]
GAPS = ["Do you offer gift wrapping?", "gift wrapping available?", "Can I pay with bitcoin?",
        "Is there a store in Berlin?", "do you ship to Iceland", "shipping to iceland?", "student discount?",
        "Do you have a student discount", "can I return a worn item", "how do I wash the wool sweater"]
CHUNK = 10_000
#: Words that vary the gaps' wording: thousands of different questions, as a real shop gets.
THINGS = [f"{colour} {item}" for colour in ("red", "blue", "black", "green", "white", "grey", "navy", "brown")
          for item in ("parka", "boots", "scarf", "beanie", "gloves", "jeans", "shirt", "sweater", "jacket",
                       "socks", "belt", "bag", "cap", "vest", "shorts", "dress", "skirt", "coat", "hoodie", "tee")]


def _gap(rng: random.Random) -> str:
    """One of a few common gaps, or one of ~1,300 rarer questions about a thing."""
    if rng.random() < 0.5:
        return rng.choice(GAPS)
    return rng.choice(("Is the {} vegan?", "Where is the {} made?", "Can I engrave the {}?",
                       "Does the {} come in tall sizes?", "Is there a matching set for the {}?",
                       "Can I rent the {}?", "Is the {} machine washable at 60?", "Do you restock the {}?")
                      ).format(rng.choice(THINGS))


def seed(db: Database, events: int, days: int, rng: random.Random) -> tuple[int, int, int]:
    """A shop, its owner, a running greeting test and about ``events`` events; returns
    (shop id, events stored, conversations)."""
    with db.session() as session:
        shop = Shop(name="Bench analytics", platform="csv", site_key=f"sk_an_{uuid.uuid4().hex[:10]}",
                    currency="EUR")
        session.add(shop)
        session.flush()
        shop_id = shop.id
        e = experiments.create(session, shop, experiments.ExperimentIn.model_validate({
            "name": "Greeting", "target": "greeting", "variants": [
                {"key": "A", "weight": 50, "value": "Hi!"}, {"key": "B", "weight": 50, "value": "Need a hand?"}]}))
        experiments.start(session, e)
        e.started_at = utcnow() - timedelta(days=days)
        eid = str(e.id)
    set_password(db, create_user(db, shop_id, "owner@bench.example", role="owner").id, "bench password 123")
    today = utcnow().date()
    first = datetime.combine(today - timedelta(days=days - 1), dtime.min, tzinfo=timezone.utc)
    # About 4.5 events per conversation; the rest (about 80%) are the widget's.
    conversations = events // 22
    stored = 0
    with db.engine.begin() as conn:
        for start in range(0, conversations, CHUNK // 2):
            batch = range(start, min(start + CHUNK // 2, conversations))
            at = {i: first + timedelta(seconds=rng.randint(0, days * 86400 - 3600)) for i in batch}
            ab = {i: {eid: rng.choice("AB")} for i in batch}
            conn.execute(insert(Visitor), [{"id": f"v{shop_id}_{i}", "shop_id": shop_id, "created_at": at[i],
                                            "last_seen_at": at[i], "context": {"ab": ab[i]}} for i in batch])
            conn.execute(insert(Conversation), [{"shop_id": shop_id, "visitor_id": f"v{shop_id}_{i}",
                                                 "status": "ai", "last_seq": 4, "created_at": at[i],
                                                 "updated_at": at[i]} for i in batch])
            ids = dict(conn.execute(select(Conversation.visitor_id, Conversation.id).where(
                Conversation.shop_id == shop_id, Conversation.visitor_id.in_([f"v{shop_id}_{i}" for i in batch]))
            ).all())
            messages, evs = [], []
            for i in batch:
                cid, t = ids[f"v{shop_id}_{i}"], at[i]
                handed = rng.random() < 0.15
                gap = rng.random() < 0.1
                authors = ["visitor", "assistant", "visitor", "agent" if handed else "assistant"]
                for seq, author in enumerate(authors, 1):
                    messages.append({"conversation_id": cid, "seq": seq, "author": author, "text": "bench line",
                                     "payload": {}, "created_at": t + timedelta(seconds=seq * rng.randint(1, 40))})
                for n in range(2):
                    evs.append({"shop_id": shop_id, "conversation_id": cid, "kind": "assistant_reply",
                                "created_at": t + timedelta(seconds=5 + n),
                                "data": {"intent": "unknown" if gap else rng.choice(INTENTS), "engine": "builtin",
                                         "answered": not gap, "grounded": True}})
                if handed:
                    evs.append({"shop_id": shop_id, "conversation_id": cid, "kind": "handoff",
                                "created_at": t + timedelta(seconds=60), "data": {"reason": "shopper asked"}})
                if gap:
                    evs.append({"shop_id": shop_id, "conversation_id": cid, "kind": "content_gap",
                                "created_at": t + timedelta(seconds=5), "data": {"text": _gap(rng)}})
                if rng.random() < 0.3:
                    evs.append({"shop_id": shop_id, "conversation_id": cid, "kind": "csat",
                                "created_at": t + timedelta(seconds=200), "data": {"score": rng.randint(1, 5)}})
                if rng.random() < 0.08:
                    evs.append({"shop_id": shop_id, "conversation_id": cid, "kind": "order_created",
                                "created_at": t + timedelta(hours=2), "data": {
                                    "order_id": f"o{cid}", "currency": "EUR", "attributed": True,
                                    "total_price": f"{rng.randint(1000, 20000) / 100:.2f}"}})
            conn.execute(insert(Message), messages)
            conn.execute(insert(Event), evs)
            stored += len(evs)
        kinds = ["widget_load"] * 16 + ["widget_open"] * 3 + ["trigger_fired", "add_to_cart"]
        while stored < events:
            rows = []
            for _ in range(min(CHUNK, events - stored)):
                kind = rng.choice(kinds)
                data: dict = {"ab": {eid: rng.choice("AB")}}
                if kind == "trigger_fired":
                    data["trigger"] = 0
                elif kind == "add_to_cart":
                    data["product_id"] = f"p{rng.randint(1, 300)}"
                rows.append({"shop_id": shop_id, "kind": kind, "data": data,
                             "created_at": first + timedelta(seconds=rng.randint(0, days * 86400 - 1))})
            conn.execute(insert(Event), rows)
            stored += len(rows)
    return shop_id, stored, conversations


def timed(fn, rounds: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p99": samples[max(0, int(len(samples) * 0.99) - 1)],
            "max": samples[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-gc-schedule", action="store_true",
                        help="leave CPython's automatic full collections on (a web worker turns them off)")
    args = parser.parse_args()

    from core.app import create_app
    from core.embedded_redis import EmbeddedRedis

    folder = Path(tempfile.mkdtemp(prefix="storechat-bench-analytics-"))
    redis_server = EmbeddedRedis(folder / "redis.db")
    redis_server.start()
    settings = load_settings(instance_path=folder, database_url=args.database_url, redis_url=redis_server.url,
                             secret_key="bench-" + "x" * 40)
    db = Database(settings)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(db.engine)
    started = time.perf_counter()
    shop_id, stored, conversations = seed(db, args.events, args.days, random.Random(19))
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with db.session() as session:
        counted = session.scalar(select(func.count()).select_from(Event).where(Event.shop_id == shop_id))
    print(f"seeded {counted:,} events ({conversations:,} conversations) over {args.days} days on {db.dialect} "
          f"in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rolled = rollup.roll_up(db, shop_id, rollup.days_back(args.days))
    took = time.perf_counter() - started
    print(f"rolled up {rolled} days in {took:.1f} s ({took / rolled * 1000:.0f} ms a day; the scheduled job "
          f"does the last {rollup.RECENT_DAYS} every {rollup.EVERY // 60} minutes)")

    app = create_app(settings)
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/admin/sign-in", data={"email": "owner@bench.example", "password": "bench password 123",
                                                 "csrf_token": token})
    assert signed.status_code == 302, signed.status_code
    today = utcnow().date()

    def span(n: int) -> str:
        return f"from={today - timedelta(days=n - 1)}&to={today}"

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    queries = [
        ("1  GET /admin/analytics/ (30 days)", "/admin/analytics/"),
        ("2  GET /admin/analytics/ (90 days)", f"/admin/analytics/?{span(90)}"),
        ("2  GET /admin/analytics/ (366 days)", f"/admin/analytics/?{span(366)}"),
        ("3  GET /admin/api/analytics (7 days)", f"/admin/api/analytics?{span(7)}"),
        ("3  GET /admin/api/analytics (90 days)", f"/admin/api/analytics?{span(90)}"),
        ("3  GET /admin/api/analytics (366 days)", f"/admin/api/analytics?{span(366)}"),
        ("4  CSV daily (90 days)", f"/admin/analytics/export.csv?chart=daily&{span(90)}"),
        ("4  CSV content gaps (90 days)", f"/admin/analytics/export.csv?chart=gaps&{span(90)}"),
        ("5  GET /admin/experiments/", "/admin/experiments/"),
    ]
    for _, path in queries:
        get(path)  # warm caches and compiled statements
    if not args.no_gc_schedule:
        # As in every web worker (core/web_server.py): full collections on a schedule of their own,
        # not in the middle of a request (without it, a full pass over the seeding's survivors
        # lands in about one request in fifty).
        from core.gc_schedule import GcSchedule

        GcSchedule().start()
    print(f"\nserver time, {counted:,} events, {db.dialect} (ms; goal p99 <= 200)")
    print(f"{'':44} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, path in queries:
        t = timed(lambda path=path: get(path), args.rounds)
        print(f"{label:44} {t['p50']:8.2f} {t['p99']:8.2f} {t['max']:8.2f}{'' if t['p99'] <= 200 else '  MISSED'}")
    app.extensions["storechat"].close()
    db.dispose()
    redis_server.stop()


if __name__ == "__main__":
    main()
