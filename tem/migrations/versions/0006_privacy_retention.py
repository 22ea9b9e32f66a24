"""Retention of personal data (issue 8, Privacy): reports' closing time, the purge's index

``reports.closed_at`` starts the clock after which a shopper's contact and photo are
erased. Reports closed before this migration get the time of the note that closed them
(each status change appends a note with its time and the new status), else their
``updated_at``. A partial index on ``scans.scanned_at`` holds only scans whose details
are still kept (``session <> ''``), so the daily purge never reads purged rows.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "ix_scans_detail_kept"
DETAIL_KEPT = "session <> ''"
CLOSED = ("confirmed_counterfeit", "dismissed")


def _closing_time(status: str, notes: Any, updated_at: Any) -> Any:
    """The time of the first note that moved the report to ``status``, else ``updated_at``."""
    if isinstance(notes, str):
        try:
            notes = json.loads(notes)
        except ValueError:
            notes = None
    for note in notes if isinstance(notes, list) else ():
        if isinstance(note, dict) and note.get("status") == status:
            try:
                moment = datetime.fromisoformat(str(note.get("at")))
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
    return updated_at


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    reports = sa.table(
        "reports",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("notes", sa.JSON()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("closed_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(reports.c.id, reports.c.status, reports.c.notes, reports.c.updated_at).where(
            reports.c.status.in_(CLOSED)
        )
    ).all()
    for pk, status, notes, updated_at in rows:
        bind.execute(
            sa.update(reports)
            .where(reports.c.id == pk)
            .values(closed_at=_closing_time(status, notes, updated_at))
        )
    op.create_index(
        INDEX,
        "scans",
        ["scanned_at"],
        sqlite_where=sa.text(DETAIL_KEPT),
        postgresql_where=sa.text(DETAIL_KEPT),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="scans")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("closed_at")
