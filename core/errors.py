"""The one error hierarchy of StoreChat.

Every error a merchant, shopper or operator can see carries a stable ``code``
(for API responses, socket error frames and CLI exit messages) and a clear
message. Raise these; never return ``(value, error)`` pairs.
"""

from __future__ import annotations


class StoreChatError(Exception):
    """Base of every error StoreChat raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(StoreChatError):
    code = "config_invalid"


class NotFound(StoreChatError):
    code = "not_found"


class BadInput(StoreChatError):
    code = "bad_input"


class ConnectorError(StoreChatError):
    """A connector could not talk to its platform or read its data."""

    code = "connector_error"


class RecordError(ConnectorError):
    """A platform record (a CSV line, an API object) is malformed.

    ``location`` names where: ``"line 14"``, ``"product gid://shopify/Product/1"``.
    """

    code = "record_invalid"

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ConnectorNotFound(ConnectorError):
    code = "connector_not_found"


class RateLimited(StoreChatError):
    """Too many requests from one client; one is allowed again in ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
