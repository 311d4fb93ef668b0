"""WooCommerce connector: reads a store's products and variations through
the WooCommerce REST API (``wc/v3``), looks orders up live, receives its
webhooks, and takes the API keys WooCommerce's key authorization sends.

Config keys (stored by the install callback): ``store_url``,
``consumer_key``, ``consumer_secret``, ``webhook_secret``, and the site's
``identity_secret`` (carried over from the shop the plugin is set up for).
"""

from __future__ import annotations

from .connector import WooCommerceConnector as WooCommerceConnector

__all__ = ["WooCommerceConnector"]
