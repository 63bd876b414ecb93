"""sources: posts deleted at their source are marked and erased

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signals.store.columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(
            sa.Column(
                "rechecked_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(
            sa.Column("deleted_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("rechecked_at")
