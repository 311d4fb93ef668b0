"""Every PHP file of the WordPress plugin passes `php -l`, and follows the
plugin's house rules: direct access guarded, strings in the `storechat` text domain.

Skipped when PHP is not installed, unless STORECHAT_REQUIRE_WORDPRESS=1 (CI).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "theme_snippets" / "wordpress" / "storechat"
PHP_FILES = sorted(PLUGIN.rglob("*.php"))
#: WordPress's translation functions whose last argument is the text domain.
I18N_CALL = re.compile(r"\b(?:__|_e|_x|_n|esc_html__|esc_html_e|esc_attr__|esc_attr_e|esc_html_x|esc_attr_x)\(")


def _php() -> str:
    php = shutil.which("php")
    if php is None:
        if os.environ.get("STORECHAT_REQUIRE_WORDPRESS") == "1":
            pytest.fail("STORECHAT_REQUIRE_WORDPRESS=1 but php is not installed", pytrace=False)
        pytest.skip("php is not installed")
    return php


def _id(path: Path) -> str:
    return path.relative_to(PLUGIN).as_posix()


def test_there_are_php_files() -> None:
    assert {"storechat.php", "uninstall.php"} <= {_id(p) for p in PHP_FILES}


@pytest.mark.parametrize("path", PHP_FILES, ids=_id)
def test_php_lint(path: Path) -> None:
    result = subprocess.run([_php(), "-l", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax errors detected" in result.stdout


@pytest.mark.parametrize("path", PHP_FILES, ids=_id)
def test_direct_access_is_guarded(path: Path) -> None:
    source = path.read_text()
    guard = "defined( 'WP_UNINSTALL_PLUGIN' )" if path.name == "uninstall.php" else "defined( 'ABSPATH' ) || exit;"
    # The guard comes before any code: only the header comment may precede it.
    before = source.split(guard)[0] if guard in source else None
    assert before is not None, f"{_id(path)} lacks {guard}"
    code = re.sub(r"/\*.*?\*/", "", before, flags=re.S).replace("<?php", "").replace("if (", "").replace("!", "")
    assert not code.strip(), f"{_id(path)} runs code before its guard: {code.strip()[:80]!r}"


@pytest.mark.parametrize("path", PHP_FILES, ids=_id)
def test_translatable_strings_use_the_storechat_domain(path: Path) -> None:
    source = path.read_text()
    for match in I18N_CALL.finditer(source):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(source)):
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            if depth == 0:
                break
        call = source[match.start():end + 1]
        assert call.rstrip(") \n\t").endswith("'storechat'"), f"{_id(path)}: {call[:100]!r} lacks the text domain"
