"""What every HTTP request goes through for observability: an id, a count, a log line.

- **Id**: a request's ``X-Request-ID`` when it is a sane one (a proxy's, up to 64
  letters, digits, ``-_.:``), else a new one; answered in ``X-Request-ID`` and
  bound to every log line written while the request is handled
  (:func:`core.log_setup.bind_until_reset`), a socket's whole life included.
- **Count**: ``storechat_http_requests{route, method, status}``, the route being
  the URL rule (``/webhooks/<platform>``), never the raw path, so the series
  stay few; a request no rule matched counts as ``unmatched``.
- **Access line** (``STORECHAT_ACCESS_LOG``): logger ``core.access``, one line
  per request with its route, status and milliseconds; never its query string
  (tokens travel there) nor its body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from core import log_setup, metrics

access = logging.getLogger("core.access")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def init_app(app: Flask, *, access_log: bool) -> None:
    @app.before_request
    def _begin() -> None:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id = request_id
        g.request_started = time.perf_counter()
        g.request_log_token = log_setup.bind_until_reset(request_id=request_id)

    @app.after_request
    def _count(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        metrics.record_request(route, request.method, response.status_code)
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if access_log:
            started = g.get("request_started")
            ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
            access.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={"route": route, "method": request.method, "status": response.status_code, "ms": ms},
            )
        return response

    @app.teardown_request
    def _end(exc: BaseException | None) -> None:
        token = g.pop("request_log_token", None)
        if token is not None:
            try:
                log_setup.reset(token)
            except ValueError:  # set in another context (cannot happen in one greenlet); keep serving
                pass
