"""The fuzz suite's case count: every generated case is counted by its test
(``cases()``) and the totals are printed at the end of the run. The suite's
promise (issue #21) is :data:`MIN_CASES` cases per CI run, which runs it on
SQLite and PostgreSQL: a database on which every fuzz test passed must have
tried at least half of that, and a run with both, at least all of it."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import DB_KINDS

#: Generated cases a full run of this suite on both databases tries (half on each).
MIN_CASES = 10_000
HERE = Path(__file__).resolve().parent

#: (db kind, test id) -> cases run
COUNTS: Counter[tuple[str, str]] = Counter()
_collected: dict[str, set[str]] = {}
_passed: dict[str, set[str]] = {}
#: The suite's test files this run collected from (a run of some of them makes no promise).
_files: set[str] = set()


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
            _files.add(Path(str(item.path)).name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and _ours(report.fspath):
        for kind, ids in _collected.items():
            if report.nodeid in ids:
                _passed.setdefault(kind, set()).add(report.nodeid)


def _complete() -> list[str]:
    """Database kinds on which every fuzz test ran and passed."""
    return [k for k, ids in _collected.items() if ids and _passed.get(k) == ids]


def _total(kinds: list[str]) -> int:
    return sum(n for (k, _), n in COUNTS.items() if k in kinds)


def _short() -> str | None:
    """What falls short of the promise, if anything (only a run of the whole suite promises)."""
    if _files != {p.name for p in HERE.glob("test_*.py")}:
        return None
    complete = _complete()
    for kind in complete:
        if _total([kind]) < MIN_CASES // 2:
            return f"the fuzz suite ran {_total([kind])} cases on {kind}, fewer than {MIN_CASES // 2}"
    if len(complete) == len(DB_KINDS) and _total(complete) < MIN_CASES:
        return f"the fuzz suite ran {_total(complete)} cases in all, fewer than {MIN_CASES}"
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _short() and session.exitstatus == 0:
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
        tr.write_line(f"{kind:10} {'total':45} {sum(n for _, n in rows):6}")
    tr.write_line(f"{'all':10} {'total':45} {sum(COUNTS.values()):6}")
    if problem := _short():
        tr.write_line(f"FAILED: {problem}", red=True)

@pytest.fixture
def rsps() -> Any:
    """The platforms' fakes (tests/fakes) answer on ``responses``."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
