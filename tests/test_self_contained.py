"""The repository stands on its own: a clone in an empty folder has no
sibling folders, so nothing in it may reach outside the checkout for data,
tools or docs (the fixtures live in tests/data, the WordPress tool in
tools/wordpress)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARENT = ".."
#: A path to the sibling folder the project's own machines have next to the
#: checkout, written as a relative path, an ``os.path.join`` or a pathlib
#: expression (the pieces are split so this file does not match itself).
SIBLING = re.compile(
    "|".join([
        re.escape(PARENT + "/" + "shared"),
        r"['\"]\.\.['\"]\s*,\s*['\"]" + "shared" + r"['\"]",
        r"(parents?\[\d+\]|\.parent)\s*/\s*['\"]" + "shared" + r"['\"]",
    ])
)
SKIP_SUFFIXES = {".gz", ".png", ".jpg", ".ico", ".zip", ".woff2"}


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    return [REPO / name for name in listed if name and (REPO / name).is_file()]


def test_nothing_in_the_repository_reaches_a_sibling_folder() -> None:
    offenders = []
    for path in repository_files():
        if path.suffix in SKIP_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if SIBLING.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "copy what is needed into the repository instead:\n" + "\n".join(offenders)


def test_the_guard_recognises_each_way_of_naming_the_sibling_folder() -> None:
    for line in (PARENT + "/" + "shared/data/shopify/product.json",
                 'os.path.join(here, "..", "' + 'shared", "data")',
                 'Path(__file__).parents[2] / "' + 'shared" / "data"'):
        assert SIBLING.search(line), line
    assert not SIBLING.search("a shared browser never keeps the previous shopper's orders")
