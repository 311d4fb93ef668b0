"""Build the WordPress plugin zip: ``python3 theme_snippets/wordpress/build_zip.py OUT.zip``.

The zip holds one top-level folder, ``storechat/``, which is what WordPress's
Plugins → Add New → Upload Plugin screen expects. Entries are sorted and dated
from a fixed time, so the same sources give the same bytes. Only the plugin's
PHP, text and asset files go in; hidden files and editor leftovers stay out.
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent / "storechat"
TOP = "storechat"
SUFFIXES = frozenset({".php", ".txt", ".md", ".js", ".css", ".pot", ".po", ".mo", ".json", ".png", ".svg"})
#: Zip's epoch is 1980; a fixed date keeps builds reproducible.
DATE = (2026, 1, 1, 0, 0, 0)


def plugin_files(plugin_dir: Path = PLUGIN_DIR) -> list[Path]:
    return sorted(
        path for path in plugin_dir.rglob("*")
        if path.is_file() and path.suffix in SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(plugin_dir).parts)
    )


def build(out: Path, plugin_dir: Path = PLUGIN_DIR) -> Path:
    if not (plugin_dir / "storechat.php").is_file():
        raise SystemExit(f"no plugin at {plugin_dir}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        folders = sorted({p.parent for p in plugin_files(plugin_dir)} | {plugin_dir})
        for folder in folders:
            rel = folder.relative_to(plugin_dir).as_posix()
            name = f"{TOP}/" if rel == "." else f"{TOP}/{rel}/"
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = (0o40755 << 16) | 0x10
            zf.writestr(info, b"")
        for path in plugin_files(plugin_dir):
            info = zipfile.ZipInfo(f"{TOP}/{path.relative_to(plugin_dir).as_posix()}", DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: build_zip.py OUT.zip")
    print(build(Path(sys.argv[1])))
