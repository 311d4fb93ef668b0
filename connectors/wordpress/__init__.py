"""WordPress connector: a site's published pages and posts (and FAQ) as
documents the assistant can search, read through the WordPress REST API.

Configure with ``{"site_url": ..., "username": ..., "application_password": ...}``
(the last two optional); the plugin's "Connect this site" or ``storechat shop
connect SHOP wordpress`` set it, with the ``identity_secret`` that verifies the
plugin's notices of edited pages (``webhooks.py``). The StoreChat WordPress plugin lives in
``theme_snippets/wordpress/storechat``.
"""

from __future__ import annotations

from .connector import WordPressConnector as WordPressConnector
from .content import html_to_blocks as html_to_blocks

__all__ = ["WordPressConnector", "html_to_blocks"]
