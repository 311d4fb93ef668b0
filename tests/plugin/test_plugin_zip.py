"""`make wp-plugin` builds a zip that WordPress's Upload Plugin screen installs.

(The live test in tests/connectors/wordpress uploads it to a real WordPress.)
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "theme_snippets" / "wordpress" / "storechat"


def _build_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_zip", REPO / "theme_snippets" / "wordpress" / "build_zip.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = tmp_path_factory.mktemp("zip") / "storechat-wordpress.zip"
    subprocess.run(["make", "-s", "wp-plugin", f"WP_PLUGIN_ZIP={out}"], cwd=REPO, check=True, timeout=120)
    return out


def test_one_top_level_folder_named_storechat(built: Path) -> None:
    names = zipfile.ZipFile(built).namelist()
    assert names and all(name.startswith("storechat/") for name in names)
    assert "storechat/storechat.php" in names and "storechat/uninstall.php" in names


def test_every_plugin_file_is_in_it_unchanged(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        files = {n.removeprefix("storechat/"): zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    expected = {p.relative_to(PLUGIN).as_posix(): p.read_bytes() for p in PLUGIN.rglob("*") if p.is_file()}
    assert files == expected


def test_main_file_has_the_plugin_header(built: Path) -> None:
    header = zipfile.ZipFile(built).read("storechat/storechat.php").decode()[:2000]
    for field in ("Plugin Name", "Version", "Text Domain", "Requires at least", "License"):
        assert re.search(rf"^ \* {field}:\s+\S", header, re.M), f"no {field} in the plugin header"
    assert re.search(r"^ \* Text Domain:\s+storechat$", header, re.M)


def test_builds_are_reproducible_and_skip_hidden_files(tmp_path: Path) -> None:
    build = _build_module()
    source = tmp_path / "storechat"
    shutil.copytree(PLUGIN, source)
    (source / ".DS_Store").write_bytes(b"junk")
    (source / "includes" / ".class-storechat-loader.php.swp").write_bytes(b"junk")
    first = build.build(tmp_path / "a.zip", source).read_bytes()
    second = build.build(tmp_path / "b.zip", source).read_bytes()
    assert first == second
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert not any("/." in name for name in names)


def test_a_missing_plugin_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no plugin"):
        _build_module().build(tmp_path / "x.zip", tmp_path)
