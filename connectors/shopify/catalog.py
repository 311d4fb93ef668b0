"""Reading the catalog and store content page by page, resumably.

A :class:`Checkpoint` records where the read is: the stage (products, then
pages, then policies), the cursor the current page was fetched with and how
many of that page's records were already handed out. Core saves it after
each batch it stores; a restarted run resumes from it, fetching that page
again and skipping what was already stored, so nothing is read twice into
the database and nothing is missed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from core.connector import ConnectorError, DocumentRecord, ProductRecord

from . import queries
from .graphql import AdminGraphQL, parse_time
from .mapping import iso, page_document, policy_document, product_gid, product_record

STAGES = ("products", "pages", "policies", "done")


@dataclass
class Checkpoint:
    stage: str = "products"
    after: str | None = None
    skip: int = 0

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Checkpoint:
        stage = state.get("stage")
        if stage not in STAGES:
            raise ConnectorError(f"cannot resume a Shopify read from stage {stage!r}", code="bad_resume_state")
        return cls(stage=stage, after=state.get("after"), skip=max(0, int(state.get("skip") or 0)))

    def at(self, after: str | None, skip: int) -> None:
        self.after, self.skip = after, skip

    def next_stage(self, stage: str) -> None:
        self.stage, self.after, self.skip = stage, None, 0


def _updated_since(since: datetime | None) -> str | None:
    return f"updated_at:>='{iso(since)}'" if since is not None else None


def _pages(
    client: AdminGraphQL, query: str, root: str, variables: dict[str, Any], checkpoint: Checkpoint
) -> Iterator[Mapping[str, Any]]:
    """Every node of a paginated root field, from the checkpoint on, keeping the checkpoint current."""
    after, skip = checkpoint.after, checkpoint.skip
    while True:
        connection = client.execute(query, {**variables, "after": after})[root]
        for index, node in enumerate(connection["nodes"]):
            if index < skip:
                continue
            # Set before handing the node out: when the consumer has stored it,
            # resuming from here skips it.
            checkpoint.at(after, index + 1)
            yield node
        page_info = connection["pageInfo"]
        if not page_info["hasNextPage"]:
            return
        after, skip = page_info["endCursor"], 0
        checkpoint.at(after, 0)


def iter_products(
    client: AdminGraphQL, since: datetime | None, storefront_url: str | None, checkpoint: Checkpoint
) -> Iterator[ProductRecord]:
    if checkpoint.stage != "products":
        return
    variables = {"first": queries.PRODUCTS_PAGE, "query": _updated_since(since)}
    for node in _pages(client, queries.PRODUCTS, "products", variables, checkpoint):
        yield product_record(node, _all_variants(client, node), storefront_url)
    checkpoint.next_stage("pages")


def fetch_product(client: AdminGraphQL, product_id: str | int, storefront_url: str | None) -> ProductRecord | None:
    """One product as Shopify has it now, or ``None`` when it no longer exists."""
    node = client.execute(queries.PRODUCT, {"id": product_gid(product_id)}).get("product")
    if node is None:
        return None
    return product_record(node, _all_variants(client, node), storefront_url)


def _all_variants(client: AdminGraphQL, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The nested variant page, completed with follow-up pages when the product has more."""
    variants = node["variants"]
    found = list(variants["nodes"])
    page_info = variants["pageInfo"]
    while page_info["hasNextPage"]:
        product = client.execute(
            queries.PRODUCT_VARIANTS,
            {"id": node["id"], "first": queries.VARIANTS_PAGE, "after": page_info["endCursor"]},
        ).get("product")
        if product is None:  # deleted while we read it
            break
        found.extend(product["variants"]["nodes"])
        page_info = product["variants"]["pageInfo"]
    return found


def iter_documents(
    client: AdminGraphQL,
    since: datetime | None,
    storefront_url: str | None,
    shop_policies: list[Mapping[str, Any]],
    checkpoint: Checkpoint,
) -> Iterator[DocumentRecord]:
    if checkpoint.stage == "pages":
        variables = {"first": queries.PAGES_PAGE, "query": _updated_since(since)}
        for node in _pages(client, queries.PAGES, "pages", variables, checkpoint):
            if node.get("isPublished"):
                yield page_document(node, storefront_url)
        checkpoint.next_stage("policies")
    if checkpoint.stage == "policies":
        for node in shop_policies:
            updated = parse_time(node.get("updatedAt"))
            if since is not None and updated is not None and updated < _aware(since):
                continue
            document = policy_document(node)
            if document is not None:
                yield document
        checkpoint.next_stage("done")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
