"""``/metrics`` in one process: hidden without a token, refused with a wrong one, and
what it counts (requests by route rule, never by raw path; the live readings)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from core.app import create_app
from core.db import Database
from core.metrics_view import authorized
from core.settings import Settings

TOKEN = "scrape-token-" + "k" * 24


@pytest.fixture
def app_with(settings: Settings, db: Database, redis) -> Iterator:  # type: ignore[no-untyped-def, type-arg]
    apps: list[Flask] = []

    def make(**changes: object) -> Flask:
        app = create_app(settings.model_copy(update=changes))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["storechat"].close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_without_a_token_setting_metrics_does_not_exist(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(metrics_token=None).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-but-long-enough", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                    "Bearer ", TOKEN])
def test_a_missing_or_wrong_token_is_refused(app_with, header: str | None) -> None:  # type: ignore[no-untyped-def]
    client = app_with(metrics_token=TOKEN).test_client()
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"storechat_" not in response.data


def test_the_right_token_gets_the_figures(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(metrics_token=TOKEN).test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no/such/page-12345")
    assert client.post("/webhooks/nosuchkey-abc", data=b"{}").status_code == 404
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    figures = samples(text)
    assert figures[("storechat_http_requests_total",
                    (("method", "GET"), ("route", "/healthz"), ("status", "200")))] >= 3
    assert figures[("storechat_http_requests_total",
                    (("method", "GET"), ("route", "unmatched"), ("status", "404")))] >= 1
    # the rule, never the raw path: no series names a site key or a made-up path
    assert "nosuchkey-abc" not in text and "page-12345" not in text
    assert figures[("storechat_http_requests_total",
                    (("method", "POST"), ("route", "/webhooks/<platform>"), ("status", "404")))] >= 1
    assert figures[("storechat_webhook_deliveries_total",
                    (("outcome", "unknown_platform"), ("platform", "unknown")))] >= 1
    assert figures[("storechat_queue_depth", (("queue", "assistant"),))] == 0
    assert ("storechat_sync_runs", (("status", "running"),)) in figures
    assert ("storechat_scrape_errors", (("source", "redis"),)) not in figures


def test_the_comparison_takes_only_a_bearer_token() -> None:
    assert authorized(TOKEN, f"Bearer {TOKEN}") and authorized(TOKEN, f"bearer  {TOKEN} ")
    assert not authorized(None, f"Bearer {TOKEN}") and not authorized(TOKEN, None)
    assert not authorized(TOKEN, f"Bearer {TOKEN[:-1]}")
