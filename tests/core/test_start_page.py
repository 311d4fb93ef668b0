"""``/`` says what this server is, ``/favicon.ico`` answers, and ``/demo/`` exists
only when ``storechat demo`` runs (``STORECHAT_DEMO``)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.app import create_app
from core.db import Database
from core.settings import Settings
from core.shops import ensure_demo_shop


@pytest.fixture
def client_for(settings: Settings, db: Database) -> Iterator[Callable[..., FlaskClient]]:
    apps: list[Flask] = []

    def make(**overrides: object) -> FlaskClient:
        app = create_app(settings.model_copy(update=overrides))
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["storechat"].close()


def test_root_names_storechat_and_its_health_pages(client_for: Callable[..., FlaskClient]) -> None:
    page = client_for(demo=False).get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "StoreChat" in html and 'href="/healthz"' in html and 'href="/readyz"' in html
    assert "/demo/" not in html  # nothing to open outside demo mode
    assert 'rel="icon" href="/favicon.svg"' in html


def test_root_in_demo_mode_links_the_storefront(client_for: Callable[..., FlaskClient], db: Database) -> None:
    ensure_demo_shop(db, "http://127.0.0.1:8000/demo")
    client = client_for(demo=True)
    assert 'href="/demo/"' in client.get("/").get_data(as_text=True)
    assert client.get("/demo/").status_code == 200


@pytest.mark.parametrize("path", ["/favicon.ico", "/favicon.svg"])
def test_favicon(client_for: Callable[..., FlaskClient], path: str) -> None:
    icon = client_for().get(path)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")


@pytest.mark.parametrize("path", ["/demo/", "/demo/products/ocean-blue-shirt", "/demo/cart.js",
                                  "/demo/images/ocean-blue-shirt.svg", "/demo/avatar.svg"])
def test_demo_routes_are_not_served_outside_demo_mode(client_for: Callable[..., FlaskClient], db: Database,
                                                      path: str) -> None:
    ensure_demo_shop(db, "http://127.0.0.1:8000/demo")
    client = client_for(demo=False)
    assert client.get(path).status_code == 404
