"""How well and how fast the built-in engine tells a shopper's language, beside py3langid.

    .venv/bin/python bench/language.py             # tests/data/language/lines.tsv
    .venv/bin/python bench/language.py FILE.tsv    # lines "<lang>\\t<text>"

Prints a table per language: lines, correct by StoreChat's detector
(``core/assistant/builtin/language.py``: the line alone, ``detect``, and the
language the engine would answer in a new English-page conversation,
``for_turn``), and correct by py3langid restricted to the same six
languages (a dev dependency; skipped when it is not installed), then the time
per line. A line's language counts as found by ``detect`` only when
``detect`` is *clear*; an unclear line is wrong there, which is why
``for_turn`` (which falls back to the conversation's, the page's or the shop's
language) is the figure that matters for the replies.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from core.assistant.builtin.language import SPOKEN, detect, for_turn

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "language" / "lines.tsv"


def read(path: Path) -> list[tuple[str, str]]:
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            lang, _, text = raw.partition("\t")
            rows.append((lang.strip(), text.strip()))
    return rows


def reference():  # type: ignore[no-untyped-def]
    try:
        from py3langid import langid
    except ImportError:
        return None
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    identifier.set_languages(list(SPOKEN))
    return lambda text: identifier.classify(text)[0]


def main(argv: list[str]) -> None:
    rows = read(Path(argv[0]) if argv else DEFAULT)
    ref = reference()
    methods = {"detect (clear)": lambda t: (lambda d: d.lang if d.clear else None)(detect(t)),
               "for_turn": lambda t: for_turn(t, None, None, "en")}
    if ref is not None:
        methods["py3langid (6 langs)"] = ref
    results: dict[str, dict[str, int]] = {m: {} for m in methods}
    timing: dict[str, float] = {}
    for name, fn in methods.items():
        fn("warm up")
        started = time.perf_counter()
        for lang, text in rows:
            results[name][lang] = results[name].get(lang, 0) + (fn(text) == lang)
        timing[name] = (time.perf_counter() - started) / len(rows) * 1000
    counts: dict[str, int] = {}
    for lang, _ in rows:
        counts[lang] = counts.get(lang, 0) + 1
    header = f"{'language':<10} {'lines':>6} " + " ".join(f"{m:>20}" for m in methods)
    print(header)
    for lang in sorted(counts, key=lambda k: (k != "en", k)):
        cells = " ".join(f"{results[m].get(lang, 0):>6} ({100 * results[m].get(lang, 0) / counts[lang]:5.1f}%)"
                         .rjust(20) for m in methods)
        print(f"{lang:<10} {counts[lang]:>6} {cells}")
    total = len(rows)
    print(f"{'all':<10} {total:>6} " + " ".join(
        f"{sum(results[m].values()):>6} ({100 * sum(results[m].values()) / total:5.1f}%)".rjust(20) for m in methods))
    print(f"{'ms/line':<10} {'':>6} " + " ".join(f"{timing[m]:>20.3f}" for m in methods))
    if ref is None:
        print("py3langid is not installed (pip install -e '.[dev]'): no reference column")


if __name__ == "__main__":
    main(sys.argv[1:])
