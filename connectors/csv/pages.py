"""Store pages and policies kept as Markdown files in a folder.

A file-based store has no CMS, so its pages are plain ``.md`` files: the first
line is ``# Title``, the rest is the body (kept as Markdown, which the
assistant quotes as text). The file stem is the page's id and its URL slug,
so renaming a file is the only way to change either.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from core.connector import ConnectorError, DocumentRecord, RecordError

#: A page whose file name contains one of these words is a policy: the
#: assistant treats policies as authoritative for shipping and returns answers.
POLICY_WORDS = frozenset(
    {"shipping", "delivery", "return", "returns", "refund", "refunds", "privacy", "terms", "policy"}
)


def read_pages(pages_dir: Path, *, storefront_url: str | None = None) -> list[DocumentRecord]:
    """Every ``*.md`` page of ``pages_dir``, sorted by file name."""
    if not pages_dir.is_dir():
        raise ConnectorError(f"pages folder {pages_dir} does not exist")
    return [read_page(path, storefront_url=storefront_url) for path in sorted(pages_dir.glob("*.md")) if path.is_file()]


def read_page(path: Path, *, storefront_url: str | None = None) -> DocumentRecord:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise RecordError("is not UTF-8", location=path.name) from None
    title, body = split_title(text, fallback=title_from_stem(path.stem))
    if not body:
        raise RecordError("the page has no text below its title", location=path.name)
    return DocumentRecord(
        external_id=path.stem,
        kind=page_kind(path.stem),
        title=title,
        body=body,
        url=page_url(storefront_url, path.stem),
    )


def split_title(text: str, *, fallback: str) -> tuple[str, str]:
    """``("Shipping", "We ship ...")`` from ``"# Shipping\\n\\nWe ship ..."``.

    A file without a leading ``# `` heading keeps all its text as the body
    and takes its title from the file name.
    """
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    heading = re.fullmatch(r"#\s+(.+?)\s*#*\s*", first)
    if heading:
        return heading.group(1), rest.strip()
    return fallback, stripped


def title_from_stem(stem: str) -> str:
    """``"refund-policy"`` -> ``"Refund policy"``."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def page_kind(stem: str) -> str:
    words = set(re.split(r"[^a-z0-9]+", stem.lower()))
    return "policy" if words & POLICY_WORDS else "page"


def page_url(storefront_url: str | None, stem: str) -> str | None:
    if not storefront_url:
        return None
    return f"{storefront_url.rstrip('/')}/pages/{quote(stem, safe='')}"
