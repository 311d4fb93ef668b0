"""Test helpers that ship with StoreChat for connector authors.

Importing this package needs ``pytest`` (it is a test dependency, not a
runtime one); nothing in the application imports it.
"""

from __future__ import annotations

from .connector_contract import ConnectorContract as ConnectorContract

__all__ = ["ConnectorContract"]
