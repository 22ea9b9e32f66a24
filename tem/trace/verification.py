"""Online verification of a batch's stored history: the record and every event, read
from the database and checked against their signatures and the hash chain.

Step 2 of the one check (:func:`tem.scans.check.check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.crypto.statements import StatementType, parse_statement
from tem.errors import TemError
from tem.models import Batch, Event
from tem.trace import records
from tem.verify.trust import TrustStore
from tem.verify.verifier import HistoryCheck, verify_history


def _signed_batch_parts(raw: bytes) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The signed product and producer snapshots, which the row comparison takes as given."""
    try:
        claims = parse_statement(raw, StatementType.BATCH).claims
    except TemError:
        return None
    product, producer = claims.get("product"), claims.get("producer")
    if isinstance(product, dict) and isinstance(producer, dict):
        return product, producer
    return None


def check_history(
    session: Session, batch: Batch, trust: TrustStore, now: int, *, org_id: str
) -> tuple[HistoryCheck, list[Event]]:
    """Verify a stored batch and its events against their signatures and the chain.

    ``org_id`` is the public id of the organization that owns the batch row.
    """
    parts = _signed_batch_parts(batch.statement)
    if parts is None:
        product: Mapping[str, Any] = {}
        producer: Mapping[str, Any] = {}
    else:
        product, producer = parts
    expected = records.batch_claims(batch, org_id, dict(product), dict(producer))
    events = list(
        session.scalars(select(Event).where(Event.batch_id == batch.id).order_by(Event.seq))
    )
    history = verify_history(
        batch.statement,
        expected,
        [(e.statement, records.event_claims(e, batch.public_id)) for e in events],
        trust,
        now,
        org_id=org_id,
    )
    return history, events
