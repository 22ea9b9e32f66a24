"""Online verification of a batch's stored history: the record and every event, read
from the database and checked against their signatures and the hash chain.

Step 2 of the one check (:func:`tem.scans.check.check`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from tem.crypto.statements import StatementType, parse_statement
from tem.errors import TemError
from tem.models import Batch, Event, Organization
from tem.trace import records
from tem.verify.trust import TrustStore
from tem.verify.verifier import HistoryCheck, ReasonCode, verify_history


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


# Built once: constructing a statement costs more than running it. Core rows, not ORM
# objects: a check reads these on every scan and changes none of them.
_BATCHES = Batch.__table__
_ORGS = Organization.__table__
_EVENTS = Event.__table__
_BATCH_BY_PUBLIC_ID = (
    select(*_BATCHES.c, _ORGS.c.public_id.label("org_public_id"))
    .join_from(_BATCHES, _ORGS, _ORGS.c.id == _BATCHES.c.organization_id)
    .where(_BATCHES.c.public_id == bindparam("public_id"))
)
_EVENTS_OF_BATCH = (
    select(*_EVENTS.c).where(_EVENTS.c.batch_id == bindparam("batch_id")).order_by(_EVENTS.c.seq)
)

# Verified histories by their stored rows. A signed statement never changes, so the
# verification of unchanged rows under the same trust store can be reused; any change
# to a row (a recall, an edit, a new event) is a different key, and a new trust store
# (a key, endorsement or revocation added) misses too.
HISTORY_CACHE_LIMIT = 20_000
_cache: dict[tuple[Any, ...], History] = {}


@dataclass
class History:
    """A batch's stored rows and their verification.

    ``batch`` is the batch row (every column of ``batches`` plus ``org_public_id``) and
    ``events`` the event rows in stored order; ``outputs`` is a slot where a caller may
    keep what it derives from them (the same rows always derive the same).
    """

    batch: Row[Any]
    events: tuple[Row[Any], ...]
    check: HistoryCheck
    trust: TrustStore
    valid_until: int
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def org_id(self) -> str:
        return str(self.batch.org_public_id)


def load_history(
    session: Session, batch_public_id: bytes, trust: TrustStore, now: int
) -> History | None:
    """Read a batch and its events (two indexed queries) and verify them against their
    signatures and the chain; None when there is no such batch.

    Stored state is read on every call; only the verification of rows already seen
    (under the same ``trust``, and while every signer's verification window lasts) is
    taken from a cache.
    """
    connection = session.connection()
    batch = cast(
        "Row[Any] | None",
        connection.execute(_BATCH_BY_PUBLIC_ID, {"public_id": batch_public_id}).first(),
    )
    if batch is None:
        return None
    events = tuple(connection.execute(_EVENTS_OF_BATCH, {"batch_id": batch.id}).all())
    key = (tuple(batch), *(tuple(e) for e in events))
    cached = _cache.get(key)
    if cached is not None and cached.trust is trust and now < cached.valid_until:
        return cached
    check = check_history(
        cast(Batch, batch),
        [cast(Event, e) for e in events],
        trust,
        now,
        org_id=str(batch.org_public_id),
    )
    history = History(batch, events, check, trust, _valid_until(check))
    if len(_cache) >= HISTORY_CACHE_LIMIT:
        _cache.clear()
    _cache[key] = history
    return history


def _valid_until(check: HistoryCheck) -> int:
    """Until when this verification holds as time passes: the earliest end of a signer's
    verification window; 0 (never reuse) when something was signed in the future."""
    records = (check.batch, *check.events)
    if any(r.code is ReasonCode.ISSUED_IN_FUTURE for c in records for r in c.reasons):
        return 0
    ends = [c.signer.verify_until for c in records if c.signer is not None]
    return min(ends, default=0)


def check_history(
    batch: Batch, events: Sequence[Event], trust: TrustStore, now: int, *, org_id: str
) -> HistoryCheck:
    """Verify a stored batch and its events against their signatures and the chain.

    ``org_id`` is the public id of the organization that owns the batch row. Accepts
    ORM objects or rows with the same attributes.
    """
    parts = _signed_batch_parts(batch.statement)
    if parts is None:
        product: Mapping[str, Any] = {}
        producer: Mapping[str, Any] = {}
    else:
        product, producer = parts
    expected = records.batch_claims(batch, org_id, dict(product), dict(producer))
    return verify_history(
        batch.statement,
        expected,
        [(e.statement, records.event_claims(e, batch.public_id)) for e in events],
        trust,
        now,
        org_id=org_id,
    )
