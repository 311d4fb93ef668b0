"""Sign-in pages of the admin: sign in, choose a password from a one-time
link, sign out here or everywhere, and the signed-in home page."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.accounts.links import RESET, WELCOME, AccountLinks, BadLink, Purpose
from core.accounts.throttle import SignInThrottle
from core.accounts.users import authenticate, normalize_email, set_password, sign_out_everywhere
from core.admin.setup import SignedIn
from core.db import User
from core.errors import BadInput
from core.jobs import enqueue_account_email
from core.security.client_address import address_key
from core.services import services

bp = Blueprint("admin", __name__, template_folder="templates")
#: Reset links one address or one email may ask for: 5 at once, then one every 10 minutes.
RESET_RATE, RESET_BURST = 1 / 600, 5


def csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template(
        "admin/message.html",
        title="Refused",
        message="This form has expired or did not come from StoreChat. Go back, reload the page and try again.",
    ), 400


def _links() -> AccountLinks:
    return AccountLinks(services().settings.secret_key or "")


def _throttle() -> SignInThrottle:
    return SignInThrottle(services().redis)


def _client_address() -> str:
    return request.remote_addr or "-"


def _safe_next(target: str | None) -> str:
    """Only paths inside the admin: never another host (an open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/admin") and "\\" not in target:
            return target
    return url_for("inbox.inbox")


def start_session(user: User) -> None:
    session.clear()  # a fresh session at every sign-in: nothing from before carries over
    login_user(SignedIn.of(user))


@bp.get("/")
@login_required
def home() -> Response:
    return redirect(url_for("inbox.inbox"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> tuple[str, int] | Response:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("admin/sign_in.html", email="", error=None), 200
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")
    throttle = _throttle()
    wait = throttle.wait(email, _client_address())
    if wait:
        return render_template(
            "admin/sign_in.html", email=email, error=f"Too many failed sign-ins. Try again in {_duration(wait)}."
        ), 429
    # Counted before the (slow) password check, so tries sent in parallel all count.
    wait = throttle.attempt(email, _client_address())
    user = authenticate(services().db, email, password)
    if user is None:
        error = "That email and password do not match an account."
        if wait:
            error += f" Too many failed sign-ins: try again in {_duration(wait)}."
        return render_template("admin/sign_in.html", email=email, error=error), 401
    throttle.succeeded(email, _client_address())
    start_session(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/sign-out")
def sign_out() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("admin.sign_in"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_all() -> Response:
    sign_out_everywhere(services().db, current_user.user_id)
    logout_user()
    session.clear()
    return redirect(url_for("admin.sign_in"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> tuple[str, int]:
    """Ask for a reset link by email. The answer is the same whether or not the
    address has an account (nothing to learn from it), and asking is limited per
    address and per email."""
    svc = services()
    # A link in an email is built from STORECHAT_PUBLIC_URL only, never from the request's
    # Host header (which whoever asks chooses: a reset link to their own host).
    mail = bool(svc.settings.smtp_url and svc.settings.public_url)
    if request.method == "GET" or not mail:
        return render_template("admin/forgot.html", sent=False, mail=mail, error=None), 200
    try:
        email = normalize_email(request.form.get("email", ""))
    except BadInput:
        return render_template("admin/forgot.html", sent=False, mail=True, error="That is not an email address."), 400
    decision = svc.limits.take_all(
        [
            (f"forgot:addr:{address_key(_client_address())}", RESET_RATE, RESET_BURST),
            (f"forgot:email:{hashlib.sha256(email.encode()).hexdigest()[:32]}", RESET_RATE, RESET_BURST),
        ]
    )
    if decision.allowed:
        with svc.db.session() as session:
            ids = list(session.scalars(select(User.id).where(User.email == email, User.active)))
        for user_id in ids:
            enqueue_account_email(svc.redis, user_id, "reset", svc.settings.public_url or "")
    return render_template("admin/forgot.html", sent=True, mail=True, error=None), 200


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> tuple[str, int] | Response:
    return _choose_password(token, WELCOME, "Welcome to StoreChat")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> tuple[str, int] | Response:
    return _choose_password(token, RESET, "Choose a new password")


def _choose_password(token: str, purpose: Purpose, title: str) -> tuple[str, int] | Response:
    db = services().db
    try:
        user = _links().read(db, token, purpose)
    except BadLink as exc:
        return render_template("admin/message.html", title="This link cannot be used", message=exc.message), 400
    if request.method == "GET":
        return render_template("admin/set_password.html", title=title, user=user, error=None), 200
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return render_template(
            "admin/set_password.html", title=title, user=user, error="The two passwords are not the same."
        ), 400
    try:
        user = set_password(db, user.id, password)
    except BadInput as exc:
        return render_template(
            "admin/set_password.html", title=title, user=user, error=exc.message[:1].upper() + exc.message[1:] + "."
        ), 400
    start_session(user)
    return redirect(url_for("inbox.inbox"))


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
