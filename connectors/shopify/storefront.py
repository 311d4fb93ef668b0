"""Telling the storefront's app embed how to load the widget.

The app embed block (theme_snippets/shopify/blocks/storechat.liquid) reads
StoreChat's site key and address from app-data metafields (namespace
``storechat`` on the app's installation, readable in Liquid as
``app.metafields.storechat.*``), so the merchant only switches the embed on.
They are written at every install, so a reinstall or a new server address
updates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .graphql import raise_user_errors

if TYPE_CHECKING:
    from .connector import ShopifyConnector

NAMESPACE = "storechat"

APP_INSTALLATION = """
query StoreChatAppInstallation {
  currentAppInstallation { id }
}
"""

SET_METAFIELDS = """
mutation StoreChatWidgetSettings($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { namespace key }
    userErrors { field message }
  }
}
"""

#: Every query this module sends, for the schema tests.
QUERIES = {"app_installation": APP_INSTALLATION, "widget_settings": SET_METAFIELDS}


def publish_widget_settings(connector: ShopifyConnector, settings: Mapping[str, str]) -> None:
    """Write ``site_key`` and ``origin`` where the app embed reads them."""
    owner = connector.client.execute(APP_INSTALLATION)["currentAppInstallation"]["id"]
    metafields = [
        {
            "ownerId": owner,
            "namespace": NAMESPACE,
            "key": key,
            "type": "single_line_text_field",
            "value": str(settings[key]),
        }
        for key in ("site_key", "origin")
    ]
    result = connector.client.execute(SET_METAFIELDS, {"metafields": metafields})
    raise_user_errors(result.get("metafieldsSet"), "the widget settings")
