"""``/healthz``: the process is alive. ``/readyz``: it can serve (database,
Redis, migrations current). Load balancers route on ``/readyz``.

``/readyz`` is public: it says which part is unavailable, never why (an
exception's text names hosts, ports, users); the reason goes to the log.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from core.db.migrate import SchemaTooOld, require_current
from core.errors import ConfigError
from core.services import services

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    svc = services()
    checks: dict[str, str] = {}
    try:
        with svc.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        try:
            # A schema newer than this code is ready too: during a rolling deploy the new
            # release migrates first while the old hosts still serve (docs/deploy.md).
            require_current(svc.db.engine)
            checks["migrations"] = "ok"
        except SchemaTooOld:
            checks["migrations"] = "pending: run `storechat migrate`"
    except Exception:  # noqa: BLE001 - report any failure as not ready
        log.warning("readyz: the database is unavailable", exc_info=True)
        checks["database"] = "unavailable"
    try:
        svc.redis.ping()
        checks["redis"] = "ok"
    except ConfigError:
        checks["redis"] = "not configured"
    except Exception:  # noqa: BLE001
        log.warning("readyz: Redis is unavailable", exc_info=True)
        checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
