"""StoreChat's HTTP API described (:mod:`core.api.openapi`, ``/api/openapi.json``), its
HTTP errors answered as JSON (:mod:`core.api.errors`), and input no column can store
refused at the door (:mod:`core.api.input_guard`)."""

from flask import Flask

from core.api import errors, input_guard, openapi


def init_app(app: Flask) -> None:
    openapi.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
