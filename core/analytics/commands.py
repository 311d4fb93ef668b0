"""``storechat analytics ...``: roll-ups on demand and the demo's shopper traffic."""

from __future__ import annotations

import click

from core.errors import StoreChatError


def _shop(db, ref: str):  # type: ignore[no-untyped-def]
    from core.shops import find_shop

    try:
        return find_shop(db, ref)
    except StoreChatError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("analytics")
def analytics() -> None:
    """The analytics roll-up, and scripted shopper traffic for the demo."""


@analytics.command("rollup")
@click.argument("shop_ref", metavar="SHOP")
@click.option(
    "--days", type=click.IntRange(1, 366), default=30, show_default=True, help="How many days back, today included."
)
def rollup_command(shop_ref: str, days: int) -> None:
    """Roll up SHOP's last DAYS days now (a worker does the recent days every 10 minutes)."""
    from core.analytics.rollup import roll_up_recent
    from core.cli import _settings
    from core.db import Database

    db = Database(_settings())
    shop = _shop(db, shop_ref)
    click.echo(f"rolled up {roll_up_recent(db, shop.id, days)} days of {shop.name}")


@analytics.command("traffic")
@click.argument("shop_ref", metavar="SHOP")
@click.option("--visitors", type=click.IntRange(1, 5000), default=40, show_default=True)
@click.option("--seed", type=int, default=19, show_default=True, help="The same seed plays the same session.")
def traffic_command(shop_ref: str, visitors: int, seed: int) -> None:
    """Play a scripted session of shopper traffic on SHOP through the real paths (widget
    events, the visitor HTTP transport, the assistant, a person, orders), then roll up."""
    from core.analytics import traffic
    from core.app import create_app
    from core.cli import _cli_redis, _settings
    from core.db import Database

    settings = _settings()
    shop = _shop(Database(settings), shop_ref)
    with _cli_redis(settings) as url:
        settings.redis_url = url
        app = create_app(settings)
        try:
            summary = traffic.run(app, shop.id, visitors, seed=seed)
        finally:
            app.extensions["storechat"].close()
    click.echo(
        f"{summary.visitors} visitors, {summary.conversations} conversations, {summary.handoffs} handed "
        f"to a person, {summary.orders} attributed orders ({summary.revenue:.2f} {shop.currency or 'USD'})"
    )
    if summary.variants:
        click.echo("variants shown: " + ", ".join(f"{k}: {n}" for k, n in sorted(summary.variants.items())))
