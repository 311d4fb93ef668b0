"""Shop credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

A connector names the fields of its config that are secrets
(``Connector.secret_fields``: tokens, API keys). Those fields are stored
together as one Fernet token under :data:`SEALED`; the other fields (a shop
domain, a CSV path) stay readable. :func:`open_config` gives the plain config
back; a config stored before encryption existed (no :data:`SEALED` key) reads
as it is.

Keys come from ``STORECHAT_CREDENTIALS_KEY`` (comma-separated Fernet keys: the
first encrypts, every one decrypts, so a key can be rotated by putting the new
one first and running ``storechat`` once with both). Without it, one key is
derived from ``secret_key`` with HKDF-SHA256; it stays a decryption key when a
dedicated key is set later, so existing shops keep working.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigError, StoreChatError

#: The config key holding the encrypted secret fields.
SEALED = "$sealed"
MASK = "********"
_HKDF_INFO = b"storechat.credentials.v1"


class CredentialsUnreadable(StoreChatError):
    code = "credentials_unreadable"


def derive_key(secret_key: str) -> bytes:
    """The Fernet key derived from the instance secret."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


class Credentials:
    """Seals and opens connector configs with the instance's keys."""

    def __init__(self, keys: Iterable[bytes | str]) -> None:
        fernets = [Fernet(k) for k in keys]
        if not fernets:
            raise ConfigError("no credentials key: set STORECHAT_CREDENTIALS_KEY or STORECHAT_SECRET_KEY")
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Any) -> Credentials:
        keys: list[bytes | str] = []
        if settings.credentials_key:
            keys.extend(k.strip() for k in settings.credentials_key.split(",") if k.strip())
        if settings.secret_key:
            keys.append(derive_key(settings.secret_key))
        return cls(keys)

    def seal(self, config: Mapping[str, Any], secret_fields: Iterable[str]) -> dict[str, Any]:
        """The config as stored: secret fields encrypted together, the rest plain."""
        plain = self.open(config)
        names = set(secret_fields)
        secrets = {k: v for k, v in plain.items() if k in names}
        stored = {k: v for k, v in plain.items() if k not in names}
        if secrets:
            token = self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode())
            stored[SEALED] = token.decode()
        return stored

    def open(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The plain config; a config without sealed fields is returned as it is."""
        config = dict(stored or {})
        token = config.pop(SEALED, None)
        if token is None:
            return config
        try:
            secrets = json.loads(self._fernet.decrypt(str(token).encode()))
        except InvalidToken:
            raise CredentialsUnreadable(
                "stored shop credentials cannot be decrypted with the configured keys; "
                "STORECHAT_CREDENTIALS_KEY (or STORECHAT_SECRET_KEY) changed without keeping the old key"
            ) from None
        config.update(secrets)
        return config

    def rotate(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The stored config re-encrypted with the first (newest) key."""
        config = dict(stored or {})
        if SEALED in config:
            config[SEALED] = self._fernet.rotate(str(config[SEALED]).encode()).decode()
        return config


def masked(config: Mapping[str, Any], secret_fields: Iterable[str]) -> dict[str, Any]:
    """A plain config fit to show: secrets replaced by :data:`MASK`."""
    names = set(secret_fields)
    return {k: (MASK if k in names and v else v) for k, v in config.items() if k != SEALED}
