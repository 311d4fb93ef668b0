"""The demo storefront at ``/demo/``: the demo shop's catalog with the widget
embedded through the same snippet merchants paste (``storechat demo`` seeds it)."""

from __future__ import annotations

from core.demo.routes import init_app

__all__ = ["init_app"]
