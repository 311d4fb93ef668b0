"""``storechat shopify app-config``: the shopify.app.toml it prints is valid
TOML whose every value is what the code uses (scopes, App URL, callback,
proxy, webhook topics and their route, API version), checked against the
real routes, the theme block and Shopify's schema; and the app folder it
writes holds the theme app extension."""
from __future__ import annotations

import gzip
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from connectors.shopify import app_config, install, proxy, webhooks
from connectors.shopify.graphql import DEFAULT_API_VERSION
from core.cli import main
from tests.connectors.shopify.app_fixtures import PUBLIC, app_settings, client, flask_app  # noqa: F401 - fixtures
from tests.fakes.shopify_admin import DATA, SHOP

CLIENT_ID = "a61950a2cbd5f32876b0b55587ec7a27"
EXTENSION = Path(__file__).resolve().parents[3] / "theme_snippets" / "shopify"


def generated() -> dict:  # type: ignore[type-arg]
    return tomllib.loads(app_config.app_toml(PUBLIC, CLIENT_ID))


def _schema_scopes_and_topics() -> tuple[set[str], set[str]]:
    raw = json.load(gzip.open(DATA / "admin-graphql-2026-10.json.gz"))
    scopes = {s for i in raw["offline_scopes"]["items"] for s in i.get("offlineScopes") or ()}
    [topic_enum] = [t for t in raw["data"]["__schema"]["types"] if t["name"] == "WebhookSubscriptionTopic"]
    return scopes, {v["name"] for v in topic_enum["enumValues"]}


def _route(app: Flask, url: str, method: str) -> str:
    """The endpoint StoreChat serves ``url`` with, which must be on StoreChat's public address."""
    assert url.startswith(PUBLIC + "/"), url
    return app.url_map.bind("chat.example.com").match(url[len(PUBLIC):], method=method)[0]


def test_scopes_are_the_installs_and_exist_in_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    scopes = generated()["access_scopes"]["scopes"].split(",")
    assert scopes == list(install.DEFAULT_SCOPES)
    assert "write_app_proxy" in scopes  # the file configures an App Proxy
    schema_scopes, _ = _schema_scopes_and_topics()
    for scope in install.READ_SCOPES:
        assert scope in schema_scopes, scope
    for topic, scope in webhooks.TOPIC_SCOPES.items():
        assert scope in scopes, (topic, scope)
    # A scope the code asks for appears in the file (nothing is copied by hand).
    monkeypatch.setattr(install, "DEFAULT_SCOPES", (*install.DEFAULT_SCOPES, "read_themes"))
    assert generated()["access_scopes"]["scopes"].split(",")[-1] == "read_themes"


def test_app_url_and_redirect_are_the_routes_the_install_uses(flask_app: Flask, client: FlaskClient) -> None:
    config = generated()
    assert config["client_id"] == CLIENT_ID and config["name"] == "StoreChat"
    assert config["embedded"] is True and config["pos"]["embedded"] is False
    assert config["access_scopes"]["use_legacy_install_flow"] is True
    assert _route(flask_app, config["application_url"], "GET") == "connect_shopify.embedded_admin"
    [redirect] = config["auth"]["redirect_urls"]
    assert _route(flask_app, redirect, "GET") == "connect_shopify.callback"
    # A shop not installed yet is sent out of the admin's frame to the install ...
    landing = client.get(f"{urlsplit(config['application_url']).path}?shop={SHOP}")
    assert landing.status_code == 200
    install_path = re.search(r'href="([^"]+)"', landing.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert _route(flask_app, PUBLIC + urlsplit(install_path).path, "GET") == "connect_shopify.install"
    assert "window.top.location.href" in landing.get_data(as_text=True)
    # ... whose grant screen is sent exactly this redirect URL and exactly these scopes.
    resp = client.get(install_path)
    query = parse_qs(urlsplit(resp.location).query)
    assert query["redirect_uri"] == [redirect]
    assert query["scope"] == [config["access_scopes"]["scopes"]]


def test_webhooks_are_the_codes_topics_at_the_webhook_route(flask_app: Flask) -> None:
    config = generated()["webhooks"]
    assert config["api_version"] == DEFAULT_API_VERSION
    app_wide, compliance = config["subscriptions"]
    assert app_wide["topics"] == list(webhooks.APP_TOPICS)
    assert compliance["compliance_topics"] == list(webhooks.COMPLIANCE)
    for sub in (app_wide, compliance):
        assert _route(flask_app, sub["uri"], "POST") == "webhooks.receive"
    # Each topic is subscribed one way only (the file or the API at install), never both.
    assert not set(webhooks.APP_TOPICS) & set(webhooks.SUBSCRIBED)
    _, schema_topics = _schema_scopes_and_topics()
    for topic in (*webhooks.APP_TOPICS, *webhooks.SUBSCRIBED):
        assert webhooks.graphql_topic(topic) in schema_topics, topic
    for topic, enum in webhooks.SUBSCRIBED.items():
        assert enum == webhooks.graphql_topic(topic)


def test_app_proxy_reaches_the_identity_route_the_theme_block_asks(flask_app: Flask) -> None:
    proxy_config = generated()["app_proxy"]
    assert _route(flask_app, proxy_config["url"] + "/identity", "GET") == "connect_shopify.identity"
    assert proxy_config["prefix"] in ("apps", "a", "community", "tools")
    assert len(proxy_config["subpath"]) <= 30 and proxy_config["subpath"] not in ("admin", "services", "password", "login")
    block = (EXTENSION / "blocks" / f"{install.EMBED_HANDLE}.liquid").read_text()
    asked = re.search(r'data-identity-url="([^"]+)"', block).group(1)  # type: ignore[union-attr]
    assert asked == f"/{proxy_config['prefix']}/{proxy_config['subpath']}/identity"
    assert (proxy.PREFIX, proxy.SUBPATH) == (proxy_config["prefix"], proxy_config["subpath"])


@pytest.mark.parametrize("url,client_id", [
    ("http://chat.example.com", CLIENT_ID), ("chat.example.com", CLIENT_ID), ("https://", CLIENT_ID),
    ("https://chat.example.com/?x=1", CLIENT_ID), (PUBLIC, ""), (PUBLIC, 'a" \nembedded = true'),
])
def test_bad_input_is_a_clear_error(url: str, client_id: str) -> None:
    with pytest.raises(app_config.AppConfigError):
        app_config.app_toml(url, client_id)
    result = CliRunner().invoke(main, ["shopify", "app-config", "--public-url", url, "--client-id", client_id])
    assert result.exit_code == 2 and "Error" in result.output


def test_cli_prints_the_file_and_writes_the_app_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["shopify", "app-config", "--public-url", PUBLIC + "/", "--client-id",
                                       CLIENT_ID, "--app-dir", str(tmp_path / "app")])
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.stdout) == generated()
    assert "extensions/storechat/blocks/storechat.liquid" in result.stderr
    app = tmp_path / "app"
    assert tomllib.loads((app / "shopify.app.toml").read_text()) == generated()
    written = sorted(str(p.relative_to(app)) for p in app.rglob("*") if p.is_file())
    assert written == sorted(["shopify.app.toml", *app_config.extension_layout()])
    for name in ("shopify.extension.toml", f"blocks/{install.EMBED_HANDLE}.liquid"):
        assert (app / "extensions" / "storechat" / name).read_bytes() == (EXTENSION / name).read_bytes()
