"""Export and erasure: after a shopper's (or a shop's) redaction, nothing of
them is left in ANY table of the schema, search index tables included;
everyone else's data is untouched. The tables are taken from the models, so
a new table is covered (or this test fails) without anyone remembering it."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, select, text

from core import privacy
from core.analytics import experiments, rollup
from core.catalog import search
from core.catalog.sync import upsert_documents, upsert_products
from core.connector import DocumentRecord, ProductRecord, VariantRecord
from core.db import (
    Agent,
    AuditLog,
    Base,
    CannedReply,
    Conversation,
    ConversationRead,
    Database,
    Event,
    Experiment,
    Message,
    Note,
    NotificationDelivery,
    Shop,
    SyncRun,
    User,
    Visitor,
    WebhookDelivery,
)
from core.db.models import PlatformStaff
from tests.core.test_cli import Cli, cli  # noqa: F401 - fixture

SHOPPER_EMAIL = "Xavier.Quill@example.com"
SHOPPER_ID = "cust-7731-xq"
SHOPPER_MARKERS = ("xavier.quill@example.com", SHOPPER_ID, "ZEBRA-PRIVATE-LINE", "vis-xavier-")


def _fill_shop(db: Database, tag: str) -> int:
    """A shop with a row in every table: catalog, content, search, chats, agents, runs, deliveries."""
    with db.session() as session:
        shop = Shop(name=f"{tag} Outfitters", platform="csv", platform_ref=f"{tag}-ref", site_key=f"sk_{tag}",
                    connector_config={"csv_path": f"/{tag}.csv"})
        session.add(shop)
        session.flush()
        products = upsert_products(session, shop.id, [ProductRecord(
            external_id=f"{tag}-p1", handle=f"{tag}-parka", title=f"{tag} Parka",
            variants=(VariantRecord(external_id=f"{tag}-v1", title="S", price=Decimal("50")),))])
        search.index_products(session, products)
        docs = upsert_documents(session, shop.id, [DocumentRecord(
            external_id=f"{tag}-d1", kind="policy", title=f"{tag} Returns", body=f"{tag} returns within 30 days")])
        search.index_documents(session, docs)
        session.add(SyncRun(shop_id=shop.id, status="finished"))
        agent = Agent(name=f"{tag} Agent", shop_id=shop.id, credential_hash=f"{tag:0<64}"[:64])
        session.add(agent)
        session.add(WebhookDelivery(platform="csv", delivery_id=f"{tag}-d", shop_id=shop.id, topic="x"))
        session.add(CannedReply(shop_id=shop.id, shortcut="hi", text=f"{tag} hello"))
        session.flush()
        user = User(shop_id=shop.id, email=f"owner@{tag}.example", role="owner", agent_id=agent.id)
        session.add(user)
        session.flush()
        session.add(PlatformStaff(shop_id=shop.id, platform="shopify", staff_id=f"{tag}-staff", user_id=user.id))
        session.add(AuditLog(shop_id=shop.id, user_id=user.id, action="settings.widget", ip="203.0.113.9",
                             detail={"changes": {"greeting": [None, f"{tag} hello"]}}))
        session.flush()
        _chat(session, shop.id, f"vis-{tag}-anon", None, None, f"{tag} anonymous question")
        experiments.create(session, shop, experiments.ExperimentIn.model_validate({
            "name": f"{tag} greeting", "target": "greeting", "variants": [
                {"key": "A", "weight": 1, "value": f"{tag} hi"}, {"key": "B", "weight": 1, "value": "hey"}]}))
        return shop.id


def _chat(session: Any, shop_id: int, visitor_id: str, email: str | None, customer: str | None, line: str) -> None:
    session.add(Visitor(id=visitor_id, shop_id=shop_id, email=email, customer_ref=customer))
    session.flush()
    conversation = Conversation(shop_id=shop_id, visitor_id=visitor_id, last_seq=1)
    session.add(conversation)
    session.flush()
    # The opaque tag of the address they wrote from (core/chat/service.py): order lookups count failures by it.
    session.add(Message(conversation_id=conversation.id, seq=1, author="visitor", text=line,
                        payload={"client": f"tag{visitor_id}"}))
    session.add(Event(shop_id=shop_id, conversation_id=conversation.id, kind="csat", data={"score": 5}))
    # A question the assistant could not answer: its words are kept, and rolled up as a content gap.
    session.add(Event(shop_id=shop_id, conversation_id=conversation.id, kind="content_gap", data={"text": line}))
    # What the team does with a conversation names the shopper too: notes, read state, emails.
    agent = session.scalar(select(Agent.id).where(Agent.shop_id == shop_id).limit(1))
    session.add(Note(conversation_id=conversation.id, agent_id=agent, text=f"note on {visitor_id}: {line}"))
    session.add(ConversationRead(agent_id=agent, conversation_id=conversation.id, read_seq=1))
    session.add(NotificationDelivery(shop_id=shop_id, conversation_id=conversation.id, kind="reply",
                                     channel="email", target=email or f"{visitor_id}@team.example",
                                     content={"subject": f"about {line}"}))


def _dump(db: Database) -> dict[str, list[str]]:
    """Every row of every table, as text."""
    tables: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = [repr(tuple(row)) for row in conn.execute(select(table))]
        for name in privacy.SEARCH_TABLES:
            tables[name] = [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {name}"))]
    return tables


def _rows_of_shop(db: Database, shop_id: int) -> dict[str, int]:
    """Rows that belong to the shop, per table: by shop_id, or through the parent row's shop."""
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = conn.scalar(text(f"SELECT count(*) FROM {table.name} WHERE {_owner(table)}"),
                                             {"shop": shop_id})
        for name in privacy.SEARCH_TABLES:
            counts[name] = conn.scalar(text(f"SELECT count(*) FROM {name} WHERE shop_id = :shop"), {"shop": shop_id})
    return counts


def _owner(table: Table) -> str:
    if table.name == "shops":
        return "id = :shop"
    if "shop_id" in table.c:
        return "shop_id = :shop"
    # variants -> products, messages -> conversations; in a fixed order (a set's varies between runs)
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if "shop_id" in parent.c:
            return f"{fk.parent.name} IN (SELECT id FROM {parent.name} WHERE shop_id = :shop)"
    raise AssertionError(f"table {table.name} has no way to its shop: privacy.py must learn about it")


@pytest.fixture
def shops(db: Database) -> tuple[int, int]:
    a, b = _fill_shop(db, "aardvark"), _fill_shop(db, "bison")
    with db.session() as session:
        _chat(session, a, "vis-xavier-1", SHOPPER_EMAIL, None, "ZEBRA-PRIVATE-LINE my address is 1 Elm St")
        _chat(session, a, "vis-xavier-2", None, SHOPPER_ID, "where is ZEBRA-PRIVATE-LINE order")
        _chat(session, a, "vis-yolanda-1", "yolanda@example.com", "cust-other", "yolanda keeps her line")
    for shop_id in (a, b):  # the analytics days count everyone's conversations and gaps
        rollup.roll_up_recent(db, shop_id, 1)
    return a, b


def test_every_table_is_filled_by_the_fixture(db: Database, shops: tuple[int, int]) -> None:
    """Guards the other tests: a table this fixture leaves empty would prove nothing."""
    a, _ = shops
    empty = [name for name, count in _rows_of_shop(db, a).items() if count == 0]
    assert empty == []


def test_export_holds_the_shoppers_chats_and_no_one_elses(db: Database, shops: tuple[int, int]) -> None:
    a, _ = shops
    export = privacy.export_shopper(db, a, privacy.Shopper(email="xavier.quill@EXAMPLE.com", customer_id=SHOPPER_ID),
                                    request_id="req-1")
    assert sorted(v["id"] for v in export["visitors"]) == ["vis-xavier-1", "vis-xavier-2"]
    lines = [m["text"] for c in export["conversations"] for m in c["messages"]]
    assert len(lines) == 2 and all("ZEBRA-PRIVATE-LINE" in line for line in lines)
    assert "yolanda" not in repr(export)
    with db.session() as session:
        [event] = session.scalars(select(Event).where(Event.kind == privacy.EXPORT_EVENT))
        assert event.shop_id == a and event.data["request_id"] == "req-1"
        assert event.data["export"]["visitors"] == export["visitors"]


def test_shopper_redaction_leaves_nothing_of_them_in_any_table(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    privacy.export_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL), request_id="req-1")  # an earlier export
    before_b = _rows_of_shop(db, b)
    assert any("ZEBRA-PRIVATE-LINE" in row for rows in _dump(db).values() for row in rows)

    assert privacy.redact_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL.upper(), customer_id=SHOPPER_ID)) == 2

    for table, rows in _dump(db).items():
        for row in rows:
            for marker in SHOPPER_MARKERS:
                assert marker not in row.lower() and marker not in row, f"{marker!r} left in {table}: {row}"
    dump = repr(_dump(db))
    assert "yolanda keeps her line" in dump and "aardvark anonymous question" in dump
    assert _rows_of_shop(db, b) == before_b


def test_shopper_redaction_without_a_name_deletes_nothing(db: Database, shops: tuple[int, int]) -> None:
    a, _ = shops
    before = _dump(db)
    assert privacy.redact_shopper(db, a, privacy.Shopper()) == 0
    assert _dump(db) == before


def test_shopper_of_another_shop_is_not_touched(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    assert privacy.redact_shopper(db, b, privacy.Shopper(email=SHOPPER_EMAIL, customer_id=SHOPPER_ID)) == 0
    assert "ZEBRA-PRIVATE-LINE" in repr(_dump(db))


def test_shop_redaction_leaves_nothing_of_the_shop_in_any_table(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    before_b = _rows_of_shop(db, b)
    privacy.redact_shop(db, a)
    assert set(_rows_of_shop(db, a).values()) == {0}
    for table, rows in _dump(db).items():
        for row in rows:
            assert "aardvark" not in row.lower() and "xavier" not in row.lower(), f"left in {table}: {row}"
    assert _rows_of_shop(db, b) == before_b
    with db.session() as session:
        assert [h.id for h in search.search_products(session, b, "bison parka")]
    privacy.redact_shop(db, a)  # a repeated request is harmless


# ---- retention (Settings > Privacy)


def _age(db: Database, visitor_prefix: str, days: int) -> None:
    """Make the conversations and visitors starting with ``visitor_prefix`` ``days`` days old."""
    from datetime import timedelta

    from core.db.models import utcnow

    then = utcnow() - timedelta(days=days)
    with db.session() as session:
        for conversation in session.scalars(select(Conversation).where(Conversation.visitor_id.like(f"{visitor_prefix}%"))):
            conversation.updated_at = then
        for visitor in session.scalars(select(Visitor).where(Visitor.id.like(f"{visitor_prefix}%"))):
            visitor.last_seen_at = then


def test_retention_erases_what_is_older_than_the_shops_days(db: Database, shops: tuple[int, int], redis: Any) -> None:
    a, b = shops
    _age(db, "vis-xavier-", 40)
    _age(db, "vis-bison-", 400)  # shop b keeps everything: no retention set
    with db.session() as session:
        session.get(Shop, a).settings = {"privacy": {"retention_days": 30}}
    before_b = _rows_of_shop(db, b)

    assert privacy.expire_if_due(db, redis) == {a: (2, 2)}
    dump = repr(_dump(db))
    assert "ZEBRA-PRIVATE-LINE" not in dump and "xavier" not in dump.lower()
    assert "yolanda keeps her line" in dump and "aardvark anonymous question" in dump  # recent: kept
    assert _rows_of_shop(db, b) == before_b
    # Once an hour, whichever process asks first.
    assert privacy.expire_if_due(db, redis) is None


# ---- a shopper erased everywhere: every table and every Redis key (core/privacy_live.py)

TWIN_LINE = "bison twin keeps his line"


@pytest.fixture
def twin(db: Database, shops: tuple[int, int]) -> tuple[int, int]:
    """The same shopper (same email and customer id) chatting with shop b too: b's, untouched."""
    a, b = shops
    with db.session() as session:
        _chat(session, b, "vis-xavier-b1", SHOPPER_EMAIL, SHOPPER_ID, TWIN_LINE)
    return a, b


def _rows_by_shop(db: Database, shop_id: int) -> dict[str, list[str]]:
    """Every row of the shop in every table of the schema (and the search tables), as text."""
    rows: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted(repr(tuple(r)) for r in conn.execute(
                text(f"SELECT * FROM {table.name} WHERE {_owner(table)}"), {"shop": shop_id}))
        for name in privacy.SEARCH_TABLES:
            rows[name] = sorted(repr(tuple(r)) for r in conn.execute(
                text(f"SELECT * FROM {name} WHERE shop_id = :shop"), {"shop": shop_id}))
    return rows


def _ids(db: Database, shop_id: int, visitor_id: str) -> tuple[int, int]:
    """(conversation id, notification delivery id) of a visitor's chat."""
    with db.session() as session:
        conversation = session.scalar(select(Conversation.id).where(Conversation.visitor_id == visitor_id))
        delivery = session.scalar(select(NotificationDelivery.id)
                                  .where(NotificationDelivery.conversation_id == conversation))
        return conversation, delivery


def _webhook_pk(db: Database, shop_id: int) -> int:
    with db.session() as session:
        return session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.shop_id == shop_id))


def _leave_traces(redis: Any, db: Database, shop_id: int, visitor_id: str, email: str | None,
                  customer: str | None, webhook_customer: Any) -> None:
    """What a shopper's chatting leaves in Redis, through the code that leaves it: rate
    buckets, failed order lookups (by email, customer id and address), presence, the
    sweeper's and typing marks, and jobs in every state (queued, scheduled, failed, finished)."""
    from datetime import timedelta

    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from core import jobs
    from core.assistant.tools.orders import Guesses
    from core.chat.presence import Presence
    from core.security.rate_limit import Attempts, Backoff, Limits

    conversation, delivery = _ids(db, shop_id, visitor_id)
    Limits(redis).take(f"visitor:{visitor_id}", rate=0.001, burst=5)  # as ChatService.visitor_buckets names it
    guesses = Guesses(Attempts(redis, Backoff(free=3, wait=1, lock_after=10, lock=60, window=3600)),
                      client=f"tag{visitor_id}")
    for who in ({"email": email, "customer_id": None}, {"email": None, "customer_id": customer}):
        if who["email"] or who["customer_id"]:
            guesses.attempts.attempt(guesses.keys(shop_id, **who))
    Presence(redis, ttl=3600).visitor_beat(shop_id, conversation, f"conn-{visitor_id}")
    redis.set(f"sc:swept:{conversation}:90001", 1, ex=3600)  # core/assistant/sweeper.py
    redis.set(f"sc:typing:v:{conversation}", 1, px=600_000)  # core/chat/service.py, the shopper's
    redis.set(f"sc:typing:a7:{conversation}", 1, px=600_000)  # and an agent's typing in their chat

    jobs.enqueue_assistant_reply(redis, conversation, 90001)  # queued
    jobs.enqueue_shopper_email(redis, conversation, timedelta(hours=1))  # scheduled
    alert = jobs.enqueue_team_alert(redis, conversation, "contact", email)
    deliver = jobs.queue(jobs.ASSISTANT, redis).enqueue(jobs.deliver_notification, delivery)
    # A number equal to another shopper's customer id elsewhere in the payload names no one.
    payload = {"customer": {"id": webhook_customer, "email": email},
               "line_items": [{"title": "Parka", "product_id": 77310, "quantity": 1}]}
    hook = jobs.queue(jobs.DEFAULT, redis).enqueue(jobs.process_webhook, _webhook_pk(db, shop_id), {
        "topic": "orders/create", "delivery_id": f"d-{visitor_id}", "payload": payload})
    for job, registry, status in ((deliver, FailedJobRegistry, JobStatus.FAILED),
                                  (hook, FailedJobRegistry, JobStatus.FAILED),
                                  (alert, FinishedJobRegistry, JobStatus.FINISHED)):
        queue = jobs.queue(job.origin, redis)
        queue.remove(job)
        job.set_status(status)
        registry(queue=queue).add(job, ttl=3600)


def _redis_state(redis: Any) -> dict[str, Any]:
    """Every key of the Redis db with what it holds (sorted-set members without their scores:
    presence and registries score by time), and every job's arguments as RQ reads them."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    state: dict[str, Any] = {}
    for raw in redis.scan_iter(count=1000):
        key = raw.decode()
        kind = redis.type(key).decode()
        if kind == "string":
            value: Any = redis.get(key)
        elif kind == "hash":
            value = sorted(redis.hgetall(key).items())
        elif kind == "zset":
            value = sorted(redis.zrange(key, 0, -1))
        elif kind == "set":
            value = sorted(redis.smembers(key))
        elif kind == "list":
            value = redis.lrange(key, 0, -1)
        elif kind == "stream":
            value = [fields for _, fields in redis.xrange(key)]
        else:
            raise AssertionError(f"a Redis key of type {kind} this test cannot read: {key}")
        state[key] = (kind, repr(value))
        if key.startswith("rq:job:") and key.count(":") == 2:
            job = Job.fetch(key[len("rq:job:"):], connection=redis, serializer=JSONSerializer)
            state[key + " (args)"] = repr((job.func_name, job.args))
    return state


def _redis_text(state: dict[str, Any]) -> str:
    return repr(sorted(state.items()))


@pytest.fixture
def traced(db: Database, twin: tuple[int, int], redis: Any) -> tuple[int, int, dict[str, Any]]:
    """Redis holding the traces of Yolanda (a's), the twin (b's) and others, then Xavier's (a's):
    returns the shops and the state before Xavier's, which an erasure must give back exactly."""
    a, b = twin
    redis.set(privacy.RETENTION_LOCK, 1, ex=3600)
    _leave_traces(redis, db, a, "vis-yolanda-1", "yolanda@example.com", "cust-other", "cust-other")
    _leave_traces(redis, db, b, "vis-xavier-b1", SHOPPER_EMAIL, SHOPPER_ID, SHOPPER_ID)
    before = _redis_state(redis)
    _leave_traces(redis, db, a, "vis-xavier-1", SHOPPER_EMAIL, None, None)
    # His second visitor (a signed-in one): the customer id, as a platform's payload has it (a number).
    with db.session() as session:
        session.get(Visitor, "vis-xavier-2").customer_ref = "77310"
    _leave_traces(redis, db, a, "vis-xavier-2", None, "77310", 77310)
    return a, b, before


def test_erasure_leaves_nothing_of_the_shopper_in_any_table_or_redis_key(
        db: Database, traced: tuple[int, int, dict[str, Any]], redis: Any) -> None:
    a, b, before = traced
    privacy.export_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL), request_id="req-1")  # an earlier export
    rows_b = _rows_by_shop(db, b)
    with_him = _redis_state(redis)
    added = set(with_him) - set(before)
    # Guards the proof: his traces are there, of every kind, and named by what names him.
    for expected in ("sc:rl:visitor:vis-xavier-1", "sc:rl:visitor:vis-xavier-2", f"sc:fails:orders:{a}:customer:77310",
                     f"sc:fails:orders:{a}:client:tagvis-xavier-1", "sc:presence:conversation:"):
        assert any(key.startswith(expected) for key in added), expected
    assert sum(key.endswith("(args)") for key in added) == 10
    assert "ZEBRA-PRIVATE-LINE" in repr(_rows_by_shop(db, a))

    erased = privacy.erase_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL.upper(), customer_id="77310"),
                                   redis=redis)

    assert (erased.visitors, erased.conversations, erased.jobs) == (2, 2, 10)
    # Redis: exactly what it held without him, every key and member, Yolanda's and the twin's included.
    assert _redis_state(redis) == before
    # Every table: nothing of him in shop a; Yolanda's and the anonymous chat kept; shop b as it was.
    rows_a = _rows_by_shop(db, a)
    for table, rows in rows_a.items():
        for row in rows:
            for marker in (*SHOPPER_MARKERS, "77310", "tagvis-xavier"):
                assert marker not in row.lower() and marker not in row, f"{marker!r} left in {table}: {row}"
    assert "yolanda keeps her line" in repr(rows_a) and "aardvark anonymous question" in repr(rows_a)
    assert _rows_by_shop(db, b) == rows_b
    assert TWIN_LINE in repr(rows_b)


def test_erasure_by_customer_id_alone_finds_his_signed_in_visitor(
        db: Database, traced: tuple[int, int, dict[str, Any]], redis: Any) -> None:
    a, _, before = traced
    erased = privacy.erase_shopper(db, a, privacy.Shopper(customer_id="77310"), redis=redis)
    assert (erased.visitors, erased.conversations) == (1, 1)
    state = _redis_state(redis)
    assert not [k for k in state if "vis-xavier-2" in k or k.endswith(":customer:77310")]
    assert any("vis-xavier-1" in k for k in state)  # his email-only visitor was not named
    assert set(before) <= set(state)  # Yolanda's and the twin's untouched


def test_the_running_job_is_left_alone(db: Database, traced: tuple[int, int, dict[str, Any]], redis: Any) -> None:
    """The erasure may run inside a job naming him (a platform's redact webhook): not deleted under itself."""
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    a, _, _ = traced
    conversation, _ = _ids(db, a, "vis-xavier-1")
    every = [Job.fetch(k.decode()[len("rq:job:"):], connection=redis, serializer=JSONSerializer)
             for k in redis.scan_iter("rq:job:*") if k.decode().count(":") == 2]
    [running] = [j for j in every if j.func_name.endswith("assistant_reply") and j.args[0] == conversation]
    running.set_status(JobStatus.STARTED)
    erased = privacy.erase_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL), redis=redis)
    assert erased.jobs == 4  # his other jobs of that visitor
    assert Job.exists(running.id, connection=redis)


def test_export_holds_everything_about_him_and_nothing_of_anyone_else(
        db: Database, traced: tuple[int, int, dict[str, Any]], redis: Any) -> None:
    a, _, _ = traced
    privacy.export_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL), request_id="req-9")  # an earlier one
    export = privacy.export_shopper(db, a, privacy.Shopper(email="xavier.quill@example.COM", customer_id="77310"),
                                    record=False, redis=redis)
    assert [v["id"] for v in sorted(export["visitors"], key=lambda v: v["id"])] == ["vis-xavier-1", "vis-xavier-2"]
    [with_email] = [v for v in export["visitors"] if v["id"] == "vis-xavier-1"]
    assert with_email["email"] == SHOPPER_EMAIL
    conversations = export["conversations"]
    assert len(conversations) == 2
    assert all(c["messages"][0]["text"].count("ZEBRA-PRIVATE-LINE") == 1 for c in conversations)
    assert {e["kind"] for c in conversations for e in c["events"]} == {"csat", "content_gap"}
    assert all(c["team_notes"][0]["text"].startswith("note on vis-xavier-") for c in conversations)
    assert sorted(n["to"] for n in export["notifications"]) == [SHOPPER_EMAIL, "vis-xavier-2@team.example"]
    assert [e["request_id"] for e in export["earlier_exports"]] == ["req-9"]
    live = export["redis"]
    assert "sc:rl:visitor:vis-xavier-1" in live["keys"] and f"sc:fails:orders:{a}:customer:77310" in live["keys"]
    assert len(live["jobs"]) == 10
    assert {j["function"].rsplit(".", 1)[1] for j in live["jobs"]} == {
        "assistant_reply", "notify_shopper", "notify_team", "deliver_notification", "process_webhook"}
    assert sorted(j["status"] for j in live["jobs"]) == ["failed"] * 4 + ["finished"] * 2 + ["queued"] * 2 + [
        "scheduled"] * 2
    text_of = repr(export)
    assert "yolanda" not in text_of and TWIN_LINE not in text_of and "vis-xavier-b1" not in text_of
    # Handed over directly: no new copy stored (only the earlier one).
    with db.session() as session:
        assert len(session.scalars(select(Event).where(Event.kind == privacy.EXPORT_EVENT)).all()) == 1


# ---- storechat privacy export|delete


def _audit_rows(db: Database, shop_id: int) -> list[AuditLog]:
    with db.session() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.shop_id == shop_id,
                                                           AuditLog.action.like("privacy.%")).order_by(AuditLog.id)))


def test_cli_export_writes_his_data_as_json(db: Database, traced: tuple[int, int, dict[str, Any]], cli: Cli,
                                           tmp_path: Any) -> None:
    import json
    import stat

    a, _, _ = traced
    result = cli("privacy", "export", str(a), "--email", SHOPPER_EMAIL, "--customer-id", "77310")
    assert result.exit_code == 0, result.output
    export = json.loads(result.stdout)
    assert sorted(v["id"] for v in export["visitors"]) == ["vis-xavier-1", "vis-xavier-2"]
    assert "sc:rl:visitor:vis-xavier-2" in export["redis"]["keys"] and len(export["redis"]["jobs"]) == 10
    assert "yolanda" not in result.stdout and TWIN_LINE not in result.stdout

    out = tmp_path / "xavier.json"
    result = cli("privacy", "export", "sk_aardvark", "--email", SHOPPER_EMAIL.lower(), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "1 visitor(s) and 1 conversation(s)" in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [v["id"] for v in json.loads(out.read_text())["visitors"]] == ["vis-xavier-1"]
    # Audited, naming him only masked; no copy stored as an event.
    rows = _audit_rows(db, a)
    assert [r.action for r in rows] == ["privacy.export", "privacy.export"]
    assert rows[0].detail == {"shopper": {"email": "X***@example.com", "customer_id": "77***"},
                              "by": "command line", "visitors": 2, "conversations": 2}
    with db.session() as session:
        assert not session.scalars(select(Event).where(Event.kind == privacy.EXPORT_EVENT)).all()


def test_cli_delete_erases_him_everywhere(db: Database, traced: tuple[int, int, dict[str, Any]], cli: Cli,
                                         redis: Any) -> None:
    a, b, before = traced
    rows_b = _rows_by_shop(db, b)
    from click.testing import CliRunner

    from core.cli import main

    declined = CliRunner(env=cli.env).invoke(main, ["privacy", "delete", str(a), "--email", SHOPPER_EMAIL],
                                             input="n\n", prog_name="storechat")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "ZEBRA-PRIVATE-LINE" in repr(_rows_by_shop(db, a)) and _audit_rows(db, a) == []

    result = cli("privacy", "delete", str(a), "--email", SHOPPER_EMAIL, "--customer-id", "77310", "--yes")
    assert result.exit_code == 0, result.output
    said = re.fullmatch(rf"deleted 2 visitor\(s\), 2 conversation\(s\), (\d+) Redis key\(s\) and 10 job\(s\) "
                        rf"of the shopper in shop {a}\n", result.stdout)
    # Per visitor: 7 keys (rate, 2 order-lookup counts, presence, swept, 2 typing) and a presence entry.
    assert said and int(said.group(1)) == 16, result.stdout
    assert _redis_state(redis) == before
    assert "ZEBRA-PRIVATE-LINE" not in repr(_rows_by_shop(db, a)) and _rows_by_shop(db, b) == rows_b
    [row] = _audit_rows(db, a)
    assert (row.action, row.user_id, row.detail["shopper"], row.detail["visitors"], row.detail["jobs"]) == (
        "privacy.delete", None, {"email": "X***@example.com", "customer_id": "77***"}, 2, 10)


@pytest.mark.parametrize(("args", "error"), [
    (["nope", "--email", SHOPPER_EMAIL], "Error: no shop with id, site key or name 'nope'"),
    (["sk_aardvark"], "Error: name the shopper: give --email, --customer-id, or both"),
    (["sk_aardvark", "--email", "  "], "Error: name the shopper: give --email, --customer-id, or both"),
    (["sk_aardvark", "--email", "xavier"], "Error: --email 'xavier' is not an email address"),
])
@pytest.mark.parametrize("command", ["export", "delete"])
def test_cli_bad_arguments_are_named(db: Database, shops: tuple[int, int], cli: Cli, command: str,
                                     args: list[str], error: str) -> None:
    before = _dump(db)
    result = cli("privacy", command, *args, "--yes") if command == "delete" else cli("privacy", command, *args)
    assert (result.exit_code, result.stderr) == (1, error + "\n")
    assert _dump(db) == before
