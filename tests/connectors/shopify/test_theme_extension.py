"""The theme app extension: an app embed block (target body) whose schema is
valid JSON, loading StoreChat's loader async with the site key, locale and
currency, and the identity route only for a logged-in customer."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from connectors.shopify.install import EMBED_HANDLE

EXTENSION = Path(__file__).resolve().parents[3] / "theme_snippets" / "shopify"
BLOCK = (EXTENSION / "blocks" / f"{EMBED_HANDLE}.liquid").read_text()


def test_extension_toml_is_a_theme_extension() -> None:
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme" and config["name"]


def test_block_is_an_app_embed_on_the_body() -> None:
    schema = json.loads(re.search(r"{% schema %}(.*?){% endschema %}", BLOCK, re.S).group(1))  # type: ignore[union-attr]
    assert schema["target"] == "body"
    assert {s["id"] for s in schema["settings"]} == {"site_key", "server_url"}


def test_block_loads_the_loader_async_with_shop_settings() -> None:
    script = re.search(r"<script async\s+(.*?)></script>", BLOCK, re.S).group(1)  # type: ignore[union-attr]
    assert 'src="{{ storechat_origin | escape }}/widget/v1/loader.js"' in script
    for attribute in ("data-site-key", "data-locale", "data-currency"):
        assert attribute in script
    assert "app.metafields.storechat.site_key.value" in BLOCK and "app.metafields.storechat.origin.value" in BLOCK
    assert '{%- if customer %} data-identity-url="/apps/storechat/identity"{% endif %}' in script
    assert "customer.id" not in BLOCK  # the id itself only ever comes signed, through the proxy
