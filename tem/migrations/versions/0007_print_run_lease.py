"""Print runs: the lease of the one process issuing a run (token and expiry)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("print_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("issuer_lease_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would recreate
    # print_runs, which stamps refer to, and trip the foreign keys.
    op.drop_column("print_runs", "issuer_lease_until")
    op.drop_column("print_runs", "issuer_token")
