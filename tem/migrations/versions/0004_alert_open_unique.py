"""At most one open alert per subject (issue 8, L3)

Concurrent scans of one leaked serial used to open several alerts for the same
subject. Duplicates already stored are closed first (the oldest open alert of each
subject stays open), then a partial unique index makes a second open alert impossible.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "uq_alerts_open_subject"
OPEN = "status = 'open'"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE alerts SET status = 'closed' WHERE status = 'open' AND id NOT IN "
            "(SELECT keep FROM (SELECT MIN(id) AS keep FROM alerts WHERE status = 'open' "
            "GROUP BY subject) AS oldest)"
        )
    )
    op.create_index(
        INDEX,
        "alerts",
        ["subject"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="alerts")
