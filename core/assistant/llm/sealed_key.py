"""The LLM API key at rest: sealed in ``shop.settings["assistant"]`` like every credential.

The key is kept as a Fernet token under ``$sealed`` (see
:mod:`core.security.credentials`), never in plain text. A key found plain
(stored before sealing existed, or written into the settings by hand) is
still used, and sealed in the shop's row in the same transaction.
``storechat rotate-credentials`` seals plain keys and re-encrypts sealed ones
with the newest key (:func:`reseal`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import object_session

from core.db import Database, Shop
from core.security.credentials import SEALED, Credentials, CredentialsUnreadable

log = logging.getLogger(__name__)

#: The secret fields of the assistant's settings.
SECRET_FIELDS = frozenset({"api_key"})


def _stored(shop: Shop) -> dict[str, Any]:
    return dict((shop.settings or {}).get("assistant") or {})


def _store(shop: Shop, config: dict[str, Any]) -> None:
    shop.settings = {**(shop.settings or {}), "assistant": config}


def seal(credentials: Credentials, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` (the assistant's settings) as stored: the API key sealed."""
    return credentials.seal(config, SECRET_FIELDS)


def opened_config(shop: Shop) -> dict[str, Any]:
    """The shop's assistant settings with the API key readable.

    A plain key is sealed in the shop's row on the way (the caller's session
    commits it). A key that cannot be decrypted stays sealed: the engine then
    reports it as not configured, and the built-in engine answers.
    """
    config = _stored(shop)
    if not SECRET_FIELDS & config.keys() and SEALED not in config:
        return config
    session = object_session(shop)
    if session is None:
        raise RuntimeError("the shop must belong to a session to read its assistant's API key")
    credentials = Credentials.from_settings(Database.of(session).settings)
    try:
        opened = credentials.open(config)
    except CredentialsUnreadable:
        log.error("shop %s: the assistant's API key cannot be decrypted with the configured keys", shop.id)
        return config
    if SECRET_FIELDS & config.keys():
        _store(shop, seal(credentials, opened))
    return opened


def reseal(credentials: Credentials, shop: Shop) -> bool:
    """Seal a plain key, re-encrypt a sealed one with the newest key; True when the row changed."""
    config = _stored(shop)
    if SECRET_FIELDS & config.keys():
        _store(shop, seal(credentials, config))
        return True
    if SEALED in config:
        rotated = credentials.rotate(config)
        if rotated != config:
            _store(shop, rotated)
            return True
    return False
