"""Record scans and judge them: stamp lookup, key-leak alarm, void, recall, clone rules.

Steps 3-5 of the one check (:func:`tem.scans.check.check`): every public scan (the page
and ``POST /api/v1/scan``), inspections, and read-only ``GET /api/v1/verify``.
No IP address reaches this module: a scan carries an HMAC of the browser's random
cookie, a user-agent family and, only when the shopper shared it, a coarse place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tem.crypto.statements import Token
from tem.models import AlertKind, Batch, Scan, ScanKind, Stamp, StampStatus
from tem.orgs.service import new_public_id
from tem.scans import rules, useragent
from tem.scans.alerts import upsert_open_alert
from tem.scans.places import coarse, nearest_place
from tem.verify.verifier import Reason, ReasonCode, ReasonSubject, Verdict

# How much history the rules see: the first scan (for "since") and the latest ones.
HISTORY_LIMIT = 2000


@dataclass(frozen=True)
class ScanInput:
    """One scan as the web layer or CLI saw it."""

    cookie: str  # the browser's random session cookie (never stored as is)
    user_agent: str | None
    kind: ScanKind = ScanKind.PUBLIC
    inspector_org_id: int | None = None
    place: tuple[float, float] | None = None  # coarse, only when shared
    place_name: str | None = None
    # True only for a place from the page's own consent form; an API client's is kept
    # but never counts towards impossible travel.
    place_verified: bool = False
    network: str | None = None  # network_hash() of the client's address


def network_hash(address: str | None, secret: bytes) -> str | None:
    """A keyed hash of the client's network, never the address itself: the /24 of an
    IPv4 address, the /48 of an IPv6 one (what one household, office or phone carrier's
    client usually keeps while it rotates cookies). Text that is no address is hashed as
    it is; None stays None."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        prefix = address[:64]
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        bits = 24 if ip.version == 4 else 48
        prefix = str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))
    return hmac.new(secret, b"network\x00" + prefix.encode(), hashlib.sha256).hexdigest()[:32]


def new_cookie() -> str:
    return secrets.token_urlsafe(18)


def session_hash(cookie: str, secret: bytes) -> str:
    """What is stored for a browser session: an HMAC of its cookie, not the cookie."""
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()[:32]


def _unix(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


_SCANS = cast(Table, Scan.__table__)
_SCAN_FACT_COLUMNS = (
    _SCANS.c.scanned_at,
    _SCANS.c.session,
    _SCANS.c.lat,
    _SCANS.c.lon,
    _SCANS.c.place_name,
    _SCANS.c.kind,
    _SCANS.c.network,
    _SCANS.c.place_verified,
)
_LATEST_SCANS = (
    select(*_SCAN_FACT_COLUMNS)
    .where(_SCANS.c.stamp_id == bindparam("stamp_id"))
    .order_by(_SCANS.c.scanned_at.desc(), _SCANS.c.id.desc())
    .limit(HISTORY_LIMIT)
)
_FIRST_SCAN = (
    select(*_SCAN_FACT_COLUMNS)
    .where(_SCANS.c.stamp_id == bindparam("stamp_id"))
    .order_by(_SCANS.c.scanned_at, _SCANS.c.id)
    .limit(1)
)


def _facts(session: Session, stamp: StampState, batch: Batch, now: int) -> rules.StampFacts:
    connection = session.connection()
    rows = connection.execute(_LATEST_SCANS, {"stamp_id": stamp.id}).all()
    if len(rows) == HISTORY_LIMIT:  # more than the rules look at: keep the very first too
        rows = [*rows, *connection.execute(_FIRST_SCAN, {"stamp_id": stamp.id}).all()]
    scans: list[rules.ScanFact] = []
    seen = set()
    for at, sid, lat, lon, place_name, kind, network, verified in rows:
        key = (at, sid, kind)
        if key in seen:
            continue
        seen.add(key)
        place = (lat, lon) if lat is not None and lon is not None else None
        scans.append(
            rules.ScanFact(
                _unix(at) or 0,
                sid,
                place,
                place_name,
                kind is ScanKind.INSPECTION,
                network,
                bool(verified),
            )
        )
    return rules.StampFacts(
        issued=True,
        void=stamp.status is StampStatus.VOID,
        voided_at=_unix(stamp.voided_at),
        void_reason=stamp.void_reason,
        batch_recalled=batch.recalled_at is not None,
        recall_reason=batch.recall_reason,
        recalled_at=_unix(batch.recalled_at),
        scans=scans,
        now=now,
        reviewed_at=_unix(stamp.reviewed_at),
    )


_STAMPS = cast(Table, Stamp.__table__)
_SCANS_TABLE = cast(Table, Scan.__table__)
_STAMP_COLUMNS = (
    _STAMPS.c.id,
    _STAMPS.c.batch_id,
    _STAMPS.c.serial,
    _STAMPS.c.seq,
    _STAMPS.c.status,
    _STAMPS.c.voided_at,
    _STAMPS.c.void_reason,
    _STAMPS.c.scan_count,
    _STAMPS.c.first_scan_at,
    _STAMPS.c.suspect_since,
    _STAMPS.c.reviewed_at,
)
_STAMP_BY_SERIAL = select(*_STAMP_COLUMNS).where(_STAMPS.c.serial == bindparam("serial"))


@dataclass(frozen=True)
class StampState:
    """A stamp as the check read it (and, after a scan, as its one UPDATE left it)."""

    id: int
    batch_id: int
    serial: bytes
    seq: int
    status: StampStatus
    voided_at: datetime | None
    void_reason: str | None
    scan_count: int
    first_scan_at: datetime | None
    suspect_since: datetime | None
    reviewed_at: datetime | None


_INSERT_SCAN = insert(_SCANS_TABLE).values(
    {c.name: bindparam(c.name) for c in _SCANS_TABLE.c if c.name != "id"}
)


def _stamp_update(*, counted: bool, mark: bool) -> Any:
    """The one UPDATE of a stamp a scan makes: its counters and/or the suspect mark, with
    the row as it then is (RETURNING)."""
    values: dict[str, Any] = {}
    if counted:
        values["scan_count"] = _STAMPS.c.scan_count + 1
        values["first_scan_at"] = func.coalesce(_STAMPS.c.first_scan_at, bindparam("moment"))
    if mark:
        values["suspect_since"] = bindparam("moment")
    return (
        update(_STAMPS)
        .where(_STAMPS.c.id == bindparam("stamp_id"))
        .values(values)
        .returning(*_STAMP_COLUMNS)
    )


# Built once: (counted, mark) -> statement; neither means no UPDATE at all.
_STAMP_UPDATES = {
    (counted, mark): _stamp_update(counted=counted, mark=mark)
    for counted in (False, True)
    for mark in (False, True)
    if counted or mark
}


def load_stamp(session: Session, serial: bytes) -> StampState | None:
    """The stamp with this serial: one indexed query whatever the answer (constant shape)."""
    row = session.connection().execute(_STAMP_BY_SERIAL, {"serial": serial}).first()
    return StampState(**row._mapping) if row is not None else None


@dataclass(frozen=True)
class Judged:
    """What :func:`judge_stamp` adds to a verified code."""

    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    stamp: StampState | None = None
    findings: tuple[rules.Finding, ...] = ()
    scan_id: str | None = None
    place_name: str | None = None


def _reasons(findings: Sequence[rules.Finding]) -> tuple[Reason, ...]:
    return tuple(
        Reason(
            ReasonCode(f.rule),
            f.message,
            ReasonSubject.BATCH if f.rule == "recalled" else ReasonSubject.STAMP,
            evidence=f.evidence,
        )
        for f in findings
    )


def judge_stamp(
    session: Session,
    token: Token,
    batch: Batch,
    verdict: Verdict,
    scan: ScanInput | None,
    *,
    secret: bytes,
    thresholds: rules.Thresholds,
    moment: datetime,
) -> Judged:
    """Steps 3-5 of :func:`tem.scans.check.check` for a code whose signature verified.

    Loads the stamp, applies the void, recall and clone rules to what the database says
    now, records ``scan`` (None: read-only) and raises the inspectors' alert. The verdict
    is changed only while it is still "genuine" (a broken record stays "invalid").
    """
    unix = int(moment.timestamp())
    stamp: StampState | None = None
    # 3. A stamp's serial must have been issued, for this very batch. One indexed
    #    lookup whatever the answer, so timing says nothing about which serials exist.
    if token.serial is not None:
        stamp = load_stamp(session, token.serial)
        if stamp is None:
            leak = rules.evaluate(
                rules.StampFacts(False, False, None, None, False, None, None, (), unix)
            )
            upsert_open_alert(
                session,
                kind=AlertKind.KEY_LEAK,
                subject=f"leak:{token.kid.hex()}:{token.serial.hex()}",
                findings=leak,
                stamp=None,
                batch_id=batch.id,
                organization_id=batch.organization_id,
                kid=bytes(token.kid),
            )
            return Judged(Verdict.INVALID, _reasons(leak), findings=tuple(leak))
        if stamp.batch_id != batch.id:
            mismatch = Reason(
                ReasonCode.STAMP_BATCH_MISMATCH,
                "The stamp's stored batch no longer matches its signature.",
                ReasonSubject.STAMP,
            )
            return Judged(Verdict.INVALID, (mismatch,))
    # 4. The rules: void, recall, and (for stamps) clone detection from the history,
    #    which includes this scan when it is being recorded.
    place = coarse(*scan.place) if scan is not None and scan.place is not None else None
    place_name = None
    if scan is not None:
        place_name = scan.place_name or (nearest_place(*place).name_vi if place else None)
    sid = session_hash(scan.cookie, secret) if scan is not None else ""
    if stamp is None:  # a batch label: copies are expected, only the recall applies
        findings = [f for f in (rules.rule_recalled(_batch_facts(batch, unix)),) if f is not None]
    else:
        facts = _facts(session, stamp, batch, unix)
        if scan is not None:
            current = rules.ScanFact(unix, sid, place, place_name, scan.kind is ScanKind.INSPECTION)
            facts = dataclasses.replace(facts, scans=[*facts.scans, current])
        findings = rules.evaluate(facts, thresholds)
    ruled = rules.verdict_for(findings)
    if ruled is not None and verdict is Verdict.GENUINE:
        verdict = Verdict(ruled)
    suspicious = [f for f in findings if f.rule in rules.SUSPECT_RULES]
    # 5. Record the scan: a row per scan, and one atomic UPDATE of the stamp's counters
    #    (no lost updates) that also marks it suspect.
    scan_id = None
    connection = session.connection()
    if scan is not None:
        scan_id = new_public_id()
        connection.execute(
            _INSERT_SCAN,
            {
                "public_id": scan_id,
                "stamp_id": stamp.id if stamp is not None else None,
                "batch_id": batch.id,
                "scanned_at": moment,
                "session": sid,
                "ua_family": useragent.family(scan.user_agent),
                "os_family": useragent.os_family(scan.user_agent),
                "kind": scan.kind,
                "inspector_org_id": scan.inspector_org_id,
                "verdict": verdict.value,
                "lat": place[0] if place else None,
                "lon": place[1] if place else None,
                "place_name": place_name,
                "place_verified": scan.place_verified and place is not None,
                "network": scan.network,
            },
        )
    if stamp is not None:
        counted = scan is not None and scan.kind is ScanKind.PUBLIC
        mark = bool(suspicious) and stamp.suspect_since is None
        statement = _STAMP_UPDATES.get((counted, mark))
        if statement is not None:
            changed = connection.execute(statement, {"stamp_id": stamp.id, "moment": moment})
            stamp = StampState(**changed.one()._mapping)
    # A stamp that looks copied raises (or refreshes) the inspectors' alert.
    if stamp is not None and suspicious:
        upsert_open_alert(
            session,
            kind=AlertKind.SUSPECT_STAMP,
            subject=f"stamp:{stamp.serial.hex()}",
            findings=suspicious,
            stamp=stamp,
            batch_id=batch.id,
            organization_id=batch.organization_id,
            kid=None,
        )
    return Judged(
        verdict,
        _reasons(findings),
        stamp,
        tuple(findings),
        scan_id,
        place_name if scan_id is not None else None,
    )


def _batch_facts(batch: Batch, now: int) -> rules.StampFacts:
    return rules.StampFacts(
        issued=True,
        void=False,
        voided_at=None,
        void_reason=None,
        batch_recalled=batch.recalled_at is not None,
        recall_reason=batch.recall_reason,
        recalled_at=_unix(batch.recalled_at),
        scans=(),
        now=now,
    )
