"""The install host core gives connectors: single-use state bound to a shop,
installs that create or update (never duplicate) a shop with sealed
credentials, register webhooks, queue the first sync and land the merchant;
signed shopper identities."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core import jobs
from core.app import create_app
from core.db import Database, Event, Shop, SyncRun
from core.errors import BadInput
from core.install.host import STATE_TTL, CoreInstallHost
from core.security import identity
from core.settings import Settings
from core.shop_connectors import open_config
from tests.core.tinyshop import TinyShop, tiny  # noqa: F401 - fixture

PUBLIC = "https://chat.example.com"


@pytest.fixture
def app(settings: Settings, db: Database, redis: redis_lib.Redis, tiny: Any) -> Iterator[Flask]:
    settings.public_url = PUBLIC
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def host(app: Flask) -> CoreInstallHost:
    return app.extensions["storechat.install_host"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def install(client: FlaskClient, shop: str = "a.tiny", token: str = "tok-1", **extra: str) -> Any:
    state = client.get(f"/connect/tiny/start?shop={shop}").get_json()["state"]
    return client.get("/connect/tiny/back", query_string={"shop": shop, "state": state, "token": token, **extra})


def shops(db: Database) -> list[Shop]:
    with db.session() as session:
        return list(session.scalars(select(Shop).where(Shop.platform == "tiny")))


def test_state_is_single_use_bound_to_its_shop_and_expires(host: CoreInstallHost, app: Flask,
                                                           redis: redis_lib.Redis) -> None:
    with app.app_context():
        state = host.issue_state("tiny", "a.tiny")
        assert len(state) == 64
        assert 0 < redis.ttl(f"storechat:install-state:tiny:{state}") <= STATE_TTL
        assert host.consume_state("tiny", state, "b.tiny") is False  # another shop burns it too
        assert host.consume_state("tiny", state, "a.tiny") is False
        state = host.issue_state("tiny", "a.tiny")
        assert host.consume_state("other", state, "a.tiny") is False  # another platform's namespace
        assert host.consume_state("tiny", state, "a.tiny") is True
        assert host.consume_state("tiny", state, "a.tiny") is False  # used
        expired = host.issue_state("tiny", "a.tiny")
        redis.delete(f"storechat:install-state:tiny:{expired}")  # what the TTL does
        assert host.consume_state("tiny", expired, "a.tiny") is False
        assert host.consume_state("tiny", "", "a.tiny") is False
        assert host.consume_state("tiny", "x" * 500, "a.tiny") is False


def test_install_creates_the_shop_seals_credentials_registers_webhooks_queues_sync(
    client: FlaskClient, db: Database, settings: Settings, redis: redis_lib.Redis
) -> None:
    resp = install(client, name="Aardvark Goods", activate="https://a.tiny/admin/themes/current/editor?context=apps")
    assert resp.status_code == 302
    [shop] = shops(db)
    assert resp.location == f"{PUBLIC}/installed/{shop.site_key}"
    assert (shop.name, shop.platform_ref, shop.active, shop.storefront_url) == \
        ("Aardvark Goods", "a.tiny", True, "https://a.tiny")
    assert "tok-1" not in json.dumps(shop.connector_config)
    assert open_config(settings, shop) == {"token": "tok-1", "domain": "a.tiny"}
    assert TinyShop.registered == [f"{PUBLIC}/webhooks/tiny"]
    with db.session() as session:
        [run] = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert run.full and run.status == "queued" and run.job_id
    [job] = jobs.queue(jobs.DEFAULT, redis).jobs
    assert (job.func_name, job.args) == ("core.jobs.sync_shop", [run.id])

    page = client.get(urlsplit(resp.location).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Aardvark Goods" in html
    assert 'href="https://a.tiny/admin/themes/current/editor?context=apps"' in html


def test_second_install_updates_never_duplicates(client: FlaskClient, db: Database, settings: Settings) -> None:
    install(client, token="tok-1")
    [first] = shops(db)
    install(client, token="tok-2")
    [second] = shops(db)
    assert second.id == first.id and second.site_key == first.site_key
    assert open_config(settings, second)["token"] == "tok-2"
    # The first import is still queued: the second install does not queue another.
    with db.session() as session:
        assert [r.status for r in session.scalars(select(SyncRun).where(SyncRun.shop_id == first.id))] == ["queued"]


def test_install_stands_when_the_import_cannot_be_queued(client: FlaskClient, db: Database,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import redis as redis_lib

    from core.install import host as host_module

    def down(*args: object, **kwargs: object) -> None:
        raise redis_lib.ConnectionError("Redis is gone")

    monkeypatch.setattr(host_module, "enqueue_sync", down)
    install(client)
    [shop] = shops(db)
    assert shop.active
    with db.session() as session:
        [run] = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert run.status == "failed" and "could not be queued" in (run.error or "")
    page = client.get(f"/installed/{shop.site_key}")
    assert page.status_code == 200 and "Redis is gone" not in page.get_data(as_text=True)


def test_reinstall_after_uninstall_reactivates_the_same_shop(client: FlaskClient, db: Database,
                                                             settings: Settings) -> None:
    from core import privacy

    install(client)
    [shop] = shops(db)
    privacy.deactivate_shop(db, shop.id, TinyShop.secret_fields)
    assert client.get(f"/installed/{shop.site_key}").status_code == 404
    install(client, token="tok-back")
    [again] = shops(db)
    assert again.id == shop.id and again.active is True
    assert open_config(settings, again)["token"] == "tok-back"
    with db.session() as session:
        kinds = list(session.scalars(select(Event.kind).where(Event.shop_id == shop.id).order_by(Event.id)))
        installs = [e.data for e in session.scalars(select(Event).where(Event.kind == "app_installed"))]
    assert kinds == ["app_installed", "app_uninstalled", "app_installed"]
    assert installs == [{"reinstall": False}, {"reinstall": True}]


def test_bad_or_replayed_state_completes_nothing(client: FlaskClient, db: Database) -> None:
    assert client.get("/connect/tiny/back?shop=a.tiny&state=forged&token=t").status_code == 403
    state = client.get("/connect/tiny/start?shop=a.tiny").get_json()["state"]
    assert client.get(f"/connect/tiny/back?shop=b.tiny&state={state}&token=t").status_code == 403
    assert shops(db) == []


def test_webhook_registration_failure_keeps_the_install_and_tells_the_merchant(
    client: FlaskClient, db: Database
) -> None:
    resp = install(client, token="refuse-webhooks")
    assert resp.status_code == 302
    [shop] = shops(db)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)
                              .where(Event.kind == "webhooks_not_registered")) == 1
    assert "could not subscribe" in client.get(urlsplit(resp.location).path).get_data(as_text=True)
    # A later install that registers fine clears the warning.
    resp = install(client, token="ok")
    assert "could not subscribe" not in client.get(urlsplit(resp.location).path).get_data(as_text=True)


def test_activation_url_must_be_https(client: FlaskClient, app: Flask, host: CoreInstallHost, db: Database) -> None:
    from core.connector import InstallResult

    with app.test_request_context(), pytest.raises(BadInput):
        host.complete_install(InstallResult(platform="tiny", shop_ref="x.tiny", config={},
                                            activation_url="javascript:alert(1)"))
    assert shops(db) == []


def test_widget_settings_and_signed_identity(client: FlaskClient, app: Flask, host: CoreInstallHost,
                                         db: Database, settings: Settings) -> None:
    install(client, token="tok-9")
    [shop] = shops(db)
    with app.app_context():
        assert host.widget_settings("tiny", "a.tiny") == {"site_key": shop.site_key, "origin": PUBLIC}
        assert host.widget_settings("tiny", "nope.tiny") is None
        token = host.sign_identity("tiny", "a.tiny", "207119551")
        with pytest.raises(BadInput):
            host.sign_identity("tiny", "nope.tiny", "1")
    assert identity.read(settings.secret_key or "", token, shop.id) == "207119551"
    with pytest.raises(identity.BadIdentity, match="another shop"):
        identity.read(settings.secret_key or "", token, shop.id + 1)
    with pytest.raises(identity.BadIdentity, match="not valid"):
        identity.read("another-secret-" + "y" * 30, token, shop.id)
    with pytest.raises(identity.BadIdentity, match="expired"):
        identity.read(settings.secret_key or "", token, shop.id, max_age=-1)


def test_unknown_landing_page_is_404(client: FlaskClient) -> None:
    assert client.get("/installed/sk_nope").status_code == 404
