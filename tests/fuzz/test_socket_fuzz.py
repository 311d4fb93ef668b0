"""Both sockets (docs/protocol.md) fed generated frames: valid-shaped ones, and
malformed ones (wrong types, odd and huge unicode, NUL, lone surrogates,
missing and extra fields, non-objects, binary frames). Each frame is answered
with a documented error frame or acted on; the socket never dies; a refused
frame stores nothing; and the database holds no half-written conversation.

One live socket takes many frames; after each, a marker frame (an unknown
type naming a counter) comes back as ``unknown_frame``, so everything the
server sent between the two is exactly its answer to the generated frame."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.agents import create_agent
from core.app import create_app
from core.chat.messages import VISITOR_ID_PREFIX
from core.db import Database, Message, Shop
from core.db.models import Note
from tests.fuzz import invariants
from tests.fuzz.strategies import dumps, fuzz_settings, json_values, mutated, texts
from tests.live import serve
from tests.wsclient import AgentClient, VisitorClient

SITE_KEY = "sk_fuzz"
#: Every ``error`` code a socket may send after its hello (docs/protocol.md, "Error codes"), none fatal.
VISITOR_ERRORS = {"invalid_json", "unknown_frame", "bad_frame", "frame_too_large", "empty_message",
                  "message_too_long", "rate_limited", "contact_limit", "no_conversation", "unexpected_frame",
                  "unknown_conversation"}
AGENT_ERRORS = {"invalid_json", "unknown_frame", "bad_frame", "frame_too_large", "empty_message",
                "message_too_long", "rate_limited", "unexpected_frame", "unknown_conversation",
                "conversation_closed", "transition_refused", "not_owner"}
VISITOR_FRAMES = {"welcome", "message", "ack", "delta", "conversation", "typing", "rated", "contact_saved", "error",
                  "pong"}
AGENT_FRAMES = {"welcome", "message", "ack", "error", "pong", "conversation", "note", "typing", "read", "presence",
                "delta"}
#: Frames over 4x the 16 KiB limit close the socket (1009, documented); the suite stays under it.
MAX_SENT = 60 * 1024
#: Cases between two database checks.
BATCH = 100


@pytest.fixture
def live(settings: Any, db: Database, redis: Any) -> Iterator[tuple[str, Database, Shop]]:
    # Limits out of reach: the cases are about input, not rates (rate_limited is still accepted).
    for name in ("visitor_message", "ip_message", "agent_message"):
        setattr(settings, f"{name}_rate", 100_000.0)
        setattr(settings, f"{name}_burst", 1_000_000)
    settings.max_connections_per_ip = 100_000
    with db.session() as session:
        shop = Shop(name="Fuzz Shop", platform="csv", site_key=SITE_KEY, connector_config={})
        session.add(shop)
    app = create_app(settings)
    with serve(app) as url:
        yield url, db, shop
    app.extensions["storechat"].close()


def ints() -> st.SearchStrategy[Any]:
    """Numbers a client may send for an id or seq: small, edge, out of range, or not integers."""
    return st.one_of(st.integers(min_value=-3, max_value=8), st.sampled_from([0, 2**31 - 1, 2**31, 2**63, -2**63]),
                     st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                     st.integers(min_value=1, max_value=5).map(str))


def client_ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.uuids().map(lambda u: u.hex), texts(64), st.just("reply:1"))


def emails() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(["a@b.co", "shopper@example.com", "a" * 310 + "@b.co", "a@b", "@b.co"]),
                     texts(320), st.builds(lambda a, b: f"{a}@{b}.example", texts(10), texts(10)))


#: A/B experiment ids and variant keys: valid (1-32 of letters, digits, - and _) and not.
AB_NAMES = ["a", "exp-1", "B_2", "x" * 32, "x" * 33, "", "has space", "\u00e9", "\x00"]


def hello_fields() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "site_key": st.one_of(st.just(SITE_KEY), texts(64)), "token": st.one_of(st.none(), texts(512)),
        "after_seq": ints(), "identity": st.one_of(st.none(), texts(1024)),
        "page": st.one_of(st.none(), st.fixed_dictionaries({"url": texts(2000), "title": texts(300)}), json_values()),
        "locale": st.one_of(st.none(), st.sampled_from(["en", "de-DE", "x" * 40]), texts(35)),
        "cart": st.one_of(st.none(), st.fixed_dictionaries({
            "items": st.one_of(st.lists(st.fixed_dictionaries({"title": texts(200), "quantity": ints()}), max_size=3),
                               st.sampled_from([50, 51]).map(lambda n: [{"title": "t", "quantity": 1}] * n)),
            "total": texts(40)}), json_values()),
        "ab": st.one_of(st.none(), st.dictionaries(st.sampled_from(AB_NAMES), st.sampled_from(AB_NAMES), max_size=11),
                        json_values()),
    }


def frame(type_: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A frame of ``type_`` with every field, then possibly mutated (the type kept: other
    types are generated on their own)."""
    return mutated(st.fixed_dictionaries({"type": st.just(type_), **fields}), keep=("type",))


def raw_frames(objects: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[str | bytes]:
    """Mostly the objects as JSON text; also JSON that is not an object, a frame with no or a
    made-up type, text that is not JSON, deep nesting, and binary frames."""
    return st.one_of(
        objects.map(dumps), objects.map(dumps), objects.map(dumps), objects.map(dumps),
        json_values().map(dumps),
        st.dictionaries(texts(10), json_values(), max_size=4).map(dumps),
        mutated(st.fixed_dictionaries({"type": json_values()})).map(dumps),
        st.text(max_size=60), st.binary(max_size=60),
        st.integers(min_value=1, max_value=200).map(lambda n: '{"type": "ping", "x": ' + "[" * n + "]" * n + "}"),
        objects.map(dumps).map(lambda s: s.encode("utf-8")),
    )


def visitor_frames(conversation_ids: list[int]) -> st.SearchStrategy[str | bytes]:
    conv = st.one_of(st.sampled_from(conversation_ids), ints()) if conversation_ids else ints()
    objects = st.one_of(
        frame("message", client_id=client_ids(), text=texts(4000)),
        frame("message", client_id=client_ids(), text=texts(4000)),
        frame("typing"), frame("handoff"), frame("ping"),
        frame("rate", conversation_id=conv, score=ints(), comment=st.one_of(st.none(), texts(1000))),
        frame("contact", email=emails()),
        frame("hello", **hello_fields()),
    )
    return raw_frames(objects)


def agent_frames(conversation_ids: list[int], agent_ids: list[int]) -> st.SearchStrategy[str | bytes]:
    conv = st.one_of(st.sampled_from(conversation_ids), st.sampled_from(conversation_ids), ints())
    agent = st.one_of(st.sampled_from(agent_ids), ints())
    objects = st.one_of(
        frame("message", conversation_id=conv, client_id=client_ids(), text=texts(4000)),
        frame("resume", conversation_id=conv, after_seq=ints()),
        *(frame(action, conversation_id=conv) for action in ("take", "release", "close", "reopen")),
        frame("assign", conversation_id=conv, agent_id=agent),
        frame("note", conversation_id=conv, client_id=client_ids(), text=texts(4000)),
        frame("typing", conversation_id=conv), frame("read", conversation_id=conv, seq=ints()),
        frame("ping"), frame("hello", credential=texts(100), ticket=texts(300)),
    )
    return raw_frames(objects)


class Exchange:
    """Sends a generated frame, then the marker; returns what came between."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.n = 0

    def __call__(self, raw: str | bytes) -> list[dict[str, Any]]:
        self.n += 1
        marker = f"zz-marker-{self.n}"
        ws = self.client.ws
        if isinstance(raw, bytes):
            ws.send_binary(raw)
        else:
            ws.send(raw)
        ws.send(json.dumps({"type": marker}))
        got = []
        while True:
            frame = self.client.recv(timeout=20)
            if frame.get("type") == "error" and frame.get("code") == "unknown_frame" and marker in frame["message"]:
                return got
            got.append(frame)


def _size(raw: str | bytes) -> int:
    return len(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"))


def _check_answers(answers: list[dict[str, Any]], kinds: set[str], codes: set[str]) -> list[dict[str, Any]]:
    """Only documented frames; errors documented, non-fatal, with a message. Returns the errors."""
    errors = []
    for answer in answers:
        assert answer.get("type") in kinds, f"undocumented frame {answer}"
        if answer["type"] == "error":
            assert answer.get("code") in codes and answer.get("fatal") is False, f"error frame {answer}"
            assert isinstance(answer.get("message"), str) and answer["message"], answer
            errors.append(answer)
    return errors


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Message)) or 0,
                s.scalar(select(func.count()).select_from(Note)) or 0)


def _intent(raw: str | bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text_ok(text: Any) -> bool:
    return isinstance(text, str) and 1 <= len(text.strip()) <= 4000


def test_visitor_socket_frames(live: Any, cases: Any) -> None:
    url, db, _ = live
    visitor = VisitorClient(url)
    visitor.hello(SITE_KEY)
    cid = visitor.say("hello, a first line")["conversation_id"]
    exchange = Exchange(visitor)
    state = {"n": 0}
    acked: dict[str, tuple[int, int]] = {}

    @given(raw=visitor_frames([cid]))
    @fuzz_settings(1700)
    def run(raw: str | bytes) -> None:
        cases()
        if _size(raw) > MAX_SENT:
            return
        before = _counts(db)
        answers = exchange(raw)
        errors = _check_answers(answers, VISITOR_FRAMES, VISITOR_ERRORS)
        after = _counts(db)
        if errors:
            assert after == before, f"refused ({errors}) yet stored something"
        sent = _intent(raw)
        acks = [a for a in answers if a["type"] == "ack"]
        if acks:  # a stored line (a retried client_id: the first one's again)
            assert sent is not None and sent.get("type") == "message" and _text_ok(sent.get("text"))
            key = (acks[0]["conversation_id"], acks[0]["seq"])
            assert acked.setdefault(sent["client_id"], key) == key, "one client_id acknowledged as two messages"
            with db.session() as s:
                stored = s.scalar(select(Message).where(Message.conversation_id == key[0], Message.seq == key[1]))
            assert stored is not None and stored.client_id == VISITOR_ID_PREFIX + sent["client_id"]
            if after[0] > before[0]:
                assert stored.text and stored.text in sent["text"], "the stored text is not the one sent"
        elif not errors and sent is not None and sent.get("type") == "message":
            raise AssertionError(f"a message frame got neither an ack nor an error: {answers}")
        state["n"] += 1
        if state["n"] % BATCH == 0:
            invariants.chat(db)

    run()
    invariants.chat(db)
    visitor.close()


def test_agent_socket_frames(live: Any, cases: Any) -> None:
    url, db, shop = live
    agent_ids = [create_agent(db, shop.id, name)[0].id for name in ("Ana", "Bo")]
    credential = create_agent(db, shop.id, "Fuzz")[1]
    conversation_ids = []
    for _ in range(3):
        visitor = VisitorClient(url)
        visitor.hello(SITE_KEY)
        conversation_ids.append(visitor.say("I need help")["conversation_id"])
        visitor.close()
    agent = AgentClient(url)
    agent.hello(credential)
    exchange = Exchange(agent)
    state = {"n": 0}

    @given(raw=agent_frames(conversation_ids, agent_ids))
    @fuzz_settings(1700)
    def run(raw: str | bytes) -> None:
        cases()
        if _size(raw) > MAX_SENT:
            return
        before = _counts(db)
        answers = exchange(raw)
        errors = _check_answers(answers, AGENT_FRAMES, AGENT_ERRORS)
        if errors:
            assert _counts(db) == before, f"refused ({errors}) yet stored something"
        state["n"] += 1
        if state["n"] % BATCH == 0:
            invariants.chat(db)

    run()
    invariants.chat(db)
    agent.close()


def _first_frame_answer(url: str, cls: type, raw: str) -> dict[str, Any]:
    client = cls(url)
    try:
        client.ws.send(raw)
        while True:
            answer = client.recv(timeout=20)
            # The agent socket subscribes to its shop before its welcome is sent, so another
            # socket's presence change (the previous case's closing) may come first.
            if answer.get("type") != "presence":
                return answer
    finally:
        client.close()


def test_hello_frames_on_new_sockets(live: Any, cases: Any) -> None:
    """The first frame: a welcome, or a documented fatal error (never a dead socket)."""
    url, db, shop = live
    credential = create_agent(db, shop.id, "Hello")[1]
    visitor_first = {"bad_frame", "invalid_json", "unknown_frame", "frame_too_large", "hello_required",
                     "unknown_site_key", "origin_not_allowed", "bad_token"}
    agent_first = {"bad_frame", "invalid_json", "unknown_frame", "frame_too_large", "hello_required",
                   "bad_credential", "shop_inactive"}
    hellos = st.one_of(
        st.tuples(st.just(VisitorClient), raw_frames(frame("hello", **hello_fields()))),
        st.tuples(st.just(AgentClient), raw_frames(st.one_of(
            frame("hello", credential=st.one_of(st.just(credential), texts(100)), ticket=texts(300)),
            frame("hello", credential=st.one_of(st.just(credential), texts(100))),
            frame("hello", ticket=st.one_of(texts(300), st.just("t." + uuid.uuid4().hex)))))),
    )

    @given(pair=hellos)
    @fuzz_settings(300)
    def run(pair: tuple[type, str | bytes]) -> None:
        cases()
        cls, raw = pair
        if _size(raw) > MAX_SENT or isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")[:1000] if isinstance(raw, bytes) else raw[:1000]
        answer = _first_frame_answer(url, cls, raw)
        if answer["type"] != "welcome":
            allowed = agent_first if cls is AgentClient else visitor_first
            assert answer["type"] == "error" and answer["code"] in allowed and answer["fatal"] is True, answer
            assert answer["message"]

    run()
    invariants.chat(db)
