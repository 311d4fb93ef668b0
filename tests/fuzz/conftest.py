"""The fuzz suite's case count: every generated case is counted by its test
(``cases()``), the totals are printed at the end of the run, and a run in which
every fuzz test of a database passed must have tried at least
:data:`MIN_CASES` cases on it (the suite's promise, issue #21)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

#: Generated cases each database must see in a full run of this suite.
MIN_CASES = 10_000
HERE = Path(__file__).resolve().parent

#: (db kind, test id) -> cases run
COUNTS: Counter[tuple[str, str]] = Counter()
_collected: dict[str, set[str]] = {}
_passed: dict[str, set[str]] = {}


def _kind(item: Any) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("db_kind") if callspec is not None else None


def _ours(path: Any) -> bool:
    return HERE in Path(str(path)).resolve().parents


@pytest.fixture
def cases(request: pytest.FixtureRequest, db_kind: str) -> Callable[[], None]:
    """Call once per generated case."""
    key = (db_kind, request.node.originalname)

    def count() -> None:
        COUNTS[key] += 1
    return count


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if _ours(item.path) and _kind(item):
            _collected.setdefault(_kind(item), set()).add(item.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and _ours(report.fspath):
        for kind, ids in _collected.items():
            if report.nodeid in ids:
                _passed.setdefault(kind, set()).add(report.nodeid)


def _short(kind: str) -> list[str]:
    """Kinds whose every fuzz test passed, yet ran fewer cases than promised."""
    return [k for k in [kind] if _collected.get(k) and _passed.get(k) == _collected[k]
            and sum(n for (kk, _), n in COUNTS.items() if kk == k) < MIN_CASES]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if any(_short(kind) for kind in _collected) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COUNTS:
        return
    tr = terminalreporter
    tr.section("fuzz cases")
    for kind in sorted({k for k, _ in COUNTS}):
        rows = sorted((name, n) for (k, name), n in COUNTS.items() if k == kind)
        for name, n in rows:
            tr.write_line(f"{kind:10} {name:45} {n:6}")
        total = sum(n for _, n in rows)
        tr.write_line(f"{kind:10} {'total':45} {total:6}")
        if _short(kind):
            tr.write_line(f"FAILED: the fuzz suite ran {total} cases on {kind}, fewer than {MIN_CASES}", red=True)


@pytest.fixture
def rsps() -> Any:
    """The platforms' fakes (tests/fakes) answer on ``responses``."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
