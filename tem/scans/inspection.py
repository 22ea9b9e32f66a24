"""What inspectors (and cooperatives, for their own goods) do with scans: alerts, history, recall.

Visibility follows one rule everywhere: inspectors and authorities see everything;
a cooperative sees what concerns its own batches and stamps, and anything else is
"not found" (no existence leak). Services ``flush()`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tem.errors import Conflict, Forbidden, InvalidInput, NotFound
from tem.models import Alert, AlertStatus, Batch, Organization, Role, Scan, Stamp
from tem.models.scan import PURGED_SESSION
from tem.orgs.service import Principal
from tem.stamps.service import get_stamp
from tem.stamps.tokens import short_serial
from tem.trace.service import get_batch
from tem.validation import MAX_ID, name_problem, text_problem

MAX_PAGE = 500
MAX_NOTE = 2000
RECALL_REASON_LENGTH = (5, 500)
# Where a closed alert keeps who closed it and why (the alert table has no notes column;
# the scan rules only ever rewrite the evidence of *open* alerts, so this stays put).
CLOSURE_KEY = "closure"


def _reviewer(principal: Principal) -> bool:
    return principal.role in (Role.INSPECTOR, Role.AUTHORITY)


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more", field="offset")


def serials_by_id(session: Session, stamp_ids: set[int]) -> dict[int, bytes]:
    """The serials of these stamps, in one query."""
    if not stamp_ids:
        return {}
    rows = session.execute(select(Stamp.id, Stamp.serial).where(Stamp.id.in_(stamp_ids)))
    return dict(rows.all())


# --- alerts ---------------------------------------------------------------------------


def _alert_status(value: str) -> AlertStatus:
    try:
        return AlertStatus(value.strip().lower())
    except ValueError:
        raise InvalidInput("status must be open or closed", field="status") from None


def _visible_alerts(principal: Principal) -> Any:
    """The filter for alerts ``principal`` may read (None: all).

    A cooperative sees the alerts raised for its organization and any alert naming
    one of its batches -- including a key-leak alert, which names the batch whose
    key signed the unissued serial.
    """
    if _reviewer(principal):
        return None
    org_id = principal.organization.id
    own_batches = select(Batch.id).where(Batch.organization_id == org_id)
    return or_(Alert.organization_id == org_id, Alert.batch_id.in_(own_batches))


def list_alerts(
    session: Session,
    principal: Principal,
    status: str | None = "open",
    limit: int = 50,
    offset: int = 0,
) -> list[Alert]:
    """Alerts, most recently updated first; ``status`` None lists open and closed.

    Raises:
        InvalidInput: a status other than open or closed, or a bad page.
    """
    _page(limit, offset)
    query = select(Alert).order_by(Alert.updated_at.desc(), Alert.id.desc())
    visible = _visible_alerts(principal)
    if visible is not None:
        query = query.where(visible)
    if status is not None and status.strip():
        query = query.where(Alert.status == _alert_status(status))
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_alert(
    session: Session, principal: Principal, public_id: str, *, for_update: bool = False
) -> Alert:
    """One alert the caller may read.

    Raises:
        NotFound: no such alert, or not one this cooperative may see (also an id that
            no alert can have: over 100 characters or with control characters).
    """
    if len(public_id) > MAX_ID or name_problem(public_id) is not None:
        raise NotFound("no alert with that id")
    query = select(Alert).where(Alert.public_id == public_id.strip().lower())
    visible = _visible_alerts(principal)
    if visible is not None:
        query = query.where(visible)
    if for_update:
        query = query.with_for_update()
    alert = session.scalars(query).first()
    if alert is None:
        raise NotFound("no alert with that id")
    return alert


def close_alert(
    session: Session,
    principal: Principal,
    public_id: str,
    note: str,
    *,
    now: datetime | None = None,
) -> Alert:
    """Close an open alert, saying why. A new finding on the same stamp opens a new alert.

    Raises:
        Forbidden: the caller is a cooperative.
        InvalidInput: the note is empty or over 2000 characters.
        NotFound: no such alert.
        Conflict: the alert is already closed.
    """
    if not _reviewer(principal):
        raise Forbidden("only inspectors and authorities close alerts")
    problem = text_problem(note)
    if problem is not None:
        raise InvalidInput(f"the note {problem}", field="note")
    note = note.strip()
    if not 1 <= len(note) <= MAX_NOTE:
        raise InvalidInput(
            f"say why the alert is closed, in 1 to {MAX_NOTE} characters", field="note"
        )
    alert = get_alert(session, principal, public_id, for_update=True)
    if alert.status is AlertStatus.CLOSED:
        raise Conflict("the alert is already closed")
    moment = now or datetime.now(UTC)
    alert.status = AlertStatus.CLOSED
    alert.evidence = {
        **(alert.evidence or {}),
        CLOSURE_KEY: {
            "at": moment.isoformat(timespec="seconds"),
            "by": principal.organization.public_id,
            "note": note,
        },
    }
    alert.updated_at = moment
    session.flush()
    return alert


def review_stamp(
    session: Session,
    principal: Principal,
    serial_text: str,
    note: str,
    *,
    now: datetime | None = None,
) -> Stamp:
    """Mark a stamp's scan history as reviewed: the new baseline for the clone rules.

    Scans up to now no longer count towards "suspect" (a bystander's or a competitor's
    scans that an inspector has looked at); later scans do, so a real copy still trips.
    The stamp's open suspect alert is closed with the note, and every verdict says when
    the history was reviewed.

    Raises:
        Forbidden: the caller is a cooperative.
        InvalidInput: the note is empty or over 2000 characters.
        NotFound: no such stamp.
    """
    if not _reviewer(principal):
        raise Forbidden("only inspectors and authorities review a stamp's history")
    note = note.strip()
    if not 1 <= len(note) <= MAX_NOTE:
        raise InvalidInput(
            f"say what the review found, in 1 to {MAX_NOTE} characters", field="note"
        )
    stamp = get_stamp(session, principal, serial_text)
    moment = now or datetime.now(UTC)
    stamp.reviewed_at = moment
    stamp.reviewed_by_id = principal.organization.id
    stamp.review_note = note
    stamp.suspect_since = None
    subject = f"stamp:{stamp.serial.hex()}"
    for alert in session.scalars(
        select(Alert).where(Alert.subject == subject, Alert.status == AlertStatus.OPEN)
    ):
        alert.status = AlertStatus.CLOSED
        alert.evidence = {
            **(alert.evidence or {}),
            CLOSURE_KEY: {
                "at": moment.isoformat(timespec="seconds"),
                "by": principal.organization.public_id,
                "note": note,
                "review": True,
            },
        }
        alert.updated_at = moment
    session.flush()
    return stamp


def alerts_out(session: Session, alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """The API shape of ``alerts``, with serials, batch ids and organization ids filled in."""
    stamp_ids = {a.stamp_id for a in alerts if a.stamp_id is not None}
    batch_ids = {a.batch_id for a in alerts if a.batch_id is not None}
    org_ids = {a.organization_id for a in alerts if a.organization_id is not None}
    serials = serials_by_id(session, stamp_ids)
    batches: dict[int, tuple[bytes, str]] = {}
    orgs: dict[int, str] = {}
    if batch_ids:
        rows = session.execute(
            select(Batch.id, Batch.public_id, Batch.lot_code).where(Batch.id.in_(batch_ids))
        )
        batches = {pk: (public, lot) for pk, public, lot in rows}
    if org_ids:
        found = session.execute(
            select(Organization.id, Organization.public_id).where(Organization.id.in_(org_ids))
        )
        orgs = dict(found.all())
    out = []
    for alert in alerts:
        evidence = dict(alert.evidence or {})
        closure = evidence.pop(CLOSURE_KEY, None)
        serial = serials.get(alert.stamp_id) if alert.stamp_id is not None else None
        batch = batches.get(alert.batch_id) if alert.batch_id is not None else None
        out.append(
            {
                "id": alert.public_id,
                "kind": alert.kind.value,
                "severity": alert.severity,
                "status": alert.status.value,
                "subject": alert.subject,
                "stamp_serial": short_serial(serial) if serial is not None else None,
                "batch_id": batch[0].hex() if batch else None,
                "lot_code": batch[1] if batch else None,
                "organization_id": (
                    orgs.get(alert.organization_id) if alert.organization_id is not None else None
                ),
                "key_id": alert.kid.hex() if alert.kid else None,
                "rules": list(alert.rules or []),
                "evidence": evidence,
                "message": alert.message,
                "created_at": alert.created_at,
                "updated_at": alert.updated_at,
                "closure": closure if isinstance(closure, dict) else None,
            }
        )
    return out


# --- scan history ---------------------------------------------------------------------


def stamp_scans(
    session: Session, principal: Principal, serial_text: str, limit: int = 100, offset: int = 0
) -> tuple[Stamp, list[Scan]]:
    """Every scan of one stamp, newest first, public and inspection alike.

    Raises:
        NotFound: no such stamp, or another cooperative's.
        InvalidInput: a bad page.
    """
    _page(limit, offset)
    stamp = get_stamp(session, principal, serial_text)
    scans = session.scalars(
        select(Scan)
        .where(Scan.stamp_id == stamp.id)
        .order_by(Scan.scanned_at.desc(), Scan.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return stamp, list(scans)


def batch_scans(
    session: Session, principal: Principal, batch_id: str, limit: int = 100, offset: int = 0
) -> tuple[Batch, list[Scan]]:
    """Every scan of a batch's label and stamps, newest first.

    Raises:
        NotFound: no such batch, or another cooperative's.
        InvalidInput: a bad page.
    """
    _page(limit, offset)
    batch = get_batch(session, principal, batch_id)
    scans = session.scalars(
        select(Scan)
        .where(Scan.batch_id == batch.id)
        .order_by(Scan.scanned_at.desc(), Scan.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return batch, list(scans)


def browser_ordinals(session: Session, scans: Sequence[Scan]) -> dict[int, int]:
    """For each scan id, which browser made it: 1 for the first browser that ever scanned
    that stamp (or that batch's label), 2 for the next one, and so on.

    Lets a reader tell one phone from another in a history without showing anything
    derived from the cookie: the session hash is keyed by the server's secret, and even
    a part of it would let whoever chose their own cookie test guesses of that secret.
    The numbering covers the whole history, so every page of it agrees. A scan whose
    details were purged (:mod:`tem.scans.privacy`: its session is empty) is 0, unknown,
    and is not numbered.
    """
    stamp_ids = {s.stamp_id for s in scans if s.stamp_id is not None}
    label_batches = {s.batch_id for s in scans if s.stamp_id is None and s.batch_id is not None}
    first_seen: dict[tuple[str, int], list[tuple[int, str]]] = {}
    if stamp_ids:
        rows = session.execute(
            select(Scan.stamp_id, Scan.session, func.min(Scan.id))
            .where(Scan.stamp_id.in_(stamp_ids), Scan.session != PURGED_SESSION)
            .group_by(Scan.stamp_id, Scan.session)
        )
        for stamp_id, sid, first in rows:
            if stamp_id is None:  # excluded by the query; says so to the type checker
                continue
            first_seen.setdefault(("stamp", int(stamp_id)), []).append((int(first), str(sid)))
    if label_batches:
        rows = session.execute(
            select(Scan.batch_id, Scan.session, func.min(Scan.id))
            .where(
                Scan.stamp_id.is_(None),
                Scan.batch_id.in_(label_batches),
                Scan.session != PURGED_SESSION,
            )
            .group_by(Scan.batch_id, Scan.session)
        )
        for batch_id, sid, first in rows:
            if batch_id is None:
                continue
            first_seen.setdefault(("label", int(batch_id)), []).append((int(first), str(sid)))
    ordinal = {
        (subject, sid): number
        for subject, seen in first_seen.items()
        for number, (_, sid) in enumerate(sorted(seen), start=1)
    }
    found: dict[int, int] = {}
    for scan in scans:
        if scan.stamp_id is not None:
            subject = ("stamp", scan.stamp_id)
        elif scan.batch_id is not None:
            subject = ("label", scan.batch_id)
        else:
            continue
        found[scan.id] = ordinal.get((subject, scan.session), 0)
    return found


def scans_out(session: Session, scans: Sequence[Scan]) -> list[dict[str, Any]]:
    """The API shape of scans. Browsers are told apart by :func:`browser_ordinals`."""
    stamp_ids = {s.stamp_id for s in scans if s.stamp_id is not None}
    serials = serials_by_id(session, stamp_ids)
    browsers = browser_ordinals(session, scans)
    out = []
    for scan in scans:
        serial = serials.get(scan.stamp_id) if scan.stamp_id is not None else None
        out.append(
            {
                "id": scan.public_id,
                "scanned_at": scan.scanned_at,
                "kind": scan.kind.value,
                "verdict": scan.verdict,
                "stamp_serial": short_serial(serial) if serial is not None else None,
                "ua_family": scan.ua_family,
                "os_family": scan.os_family,
                "place_name": scan.place_name,
                "lat": scan.lat,
                "lon": scan.lon,
                "browser": browsers.get(scan.id, 0),
            }
        )
    return out


# --- recall ---------------------------------------------------------------------------


def recall_batch(
    session: Session,
    principal: Principal,
    batch_id: str,
    reason: str,
    now: datetime | None = None,
) -> Batch:
    """Recall a batch: every shopper who scans its label or any of its stamps is told why.

    The batch's own cooperative or an authority may recall; an inspector reports
    to the authority instead.

    Raises:
        Forbidden: the caller is an inspector.
        InvalidInput: the reason is outside 5..500 characters.
        NotFound: no such batch, or another cooperative's.
        Conflict: the batch is already recalled.
    """
    if principal.role is Role.INSPECTOR:
        raise Forbidden("inspectors cannot recall a batch; the cooperative or an authority can")
    problem = text_problem(reason)
    if problem is not None:
        raise InvalidInput(f"the reason {problem}", field="reason")
    reason = reason.strip()
    low, high = RECALL_REASON_LENGTH
    if not low <= len(reason) <= high:
        raise InvalidInput(
            f"give a reason of {low} to {high} characters; shoppers will read it", field="reason"
        )
    batch = get_batch(session, principal, batch_id, for_update=True)
    if batch.recalled_at is not None:
        raise Conflict(f"the batch was already recalled on {batch.recalled_at:%Y-%m-%d}")
    batch.recalled_at = now or datetime.now(UTC)
    batch.recall_reason = reason
    batch.recalled_by_id = principal.organization.id
    session.flush()
    return batch


def recall_out(session: Session, batch: Batch) -> dict[str, Any]:
    """The recall fields added to a batch's JSON."""
    by = (
        session.scalar(
            select(Organization.public_id).where(Organization.id == batch.recalled_by_id)
        )
        if batch.recalled_by_id is not None
        else None
    )
    return {
        "recalled_at": batch.recalled_at,
        "recall_reason": batch.recall_reason,
        "recalled_by": by,
    }
