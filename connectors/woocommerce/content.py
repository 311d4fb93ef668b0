"""The store's own WordPress pages and posts, as documents the assistant can quote.

A WooCommerce store is a WordPress site: its shipping, returns and FAQ pages
live in ``/wp-json/wp/v2/pages`` and ``/posts``. Published ones are public,
so they are read without credentials (WooCommerce's keys are not WordPress
logins, and sending them there would be refused). The HTML becomes text
blocks separated by blank lines, headings as ``## Heading``, list items as
``- item``; scripts and styles are dropped.

``modified_after`` on ``wp/v2`` compares WordPress's *local* time, so it is
sent 14 hours early (the widest UTC offset) and ``modified_gmt`` decides.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from core.connector import DocumentRecord

from .client import WooClient
from .mapping import parse_gmt

TZ_MARGIN = timedelta(hours=14)
FIELDS = "id,link,slug,title,content,modified_gmt"
POLICY = re.compile(r"shipping|delivery|return|refund|privacy|terms|policy|warranty")
FAQ = re.compile(r"\bfaqs?\b")
_BREAKS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "table",
    "ul",
    "ol",
    "section",
    "article",
    "blockquote",
    "pre",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dt",
    "dd",
    "figcaption",
}
_HIDDEN = {"script", "style", "noscript", "template", "svg"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._words: list[str] = []
        self._lead = ""
        self._hidden = 0

    def end_block(self) -> None:
        text = " ".join("".join(self._words).split())
        if text:
            self.blocks.append(f"{self._lead} {text}".strip())
        self._words, self._lead = [], ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BREAKS:
            self.end_block()
            self._lead = "#" * min(int(tag[1]), 6) if re.fullmatch(r"h[1-6]", tag) else "-" if tag == "li" else ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BREAKS:
            self.end_block()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._words.append(data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup or "")
    parser.close()
    parser.end_block()
    return "\n\n".join(parser.blocks)


def _rendered(value: Any) -> str:
    return str(value.get("rendered") or "") if isinstance(value, Mapping) else str(value or "")


def document(item: Mapping[str, Any], source: str) -> DocumentRecord | None:
    """A page or post (``source`` ``"page"``/``"post"``) as a document; None when protected or empty."""
    content = found if isinstance(found := item.get("content"), Mapping) else {}
    if content.get("protected"):
        return None
    title = html.unescape(_rendered(item.get("title"))).strip()
    body = html_text(_rendered(content))
    if not isinstance(item.get("id"), int) or not (title or body):
        return None
    words = f"{item.get('slug') or ''} {title}".lower().replace("-", " ")
    kind = "faq" if FAQ.search(words) else "policy" if source == "page" and POLICY.search(words) else source
    return DocumentRecord(
        external_id=f"{source}:{item['id']}",
        kind=kind,
        title=title or f"#{item['id']}",
        body=body,
        url=item.get("link") or None,
        updated_at=parse_gmt(item.get("modified_gmt")),
    )


def iter_documents(
    client: WooClient, since: datetime | None, stage: str, page: int, checkpoint: Any
) -> Iterator[DocumentRecord]:
    cutoff = None
    params: dict[str, Any] = {"status": "publish", "orderby": "id", "order": "asc", "_fields": FIELDS}
    if since is not None:
        cutoff = (since.replace(tzinfo=UTC) if since.tzinfo is None else since).replace(microsecond=0)
        params["modified_after"] = (cutoff - TZ_MARGIN).strftime("%Y-%m-%dT%H:%M:%S")
    for path in ("pages", "posts")[("pages", "posts").index(stage) :]:
        kind = path[:-1]
        current, pages = (page, page) if path == stage else (1, 1)
        skip = checkpoint.skip if path == stage else 0
        while current <= pages:
            items, pages = client.get_public_page(path, params, current)
            checkpoint.stage, checkpoint.page, checkpoint.skip = path, current, skip
            for index, item in enumerate(items):
                if index < skip:
                    continue
                checkpoint.skip = index + 1
                doc = document(item, kind)
                if doc is None or (cutoff is not None and doc.updated_at is not None and doc.updated_at < cutoff):
                    continue
                yield doc
            current, skip = current + 1, 0
    checkpoint.stage, checkpoint.page, checkpoint.skip = "done", 1, 0
