"""content hashes on products and documents, so a sync skips what did not change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Rows stored before this revision have no hash: the next sync writes them once
more and records it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
