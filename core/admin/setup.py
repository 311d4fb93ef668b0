"""Wires the admin into the app: Flask-Login sessions in signed cookies, the
CSRF token for its forms (checked in :mod:`core.admin.guard`), and the routes."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFError, generate_csrf

from core.accounts.users import active_user
from core.db import User
from core.services import services

#: Flask-Login's id for a session: the user and their session version, so
#: raising the version (sign out everywhere, a new password) ends every session.
SEPARATOR = ":"


@dataclass
class SignedIn(UserMixin):
    user_id: int
    shop_id: int
    agent_id: int
    email: str
    name: str
    role: str
    session_version: int

    @classmethod
    def of(cls, user: User) -> SignedIn:
        return cls(user.id, user.shop_id, user.agent_id, user.email, user.name, user.role, user.session_version)

    def get_id(self) -> str:
        return f"{self.user_id}{SEPARATOR}{self.session_version}"

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


def load_signed_in(session_id: str) -> SignedIn | None:
    from core.admin.bearer import bearer_token

    if bearer_token() is not None:
        return None  # a request with a Bearer token is that token's alone: the cookie is not read
    user_id, _, version = session_id.partition(SEPARATOR)
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    with services().db.session() as session:
        user = active_user(session, int(user_id))
        if user is None or user.session_version != int(version):
            return None
        return SignedIn.of(user)


def init_app(app: Flask) -> None:
    settings = app.extensions["storechat"].settings
    # Signed (itsdangerous) session cookies: never readable by scripts, sent on
    # top-level navigations only, and only over https when served over https.
    app.config.update(
        SESSION_COOKIE_NAME="storechat_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https://")),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session that holds it
    )
    login = LoginManager(app)
    login.login_view = "admin.sign_in"
    login.login_message = None
    login.session_protection = "basic"
    login.user_loader(load_signed_in)
    app.jinja_env.globals["csrf_token"] = generate_csrf

    from core.admin import (
        analytics,
        bearer,
        canned,
        experiments,
        guard,
        hours,
        inbox,
        install,
        routes,
        team,
        wordpress,
        wordpress_connect,
    )
    from core.admin import settings as settings_pages

    bearer.init_app(app, login)
    app.jinja_env.globals["settings_nav"] = settings_pages.nav

    app.before_request(guard.check_csrf)
    app.after_request(guard.private_headers)

    app.register_blueprint(routes.bp, url_prefix="/admin")
    app.register_blueprint(inbox.bp, url_prefix="/admin/inbox")
    app.register_blueprint(team.bp, url_prefix="/admin/team")
    app.register_blueprint(hours.bp, url_prefix="/admin/hours")
    app.register_blueprint(canned.bp, url_prefix="/admin/canned")
    app.register_blueprint(settings_pages.bp, url_prefix="/admin/settings")
    app.register_blueprint(install.bp, url_prefix="/admin/settings/install")
    app.register_blueprint(wordpress.bp, url_prefix="/admin/wordpress")
    app.register_blueprint(wordpress_connect.bp, url_prefix="/admin/wordpress")
    app.register_blueprint(analytics.bp, url_prefix="/admin")  # /admin/analytics/, /admin/api/analytics
    app.register_blueprint(experiments.bp, url_prefix="/admin/experiments")
    app.register_error_handler(CSRFError, routes.csrf_refused)
