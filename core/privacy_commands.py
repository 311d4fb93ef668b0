"""``storechat privacy export|delete SHOP --email E --customer-id C``: one shopper's data,
handed over as JSON or erased everywhere it lives (:mod:`core.privacy`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from core.errors import BadInput, StoreChatError

_email = click.option("--email", default=None, help="The shopper's email (matched case-insensitively).")
_customer = click.option(
    "--customer-id", default=None, help="The shopper's customer id on the store's platform (a signed-in shopper)."
)


@click.group("privacy")
def privacy() -> None:
    """Export or delete everything held about one shopper of a shop."""


def _shopper(email: str | None, customer_id: str | None) -> Any:
    from core.privacy import Shopper

    email, customer_id = (email or "").strip() or None, (customer_id or "").strip() or None
    if email is not None and "@" not in email:
        raise BadInput(f"--email {email!r} is not an email address")
    shopper = Shopper(email, customer_id)
    if not shopper:
        raise BadInput("name the shopper: give --email, --customer-id, or both")
    return shopper


def _audit(db: Any, shop_id: int, action: str, shopper: Any, found: dict[str, Any]) -> None:
    from core import audit
    from core.privacy import shopper_label

    with db.session() as session:
        audit.record(session, shop_id, action, {"shopper": shopper_label(shopper), "by": "command line", **found})


@contextmanager
def _opened(settings: Any) -> Iterator[Any]:
    """A Redis client on the server's Redis (or the instance's own, started for the command)."""
    from core import redis_client
    from core.cli import _cli_redis

    with _cli_redis(settings) as url:
        client = redis_client.client(url)
        try:
            yield client
        finally:
            client.close()


def _clear_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """An unknown shop or a bad argument: one line and exit status 1, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except StoreChatError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@privacy.command("export")
@click.argument("shop_ref", metavar="SHOP")
@_email
@_customer
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON to this file (private to you) instead of standard output.",
)
@_clear_errors
def export_command(shop_ref: str, email: str | None, customer_id: str | None, out: Path | None) -> None:
    """Write everything SHOP holds about one shopper as JSON.

    SHOP is a shop id, site key or name. The shopper's visitors, conversations
    (messages, events, the team's notes), notifications, earlier exports, and
    what Redis holds about them (keys, queued jobs). Recorded in the audit log.
    """
    from core.cli import _settings
    from core.db import Database
    from core.privacy import export_shopper
    from core.shops import find_shop

    shopper = _shopper(email, customer_id)
    settings = _settings()
    db = Database(settings)
    shop = find_shop(db, shop_ref)
    with _opened(settings) as redis:
        export = export_shopper(db, shop.id, shopper, record=False, redis=redis)
    text = json.dumps(export, indent=2, ensure_ascii=False, default=str) + "\n"
    _audit(
        db,
        shop.id,
        "privacy.export",
        shopper,
        {"visitors": len(export["visitors"]), "conversations": len(export["conversations"])},
    )
    if out is None:
        click.echo(text, nl=False)
        return
    out.touch(mode=0o600)
    out.chmod(0o600)
    out.write_text(text, encoding="utf-8")
    click.echo(
        f"wrote {len(export['visitors'])} visitor(s) and {len(export['conversations'])} conversation(s) "
        f"of shop {shop.id} to {out}",
        err=True,
    )


@privacy.command("delete")
@click.argument("shop_ref", metavar="SHOP")
@_email
@_customer
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_clear_errors
def delete_command(shop_ref: str, email: str | None, customer_id: str | None, yes: bool) -> None:
    """Delete everything SHOP holds about one shopper, everywhere it lives.

    Their visitors, conversations, messages, events, notes, notifications and
    earlier exports (the analytics days are computed again without them), and
    their Redis keys and jobs. Cannot be undone. Recorded in the audit log.
    """
    from core.cli import _settings
    from core.db import Database
    from core.privacy import erase_shopper
    from core.shops import find_shop

    shopper = _shopper(email, customer_id)
    settings = _settings()
    db = Database(settings)
    shop = find_shop(db, shop_ref)
    if not yes:
        click.confirm(
            f"Delete everything shop {shop.id} ({shop.name}) holds about this shopper? This cannot be undone",
            abort=True,
        )
    with _opened(settings) as redis:
        erased = erase_shopper(db, shop.id, shopper, redis=redis)
    _audit(db, shop.id, "privacy.delete", shopper, erased.as_dict())
    click.echo(
        f"deleted {erased.visitors} visitor(s), {erased.conversations} conversation(s), "
        f"{erased.redis_keys} Redis key(s) and {erased.jobs} job(s) of the shopper in shop {shop.id}"
    )
