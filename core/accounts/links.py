"""One-time links for choosing a password: a new account's first, or a reset.

A link is signed (itsdangerous) and carries the user and a fingerprint of
their current password and session version. Setting a password changes both,
so a link works once; a newer link does not revoke an older one until then.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.accounts.users import active_user
from core.db import Database, User
from core.errors import StoreChatError
from core.settings import Settings

SALT = "storechat.account-link.v1"


@dataclass(frozen=True)
class Purpose:
    name: str
    max_age: int


#: A new account (from the CLI or an owner's invitation): a week to accept.
WELCOME = Purpose("welcome", 7 * 24 * 3600)
#: "Forgot my password": one hour.
RESET = Purpose("reset", 3600)
PURPOSES = {p.name: p for p in (WELCOME, RESET)}


def server_url(settings: Settings) -> str:
    """This server's address as a person's browser reaches it (links made outside a request)."""
    return (settings.public_url or f"http://{settings.host}:{settings.port or 8000}").rstrip("/")


def admin_url(settings: Settings, path: str) -> str:
    """An address of this server's admin."""
    return f"{server_url(settings)}/admin/{path.lstrip('/')}"


class BadLink(StoreChatError):
    code = "bad_link"


def _fingerprint(user: User) -> str:
    state = f"{user.id}|{user.password_hash or ''}|{user.session_version}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


class AccountLinks:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def make(self, user: User, purpose: Purpose) -> str:
        return self._serializer.dumps({"u": user.id, "p": purpose.name, "f": _fingerprint(user)})

    def url(self, base: str, user: User, purpose: Purpose) -> str:
        """The link itself: the admin page of ``purpose`` (``/admin/welcome/...``, ``/admin/reset/...``)
        at ``base``, the server's address."""
        return f"{base.rstrip('/')}/admin/{purpose.name}/{self.make(user, purpose)}"

    def read(self, db: Database, token: str, purpose: Purpose) -> User:
        """The user the link is for; :class:`BadLink` if it is forged, expired, used or for something else."""
        if not isinstance(token, str) or len(token) > 512:
            raise BadLink("this link is not valid")
        try:
            data = self._serializer.loads(token, max_age=purpose.max_age)
        except SignatureExpired:
            raise BadLink("this link has expired; ask for a new one") from None
        except BadSignature:
            raise BadLink("this link is not valid") from None
        if not isinstance(data, dict) or data.get("p") != purpose.name or not isinstance(data.get("u"), int):
            raise BadLink("this link is not valid")
        with db.session() as session:
            user = active_user(session, data["u"])
            if user is None or data.get("f") != _fingerprint(user):
                raise BadLink("this link has already been used or the account is closed")
            return user
