"""Frames clients may send on the visitor and agent sockets, validated
(docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from core import json_input
from core.errors import StoreChatError

ClientId = Annotated[str, Field(min_length=1, max_length=64)]
#: The largest id or seq the database holds (a 32-bit integer column).
MAX_INT = 2**31 - 1
#: Integers are strict: a JSON integer, never ``true``, ``"1"`` or ``1.0``, which
#: lax parsing would quietly turn into 1 (a client would silently skip seq 1).
ConversationId = Annotated[int, Field(strict=True, ge=1, le=MAX_INT)]
AgentId = Annotated[int, Field(strict=True, ge=1, le=MAX_INT)]
Seq = Annotated[int, Field(strict=True, ge=0, le=MAX_INT)]
Score = Annotated[int, Field(strict=True, ge=1, le=5)]


class FrameError(StoreChatError):
    code = "bad_frame"


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Ping(_Frame):
    type: Literal["ping"]


# -- visitor socket --------------------------------------------------------------


class Page(_Frame):
    url: str = Field(max_length=2000)
    title: str = Field(default="", max_length=300)


class CartItem(_Frame):
    title: str = Field(max_length=200)
    quantity: Annotated[int, Field(strict=True, ge=0, le=10_000)]


class Cart(_Frame):
    """What is in the shopper's cart, as the store's cart endpoint told the widget."""

    items: list[CartItem] = Field(default_factory=list, max_length=50)
    total: str = Field(default="", max_length=40)


#: Experiments a widget may report at once (``hello``'s and the events' ``ab``).
MAX_AB = 10
_AbName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
#: The A/B variants the widget showed this visitor: experiment id -> variant key
#: (the ids and keys of the config's ``ab``; core/analytics/experiments.py).
AbChoices = Annotated[dict[_AbName, _AbName], Field(max_length=MAX_AB)]


class Hello(_Frame):
    type: Literal["hello"]
    site_key: str = Field(min_length=1, max_length=64)
    token: str | None = Field(default=None, max_length=512)
    after_seq: Seq = 0
    #: A signed shopper identity from the store (Shopify: the App Proxy's
    #: ``/apps/storechat/identity``); absent when nobody is logged in.
    identity: str | None = Field(default=None, max_length=1024)
    #: Where the shopper is, for the team: the page and the browser's language.
    page: Page | None = None
    locale: str | None = Field(default=None, max_length=35)
    cart: Cart | None = None
    #: The A/B variants this visitor sees, kept on the visitor to split results by variant.
    ab: AbChoices | None = None


class SendMessage(_Frame):
    type: Literal["message"]
    client_id: ClientId
    text: str


class Typing(_Frame):
    type: Literal["typing"]


class AskHuman(_Frame):
    """The shopper asks for a person ("talk to a human")."""

    type: Literal["handoff"]


class Rate(_Frame):
    """Satisfaction with a conversation: 1 (bad) to 5 (great); thumbs are 1 and 5."""

    type: Literal["rate"]
    conversation_id: ConversationId
    score: Score
    comment: str | None = Field(default=None, max_length=1000)


class LeaveContact(_Frame):
    """An email to answer later, when no one can answer now."""

    type: Literal["contact"]
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- agent socket ----------------------------------------------------------------


class AgentHello(_Frame):
    """A CLI agent presents its ``credential``; a signed-in user's page its ``ticket``."""

    type: Literal["hello"]
    credential: str | None = Field(default=None, min_length=1, max_length=100)
    ticket: str | None = Field(default=None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _one_of(self) -> AgentHello:
        if (self.credential is None) == (self.ticket is None):
            raise ValueError("send either a credential or a ticket")
        return self


class AgentMessage(_Frame):
    type: Literal["message"]
    conversation_id: ConversationId
    client_id: ClientId
    text: str


class Resume(_Frame):
    """Replay one conversation's messages after ``after_seq``."""

    type: Literal["resume"]
    conversation_id: ConversationId
    after_seq: Seq = 0


class Ownership(_Frame):
    type: Literal["take", "release", "close", "reopen"]
    conversation_id: ConversationId


class Assign(_Frame):
    """Hand a conversation to a teammate (``agent_id``), oneself included."""

    type: Literal["assign"]
    conversation_id: ConversationId
    agent_id: AgentId


class AgentNote(_Frame):
    """An internal note: the team sees it, the shopper never does."""

    type: Literal["note"]
    conversation_id: ConversationId
    client_id: ClientId
    text: str


class AgentTyping(_Frame):
    type: Literal["typing"]
    conversation_id: ConversationId


class ReadUpTo(_Frame):
    """The agent has seen the conversation up to ``seq``."""

    type: Literal["read"]
    conversation_id: ConversationId
    seq: Seq


VisitorFrame = Annotated[
    Hello | SendMessage | Typing | AskHuman | Rate | LeaveContact | Ping, Field(discriminator="type")
]
AgentFrame = Annotated[
    AgentHello | AgentMessage | Resume | Ownership | Assign | AgentNote | AgentTyping | ReadUpTo | Ping,
    Field(discriminator="type"),
]
_visitor: TypeAdapter[Any] = TypeAdapter(VisitorFrame)
_agent: TypeAdapter[Any] = TypeAdapter(AgentFrame)
VISITOR_TYPES = frozenset({"hello", "message", "typing", "handoff", "rate", "contact", "ping"})
AGENT_TYPES = frozenset(
    {"hello", "message", "resume", "take", "release", "close", "reopen", "assign", "note", "typing", "read", "ping"}
)


def parse(raw: str | bytes, *, agent: bool = False) -> Any:
    try:
        data = json_input.load_object(raw)
    except json_input.JSONInputError as exc:
        raise FrameError(f"frames must be JSON objects: {exc.message}", code="invalid_json") from None
    if problem := json_input.unstorable(data):
        raise FrameError(problem)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise FrameError("type: every frame needs a type (a string)")
    if kind not in (AGENT_TYPES if agent else VISITOR_TYPES):
        raise FrameError(f"unknown frame type {kind[:40]!r}", code="unknown_frame")
    try:
        return (_agent if agent else _visitor).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "frame"
        raise FrameError(f"{where}: {first['msg']}") from None


def client_id_of(raw: str | bytes) -> str | None:
    """The ``client_id`` of a refused frame, when it can be read at all."""
    try:
        data = json_input.loads(raw)
    except json_input.JSONInputError:
        return None
    cid = data.get("client_id") if isinstance(data, dict) else None
    return cid if isinstance(cid, str) and 0 < len(cid) <= 64 else None


def error_frame(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}
