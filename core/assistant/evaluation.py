"""``storechat eval``: run a question file against a shop, through the shopper's socket.

The file is JSON Lines, one case a line::

    {"id": "price-1", "turns": ["how much is the varsity top?"], "must_include": ["$60.00"],
     "must_not_include": ["sold out"], "handoff": false, "intent": "product_details"}

``id``, ``turns`` (shopper lines), ``must_include`` and ``must_not_include``
(lists of strings, may be empty) are required; ``handoff`` (true: the reply
must hand the conversation to a human; false: it must not), ``intent`` (the
label the case is counted under in the per-intent accuracy) and ``lang`` (the
shopper's language, for the per-language table; by default the file name's
``.<lang>.jsonl`` suffix, else ``en``) are optional.
Blank lines are skipped; anything else malformed stops the run before it
starts, naming the line.

All turns of a case are sent, one after the other, in one new conversation on
``/ws/visitor``, exactly as the widget does; the expectations apply to the
reply to the last turn. The checked text is that reply's text plus its product
cards' titles and prices (``80.00`` and ``$80.00``), compared case-insensitively,
with no-break spaces read as spaces (``80,00 €`` matches ``80,00\u00a0€``).

Measured, per run:

- accuracy per intent, per language and overall (a case passes when every expectation holds);
- handoffs: replies after which the conversation went to a human. The engine's
  ``assistant_reply`` event (written before the reply is sent) says whether a
  reply handed off; the run then waits for the socket's ``conversation`` frame
  (status ``waiting_human``) or the system message, and counts the handoff only
  when it arrives;
- guard trips: the ``guard_trip`` events of the conversations the run created.
  Both come from the database, so the command runs with the server's settings
  (``--url`` names the server; the database must be the one it uses);
- latency: from sending a line to receiving its reply on the socket, p50 and
  p99 (nearest rank), plus the server-side time the engine's events record.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket
from sqlalchemy import select

from core.assistant.money import format_price_range
from core.db import Database, Event, Shop
from core.errors import BadInput, StoreChatError

FIELDS = {"id", "turns", "must_include", "must_not_include", "handoff", "intent", "lang"}
_LANG_SUFFIX = re.compile(r"\.([a-z]{2})\.jsonl?$")
#: Environment of a server the eval starts itself: no reply delay, no rate limits in the way.
SERVER_ENV = {
    "STORECHAT_ASSISTANT_DELAY": "0",
    "STORECHAT_IP_MESSAGE_RATE": "1000",
    "STORECHAT_IP_MESSAGE_BURST": "100000",
    "STORECHAT_VISITOR_MESSAGE_RATE": "100",
    "STORECHAT_VISITOR_MESSAGE_BURST": "1000",
    # Each case is a shopper of its own: the socket names its address in X-Forwarded-For (see ``run_case``).
    "STORECHAT_TRUSTED_PROXIES": "1",
}


class EvalFileError(BadInput):
    code = "eval_file_invalid"


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[str, ...]
    must_include: tuple[str, ...]
    must_not_include: tuple[str, ...]
    handoff: bool | None = None
    intent: str | None = None
    line: int = 0
    lang: str = "en"


def load_cases(path: Path) -> list[Case]:
    """The cases of a JSON Lines file; ``EvalFileError`` naming the line when one is malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    cases: list[Case] = []
    first_line: dict[str, int] = {}
    suffix = _LANG_SUFFIX.search(path.name)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        case = parse_case(raw, number, where=f"{path} line {number}", lang=suffix.group(1) if suffix else "en")
        if case.id in first_line:
            raise EvalFileError(f"{path} line {number}: duplicate id {case.id!r} (first on line {first_line[case.id]})")
        first_line[case.id] = number
        cases.append(case)
    if not cases:
        raise EvalFileError(f"{path}: no cases")
    return cases


def load_files(paths: list[Path]) -> list[Case]:
    """The cases of several files, in order; an id may be used once across them all."""
    return [case for _, cases in load_sets(paths) for case in cases]


def load_sets(paths: list[Path]) -> list[tuple[str, list[Case]]]:
    """The cases of several files, in order, each with its catalog's name (the file's name
    without its language: ``demo.es.jsonl`` is the catalog ``demo`` in Spanish); an id may
    be used once per catalog (the report names a case by catalog and id)."""
    sets: list[tuple[str, list[Case]]] = []
    where: dict[tuple[str, str], Path] = {}
    for path in paths:
        name = _LANG_SUFFIX.sub("", path.name).removesuffix(".jsonl").removesuffix(".json")
        cases = load_cases(path)
        for case in cases:
            if (name, case.id) in where:
                raise EvalFileError(
                    f"{path} line {case.line}: duplicate id {case.id!r} (first in {where[name, case.id]})"
                )
            where[name, case.id] = path
        sets.append((name, cases))
    return sets


def parse_case(raw: str, number: int = 0, *, where: str = "", lang: str = "en") -> Case:
    where = where or f"line {number}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EvalFileError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise EvalFileError(f"{where}: expected a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise EvalFileError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(sorted(FIELDS))})")
    for name in ("id", "turns", "must_include", "must_not_include"):
        if name not in data:
            raise EvalFileError(f"{where}: missing {name!r}")
    if not isinstance(data["id"], str) or not data["id"].strip():
        raise EvalFileError(f"{where}: 'id' must be a non-empty string")
    turns = data["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise EvalFileError(f"{where}: 'turns' must be a non-empty list of non-empty strings")
    for name in ("must_include", "must_not_include"):
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise EvalFileError(f"{where}: {name!r} must be a list of non-empty strings")
    if "handoff" in data and not isinstance(data["handoff"], bool):
        raise EvalFileError(f"{where}: 'handoff' must be true or false")
    if "intent" in data and (not isinstance(data["intent"], str) or not data["intent"].strip()):
        raise EvalFileError(f"{where}: 'intent' must be a non-empty string")
    if "lang" in data and (not isinstance(data["lang"], str) or not re.fullmatch(r"[a-z]{2,3}", data["lang"])):
        raise EvalFileError(f"{where}: 'lang' must be a language code such as \"es\"")
    return Case(
        id=data["id"],
        turns=tuple(turns),
        must_include=tuple(data["must_include"]),
        must_not_include=tuple(data["must_not_include"]),
        handoff=data.get("handoff"),
        intent=data.get("intent"),
        line=number,
        lang=data.get("lang") or lang,
    )


# -- the socket ------------------------------------------------------------------


class ReplyTimeout(StoreChatError):
    code = "eval_timeout"


class VisitorSocket:
    """A shopper's connection to ``/ws/visitor`` (docs/protocol.md), blocking."""

    def __init__(
        self,
        base_url: str,
        site_key: str,
        *,
        origin: str | None = None,
        timeout: float = 15,
        address: str | None = None,
    ) -> None:
        url = base_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/ws/visitor"
        options: dict[str, Any] = {"origin": origin} if origin else {}
        if address:
            options["header"] = [f"X-Forwarded-For: {address}"]
        try:
            self.ws = websocket.create_connection(url, timeout=timeout, **options)
        except (OSError, websocket.WebSocketException) as exc:
            raise StoreChatError(f"cannot open {url}: {exc}", code="eval_connect") from None
        self.timeout = timeout
        self.pending: list[dict[str, Any]] = []
        self.status = "ai"
        self.conversation_id: int | None = None
        self.sent_at = 0.0
        self._send({"type": "hello", "site_key": site_key, "after_seq": 0})
        self.expect(lambda f: f["type"] == "welcome")

    def _send(self, frame: dict[str, Any]) -> None:
        self.ws.send(json.dumps(frame))

    def _recv(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReplyTimeout("timed out")
        self.ws.settimeout(left)
        try:
            data = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise ReplyTimeout("timed out") from None
        if not data:
            raise StoreChatError("the server closed the socket", code="eval_closed")
        frame = json.loads(data)
        if frame.get("type") == "conversation":
            self.status = frame.get("status") or self.status
        if frame.get("type") == "error" and frame.get("fatal"):
            raise StoreChatError(
                f"the server refused: {frame.get('code')}: {frame.get('message')}", code="eval_refused"
            )
        return frame

    def expect(self, wanted: Any, timeout: float | None = None) -> dict[str, Any]:
        for frame in self.pending:
            if wanted(frame):
                self.pending.remove(frame)
                return frame
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            frame = self._recv(deadline)
            if wanted(frame):
                return frame
            self.pending.append(frame)

    def say(self, text: str) -> int:
        """Send a line; its ``seq`` once stored. Retries while rate limited (``sent_at``: the last try)."""
        client_id = uuid.uuid4().hex
        for _ in range(30):
            self.sent_at = time.perf_counter()
            self._send({"type": "message", "client_id": client_id, "text": text})
            frame = self.expect(lambda f: f.get("client_id") == client_id and f["type"] in ("ack", "error"))
            if frame["type"] == "ack":
                self.conversation_id = frame["conversation_id"]
                return int(frame["seq"])
            if frame.get("code") != "rate_limited":
                raise StoreChatError(
                    f"message refused: {frame.get('code')}: {frame.get('message')}", code="eval_refused"
                )
            time.sleep(1.0)
        raise StoreChatError("still rate limited after 30 tries", code="eval_refused")

    def reply_to(self, seq: int) -> dict[str, Any]:
        return self.expect(lambda f: f["type"] == "message" and f.get("author") == "assistant" and f["seq"] > seq)

    def handed_off(self, timeout: float) -> bool:
        """Whether the conversation went to a human (its frame, or the system message, arrives)."""
        if self.status != "ai":
            return True
        try:
            self.expect(
                lambda f: (
                    f["type"] == "conversation"
                    and f.get("status") != "ai"
                    or f["type"] == "message"
                    and f.get("author") == "system"
                ),
                timeout,
            )
        except ReplyTimeout:
            return False
        self.status = "waiting_human" if self.status == "ai" else self.status
        return True

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing a socket that is already gone
            pass


# -- running ---------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    reply: str = ""
    cards: list[dict[str, Any]] = field(default_factory=list)
    handoff: bool = False
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    conversation_id: int | None = None
    handoffs: int = 0
    guard_trips: int = 0
    #: The eval set (catalog) the case belongs to: its file's name.
    catalog: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures


def checked_text(text: str, cards: list[dict[str, Any]]) -> str:
    parts = [text]
    for card in cards:
        parts.append(str(card.get("title") or ""))
        for key in ("price", "price_max"):
            if card.get(key):
                parts.append(str(card[key]))
        if card.get("price") and card.get("currency"):
            try:
                parts.append(
                    format_price_range(card["price"], card.get("price_max") or card["price"], card["currency"])
                )
            except (ArithmeticError, ValueError):
                pass
    return _spaces("\n".join(parts)).casefold()


def _spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def judge(case: Case, text: str, cards: list[dict[str, Any]], handoff: bool) -> list[str]:
    checked = checked_text(text, cards)
    failures = [f"missing {s!r}" for s in case.must_include if _spaces(s).casefold() not in checked]
    failures += [f"must not include {s!r}" for s in case.must_not_include if _spaces(s).casefold() in checked]
    if case.handoff is not None and case.handoff != handoff:
        failures.append("expected a handoff" if case.handoff else "handed off unexpectedly")
    return failures


def run_case(case: Case, base_url: str, shop: Shop, db: Database | None, timeout: float, number: int = 0) -> Outcome:
    """One case in a new conversation. ``number`` gives the shopper an address of their own
    (``2001:db8:<n>::1``, a documentation address in a /64 of its own, sent as X-Forwarded-For,
    which a server the eval started trusts): per-address limits such as failed order lookups then
    count per case, as they would for different shoppers, however many cases and files a run has."""
    out = Outcome(case)
    origin = (shop.allowed_origins or [None])[0]
    sock = VisitorSocket(base_url, shop.site_key, origin=origin, timeout=timeout, address=f"2001:db8:{number + 1:x}::1")
    try:
        for turn in case.turns:
            if sock.status != "ai":
                out.reply, out.cards, out.handoff = "", [], True
                out.failures = ["no reply: the conversation is with a human"]
                continue
            seq = sock.say(turn)
            try:
                frame = sock.reply_to(seq)
            except ReplyTimeout:
                out.reply, out.cards, out.handoff = "", [], False
                out.failures = [f"no reply within {timeout:g}s"]
                continue
            out.latencies_ms.append((time.perf_counter() - sock.sent_at) * 1000)
            out.conversation_id = sock.conversation_id
            out.reply, out.cards = frame.get("text") or "", list(frame.get("cards") or [])
            flagged = _flagged_handoff(db, sock.conversation_id) if db is not None else None
            out.handoff = sock.handed_off(timeout if flagged else (0.0 if flagged is False else 0.5))
            out.handoffs += out.handoff
            out.failures = []
    finally:
        sock.close()
    if not out.failures:
        out.failures = judge(case, out.reply, out.cards, out.handoff)
    return out


def _flagged_handoff(db: Database, conversation_id: int | None) -> bool | None:
    """Whether the engine's last reply in the conversation asked for a handoff (its event)."""
    if conversation_id is None:
        return None
    with db.session() as session:
        data = session.scalar(
            select(Event.data)
            .where(Event.conversation_id == conversation_id, Event.kind == "assistant_reply")
            .order_by(Event.id.desc())
            .limit(1)
        )
    return bool((data or {}).get("handoff")) if data is not None else None


@dataclass
class Report:
    outcomes: list[Outcome]
    guard_trips: int
    server_ms: list[float]
    base_url: str = ""
    shop: str = ""

    @property
    def latencies(self) -> list[float]:
        return [ms for o in self.outcomes for ms in o.latencies_ms]

    def by_catalog(self) -> dict[str, tuple[int, int, int]]:
        """(passed, cases, guard trips) per eval set, in the order they ran."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.catalog or "(one set)", []).append(o)
        return {k: (sum(o.passed for o in v), len(v), sum(o.guard_trips for o in v)) for k, v in groups.items()}

    def by_intent(self) -> dict[str, tuple[int, int]]:
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.case.intent or "(none)", []).append(o)
        return {k: (sum(o.passed for o in v), len(v)) for k, v in sorted(groups.items())}

    def by_language(self) -> dict[str, tuple[int, int, int]]:
        """language -> (passed, cases, guard trips)."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.case.lang, []).append(o)
        return {
            k: (sum(o.passed for o in v), len(v), sum(o.guard_trips for o in v))
            for k, v in sorted(groups.items(), key=lambda kv: (kv[0] != "en", kv[0]))
        }

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.passed / len(self.outcomes) if self.outcomes else 0.0

    @property
    def handoffs(self) -> int:
        return sum(o.handoffs for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "shop": self.shop,
            "url": self.base_url,
            "total": len(self.outcomes),
            "passed": self.passed,
            "accuracy": {
                "overall": round(self.accuracy, 4),
                "by_intent": {
                    k: {"passed": p, "total": n, "accuracy": round(p / n, 4)} for k, (p, n) in self.by_intent().items()
                },
                "by_catalog": {
                    k: {"passed": p, "total": n, "accuracy": round(p / n, 4), "guard_trips": g}
                    for k, (p, n, g) in self.by_catalog().items()
                },
                "by_language": {
                    k: {"passed": p, "total": n, "accuracy": round(p / n, 4), "guard_trips": g}
                    for k, (p, n, g) in self.by_language().items()
                },
            },
            "guard_trips": self.guard_trips,
            "handoffs": self.handoffs,
            "latency_ms": _stats(self.latencies),
            "server_ms": _stats(self.server_ms),
            "cases": {
                (f"{o.catalog}/{o.case.id}" if o.catalog else o.case.id): {
                    "pass": o.passed,
                    "intent": o.case.intent,
                    "catalog": o.catalog,
                    "lang": o.case.lang,
                    "reply": o.reply,
                    "cards": [c.get("title") for c in o.cards],
                    "handoff": o.handoff,
                    "failures": o.failures,
                    "guard_trips": o.guard_trips,
                }
                for o in self.outcomes
            },
        }

    def format(self) -> str:
        lines = [
            f"StoreChat eval: {len(self.outcomes)} cases against {self.shop} at {self.base_url}",
            "",
            f"{'intent':<20} {'cases':>6} {'passed':>7} {'accuracy':>9}",
        ]
        for intent, (p, n) in self.by_intent().items():
            lines.append(f"{intent:<20} {n:>6} {p:>7} {100 * p / n:>8.1f}%")
        lines.append(f"{'overall':<20} {len(self.outcomes):>6} {self.passed:>7} {100 * self.accuracy:>8.1f}%")
        catalogs = self.by_catalog()
        if len(catalogs) > 1 or self.outcomes and self.outcomes[0].catalog:
            lines += ["", f"{'catalog':<20} {'cases':>6} {'passed':>7} {'accuracy':>9} {'guard trips':>12}"]
            for name, (p, n, g) in catalogs.items():
                lines.append(f"{name:<20} {n:>6} {p:>7} {100 * p / n:>8.1f}% {g:>12}")
        languages = self.by_language()
        if len(languages) > 1 or "en" not in languages:
            lines += ["", f"{'language':<20} {'cases':>6} {'passed':>7} {'accuracy':>9} {'guard trips':>12}"]
            for lang, (p, n, g) in languages.items():
                lines.append(f"{lang:<20} {n:>6} {p:>7} {100 * p / n:>8.1f}% {g:>12}")
        lat, srv = _stats(self.latencies), _stats(self.server_ms)
        lines += [
            "",
            f"guard trips: {self.guard_trips}",
            f"handoffs: {self.handoffs}",
            f"latency (socket round trip): p50 {lat['p50']} ms, p99 {lat['p99']} ms over {lat['count']} replies",
            f"latency (server, engine + guard): p50 {srv['p50']} ms, p99 {srv['p99']} ms",
        ]
        failed = [o for o in self.outcomes if not o.passed]
        if failed:
            lines += ["", "failed:"]
            for o in failed:
                lines.append(f"  {o.case.id} (line {o.case.line}): {'; '.join(o.failures)}")
                lines.append(f"    reply: {o.reply[:300]!r}")
        return "\n".join(lines)


def _stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"p50": None, "p99": None, "count": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return {"p50": rank(50), "p99": rank(99), "count": len(ordered)}


def run(
    cases: list[Case],
    base_url: str,
    shop: Shop,
    db: Database | None,
    *,
    timeout: float = 15,
    catalog: str = "",
    first: int = 0,
) -> Report:
    """``first``: the number of cases run before these in the same run (each case's shopper
    address is its own across every set of a run)."""
    outcomes = [run_case(case, base_url, shop, db, timeout, first + number) for number, case in enumerate(cases)]
    for o in outcomes:
        o.catalog = catalog
    trips, server = 0, []
    ids = [o.conversation_id for o in outcomes if o.conversation_id is not None]
    if db is not None and ids:
        with db.session() as session:
            rows = session.execute(
                select(Event.conversation_id, Event.kind, Event.data).where(
                    Event.shop_id == shop.id,
                    Event.conversation_id.in_(ids),
                    Event.kind.in_(("guard_trip", "assistant_reply")),
                )
            )
            per_case: dict[int, int] = {}
            for conversation_id, kind, data in rows:
                if kind == "guard_trip":
                    per_case[conversation_id] = per_case.get(conversation_id, 0) + 1
                elif isinstance((data or {}).get("ms"), (int, float)):
                    server.append(float(data["ms"]))
        for o in outcomes:
            o.guard_trips = per_case.get(o.conversation_id or -1, 0)
        trips = sum(per_case.values())
    return Report(outcomes, trips, server, base_url, f"shop {shop.id} ({shop.name})")


def merge(reports: list[Report]) -> Report:
    """One report over several eval sets (one per catalog), each set's outcomes tagged with its catalog."""
    if len(reports) == 1:
        return reports[0]
    return Report(
        [o for r in reports for o in r.outcomes],
        sum(r.guard_trips for r in reports),
        [ms for r in reports for ms in r.server_ms],
        reports[0].base_url,
        ", ".join(r.shop for r in reports),
    )


@contextmanager
def server_environment() -> Iterator[None]:
    """``SERVER_ENV`` in the environment while a server the eval owns is started."""
    saved = {k: os.environ.get(k) for k in SERVER_ENV}
    os.environ.update(SERVER_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def find_eval_shop(db: Database, ref: str, *, storefront: str | None = None, redis_url: str | None = None) -> Shop:
    """The shop to evaluate: by id, site key or name; ``demo`` is the demo store.

    With ``storefront`` and ``redis_url`` (a server the eval started) the demo
    store is created if needed and synced through that server's worker, as
    ``storechat demo`` does.
    """
    from core.shops import find_shop

    if ref != "demo":
        return find_shop(db, ref)
    if storefront is not None and redis_url is not None:
        from core import redis_client
        from core.catalog.sync import create_run
        from core.jobs import enqueue_sync
        from core.shops import ensure_demo_shop

        shop = ensure_demo_shop(db, storefront)
        sync_run = create_run(db, shop.id)
        enqueue_sync(redis_client.client(redis_url), sync_run.id, shop.id)
        wait_for_sync(db, sync_run.id)
        return shop
    with db.session() as session:
        demo = session.scalar(select(Shop).where(Shop.platform == "csv", Shop.platform_ref == "demo"))
    return demo if demo is not None else find_shop(db, ref)


def wait_for_sync(db: Database, run_id: int, timeout: float = 600) -> None:
    from core.db import SyncRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            sync_run = session.get(SyncRun, run_id)
            if sync_run is not None and sync_run.status == "finished":
                return
            if sync_run is not None and sync_run.status == "failed":
                raise StoreChatError(f"sync failed: {sync_run.error}", code="sync_failed")
        time.sleep(0.2)
    raise StoreChatError("sync did not finish in time", code="sync_timeout")
