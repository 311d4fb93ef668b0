"""catalog lookups that do not grow with the catalog: a per-shop catalog version
and indexes for browsing by price, by age and by vendor

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-06

``shops.catalog_version`` is bumped by every write of a shop's products
(``core.catalog.version.bump``), so the assistant's per-process vocabulary
learns of a change by reading one row, instead of counting the shop's products.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalog_version', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_products_shop_price', 'products', ['shop_id', 'price_min', 'id'])
    op.create_index('ix_products_shop_price_max', 'products', ['shop_id', 'price_max', 'id'])
    op.create_index('ix_products_shop_id', 'products', ['shop_id', 'id'])
    op.create_index('ix_products_shop_vendor', 'products', ['shop_id', 'vendor'])


def downgrade() -> None:
    op.drop_index('ix_products_shop_vendor', table_name='products')
    op.drop_index('ix_products_shop_id', table_name='products')
    op.drop_index('ix_products_shop_price_max', table_name='products')
    op.drop_index('ix_products_shop_price', table_name='products')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('catalog_version')
