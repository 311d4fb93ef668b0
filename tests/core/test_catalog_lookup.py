"""Catalog lookups that do not grow with the catalog (core/catalog/lookup.py, the ranking of
core/catalog/ranking.py, the tiered product search, shelf reads by id, the catalog version),
checked against plain Python over every row, on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import bindparam as sa_bindparam
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.catalog import lookup, ranking, search, shelf
from core.catalog import version as catalog_version
from core.catalog.lookup import product_by_title
from core.catalog.ranking import Ranking, ranked
from core.catalog.search import index_products, search_products
from core.catalog.sync import upsert_products
from core.connector import ProductRecord, VariantRecord
from core.db import Database, Product, Shop, Variant
from tests.core.test_search import APPAREL, load_shopify_csv, make_shop


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = make_shop(session, "apparel")
    index_products(session, load_shopify_csv(session, shop, APPAREL))
    other = make_shop(session, "other")  # another shop's products must never show up
    index_products(session, load_shopify_csv(session, other, APPAREL))
    return shop


def _published(session: Session, shop: Shop) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.shop_id == shop.id, Product.published.is_(True))))


# -- shelf reads by id ---------------------------------------------------------------


def test_reads_by_id_return_only_the_shops_published_products(session: Session, shop: Shop) -> None:
    mine = session.scalars(select(Product.id).where(Product.shop_id == shop.id)).all()
    theirs = session.scalars(select(Product.id).where(Product.shop_id != shop.id)).all()
    draft = session.scalar(select(Product).where(Product.shop_id == shop.id, Product.published.is_(True)))
    assert draft is not None
    draft.published = False
    session.flush()
    ids = [*mine, *theirs]
    found = set(session.scalars(shelf.products_by_id(shop.id, ids, Product.id)))
    assert found == set(mine) - {draft.id}
    variant_owners = set(session.scalars(shelf.variants_of(shop.id, ids, Variant.product_id)))
    assert variant_owners == {p.id for p in _published(session, shop) if p.variants}
    rows = session.execute(shelf.with_variants(shop.id, ids, [Product.id], [Variant.id])).all()
    assert {r[0] for r in rows} == set(mine) - {draft.id}  # a product without variants has one row
    assert sorted(r[1] for r in rows if r[1] is not None) == sorted(
        v.id for p in _published(session, shop) for v in p.variants)


def test_sqlite_finds_products_by_id_through_the_primary_key(session: Session, shop: Shop) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's planner")
    ids = list(session.scalars(select(Product.id).where(Product.shop_id == shop.id)))[:20]
    assert len(ids) >= 12  # from about ten ids on, the shop_id index used to win
    for query in (shelf.products_by_id(shop.id, ids, Product.id), shelf.variants_of(shop.id, ids, Variant.id),
                  shelf.with_variants(shop.id, ids, [Product.id], [Variant.id])):
        compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        plan = " | ".join(r[3] for r in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        assert "SEARCH products USING INTEGER PRIMARY KEY" in plan, plan


def _gin_scans(session: Session, run) -> list[int]:  # type: ignore[no-untyped-def]
    """Loops of every GIN (bitmap index) scan in the plans of the search statements ``run`` makes."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "to_tsquery" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    loops: list[int] = []

    def walk(node: dict) -> None:  # type: ignore[type-arg]
        if node.get("Node Type") == "Bitmap Index Scan" and node.get("Index Name") in search._GIN_INDEXES:
            loops.append(int(node.get("Actual Loops", 0)))
        for child in node.get("Plans", []):
            walk(child)

    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for statement, parameters in statements:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        walk(cursor.fetchone()[0][0]["Plan"])
    return loops


@pytest.mark.parametrize("kind", ["newest", "price_desc"])
def test_a_small_shop_never_reads_the_whole_index(session: Session, shop: Shop, monkeypatch, kind: str) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: when the first step read every row of the shop, the GIN branch (every shop's matches)
    never runs; with steps smaller than the shop it does, and finds the same."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    backend = search.backend_for(session)

    def ask() -> list[int]:
        return backend.matching(session, shop.id, ["shirt"], 50, False, every=True, order=kind)

    small: list[int] = []
    scans = _gin_scans(session, lambda: small.extend(ask()))
    assert scans and all(n == 0 for n in scans), scans  # in the plan, never run
    monkeypatch.setattr(search, "PROBE_ROWS", 1)
    monkeypatch.setattr(search, "PROBE_MORE", 2)
    large: list[int] = []
    assert any(n > 0 for n in _gin_scans(session, lambda: large.extend(ask())))
    assert small == large and small


# -- the tiered search of large catalogs ---------------------------------------------


def _words(p: Product) -> str:
    return " ".join([p.title, *(p.tags or []), p.product_type or "", p.vendor or "", p.body_html or "",
                     *(v.title for v in p.variants)]).lower()


def test_a_search_of_few_matches_is_ranked_in_full(session: Session, shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ranked_in_full = search_products(session, shop.id, "ocean blue shirt", limit=10)
    monkeypatch.setattr(search, "RANK_ALL", 10_000)
    assert search_products(session, shop.id, "ocean blue shirt", limit=10) == ranked_in_full
    assert ranked_in_full and session.get(Product, ranked_in_full[0].id).title == "Ocean Blue Shirt"


def test_a_small_shop_is_ranked_in_full_whatever_the_index_holds(session: Session, shop: Shop,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A shop with no more rows than a probe reads is searched by reading its own rows (PostgreSQL) and ranked
    in full, however many matches the whole index holds: the answer is the one it gets alone in a database,
    and no GIN scan of every shop's matches runs."""
    monkeypatch.setattr(search, "RANK_ALL", 2)  # the index (other shops included) holds "many" matches
    backend = search.backend_for(session)
    for query in ("blue shirt", "shirt", "jacket top dress", "zzyzxq"):
        terms = search.parse_query(query)
        hits = search_products(session, shop.id, query, limit=50)
        if session.get_bind().dialect.name != "postgresql":
            assert backend.search_shop(session, shop.id, terms, 50, False) is None  # SQLite: the tiers
            continue
        assert hits == backend.search(session, "product", shop.id, terms, 50, False), query
        assert all(n == 0 for n in _gin_scans(session, lambda: search_products(session, shop.id, query, limit=5)))
        in_stock = search_products(session, shop.id, query, limit=50, in_stock_only=True)
        assert in_stock == backend.search(session, "product", shop.id, terms, 50, True)
    assert search_products(session, shop.id, "blue shirt", limit=50)  # the checks above compared something
    monkeypatch.setattr(search, "PROBE_ROWS", 2)  # now larger than a probe: the usual way
    assert backend.search_shop(session, shop.id, ["shirt"], 5, False) is None


@pytest.mark.parametrize("probe", [(1, 2), (3, 6), (3, 5000)])
def test_many_matches_are_taken_in_tiers_newest_first(session: Session, shop: Shop, monkeypatch,  # type: ignore[no-untyped-def]
                                                      probe: tuple[int, int]) -> None:
    monkeypatch.setattr(search, "RANK_ALL", 2)  # the apparel catalog counts as a large one
    # PostgreSQL: the newest rows are tested in two steps before the GIN index; tiny steps make each
    # tier take every way (the first step, the second, the index) somewhere in this catalog.
    monkeypatch.setattr(search, "PROBE_ROWS", probe[0])
    monkeypatch.setattr(search, "PROBE_MORE", probe[1])
    products = sorted(_published(session, shop), key=lambda p: -p.id)
    hits = [h.id for h in search_products(session, shop.id, "blue shirt", limit=50)]
    by_id = {p.id: p for p in products}
    title_both = [p.id for p in products if "blue" in p.title.lower() and "shirt" in p.title.lower()]
    assert title_both and hits[:len(title_both)] == title_both  # every word in the title, newest first
    rest = hits[len(title_both):]
    anywhere_both = [i for i in rest if "blue" in _words(by_id[i]) and "shirt" in _words(by_id[i])]
    assert rest[:len(anywhere_both)] == anywhere_both  # then every word anywhere, then any word
    assert all("blue" in _words(by_id[i]) or "shirt" in _words(by_id[i]) for i in hits)
    assert len(hits) == len(set(hits))
    assert [h.score for h in search_products(session, shop.id, "blue shirt", limit=5)] == [5.0, 4.0, 3.0, 2.0, 1.0]


@pytest.mark.parametrize("probe", [(1000, 5000), (1, 5000), (1, 2)])
def test_the_newest_matches_whichever_step_finds_them(session: Session, shop: Shop, monkeypatch,  # type: ignore[no-untyped-def]
                                                      probe: tuple[int, int]) -> None:
    # PostgreSQL: (1000, 5000) the first step finds them, (1, 5000) the second, (1, 2) the GIN index.
    monkeypatch.setattr(search, "PROBE_ROWS", probe[0])
    monkeypatch.setattr(search, "PROBE_MORE", probe[1])
    backend = search.backend_for(session)
    newest = sorted(_published(session, shop), key=lambda p: -p.id)
    shirts = [p.id for p in newest if "shirt" in p.title.lower().split()]
    assert len(shirts) >= 2
    for limit in (1, 2, 50):
        assert backend.matching(session, shop.id, ["shirt"], limit, False, every=True, title=True,
                                prefix=False) == shirts[:limit]
    in_stock = [p.id for p in newest if "shirt" in p.title.lower().split() and p.available]
    assert backend.matching(session, shop.id, ["shirt"], 50, True, every=True, title=True, prefix=False) == in_stock


def _kept(titles: list[str], terms: list[str]) -> list[str]:
    kept: list[str] = []
    for term in terms:
        if any({*kept, term} <= set(t.lower().split()) for t in titles):
            kept.append(term)
    return kept


@pytest.mark.parametrize("probe", [1000, 1])
def test_the_terms_one_title_has_together(session: Session, shop: Shop, monkeypatch, probe: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "PROBE_ROWS", probe)  # 1: PostgreSQL's check goes through the GIN index
    backend = search.backend_for(session)
    cases = [["classic", "leather", "jacket"], ["leather", "silk", "jacket"], ["zzyzx", "ocean", "blue"],
             ["red", "sports", "shirt"], ["zzyzx"]]
    for terms in cases:
        titles = [p.title for p in _published(session, shop)]
        assert backend.together(session, shop.id, terms) == _kept(titles, terms), terms
    ocean = session.scalar(select(Product).where(Product.shop_id == shop.id, Product.title == "Ocean Blue Shirt"))
    ocean.published = False  # the other shop's Ocean Blue Shirt is still published
    session.flush()
    assert backend.together(session, shop.id, ["zzyzx", "ocean", "blue"]) == ["blue"]
    assert _kept([p.title for p in _published(session, shop)], ["zzyzx", "ocean", "blue"]) == ["blue"]


def test_the_survey_is_the_estimate_and_then_the_terms_together(session: Session, shop: Shop) -> None:
    backend = search.backend_for(session)
    terms = ["leather", "silk", "jacket"]
    count = backend.estimate(session, "product", terms, 1000)
    assert count > 2 and backend.together(session, shop.id, terms) == ["leather", "jacket"]
    assert backend.survey(session, shop.id, terms, 1000) == (count, [])  # below the bound: not asked
    assert backend.survey(session, shop.id, terms, 2) == (2, ["leather", "jacket"])
    assert backend.survey(session, shop.id, ["leather"], 2) == (2, [])  # one term: nothing to keep


def test_a_word_the_catalog_never_uses_does_not_empty_the_every_word_tier(session: Session, shop: Shop,
                                                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "RANK_ALL", 2)
    plain = [h.id for h in search_products(session, shop.id, "blue shirt", limit=3)]
    assert [h.id for h in search_products(session, shop.id, "blue shirt zzyzxq", limit=3)] == plain


def test_what_the_vocabulary_knows_saves_the_count_and_finds_the_same(session: Session, shop: Shop,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The assistant's vocabulary says a term is in more titles than are ranked in full, and which
    terms one title has together: the search skips its count and ranks by the same tiers."""
    from core.assistant.builtin.vocabulary import vocabulary

    monkeypatch.setattr(search, "RANK_ALL", 2)
    backend = search.backend_for(session)
    vocab = vocabulary(session, shop, fresh=True)
    for query in ("blue shirt", "shirt", "blue shirt zzyzxq", "jacket top dress"):
        terms = search.parse_query(query)
        known = vocab.search_known(terms)
        assert known.many, query  # "shirt" is in more than two titles
        assert list(known.together) == (backend.together(session, shop.id, terms) if len(terms) > 1 else terms)
        assert search_products(session, shop.id, query, limit=5, known=known) == search_products(
            session, shop.id, query, limit=5)
    assert not vocab.search_known(["zzyzxq"]).many and vocab.search_known(["zzyzxq"]).together == ()
    assert not vocab.search_known(["ocean"]).many  # in one title: the search counts and ranks them all


def test_known_says_a_probe_is_too_sparse_only_for_a_shop_larger_than_it() -> None:
    known = search.Known(True, ("linen", "shirt"), titles=500, catalog=100_000)
    assert known.sparse(10, 1000) and not known.sparse(10, 5000)  # 5 expected in 1,000 rows, 25 in 5,000
    assert known.sparse(40, 5000)  # a filter that turns most down: 40 wanted
    assert not search.Known(True, ("shirt",), titles=5_000, catalog=100_000).sparse(10, 1000)  # 50 expected
    assert not search.Known(True, ("shirt",), titles=1, catalog=1000).sparse(10, 1000)  # a probe reads the shop
    assert search.Known(True, ("shirt",), titles=1, catalog=1001).sparse(10, 1000)


def test_what_the_vocabulary_counts_of_the_title_matches(session: Session, shop: Shop) -> None:
    from core.assistant.builtin.vocabulary import vocabulary

    vocab = vocabulary(session, shop, fresh=True)
    published = _published(session, shop)
    known = vocab.search_known(["blue", "shirt"])
    assert known.together == ("blue", "shirt") and known.catalog == len(published)
    both = [p for p in published if {"blue", "shirt"} <= set(p.title.lower().split())]
    assert both and known.titles == len(both)
    assert vocab.search_known(["zzyzxq"]).titles == 0


@pytest.mark.parametrize("probe", [(1, 2), (3, 6), (1000, 5000)])
def test_a_probe_skipped_on_the_vocabularys_word_finds_the_same(session: Session, shop: Shop, monkeypatch,  # type: ignore[no-untyped-def]
                                                                 probe: tuple[int, int]) -> None:
    """Whatever the vocabulary says of the matches' share (right, or wrong either way), a probe skipped or
    taken changes no answer: the step after it reads every match. Checked for every order, with filters."""
    monkeypatch.setattr(search, "PROBE_ROWS", probe[0])
    monkeypatch.setattr(search, "PROBE_MORE", probe[1])
    monkeypatch.setattr(search, "RANK_ALL", 2)
    products = _published(session, shop)
    catalog = len(products)
    sent: list[dict] = []  # type: ignore[type-arg]

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if isinstance(parameters, dict) and "probe" in parameters and "limit" in parameters:
            sent.append(parameters)

    from sqlalchemy import event

    event.listen(session.get_bind(), "before_cursor_execute", capture)
    try:
        # sparse, sparse, dense; and a shop the vocabulary says is far larger than it is (its rows not counted)
        for titles, claimed in ((0, catalog), (1, catalog), (catalog, catalog), (1, 10**6)):
            for query, options, low in (("shirt", [], None), ("blue shirt", ["m"], None), ("top", [], Decimal("20"))):
                terms = search.parse_query(query)
                known = search.Known(True, tuple(terms), titles=titles, catalog=claimed)
                for order in ("price_asc", "price_desc", "newest"):
                    plain = Ranking(order=order, query=query, options=options, min_price=low)
                    told = Ranking(order=order, query=query, options=options, min_price=low, known=known)
                    for limit in (1, 3, 100):
                        assert ranked(session, shop.id, told, limit=limit) == ranked(session, shop.id, plain,
                                                                                     limit=limit), (told, limit)
                dense = search.Known(True, tuple(terms), titles=claimed, catalog=claimed)  # no step skipped
                assert search_products(session, shop.id, query, limit=5, known=known) == search_products(
                    session, shop.id, query, limit=5, known=dense)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", capture)
    if session.get_bind().dialect.name == "postgresql":
        skipped = [p for p in sent if p["probe"] == 0]
        # A probe is skipped only where the vocabulary's share says so, and only in a shop larger than it.
        assert all(p["shop_rows"] > probe[0] for p in skipped), probe
        assert any(p["shop_rows"] == catalog for p in skipped) == (catalog > probe[0]), (probe, catalog)
        assert any(p["probe"] == probe[0] for p in sent)


def test_the_tiers_keep_the_shop_published_and_stock_filters(session: Session, shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "RANK_ALL", 2)
    for p in _published(session, shop)[:5]:
        p.published = False
    session.flush()
    visible = {p.id for p in _published(session, shop)}
    in_stock = {p.id for p in _published(session, shop) if p.available}
    for query in ("shirt", "blue shirt", "jacket top dress"):
        assert {h.id for h in search_products(session, shop.id, query, limit=50)} <= visible
        assert {h.id for h in search_products(session, shop.id, query, limit=50, in_stock_only=True)} <= in_stock


def _narrow_shop(session: Session, name: str) -> Shop:
    """Forty products of two or three title words with colour variants of their own prices and stock."""
    from tests.core.test_builtin_capabilities import _record

    shop = make_shop(session, name)
    woods, kinds = ("oak", "pine", "walnut", "birch"), ("desk", "stool", "shelf", "bench", "oak stool")
    colours = ("Blue", "Black", "Natural", "Navy Blue", "ÉCRU")
    records = []
    for n in range(40):
        variants = tuple((colours[(n + i) % 5], f"{20 + (n * 7 + i * 13) % 90}.00", (n + i) % 3)
                         for i in range(1 + n % 3))
        records.append(_record(n, f"{woods[n % 4].title()} {kinds[n % 5].title()} {n}", "10.00", variants=variants,
                               body=f"<p>A {woods[(n + 1) % 4]} piece in {colours[n % 4].lower()}.</p>"))
    index_products(session, upsert_products(session, shop.id, records))
    return shop


def _fits_narrowing(p: Product, narrowing: search.Narrowing, in_stock_only: bool, keys: bool = True) -> bool:
    """As the engine compares option values; ``keys=False``: as the database does for variants without keys
    (only values of printable ASCII, lowercased, spaces aside; a variant with another value is kept)."""
    def fits(values: list[str]) -> bool:
        if keys:
            return {" ".join(o.casefold().split()) for o in narrowing.options} <= {
                " ".join(str(x).casefold().split()) for x in values}
        plain = {"".join(o.lower().split()) for o in narrowing.options if o.isascii()}
        return plain <= {"".join(str(x).lower().split()) for x in values} or not all(str(x).isascii() for x in values)

    return (p.available or not in_stock_only) and any(
        fits(v.option_values or []) and (v.available or not in_stock_only)
        and (narrowing.min_price is None or v.price >= narrowing.min_price)
        and (narrowing.max_price is None or v.price <= narrowing.max_price) for v in p.variants)


@pytest.mark.parametrize("keys", ["keys", "no keys"])
@pytest.mark.parametrize("way", ["as it comes", "tiers (1, 2)", "tiers (3, 6)", "tiers (1000, 5000)", "ranked"])
def test_a_narrowed_search_is_the_search_without_what_does_not_fit(session: Session, monkeypatch,  # type: ignore[no-untyped-def]
                                                                   way: str, keys: str) -> None:
    """The database keeps the matches with a variant that fits (option values, price bounds, stock): the
    same products, in the same order, as the search without them, less those that do not fit; however the
    search goes (a small shop's own rows, every match ranked, or tiers taken by each step). Variants
    stored before their option keys (migration 0013) are compared by their values, as far as the database
    folds them as the engine does."""
    shop = _narrow_shop(session, "narrow")
    _narrow_shop(session, "neighbour")  # another shop's products must never show up
    if keys == "no keys":
        session.execute(update(Variant).values(option_keys=None))
    if way.startswith("tiers"):
        probe, more = (int(x) for x in way[7:-1].split(", "))
        monkeypatch.setattr(search, "RANK_ALL", 2)
        monkeypatch.setattr(search, "PROBE_ROWS", probe)
        monkeypatch.setattr(search, "PROBE_MORE", more)
    elif way == "ranked":  # PostgreSQL: larger than a probe (not read as a small shop), few matches
        monkeypatch.setattr(search, "PROBE_ROWS", 2)
    by_id = {p.id: p for p in _published(session, shop)}
    compared = 0
    for query in ("oak stool", "blue desk", "pine", "walnut bench navy", "zzyzxq"):
        for narrowing in (search.Narrowing(options=("blue",)), search.Narrowing(options=("Navy  Blue",)),
                          search.Narrowing(min_price=Decimal("40"), max_price=Decimal("80")),
                          search.Narrowing(options=("black",), max_price=Decimal("70")),
                          search.Narrowing(options=("Écru",)), search.Narrowing(options=("écru", "Blue"))):
            for in_stock in (False, True):
                whole = [h.id for h in search_products(session, shop.id, query, limit=500, in_stock_only=in_stock)]
                fitting = [i for i in whole if _fits_narrowing(by_id[i], narrowing, in_stock, keys == "keys")]
                for limit in (1, 3, 50):
                    narrowed = search_products(session, shop.id, query, limit=limit, in_stock_only=in_stock,
                                               narrowing=narrowing)
                    assert [h.id for h in narrowed] == fitting[:limit], (query, narrowing, in_stock, limit)
                    compared += bool(fitting) and len(fitting) < len(whole)
    assert compared > 20  # the filters really turned products down, and some fit


# -- ranked ----------------------------------------------------------------------------


def _fits(p: Product, r: Ranking) -> bool:
    if r.vendor is not None and (p.vendor or "").lower() != r.vendor.lower():
        return False
    if r.query and not all(w in _words(p) for w in r.query.lower().split()):
        return False
    # One variant holds the option values, the price bounds and the stock together.
    wanted = {o.strip().lower() for o in r.options}
    return any(wanted <= {str(v).lower() for v in v.option_values or []} and (v.available or not r.in_stock_only)
               and (r.min_price is None or v.price >= r.min_price)
               and (r.max_price is None or v.price <= r.max_price) for v in p.variants)


def _expected(products: list[Product], r: Ranking) -> list[int]:
    kept = [p for p in products if _fits(p, r)]
    if r.order == "price_asc":
        kept.sort(key=lambda p: (p.price_min, p.id))
    elif r.order == "price_desc":
        kept.sort(key=lambda p: (-p.price_max, -p.id))  # ties: the newer first, as the index gives them
    else:
        kept.sort(key=lambda p: -p.id)
    if r.query:  # every word in the title first, then every word anywhere (each in the order)
        kept.sort(key=lambda p: not all(w in p.title.lower() for w in r.query.lower().split()))
    return [p.id for p in kept]


@pytest.mark.parametrize("probe", [1, 1000])
def test_a_ranking_follows_a_price_change_made_by_a_sync(session: Session, monkeypatch, probe: int) -> None:  # type: ignore[no-untyped-def]
    """Sorting every match by price reads the prices kept in the search rows (PostgreSQL, migration 0012):
    a product's new price, stored by a sync or a webhook, reaches them, whichever step sorts."""
    from tests.core.test_builtin_capabilities import _record

    monkeypatch.setattr(search, "PROBE_ROWS", probe)  # 1: the probe falls short and every match is sorted
    shop = make_shop(session, "prices")
    prices = [30, 10, 50, 20, 60, 40]  # not in the order of the ids

    def stools() -> list[ProductRecord]:
        return [_record(n, f"Pine Stool {n}", f"{price}.00") for n, price in enumerate(prices)]

    def first_two(order: str) -> list[str]:
        found = search.backend_for(session).matching(session, shop.id, ["stool"], 2, False, every=True, order=order)
        assert ranked(session, shop.id, Ranking(order=order, query="stool"), limit=2) == found
        return [session.get(Product, i).title for i in found]

    index_products(session, upsert_products(session, shop.id, stools()))
    assert first_two("price_asc") == ["Pine Stool 1", "Pine Stool 3"]
    assert first_two("price_desc") == ["Pine Stool 4", "Pine Stool 2"]
    prices[1], prices[4] = 99, 5  # the cheapest becomes the dearest, and the dearest the cheapest
    index_products(session, upsert_products(session, shop.id, stools()))
    assert first_two("price_asc") == ["Pine Stool 4", "Pine Stool 3"]
    assert first_two("price_desc") == ["Pine Stool 1", "Pine Stool 2"]


def test_search_rows_without_prices_are_sorted_by_their_products_until_a_sync_fills_them(
        db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: a search row written before migration 0012 (or by an older host during a rolling deploy)
    has no prices; sorting every match then reads its product's, and the shop's next sync fills it, even for
    products the sync finds unchanged."""
    from sqlalchemy import text

    from core.catalog.sync import create_run, run_sync
    from core.shops import ensure_demo_shop

    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"

    def first(order: str, limit: int) -> list[int]:
        with db.session() as session:
            return search.backend_for(session).matching(session, shop.id, ["top"], limit, False, every=True,
                                                        order=order)

    # What the probe finds reading every product row of the (small) shop in the order: the reference.
    expected = {order: first(order, 50) for order in ("price_asc", "price_desc")}
    assert len(expected["price_asc"]) >= 3
    monkeypatch.setattr(search, "PROBE_ROWS", 1)  # now the probe falls short: every match is sorted
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.session() as session:  # the cheapest and the dearest lose the prices of their rows
            lost = [expected["price_asc"][0], expected["price_desc"][0]]
            session.execute(text("UPDATE product_search SET price_min = NULL, price_max = NULL "
                                 "WHERE product_id IN (:a, :b)"), {"a": lost[0], "b": lost[1]})
    for order, ids in expected.items():
        for limit in (1, 2, len(ids)):
            assert first(order, limit) == ids[:limit], (order, limit)
    assert search.fill_prices(db, shop.id) == (2 if postgres else 0)
    assert search.fill_prices(db, shop.id) == 0
    if postgres:
        with db.session() as session:
            session.execute(text("UPDATE product_search SET price_min = NULL, price_max = NULL "
                                 "WHERE product_id = :a"), {"a": lost[0]})
        assert run_sync(db, create_run(db, shop.id).id).status == "finished"  # nothing changed in the catalog
        with db.session() as session:
            assert session.scalar(text("SELECT count(*) FROM product_search WHERE price_min IS NULL")) == 0
    for order, ids in expected.items():
        assert first(order, 2) == ids[:2]


def test_variants_without_option_keys_are_compared_by_their_values_until_a_sync_keys_them(
        db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A variant stored before migration 0013 (or by an older host during a rolling deploy) has no option
    keys: a search narrowed by option values compares its JSON values instead, and the shop's next sync
    gives it keys, even for products it finds unchanged; a sync with nothing to key writes nothing."""
    from sqlalchemy import text

    from core.catalog import option_keys
    from core.catalog.sync import create_run, run_sync
    from core.shops import ensure_demo_shop

    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    with db.session() as session:
        stored = {vid: (values, keys) for vid, values, keys in session.execute(
            select(Variant.id, Variant.option_values, Variant.option_keys).join(Product)
            .where(Product.shop_id == shop.id))}
    assert stored and all(keys == option_keys.keys(values) for values, keys in stored.values())

    def narrowed(*options: str) -> list[int]:
        with db.session() as session:
            return [h.id for h in search_products(session, shop.id, "top", limit=50,
                                                  narrowing=search.Narrowing(options=options))]

    asked = [("small",), ("LARGE",), ("xyzzy",), ()]
    expected = {a: narrowed(*a) for a in asked}
    assert expected[("small",)] and expected[("LARGE",)] and not expected[("xyzzy",)]
    assert len(expected[("small",)]) < len(expected[()])  # the option values turned products down
    with db.session() as session:
        session.execute(text("UPDATE variants SET option_keys = NULL WHERE id IN :ids").bindparams(
            sa_bindparam("ids", expanding=True)), {"ids": list(stored)})
    assert {a: narrowed(*a) for a in asked} == expected
    monkeypatch.setattr(option_keys, "FILL_BATCH", 7)  # batch after batch
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"  # nothing changed in the catalog
    with db.session() as session:
        assert session.scalar(select(func.count()).where(Variant.option_keys.is_(None))) == 0
        assert {vid: keys for vid, _, keys in session.execute(
            select(Variant.id, Variant.option_values, Variant.option_keys).join(Product)
            .where(Product.shop_id == shop.id))} == {vid: keys for vid, (_, keys) in stored.items()}
    assert option_keys.fill(db, shop.id) == 0
    assert {a: narrowed(*a) for a in asked} == expected


def test_option_keys_are_never_stale(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An older host (a rolling deploy) rewrites a variant's values and knows nothing of its keys: they are
    cleared, never left to turn down a variant the engine takes; a write between the fill's read and its
    update is not given the keys of the values it replaced; the next fill keys both."""
    from core.catalog import option_keys
    from core.catalog.sync import create_run, run_sync
    from core.shops import ensure_demo_shop

    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    with db.session() as session:
        first, second = session.scalars(select(Variant.id).join(Product).where(
            Product.shop_id == shop.id).order_by(Variant.id).limit(2)).all()

    def old_host_writes(variant_id: int, values: list[str]) -> None:  # a Core upsert that names no keys
        with db.session() as session:
            session.execute(update(Variant.__table__).where(Variant.__table__.c.id == variant_id)
                            .values(option_values=values, title=" / ".join(values)))

    def stored(variant_id: int) -> tuple[list[str], list[str] | None]:
        with db.session() as session:
            values, keys = session.execute(select(Variant.option_values, Variant.option_keys)
                                           .where(Variant.id == variant_id)).one()
            return values, keys

    old_host_writes(first, ["Teal Green"])
    assert stored(first) == (["Teal Green"], None)
    with db.session() as session:  # compared by its values meanwhile
        session.execute(update(Variant.__table__).where(Variant.__table__.c.id == second)
                        .values(option_keys=["x"]))  # a write of the keys alone is not undone
    assert stored(second)[1] == ["x"]
    real_keys = option_keys.keys
    raced: list[int] = []

    def keys_while_a_host_writes(values):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(1)
            old_host_writes(first, ["Deep Red"])
        return real_keys(values)

    monkeypatch.setattr(option_keys, "keys", keys_while_a_host_writes)
    option_keys.fill(db, shop.id)
    assert stored(first) == (["Deep Red"], None)  # not the keys of "Teal Green"
    monkeypatch.setattr(option_keys, "keys", real_keys)
    assert option_keys.fill(db, shop.id) == 1
    assert stored(first) == (["Deep Red"], ["deep red"])
    with db.session() as session:
        product = session.get(Variant, first).product
        assert [h.id for h in search_products(session, shop.id, product.title, limit=50,
                                              narrowing=search.Narrowing(options=("DEEP  red",)))] == [product.id]


def test_a_write_that_changes_values_but_not_their_keys_keeps_the_keys(session: Session) -> None:
    """The trigger cannot tell this host's write of the same keys from an older host's write of none: it
    clears them, and the write gives them back at once (a webhook runs no fill)."""
    from tests.core.test_builtin_capabilities import _record

    shop = make_shop(session, "recased")
    first = [_record(1, "Oak Stool", "10.00", variants=(("Natural", "", 3), ("Blue", "", 1)))]
    upsert_products(session, shop.id, first)
    recased = [_record(1, "Oak Stool", "10.00", variants=(("NATURAL", "", 3), ("Navy", "", 1)))]
    upsert_products(session, shop.id, recased)
    session.expire_all()
    stored = session.execute(select(Variant.option_values, Variant.option_keys).join(Product)
                             .where(Product.shop_id == shop.id).order_by(Variant.position)).all()
    assert [(list(v), k) for v, k in stored] == [(["NATURAL"], ["natural"]), (["Navy"], ["navy"])]


@pytest.mark.parametrize("order", ["price_asc", "price_desc", "newest"])
def test_ranked_orders_and_filters_like_plain_python(session: Session, shop: Shop, order: str) -> None:
    products = _published(session, shop)
    vendor = next(p.vendor for p in products if p.vendor)
    rankings = [
        Ranking(order=order),
        Ranking(order=order, query="shirt"),
        Ranking(order=order, query="blue"),
        Ranking(order=order, query="jack"),  # part of a word: the jackets
        Ranking(order=order, vendor=vendor),
        Ranking(order=order, vendor=vendor.upper()),  # vendors compare case-insensitively
        Ranking(order=order, min_price=Decimal("40"), max_price=Decimal("80")),
        Ranking(order=order, in_stock_only=True),
        Ranking(order=order, options=["M"]),
        Ranking(order=order, query="top", options=["Medium"], in_stock_only=True),
        Ranking(order=order, options=["no such value"]),
    ]
    for r in rankings:
        expected = _expected(products, r)
        assert ranked(session, shop.id, r, limit=100) == expected, r
        assert ranked(session, shop.id, r, limit=3) == expected[:3], r
    assert any(_expected(products, r) for r in rankings[1:])  # the filters were not all empty


@pytest.mark.parametrize("keys", ["keys", "no keys"])
def test_ranked_option_values_are_the_engines_with_option_keys_or_without(session: Session, keys: str) -> None:
    """With option keys the database's test is the engine's; without them (variants stored before migration
    0013) it takes values more loosely ("navyblue" for "Navy Blue") and the variants read afterwards
    turn those down: the same products either way."""
    shop = _narrow_shop(session, "ranked keys")
    if keys == "no keys":
        session.execute(update(Variant).values(option_keys=None))
    products = _published(session, shop)
    navy = [p for p in products if any("Navy Blue" in v.option_values for v in p.variants)]
    assert navy
    for order in ("price_asc", "price_desc", "newest"):
        for query in ("", "stool", "oak stool"):
            loose = ranked(session, shop.id, Ranking(order=order, query=query, options=["navyblue"]), limit=50)
            assert loose == [], (order, query)
            found = ranked(session, shop.id, Ranking(order=order, query=query, options=[" navy  BLUE"]), limit=50)
            every = ranked(session, shop.id, Ranking(order=order, query=query), limit=500)
            assert found == [i for i in every if i in {p.id for p in navy}][:50], (order, query)
            assert found, (order, query)


@pytest.mark.parametrize("probe", [1, 3, 1000])
def test_ranked_matches_whether_the_probe_finds_them_or_not(session: Session, shop: Shop, monkeypatch,  # type: ignore[no-untyped-def]
                                                             probe: int) -> None:
    """A price order tests the first ``PROBE_ROWS`` products in the order, else sorts every match: same answer."""
    monkeypatch.setattr(search, "PROBE_ROWS", probe)
    products = _published(session, shop)
    vendor = next(p.vendor for p in products if p.vendor and "shirt" in _words(p))
    for order in ("price_asc", "price_desc"):
        for r in (Ranking(order=order, query="shirt"), Ranking(order=order, query="blue", in_stock_only=True),
                  Ranking(order=order, query="zzyzxq"), Ranking(order=order, query="top", min_price=Decimal("20")),
                  Ranking(order=order, query="shirt", options=["m"], max_price=Decimal("60"), in_stock_only=True),
                  Ranking(order=order, query="top", options=[" Medium ", "no such value"]),
                  Ranking(order=order, query="shirt", vendor=vendor.upper()),
                  Ranking(order=order, query="blue", vendor=vendor.lower(), in_stock_only=True)):
            for limit in (1, 2, 100):
                assert ranked(session, shop.id, r, limit=limit) == _expected(products, r)[:limit], (r, limit)


def test_ranked_steps_through_options_few_products_have(session: Session, shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    products = _published(session, shop)
    for order in ("price_desc", "price_asc", "newest"):
        for r in (Ranking(order=order, options=["M"]), Ranking(order=order, options=["no such value"]),
                  Ranking(order=order, options=["m"], in_stock_only=True, max_price=Decimal("60"))):
            assert ranked(session, shop.id, r, limit=100) == _expected(products, r), r
            # Only the first READ products in the order are read: those of them that fit, in the order.
            monkeypatch.setattr(ranking, "READ", 3)
            # (read: the products whose own flags and price range pass, as the index gives them)
            read = [p for p in products if (p.available or not r.in_stock_only)
                    and (r.max_price is None or p.price_min <= r.max_price)]
            first = set(_expected(read, Ranking(order=order))[:3])
            assert ranked(session, shop.id, r, limit=100) == [i for i in _expected(products, r) if i in first], r
            monkeypatch.setattr(ranking, "READ", 500)
    # With words, matches are read deeper while too few have the option values (only the new ones checked).
    calls: list[int] = []
    keep = ranking._keep
    monkeypatch.setattr(ranking, "_keep", lambda s, i, r, o, ids: calls.append(len(ids)) or keep(s, i, r, o, ids))
    for query, options in (("shirt", ["M"]), ("top", ["Medium"]), ("blue", ["no such value"])):
        r = Ranking(order="price_asc", query=query, options=options)
        for limit in (1, 3):
            calls.clear()
            assert ranked(session, shop.id, r, limit=limit) == _expected(_published(session, shop), r)[:limit], r
            matches = [p for p in _published(session, shop) if query in _words(p)]
            assert sum(calls) <= len(matches), (r, calls)  # no match is checked twice


def test_ranked_refuses_an_unknown_order(session: Session, shop: Shop) -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        ranked(session, shop.id, Ranking(order="popular"))


def test_vendors_named_finds_the_shops_published_vendors_whatever_their_case(session: Session, shop: Shop) -> None:
    products = _published(session, shop)
    vendors = sorted({p.vendor for p in products if p.vendor})
    assert vendors
    asked = [vendors[0].upper(), f"  {vendors[-1].lower()} ", "no such maker", ""]
    assert ranking.vendors_named(session, shop.id, asked) == sorted({vendors[0], vendors[-1]})
    assert ranking.vendors_named(session, shop.id, ["", " "]) == []
    for p in products:
        if p.vendor == vendors[0]:
            p.published = False  # a vendor of drafts only is not named
    session.flush()
    assert ranking.vendors_named(session, shop.id, asked) == ([vendors[-1]] if vendors[-1] != vendors[0] else [])


# -- a product by its title -------------------------------------------------------------


def test_product_by_title_in_a_small_and_a_large_catalog(session: Session, shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shirt = session.scalar(select(Product.id).where(Product.shop_id == shop.id, Product.title == "Ocean Blue Shirt"))
    assert product_by_title(session, shop.id, "ocean blue shirt") == shirt
    assert product_by_title(session, shop.id, "Ocean Blu Shirt") == shirt  # spelling forgiven
    assert product_by_title(session, shop.id, "") is None
    monkeypatch.setattr(lookup, "SMALL_CATALOG", 3)  # only the search's matches are compared now
    assert product_by_title(session, shop.id, "ocean blue shirt") == shirt
    assert product_by_title(session, shop.id, "Ocean Blu Shirt") == shirt
    assert product_by_title(session, shop.id, "qqqq zzzz") is None


def test_catalog_size_counts_no_further_than_asked(session: Session, shop: Shop) -> None:
    total = len(_published(session, shop))
    assert lookup.catalog_size(session, shop.id, 1000) == total
    assert lookup.catalog_size(session, shop.id, 5) == 5


# -- the catalog version ------------------------------------------------------------------


def test_writes_of_products_bump_the_catalog_version(session: Session, shop: Shop) -> None:
    before = catalog_version.current(session, shop.id)
    record = ProductRecord(external_id="cape-1", handle="cape", title="Velvet Cape", variants=(
        VariantRecord(external_id="cape-1-v", title="Default Title", price=Decimal("95.00")),))
    upsert_products(session, shop.id, [record])
    after = catalog_version.current(session, shop.id)
    assert after is not None and before is not None and after > before
    upsert_products(session, shop.id, [record])  # unchanged: nothing written, nothing bumped
    assert catalog_version.current(session, shop.id) == after
    assert catalog_version.current(session, 10**6) is None
