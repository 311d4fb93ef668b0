"""The public eval set over the demo store, run the way a merchant runs it:
``storechat eval tests/eval/demo.jsonl --shop demo --json`` starts its own
server (web, worker, sync of the demo store) and asks every case over the
visitor socket.

Runs on SQLite, and on PostgreSQL when STORECHAT_TEST_DATABASE_URL is set
(both with the server's embedded Redis).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from core.assistant.evaluation import load_cases
from tests.conftest import PG_URL, _reset_postgres
from tests.eval.report import run_eval

CASES = Path(__file__).with_name("demo.jsonl")
INTENTS = {"greeting", "thanks", "product_search", "product_details", "availability", "compare", "order_status",
           "store_info", "contact", "human", "complaint", "unanswered", "out_of_scope", "other_language",
           "ranking", "stock_count", "vendor", "attributes", "refused", "multi_turn"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env["STORECHAT_INSTANCE_PATH"] = str(tmp_path_factory.mktemp(f"eval-{request.param}") / "instance")
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("STORECHAT_TEST_DATABASE_URL is not set")
        _reset_postgres(PG_URL)
        # The server's own embedded Redis, not the shared test Redis: nothing this run leaves
        # behind can pick up another test's jobs.
        env["STORECHAT_DATABASE_URL"] = PG_URL
    folder = tmp_path_factory.mktemp(f"eval-output-{request.param}")
    return run_eval([str(CASES), "--shop", "demo"], env, folder, timeout=280)


def test_the_set_covers_every_intent_with_traps_and_multi_turn_cases() -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 100
    assert {c.intent for c in cases} == INTENTS
    assert sum(len(c.turns) > 1 for c in cases) >= 20
    traps = [c for c in cases if c.id.startswith("trap-")]
    assert len(traps) >= 15 and all(c.must_not_include for c in traps)
    assert any("wrong-email" in c.id for c in traps) and any(c.intent == "other_language" for c in cases)


def test_at_least_95_percent_correct(report: dict[str, Any]) -> None:
    failed = {k: v for k, v in report["cases"].items() if not v["pass"]}
    assert report["total"] == len(load_cases(CASES))
    assert report["accuracy"]["overall"] >= 0.95, json.dumps(failed, indent=2)


def test_no_invented_facts(report: dict[str, Any]) -> None:
    assert report["guard_trips"] == 0
    invented = {k: v for k, v in report["cases"].items()
                if any(f.startswith("must not include") for f in v["failures"])}
    assert invented == {}, json.dumps(invented, indent=2)
    traps = {k: v for k, v in report["cases"].items() if k.startswith("trap-") and not v["pass"]}
    assert traps == {}, json.dumps(traps, indent=2)


def test_handoffs_happen_exactly_where_expected(report: dict[str, Any]) -> None:
    cases = {c.id: c for c in load_cases(CASES)}
    wrong = {k: v for k, v in report["cases"].items()
             if cases[k].handoff is not None and v["handoff"] != cases[k].handoff}
    assert wrong == {}, json.dumps(wrong, indent=2)
    assert report["handoffs"] == sum(c.handoff is True for c in cases.values())


def test_latency_is_reported(report: dict[str, Any]) -> None:
    assert report["latency_ms"]["count"] >= len(report["cases"])
    assert report["latency_ms"]["p50"] is not None and report["server_ms"]["p99"] is not None
