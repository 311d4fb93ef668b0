"""Reading a store's products page by page, resumably.

Products are asked for ``orderby=id&order=asc`` 100 at a time, following
``X-WP-TotalPages``; each variable product's variations are read right after
it. A :class:`Checkpoint` says which stage (products, then the site's pages
and posts, see :mod:`.content`), which page is being handed out and how many
of its products were already handed; core saves it with each stored batch,
and a restarted run fetches that page again and skips those.

Incremental reads send ``modified_after`` with ``dates_are_gmt=true`` (the
time compared is ``date_modified_gmt``) and keep only products whose
``date_modified_gmt`` is not older than ``since``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.connector import ConnectorError, ProductRecord

from .client import WooClient
from .mapping import parse_gmt, product_record

STAGES = ("products", "pages", "posts", "done")


@dataclass
class Checkpoint:
    stage: str = "products"
    page: int = 1
    skip: int = 0

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Checkpoint:
        stage = state.get("stage")
        if stage not in STAGES:
            raise ConnectorError(f"cannot resume a WooCommerce read from stage {stage!r}", code="bad_resume_state")
        try:
            page, skip = max(1, int(state.get("page") or 1)), max(0, int(state.get("skip") or 0))
        except (TypeError, ValueError):
            raise ConnectorError("a WooCommerce checkpoint needs whole numbers", code="bad_resume_state") from None
        return cls(stage=stage, page=page, skip=skip)


def gmt_text(moment: datetime) -> str:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S")


def iter_products(client: WooClient, since: datetime | None, checkpoint: Checkpoint) -> Iterator[ProductRecord]:
    params: dict[str, Any] = {"orderby": "id", "order": "asc"}
    cutoff = None
    if since is not None:
        cutoff = (since.replace(tzinfo=UTC) if since.tzinfo is None else since).replace(microsecond=0)
        # WordPress compares strictly after; a second earlier keeps changes made in the cutoff second
        params.update(modified_after=gmt_text(cutoff - timedelta(seconds=1)), dates_are_gmt=True)
    page, pages = checkpoint.page, checkpoint.page
    while page <= pages:
        items, pages = client.get_page("products", params, page)
        skip = checkpoint.skip if page == checkpoint.page else 0
        checkpoint.page, checkpoint.skip = page, skip
        for index, item in enumerate(items):
            if index < skip:
                continue
            modified = parse_gmt(item.get("date_modified_gmt"))
            if cutoff is None or modified is None or modified >= cutoff:
                record = product_with_variations(client, item)
                checkpoint.skip = index + 1
                yield record
            else:
                checkpoint.skip = index + 1
        page += 1
    checkpoint.stage, checkpoint.page, checkpoint.skip = "pages", 1, 0


def variations(client: WooClient, product_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page, pages = 1, 1
    while page <= pages:
        items, pages = client.get_page(f"products/{product_id}/variations", {"orderby": "id", "order": "asc"}, page)
        found.extend(items)
        page += 1
    return found


def product_with_variations(client: WooClient, product: Mapping[str, Any]) -> ProductRecord:
    """A product as a record, its variations read through the API when it is variable."""
    if product.get("type") == "variable" and product.get("variations") and isinstance(product.get("id"), int):
        return product_record(product, variations(client, product["id"]))
    return product_record(product)
