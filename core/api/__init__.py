"""StoreChat's HTTP API described (:mod:`core.api.openapi`, ``/api/openapi.json``), and
its HTTP errors answered as JSON (:mod:`core.api.errors`)."""
from flask import Flask

from core.api import errors, openapi


def init_app(app: Flask) -> None:
    openapi.init_app(app)
    errors.init_app(app)
