"""The OpenAI-compatible engine's settings, read from ``shop.settings["assistant"]``.

Every value is optional except ``model``; numbers are clamped to sane
bounds, so a typo in a merchant's settings cannot make a turn wait minutes.
The API key is stored sealed (``core.assistant.llm.sealed_key`` opens it
before it gets here), kept out of ``repr`` and never logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from core.security.credentials import SEALED

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Sent when no key is configured: local servers (llama.cpp, vLLM, Ollama)
#: ignore it, and it keeps the SDK from picking up ``OPENAI_API_KEY`` from the
#: environment and sending the operator's key to a merchant's server.
PLACEHOLDER_KEY = "sk-no-key-configured"


class ConfigProblem(ValueError):
    """The settings cannot work (no model, a key that is not a string)."""


def _number(value: Any, default: float, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if not math.isfinite(number):
        return default
    return min(max(number, low), high)


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    cleaned = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")
    return cleaned.strip()[:limit]


@dataclass(frozen=True)
class LLMConfig:
    model: str
    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default=PLACEHOLDER_KEY, repr=False)
    persona: str = ""
    tone: str = ""
    #: Seconds for the whole turn, every round and retry included.
    timeout: float = 20.0
    #: Seconds for one request (for a stream: the longest silence between chunks).
    request_timeout: float = 10.0
    max_retries: int = 1
    #: Model requests per turn; the last one may not call tools.
    max_rounds: int = 4
    stream: bool = True
    #: Ask for a usage chunk at the end of a stream (``stream_options``).
    stream_usage: bool = True
    temperature: float | None = None
    max_tokens: int | None = None
    #: Earlier messages of the conversation sent along.
    history: int = 12

    @classmethod
    def from_settings(cls, config: dict[str, Any]) -> LLMConfig:
        model = config.get("model")
        if not isinstance(model, str) or not model.strip():
            raise ConfigProblem("no model configured")
        if SEALED in config:
            raise ConfigProblem(
                "the API key cannot be decrypted with the configured credentials keys "
                "(STORECHAT_CREDENTIALS_KEY or STORECHAT_SECRET_KEY changed without "
                "keeping the old key)"
            )
        key = config.get("api_key")
        if key is not None and not isinstance(key, str):
            raise ConfigProblem("api_key is not a string (still encrypted?)")
        base_url = config.get("base_url")
        if base_url is not None and (not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))):
            raise ConfigProblem("base_url must be an http(s) URL")
        timeout = _number(config.get("timeout"), 20.0, 1.0, 120.0)
        temperature = config.get("temperature")
        max_tokens = config.get("max_tokens")
        return cls(
            model=model.strip(),
            base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
            api_key=key.strip() if key and key.strip() else PLACEHOLDER_KEY,
            persona=_text(config.get("persona"), 400),
            tone=_text(config.get("tone"), 200),
            timeout=timeout,
            request_timeout=min(_number(config.get("request_timeout"), 10.0, 0.2, 120.0), timeout),
            max_retries=int(_number(config.get("max_retries"), 1, 0, 3)),
            max_rounds=int(_number(config.get("max_rounds"), 4, 2, 8)),
            stream=config.get("stream", True) is not False,
            stream_usage=config.get("stream_usage", True) is not False,
            temperature=_number(temperature, 0.3, 0.0, 2.0) if temperature is not None else None,
            max_tokens=int(_number(max_tokens, 400, 16, 4096)) if max_tokens is not None else None,
            history=int(_number(config.get("history"), 12, 0, 40)),
        )

    def scrub(self, text: str) -> str:
        """``text`` with the API key taken out, for logs and events."""
        if self.api_key and self.api_key != PLACEHOLDER_KEY:
            text = text.replace(self.api_key, "***")
        return text
