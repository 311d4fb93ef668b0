"""The inbox's first page with a big shop: server time and what the browser downloads.

Seeds one shop with N conversations (default 10,000; each with a shopper,
three to six messages, a mix of states, some read by the agent) and times,
in-process through Flask's test client (server time only: no network):

1. ``GET /admin/inbox/``: the page with the first 50 conversations of the
   default view, the tab counts, the team and the socket ticket;
2. ``GET /admin/inbox/api/conversations?view=waiting`` and a text search:
   what the page's script asks for when the agent switches view or searches;
3. ``GET /admin/inbox/api/conversations/<id>``: one conversation in full.

As a baseline in the same run: a bare ``SELECT`` of the same 50 rows
through SQLAlchemy Core (what the listing cannot go below). Then the gzipped
size of the inbox's script and style sheet. Goals (issue 14): first page p99
<= 50 ms, script + style <= 40 KB gzipped.

    .venv/bin/python bench/inbox.py [--conversations 10000] [--rounds 200]
    .venv/bin/python bench/inbox.py --database-url postgresql://postgres@127.0.0.1:5432/storechat_bench

Asserts nothing; prints the figures.
"""
from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from core.accounts.users import create_user, set_password  # noqa: E402
from core.db import Conversation, ConversationRead, Database, Message, Shop, Visitor  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import utcnow  # noqa: E402
from core.settings import load_settings  # noqa: E402

STATIC = Path(__file__).resolve().parents[1] / "core" / "admin" / "static"
LINES = ["do you have this in blue?", "where is my order #1042?", "how long does shipping take",
         "I want to talk to a person", "is the leather jacket waterproof", "thanks!"]


def seed(db: Database, conversations: int, rng: random.Random) -> tuple[int, int]:
    """A shop, its owner, and ``conversations`` conversations; returns (shop id, agent id)."""
    with db.session() as session:
        shop = Shop(name="Bench inbox", platform="csv", site_key=f"sk_inbox_{uuid.uuid4().hex[:10]}")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    owner = create_user(db, shop_id, "owner@bench.example", role="owner")
    set_password(db, owner.id, "bench password 123")
    now = utcnow()
    states = ["ai"] * 6 + ["waiting_human", "human", "closed", "closed"]
    with db.engine.begin() as conn:
        for start in range(0, conversations, 1000):
            batch = range(start, min(start + 1000, conversations))
            visitors = [{"id": f"v{shop_id}_{i}", "shop_id": shop_id, "created_at": now, "last_seen_at": now,
                         "email": f"shopper{i}@example.org" if i % 3 == 0 else None} for i in batch]
            conn.execute(insert(Visitor), visitors)
            rows = []
            for i in batch:
                status = rng.choice(states)
                updated = now - timedelta(seconds=rng.randint(0, 30 * 86400))
                rows.append({"shop_id": shop_id, "visitor_id": f"v{shop_id}_{i}", "status": status,
                             "agent_id": owner.agent_id if status == "human" else None,
                             "last_seq": rng.randint(3, 6), "created_at": updated, "updated_at": updated,
                             "waiting_since": updated if status == "waiting_human" else None})
            conn.execute(insert(Conversation), rows)
        ids = conn.execute(select(Conversation.id, Conversation.last_seq, Conversation.updated_at)
                           .where(Conversation.shop_id == shop_id)).all()
        messages, reads = [], []
        for cid, last_seq, updated in ids:
            for seq in range(1, last_seq + 1):
                messages.append({"conversation_id": cid, "seq": seq, "author": "visitor" if seq % 2 else "assistant",
                                 "text": rng.choice(LINES), "payload": {}, "created_at": updated})
            if cid % 2:
                reads.append({"agent_id": owner.agent_id, "conversation_id": cid, "read_seq": last_seq - 1})
            if len(messages) > 5000:
                conn.execute(insert(Message), messages)
                messages = []
        if messages:
            conn.execute(insert(Message), messages)
        conn.execute(insert(ConversationRead), reads)
    return shop_id, owner.agent_id


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
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from core.app import create_app
    from core.embedded_redis import EmbeddedRedis

    folder = Path(tempfile.mkdtemp(prefix="storechat-bench-inbox-"))
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
    shop_id, agent_id = seed(db, args.conversations, random.Random(7))
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"seeded {args.conversations:,} conversations on {db.dialect} in {time.perf_counter() - started:.1f} s")

    app = create_app(settings)
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/admin/sign-in", data={"email": "owner@bench.example", "password": "bench password 123",
                                                 "csrf_token": token})
    assert signed.status_code == 302, signed.status_code
    one = db.engine.connect().execute(select(Conversation.id).where(Conversation.shop_id == shop_id)
                                      .order_by(Conversation.updated_at.desc()).limit(1)).scalar()

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    def bare() -> None:
        with db.engine.connect() as conn:
            conn.execute(select(Conversation).where(Conversation.shop_id == shop_id, Conversation.status != "closed")
                         .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(51)).all()

    for path in ("/admin/inbox/", "/admin/inbox/api/conversations?view=waiting"):
        get(path)  # warm caches and compiled statements
    rows = [
        ("0  bare SELECT of the first 50 rows (baseline)", timed(bare, args.rounds)),
        ("1  GET /admin/inbox/ (first page)", timed(lambda: get("/admin/inbox/"), args.rounds)),
        ("2  API: waiting view", timed(lambda: get("/admin/inbox/api/conversations?view=waiting"), args.rounds)),
        ("2  API: closed view, page 1", timed(lambda: get("/admin/inbox/api/conversations?view=closed"), args.rounds)),
        ("2  API: text search 'waterproof'", timed(lambda: get("/admin/inbox/api/conversations?view=all&q=waterproof"),
                                                   max(20, args.rounds // 10))),
        ("3  API: one conversation", timed(lambda: get(f"/admin/inbox/api/conversations/{one}"), args.rounds)),
    ]
    print(f"\nserver time, {args.conversations:,} conversations, {db.dialect} (ms)")
    print(f"{'':52} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, t in rows:
        print(f"{label:52} {t['p50']:8.2f} {t['p99']:8.2f} {t['max']:8.2f}")
    size = {name: len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in ("inbox.js", "inbox.css")}
    print(f"\ninbox.js {size['inbox.js']:,} B + inbox.css {size['inbox.css']:,} B gzipped = "
          f"{sum(size.values()):,} B (goal <= 40,960 B)")
    app.extensions["storechat"].close()
    db.dispose()
    redis_server.stop()


if __name__ == "__main__":
    main()
