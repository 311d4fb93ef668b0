"""Finds connectors through the ``storechat.connectors`` entry-point group.

Loaded lazily and once per process. A connector that fails to import is
logged and skipped: one broken platform package never takes StoreChat down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from core.connector import Connector
from core.errors import ConnectorNotFound

GROUP = "storechat.connectors"
log = logging.getLogger(__name__)


@cache
def available() -> Mapping[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        try:
            cls = ep.load()
        except Exception:  # noqa: BLE001 - any import failure disables just this connector
            log.exception("connector %r failed to load; skipped", ep.name)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            log.error("entry point %r is not a Connector subclass; skipped", ep.name)
            continue
        found[ep.name] = cls
    return found


def get(platform: str) -> type[Connector]:
    try:
        return available()[platform]
    except KeyError:
        known = ", ".join(sorted(available())) or "none"
        raise ConnectorNotFound(f"no connector named {platform!r} (installed: {known})") from None


def build(platform: str, config: Mapping[str, Any]) -> Connector:
    return get(platform)(config)
