from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.app import create_app
from core.db import Shop
from tests.live import serve


@pytest.fixture
def shop(db) -> Shop:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = Shop(name="Test Shop", platform="csv", site_key="sk_test", connector_config={})
        session.add(shop)
    return shop


@pytest.fixture
def base_url(settings, db, redis, shop) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a loopback port, with a real database and Redis."""
    app = create_app(settings)
    with serve(app) as url:
        yield url
    app.extensions["storechat"].close()


@pytest.fixture
def app(settings, db, redis):  # type: ignore[no-untyped-def]
    """The whole app (admin included), on the test database and Redis. A module that
    needs another app (fewer parts, other settings) defines its own ``app``."""
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()
