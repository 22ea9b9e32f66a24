"""clone detection a bystander cannot trigger: scan networks, verified places, reviews

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("network", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("place_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("stamps") as batch:
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_stamps_reviewed_by_id_organizations", "organizations", ["reviewed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stamps") as batch:
        batch.drop_constraint("fk_stamps_reviewed_by_id_organizations", type_="foreignkey")
        batch.drop_column("review_note")
        batch.drop_column("reviewed_by_id")
        batch.drop_column("reviewed_at")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("place_verified")
        batch.drop_column("network")
