"""Where the chat asks for notifications: each queues an RQ job and returns
at once (the job decides, when it runs, whether anyone needs telling).
Queuing is best effort: the chat never fails because Redis is away."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)
#: The team's answers are emailed to a shopper who left this long after the
#: newest one (several quick replies make one email).
REPLY_EMAIL_DELAY = timedelta(seconds=60)


def _queue(what: str, enqueue: Any) -> None:
    try:
        enqueue()
    except Exception:  # noqa: BLE001 - stored already; a lost notification is logged, never raised
        log.exception("could not queue the %s notification", what)


def shopper_waiting(svc: Any, conversation_id: int) -> None:
    """A conversation started waiting for a person."""
    from core.jobs import enqueue_team_alert

    _queue("waiting", lambda: enqueue_team_alert(svc.redis, conversation_id, "waiting"))


def contact_left(svc: Any, conversation_id: int, email: str) -> None:
    """A shopper left an address to be answered later."""
    from core.jobs import enqueue_team_alert

    _queue("contact", lambda: enqueue_team_alert(svc.redis, conversation_id, "contact", email))


def team_replied(svc: Any, conversation_id: int) -> None:
    """Someone from the team answered: the shopper may have to read it by email."""
    from core.jobs import enqueue_shopper_email

    _queue("reply", lambda: enqueue_shopper_email(svc.redis, conversation_id, REPLY_EMAIL_DELAY))
