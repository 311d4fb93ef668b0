"""Platform webhooks: ``POST /webhooks/<platform>`` verifies and records a
delivery and answers at once; a worker carries out what it asks."""

from core.webhooks.processing import apply_action, process_delivery
from core.webhooks.routes import init_app

__all__ = ["apply_action", "init_app", "process_delivery"]
