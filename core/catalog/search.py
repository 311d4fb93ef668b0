"""Full-text search over a shop's products and documents.

One results contract on two engines: SQLite uses the FTS5 tables (porter
stemming, ``bm25`` with per-column weights) and PostgreSQL the ``tsvector``
tables (``english`` config, ``setweight`` A-D, ``ts_rank_cd``); the tables are
created by migration 0001. Both take the same parsed terms (see
:func:`parse_query`), match any term as a prefix, and return
:class:`SearchHit` rows best first with *higher score = better*, ties broken by
id so results are stable.

Shoppers type chat messages, not search syntax, so user text is never handed
to ``MATCH`` / ``to_tsquery`` as is: it is reduced to plain word terms first,
which makes query syntax errors impossible. Nothing here commits; the caller
owns the transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import CursorResult, TextClause, bindparam, select, text
from sqlalchemy.orm import Session

from core.catalog import option_keys
from core.db.models import Document, Product, Variant

if TYPE_CHECKING:
    from core.db.session import Database


@lru_cache(maxsize=512)
def _sql(statement: str) -> TextClause:
    """``text(statement)``, made once: parsing a statement's bound names cost 0.05-0.1 ms a call, several
    times a reply, and the statements here are a bounded set of strings (filters change their shape, never
    their values, which are bound)."""
    return text(statement)


#: Chat filler words: dropping them keeps "do you have a leather jacket?" from
#: matching every product whose body says "you" or "have".
STOPWORDS = frozenset(
    """a an the and or but of to in on at by with from about as into is are was were be been
    am do does did doing have has had having any some for me my mine i im you your yours we us
    our it its this that these those there here what which who whom whose where when why how
    show see find get got looking look want wanted need needed like would could can should will
    please thanks thank hi hello hey sell selling buy buying something anything item items
    product products just also very really much many more most other than then so if not no""".split()
)
MAX_TERMS = 8
#: Bounds the work done on pasted walls of text; the first words carry the intent.
MAX_QUERY_CHARS = 2000
MAX_TERM_CHARS = 64
_WORD = re.compile(r"[^\W_]+")
#: bm25 weights per FTS5 column: title, tags, options, vendor, body.
SQLITE_PRODUCT_WEIGHTS = (10.0, 4.0, 3.0, 1.0, 1.0)
SQLITE_DOCUMENT_WEIGHTS = (5.0, 1.0)
#: ts_rank_cd weights in PostgreSQL's {D, C, B, A} order (body, vendor, tags/options, title).
PG_WEIGHTS = "{0.1, 0.1, 0.4, 1.0}"
#: Bound parameters per statement; SQLite caps them, PostgreSQL plans them.
_CHUNK = 500
#: Orders of :meth:`SearchBackend.matching`: SQL over the product row ``t`` (id last, so ties are stable).
ORDERS = {
    "newest": "t.id DESC",
    "price_asc": "t.price_min, t.id",
    "price_desc": "t.price_max DESC, t.id DESC",
}


def _product_filters(
    vendor: str | None,
    min_price: Decimal | None,
    max_price: Decimal | None,
    options: Sequence[str] = (),
    in_stock_only: bool = False,
    dialect: str = "sqlite",
    row: str = "t",
) -> str:
    """SQL conditions on the product row ``row`` for :meth:`SearchBackend.matching` (values are bound).

    With ``options`` or a price bound: one variant has every value asked, and is in the bounds (and in
    stock, when asked). A variant's values are its keys (``variants.option_keys``: folded as the engine
    folds them, :mod:`core.catalog.option_keys`); a variant without keys yet (migration 0013) is compared
    by its JSON values, lowercased and spaces aside, only for the values of printable ASCII
    (:func:`_as_compared`), and kept when one of its values is one the database cannot fold as the engine
    does (see :data:`_PLAIN`)."""
    conditions = [
        *([f"AND lower({row}.vendor) = lower(:vendor)"] if vendor is not None else []),
        *([f"AND {row}.price_max >= :low"] if min_price is not None else []),
        *([f"AND {row}.price_min <= :high"] if max_price is not None else []),
    ]
    if options or min_price is not None or max_price is not None:
        postgres = dialect == "postgresql"
        keyed = (
            "v.option_keys @> CAST(:keys AS text[])"
            if postgres
            else "NOT EXISTS (SELECT 1 FROM json_each(:keys) a "
            "WHERE a.value NOT IN (SELECT b.value FROM json_each(v.option_keys) b))"
        )
        # Without keys: one pass over the variant's values, those asked for counted once each; or one the
        # database cannot judge (it then leaves the variant to the variants read afterwards).
        if not _as_compared(options):
            unkeyed = "true"
        elif postgres:
            unkeyed = (
                "SELECT count(DISTINCT f) FILTER (WHERE f = ANY(CAST(:options AS text[]))) = :option_count "
                f"OR coalesce(bool_or(x ~ '{_PLAIN}'), false) "
                "FROM json_array_elements_text(v.option_values) x, replace(lower(x), ' ', '') f"
            )
        else:
            unkeyed = (
                "SELECT count(DISTINCT CASE WHEN replace(lower(j.value), ' ', '') IN "
                "(SELECT value FROM json_each(:options)) THEN replace(lower(j.value), ' ', '') END) = :option_count "
                f"OR max(j.value GLOB '*{_PLAIN}*') FROM json_each(v.option_values) j"
            )
        conditions.append(
            f"AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = {row}.id "
            + ("AND v.available = :yes " if in_stock_only else "")
            + ("AND v.price >= :low " if min_price is not None else "")
            + ("AND v.price <= :high " if max_price is not None else "")
            + (f"AND CASE WHEN v.option_keys IS NULL THEN ({unkeyed}) ELSE {keyed} END" if options else "")
            + ")"
        )
    return " ".join(conditions)


def fitting_variant(
    session: Session,
    options: Sequence[str],
    min_price: Decimal | None,
    max_price: Decimal | None,
    in_stock_only: bool,
    row: str = "products",
) -> TextClause:
    """A condition on the product row ``row`` (with ``id``, ``price_min`` and ``price_max``), as the searches
    narrow by variants: one variant of the product has every option value (as :func:`_product_filters`
    compares them), is within the bounds, and in stock when asked."""
    dialect = session.get_bind().dialect.name
    sql = "1 = 1 " + _product_filters(None, min_price, max_price, options, in_stock_only, dialect, row=row)
    values = {"yes": True, **_bounds(min_price, max_price), **_options(options, dialect)}
    return _sql(sql).bindparams(**{k: v for k, v in values.items() if f":{k}" in sql})


#: A character outside printable ASCII (a regular expression's class; a GLOB's in SQLite). The databases
#: compare option values lowercased and without spaces: for a stored value of printable ASCII alone that
#: folds as the engine does (``casefold`` is ``lower`` there, and the space is the only whitespace), so
#: "Extra  Large" is "extra large". A value with any other character ("Navy\u2009Blue", whose thin space
#: the engine's ``split`` takes for a space; "Écru", which SQLite's ``lower`` leaves as it is; the Kelvin
#: sign, which ``casefold`` makes a "k") is one the database cannot judge: it keeps the variant.
_PLAIN = "[^ -~]"


def _as_compared(options: Sequence[str]) -> list[str]:
    """The asked option values the database compares (see :data:`_PLAIN`): folded as the engine folds
    them, and only those of printable ASCII.

    Only there do the databases fold letters as the engine does (SQLite's ``lower`` folds ASCII letters
    only, PostgreSQL's follows the database's collation, Python's ``casefold`` folds "ß" to "ss"), so the
    database never turns down a variant the engine would take: the other values are left to the variants
    read afterwards (``core.catalog.ranking._keep``, the product cards)."""
    folded = ("".join(str(o).lower().split()) for o in options)
    return sorted({f for f in folded if f and f.isascii() and f.isprintable()})


def _options(options: Sequence[str], dialect: str) -> dict[str, Any]:
    """The bound values of :func:`_product_filters`' option condition, as arrays (PostgreSQL) or JSON
    arrays (SQLite): the keys of the values asked (:func:`core.catalog.option_keys.keys`), and for variants
    without keys the values :func:`_as_compared` keeps."""
    wanted, asked = _as_compared(options), option_keys.keys(options)
    return {
        "options": wanted if dialect == "postgresql" else json.dumps(wanted),
        "option_count": len(wanted),
        "keys": asked if dialect == "postgresql" else json.dumps(asked),
    }


def _prefix(term: str) -> bool:
    """Whether a term matches as a prefix. Words of one or two characters ("xl", "en", "de") match only
    themselves: as prefixes they match much of the index's vocabulary ("en"* is every word starting with
    "en", 40 ms of posting lists in PostgreSQL at 100,000 products)."""
    return len(term) > 2


def _expected(limit: int, options: Sequence[str], min_price: Decimal | None, max_price: Decimal | None) -> int:
    """The title matches a probe must expect among the rows it tests to be worth taking (see
    :meth:`Known.sparse`): ``limit``, times what the filters may turn down, which the vocabulary cannot
    count. An option value (a colour, a size) is one of several a product's variants offer; a price range
    a part of the prices. A wrong guess costs time, never a result: a probe that falls short is followed by
    the step that reads every match."""
    margin = 4 if options else 1
    if min_price is not None or max_price is not None:
        margin *= 2
    return limit * margin


def _skips(known: Known | None, terms: Sequence[str], every: bool, title: bool, wanted: int, rows: int) -> bool:
    """Whether a step testing ``rows`` of the shop's rows in some order is skipped for these matches:
    ``known`` speaks of them (every one of its ``together`` in the title) and says they are too rare there
    for ``wanted`` (:meth:`Known.sparse`)."""
    return known is not None and every and title and tuple(terms) == known.together and known.sparse(wanted, rows)


def _vendor(vendor: str | None) -> str | None:
    """The vendor filter's value: vendors compare case-insensitively, both sides lowered by the database
    (index ``(shop_id, lower(vendor))``; SQLite's ``lower`` folds ASCII letters only, Python's all)."""
    return None if vendor is None else vendor.strip()


def _bounds(min_price: Decimal | None, max_price: Decimal | None) -> dict[str, float | None]:
    # Bound as floats: sqlite3 cannot bind a Decimal; prices have two decimals, which floats compare exactly
    # against the stored values (REAL in SQLite, numeric cast to float8 in PostgreSQL).
    return {
        "low": None if min_price is None else float(min_price),
        "high": None if max_price is None else float(max_price),
    }


#: Matches (in the whole index) up to which a product search is ranked in full. Ranking
#: costs in proportion to the matches, whatever is returned: ``bm25`` first counts
#: the rows of every term (20 ms for "everyday linen tee xl" at 50,000 products),
#: ``ts_rank_cd`` reads every match's tsvector. Beyond, :func:`search_products`
#: takes matches tier by tier, newest first, from the index (see there).
RANK_ALL = 1000
#: Rows of the shop tested first, in the order asked, before a search in that order sorts every match:
#: newest first (PostgreSQL, ``PostgresBackend._newest``), or by price (both databases, ``_priced``).
#: When the shop has no more rows than this, they were all tested and nothing else is read.
PROBE_ROWS = 1000
#: Rows of the shop, newest first, tested in a second step when fewer than the limit passed in the first.
PROBE_MORE = 5000


@dataclass(frozen=True)
class Known:
    """What a caller already knows of a query's matches, from its own index of the shop's titles (the
    assistant's vocabulary): :func:`search_products` then asks the database less.

    Only a lower bound and a ranking aid, never a fact shown to a shopper; a vocabulary older than the
    catalog gives none (its titles may miss the terms new products have together)."""

    #: More than :data:`RANK_ALL` products match (one of the terms is in that many titles).
    many: bool
    #: The terms one title has together, in the query's order (see :meth:`SearchBackend.together`).
    together: tuple[str, ...]
    #: The shop's titles having every one of ``together`` as a whole word, and the titles read: their
    #: share says how many matches a step that tests the shop's rows in some order may expect.
    titles: int = 0
    catalog: int = 0

    def sparse(self, limit: int, rows: int) -> bool:
        """Whether the title matches of ``together`` are too rare for testing ``rows`` of the shop's rows in
        some order (price, arrival) to find ``limit`` of them: fewer expected there, by their share of the
        titles. Never when the shop has no more than ``rows`` rows (testing them all finds every match)."""
        return self.catalog > rows and self.titles * rows < limit * self.catalog


@dataclass(frozen=True)
class Narrowing:
    """What a product search keeps of its matches besides their words: those with a variant that has every
    one of ``options`` and is within the price bounds (and in stock, when the search asks for stock), and
    only ``vendor``'s products when given (compared case-insensitively, :func:`_vendor`).

    The database tests it on the matches it returns (:func:`_product_filters`), so a search asked for
    ``limit`` products returns ``limit`` that fit, not ``limit`` matches of which a few fit. It compares
    option values as :func:`_as_compared` says, never turning down a variant the engine would take: the
    variants read afterwards decide the rest."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    options: tuple[str, ...] = ()
    vendor: str | None = None

    def sql(self, in_stock_only: bool, dialect: str) -> tuple[str, dict[str, Any]]:
        """(SQL conditions on the product row ``t``: in stock when ``in_stock_only``, then
        :func:`_product_filters`; their bound values)."""
        stock = "AND t.available = :yes " if in_stock_only else ""
        checks = _product_filters(self.vendor, self.min_price, self.max_price, self.options, in_stock_only, dialect)
        return stock + checks, {
            "yes": True,
            "vendor": _vendor(self.vendor),
            **_bounds(self.min_price, self.max_price),
            **_options(self.options, dialect),
        }


#: A search that keeps every match.
NARROWING_NONE = Narrowing()


@dataclass(frozen=True)
class SearchHit:
    """A matching product or document id; ``score`` is higher for better matches."""

    id: int
    score: float


def parse_query(query: str) -> list[str]:
    """Lowercased, de-duplicated word terms of ``query`` without stopwords.

    Terms hold only letters and digits, so any quoting built from them is safe.
    Single ASCII letters are dropped: as prefixes they would match nearly all.
    """
    terms: list[str] = []
    for word in _WORD.findall(query[:MAX_QUERY_CHARS].lower()):
        if word in STOPWORDS or word in terms or len(word) > MAX_TERM_CHARS:
            continue
        if len(word) == 1 and word.isascii() and not word.isdigit():
            continue
        terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: tags become spaces so words don't fuse."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _clean(*parts: Any) -> str:
    # NUL is rejected by PostgreSQL text; joins keep words separate.
    return " ".join(str(p) for p in parts if p).replace("\x00", " ")


def _product_row(p: Product) -> dict[str, Any]:
    """The indexed text of a product, split into the weighted fields."""
    return _product_fields(
        p.id,
        p.shop_id,
        p.title,
        p.tags,
        p.product_type,
        p.options,
        p.vendor,
        p.body_text or html_to_text(p.body_html or ""),
        [v.title for v in p.variants],
        (p.price_min, p.price_max),
    )


def _product_fields(
    product_id: int,
    shop_id: int,
    title: str,
    tags: list[Any] | None,
    product_type: str | None,
    options: list[Any] | None,
    vendor: str | None,
    body: str,
    variant_titles: list[str],
    prices: tuple[Decimal | None, Decimal | None],
) -> dict[str, Any]:
    values: list[str] = []
    for opt in options or []:
        kept = [v for v in opt.get("values", []) if v != "Default Title"]
        if kept:  # Shopify's placeholder option ("Title: Default Title") says nothing
            values += [opt.get("name", ""), *kept]
    values += [t for t in variant_titles if t and t != "Default Title"]
    return {
        "id": product_id,
        "shop_id": shop_id,
        "title": _clean(title),
        "tags": _clean(*(tags or []), product_type),
        "options": _clean(*values),
        "vendor": _clean(vendor),
        "body": _clean(body),
        # The product's prices, kept in its row by PostgreSQL (migration 0012) to sort matches by price.
        "price_min": prices[0],
        "price_max": prices[1],
    }


def _product_rows_by_id(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The indexed text of stored products, read with two plain selects per chunk (no ORM objects)."""
    rows = []
    for chunk in _chunks(ids):
        titles: dict[int, list[str]] = {}
        for pid, title in session.execute(
            select(Variant.product_id, Variant.title)
            .where(Variant.product_id.in_(chunk))
            .order_by(Variant.product_id, Variant.position, Variant.id)
        ):
            titles.setdefault(pid, []).append(title)
        for p in session.execute(
            select(
                Product.id,
                Product.shop_id,
                Product.title,
                Product.tags,
                Product.product_type,
                Product.options,
                Product.vendor,
                Product.body_text,
                Product.body_html,
                Product.price_min,
                Product.price_max,
            ).where(Product.id.in_(chunk))
        ):
            rows.append(
                _product_fields(
                    p.id,
                    p.shop_id,
                    p.title,
                    p.tags,
                    p.product_type,
                    p.options,
                    p.vendor,
                    p.body_text or html_to_text(p.body_html or ""),
                    titles.get(p.id, []),
                    (p.price_min, p.price_max),
                )
            )
    return rows


def _document_row(d: Document) -> dict[str, Any]:
    return _document_fields(d.id, d.shop_id, d.title, d.body)


def _document_fields(document_id: int, shop_id: int, title: str, body: str | None) -> dict[str, Any]:
    text = html_to_text(body) if body and "<" in body else body
    return {"id": document_id, "shop_id": shop_id, "title": _clean(title), "body": _clean(text)}


def _document_rows_by_id(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for chunk in _chunks(ids):
        for d in session.execute(
            select(Document.id, Document.shop_id, Document.title, Document.body).where(Document.id.in_(chunk))
        ):
            rows.append(_document_fields(d.id, d.shop_id, d.title, d.body))
    return rows


class SearchBackend(Protocol):
    """What one database engine provides; rows come from ``_product_row`` / ``_document_row``."""

    def delete(self, session: Session, kind: str, ids: Sequence[int]) -> None: ...

    def insert(self, session: Session, kind: str, rows: Sequence[dict[str, Any]]) -> None: ...

    def present(self, session: Session, kind: str, ids: Sequence[int]) -> list[int]: ...

    def search(
        self,
        session: Session,
        kind: str,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit]:
        """Every match of any term, ranked; the best ``limit``. Products only: those ``narrowing`` keeps."""
        ...

    def search_shop(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit] | None:
        """:meth:`search` of the products, reading only the shop's own rows, when the shop has no more
        than :data:`PROBE_ROWS` (else None): a small shop's search then costs what its catalog costs,
        whatever the other shops hold. None when the backend cannot read a shop's rows alone (SQLite's
        FTS5 table keeps no shop column: there a small shop beside large ones is searched as they are)."""
        ...

    def estimate(self, session: Session, kind: str, terms: Sequence[str], upto: int) -> int:
        """Rows of the index (any shop) having any term as a whole word, counted no further than ``upto``
        (whole words: a prefix's posting lists cost 3-4 times more to read)."""
        ...

    def together(self, session: Session, shop_id: int, terms: Sequence[str]) -> list[str]:
        """Those of ``terms`` one published title of the shop has together, taken in the query's order: each
        term is kept when some title has it, as a whole word, with every term kept before it. Synonyms the
        engine appends ("tee shirt tshirt") and words no title has drop out, so "every term" still finds the
        product the shopper named."""
        ...

    def survey(self, session: Session, shop_id: int, terms: Sequence[str], upto: int) -> tuple[int, list[str]]:
        """What :func:`search_products` asks first: :meth:`estimate` of the product index, and, when it
        reaches ``upto`` and there are several terms, :meth:`together` (else ``[]``)."""
        ...

    def matching(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        *,
        every: bool,
        title: bool = False,
        order: str = "newest",
        vendor: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        prefix: bool = True,
        options: Sequence[str] = (),
        known: Known | None = None,
    ) -> list[int]:
        """The shop's published products matching any term (``every``: all terms), in the title only when
        ``title``, in ``order`` (see :data:`ORDERS`), never ranked by relevance. ``newest`` is read in the index's
        order and stops at ``limit``; a price order first tests the shop's :data:`PROBE_ROWS` first rows
        in that order (index ``(shop_id, price)``), and sorts every match only when fewer than ``limit``
        of them were among those. ``vendor``: this vendor (compared
        case-insensitively); ``min_price`` / ``max_price``: a price range that reaches the bound (``price_max >= min``,
        ``price_min <= max``). ``prefix``: terms match as prefixes (else as whole words, which an index
        answers from one posting list each). ``options``: one variant has all these option values (and
        is in stock, when asked); ``min_price`` / ``max_price`` also hold for that variant. ``known``: what the
        caller knows of the shop (its published products) and, when it speaks of these matches
        (:func:`_skips`), of their share of the titles: a step that tests the shop's first rows in the
        order is skipped when that share says the matches are too rare for it (:meth:`Known.sparse`)."""
        ...


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


#: kind -> (search table, parent table, extra filter on the parent row ``t``).
_KINDS = {
    "product": ("product_search", "products", "AND t.published = :yes"),
    "document": ("document_search", "documents", ""),
}


class SqliteBackend:
    """FTS5: rowid is the parent id; ``bm25`` is lower-is-better, so it is negated."""

    def delete(self, session: Session, kind: str, ids: Sequence[int]) -> None:
        stmt = _sql(f"DELETE FROM {_KINDS[kind][0]} WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))
        for chunk in _chunks(ids):
            session.execute(stmt, {"ids": list(chunk)})

    def present(self, session: Session, kind: str, ids: Sequence[int]) -> list[int]:
        stmt = _sql(f"SELECT rowid FROM {_KINDS[kind][0]} WHERE rowid IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        return [row[0] for chunk in _chunks(ids) for row in session.execute(stmt, {"ids": list(chunk)})]

    def insert(self, session: Session, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        cols = "title, tags, options, vendor, body" if kind == "product" else "title, body"
        values = ", ".join(f":{c.strip()}" for c in cols.split(","))
        stmt = _sql(f"INSERT INTO {_KINDS[kind][0]} (rowid, {cols}, shop_id) VALUES (:id, {values}, :shop_id)")
        session.execute(stmt, list(rows))

    @staticmethod
    def _match(terms: Sequence[str], every: bool = False, title: bool = False, prefix: bool = True) -> str:
        match = (" AND " if every else " OR ").join(
            '"' + t.replace('"', '""') + ('"*' if prefix and _prefix(t) else '"') for t in terms
        )
        return f"title : ({match})" if title else match

    def search(
        self,
        session: Session,
        kind: str,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit]:
        table, parent, extra = _KINDS[kind]
        weights = SQLITE_PRODUCT_WEIGHTS if kind == "product" else SQLITE_DOCUMENT_WEIGHTS
        checks, params = narrowing.sql(in_stock_only, "sqlite") if kind == "product" else ("", {})
        rows = session.execute(
            _sql(
                f"SELECT t.id, bm25({table}, {', '.join(map(str, weights))}) AS rank "
                f"FROM {table} JOIN {parent} t ON t.id = {table}.rowid "
                f"WHERE {table} MATCH :match AND t.shop_id = :shop_id {extra} {checks} "
                "ORDER BY rank, t.id LIMIT :limit"
            ),
            {**params, "match": self._match(terms), "shop_id": shop_id, "yes": True, "limit": limit},
        )
        return [SearchHit(id=r[0], score=-float(r[1])) for r in rows]

    def search_shop(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit] | None:
        # FTS5 keeps no shop column to read a shop's rows by; SQLite answers in-process, and a file usually
        # holds one shop.
        return None

    def estimate(self, session: Session, kind: str, terms: Sequence[str], upto: int) -> int:
        table = _KINDS[kind][0]
        return int(
            session.scalar(
                _sql(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH :match LIMIT :upto)"),
                {"match": self._match(terms, prefix=False), "upto": upto},
            )
            or 0
        )

    def survey(self, session: Session, shop_id: int, terms: Sequence[str], upto: int) -> tuple[int, list[str]]:
        count = self.estimate(session, "product", terms, upto)
        return count, self.together(session, shop_id, terms) if count >= upto and len(terms) > 1 else []

    def together(self, session: Session, shop_id: int, terms: Sequence[str]) -> list[str]:
        # A statement per term: SQLite answers in-process, so a round trip costs nothing.
        kept: list[str] = []
        for term in terms:
            if self.matching(session, shop_id, [*kept, term], 1, False, every=True, title=True, prefix=False):
                kept.append(term)
        return kept

    def matching(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        *,
        every: bool,
        title: bool = False,
        order: str = "newest",
        vendor: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        prefix: bool = True,
        options: Sequence[str] = (),
        known: Known | None = None,
    ) -> list[int]:
        checks, filters = Narrowing(min_price, max_price, tuple(options), vendor).sql(in_stock_only, "sqlite")
        params = {**filters, "match": self._match(terms, every, title, prefix), "shop_id": shop_id, "limit": limit}
        if order != "newest":
            skip = _skips(known, terms, every, title, _expected(limit, options, min_price, max_price), PROBE_ROWS)
            larger = known is not None and known.catalog > PROBE_ROWS
            return self._priced(session, ORDERS[order], checks, params, skip=skip, larger=larger)
        # FTS5 walks its doclists backwards (``ORDER BY rowid DESC``) and the join stops at ``limit``.
        return list(
            session.scalars(
                _sql(
                    "SELECT t.id FROM product_search JOIN products t ON t.id = product_search.rowid "
                    f"WHERE product_search MATCH :match AND t.shop_id = :shop_id AND t.published = :yes {checks} "
                    "ORDER BY product_search.rowid DESC LIMIT :limit"
                ),
                params,
            )
        )

    @staticmethod
    def _priced(
        session: Session,
        order: str,
        checks: str,
        params: dict[str, Any],
        *,
        skip: bool,
        larger: bool,
    ) -> list[int]:
        # First the shop's first PROBE_ROWS products in the order (its price index), each tested
        # against the matches (the MATCH is read once, into a list) and the filters: when ``limit``
        # pass, they are the first ``limit`` (every row before them was tested), and when the shop has
        # no more rows than that, every match was tested. Else every match is joined to its product
        # row and sorted (CROSS JOIN keeps the FTS cursor outside; the other way round SQLite ran the
        # MATCH once per product, 1.8 s at 100,000 products for a word that matches nothing), and the
        # filters are tested in that order. ``skip``: the probe would fall short (:func:`_skips`);
        # ``larger``: the shop is known to have more rows than it reads (they are not counted).
        if skip:
            return SqliteBackend._sorted(session, order, checks, params)
        first = list(
            session.scalars(
                _sql(
                    f"SELECT t.id FROM (SELECT {_WALKED} FROM products t "
                    f"WHERE t.shop_id = :shop_id AND t.published = :yes ORDER BY {order} LIMIT :probe) t "
                    f"WHERE t.id IN (SELECT rowid FROM product_search WHERE product_search MATCH :match) {checks} "
                    f"ORDER BY {order} LIMIT :limit"
                ),
                {**params, "probe": PROBE_ROWS},
            )
        )
        if len(first) >= params["limit"]:
            return first
        if not larger and _shop_rows(session, params["shop_id"]) <= PROBE_ROWS:
            return first  # (a limit above PROBE_ROWS is never reached by the probe: it sorts every match)
        return SqliteBackend._sorted(session, order, checks, params)

    @staticmethod
    def _sorted(session: Session, order: str, checks: str, params: dict[str, Any]) -> list[int]:
        """Every match of the shop in ``order``; the first ``limit`` that pass ``checks``."""
        # The filters are tested on the sorted matches, first to last, until ``limit`` pass (``LIMIT -1``
        # keeps SQLite from folding the sort into the outer query, which would test every match first:
        # an option value's test reads the product's variants).
        return list(
            session.scalars(
                _sql(
                    f"SELECT t.id FROM (SELECT {_WALKED} FROM product_search "
                    "CROSS JOIN products t ON t.id = product_search.rowid "
                    "WHERE product_search MATCH :match AND t.shop_id = :shop_id AND t.published = :yes "
                    f"ORDER BY {order} LIMIT -1) t WHERE 1 {checks} LIMIT :limit"
                ),
                params,
            )
        )


#: The columns of a product a price-ordered probe reads (those :func:`_product_filters` tests).
_WALKED = "t.id, t.price_min, t.price_max, t.vendor, t.available"


def _shop_rows(session: Session, shop_id: int) -> int:
    """The shop's products, counted no further than one past :data:`PROBE_ROWS`."""
    return int(
        session.scalar(
            _sql("SELECT count(*) FROM (SELECT 1 FROM products WHERE shop_id = :shop_id LIMIT :upto) x"),
            {"shop_id": shop_id, "upto": PROBE_ROWS + 1},
        )
        or 0
    )


def _shop_rows_sql(upto: str) -> str:
    """A row ``n`` of PostgreSQL SQL: the shop's index rows, counted no further than one past ``upto``
    (a bound name) through the index ``(shop_id, product_id)`` alone; ``:shop_rows`` when that is known to
    be larger (the vocabulary's count of the shop's products), which is then not counted."""
    return (
        "(SELECT CASE WHEN :shop_rows > " + upto + " THEN :shop_rows ELSE (SELECT count(*) "
        "FROM (SELECT 1 FROM product_search s "
        "WHERE s.shop_id BETWEEN :shop_id AND :shop_id LIMIT " + upto + " + 1) x) END AS n)"
    )


@contextmanager
def _index_scans(session: Session) -> Iterator[None]:
    """Plan the statements inside without sequential scans (PostgreSQL, the rest of this transaction).

    A text match's selectivity is a guess to the planner (2,456 of 110,000 rows
    for any prefix query), so with a LIMIT it reads the whole table in parallel
    (90 ms at 100,000 products for words that match nothing), and through the
    ``shop_id`` index it reads every product of the shop. The statements test
    the shop as ``shop_id + 0`` (no index), so the GIN index is the one way in:
    it costs what the matches cost.

    JIT compilation is turned off with it: a statement whose estimated cost
    passes ``jit_above_cost`` (the tiered search's recursive statement, a
    large shop's estimates) spent 0.4-2 s compiling to run for a few ms.

    The settings are made once per transaction, in one statement, and left on
    (``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction):
    setting them before and resetting them after every search statement cost
    two more round trips each (2-5 ms apiece on a busy
    machine; a product question makes several). The assistant's other reads
    in the same transaction go by primary key or index anyway.
    """
    transaction = session.get_transaction()
    if transaction is None or session.info.get("_index_scans") is not transaction:
        session.execute(_sql("SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"))
        session.info["_index_scans"] = session.get_transaction()
    yield


class PostgresBackend:
    """tsvector tables keyed by the parent id; weights A-D set when indexing."""

    _KEYS = {"product": "product_id", "document": "document_id"}
    _VECTORS = {
        "product": "setweight(to_tsvector('english', :title), 'A') || "
        "setweight(to_tsvector('english', :tags), 'B') || "
        "setweight(to_tsvector('english', :options), 'B') || "
        "setweight(to_tsvector('english', :vendor), 'C') || "
        "setweight(to_tsvector('english', :body), 'D')",
        "document": "setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :body), 'D')",
    }

    def delete(self, session: Session, kind: str, ids: Sequence[int]) -> None:
        stmt = _sql(f"DELETE FROM {_KINDS[kind][0]} WHERE {self._KEYS[kind]} IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        for chunk in _chunks(ids):
            session.execute(stmt, {"ids": list(chunk)})

    def present(self, session: Session, kind: str, ids: Sequence[int]) -> list[int]:
        key = self._KEYS[kind]
        stmt = _sql(f"SELECT {key} FROM {_KINDS[kind][0]} WHERE {key} IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        return [row[0] for chunk in _chunks(ids) for row in session.execute(stmt, {"ids": list(chunk)})]

    def insert(self, session: Session, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        # Products also get their title alone (migration 0009), for searches restricted to titles, and their
        # prices (migration 0012), to sort matches by price without reading their product rows.
        title = (
            (", title_document, price_min, price_max", ", to_tsvector('english', :title), :price_min, :price_max")
            if kind == "product"
            else ("", "")
        )
        stmt = _sql(
            f"INSERT INTO {_KINDS[kind][0]} ({self._KEYS[kind]}, shop_id, document{title[0]}) "
            f"VALUES (:id, :shop_id, {self._VECTORS[kind]}{title[1]})"
        )
        session.execute(stmt, list(rows))

    @staticmethod
    def _tsquery(terms: Sequence[str], every: bool = False, prefix: bool = True) -> str:
        # Quoted lexemes with a prefix flag, OR-ed (or AND-ed): operators in user text cannot
        # reach the tsquery parser, and words the english config drops vanish quietly.
        # Weight A is the title.
        # Restricted to titles, the query runs on ``title_document`` (see :meth:`matching`), not on weight A:
        # GIN keeps no weights, so a weighted query rechecks every candidate row.
        return (" & " if every else " | ").join(
            "'" + t.replace("'", "''") + "'" + (":*" if prefix and _prefix(t) else "") for t in terms
        )

    def search(
        self,
        session: Session,
        kind: str,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit]:
        table, parent, extra = _KINDS[kind]
        checks, params = narrowing.sql(in_stock_only, "postgresql") if kind == "product" else ("", {})
        key = self._KEYS[kind]
        # Ranked and sorted in the search table alone; the parent row (published, in stock) is then
        # checked best first, by primary key, only until ``limit`` pass, never for every match.
        # ``OFFSET 0`` keeps the subquery (and its order) apart, and a scalar subquery cannot be
        # turned into a join: the plan stays this one even before the tables were ever analyzed.
        with _index_scans(session):
            rows = session.execute(
                _sql(
                    f"SELECT r.id, r.score FROM (SELECT s.{key} AS id, "
                    f"ts_rank_cd('{PG_WEIGHTS}'::float4[], s.document, q.query) AS score "
                    f"FROM {table} s, to_tsquery('english', :tsquery) AS q(query) "
                    f"WHERE s.shop_id + 0 = :shop_id AND s.document @@ q.query "
                    f"ORDER BY score DESC, s.{key} OFFSET 0) r "
                    f"WHERE (SELECT t.shop_id = :shop_id {extra} {checks} FROM {parent} t WHERE t.id = r.id) "
                    "ORDER BY r.score DESC, r.id LIMIT :limit"
                ),
                {**params, "tsquery": self._tsquery(terms), "shop_id": shop_id, "yes": True, "limit": limit},
            ).all()
        return [SearchHit(id=r[0], score=float(r[1])) for r in rows]

    def search_shop(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        narrowing: Narrowing = NARROWING_NONE,
    ) -> list[SearchHit] | None:
        # The shop's rows through the index (shop_id, product_id), one past PROBE_ROWS at most; ranked as
        # :meth:`search` ranks them (the same weights and order), only when that read them all. The GIN
        # index would return every shop's matches: a 20-product shop's count of them alone took 4-9 ms
        # beside shops of 110,000 products.
        checks, params = narrowing.sql(in_stock_only, "postgresql")
        # ``n``: the shop's rows, counted no further than one past PROBE_ROWS from the index alone; the
        # documents (``r``) are read only when that found a small shop.
        sql = _sql(
            "WITH q AS MATERIALIZED (SELECT to_tsquery('english', :tsquery) AS query), "
            "n AS MATERIALIZED " + _shop_rows_sql(":probe") + ", "
            "r AS MATERIALIZED (SELECT s.product_id AS id, s.document AS doc FROM product_search s "
            "WHERE s.shop_id BETWEEN :shop_id AND :shop_id AND (SELECT n FROM n) <= :probe) "
            "SELECT (SELECT n FROM n), m.id, m.score FROM (SELECT 1) one LEFT JOIN LATERAL ("
            f"SELECT r.id, ts_rank_cd('{PG_WEIGHTS}'::float4[], r.doc, q.query) AS score FROM r, q "
            "WHERE r.doc @@ q.query "
            f"AND (SELECT t.shop_id = :shop_id AND t.published = :yes {checks} "
            "FROM products t WHERE t.id = r.id) "
            "ORDER BY score DESC, r.id LIMIT :limit) m ON true"
        )
        with _index_scans(session):
            rows = session.execute(
                sql,
                {
                    **params,
                    "tsquery": self._tsquery(terms),
                    "shop_id": shop_id,
                    "yes": True,
                    "limit": limit,
                    "probe": PROBE_ROWS,
                    "shop_rows": 0,  # counted: the caller knows nothing of the shop, or that it is small
                },
            ).all()
        if not rows or rows[0][0] > PROBE_ROWS:
            return None
        return [SearchHit(id=r[1], score=float(r[2])) for r in rows if r[1] is not None]

    def estimate(self, session: Session, kind: str, terms: Sequence[str], upto: int) -> int:
        with _index_scans(session):
            return int(
                session.scalar(
                    _sql(
                        f"SELECT count(*) FROM (SELECT 1 FROM {_KINDS[kind][0]} s "
                        "WHERE s.document @@ to_tsquery('english', :tsquery) LIMIT :upto) m"
                    ),
                    {"tsquery": self._tsquery(terms, prefix=False), "upto": upto},
                )
                or 0
            )

    def matching(
        self,
        session: Session,
        shop_id: int,
        terms: Sequence[str],
        limit: int,
        in_stock_only: bool,
        *,
        every: bool,
        title: bool = False,
        order: str = "newest",
        vendor: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        prefix: bool = True,
        options: Sequence[str] = (),
        known: Known | None = None,
    ) -> list[int]:
        checks, params = Narrowing(min_price, max_price, tuple(options), vendor).sql(in_stock_only, "postgresql")
        column = "title_document" if title else "document"
        tsquery = self._tsquery(terms, every, prefix)
        # A probe that ``known`` says would fall short reads nothing: no rows are tested, and the next step runs.
        wanted = _expected(limit, options, min_price, max_price)
        params["probe"] = 0 if _skips(known, terms, every, title, wanted, PROBE_ROWS) else PROBE_ROWS
        # The shop's published products as the vocabulary counted them: when more than a step reads, the
        # statement need not count the shop's rows to know it (1.3 ms for 5,000 rows).
        params["shop_rows"] = known.catalog if known is not None else 0
        if order == "newest":
            params["more"] = 0 if _skips(known, terms, every, title, wanted, PROBE_MORE) else PROBE_MORE
            return self._newest(session, shop_id, column, tsquery, limit, checks, params)
        return self._priced(session, shop_id, column, tsquery, limit, order, checks, params)

    def _priced(
        self,
        session: Session,
        shop_id: int,
        column: str,
        tsquery: str,
        limit: int,
        order: str,
        checks: str,
        params: dict[str, Any],
    ) -> list[int]:
        """The shop's first ``limit`` matches in a price ``order`` (see :data:`ORDERS`), in one statement.

        Sorting every match costs what the matches cost (12,500 for "jacket" at 100,000 products).
        Instead the shop's products are read in the order, from its index ``(shop_id, price_min / price_max,
        id)``, and the first :data:`PROBE_ROWS` tested against the query (their index row by primary key):
        when ``limit`` pass they are the first ``limit``. Only when fewer pass does the GIN branch run: it
        finds every match of the shop and sorts them by the prices in their own rows (migration 0012: the
        GIN scan fetched those rows already), then reads product rows in that order only until ``limit``
        pass; by then the words are rare among the shop's first rows in the order. The branch is gated by a
        one-time filter on the probe's count.
        """
        # As in :meth:`_newest`, a probe that read every product of the shop found every match.
        sql = _sql(
            "WITH q AS MATERIALIZED (SELECT to_tsquery('english', :tsquery) AS query), "
            "rows AS MATERIALIZED (SELECT CASE WHEN :shop_rows > :probe THEN :shop_rows ELSE (SELECT count(*) "
            "FROM (SELECT 1 FROM products t WHERE t.shop_id = :shop_id LIMIT :probe + 1) x) END AS n), "
            f"probe AS MATERIALIZED (SELECT t.id, t.price_min, t.price_max FROM (SELECT {_WALKED} "
            "FROM products t WHERE t.shop_id = :shop_id AND t.published = :yes "
            f"ORDER BY {ORDERS[order]} LIMIT :probe) t WHERE (SELECT s.{column} @@ (SELECT query FROM q) "
            f"FROM product_search s WHERE s.product_id = t.id) {checks} ORDER BY {ORDERS[order]} LIMIT :limit), "
            # A row without prices (migration 0012, or written by an older host) takes its product row's.
            "g AS MATERIALIZED (SELECT s.product_id AS id, "
            "coalesce(s.price_min, (SELECT p.price_min FROM products p WHERE p.id = s.product_id)) AS price_min, "
            "coalesce(s.price_max, (SELECT p.price_max FROM products p WHERE p.id = s.product_id)) AS price_max "
            "FROM product_search s "
            f"WHERE s.shop_id + 0 = :shop_id AND s.{column} @@ (SELECT query FROM q)) "
            "SELECT id, price_min, price_max FROM probe WHERE (SELECT count(*) FROM probe) >= :limit "
            "OR (SELECT n FROM rows) <= :probe "
            "UNION ALL SELECT id, price_min, price_max FROM (SELECT m.id, m.price_min, m.price_max "
            f"FROM (SELECT t.id, t.price_min, t.price_max FROM g t ORDER BY {ORDERS[order]} OFFSET 0) m "
            "WHERE (SELECT t.shop_id = :shop_id AND t.published = :yes "
            f"{checks} FROM products t WHERE t.id = m.id) LIMIT :limit) t "
            "WHERE (SELECT count(*) FROM probe) < :limit AND (SELECT n FROM rows) > :probe"
        )
        with _index_scans(session):
            rows = session.execute(
                sql,
                {**params, "tsquery": tsquery, "shop_id": shop_id, "yes": True, "limit": limit},
            ).all()
        if order == "price_desc":
            return [r[0] for r in sorted(rows, key=lambda r: (-r[2], -r[0]))]
        return [r[0] for r in sorted(rows, key=lambda r: (r[1], r[0]))]

    #: The recursive part of :meth:`together`: CTEs ``u`` (the terms), ``p`` (the shop's newest rows) and
    #: ``k`` (the terms kept after each step; its last row holds them all). ``{seed}``: a condition on its
    #: first row (when false, nothing is computed and ``k`` is empty).
    _TOGETHER = (
        "u AS (SELECT term, n FROM unnest(CAST(:terms AS text[])) WITH ORDINALITY AS x(term, n)), "
        "p AS MATERIALIZED (SELECT s.product_id AS id, s.title_document AS doc FROM product_search s "
        "WHERE s.shop_id BETWEEN :shop_id AND :shop_id ORDER BY s.shop_id DESC, s.product_id DESC LIMIT :probe), "
        "k(n, kept) AS (SELECT CAST(0 AS bigint), CAST(ARRAY[] AS text[]) WHERE {seed} "
        "UNION ALL SELECT u.n, CASE WHEN EXISTS (SELECT 1 FROM p WHERE p.doc @@ q.query "
        "AND (SELECT t.published = :yes FROM products t WHERE t.id = p.id)) "
        "OR EXISTS (SELECT 1 FROM product_search s WHERE s.shop_id + 0 = :shop_id AND s.title_document @@ q.query "
        "AND (SELECT t.shop_id = :shop_id AND t.published = :yes FROM products t WHERE t.id = s.product_id)) "
        "THEN k.kept || u.term ELSE k.kept END "
        "FROM k JOIN u ON u.n = k.n + 1 CROSS JOIN LATERAL (SELECT to_tsquery('english', array_to_string("
        "ARRAY(SELECT quote_literal(w) FROM unnest(k.kept || u.term) AS w), ' & ')) AS query OFFSET 0) q)"
    )

    def together(self, session: Session, shop_id: int, terms: Sequence[str]) -> list[str]:
        # One statement for every term (a round trip each cost 1-20 ms on a busy machine, more than the
        # check): a recursive query takes the terms in order and keeps a term when a published title of the
        # shop has it with the terms kept so far, as whole words (the same quoting as :meth:`_tsquery`;
        # terms hold only letters and digits). Each check is the newest :data:`PROBE_ROWS` rows of the
        # shop first (read once, ``p``; common words), else the GIN index (rare ones), as in
        # :meth:`_newest`; each step's tsquery is made once (``q``, fenced by ``OFFSET 0``), not per row.
        sql = _sql(
            "WITH RECURSIVE " + self._TOGETHER.format(seed="true") + " SELECT kept FROM k ORDER BY n DESC LIMIT 1"
        )
        with _index_scans(session):
            kept = session.scalar(sql, {"terms": list(terms), "shop_id": shop_id, "yes": True, "probe": PROBE_ROWS})
        return list(kept or [])

    def survey(self, session: Session, shop_id: int, terms: Sequence[str], upto: int) -> tuple[int, list[str]]:
        # The estimate and the terms together in one statement (one round trip less for every search of
        # common words); ``k`` starts only when the estimate reaches ``upto``.
        sql = _sql(
            "WITH RECURSIVE e AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM product_search s "
            "WHERE s.document @@ to_tsquery('english', :estimate) LIMIT :upto) m), "
            + self._TOGETHER.format(seed="(SELECT n FROM e) >= :upto AND :several")
            + " SELECT (SELECT n FROM e), (SELECT kept FROM k ORDER BY n DESC LIMIT 1)"
        )
        with _index_scans(session):
            count, kept = session.execute(
                sql,
                {
                    "estimate": self._tsquery(terms, prefix=False),
                    "upto": upto,
                    "several": len(terms) > 1,
                    "terms": list(terms),
                    "shop_id": shop_id,
                    "yes": True,
                    "probe": PROBE_ROWS,
                },
            ).one()
        return int(count or 0), list(kept or [])

    def _newest(
        self, session: Session, shop_id: int, column: str, tsquery: str, limit: int, checks: str, params: dict[str, Any]
    ) -> list[int]:
        """The shop's newest ``limit`` matches of ``tsquery`` in ``column`` whose product row passes ``checks``
        (published, then the SQL conditions on ``t``), in one statement.

        GIN returns matches unordered, so the newest of a common word ("dress": 12,000 titles at 100,000
        products) meant fetching every match's row and sorting them all (1,100-3,300 heap pages, 20-45 ms
        for the bench's words). Instead the shop's newest rows are read in id order (index ``(shop_id,
        product_id)``, migration 0011) and each is tested, in two steps: the newest :data:`PROBE_ROWS`, then,
        only when fewer than ``limit`` passed, the newest :data:`PROBE_MORE` (about 0.5 us a row; the rows of
        one shop's import lie together, ~24 to a page). When ``limit`` pass in a step they are the newest
        ``limit`` (every newer row was tested). Only when neither step finds ``limit`` does the GIN branch
        run: it finds every match, sorts the ids alone and checks the product rows newest first until
        ``limit`` pass; by then the words are rare in the shop (fewer than ``limit`` in its newest
        :data:`PROBE_MORE` rows), so there are few matches to read. Each later step is gated by a one-time
        filter on the counts before it, so it runs only when needed.

        The probes' shop is a range (``BETWEEN``), not an equality: with ``shop_id = x`` the primary key
        also gives the order, and the planner walked it backwards over every newer shop's rows.
        """

        def probe(rows: str) -> str:
            return (
                "(SELECT r.id FROM (SELECT s.shop_id AS shop, s.product_id AS id, s." + column + " AS doc "
                "FROM product_search s WHERE s.shop_id BETWEEN :shop_id AND :shop_id "
                "ORDER BY s.shop_id DESC, s.product_id DESC "
                "LIMIT "
                + rows
                + ") r WHERE r.doc @@ (SELECT query FROM q) AND (SELECT t.published = :yes "
                + checks
                + " FROM products t WHERE t.id = r.id) ORDER BY r.shop DESC, r.id DESC LIMIT :limit)"
            )

        # ``few`` / ``several``: the shop's rows, counted no further than one past a step, each read only
        # when that step fell short. A step that read every row of the shop found every match: a small
        # shop beside large ones never reaches the GIN branch, which reads every shop's matches
        # (40-85 ms for a 20-product shop in a database of 110,000 products).
        sql = _sql(
            "WITH q AS MATERIALIZED (SELECT to_tsquery('english', :tsquery) AS query), "
            "few AS MATERIALIZED "
            + _shop_rows_sql(":probe")
            + ", several AS MATERIALIZED "
            + _shop_rows_sql(":more")
            + ", "
            "probe AS MATERIALIZED " + probe(":probe") + ", "
            "more AS MATERIALIZED " + probe(":more") + " "
            "SELECT id FROM probe WHERE (SELECT count(*) FROM probe) >= :limit OR (SELECT n FROM few) <= :probe "
            "UNION ALL SELECT id FROM more WHERE (SELECT count(*) FROM probe) < :limit "
            "AND (SELECT n FROM few) > :probe "
            "AND ((SELECT count(*) FROM more) >= :limit OR (SELECT n FROM several) <= :more) "
            "UNION ALL SELECT id FROM (SELECT r.id FROM (SELECT s.product_id AS id FROM product_search s "
            "WHERE s.shop_id + 0 = :shop_id AND s." + column + " @@ (SELECT query FROM q) "
            "ORDER BY s.product_id DESC OFFSET 0) r WHERE (SELECT t.shop_id = :shop_id AND t.published = :yes "
            + checks
            + " FROM products t WHERE t.id = r.id) LIMIT :limit) g "
            "WHERE (SELECT count(*) FROM probe) < :limit AND (SELECT n FROM few) > :probe "
            "AND (SELECT count(*) FROM more) < :limit AND (SELECT n FROM several) > :more"
        )
        with _index_scans(session):
            found = list(
                session.scalars(
                    sql,
                    {
                        **params,
                        "tsquery": tsquery,
                        "shop_id": shop_id,
                        "yes": True,
                        "limit": limit,
                    },
                )
            )
        return sorted(found, reverse=True)


_BACKENDS: dict[str, SearchBackend] = {"sqlite": SqliteBackend(), "postgresql": PostgresBackend()}


def backend_for(session: Session) -> SearchBackend:
    """The backend for the session's database; other engines are a config error."""
    name = session.get_bind().dialect.name
    try:
        return _BACKENDS[name]
    except KeyError:
        raise RuntimeError(f"catalog search does not support the {name!r} database") from None


def _reindex(session: Session, kind: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    backend = backend_for(session)
    backend.delete(session, kind, [r["id"] for r in rows])
    backend.insert(session, kind, rows)


def index_products(session: Session, products: Iterable[Product | int]) -> None:
    """(Re)index products, given as objects or as ids of stored rows: their old rows are replaced.

    Flushes first, so new products have ids and stored rows are current.
    """
    session.flush()
    objects: dict[int, Product] = {}
    ids: set[int] = set()
    for p in products:
        if isinstance(p, int):
            ids.add(p)
        else:
            objects[p.id] = p
    rows = [_product_row(p) for p in objects.values()]
    rows += _product_rows_by_id(session, sorted(ids - set(objects)))
    _reindex(session, "product", rows)


#: PostgreSQL's GIN indexes of the product search table (migrations 0001 and 0010).
_GIN_INDEXES = ("ix_product_search_document", "ix_product_search_title_document")


def settle(session: Session) -> None:
    """After a bulk write of the index (a sync): merge the GIN indexes' pending lists (PostgreSQL only).

    GIN indexes take new rows into a pending list that every search reads
    through until a VACUUM merges it, and autovacuum may be off or a minute
    away: after a fresh import of 100,000 products, searches read the whole
    list (p99 137 ms instead of ~20). Merging once here costs the sync, not the
    shoppers.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for index in _GIN_INDEXES:  # names are ours, never user input
        if session.scalar(_sql("SELECT to_regclass(:name)"), {"name": index}) is not None:
            session.execute(_sql(f"SELECT gin_clean_pending_list('{index}'::regclass)"))


#: Search rows given their prices per statement by :func:`fill_prices`.
FILL_BATCH = 5000


def fill_prices(db: Database, shop_id: int) -> int:
    """Give the shop's search rows without prices their product's (PostgreSQL; migration 0012), a batch at a
    time, each in its own transaction; the number filled.

    Rows indexed before that migration, or by an older host during a rolling deploy, have none: searches
    then read the product row instead. Run by every sync (``core.catalog.sync.run_sync``) before
    :func:`settle`; once a shop's rows all have prices, it reads the empty partial index and writes nothing."""
    if db.engine.dialect.name != "postgresql":
        return 0
    filled = 0
    while True:
        with db.session() as session:
            # Asked first (the partial index answers), so a shop whose rows all have prices gets no write.
            unpriced = session.scalar(
                _sql("SELECT EXISTS (SELECT 1 FROM product_search WHERE shop_id = :shop_id AND price_min IS NULL)"),
                {"shop_id": shop_id},
            )
            if not unpriced:
                return filled
            result = cast(
                CursorResult[Any],
                session.execute(
                    _sql(
                        "UPDATE product_search s SET price_min = p.price_min, price_max = p.price_max FROM products p "
                        "WHERE p.id = s.product_id AND s.product_id IN (SELECT u.product_id FROM product_search u "
                        "WHERE u.shop_id = :shop_id AND u.price_min IS NULL LIMIT :batch)"
                    ),
                    {"shop_id": shop_id, "batch": FILL_BATCH},
                ),
            )
            done = result.rowcount
        filled += done
        if done < FILL_BATCH:  # the rest, if any, has no product row to take prices from
            return filled


def missing_products(session: Session, product_ids: Iterable[int]) -> list[int]:
    """Those of ``product_ids`` that have no row in the search index."""
    wanted = sorted(set(product_ids))
    return sorted(set(wanted) - set(backend_for(session).present(session, "product", wanted)))


def unindex_products(session: Session, product_ids: Iterable[int]) -> None:
    backend_for(session).delete(session, "product", sorted(set(product_ids)))


def search_products(
    session: Session,
    shop_id: int,
    query: str,
    *,
    limit: int = 10,
    in_stock_only: bool = False,
    known: Known | None = None,
    narrowing: Narrowing = NARROWING_NONE,
) -> list[SearchHit]:
    """The shop's published products matching any query term, best first; only those ``narrowing`` keeps.

    A shop with no more rows than :data:`PROBE_ROWS` is ranked in full from its
    own rows where the backend can read them alone (:meth:`SearchBackend.search_shop`,
    PostgreSQL), whatever the rest of the index holds. Otherwise, when the terms
    match at most :data:`RANK_ALL` rows of the index, every match is ranked
    (``bm25`` / ``ts_rank_cd``). Beyond, ranking them all would cost in
    proportion to the catalog, so matches are taken from the index in
    tiers, newest first within a tier, until ``limit`` are found: every term
    in the title; every term anywhere; any term in the title; any term
    anywhere. "Every term" counts the terms some title has together, in the
    query's order (see :meth:`SearchBackend.together`): a synonym the engine appended or a
    word no title has does not empty it. Each tier stops at ``limit`` rows,
    so the cost follows the index's posting lists of these terms, never a
    pass over the catalog. ``known``: what the caller knows already; when it
    says there are many matches, the database is not asked to count them
    (counting reads every posting list of the terms: 5-8 ms in PostgreSQL at
    100,000 products for a product name and its synonyms).
    """
    terms = parse_query(query)
    if not terms or limit <= 0:
        return []
    backend = backend_for(session)
    if known is None or known.catalog <= PROBE_ROWS:  # a small shop (or one the caller knows nothing of)
        hits = backend.search_shop(session, shop_id, terms, limit, in_stock_only, narrowing)
        if hits is not None:
            return hits
    if known is not None and known.many:
        count, kept = RANK_ALL + 1, [t for t in known.together if t in terms]
    else:
        count, kept = backend.survey(session, shop_id, terms, RANK_ALL + 1)
    if count <= RANK_ALL:
        return backend.search(session, "product", shop_id, terms, limit, in_stock_only, narrowing)
    together = (kept or terms) if len(terms) > 1 else terms
    # (terms, every, title, prefix): whole words for "every term" (one posting list each: a prefix of a
    # common word is the union of many, 15 ms in PostgreSQL's GIN at 100,000 products), prefixes after.
    tiers = [(together, True, True, False), (together, True, False, False)]
    if len(terms) > 1:
        tiers += [(terms, False, True, True), (terms, False, False, True)]
    found: list[int] = []
    seen: set[int] = set()
    for words, every, title, prefix in tiers:
        for pid in backend.matching(
            session,
            shop_id,
            words,
            limit + len(found),
            in_stock_only,
            every=every,
            title=title,
            prefix=prefix,
            known=known,
            min_price=narrowing.min_price,
            max_price=narrowing.max_price,
            options=narrowing.options,
        ):
            if pid not in seen:
                seen.add(pid)
                found.append(pid)
        if len(found) >= limit:
            break
    # Tiers are the ranking: the score falls with each hit, in the order found.
    return [SearchHit(id=pid, score=float(limit - i)) for i, pid in enumerate(found[:limit])]


def index_documents(session: Session, documents: Iterable[Document | int]) -> None:
    """(Re)index store content (pages, policies, FAQ entries), given as objects or ids of stored rows."""
    session.flush()
    objects: dict[int, Document] = {}
    ids: set[int] = set()
    for d in documents:
        if isinstance(d, int):
            ids.add(d)
        else:
            objects[d.id] = d
    rows = [_document_row(d) for d in objects.values()]
    rows += _document_rows_by_id(session, sorted(ids - set(objects)))
    _reindex(session, "document", rows)


def missing_documents(session: Session, document_ids: Iterable[int]) -> list[int]:
    """Those of ``document_ids`` that have no row in the search index."""
    wanted = sorted(set(document_ids))
    return sorted(set(wanted) - set(backend_for(session).present(session, "document", wanted)))


def unindex_documents(session: Session, document_ids: Iterable[int]) -> None:
    backend_for(session).delete(session, "document", sorted(set(document_ids)))


def search_documents(session: Session, shop_id: int, query: str, limit: int = 5) -> list[SearchHit]:
    """The shop's documents matching any query term, best first."""
    terms = parse_query(query)
    if not terms or limit <= 0:
        return []
    return backend_for(session).search(session, "document", shop_id, terms, limit, False)
