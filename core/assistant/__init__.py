"""The shopping assistant: engines, the tools they share, and the reply service."""
from core.assistant.engine import Card, Engine, Reply, Turn, resolve_engine

__all__ = ["Card", "Engine", "Reply", "Turn", "resolve_engine"]
