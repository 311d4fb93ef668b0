"""``storechat user``: add a shop's team from the command line, with one-time links."""
from __future__ import annotations

import re

from core.accounts.links import WELCOME, AccountLinks
from core.db import Database, Shop
from core.settings import Settings
from tests.core.test_cli import Cli, cli  # noqa: F401 - the fixture


def _shop(db: Database) -> int:
    with db.session() as session:
        shop = Shop(name="Cli Shop", platform="csv", site_key="sk_cli", connector_config={})
        session.add(shop)
        session.flush()
        return shop.id


def test_user_create_prints_a_working_one_time_link(cli: Cli, db: Database, settings: Settings) -> None:  # noqa: F811
    _shop(db)
    result = cli("user", "create", "sk_cli", "Owner@Example.com", "--role", "owner")
    assert result.exit_code == 0, result.output
    assert "owner@example.com is now an owner" in result.output
    link = re.search(r"http://\S+/admin/welcome/(\S+)", result.output)
    assert link, result.output
    user = AccountLinks(settings.secret_key).read(db, link.group(1), WELCOME)
    assert user.email == "owner@example.com" and user.role == "owner"

    listed = cli("user", "list", "sk_cli")
    assert listed.exit_code == 0 and "owner\tinvited\towner@example.com" in listed.output
    again = cli("user", "link", "sk_cli", "owner@example.com")
    assert again.exit_code == 0 and "/admin/welcome/" in again.output


def test_user_commands_refuse_bad_input_with_one_clear_line(cli: Cli, db: Database) -> None:  # noqa: F811
    _shop(db)
    assert cli("user", "create", "sk_cli", "a@example.com").exit_code == 0
    for args, message in (
        (("user", "create", "sk_cli", "a@example.com"), "already has an account"),
        (("user", "create", "sk_cli", "not-an-email"), "is not an email address"),
        (("user", "create", "no-such-shop", "b@example.com"), "no-such-shop"),
        (("user", "link", "sk_cli", "nobody@example.com"), "has no open account"),
    ):
        result = cli(*args)
        assert result.exit_code != 0, args
        assert message in result.output and "Traceback" not in result.output, result.output
    bad_role = cli("user", "create", "sk_cli", "c@example.com", "--role", "admin")
    assert bad_role.exit_code == 2 and "admin" in bad_role.output


def test_links_use_the_public_address_when_set(cli: Cli, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _shop(db)
    cli.env["STORECHAT_PUBLIC_URL"] = "https://chat.example.com/"
    monkeypatch.setenv("STORECHAT_PUBLIC_URL", "https://chat.example.com/")
    result = cli("user", "create", "sk_cli", "d@example.com")
    assert "https://chat.example.com/admin/welcome/" in result.output
