"""Frames a client may send on the visitor socket, validated (docs/protocol.md)."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from core.errors import StoreChatError


class FrameError(StoreChatError):
    code = "bad_frame"


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Hello(_Frame):
    type: Literal["hello"]
    site_key: str = Field(min_length=1, max_length=64)
    token: str | None = Field(default=None, max_length=512)
    after_seq: int = Field(default=0, ge=0)


class SendMessage(_Frame):
    type: Literal["message"]
    client_id: str = Field(min_length=1, max_length=64)
    text: str


class Ping(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[Union[Hello, SendMessage, Ping], Field(discriminator="type")]
_adapter: TypeAdapter[Any] = TypeAdapter(ClientFrame)


def parse(raw: str | bytes) -> Hello | SendMessage | Ping:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("frames must be JSON objects", code="invalid_json") from None
    if not isinstance(data, dict):
        raise FrameError("frames must be JSON objects", code="invalid_json")
    if data.get("type") not in ("hello", "message", "ping"):
        raise FrameError(f"unknown frame type {str(data.get('type'))[:40]!r}", code="unknown_frame")
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "frame"
        raise FrameError(f"{where}: {first['msg']}") from None


def error_frame(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}
