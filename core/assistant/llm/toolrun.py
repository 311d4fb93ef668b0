"""Running the tool calls a model asks for, safely.

Arguments come from the model, so they are checked against the tool's JSON
Schema (``TOOL_SPECS``) before anything runs: unknown tools and arguments
that cannot be read are answered with an error result the model can correct,
never an exception. Values are coerced where the intent is clear (``"50"``
for a number, one string for a list of strings) and ``null`` means absent.
A call that ran is recorded by :class:`~core.assistant.tools.Tools` itself;
a rejected one is recorded too, for audit, with its raw arguments kept out
of ``args`` (the guard reads ``args``, and a model's own figures ground
nothing).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

from core.assistant.tools import TOOL_SPECS, Tools
from core.assistant.tools.catalog import card_fields

log = logging.getLogger(__name__)

SPECS = {spec["name"]: spec for spec in TOOL_SPECS}
MAX_STRING = 500
MAX_ITEMS = 10
MAX_RESULT_CHARS = 8000
MAX_CARDS = 3


class BadArguments(ValueError):
    pass


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


def openai_tools() -> list[dict[str, Any]]:
    return [{"type": "function", "function": spec} for spec in TOOL_SPECS]


def _coerce(name: str, value: Any, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "string":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadArguments(f"'{name}' must be a string")
        return str(value).strip()[:MAX_STRING]
    if kind in ("number", "integer"):
        if isinstance(value, str):
            try:
                value = float(value.strip().lstrip("$€£").replace(",", ""))
            except ValueError:
                raise BadArguments(f"'{name}' must be a {kind}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadArguments(f"'{name}' must be a {kind}")
        if kind == "integer":
            if value != int(value):
                raise BadArguments(f"'{name}' must be a whole number")
            value = int(value)
            if "minimum" in schema:
                value = max(value, schema["minimum"])
            if "maximum" in schema:
                value = min(value, schema["maximum"])
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise BadArguments(f"'{name}' must be true or false")
    if kind == "array":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise BadArguments(f"'{name}' must be a list")
        items = schema.get("items") or {"type": "string"}
        return [_coerce(name, item, items) for item in value if item is not None][:MAX_ITEMS]
    return value


def clean_arguments(name: str, raw: str) -> dict[str, Any]:
    """The arguments of a call to tool ``name``, checked and coerced; raises BadArguments."""
    spec = SPECS[name]["parameters"]
    text = (raw or "").strip()
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        raise BadArguments("the arguments are not valid JSON") from None
    if not isinstance(data, dict):
        raise BadArguments("the arguments must be a JSON object")
    properties = spec.get("properties") or {}
    args: dict[str, Any] = {}
    for key, schema in properties.items():
        if data.get(key) is not None:
            args[key] = _coerce(key, data[key], schema)
    missing = [
        key
        for key in spec.get("required") or []
        if key not in args or (args[key] == "" and properties.get(key, {}).get("type") == "string")
    ]
    if missing:
        raise BadArguments("missing required argument " + ", ".join(f"'{m}'" for m in missing))
    return args


#: Marks the calls a model made (``call["by"]``), for audit and for the guard.
BY = "openai"


def run(tools: Tools, call: ToolCall) -> Any:
    """Run one call; the result (or an ``{"error": ...}``) the model will read."""
    first = len(tools.calls)
    try:
        return _run(tools, call)
    finally:
        for record in tools.calls[first:]:
            record.setdefault("by", BY)


def _run(tools: Tools, call: ToolCall) -> Any:
    if call.name not in SPECS or not callable(getattr(tools, call.name, None)):
        return reject(tools, call, "there is no such tool")
    try:
        args = clean_arguments(call.name, call.arguments)
    except BadArguments as exc:
        return reject(tools, call, str(exc))
    try:
        result = getattr(tools, call.name)(**args)
    except TypeError as exc:  # a schema/signature mismatch: the model can't fix it, but must not crash the turn
        log.warning("tool %s refused its arguments: %s", call.name, exc)
        return reject(tools, call, "the tool could not use these arguments")
    except Exception:  # noqa: BLE001 - a tool failure is an answer the model can work with
        log.exception("tool %s failed", call.name)
        return reject(tools, call, "the tool failed; tell the shopper you could not check this right now")
    if result is None:
        return {"found": False}
    return result


def reject(tools: Tools, call: ToolCall, message: str) -> dict[str, Any]:
    result = {"error": message}
    tools.calls.append(
        {
            "tool": call.name[:60],
            "args": {},
            "result": result,
            "rejected": True,
            "raw_args": (call.arguments or "")[:MAX_STRING],
            "by": BY,
        }
    )
    return result


def result_message(call: ToolCall, result: Any) -> dict[str, Any]:
    content = json.dumps(result, ensure_ascii=False, default=str)
    if len(content) > MAX_RESULT_CHARS:
        content = content[:MAX_RESULT_CHARS] + " …(truncated)"
    return {"role": "tool", "tool_call_id": call.id, "content": content}


# -- what the reply carries ----------------------------------------------------


def cards(calls: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The product cards this turn's tools returned: the ones the text names first, deduped, at most 3."""
    found: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for call in calls:
        result = call.get("result")
        if call.get("rejected"):
            continue
        if call.get("tool") == "search_products" and isinstance(result, list):
            candidates = result
        elif call.get("tool") == "get_product" and isinstance(result, dict):
            candidates = [result]
        elif call.get("tool") in ("check_availability", "product_facts") and isinstance(result, dict):
            candidates = [result.get("product")]
        else:
            continue
        for item in candidates:
            if not isinstance(item, dict) or "title" not in item:
                continue
            key = item.get("product_id") or item.get("handle") or item["title"]
            if key in seen:
                continue
            seen.add(key)
            found.append(card_fields(item))
    lowered = text.casefold()
    named = [c for c in found if str(c["title"]).casefold() in lowered]
    return (named or found)[:MAX_CARDS]


_INTENTS = (
    ("handoff", "handoff"),
    ("lookup_order", "order_status"),
    ("check_availability", "availability"),
    ("get_product", "product_details"),
    ("product_facts", "product_details"),
    ("search_products", "product_search"),
    ("search_knowledge", "store_info"),
)


def intent(calls: list[dict[str, Any]]) -> str:
    """What the turn was about, from the tools used; ``unknown`` when they all came back empty."""
    used = [c for c in calls if not c.get("rejected")]
    if not used:
        return "chat"
    for tool, name in _INTENTS:
        if any(c["tool"] == tool for c in used):
            if tool == "handoff" or any(_has_answer(c) for c in used):
                return name
    return "unknown"


def _has_answer(call: dict[str, Any]) -> bool:
    result = call.get("result")
    if call.get("tool") == "lookup_order":
        return isinstance(result, dict) and result.get("status") in ("found", "need_email")
    return bool(result)
