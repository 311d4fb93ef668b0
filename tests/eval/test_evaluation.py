"""``core.assistant.evaluation`` without a server: reading case files, judging replies, figures."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from core.assistant import evaluation
from core.assistant.evaluation import Case, EvalFileError, judge, load_cases
from core.cli import main

GOOD = '{"id": "a", "turns": ["hi"], "must_include": [], "must_not_include": ["$"]}'


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_cases_and_skips_blank_lines(tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD, "", '{"id": "b", "turns": ["x", "y"], "must_include": ["z"], "must_not_include": [],'
                                     ' "handoff": true, "intent": "human"}')
    first, second = load_cases(path)
    assert first == Case("a", ("hi",), (), ("$",), None, None, 1)
    assert second.turns == ("x", "y") and second.handoff is True and second.intent == "human" and second.line == 3


@pytest.mark.parametrize(("bad", "message"), [
    ('{"id": "b", "turns": ["x"], "must_include": []', "line 2: invalid JSON"),
    ('["not", "an", "object"]', "line 2: expected a JSON object"),
    ('{"id": "b", "turns": [], "must_include": [], "must_not_include": []}', "line 2: 'turns' must be"),
    ('{"id": "b", "turns": ["x"], "must_not_include": []}', "line 2: missing 'must_include'"),
    ('{"id": "b", "turns": ["x"], "must_include": [], "must_not_include": [], "handof": true}',
     "line 2: unknown field 'handof'"),
    ('{"id": "b", "turns": ["x"], "must_include": [], "must_not_include": [], "handoff": "yes"}',
     "line 2: 'handoff' must be true or false"),
    ('{"id": "a", "turns": ["x"], "must_include": [], "must_not_include": []}', "line 2: duplicate id 'a'"),
])
def test_a_malformed_line_is_named(tmp_path: Path, bad: str, message: str) -> None:
    with pytest.raises(EvalFileError, match=message):
        load_cases(_file(tmp_path, GOOD, bad))


def test_the_command_exits_non_zero_on_a_malformed_file_before_starting_anything(tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD, "{oops")
    result = CliRunner().invoke(main, ["eval", str(path), "--shop", "demo"], env={"STORECHAT_INSTANCE_PATH":
                                                                                   str(tmp_path / "instance")})
    assert result.exit_code != 0
    assert "line 2: invalid JSON" in result.output
    assert not (tmp_path / "instance").exists()


def test_checked_text_is_the_reply_with_card_titles_and_prices_case_insensitively() -> None:
    case = Case("a", ("x",), ("classic LEATHER jacket", "$80.00", "80.00"), ("sold out",), handoff=False)
    cards = [{"title": "Classic Leather Jacket", "price": "80.00", "price_max": "80.00", "currency": "USD"}]
    assert judge(case, "Here it is.", cards, handoff=False) == []
    assert judge(case, "Sold out!", [], handoff=True) == [
        "missing 'classic LEATHER jacket'", "missing '$80.00'", "missing '80.00'", "must not include 'sold out'",
        "handed off unexpectedly"]


def test_percentiles_are_nearest_rank() -> None:
    stats = evaluation._stats([float(n) for n in range(1, 101)])
    assert stats == {"p50": 50.0, "p99": 99.0, "count": 100}
    assert evaluation._stats([]) == {"p50": None, "p99": None, "count": 0}


def test_a_cases_language_comes_from_its_field_or_the_files_name(tmp_path: Path) -> None:
    spanish = tmp_path / "shop.es.jsonl"
    spanish.write_text(GOOD + "\n" + GOOD.replace('"a"', '"b"').replace("{", '{"lang": "pt", ', 1) + "\n")
    first, second = load_cases(spanish)
    assert (first.lang, second.lang) == ("es", "pt")
    assert load_cases(_file(tmp_path, GOOD))[0].lang == "en"
    with pytest.raises(EvalFileError, match="'lang' must be a language code"):
        load_cases(_file(tmp_path, GOOD.replace("{", '{"lang": "Spanish", ', 1)))


def test_several_files_run_together_but_an_id_is_used_once_per_catalog(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(GOOD + "\n")
    (tmp_path / "b.fr.jsonl").write_text(GOOD.replace('"a"', '"b"') + "\n")
    cases = evaluation.load_files([tmp_path / "a.jsonl", tmp_path / "b.fr.jsonl"])
    assert [(c.id, c.lang) for c in cases] == [("a", "en"), ("b", "fr")]
    # Another catalog may use the same id (the report names cases by catalog and id) ...
    (tmp_path / "c.jsonl").write_text(GOOD + "\n")
    sets = evaluation.load_sets([tmp_path / "a.jsonl", tmp_path / "c.jsonl"])
    assert [(name, [c.id for c in cases]) for name, cases in sets] == [("a", ["a"]), ("c", ["a"])]
    # ... the same catalog (here in another language) may not.
    (tmp_path / "a.de.jsonl").write_text(GOOD + "\n")
    with pytest.raises(EvalFileError, match="duplicate id 'a' \\(first in .*a.jsonl\\)"):
        evaluation.load_files([tmp_path / "a.jsonl", tmp_path / "a.de.jsonl"])


def test_the_report_has_a_table_per_language() -> None:
    cases = [Case("e", ("hi",), (), (), lang="en"), Case("s1", ("hola",), (), (), lang="es"),
             Case("s2", ("hola",), (), (), lang="es")]
    outcomes = [evaluation.Outcome(cases[0]), evaluation.Outcome(cases[1], failures=["missing 'x'"], guard_trips=1),
                evaluation.Outcome(cases[2])]
    report = evaluation.Report(outcomes, 1, [], "http://x", "shop")
    assert report.by_language() == {"en": (1, 1, 0), "es": (1, 2, 1)}
    assert report.as_dict()["accuracy"]["by_language"]["es"] == {"passed": 1, "total": 2, "accuracy": 0.5,
                                                                 "guard_trips": 1}
    text = report.format()
    assert "\nes                        2       1     50.0%            1\n" in text


def test_no_break_spaces_in_a_locale_price_match_plain_spaces() -> None:
    case = Case("a", ("x",), ("80,00 $",), ("19,99 €",))
    assert judge(case, "Cuesta 80,00\u00a0$.", [], handoff=False) == []
    assert judge(case, "Cuesta 19,99\u202f€.", [], handoff=False) == ["missing '80,00 $'", "must not include '19,99 €'"]
