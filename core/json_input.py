"""Reading JSON that comes from outside (socket frames, HTTP bodies, webhooks,
install callbacks): one parser with a size and a nesting limit.

The standard library's parser recurses once per ``[`` or ``{``: a body of
15,000 ``[`` raises ``RecursionError`` (a 500 with a traceback), and a
payload a few hundred levels deep that does parse can break whatever walks
it later (validation, ``json.dumps`` of a queued job). Nothing StoreChat
reads is more than a handful of levels deep, so anything deeper than
:data:`MAX_DEPTH` is refused as malformed input, before it is parsed.

Flask's ``request.get_json`` goes through :class:`JSONProvider` (set on the
app by :func:`init_app`), so route code that uses it gets the same limits.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from core.errors import StoreChatError

#: Deepest nesting of arrays and objects accepted (platform webhooks: under 10).
MAX_DEPTH = 64

#: A string, or the rest of the input after an unterminated one: never fails once
#: started at a quote, so the scan stays linear whatever the input.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JSONInputError(StoreChatError, ValueError):
    """Input that is not acceptable JSON (a ``ValueError`` too, as parsers' errors are)."""

    code = "invalid_json"


def loads(raw: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` parsed; :class:`JSONInputError` when it is nested too deeply or is not JSON.

    Size limits stay with the readers (each reads at most its limit: a frame,
    a request body, a webhook), so nothing larger ever reaches a parser.
    """
    if _too_deep(raw, max_depth):
        raise JSONInputError(f"JSON may be nested at most {max_depth} levels deep")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONInputError(f"not valid JSON ({_where(exc)})") from None


def load_object(raw: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Like :func:`loads`, for input that must be one JSON object."""
    value = loads(raw, max_depth=max_depth)
    if not isinstance(value, dict):
        raise JSONInputError("a JSON object is required")
    return value


def storable(value: Any) -> Any:
    """``value`` (a parsed JSON value) with every string made storable: NUL characters
    dropped, half surrogate pairs replaced by U+FFFD. For signed platform payloads, whose
    update should be kept, not refused for a character no column can hold."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        return value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def unstorable(value: Any, where: str = "") -> str | None:
    """Where in ``value`` (a parsed JSON value, or a string) a string holds what no database
    column can: a NUL character (PostgreSQL's text refuses it) or half of a surrogate pair
    (not UTF-8 at all). None when every string (keys too) is storable."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where or 'a value'} contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where or 'a value'} contains half of a surrogate pair (not Unicode text)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable(key, "a key") or unstorable(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := unstorable(item, f"{where}[{index}]"):
                return found
    return None


def _too_deep(raw: str | bytes | bytearray, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than ``max_depth`` (brackets in strings do not count)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False  # the common case, at the speed of bytes.count
    brackets = _BRACKETS.findall(_STRING.sub(b'""', data))
    return any(level > max_depth for level in accumulate(_STEP[b[0]] for b in brackets))


def _where(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    return "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "unreadable"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with :func:`loads` (``request.get_json`` included)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
