"""The ``storechat`` command, run in-process against a real database and Redis."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from core import jobs
from core.agents import authenticate
from core.cli import main
from core.db import Agent, Database, Product, Shop, SyncRun, Variant
from core.db.migrate import current_revision, head_revision, is_current
from core.settings import Settings
from tests.conftest import SHOPIFY_DATA

APPAREL = SHOPIFY_DATA / "apparel.csv"
COMMANDS = ["eval", "serve", "worker", "demo", "migrate", "sync", "shop", "agent", "user", "analytics", "privacy",
            "shopify"]  # a connector's own commands (Connector.cli_group)


def _reset_worker_services() -> None:
    if jobs.worker_services.cache_info().currsize:
        jobs.worker_services().close()
    jobs.worker_services.cache_clear()


def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("STORECHAT_") and not name.startswith("STORECHAT_TEST_"):
            monkeypatch.delenv(name)


class Cli:
    """Runs ``storechat`` with one environment, set both for CliRunner and os.environ."""

    def __init__(self, env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> None:
        self.env = env
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    def __call__(self, *args: str) -> Result:
        return CliRunner(env=self.env).invoke(main, list(args), prog_name="storechat")


@pytest.fixture
def cli(settings: Settings, db: Database, redis, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:  # type: ignore[no-untyped-def]
    """The CLI on the test database (migrated) and the test Redis (flushed)."""
    _clean_environ(monkeypatch)
    _reset_worker_services()
    yield Cli(
        {
            "STORECHAT_INSTANCE_PATH": str(settings.instance_path),
            # None for SQLite: the default file in the instance folder, which ``db`` migrated.
            "STORECHAT_DATABASE_URL": settings.database_url,
            "STORECHAT_REDIS_URL": redis_url,
            "STORECHAT_SECRET_KEY": settings.secret_key,
        },
        monkeypatch,
    )
    _reset_worker_services()


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "upload" / "apparel.csv"
    path.parent.mkdir()
    shutil.copyfile(APPAREL, path)
    return path


def counts(db: Database) -> tuple[int, int, int, int]:
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Shop, Product, Variant, SyncRun)
        )


def create(cli: Cli, csv_file: Path, name: str = "Apparel Store") -> tuple[Result, int, str]:
    result = cli("shop", "create", name, "--csv", str(csv_file), "--storefront-url", "https://shop.example/")
    assert result.exit_code == 0, result.output
    shop_id = int(re.search(r"^shop id: (\d+)$", result.stdout, re.M).group(1))  # type: ignore[union-attr]
    site_key = re.search(r"^site key: (sk_\S+)$", result.stdout, re.M).group(1)  # type: ignore[union-attr]
    return result, shop_id, site_key


# -- help --------------------------------------------------------------------------


def test_help_lists_the_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: storechat [OPTIONS] COMMAND [ARGS]...")
    listed = re.findall(r"^  (\w+)\s", result.stdout.split("Commands:")[1], re.M)
    assert sorted(listed) == sorted(COMMANDS)  # `web` is internal and hidden
    assert cli("-h").stdout == result.stdout


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["serve"], "Usage: storechat serve [OPTIONS]"),
        (["worker"], "Usage: storechat worker [OPTIONS]"),
        (["demo"], "Usage: storechat demo [OPTIONS]"),
        (["migrate"], "Usage: storechat migrate [OPTIONS]"),
        (["sync"], "Usage: storechat sync [OPTIONS] SHOP"),
        (["shop"], "Usage: storechat shop [OPTIONS] COMMAND [ARGS]..."),
        (["shop", "create"], "Usage: storechat shop create [OPTIONS] NAME"),
        (["shop", "list"], "Usage: storechat shop list [OPTIONS]"),
        (["agent"], "Usage: storechat agent [OPTIONS] COMMAND [ARGS]..."),
        (["agent", "create"], "Usage: storechat agent create [OPTIONS] SHOP"),
        (["privacy"], "Usage: storechat privacy [OPTIONS] COMMAND [ARGS]..."),
        (["privacy", "export"], "Usage: storechat privacy export [OPTIONS] SHOP"),
        (["privacy", "delete"], "Usage: storechat privacy delete [OPTIONS] SHOP"),
    ],
)
def test_subcommand_help(args: list[str], usage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_environ(monkeypatch)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="storechat")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(usage + "\n")
    assert not (tmp_path / "instance").exists()  # help touches nothing


# -- migrate -----------------------------------------------------------------------


def test_migrate_a_fresh_instance(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_environ(monkeypatch)
    instance = tmp_path / "fresh"
    cli = Cli({"STORECHAT_INSTANCE_PATH": str(instance), "STORECHAT_REDIS_URL": redis_url}, monkeypatch)

    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"database at revision {head_revision()}\n"
    assert (instance / "storechat.db").is_file()
    assert (instance / "secret_key").is_file()
    db = Database(Settings(instance_path=instance, secret_key="x" * 40))
    try:
        assert is_current(db.engine)
        assert counts(db) == (0, 0, 0, 0)
    finally:
        db.dispose()
    # Running it again is a no-op.
    again = cli("migrate")
    assert (again.exit_code, again.stdout) == (0, result.stdout)


def test_migrate_on_the_test_database(cli: Cli, db: Database) -> None:
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"database at revision {current_revision(db.engine)}\n"
    assert current_revision(db.engine) == head_revision()


# -- shop create ---------------------------------------------------------------


def test_shop_create_imports_the_csv(cli: Cli, db: Database, csv_file: Path, settings: Settings) -> None:
    result, shop_id, site_key = create(cli, csv_file)

    lines = result.stdout.splitlines()
    assert lines[0] == f"created shop {shop_id} (20 products in the file)"
    assert "no worker is running: running the sync job here" in lines
    assert "sync finished: 20 products, 0 documents" in lines
    assert lines[-2:] == [f"shop id: {shop_id}", f"site key: {site_key}"]
    assert result.stderr == ""

    assert counts(db) == (1, 20, 22, 1)
    kept = settings.instance_path / "imports" / f"shop-{shop_id}.csv"
    assert kept.read_bytes() == APPAREL.read_bytes()
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        assert (shop.name, shop.platform, shop.site_key, shop.currency) == ("Apparel Store", "csv", site_key, "USD")
        assert shop.storefront_url == "https://shop.example/"
        assert shop.connector_config == {"csv_path": str(kept), "storefront_url": "https://shop.example/"}
        run = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id)).one()
        assert (run.status, run.products_seen, run.documents_seen, run.error) == ("finished", 20, 0, None)
        jacket = session.scalars(
            select(Product).where(Product.shop_id == shop_id, Product.handle == "classic-leather-jacket")
        ).one()
        assert jacket.url == "https://shop.example/products/classic-leather-jacket"
        assert jacket.price_min == 80

    # The shop keeps its own copy: editing or deleting the upload changes nothing.
    csv_file.unlink()
    again = cli("sync", str(shop_id))
    assert again.exit_code == 0, again.output
    assert counts(db) == (1, 20, 22, 2)


def test_shop_create_with_malformed_csv_creates_nothing(
    cli: Cli, db: Database, csv_file: Path, settings: Settings
) -> None:
    lines = csv_file.read_text().splitlines(keepends=True)
    assert lines[8].startswith("classic-leather-jacket,")
    lines[8] = lines[8].replace(",manual,80,", ",manual,eighty,")
    csv_file.write_text("".join(lines))

    result = cli("shop", "create", "Broken", "--csv", str(csv_file))

    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: line 9: Variant Price 'eighty' is not a number\n"
    assert "shop id:" not in result.stdout
    assert "Traceback" not in result.output
    assert counts(db) == (0, 0, 0, 0)
    imports = settings.instance_path / "imports"
    assert not imports.exists() or list(imports.iterdir()) == []


def test_shop_create_with_missing_file_is_a_usage_error(cli: Cli, db: Database, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = cli("shop", "create", "Ghost", "--csv", str(missing))
    assert result.exit_code == 2
    assert "Usage: storechat shop create [OPTIONS] NAME" in result.stderr
    assert f"Invalid value for '--csv': File '{missing}' does not exist." in result.stderr
    assert counts(db) == (0, 0, 0, 0)


def test_shop_create_with_bad_storefront_url_creates_nothing(cli: Cli, db: Database, csv_file: Path) -> None:
    result = cli("shop", "create", "X", "--csv", str(csv_file), "--storefront-url", "shop.example")
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: 'storefront_url' must be an absolute http(s) URL, not 'shop.example'\n"
    assert counts(db) == (0, 0, 0, 0)


def test_shop_create_needs_valid_input(cli: Cli, db: Database, csv_file: Path) -> None:
    bad_currency = cli("shop", "create", "X", "--csv", str(csv_file), "--currency", "dollars")
    assert bad_currency.exit_code == 1
    assert bad_currency.stderr == "Error: currency must be a 3-letter ISO code, not 'dollars'\n"
    assert counts(db) == (0, 0, 0, 0)


# -- sync ----------------------------------------------------------------------


def test_sync_reruns_and_shows_progress(cli: Cli, db: Database, csv_file: Path, settings: Settings) -> None:
    _, shop_id, site_key = create(cli, csv_file)
    with db.session() as session:
        ids = sorted(session.scalars(select(Product.id).where(Product.shop_id == shop_id)))

    for ref in (str(shop_id), site_key, "Apparel Store"):
        result = cli("sync", ref)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == "no worker is running: running the sync job here"
        assert lines[-1] == "sync finished: 20 products, 0 documents"
        assert result.stderr == ""

    incremental = cli("sync", str(shop_id), "--incremental")
    assert incremental.exit_code == 0, incremental.output
    assert incremental.stdout.splitlines()[-1] == "sync finished: 20 products, 0 documents"

    assert counts(db) == (1, 20, 22, 5)
    with db.session() as session:
        assert sorted(session.scalars(select(Product.id).where(Product.shop_id == shop_id))) == ids
        runs = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id).order_by(SyncRun.id)).all()
        assert [(r.status, r.full) for r in runs] == [("finished", True)] * 4 + [("finished", False)]

    # An edit to the kept copy is picked up; a broken one fails clearly and keeps the catalog.
    kept = settings.instance_path / "imports" / f"shop-{shop_id}.csv"
    text = kept.read_text()
    lines = text.splitlines(keepends=True)
    kept.write_text("".join(line for line in lines if not line.startswith("led-high-tops,")))
    result = cli("sync", str(shop_id))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sync finished: 19 products, 0 documents"
    assert counts(db)[:3] == (1, 19, 21)

    kept.write_text(kept.read_text().replace("ocean-blue-shirt,Ocean Blue Shirt", "ocean blue,Ocean Blue Shirt"))
    failed = cli("sync", str(shop_id))
    assert failed.exit_code == 1
    assert failed.stderr == (
        "Error: sync failed: line 2: Handle 'ocean blue' may not contain spaces, '/', '?' or '#'\n"
    )
    assert "sync failed: 0 products, 0 documents" in failed.stdout
    assert counts(db)[:3] == (1, 19, 21)


def test_sync_continues_a_run_that_failed_with_a_checkpoint(cli: Cli, db: Database, csv_file: Path) -> None:
    _, shop_id, _ = create(cli, csv_file)
    with db.session() as session:
        run = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id)).one()
        run.status, run.error, run.resume_state = "failed", "worker died", {"stage": "products", "after": "c1"}
        run_id = run.id

    result = cli("sync", str(shop_id))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"resuming sync run {run_id} after its last stored batch (20 products stored)"
    assert result.stdout.splitlines()[-1] == "sync finished: 20 products, 0 documents"
    with db.session() as session:
        runs = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id)).all()
        assert [(r.id, r.status, r.resume_state) for r in runs] == [(run_id, "finished", None)]


@pytest.mark.parametrize("ref", ["nope", "999", "sk_unknown"])
def test_sync_unknown_shop(cli: Cli, db: Database, ref: str) -> None:
    result = cli("sync", ref)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no shop with id, site key or name {ref!r}\n"
    assert counts(db) == (0, 0, 0, 0)


# -- agents and listing --------------------------------------------------------


def test_agent_create_prints_a_working_credential(cli: Cli, db: Database, csv_file: Path) -> None:
    _, shop_id, _ = create(cli, csv_file)
    result = cli("agent", "create", str(shop_id), "--name", "Alex")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"agent id: (\d+)\ncredential: (sca_[A-Za-z0-9_-]{40,})\n", result.stdout)
    assert match, result.stdout
    agent = authenticate(db, match.group(2))
    assert (agent.id, agent.shop_id, agent.name) == (int(match.group(1)), shop_id, "Alex")
    with db.session() as session:
        stored = session.get(Agent, agent.id)
        assert stored is not None and match.group(2) not in stored.credential_hash

    second = cli("agent", "create", str(shop_id), "--name", "Alex")
    assert second.exit_code == 0
    assert second.stdout.split("credential: ")[1] != match.group(2) + "\n"

    missing = cli("agent", "create", "nope", "--name", "Alex")
    assert (missing.exit_code, missing.stderr) == (1, "Error: no shop with id, site key or name 'nope'\n")
    no_name = cli("agent", "create", str(shop_id))
    assert no_name.exit_code == 2 and "Missing option '--name'" in no_name.stderr
    blank = cli("agent", "create", str(shop_id), "--name", "  ")
    assert (blank.exit_code, blank.stderr) == (1, "Error: an agent's name must have 1 to 120 characters\n")


def test_shop_list(cli: Cli, db: Database, csv_file: Path) -> None:
    empty = cli("shop", "list")
    assert (empty.exit_code, empty.stdout) == (0, "")

    _, first_id, first_key = create(cli, csv_file)
    _, second_id, second_key = create(cli, csv_file, name="Second Store")
    result = cli("shop", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{first_id}\tcsv\t{first_key}\tApparel Store\n"
        f"{second_id}\tcsv\t{second_key}\tSecond Store\n"
    )
    assert counts(db) == (2, 40, 44, 2)


def test_shop_identity_secret_is_stored_encrypted_and_checks_tokens(cli: Cli, db: Database, settings: Settings,
                                                                    csv_file: Path) -> None:
    from core import shop_connectors
    from core.db import Shop
    from core.security import identity

    _, shop_id, _ = create(cli, csv_file)
    result = cli("shop", "identity-secret", str(shop_id))
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert len(secret) >= 32
    with db.session() as session:
        row = session.get(Shop, shop_id)
        assert secret not in str(row.connector_config)  # encrypted at rest
        config = shop_connectors.open_config(settings, row)
    assert config["identity_secret"] == secret and config["csv_path"]
    token = identity.sign_identity(secret, "42")
    found = identity.customer_of(token, secret_key="unused", shop_id=shop_id,
                                 identity_secret=identity.shop_identity_secret(config))
    assert found == "42"
    missing = cli("shop", "identity-secret", "no-such-shop")
    assert missing.exit_code != 0 and "no-such-shop" in missing.output
