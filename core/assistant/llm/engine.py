"""The OpenAI-compatible engine: any chat-completions server with function calling.

Works with OpenAI, Azure OpenAI's v1 endpoint, and local servers (llama.cpp,
vLLM, Ollama). A turn is a bounded tool loop: the model gets the system
prompt, the recent conversation and the shopper's text; it may call the
store's tools (``TOOL_SPECS``) for at most ``max_rounds - 1`` rounds, and the
last round may not call tools at all. Its final text is the reply; the cards
are the products this turn's tools returned.

Streaming contract (``Turn.stream``): the callback receives the reply's
**whole text so far** (not a delta), so a renderer simply replaces the
pending bubble's text with each call. Calls are throttled (at most one per
50 ms unless 20 more characters arrived, never more than one per 20 ms),
carry whole words only (a figure is never cut in half), and stop for the
rest of a round as soon as the text so far holds a figure the grounding
guard would not accept, so an invented price is never shown, not even for a
moment. At the end of a streamed answer the complete text is sent once more.
The text usually only grows; it starts over (may get shorter) in the rare
case where a model wrote a few words and then called a tool. The stored
message always replaces whatever was streamed, which is also what happens
when the guard trips or the built-in engine answers instead.

Fallback: on any provider problem (HTTP error, timeout, refused connection,
malformed response, a model still calling tools in its last round, an empty
answer) the built-in engine answers the same turn with the same ``Tools``:
calls recorded before the failure are real store data, so they cannot
ground an invented figure, and they stay in the audit trail. The reply's
``engine`` is then ``"openai->builtin"``, and an ``llm_fallback`` Event with
the reason is added to the turn's session. The shopper never sees an error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.assistant import guard
from core.assistant.builtin import language
from core.assistant.engine import Reply, Turn
from core.assistant.llm import prompt, provider, toolrun
from core.assistant.llm.config import ConfigProblem, LLMConfig
from core.assistant.llm.provider import ProviderFailure
from core.assistant.llm.toolrun import ToolCall
from core.db import Event

if TYPE_CHECKING:
    from core.assistant.engine import Engine
    from core.assistant.tools import Tools

log = logging.getLogger(__name__)

MAX_TEXT = 2000
#: Tool calls the model may ask for in one round, and in a whole turn.
MAX_CALLS_PER_ROUND = 5
MAX_CALLS_PER_TURN = 12
STREAM_INTERVAL = 0.05
STREAM_CHARS = 20
STREAM_MIN_GAP = 0.02


class StreamGate:
    """Between the model's tokens and ``Turn.stream``: throttles, cuts at word
    boundaries, and holds back text the grounding guard would reject."""

    def __init__(self, sink: Callable[[str], None] | None, tools: Tools, shopper_text: str) -> None:
        self.sink = sink
        self.tools = tools
        self.shopper_text = shopper_text
        self.sent: list[str] = []
        self._last_at = float("-inf")
        self._sent_len = 0
        self._blocked = False

    def new_round(self) -> None:
        self._blocked = False
        self._sent_len = 0

    def feed(self, text: str) -> None:
        if self._blocked or self.sink is None:
            return
        now = time.monotonic()
        elapsed = now - self._last_at
        if elapsed < STREAM_MIN_GAP:
            return
        if elapsed >= STREAM_INTERVAL or len(text) - self._sent_len >= STREAM_CHARS:
            self._emit(_whole_words(text), len(text), now)

    def flush(self, text: str) -> None:
        if not self._blocked and self.sink is not None:
            self._emit(text.strip(), len(text), time.monotonic())

    def _emit(self, shown: str, length: int, now: float) -> None:
        if not shown or (self.sent and shown == self.sent[-1]):
            return
        if guard.ungrounded(shown, self.tools.calls, self.shopper_text):
            self._blocked = True  # the final check will replace this reply; show nothing more of it
            return
        self._last_at, self._sent_len = now, length
        self.sent.append(shown)
        try:
            self.sink(shown)  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - streaming is a nicety; the stored reply is what counts
            log.debug("the stream callback failed; not streaming the rest of this reply", exc_info=True)
            self.sink = None


def _whole_words(text: str) -> str:
    cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
    return text[:cut].strip() if cut > 0 else ""


class _Usage:
    def __init__(self) -> None:
        self.prompt = self.completion = 0
        self.reported = False
        self.rounds = 0

    def add(self, result: provider.Round) -> None:
        self.rounds += 1
        if result.prompt_tokens is not None or result.completion_tokens is not None:
            self.reported = True
            self.prompt += result.prompt_tokens or 0
            self.completion += result.completion_tokens or 0

    def as_dict(self) -> dict[str, int]:
        if not self.reported:
            return {}
        return {"prompt_tokens": self.prompt, "completion_tokens": self.completion}


class OpenAIEngine:
    name = "openai"
    waits = True

    def __init__(self, config: dict[str, Any] | None, fallback: Engine | None = None) -> None:
        if fallback is None:
            from core.assistant.builtin import BuiltinEngine

            fallback = BuiltinEngine()
        self.fallback = fallback
        self.config: LLMConfig | None
        self.problem: str | None = None
        try:
            self.config = LLMConfig.from_settings(dict(config or {}))
        except ConfigProblem as exc:
            self.config, self.problem = None, str(exc)

    def __repr__(self) -> str:  # never the key
        if self.config is None:
            return f"OpenAIEngine(unconfigured: {self.problem})"
        return f"OpenAIEngine(model={self.config.model!r}, base_url={self.config.base_url!r})"

    def reply(self, turn: Turn, tools: Tools) -> Reply:
        started = time.monotonic()
        usage = _Usage()
        try:
            if self.config is None:
                raise ProviderFailure("config", self.problem or "not configured")
            return self._answer(self.config, turn, tools, usage, started)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the shopper gets an answer
            return self._fall_back(turn, tools, exc, usage, started)

    # -- the tool loop ---------------------------------------------------------

    def _answer(self, config: LLMConfig, turn: Turn, tools: Tools, usage: _Usage, started: float) -> Reply:
        deadline = started + config.timeout
        previous = (turn.context or {}).get("lang")
        lang = language.for_turn(
            turn.text, previous if previous in language.SPOKEN else None, tools.locale, turn.shop.locale
        )
        messages = prompt.build_messages(turn, config, lang)
        specs = toolrun.openai_tools()
        gate = StreamGate(turn.stream if config.stream else None, tools, turn.text)
        calls_run = 0
        for number in range(1, config.max_rounds + 1):
            last = number == config.max_rounds
            gate.new_round()
            result = provider.complete(
                config,
                messages,
                tools=specs,
                tool_choice="none" if last else "auto",
                deadline=deadline,
                on_text=gate.feed if gate.sink else None,
            )
            usage.add(result)
            if result.tool_calls:
                if last:
                    raise ProviderFailure("too_many_rounds", f"still calling tools in round {number}")
                if result.text.strip():
                    gate.flush(result.text)  # "Let me check…" stays up while the tools run
                messages.append(_assistant_message(result))
                for i, call in enumerate(result.tool_calls):
                    if i >= MAX_CALLS_PER_ROUND or calls_run >= MAX_CALLS_PER_TURN:
                        output: Any = toolrun.reject(tools, call, "too many tool calls; answer with what you have")
                    else:
                        output = toolrun.run(tools, call)
                        calls_run += 1
                    messages.append(toolrun.result_message(call, output))
                continue
            text = result.text.strip()[:MAX_TEXT]
            if not text:
                raise ProviderFailure("empty_reply", f"finish_reason={result.finish_reason}")
            gate.flush(text)
            return Reply(
                text=text,
                cards=toolrun.cards(tools.calls, text),
                intent=toolrun.intent(tools.calls),
                handoff=tools.handoff_reason,
                usage=usage.as_dict(),
                engine=self.name,
                context={"lang": lang} if lang in language.SPOKEN else {},
                language=lang,
            )
        raise ProviderFailure("too_many_rounds")  # not reached: the last round returns or raises

    # -- when the provider fails -------------------------------------------------

    def _fall_back(self, turn: Turn, tools: Tools, exc: Exception, usage: _Usage, started: float) -> Reply:
        reason = provider.classify(exc)
        detail = exc.detail if isinstance(exc, ProviderFailure) else f"{type(exc).__name__}: {exc}"
        if self.config is not None:
            detail = self.config.scrub(detail)
        detail = detail[:300]
        if reason in ("engine_error", "malformed") and not isinstance(exc, ProviderFailure):
            log.warning(
                "LLM engine failed in conversation %s (%s); the built-in engine answers",
                turn.conversation_id,
                detail,
                exc_info=True,
            )
        else:
            log.warning(
                "LLM engine failed in conversation %s (%s: %s); the built-in engine answers",
                turn.conversation_id,
                reason,
                detail,
            )
        reply = self.fallback.reply(turn, tools)
        reply.engine = f"{self.name}->{reply.engine or getattr(self.fallback, 'name', 'fallback')}"
        if not reply.usage and usage.reported:
            reply.usage = usage.as_dict()
        _record_fallback(
            tools,
            turn,
            {
                "reason": reason,
                "detail": detail,
                "rounds": usage.rounds,
                "model": self.config.model if self.config else None,
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return reply


def _assistant_message(result: provider.Round) -> dict[str, Any]:
    calls = []
    for call in result.tool_calls:
        try:
            arguments = call.arguments if isinstance(json.loads(call.arguments or "{}"), dict) else "{}"
        except ValueError:
            arguments = "{}"  # echoing broken JSON back makes some servers' chat templates fail
        calls.append({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}})
    return {"role": "assistant", "content": result.text or None, "tool_calls": calls}


def _record_fallback(tools: Tools, turn: Turn, data: dict[str, Any]) -> None:
    """An ``llm_fallback`` Event in the turn's session (committed with the reply)."""
    try:
        tools.session.add(
            Event(shop_id=turn.shop.id, conversation_id=turn.conversation_id or None, kind="llm_fallback", data=data)
        )
    except Exception:  # noqa: BLE001 - the answer matters more than its analytics
        log.debug("could not record the fallback event", exc_info=True)


__all__ = ["OpenAIEngine", "StreamGate", "ToolCall"]
