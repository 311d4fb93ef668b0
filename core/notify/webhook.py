"""A Slack-compatible incoming webhook: ``POST {"text": ...}`` as JSON."""
from __future__ import annotations

import requests

from core.errors import StoreChatError
from core.settings import Settings

TIMEOUT = (5, 10)


class WebhookError(StoreChatError):
    code = "webhook_failed"


def post(settings: Settings, url: str, text: str) -> None:
    try:
        response = requests.post(url, json={"text": text}, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        raise WebhookError("could not reach the webhook") from None
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"the webhook answered {response.status_code}")
