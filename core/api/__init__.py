"""StoreChat's HTTP API described: the OpenAPI document (:mod:`core.api.openapi`)."""
from core.api.openapi import init_app

__all__ = ["init_app"]
