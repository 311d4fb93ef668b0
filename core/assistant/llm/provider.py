"""One round with an OpenAI-compatible provider: a request (streamed or not),
its text, tool calls and usage, within the turn's deadline.

Retries are done here rather than by the SDK: the SDK would honour a
``Retry-After`` of up to two minutes, and a shopper is waiting. A retry only
happens when the provider failed in a way worth retrying (connection,
timeout, 408/409/429/5xx) and the turn's budget still has room for it.
Any failure surfaces as :class:`ProviderFailure` with a short reason.

The endpoint is the merchant's to choose, so the SDK talks through core's
outbound client (``core.outbound``): public https addresses only unless the
operator allows plain http or local networks for development, each
connection to the address that was checked, each redirect hop checked. A
refused address fails like an unreachable one ("connection"), and is not retried.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from core import outbound
from core.assistant.llm.config import LLMConfig
from core.assistant.llm.toolrun import ToolCall

log = logging.getLogger(__name__)

#: Room a retry must leave for the request itself, in seconds.
MIN_ATTEMPT = 1.0


class ProviderFailure(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Round:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    #: ``None`` when the provider reported no usage for this round.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@functools.lru_cache(maxsize=32)
def _client(base_url: str, api_key: str) -> openai.OpenAI:
    """One client (and connection pool) per provider and key, shared by the turns of this process."""
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, max_retries=0, timeout=30.0, http_client=outbound.httpx_client(timeout=30.0)
    )


def client_for(config: LLMConfig) -> openai.OpenAI:
    return _client(config.base_url, config.api_key)


def classify(exc: BaseException) -> str:
    if isinstance(exc, ProviderFailure):
        return exc.reason
    if isinstance(exc, (openai.APITimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return "auth"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
    if isinstance(
        exc, (openai.APIResponseValidationError, ValueError, AttributeError, KeyError, TypeError, IndexError)
    ):
        return "malformed"
    if isinstance(exc, openai.APIError):
        return "provider_error"
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return "timeout"
    return "engine_error"


def _retriable(exc: BaseException) -> bool:
    if outbound.refusal(exc) is not None:
        return False  # the same address would be refused again
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is not None:
            try:
                return max(float(value) / divisor, 0.0)
            except ValueError:
                return None
    return None


def complete(
    config: LLMConfig,
    messages: list[dict[str, Any]],
    *,
    tools: list[dict[str, Any]],
    tool_choice: str,
    deadline: float,
    on_text: Callable[[str], None] | None,
) -> Round:
    """One model round, retried within the deadline; raises ProviderFailure."""
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            raise ProviderFailure("timeout", "the turn's time budget is spent")
        try:
            return _once(
                config,
                messages,
                tools=tools,
                tool_choice=tool_choice,
                deadline=deadline,
                timeout=min(config.request_timeout, remaining),
                on_text=on_text,
            )
        except ProviderFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - every provider problem becomes a ProviderFailure
            wait = _retry_after(exc)
            wait = min(0.25 * 2**attempt, 2.0) * (0.75 + random.random() / 4) if wait is None else wait
            left = deadline - time.monotonic()
            if attempt < config.max_retries and _retriable(exc) and left - wait >= MIN_ATTEMPT:
                attempt += 1
                log.info("LLM request failed (%s); retry %d in %.2fs", classify(exc), attempt, wait)
                time.sleep(wait)
                continue
            raise ProviderFailure(classify(exc), config.scrub(f"{type(exc).__name__}: {exc}")[:300]) from exc


def _request(
    config: LLMConfig, messages: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: str
) -> dict[str, Any]:
    request: dict[str, Any] = {"model": config.model, "messages": messages, "tools": tools, "tool_choice": tool_choice}
    if config.temperature is not None:
        request["temperature"] = config.temperature
    if config.max_tokens is not None:
        request["max_tokens"] = config.max_tokens
    return request


def _once(
    config: LLMConfig,
    messages: list[dict[str, Any]],
    *,
    tools: list[dict[str, Any]],
    tool_choice: str,
    deadline: float,
    timeout: float,
    on_text: Callable[[str], None] | None,
) -> Round:
    client = client_for(config)
    request = _request(config, messages, tools, tool_choice)
    if not config.stream:
        completion = client.chat.completions.create(**request, timeout=timeout)
        return _from_completion(completion)
    if config.stream_usage:
        request["stream_options"] = {"include_usage": True}
    stream = client.chat.completions.create(**request, stream=True, timeout=timeout)
    with stream:
        return _from_stream(stream, deadline, on_text)


def _from_completion(completion: Any) -> Round:
    choices = getattr(completion, "choices", None)
    if not choices:
        raise ProviderFailure("malformed", "a completion without choices")
    message = choices[0].message
    content = message.content
    if content is not None and not isinstance(content, str):
        raise ProviderFailure("malformed", "non-text content")
    result = Round(text=content or "", finish_reason=choices[0].finish_reason)
    for i, tc in enumerate(message.tool_calls or []):
        function = getattr(tc, "function", None)
        if function is None or not getattr(function, "name", None):
            raise ProviderFailure("malformed", "a tool call without a function name")
        result.tool_calls.append(
            ToolCall(id=tc.id or f"call_{i}", name=function.name, arguments=function.arguments or "")
        )
    _add_usage(result, getattr(completion, "usage", None))
    return result


def _from_stream(stream: Any, deadline: float, on_text: Callable[[str], None] | None) -> Round:
    result = Round()
    parts: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    seen_any = False
    for chunk in stream:
        seen_any = True
        if time.monotonic() > deadline:
            raise ProviderFailure("timeout", "the stream ran past the turn's time budget")
        _add_usage(result, getattr(chunk, "usage", None))
        for choice in getattr(chunk, "choices", None) or []:
            if (choice.index or 0) != 0:
                continue
            delta = choice.delta
            if delta is not None:
                if delta.content:
                    parts.append(delta.content)
                    if on_text is not None:
                        on_text("".join(parts))
                for position, tc in enumerate(delta.tool_calls or []):
                    index = tc.index if tc.index is not None else position
                    slot = calls.setdefault(index, {"id": None, "name": "", "arguments": []})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function is not None:
                        if tc.function.name:
                            slot["name"] = tc.function.name  # sent whole, once (some servers repeat it)
                        if tc.function.arguments:
                            slot["arguments"].append(tc.function.arguments)
            if choice.finish_reason:
                result.finish_reason = choice.finish_reason
    if not seen_any:
        raise ProviderFailure("malformed", "an empty stream")
    result.text = "".join(parts)
    for index in sorted(calls):
        slot = calls[index]
        if not slot["name"]:
            raise ProviderFailure("malformed", "a streamed tool call without a function name")
        result.tool_calls.append(
            ToolCall(id=slot["id"] or f"call_{index}", name=slot["name"], arguments="".join(slot["arguments"]))
        )
    return result


def _add_usage(result: Round, usage: Any) -> None:
    """Keep the latest usage report: a stream reports it once at the end, or
    (vLLM's continuous usage stats) cumulatively in every chunk."""
    if usage is None:
        return
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if isinstance(prompt, int) and not isinstance(prompt, bool):
        result.prompt_tokens = prompt
    if isinstance(completion, int) and not isinstance(completion, bool):
        result.completion_tokens = completion
