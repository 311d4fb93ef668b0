"""``storechat user ...``: a shop's team from the command line."""

from __future__ import annotations

import click

from core.errors import StoreChatError
from core.settings import Settings


def welcome_link(settings: Settings, user) -> str:  # type: ignore[no-untyped-def]
    from core.accounts.links import WELCOME, AccountLinks, server_url

    return AccountLinks(settings.secret_key or "").url(server_url(settings), user, WELCOME)


@click.group("user")
def user() -> None:
    """Owners and agents who sign in to the admin (STORECHAT_PUBLIC_URL sets the links' address)."""


@user.command("create")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("email")
@click.option("--role", type=click.Choice(["owner", "agent"]), default="agent", show_default=True)
@click.option("--name", default="", help="The person's name, as teammates and shoppers see it.")
def user_create(shop_ref: str, email: str, role: str, name: str) -> None:
    """Add EMAIL to SHOP's team and print a one-time link to choose a password."""
    from core.accounts.users import create_user
    from core.cli import _settings
    from core.db import Database
    from core.shops import find_shop

    settings = _settings()
    db = Database(settings)
    try:
        created = create_user(db, find_shop(db, shop_ref).id, email, role=role, name=name)
    except StoreChatError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{created.email} is now {'an owner' if role == 'owner' else 'an agent'} of this shop.")
    click.echo("Their link to choose a password (works once, for 7 days):")
    click.echo(welcome_link(settings, created))


@user.command("link")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("email")
def user_link(shop_ref: str, email: str) -> None:
    """Print a new one-time link for EMAIL of SHOP to choose a (new) password."""
    from sqlalchemy import select

    from core.accounts.users import normalize_email
    from core.cli import _settings
    from core.db import Database, User
    from core.shops import find_shop

    settings = _settings()
    db = Database(settings)
    try:
        shop_id = find_shop(db, shop_ref).id
        address = normalize_email(email)
    except StoreChatError as exc:
        raise click.ClickException(str(exc)) from None
    with db.session() as session:
        found = session.scalar(select(User).where(User.shop_id == shop_id, User.email == address, User.active))
    if found is None:
        raise click.ClickException(f"{address} has no open account in this shop")
    click.echo(welcome_link(settings, found))


@user.command("list")
@click.argument("shop_ref", metavar="SHOP")
def user_list(shop_ref: str) -> None:
    """List SHOP's team: id, role, state and email."""
    from sqlalchemy import select

    from core.cli import _settings
    from core.db import Database, User
    from core.shops import find_shop

    db = Database(_settings())
    try:
        shop_id = find_shop(db, shop_ref).id
    except StoreChatError as exc:
        raise click.ClickException(str(exc)) from None
    with db.session() as session:
        for member in session.scalars(select(User).where(User.shop_id == shop_id).order_by(User.id)):
            state = "closed" if not member.active else "active" if member.password_hash else "invited"
            click.echo(f"{member.id}\t{member.role}\t{state}\t{member.email}")
