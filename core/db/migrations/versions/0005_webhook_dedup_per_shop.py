"""webhook deliveries de-duplicated per shop: (platform, shop_ref, delivery_id)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

A delivery id is the platform's id for one shop's delivery; de-duplicating on
it across all shops let one shop's delivery (or one a shop's owner sends with
another shop's id) suppress another's. ``shop_ref`` is the platform's
reference of the shop the delivery was for ('' when none was named); rows
stored before this revision get their shop's reference.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_deliveries = sa.table(
    "webhook_deliveries",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("delivery_id", sa.String),
    sa.column("shop_id", sa.Integer),
    sa.column("shop_ref", sa.String),
)
_shops = sa.table("shops", sa.column("id", sa.Integer), sa.column("platform_ref", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shop_ref", sa.String(length=255), nullable=False, server_default=""))
    ref = sa.select(_shops.c.platform_ref).where(_shops.c.id == _deliveries.c.shop_id).scalar_subquery()
    op.execute(
        _deliveries.update().where(_deliveries.c.shop_id.is_not(None)).values(shop_ref=sa.func.coalesce(ref, ""))
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_webhook_deliveries_platform_delivery", type_="unique")
        batch_op.create_unique_constraint(
            "uq_webhook_deliveries_platform_shop_delivery", ["platform", "shop_ref", "delivery_id"]
        )


def downgrade() -> None:
    # Back to one row per (platform, delivery_id): the first of each is kept.
    first = (
        sa.select(sa.func.min(_deliveries.c.id))
        .group_by(_deliveries.c.platform, _deliveries.c.delivery_id)
        .scalar_subquery()
    )
    op.execute(_deliveries.delete().where(_deliveries.c.id.not_in(sa.select(first))))
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_webhook_deliveries_platform_shop_delivery", type_="unique")
        batch_op.create_unique_constraint("uq_webhook_deliveries_platform_delivery", ["platform", "delivery_id"])
        batch_op.drop_column("shop_ref")
