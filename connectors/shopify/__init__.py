"""Shopify connector: reads a store through the Admin GraphQL API (products,
pages, legal policies, live order lookups) and receives its webhooks.

Config keys (stored by the install flow): ``shop_domain``, ``access_token``,
``refresh_token``, ``access_token_expires_at``, optional ``storefront_url``.
App settings: ``api_version``, ``client_id``, ``client_secret``.
"""

from __future__ import annotations

from .connector import ShopifyConnector as ShopifyConnector

__all__ = ["ShopifyConnector"]
