"""The OpenAI-compatible assistant engine (see ``core.assistant.llm.engine``).

``resolve_engine`` builds ``OpenAIEngine(shop.settings["assistant"],
fallback=BuiltinEngine())`` when a shop's assistant engine is ``"openai"``.
"""

from core.assistant.llm.engine import OpenAIEngine, StreamGate

__all__ = ["OpenAIEngine", "StreamGate"]
