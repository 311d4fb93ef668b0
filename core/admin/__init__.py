"""The merchant's admin: sign-in for a shop's team and, behind it, their pages."""

from core.admin.setup import init_app

__all__ = ["init_app"]
