"""The audit log: who changed what in a shop, when, and from where.

Every change a signed-in person makes in the admin (settings, team, hours,
canned replies, A/B tests, "sync now") is one ``audit_log`` row. :func:`record` takes the
caller's session, so a settings change and its entry are one transaction:
never one without the other. (An invitation or a closed account, made by
:mod:`core.accounts.users` in its own transaction, is recorded right after.) ``detail``
holds the fields changed, ``{"field": [old, new]}``, with secrets shown only
as ``"(secret)"`` (:func:`core.shop_settings.changes`).

Rows are append-only: nothing in StoreChat updates them (the ORM refuses),
and only erasing the shop (:mod:`core.privacy`) deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.db import AuditLog, User
from core.errors import StoreChatError

#: Entries per page of the admin's audit page.
PAGE = 100
MAX_ACTION = 64


class AuditRowsAreFinal(StoreChatError):
    code = "audit_append_only"


@event.listens_for(AuditLog, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditLog) -> None:
    raise AuditRowsAreFinal("audit log entries are never changed")


def record(
    session: Session,
    shop_id: int,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    user_id: int | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Add one entry in ``session`` (committed with the caller's change)."""
    entry = AuditLog(
        shop_id=shop_id, user_id=user_id, action=action[:MAX_ACTION], detail=detail or {}, ip=(ip or None) and ip[:64]
    )
    session.add(entry)
    return entry


def record_request(session: Session, action: str, detail: dict[str, Any] | None = None) -> AuditLog:
    """:func:`record` for the signed-in admin user of this request, with the request's address."""
    from flask import request
    from flask_login import current_user

    return record(session, current_user.shop_id, action, detail, user_id=current_user.user_id, ip=request.remote_addr)


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    who: str
    action: str
    detail: dict[str, Any]
    ip: str | None


def entries(session: Session, shop_id: int, *, before: int | None = None, limit: int = PAGE) -> list[Entry]:
    """The shop's entries, newest first; ``before``: only those older than that id (the next page)."""
    query = (
        select(AuditLog, User.email)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.shop_id == shop_id)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(AuditLog.id < before)
    return [
        Entry(
            row.id,
            row.created_at,
            email or ("StoreChat" if row.user_id is None else f"user {row.user_id}"),
            row.action,
            row.detail or {},
            row.ip,
        )
        for row, email in session.execute(query)
    ]
