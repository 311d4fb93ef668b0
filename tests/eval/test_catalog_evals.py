"""The public eval sets over every catalog, in one `storechat eval` run: the demo store, WooCommerce's
sample products (through the WooCommerce mapping), Vendure's sample store (converted to Shopify's product
CSV, through the csv connector) and the seeded 10,000-product catalog (``tests/eval/catalogs.py``). Each set must pass >= 97% with no guard trip, and the report carries the
per-catalog table. Runs on SQLite, and on PostgreSQL when STORECHAT_TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from core.assistant.evaluation import load_cases
from core.db import Database
from core.db.migrate import upgrade
from core.settings import load_settings
from tests.conftest import PG_URL, _reset_postgres
from tests.eval import catalogs
from tests.eval.report import run_eval

HERE = Path(__file__).parent
SETS = {"demo": "demo", "woocommerce": "eval-woocommerce", "generated": "eval-generated", "vendure": "eval-vendure"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    instance = tmp_path_factory.mktemp(f"catalogs-{request.param}") / "instance"
    env["STORECHAT_INSTANCE_PATH"] = str(instance)
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("STORECHAT_TEST_DATABASE_URL is not set")
        _reset_postgres(PG_URL)
        env["STORECHAT_DATABASE_URL"] = PG_URL
    settings = load_settings(instance_path=instance, database_url=env.get("STORECHAT_DATABASE_URL"))
    db = Database(settings)
    upgrade(db.engine)
    for name in ("woocommerce", "generated", "vendure"):
        catalogs.load(db, name)
    db.dispose()
    folder = tmp_path_factory.mktemp(f"catalogs-output-{request.param}")
    args = [str(HERE / f"{n}.jsonl") for n in SETS]
    for shop in SETS.values():
        args += ["--shop", shop]
    return run_eval(args, env, folder, timeout=600)


def test_the_sets_are_big_enough_and_a_third_multi_turn() -> None:
    cases = [c for name in SETS for c in load_cases(HERE / f"{name}.jsonl")]
    assert len(cases) >= 400
    assert sum(len(c.turns) > 1 for c in cases) * 3 >= len(cases)
    for name in ("woocommerce", "generated", "vendure"):
        assert len(load_cases(HERE / f"{name}.jsonl")) >= 50
    vendure = load_cases(HERE / "vendure.jsonl")
    assert len(vendure) >= 70 and sum(len(c.turns) > 1 for c in vendure) * 3 >= len(vendure)


def test_every_catalog_passes_97_percent_without_a_guard_trip(report: dict[str, Any]) -> None:
    by_catalog = report["accuracy"]["by_catalog"]
    assert set(by_catalog) == set(SETS)
    failed = {k: v for k, v in report["cases"].items() if not v["pass"]}
    for name, row in by_catalog.items():
        assert row["accuracy"] >= 0.97, (name, json.dumps(failed, indent=2))
        assert row["guard_trips"] == 0, name
    assert report["guard_trips"] == 0
