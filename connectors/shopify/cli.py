"""``storechat shopify ...``: the Shopify connector's own commands."""

from __future__ import annotations

from pathlib import Path

import click

from core.connector import StoreChatError

from .app_config import APP_NAME, app_toml, describe_layout, write_app_folder
from .graphql import DEFAULT_API_VERSION


@click.group(help="The Shopify app StoreChat is installed through.")
def shopify() -> None:
    pass


@shopify.command("app-config")
@click.option(
    "--public-url",
    required=True,
    envvar="STORECHAT_PUBLIC_URL",
    show_envvar=True,
    help="StoreChat's public https address, like https://chat.example.com.",
)
@click.option(
    "--client-id",
    required=True,
    envvar="STORECHAT_APPS__SHOPIFY__CLIENT_ID",
    show_envvar=True,
    help="The app's Client ID from the Partner (or Dev) Dashboard.",
)
@click.option("--name", default=APP_NAME, show_default=True, help="The app's name, as merchants see it.")
@click.option(
    "--api-version",
    default=DEFAULT_API_VERSION,
    show_default=True,
    help="The API version webhook payloads are sent in (the connector's own).",
)
@click.option(
    "--app-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write DIR/shopify.app.toml and DIR/extensions/storechat/ (the theme app extension).",
)
def app_config(public_url: str, client_id: str, name: str, api_version: str, app_dir: Path | None) -> None:
    """Print the app's shopify.app.toml for this deployment (deploy it with `shopify app deploy`)."""
    try:
        text = app_toml(public_url, client_id, name=name, api_version=api_version)
        written = (
            write_app_folder(app_dir, public_url, client_id, name=name, api_version=api_version)
            if app_dir is not None
            else []
        )
    except StoreChatError as exc:
        raise click.UsageError(exc.message) from None
    click.echo(text, nl=False)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    click.echo(describe_layout(), err=True)
