"""Frames clients may send on the visitor and agent sockets, validated
(docs/protocol.md)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from core import json_input
from core.errors import StoreChatError

ClientId = Annotated[str, Field(min_length=1, max_length=64)]
ConversationId = Annotated[int, Field(ge=1)]


class FrameError(StoreChatError):
    code = "bad_frame"


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Ping(_Frame):
    type: Literal["ping"]


# -- visitor socket --------------------------------------------------------------


class Hello(_Frame):
    type: Literal["hello"]
    site_key: str = Field(min_length=1, max_length=64)
    token: str | None = Field(default=None, max_length=512)
    after_seq: int = Field(default=0, ge=0)
    #: A signed shopper identity from the store (Shopify: the App Proxy's
    #: ``/apps/storechat/identity``); absent when nobody is logged in.
    identity: str | None = Field(default=None, max_length=1024)


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
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class LeaveContact(_Frame):
    """An email to answer later, when no one can answer now."""

    type: Literal["contact"]
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- agent socket ----------------------------------------------------------------


class AgentHello(_Frame):
    type: Literal["hello"]
    credential: str = Field(min_length=1, max_length=100)


class AgentMessage(_Frame):
    type: Literal["message"]
    conversation_id: ConversationId
    client_id: ClientId
    text: str


class Resume(_Frame):
    """Replay one conversation's messages after ``after_seq``."""

    type: Literal["resume"]
    conversation_id: ConversationId
    after_seq: int = Field(default=0, ge=0)


class Ownership(_Frame):
    type: Literal["take", "release", "close"]
    conversation_id: ConversationId


VisitorFrame = Annotated[Union[Hello, SendMessage, Typing, AskHuman, Rate, LeaveContact, Ping],
                        Field(discriminator="type")]
AgentFrame = Annotated[Union[AgentHello, AgentMessage, Resume, Ownership, Ping], Field(discriminator="type")]
_visitor: TypeAdapter[Any] = TypeAdapter(VisitorFrame)
_agent: TypeAdapter[Any] = TypeAdapter(AgentFrame)
VISITOR_TYPES = frozenset({"hello", "message", "typing", "handoff", "rate", "contact", "ping"})
AGENT_TYPES = frozenset({"hello", "message", "resume", "take", "release", "close", "ping"})


def parse(raw: str | bytes, *, agent: bool = False) -> Any:
    try:
        data = json_input.load_object(raw)
    except json_input.JSONInputError as exc:
        raise FrameError(f"frames must be JSON objects: {exc.message}", code="invalid_json") from None
    if data.get("type") not in (AGENT_TYPES if agent else VISITOR_TYPES):
        raise FrameError(f"unknown frame type {str(data.get('type'))[:40]!r}", code="unknown_frame")
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
