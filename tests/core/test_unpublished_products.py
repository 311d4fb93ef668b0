"""A draft (unpublished) product is never revealed to a shopper: not by id, by
handle, by title, in a search, in an availability check, through the LLM
engine's tool calls or the built-in engine's follow-ups. And no shopper-facing
module reads products except through ``core.catalog.shelf``, so a new read
cannot forget the filter."""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from core.assistant.builtin import BuiltinEngine
from core.assistant.engine import Turn
from core.assistant.llm import toolrun
from core.assistant.tools import Tools, catalog
from core.catalog.sync import create_run, run_sync
from core.db import Database, Product, Shop
from core.shops import ensure_demo_shop

ROOT = Path(__file__).resolve().parents[2]
#: Packages whose reads of products can reach a shopper.
SHOPPER_FACING = ("core/assistant", "core/demo", "core/widget")


@pytest.fixture
def shop(db: Database) -> Shop:
    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop


def _draft(db: Database, shop: Shop) -> dict[str, Any]:
    """Unpublish a product that is found by every path while published; return what a shopper must not see."""
    with db.session() as session:
        row = session.get(Shop, shop.id)
        assert row is not None
        product = next(p for p in session.query(Product).filter_by(shop_id=shop.id).order_by(Product.id)
                       if len(p.title.split()) >= 2 and p.variants)
        found = catalog.get_product(session, row, product.handle)
        assert found is not None and found["product_id"] == product.id  # visible while published
        assert product.id in [c["product_id"] for c in catalog.search(
            session, row, product.title, min_price=None, max_price=None, category=None, options=[],
            in_stock_only=False, limit=10)]
        product.published = False
        return {"id": product.id, "handle": product.handle, "title": product.title}


def _tools(session: Any, shop_id: int) -> Tools:
    row = session.get(Shop, shop_id)
    assert row is not None
    return Tools(session, row)


def test_a_draft_is_not_found_by_id_handle_or_title(db: Database, shop: Shop) -> None:
    draft = _draft(db, shop)
    with db.session() as session:
        tools = _tools(session, shop.id)
        for ref in (draft["id"], str(draft["id"]), draft["handle"], draft["handle"].upper(), draft["title"]):
            # Nothing, or another (published) product the words fit: never the draft.
            for result in (tools.get_product(ref), tools.check_availability(ref, []),
                           tools.check_availability(ref, ["Medium"])):
                assert draft["title"] not in json.dumps(result), (ref, result)


def test_an_id_out_of_any_range_is_just_not_found(db: Database, shop: Shop) -> None:
    with db.session() as session:
        tools = _tools(session, shop.id)
        for ref in ("9" * 30, 2**63, -(2**63) - 1, 2**40, str(2**31)):
            assert tools.get_product(ref) is None or tools.get_product(ref)["product_id"] != ref


def test_a_draft_is_not_in_searches_or_browsing(db: Database, shop: Shop) -> None:
    draft = _draft(db, shop)
    with db.session() as session:
        tools = _tools(session, shop.id)
        searches = [tools.search_products(draft["title"], limit=10),
                    tools.search_products(draft["handle"].replace("-", " "), limit=10),
                    tools.search_products("", max_price=100000.0, limit=10),
                    tools.search_products("", min_price=0.0, limit=10)]
        for i in range(0, 1000, 10):  # browse every price band, so the draft would come up in one
            searches.append(tools.search_products("", min_price=float(i), max_price=float(i + 10), limit=10))
        for cards in searches:
            assert draft["id"] not in [c["product_id"] for c in cards]


def test_the_llm_engine_tools_do_not_reveal_a_draft(db: Database, shop: Shop) -> None:
    draft = _draft(db, shop)
    with db.session() as session:
        tools = _tools(session, shop.id)
        for name, args in [("get_product", {"ref": draft["handle"]}),
                           ("get_product", {"ref": str(draft["id"])}),
                           ("check_availability", {"product": draft["handle"], "option_values": []}),
                           ("check_availability", {"product": str(draft["id"]), "option_values": ["Red"]}),
                           ("search_products", {"query": draft["title"]})]:
            result = toolrun.run(tools, toolrun.ToolCall("c1", name, json.dumps(args)))
            assert draft["title"] not in json.dumps(result), (name, result)


def test_the_builtin_engine_does_not_follow_up_on_a_draft(db: Database, shop: Shop) -> None:
    """A product shown before it was unpublished is not described, priced or checked afterwards."""
    draft = _draft(db, shop)
    for line in ("how much is it?", "tell me more about it", "is it in stock?", "do you have it in red?"):
        with db.session() as session:
            row = session.get(Shop, shop.id)
            tools = Tools(session, row)  # type: ignore[arg-type]
            turn = Turn(shop=row, conversation_id=0, text=line, history=[],  # type: ignore[arg-type]
                        context={"last": "details", "shown": [draft["id"]], "focus": draft["id"]},
                        unanswered_streak=0)
            reply = BuiltinEngine().reply(turn, tools)
        assert draft["title"] not in reply.text, (line, reply.text)
        assert draft["id"] not in [c["product_id"] for c in reply.cards], line


# -- no shopper-facing module builds its own product query --------------------------


def _product_names(tree: ast.Module) -> set[str]:
    """Names bound to the product models, and module-level names whose value mentions them."""
    names = {"Product", "Variant"}
    for node in tree.body:
        if isinstance(node, ast.Assign) and _mentions(node.value, names):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and node.value is not None and _mentions(node.value, names):
            if isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return names


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


#: Calls that start a read: ``select(...)``, ``session.get(...)``, ``session.query(...)``, ``.select_from(...)``.
_READS = {"select", "get", "query", "select_from", "join"}


def _own_product_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = _product_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called in _READS and any(_mentions(arg, names) for arg in [*node.args, *node.keywords]):
            found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}")
    return found


def test_shopper_facing_code_reads_products_only_through_the_shelf() -> None:
    modules = [p for package in SHOPPER_FACING for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) > 20
    offending = [where for path in modules for where in _own_product_reads(path)]
    assert offending == [], "read products through core.catalog.shelf (published only): " + ", ".join(offending)


def test_the_check_catches_an_unfiltered_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from sqlalchemy import select\nfrom core.db import Product\n"
                      "COLUMNS = (Product.id, Product.title)\n"
                      "def a(session, i):\n    return session.get(Product, i)\n"
                      "def b(session):\n    return session.execute(select(*COLUMNS))\n")
    assert [w.rsplit(":", 1)[1] for w in _own_product_reads(sample)] == ["5", "7"]
