"""Store knowledge: the passage of a page or policy that answers a question."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.search import parse_query, search_documents
from core.db import Document, Shop

PASSAGE_CHARS = 700
_BLOCK = re.compile(r"\n\s*\n")
_WORDS = re.compile(r"[^\W_]+")


def _blocks(body: str) -> list[tuple[str, str]]:
    """Paragraphs with the Markdown heading they sit under (``""`` before any)."""
    blocks: list[tuple[str, str]] = []
    heading = ""
    for raw in _BLOCK.split(body):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("#") and "\n" not in text:
            heading = text.lstrip("#").strip()
            continue
        blocks.append((heading, text))
    return blocks


def _score(block: str, terms: list[str]) -> tuple[int, int]:
    # Every word of the block: parse_query keeps only the first few terms. Words that begin like a term
    # count; the same word exactly breaks ties ("australia" is not "austria").
    words = set(_WORDS.findall(block.lower()))
    return (sum(1 for t in terms if any(w.startswith(t[:5]) for w in words)), sum(1 for t in terms if t in words))


def passage(body: str, query: str) -> str:
    terms = parse_query(query)
    blocks = _blocks(body) or [("", body.strip())]
    full = [f"{heading}: {text}" if heading else text for heading, text in blocks]
    best = max(range(len(full)), key=lambda i: (*_score(full[i], terms), -i))
    text = full[best]
    # Keep the next block too when it continues this one: a lead-in ending with ":"
    # (a list or table follows), or the next paragraph of the same section.
    if best + 1 < len(blocks) and len(text) < PASSAGE_CHARS // 2:
        heading, own = blocks[best]
        next_heading, following = blocks[best + 1]
        if heading and next_heading == heading:
            text = text + "\n" + following
        elif own.rstrip().endswith(":"):
            text = text + "\n" + full[best + 1]
    return _window(text, terms)


def _window(text: str, terms: list[str]) -> str:
    """``text`` cut to :data:`PASSAGE_CHARS`: from its start, or, when no asked word is in that part (a long
    list of countries), from the line or sentence where the first asked word appears."""
    if len(text) <= PASSAGE_CHARS:
        return text
    words = list(_WORDS.finditer(text.lower()))
    found = [m.start() for m in words if m.group(0) in terms] or [
        m.start() for m in words if any(m.group(0).startswith(t[:5]) for t in terms)
    ]
    if not found or found[0] < PASSAGE_CHARS - 100:
        return text[:PASSAGE_CHARS]
    start = max(text.rfind("\n", 0, found[0]), text.rfind(". ", 0, found[0]), text.rfind(", ", 0, found[0] - 200))
    start = start + 1 if start >= 0 and found[0] - start < PASSAGE_CHARS - 100 else found[0]
    return "… " + text[start : start + PASSAGE_CHARS].lstrip(" ,.")


def search(session: Session, shop: Shop, query: str, *, limit: int = 2) -> list[dict[str, Any]]:
    hits = search_documents(session, shop.id, query, limit=limit)
    if not hits:
        return []
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_([h.id for h in hits])))}
    return [
        {
            "title": docs[h.id].title,
            "url": docs[h.id].url,
            "kind": docs[h.id].kind,
            "passage": passage(docs[h.id].body, query),
        }
        for h in hits
        if h.id in docs
    ]
