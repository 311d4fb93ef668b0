"""The visitor protocol over plain HTTP, for networks that block WebSockets.

Same semantics as ``/ws/visitor`` (docs/protocol.md): ``POST hello`` gives
the welcome and the replay, ``POST messages`` stores then acknowledges (a
retried ``client_id`` is acknowledged again, stored once), and ``GET events``
long-polls: it answers at once with every stored message after
``after_seq``, or waits for the next one. Bodies may be sent as
``text/plain`` so browsers make no CORS preflight.

The same limits as on the sockets: each request, while it is served (a long
poll for up to ``MAX_WAIT`` s), holds a slot among its address's
connections, sockets included, and messages take from the same buckets.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from pydantic import TypeAdapter, ValidationError

from core import json_input, lifecycle
from core.chat import messages
from core.chat.connections import AddressSlot
from core.chat.frames import MAX_AB, MAX_INT, AbChoices, Cart, LeaveContact, Page, Rate, Seq
from core.chat.service import ChatError, VisitorContext
from core.db import Agent, Conversation
from core.services import services

bp = Blueprint("visitor_http", __name__, url_prefix="/api/v1/visitor")

MAX_WAIT = 25.0
HTTP_STATUS = {
    "unknown_site_key": 404,
    "origin_not_allowed": 403,
    "bad_token": 401,
    "rate_limited": 429,
    "too_many_connections": 429,
    "unknown_conversation": 404,
}


class _BadRequest(ChatError):
    def __init__(self, message: str, code: str = "bad_frame") -> None:
        super().__init__(code, message)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
def _take_slot() -> None:
    if request.method == "OPTIONS":
        return
    svc = services()
    slot = AddressSlot.of(request.remote_addr)
    # Longer than the longest poll: the slot is released when the request ends.
    if not slot.take(svc, ttl=max(svc.beat_ttl, MAX_WAIT + 10)):
        raise ChatError("too_many_connections", "too many open chat connections from this address")
    request._storechat_slot = slot  # type: ignore[attr-defined]
    svc.connections.request_started()


@bp.teardown_request
def _release_slot(_exc: BaseException | None) -> None:
    slot = getattr(request, "_storechat_slot", None)
    if slot is not None:
        svc = services()
        svc.connections.request_ended()
        slot.release(svc)


@bp.errorhandler(ChatError)
def _chat_error(exc: ChatError) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    cid = getattr(request, "_storechat_client_id", None)
    if cid:
        body["client_id"] = cid
    return jsonify(error=body), HTTP_STATUS.get(exc.code, 400)


@bp.after_request
def _cors(response: Response) -> Response:
    # Access is governed by the site key, token and the shop's origin check,
    # not by cookies, so any page may call these endpoints.
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
    response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Origin"
    return response


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if len(raw) > services().settings.max_frame_bytes:
        raise _BadRequest(f"bodies may be at most {services().settings.max_frame_bytes} bytes", "frame_too_large")
    try:
        data = json_input.load_object(raw or b"{}")
    except json_input.JSONInputError as exc:
        raise _BadRequest(f"the body must be a JSON object: {exc.message}", "invalid_json") from None
    if problem := json_input.unstorable(data):
        raise _BadRequest(problem)
    return data


def _string(data: dict[str, Any], key: str, *, max_len: int, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _BadRequest(f"{key}: a string of 1 to {max_len} characters is required")
    return value


_seq: TypeAdapter[int] = TypeAdapter(Seq)
_ab: TypeAdapter[dict[str, str]] = TypeAdapter(AbChoices)


def _after_seq(data: dict[str, Any]) -> int:
    """A JSON body's ``after_seq``: a JSON integer >= 0 (absent: 0), as on the socket;
    never ``true`` or ``"1"``, which lax parsing would take as 1."""
    if "after_seq" not in data:
        return 0
    try:
        return _seq.validate_python(data["after_seq"])
    except ValidationError:
        raise _BadRequest(f"after_seq: a whole number from 0 to {MAX_INT} is required") from None


def _query_int(name: str, *, default: int, low: int, high: int) -> int:
    """A query-string integer: plain decimal digits (no sign, spaces, decimals or other
    digits than 0-9) from ``low`` to ``high``; absent or empty: ``default``."""
    value = request.args.get(name, "")
    if value == "":
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 10) or not low <= int(value) <= high:
        raise _BadRequest(f"{name}: a whole number from {low} to {high}, in plain digits, is required")
    return int(value)


def _visitor(data: dict[str, Any], *, token_required: bool, hello: bool = False) -> VisitorContext:
    site_key = _string(data, "site_key", max_len=64)
    token = _string(data, "token", max_len=512, required=token_required)
    if not hello:
        # The visitor row is made by the first message, after the hello: a message may
        # carry the hello's ``ab`` again so the variants reach it over HTTP too.
        return services().chat.visitor_hello(site_key or "", token, request.headers.get("Origin"), ab=_ab_of(data))
    # Only a hello says who the shopper is now (a signed identity, or none: logged out),
    # and where they are (the page and language, for the team).
    identity = _string(data, "identity", max_len=1024, required=False)
    try:
        page = Page.model_validate(data["page"]) if data.get("page") is not None else None
    except ValidationError:
        raise _BadRequest("page: an object with url (at most 2000 characters) and title (at most 300)") from None
    try:
        cart = Cart.model_validate(data["cart"]) if data.get("cart") is not None else None
    except ValidationError:
        raise _BadRequest("cart: an object with items (at most 50: title, quantity) and total") from None
    ab = _ab_of(data)
    locale = _string(data, "locale", max_len=35, required=False)
    return services().chat.visitor_hello(
        site_key or "",
        token,
        request.headers.get("Origin"),
        identity=identity,
        page=page,
        locale=locale,
        cart=cart,
        ab=ab,
    )


def _ab_of(data: dict[str, Any]) -> dict[str, str] | None:
    try:
        return _ab.validate_python(data["ab"]) if data.get("ab") is not None else None
    except ValidationError:
        raise _BadRequest(
            f"ab: an object of at most {MAX_AB} experiment ids to variant keys "
            "(letters, digits, - and _, at most 32 characters each)"
        ) from None


def _welcome(ctx: VisitorContext, after_seq: int) -> dict[str, Any]:
    frames = (
        services().chat.load_after(ctx.conversation_id, min(after_seq, ctx.last_seq)) if ctx.conversation_id else []
    )
    _beat(ctx)
    return {**ctx.welcome(), "messages": frames}


def _beat(ctx: VisitorContext) -> None:
    """A visitor on HTTP is online while it polls (each poll renews the heartbeat)."""
    if ctx.conversation_id is None:
        return
    svc = services()
    try:
        if svc.presence.visitor_beat(ctx.shop_id, ctx.conversation_id, f"http:{ctx.visitor_id}"):
            svc.chat.announce_presence(ctx.shop_id, conversation_id=ctx.conversation_id)
    except Exception:  # noqa: BLE001 - presence is a nicety; the poll goes on
        pass


@bp.post("/hello")
def hello() -> Response:
    data = _body()
    return jsonify(_welcome(_visitor(data, token_required=False, hello=True), _after_seq(data)))


@bp.post("/messages")
def send() -> tuple[Response, int]:
    data = _body()
    client_id = data.get("client_id")
    if isinstance(client_id, str) and 0 < len(client_id) <= 64:
        request._storechat_client_id = client_id  # type: ignore[attr-defined]
    else:
        raise _BadRequest("client_id: a string of 1 to 64 characters is required")
    ctx = _visitor(data, token_required=True)
    text = data.get("text")
    if not isinstance(text, str):
        raise _BadRequest("text: a string is required")
    stored = services().chat.visitor_message(ctx, client_id, text, request.remote_addr or "")
    msg = stored.message
    return jsonify(
        ack={"type": "ack", "client_id": client_id, "seq": msg.seq, "conversation_id": msg.conversation_id},
        message=messages.message_frame(msg),
    ), 201 if stored.created else 200


@bp.post("/typing")
def typing() -> Response:
    ctx = _visitor(_body(), token_required=True)
    services().chat.visitor_typing(ctx)
    return Response(status=204, mimetype="application/json")


@bp.post("/handoff")
def ask_for_human() -> Response:
    services().chat.visitor_asks_for_human(_visitor(_body(), token_required=True))
    return Response(status=204, mimetype="application/json")


@bp.post("/rate")
def rate() -> Response:
    data = _body()
    ctx = _visitor(data, token_required=True)
    frame = _validated(Rate, {**data, "type": "rate"})
    services().chat.visitor_rates(ctx, frame.conversation_id, frame.score, frame.comment, ip=request.remote_addr or "")
    return jsonify(type="rated", conversation_id=frame.conversation_id, score=frame.score)


@bp.post("/contact")
def contact() -> Response:
    data = _body()
    ctx = _visitor(data, token_required=True)
    frame = _validated(LeaveContact, {**data, "type": "contact"})
    services().chat.visitor_leaves_contact(ctx, frame.email, ip=request.remote_addr or "")
    return jsonify(type="contact_saved")


def _validated(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _BadRequest(f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}") from None


@bp.get("/events")
def events() -> Response:
    """Long-poll: stored messages after ``after_seq``, waiting up to ``wait`` s for one.

    Without ``conversation_id`` it reads the visitor's open conversation. With
    the id of one of the visitor's other conversations (the one the widget was
    showing, closed between two polls) it returns that one's remaining messages
    at once, so the closing notice is never out of reach.
    """
    args = request.args
    ctx = _visitor({"site_key": args.get("site_key"), "token": _bearer_token()}, token_required=True)
    asked = _query_int("conversation_id", default=0, low=1, high=MAX_INT) or None
    requested_after = _query_int("after_seq", default=0, low=0, high=MAX_INT)
    wait = float(_query_int("wait", default=int(MAX_WAIT), low=0, high=int(MAX_WAIT)))
    if asked is not None and asked != ctx.conversation_id:
        return _rest_of(ctx, asked, requested_after)
    after_seq = min(requested_after, ctx.last_seq)
    _beat(ctx)
    svc = services()
    frames: list[dict[str, Any]] = []
    if ctx.conversation_id is not None:
        arrived = threading.Event()
        sub = svc.bus.subscribe_conversation(
            ctx.conversation_id, lambda _frame: arrived.set(), on_reconnect=arrived.set
        )
        try:
            # Woken by an arrival, or by a catch-up call of the bus (its listener (re)connected):
            # look again, and go on waiting while there is nothing new.
            deadline = time.monotonic() + wait
            while True:
                arrived.clear()
                frames = svc.chat.load_after(ctx.conversation_id, after_seq)
                left = deadline - time.monotonic()
                if frames or left <= 0 or lifecycle.draining():
                    break
                _wait(arrived, left)
        finally:
            sub.close()
    elif wait:
        _wait(threading.Event(), min(wait, 5.0))  # nothing to wait for yet; don't spin the client
    status, agent_name = ctx.status, ctx.agent_name
    if ctx.conversation_id is not None:
        with svc.db.session() as session:
            conversation = session.get(Conversation, ctx.conversation_id)
            status = conversation.status if conversation else None
            agent = session.get(Agent, conversation.agent_id) if conversation and conversation.agent_id else None
            agent_name = agent.name if agent else None
    last = frames[-1]["seq"] if frames else after_seq
    return jsonify(
        conversation_id=ctx.conversation_id, status=status, agent_name=agent_name, messages=frames, last_seq=last
    )


def _bearer_token() -> str | None:
    """The visitor token of a GET: in ``Authorization: Bearer``, never in the URL, which
    access logs and proxies keep (a token found there is refused, so clients move it)."""
    if "token" in request.args:
        raise _BadRequest("send the token in the Authorization header (Bearer), not in the URL", "token_in_url")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _rest_of(ctx: VisitorContext, conversation_id: int, after_seq: int) -> Response:
    """Messages after ``after_seq`` of one of this visitor's conversations, without waiting."""
    svc = services()
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.shop_id != ctx.shop_id or conversation.visitor_id != ctx.visitor_id:
            raise ChatError("unknown_conversation", f"you have no conversation {conversation_id}")
        status, last_seq = conversation.status, conversation.last_seq
        agent = session.get(Agent, conversation.agent_id) if conversation.agent_id else None
        agent_name = agent.name if agent else None
    after_seq = min(after_seq, last_seq)
    frames = svc.chat.load_after(conversation_id, after_seq)
    last = frames[-1]["seq"] if frames else after_seq
    return jsonify(
        conversation_id=conversation_id, status=status, agent_name=agent_name, messages=frames, last_seq=last
    )


def _wait(event: threading.Event, seconds: float) -> None:
    """Wait for ``event``, but give up at once when the process starts draining."""
    deadline = time.monotonic() + seconds
    while not lifecycle.draining() and not event.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        event.wait(min(left, 0.5))
