"""HTTP errors on the API's paths answer JSON, like every handler there:
``{"error": {"code", "message"}}``. A request no route takes (an id that is not a
number, a path under the API that does not exist), a method a route does not take,
or a body over the size limit would otherwise get Werkzeug's HTML page, which a
script cannot read. Pages (the admin's forms, the install pages) keep their HTML."""

from __future__ import annotations

import re

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

#: Paths that answer JSON (core/api/openapi.py documents them).
JSON_PATHS = (
    "/api/",
    "/admin/inbox/api/",
    "/admin/api/",
    "/admin/analytics/export.csv",
    "/admin/settings/install/sync/",
    "/webhooks/",
    "/widget/v1/",
    "/connect/",
    "/healthz",
    "/readyz",
)


def is_api_path(path: str) -> bool:
    return path.startswith(JSON_PATHS)


def _code(exc: HTTPException) -> str:
    return re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")


def _json_error(exc: HTTPException) -> HTTPException | tuple[Response, int]:
    if not is_api_path(request.path) or exc.code is None or exc.code < 400:
        return exc
    message = {
        404: "no such API endpoint or object (an id must be a whole number)",
        405: f"this endpoint does not take {request.method}",
        413: "the request body is too large",
    }.get(exc.code, exc.description or exc.name)
    response = jsonify(error={"code": _code(exc), "message": message})
    if exc.code == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response, exc.code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _json_error)
