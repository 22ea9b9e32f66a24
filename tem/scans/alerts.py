"""Alerts for inspectors: at most one open alert per subject, also under concurrency.

A subject is ``"stamp:<serial hex>"`` or ``"leak:<kid hex>:<serial hex>"``. The
partial unique index ``uq_alerts_open_subject`` (alerts.subject WHERE status = 'open',
migration 0004) makes a second open alert impossible; :func:`upsert_open_alert`
writes through it with one ``INSERT … ON CONFLICT … DO UPDATE`` (PostgreSQL and
SQLite both have it), so twenty requests finding the same leak at once make one
alert with fresh evidence, never seven, and never a unique-violation 500.

Services ``flush()`` only; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tem.http import metrics
from tem.models import Alert, AlertKind, AlertStatus
from tem.orgs.service import new_public_id
from tem.scans import rules


class _Identified(Protocol):
    """A stamp row or snapshot: only its primary key is used."""

    @property
    def id(self) -> int: ...


OPEN_PREDICATE = "status = 'open'"
"""The predicate of the partial unique index; ON CONFLICT must name it literally."""

_SEVERITY_ORDER = ["medium", "high", "critical"]


def _insert_for(session: Session) -> Any:
    """The dialect's ``insert`` (both have ``on_conflict_do_update``)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def upsert_open_alert(
    session: Session,
    *,
    kind: AlertKind,
    subject: str,
    findings: Sequence[rules.Finding],
    stamp: _Identified | None,
    batch_id: int | None,
    organization_id: int | None,
    kid: bytes | None,
    now: datetime | None = None,
) -> Alert:
    """Open an alert for ``subject``, or refresh the open one; returns it.

    A new alert gets the findings' rules, evidence and message, severity "critical"
    for a key leak, else the highest of the findings'. An open alert for the subject
    keeps its id, stamp, batch and organization; it gets the union of old and new
    rules (sorted), the new evidence, message and severity. A closed alert is never
    touched: the next finding opens a new one.

    Safe under concurrency: the unique index on open subjects serializes the writers
    (PostgreSQL waits for the first to commit, then updates its row; SQLite writers
    take turns), and the row stays locked until the caller's commit, so the rule
    merge below loses nothing.

    Raises:
        ValueError: ``findings`` is empty.
    """
    if not findings:
        raise ValueError("an alert needs at least one finding")
    # 1. What the alert says, exactly as the scan path always built it.
    evidence: dict[str, Any] = {str(f.rule): f.evidence for f in findings}
    message = " ".join(f.message for f in findings)
    severity = (
        "critical"
        if kind is AlertKind.KEY_LEAK
        else max((f.severity for f in findings), key=_SEVERITY_ORDER.index)
    )
    new_rules = [str(f.rule) for f in findings]
    moment = now or datetime.now(UTC)
    public_id = new_public_id()
    # 2. Insert, or on the open alert of this subject take the fresh evidence.
    insert = _insert_for(session)(Alert).values(
        public_id=public_id,
        kind=kind,
        severity=severity,
        status=AlertStatus.OPEN,
        subject=subject,
        stamp_id=stamp.id if stamp is not None else None,
        batch_id=batch_id,
        organization_id=organization_id,
        kid=kid,
        rules=new_rules,
        evidence=evidence,
        message=message,
        created_at=moment,
        updated_at=moment,
    )
    statement = insert.on_conflict_do_update(
        index_elements=["subject"],
        index_where=text(OPEN_PREDICATE),
        set_={
            "severity": insert.excluded.severity,
            "evidence": insert.excluded.evidence,
            "message": insert.excluded.message,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(Alert.id, Alert.public_id, Alert.rules)
    alert_pk, stored_id, stored_rules = session.execute(statement).one()
    if stored_id == public_id:
        metrics.record_alert(kind.value)
    # 3. An existing alert: merge the rules (the row is ours until the commit).
    else:
        merged = sorted({*(stored_rules or []), *new_rules})
        if merged != list(stored_rules or []):
            session.execute(
                update(Alert)
                .where(Alert.id == alert_pk)
                .values(rules=merged)
                .execution_options(synchronize_session=False)
            )
    alert = session.get(Alert, alert_pk, populate_existing=True)
    assert alert is not None  # just written, in this transaction
    return alert
