"""WordPress pages and posts as StoreChat documents.

``content.rendered`` is the HTML WordPress would print (blocks and shortcodes
already expanded). The assistant quotes documents by paragraph and heading
(paragraphs split by blank lines, Markdown ``#`` headings), so the HTML
becomes that: one block per paragraph, list item or table row, headings as
``## Heading``. Script and style content is dropped, entities decoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from core.connector import DocumentRecord, RecordError

#: Tags that end a block of text.
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)
HEADINGS = {f"h{n}": "#" * min(n, 6) for n in range(1, 7)}
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
#: Words in a page's slug or title that make it a policy (authoritative for shipping/returns answers).
POLICY_WORDS = frozenset(
    {
        "shipping",
        "delivery",
        "return",
        "returns",
        "refund",
        "refunds",
        "privacy",
        "terms",
        "policy",
        "conditions",
        "warranty",
    }
)
FAQ_WORDS = frozenset({"faq", "faqs"})


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._text: list[str] = []
        self._prefix = ""
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(f"{self._prefix} {text}" if self._prefix else text)
        self._text, self._prefix = [], ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self._flush()
            self._prefix = HEADINGS.get(tag, "-" if tag == "li" else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self._flush()
        elif tag in ("td", "th"):
            self._text.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_blocks(fragment: str) -> str:
    """Readable text of rendered WordPress HTML: blocks separated by blank lines."""
    parser = _Blocks()
    parser.feed(fragment)
    parser.close()
    return "\n\n".join(parser.blocks)


def plain_title(rendered: str) -> str:
    """``"Hello &#8217;s <em>world</em>"`` -> ``"Hello ’s world"``."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", rendered)).split())


def _words(*texts: str) -> set[str]:
    return {w for t in texts for w in re.split(r"[^a-z0-9]+", t.lower()) if w}


def page_kind(slug: str, title: str) -> str:
    words = _words(slug, title)
    if words & FAQ_WORDS or {"frequently", "asked"} <= words:
        return "faq"
    return "policy" if words & POLICY_WORDS else "page"


def modified_at(item: Mapping[str, Any]) -> datetime | None:
    """``modified_gmt`` (UTC, written without an offset) as an aware datetime."""
    value = item.get("modified_gmt")
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        raise RecordError(f"modified_gmt {value!r} is not a date", location=_where(item)) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _rendered(item: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    value = item.get(field)
    if not isinstance(value, Mapping) or not isinstance(value.get("rendered", ""), str):
        raise RecordError(f"'{field}' has no 'rendered' text", location=_where(item))
    return value


def _where(item: Mapping[str, Any]) -> str:
    return f"{item.get('type') or 'item'} {item.get('id')}"


def to_document(
    item: Mapping[str, Any], kind: str, *, faq_categories: frozenset[int] = frozenset()
) -> DocumentRecord | None:
    """One page (``kind="page"``) or post (``kind="post"``) as a document; None when
    it is password-protected (its text is not public)."""
    item_id = item.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise RecordError("has no integer 'id'", location=_where(item))
    content = _rendered(item, "content")
    if content.get("protected"):
        return None
    title = plain_title(_rendered(item, "title").get("rendered", ""))
    slug = found if isinstance(found := item.get("slug"), str) else ""
    if kind == "page":
        doc_kind = page_kind(slug, title)
    else:
        categories = listed if isinstance(listed := item.get("categories"), list) else []
        doc_kind = "faq" if faq_categories.intersection(categories) else "post"
    link = item.get("link")
    return DocumentRecord(
        # Pages and posts share one id space in WordPress; the prefix keeps ours readable.
        external_id=f"{kind}:{item_id}",
        kind=doc_kind,
        title=title or slug or f"{kind} {item_id}",
        body=html_to_blocks(content.get("rendered", "")),
        url=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        updated_at=modified_at(item),
    )
