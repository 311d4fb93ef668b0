"""A Slack-compatible incoming webhook: ``POST {"text": ...}`` as JSON.

The address is the merchant's choice, so it is called like every such
address (core/outbound): public https only, the checked address is the one
connected to, no redirects, and one deadline for the whole request."""

from __future__ import annotations

import requests

from core.errors import StoreChatError
from core.outbound import OutboundRefused, OutboundSession
from core.settings import Settings

#: Seconds for the whole POST.
DEADLINE = 15.0


class WebhookError(StoreChatError):
    code = "webhook_failed"


def post(settings: Settings, url: str, text: str) -> None:
    session = OutboundSession(deadline=DEADLINE, max_redirects=0)
    try:
        response = session.post(url, json={"text": text}, allow_redirects=False)
    except (requests.RequestException, OutboundRefused):
        # The same words for a refused address as for a closed port: the result says nothing of the network.
        raise WebhookError("could not reach the webhook") from None
    finally:
        session.close()
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"the webhook answered {response.status_code}")
