"""The ``storechat`` command."""

from __future__ import annotations

import functools
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from core import log_setup, metrics_dir
from core.accounts.commands import user as user_commands
from core.analytics.commands import analytics as analytics_commands
from core.errors import BadInput, ConfigError, StoreChatError
from core.privacy_commands import privacy as privacy_commands
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from core.supervisor import Supervisor

F = TypeVar("F", bound=Callable[..., Any])


def _errors_are_messages(fn: F) -> F:
    """Show StoreChat's errors as one clear line and a non-zero exit, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except StoreChatError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _settings(**overrides: Any) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log at INFO from the libraries too (Alembic, gunicorn, RQ), like STORECHAT_LOG_LEVEL=INFO.",
)


class _WithConnectorCommands(click.Group):
    """Each connector's own commands as ``storechat <connector> ...`` (``storechat shopify app-config``),
    from its ``cli_group()``; connectors are loaded only when such a command is asked for or listed."""

    def _connector_group(self, name: str) -> click.Command | None:
        from core import connector_registry

        cls = connector_registry.available().get(name)
        return cls.cli_group() if cls is not None else None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._connector_group(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        from core import connector_registry

        own = super().list_commands(ctx)
        extra = [n for n, cls in connector_registry.available().items() if n not in own and cls.cli_group()]
        return sorted([*own, *extra])


@click.group(cls=_WithConnectorCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    default=None,
    help="DEBUG, INFO, WARNING... for StoreChat and its libraries (default: STORECHAT_LOG_LEVEL; "
    "unset, StoreChat logs from INFO and libraries from WARNING).",
)
@verbose_option
@_errors_are_messages
def main(log_level: str | None, verbose: bool) -> None:
    """StoreChat: live chat and an AI shopping assistant for online stores.

    Settings come from STORECHAT_* environment variables (see README).
    Without any, StoreChat keeps a SQLite database, an embedded Redis and
    its secret in ./instance.
    """
    log_setup.configure(log_level, verbose=verbose)
    if click.get_current_context().invoked_subcommand in metrics_dir.RECORDING:
        metrics_dir.point_early()


host_option = click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
port_option = click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port to listen on (default 8000; 0 picks a free one)."
)


@main.command()
@_errors_are_messages
def migrate() -> None:
    """Apply database migrations (also done at every `serve` start)."""
    from core.db import Database
    from core.db.migrate import current_revision, upgrade

    settings = _settings()
    db = Database(settings)
    upgrade(db.engine)
    click.echo(f"database at revision {current_revision(db.engine)}")


@main.command()
@host_option
@port_option
@click.option("--web-workers", type=click.IntRange(1, 64), default=None, help="Web processes (default 2).")
@click.option(
    "--assistant-workers",
    type=click.IntRange(0, 64),
    default=1,
    show_default=True,
    help="RQ worker processes for shoppers' replies only (queue `assistant`).",
)
@click.option(
    "--sync-workers",
    type=click.IntRange(0, 64),
    default=1,
    show_default=True,
    help="RQ worker processes for catalog syncs, webhooks and purges (queue `default`).",
)
@click.option(
    "--role",
    type=click.Choice(["all", "web", "worker"]),
    default="all",
    show_default=True,
    help="`all`: everything on this machine (migrates the database as it starts). On the hosts of a "
    "larger deployment (docs/deploy.md): `web` runs only the web processes, `worker` only the "
    "workers; both need a shared Redis and refuse a database older than their code "
    "(run `storechat migrate` first).",
)
@verbose_option
@_errors_are_messages
def serve(
    host: str | None,
    port: int | None,
    web_workers: int | None,
    assistant_workers: int,
    sync_workers: int,
    role: str,
    verbose: bool,
) -> None:
    """Run StoreChat: web processes, RQ workers and, unless STORECHAT_REDIS_URL is set, an embedded Redis.

    Shoppers' replies and the background work (syncs, webhooks) have worker
    processes of their own, so a reply never waits behind a slow store's sync.
    Set a count to 0 when `storechat worker` processes elsewhere serve that queue.
    """
    from core.jobs import worker_layout

    log_setup.configure(verbose=verbose)
    settings = _settings(host=host, port=port)
    sup = _start(settings, web_workers, worker_layout(assistant_workers, sync_workers), role=role)
    click.echo(_started(settings, sup))
    if sup.addresses:
        base = _base_url(settings, sup.addresses)
        click.echo(
            f"StoreChat is listening on {base}\n  start page: {base}/   health: {base}/healthz, {base}/readyz"
            "\n(Ctrl-C stops it)"
        )
    else:
        click.echo("working the queues (Ctrl-C stops it)")
    _stopped(sup.wait())


@main.command()
@host_option
@port_option
@verbose_option
@_errors_are_messages
def demo(host: str | None, port: int | None, verbose: bool) -> None:
    """Run StoreChat with a demo store and print the demo storefront's address.

    The demo storefront (/demo/) is served only by this command.
    """
    import os

    from core.catalog.sync import create_run
    from core.db import Database
    from core.jobs import enqueue_sync
    from core.shops import ensure_demo_shop

    log_setup.configure(verbose=verbose)
    os.environ["STORECHAT_DEMO"] = "1"  # the web processes mount /demo/ (they inherit the environment)
    settings = _settings(host=host, port=port, demo=True)
    sup = _start(settings, None)
    try:
        base = _base_url(settings, sup.addresses)
        click.echo(_started(settings, sup))
        db = Database(settings)
        shop = ensure_demo_shop(db, f"{base}/demo")
        run = create_run(db, shop.id)
        from core import redis_client

        click.echo(f"importing the catalog of the demo store \u201c{shop.name}\u201d ...")
        enqueue_sync(redis_client.client(sup.redis_url), run.id, shop.id)
        done = _wait_for_run(db, run.id, progress=False)
        click.echo(f"imported {done.products_seen} products and {done.documents_seen} pages")
        owner_link = _demo_owner_link(settings.model_copy(update={"public_url": base}), db, shop.id)
        click.echo(
            f"\nStoreChat demo store is ready: {base}/demo/\n"
            f"  the team's inbox: {owner_link}\n"
            f"    (a one-time link: choose a password for {DEMO_OWNER}, then watch the chats live)\n"
            f"  start page: {base}/   health: {base}/healthz, {base}/readyz\n(Ctrl-C stops it)"
        )
    except BaseException:
        sup.stop()
        raise
    _stopped(sup.wait())


#: The demo shop's owner, who signs in to the inbox.
DEMO_OWNER = "owner@demo.storechat.invalid"


def _demo_owner_link(settings: Settings, db: Any, shop_id: int) -> str:
    """A one-time link for the demo shop's owner to choose a password (made on first use)."""
    from sqlalchemy import select

    from core.accounts.commands import welcome_link
    from core.accounts.users import create_user
    from core.db import User

    with db.session() as session:
        owner = session.scalar(select(User).where(User.shop_id == shop_id, User.email == DEMO_OWNER))
    if owner is None:
        owner = create_user(db, shop_id, DEMO_OWNER, role="owner", name="Demo owner")
    return welcome_link(settings, owner)


def _stopped(code: int) -> None:
    click.echo("StoreChat stopped" if code == 0 else f"StoreChat stopped: a process it ran exited with {code}")
    sys.exit(code)


def _started(settings: Settings, sup: Any) -> str:
    """One line: what runs, and where its data is."""
    from importlib.metadata import version
    from urllib.parse import urlsplit

    from sqlalchemy.engine import make_url

    database = make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
    from core.redis_client import is_sentinel, parse_addresses

    if sup.redis is not None:
        redis = "an embedded Redis"
    elif is_sentinel(sup.redis_url):
        redis = f"Redis through {len(parse_addresses(settings.redis_sentinels or ''))} Sentinels"
    else:
        where = urlsplit(sup.redis_url)
        redis = f"Redis at {where.hostname or where.path}"
    plural = "es" if sup.web_workers != 1 else ""
    role = "" if sup.role == "all" else f" ({sup.role} host)"
    return (
        f"StoreChat {version('storechat')} started{role}: {sup.web_workers} web process{plural}, "
        f"{sup.workers} worker{'s' if sup.workers != 1 else ''}, {redis}, database {database}"
    )


def _start(
    settings: Settings, web_workers: int | None, worker_queues: list[tuple[str, ...]] | None = None, role: str = "all"
) -> Supervisor:
    """A supervisor, started; its workers as ``worker_queues`` says (default: serve's layout)."""
    from core.supervisor import Supervisor

    sup = Supervisor(
        settings,
        settings.host,
        settings.port,
        web_workers=web_workers or settings.web_workers,
        worker_queues=worker_queues,
        role=role,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sup.stopping.set())
    sup.start()
    return sup


def _base_url(settings: Settings, addresses: list[tuple[str, int]]) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host, port = addresses[0]
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@main.command(hidden=True)
@click.option("--host", required=True)
@click.option("--port", type=int, required=True)
@click.option("--workers", type=int, default=2)
@click.option("--ready-file", type=click.Path(path_type=Path), default=None)
@_errors_are_messages
def web(host: str, port: int, workers: int, ready_file: Path | None) -> None:
    """Run only the web server (gunicorn + gevent); `serve` starts it for you."""
    from core.web_server import run

    settings = _settings()
    _require_schema(settings)
    metrics_dir.use(settings.instance_path)
    run(host, port, workers=workers, connections=settings.web_connections, ready_file=ready_file)


@main.command("rotate-credentials")
@_errors_are_messages
def rotate_credentials() -> None:
    """Re-encrypt shop credentials with the first key of STORECHAT_CREDENTIALS_KEY (after adding a new one)."""
    from core.db import Database
    from core.shop_connectors import rotate_credentials as rotate

    db = Database(_settings())
    click.echo(f"re-encrypted the credentials of {rotate(db)} shop(s)")


def _queue_names(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from core.worker import queue_names

    try:
        return queue_names(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.option(
    "--queue",
    "--queues",
    "queues",
    multiple=True,
    callback=_queue_names,
    help="Queues to work, comma-separated or repeated: `assistant` (shoppers' replies), "
    "`default` (syncs, webhooks, purges). Default: both, replies first.",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@_errors_are_messages
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker (needs STORECHAT_REDIS_URL, or a running `storechat serve`).

    On a host of its own, give replies their own workers so they never wait
    behind a sync: `storechat worker --queue assistant` and
    `storechat worker --queue default`.
    """
    from core.worker import run

    settings = _settings()
    url = settings.redis_url or _running_redis(settings)
    if not url:
        raise ConfigError("no Redis: set STORECHAT_REDIS_URL or start `storechat serve` first")
    _require_schema(settings)
    metrics_dir.use(settings.instance_path)
    run(url, queues, burst=burst)


def _require_schema(settings: Settings) -> None:
    """A web or worker process refuses a database older than its code (naming the fix)."""
    from core.db import Database
    from core.db.migrate import require_current

    db = Database(settings)
    try:
        require_current(db.engine)
    finally:
        db.dispose()


@main.command()
@click.argument("shop_ref", metavar="SHOP")
@click.option("--incremental", is_flag=True, help="Only what changed since the last successful sync.")
@_errors_are_messages
def sync(shop_ref: str, incremental: bool) -> None:
    """Import SHOP's catalog and content through the sync job and show its progress.

    SHOP is a shop id, site key or name. A sync that failed part-way
    continues from its last stored batch.
    """
    from core.catalog.sync import create_run, resumable_run
    from core.db import Database
    from core.shops import find_shop

    settings = _settings()
    db = Database(settings)
    shop = find_shop(db, shop_ref)
    run = resumable_run(db, shop.id)
    if run is not None and run.full == incremental:
        click.echo(f"not resuming sync run {run.id}: it was {'a full' if run.full else 'an incremental'} sync")
        run = None
    if run is not None:
        click.echo(f"resuming sync run {run.id} after its last stored batch ({run.products_seen} products stored)")
    else:
        run = create_run(db, shop.id, full=not incremental)
    _run_sync_job(settings, db, run.id)


@main.group()
def shop() -> None:
    """Create, connect and list shops."""


@shop.command("create")
@click.argument("name")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A product CSV in Shopify's export format. Without it the shop starts empty: its "
    "catalog and pages come from a connector (storechat shop connect, the WordPress plugin).",
)
@click.option("--currency", default="USD", show_default=True)
@click.option("--storefront-url", default=None, help="Base URL of the store (for product links).")
@click.option("--allowed-origin", "origins", multiple=True, help="Origin allowed to open the chat (repeatable).")
@_errors_are_messages
def shop_create(
    name: str, csv_path: Path | None, currency: str, storefront_url: str | None, origins: tuple[str, ...]
) -> None:
    """Create a shop (from a product CSV, imported now, or empty) and print its id and site key."""
    from core import shop_connectors
    from core.catalog.sync import create_run
    from core.db import Database
    from core.shops import create_shop

    settings = _settings()
    db = Database(settings)
    from core.db.migrate import upgrade

    upgrade(db.engine)
    if csv_path is None:
        created = create_shop(
            db,
            name,
            "csv",
            {"empty": True},
            currency=currency,
            storefront_url=storefront_url,
            allowed_origins=list(origins),
        )
        click.echo(
            f"created shop {created.id} (empty: connect it with `storechat shop connect {created.id} "
            "wordpress --site-url URL` or the WordPress plugin)"
        )
        click.echo(f"shop id: {created.id}\nsite key: {created.site_key}")
        return
    # Read the whole file (and check the config) before anything is created: a bad
    # line or storefront URL fails here, naming it, and leaves no shop behind.
    connector = shop_connectors.build(settings, "csv", {"csv_path": str(csv_path), "storefront_url": storefront_url})
    count = sum(1 for _ in connector.iter_products())
    created = create_shop(
        db, name, "csv", {}, currency=currency, storefront_url=storefront_url, allowed_origins=list(origins)
    )
    imports = settings.instance_path / "imports"
    imports.mkdir(parents=True, exist_ok=True)
    kept = imports / f"shop-{created.id}.csv"
    shutil.copyfile(csv_path, kept)
    config = {"csv_path": str(kept), "storefront_url": storefront_url} if storefront_url else {"csv_path": str(kept)}
    with db.session() as session:
        from core.db import Shop

        row = session.get(Shop, created.id)
        assert row is not None
        row.connector_config = config
    click.echo(f"created shop {created.id} ({count} products in the file)")
    run = create_run(db, created.id)
    try:
        _run_sync_job(settings, db, run.id)
    except StoreChatError as exc:
        raise StoreChatError(
            f"shop {created.id} was created but its import failed ({exc}); "
            f"fix the cause and run `storechat sync {created.id}`",
            code=exc.code,
        ) from None
    click.echo(f"shop id: {created.id}\nsite key: {created.site_key}")


@shop.command("connect")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("platform", type=click.Choice(["wordpress"]))
@click.option("--site-url", required=True, help="The site's home address, https://example.com.")
@click.option(
    "--app-password",
    default=None,
    metavar="USER:PASS",
    help="A WordPress user and one of its application passwords, for private content too.",
)
@click.option("--no-sync", is_flag=True, help="Do not import the site's pages now.")
@_errors_are_messages
def shop_connect(shop_ref: str, platform: str, site_url: str, app_password: str | None, no_sync: bool) -> None:
    """Connect SHOP to a WordPress site (what the plugin's Connect this site button does).

    Prints the site key and the new identity secret for the plugin's settings
    page (the button delivers them itself), then imports the site's published
    pages and posts.
    """
    from core import wordpress_sites
    from core.catalog.sync import create_run
    from core.db import Database
    from core.errors import BadInput
    from core.shops import find_shop

    settings = _settings()
    db = Database(settings)
    found = find_shop(db, shop_ref)
    username = password = None
    if app_password is not None:
        username, sep, password = app_password.partition(":")
        if not sep or not username.strip() or not password.strip():
            raise BadInput("--app-password must be USER:PASS (a WordPress user and one of its application passwords)")
        username, password = username.strip(), password.strip()
    url = wordpress_sites.site_address(site_url)
    connection = wordpress_sites.connect_site(
        db, found.id, url, username=username, application_password=password, by="cli"
    )
    click.echo(f"shop {found.id} is connected to {url} ({connection.platform})")
    click.echo(f"site key: {connection.site_key}\nidentity secret: {connection.identity_secret}")
    if not no_sync:
        _run_sync_job(settings, db, create_run(db, found.id).id)


@shop.command("disconnect")
@click.argument("shop_ref", metavar="SHOP")
@_errors_are_messages
def shop_disconnect(shop_ref: str) -> None:
    """Disconnect SHOP from its WordPress site; its conversations and pages stay.

    StoreChat stops accepting what the site signs and asks the plugin to forget
    its keys (if the site cannot be reached, press Disconnect in the plugin too).
    """
    from core import wordpress_sites
    from core.db import Database
    from core.errors import BadInput
    from core.shops import find_shop

    db = Database(_settings())
    found = find_shop(db, shop_ref)
    done, told = wordpress_sites.disconnect_from_storechat(db, found.id, by="cli")
    if not done:
        raise BadInput(f"shop {found.id} is not connected to a WordPress site")
    click.echo(f"shop {found.id} is disconnected; its conversations are kept")
    click.echo(
        "the plugin removed its keys"
        if told
        else "the site could not be told: press Disconnect in the StoreChat plugin there too"
    )


@shop.command("identity-secret")
@click.argument("shop_ref", metavar="SHOP")
@_errors_are_messages
def shop_identity_secret(shop_ref: str) -> None:
    """Make a new identity secret for SHOP (stored encrypted) and print it.

    The store signs logged-in shoppers' ids with it (the WordPress plugin's
    settings page takes it); a new one makes the old one invalid at once.
    """
    import secrets

    from core import shop_connectors
    from core.db import Database, Shop
    from core.shops import find_shop

    settings = _settings()
    db = Database(settings)
    found = find_shop(db, shop_ref)
    secret = secrets.token_urlsafe(32)
    with db.session() as session:
        row = session.get(Shop, found.id)
        assert row is not None
        config = shop_connectors.open_config(settings, row)
        row.connector_config = shop_connectors.seal_config(
            settings, row.platform, {**config, "identity_secret": secret}
        )
    click.echo(secret)


@shop.command("list")
@_errors_are_messages
def shop_list() -> None:
    """List shops with their ids, platforms and site keys."""
    from sqlalchemy import select

    from core.db import Database, Shop

    db = Database(_settings())
    with db.session() as session:
        for s in session.scalars(select(Shop).order_by(Shop.id)):
            click.echo(f"{s.id}\t{s.platform}\t{s.site_key}\t{s.name}")


@main.group()
def agent() -> None:
    """Create, list, rotate and revoke agent credentials for the agent socket."""


@agent.command("create")
@click.argument("shop_ref", metavar="SHOP")
@click.option("--name", required=True, help="The agent's name, as shoppers see it.")
@_errors_are_messages
def agent_create(shop_ref: str, name: str) -> None:
    """Create an agent for SHOP and print its credential (shown only this once)."""
    from core.agents import create_agent
    from core.db import Database
    from core.shops import find_shop

    db = Database(_settings())
    created, credential = create_agent(db, find_shop(db, shop_ref).id, name)
    click.echo(f"agent id: {created.id}\ncredential: {credential}")


@agent.command("list")
@click.argument("shop_ref", metavar="SHOP")
@_errors_are_messages
def agent_list(shop_ref: str) -> None:
    """List SHOP's agents: id, state (active or revoked), name."""
    from core.agents import list_agents
    from core.db import Database
    from core.shops import find_shop

    db = Database(_settings())
    for a in list_agents(db, find_shop(db, shop_ref).id):
        click.echo(f"{a.id}\t{'active' if a.active else 'revoked'}\t{a.name}")


@agent.command("revoke")
@click.argument("agent_id", type=int)
@_errors_are_messages
def agent_revoke(agent_id: int) -> None:
    """Revoke agent AGENT_ID for good: its credential stops working and its live sockets are closed."""
    from core.agents import revoke_agent
    from core.db import Database

    settings = _settings()
    revoked = revoke_agent(Database(settings), agent_id)
    click.echo(
        f"agent {revoked.id} ({revoked.name}) is revoked; "
        f"its live sockets close within {settings.agent_recheck_seconds:g} s"
    )


@agent.command("rotate")
@click.argument("agent_id", type=int)
@_errors_are_messages
def agent_rotate(agent_id: int) -> None:
    """Give agent AGENT_ID a new credential (shown only this once); the old one stops working."""
    from core.agents import rotate_agent
    from core.db import Database

    rotated, credential = rotate_agent(Database(_settings()), agent_id)
    click.echo(f"agent id: {rotated.id}\ncredential: {credential}")


main.add_command(user_commands)
main.add_command(analytics_commands)
main.add_command(privacy_commands)


@main.command("eval")
@click.argument(
    "paths", metavar="FILE...", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--shop",
    "shop_refs",
    required=True,
    multiple=True,
    help="Shop id, site key or name; `demo` for the demo store (created and synced if needed). "
    "Once for all files, or once per FILE, in the same order.",
)
@click.option(
    "--url",
    default=None,
    help="Base URL of a running server using these settings "
    "(default: start one on a free port, like `storechat demo`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (pass/fail and reply per case).")
@click.option(
    "--timeout", type=click.FloatRange(1, 300), default=15.0, show_default=True, help="Seconds to wait for each reply."
)
@_errors_are_messages
def eval_(paths: tuple[Path, ...], shop_refs: tuple[str, ...], url: str | None, as_json: bool, timeout: float) -> None:
    """Ask SHOP's assistant the questions in each FILE (JSON Lines) over the visitor socket and report.

    Prints accuracy per intent, per catalog (FILE, without its language), per
    language and overall, guard trips, handoffs and p50/p99 latency. Each line
    of FILE: {"id", "turns", "must_include", "must_not_include", "handoff"?,
    "intent"?, "lang"?}; a file named ``*.<lang>.jsonl`` holds cases in that
    language. A malformed line, or an id used twice, stops the run.
    """
    import json as json_lib

    from core.assistant import evaluation
    from core.db import Database

    if len(shop_refs) not in (1, len(paths)):
        raise BadInput(f"give --shop once, or once per FILE ({len(paths)} files, {len(shop_refs)} shops)")
    # Every file is read before anything starts: a malformed one stops here.
    sets = [
        (name, cases, shop_refs[i] if len(shop_refs) > 1 else shop_refs[0])
        for i, (name, cases) in enumerate(evaluation.load_sets(list(paths)))
    ]
    tag = len({name for name, _, _ in sets}) > 1
    firsts = [sum(len(c) for _, c, _ in sets[:i]) for i in range(len(sets))]
    settings = _settings()
    reports = []
    if url is not None:
        db = Database(settings)
        for (name, cases, ref), first in zip(sets, firsts, strict=True):
            reports.append(
                evaluation.run(
                    cases,
                    url.rstrip("/"),
                    evaluation.find_eval_shop(db, ref),
                    db,
                    timeout=timeout,
                    catalog=name if tag else "",
                    first=first,
                )
            )
    else:
        if not settings.redis_url and _running_redis(settings):
            raise ConfigError(
                "a StoreChat server is already running in this instance folder: pass its address with --url"
            )
        from core.supervisor import Supervisor

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        with evaluation.server_environment():
            sup = Supervisor(settings, "127.0.0.1", 0, web_workers=settings.web_workers)
            sup.start()
        try:
            base = _base_url(settings.model_copy(update={"public_url": None}), sup.addresses)
            db = Database(settings)
            for (name, cases, ref), first in zip(sets, firsts, strict=True):
                shop = evaluation.find_eval_shop(db, ref, storefront=f"{base}/demo", redis_url=sup.redis_url)
                reports.append(
                    evaluation.run(cases, base, shop, db, timeout=timeout, catalog=name if tag else "", first=first)
                )
        finally:
            sup.stop()
    report = evaluation.merge(reports)
    click.echo(json_lib.dumps(report.as_dict(), indent=2) if as_json else report.format())


# -- running jobs from the command line ----------------------------------------


def _running_redis(settings: Settings) -> str | None:
    """The embedded Redis of a running `storechat serve`, if there is one."""
    import redis as redis_lib

    from core import redis_client
    from core.embedded_redis import RUNTIME_FILE

    path = settings.instance_path / RUNTIME_FILE
    if not path.exists():
        return None
    url = path.read_text().strip()
    try:
        redis_client.client(url, socket_connect_timeout=1).ping()
    except (redis_lib.ConnectionError, OSError):
        return None
    return url


@contextmanager
def _cli_redis(settings: Settings) -> Iterator[str]:
    url = settings.redis_url or _running_redis(settings)
    if url:
        yield url
        return
    from core.embedded_redis import EmbeddedRedis

    embedded = EmbeddedRedis(settings.instance_path / "redis.db")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def _run_sync_job(settings: Settings, db: Any, run_id: int) -> None:
    """Enqueue the sync job; run it here when no worker is listening; show progress."""
    from rq import Worker

    from core import redis_client
    from core.db import SyncRun
    from core.jobs import DEFAULT, enqueue_sync, queue

    with db.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        shop_id = run.shop_id
    with _cli_redis(settings) as url:
        conn = redis_client.client(url)
        enqueue_sync(conn, run_id, shop_id)

        def run_here() -> None:
            from core.worker import run

            run(url, (DEFAULT,), burst=True)

        if not Worker.all(queue=queue(DEFAULT, conn)):
            click.echo("no worker is running: running the sync job here")
            _showing_progress(db, run_id, run_here)
        _wait_for_run(db, run_id, if_not_started=lambda: _showing_progress(db, run_id, run_here))


def _showing_progress(db: Any, run_id: int, work: Callable[[], None], every: float = 1.0) -> None:
    """Run ``work`` (a sync job run here) while printing the run's progress counters."""
    import threading

    from core.db import SyncRun

    done = threading.Event()

    def show() -> None:
        shown = None
        while not done.wait(every):
            with db.session() as session:
                run = session.get(SyncRun, run_id)
                state = (run.products_seen, run.documents_seen) if run is not None else None
            if state is not None and state != shown:
                click.echo(f"syncing: {state[0]} products, {state[1]} documents")
                shown = state

    thread = threading.Thread(target=show, name="sync-progress", daemon=True)
    thread.start()
    try:
        work()
    finally:
        done.set()
        thread.join()


def _wait_for_run(
    db: Any,
    run_id: int,
    timeout: float = 3600,
    if_not_started: Callable[[], None] | None = None,
    start_within: float = 15,
    progress: bool = True,
) -> Any:
    """Show a sync run's progress (unless ``progress`` is false) until it ends; the finished run.

    ``if_not_started`` runs when no worker has picked the job up within
    ``start_within`` seconds (a worker that is listed but dead, or busy).
    """
    from core.db import SyncRun

    deadline = time.monotonic() + timeout
    nudge_at = time.monotonic() + start_within
    shown = None
    while time.monotonic() < deadline:
        if if_not_started is not None and time.monotonic() > nudge_at:
            with db.session() as session:
                queued = session.get(SyncRun, run_id).status == "queued"
            if queued:
                click.echo(f"no worker started the sync within {start_within:.0f}s: running it here")
                if_not_started()
            if_not_started = None
        with db.session() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            state = (run.status, run.products_seen, run.documents_seen)
            if state != shown and progress:
                click.echo(f"sync {run.status}: {run.products_seen} products, {run.documents_seen} documents")
            shown = state
            if run.status == "finished":
                session.expunge(run)
                return run
            if run.status == "failed":
                raise StoreChatError(f"sync failed: {run.error}", code="sync_failed")
        time.sleep(0.2)
    raise StoreChatError("sync did not finish in time", code="sync_timeout")


if __name__ == "__main__":
    main()
