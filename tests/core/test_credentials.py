"""Shop credentials at rest: secret fields sealed with Fernet, readable again
with the same keys (or after a key rotation), never with another key; every
connector core builds gets the plain config, and what it changes is stored
sealed."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from core import connector_registry, shop_connectors
from core.connector import Connector
from core.db import Database, Shop
from core.security.credentials import MASK, SEALED, Credentials, CredentialsUnreadable, derive_key, masked
from core.settings import Settings, load_settings

SECRETS = frozenset({"access_token", "refresh_token"})


def test_seal_encrypts_only_secret_fields_and_open_restores_them() -> None:
    creds = Credentials([Fernet.generate_key()])
    config = {"shop_domain": "a.myshopify.com", "access_token": "shpat_123", "refresh_token": "shprt_9"}
    stored = creds.seal(config, SECRETS)
    assert stored["shop_domain"] == "a.myshopify.com"
    assert "access_token" not in stored and "refresh_token" not in stored
    assert "shpat_123" not in json.dumps(stored) and "shprt_9" not in json.dumps(stored)
    assert creds.open(stored) == config
    # Sealing a sealed config (an update of one field) keeps the others.
    again = creds.seal({**creds.open(stored), "access_token": "shpat_456"}, SECRETS)
    assert creds.open(again)["access_token"] == "shpat_456"
    assert creds.open(again)["refresh_token"] == "shprt_9"


def test_config_without_secrets_is_stored_as_it_is() -> None:
    creds = Credentials([Fernet.generate_key()])
    assert creds.seal({"csv_path": "/x.csv"}, SECRETS) == {"csv_path": "/x.csv"}
    assert creds.open({"csv_path": "/x.csv"}) == {"csv_path": "/x.csv"}


def test_another_key_cannot_read_and_says_which_setting() -> None:
    stored = Credentials([Fernet.generate_key()]).seal({"access_token": "t"}, SECRETS)
    with pytest.raises(CredentialsUnreadable) as err:
        Credentials([Fernet.generate_key()]).open(stored)
    assert err.value.code == "credentials_unreadable"
    assert "STORECHAT_CREDENTIALS_KEY" in err.value.message
    tampered = {SEALED: stored[SEALED][:-4] + "AAAA"}
    with pytest.raises(CredentialsUnreadable):
        Credentials([Fernet.generate_key()]).open(tampered)


def test_rotation_new_key_first_reads_old_and_rotate_drops_it() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    stored = Credentials([old]).seal({"access_token": "t"}, SECRETS)
    both = Credentials([new, old])
    assert both.open(stored) == {"access_token": "t"}
    rotated = both.rotate(stored)
    assert Credentials([new]).open(rotated) == {"access_token": "t"}
    with pytest.raises(CredentialsUnreadable):
        Credentials([old]).open(rotated)


def test_keys_from_settings(tmp_path: Any) -> None:
    base = dict(instance_path=tmp_path, secret_key="k" * 40)
    derived = Credentials.from_settings(load_settings(**base))
    stored = derived.seal({"access_token": "t"}, SECRETS)
    assert Credentials([derive_key("k" * 40)]).open(stored) == {"access_token": "t"}
    # A dedicated key set later encrypts; shops sealed with the derived key still open.
    dedicated = Fernet.generate_key().decode()
    with_key = Credentials.from_settings(load_settings(**base, credentials_key=dedicated))
    assert with_key.open(stored) == {"access_token": "t"}
    assert Credentials([dedicated]).open(with_key.seal({"access_token": "u"}, SECRETS)) == {"access_token": "u"}


def test_bad_credentials_key_is_a_clear_config_error(tmp_path: Any) -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_settings(instance_path=tmp_path, secret_key="k" * 40, credentials_key="not-a-key")
    assert "STORECHAT_CREDENTIALS_KEY" in err.value.message


def test_apps_settings_from_nested_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_APPS__SHOPIFY__CLIENT_ID", "cid")
    monkeypatch.setenv("STORECHAT_APPS__SHOPIFY__CLIENT_SECRET", "csecret")
    monkeypatch.setenv("STORECHAT_APPS__SHOPIFY__API_VERSION", "2026-07")
    settings = load_settings(instance_path=tmp_path, secret_key="k" * 40)
    assert settings.apps == {"shopify": {"client_id": "cid", "client_secret": "csecret", "api_version": "2026-07"}}


def test_masked_hides_secrets() -> None:
    assert masked({"a": "1", "access_token": "t", SEALED: "x"}, SECRETS) == {"a": "1", "access_token": MASK}


# -- every connector core builds goes through shop_connectors ----------------------


class Vault(Connector):
    name = "vault"
    secret_fields = frozenset({"token"})
    built: list[Vault] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Vault.built.append(self)

    def iter_products(self, since: datetime | None = None) -> Iterator[Any]:
        return iter(())

    def find_order(self, reference: str, *, email: str | None = None, customer_id: str | None = None) -> None:
        return None


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> type[Vault]:
    Vault.built = []
    monkeypatch.setattr(connector_registry, "available", lambda: {"vault": Vault})
    return Vault


def _vault_shop(db: Database, settings: Settings) -> Shop:
    with db.session() as session:
        shop = Shop(name="V", platform="vault", platform_ref="v1", site_key="sk_v",
                    connector_config=shop_connectors.seal_config(settings, "vault", {"token": "old", "domain": "v"}))
        session.add(shop)
    return shop


def test_for_shop_decrypts_passes_app_and_saves_changes_sealed(
    db: Database, settings: Settings, vault: type[Vault]
) -> None:
    settings.apps["vault"] = {"client_id": "cid"}
    shop = _vault_shop(db, settings)
    assert "old" not in json.dumps(shop.connector_config)
    connector = shop_connectors.for_shop_id(db, shop.id)
    assert connector.config == {"token": "old", "domain": "v"}
    assert connector.app == {"client_id": "cid"}
    connector.update_config(token="new")
    with db.session() as session:
        stored = session.get(Shop, shop.id).connector_config  # type: ignore[union-attr]
    assert "new" not in json.dumps(stored) and stored["domain"] == "v"
    assert Credentials.from_settings(settings).open(stored) == {"token": "new", "domain": "v"}


def test_order_lookup_builds_through_shop_connectors(db: Database, settings: Settings, vault: type[Vault]) -> None:
    from core.assistant.tools import orders

    shop = _vault_shop(db, settings)
    with db.session() as session:
        row = session.get(Shop, shop.id)
        result = orders.lookup(session, row, None, "#1001", email="a@b.c", customer_id=None)  # type: ignore[arg-type]
    assert result["status"] == "not_found"
    assert vault.built[-1].config["token"] == "old"


def test_rotate_credentials_rewrites_every_shop_with_the_new_key(
    db: Database, settings: Settings, vault: type[Vault]
) -> None:
    shop = _vault_shop(db, settings)  # sealed with the key derived from the secret
    new = Fernet.generate_key().decode()
    settings.credentials_key = new
    assert shop_connectors.rotate_credentials(db) == 1
    with db.session() as session:
        stored = session.get(Shop, shop.id).connector_config  # type: ignore[union-attr]
    assert Credentials([new]).open(stored) == {"token": "old", "domain": "v"}
