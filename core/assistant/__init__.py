"""The shopping assistant: engines, the tools they share, the grounding guard,
and the reply service."""

from core.assistant.engine import Engine, Reply, Turn, resolve_engine

__all__ = ["Engine", "Reply", "Turn", "resolve_engine"]
