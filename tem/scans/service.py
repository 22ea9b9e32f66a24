"""Record scans and judge them: stamp lookup, key-leak alarm, void, recall, clone rules.

Runs after :func:`tem.trace.verification.verify_report` on every public scan (the page
and ``POST /api/v1/scan``), on inspections, and read-only on ``GET /api/v1/verify``.
No IP address reaches this module: a scan carries an HMAC of the browser's random
cookie, a user-agent family and, only when the shopper shared it, a coarse place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tem.models import Alert, AlertKind, AlertStatus, Batch, Scan, ScanKind, Stamp, StampStatus
from tem.orgs.service import new_public_id
from tem.scans import rules, useragent
from tem.scans.places import coarse, nearest_place
from tem.stamps.service import find_by_serial
from tem.trace.verification import Report
from tem.verify.verifier import Reason, Verdict

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


def _facts(
    session: Session, stamp: Stamp | None, batch: Batch | None, now: int
) -> rules.StampFacts:
    scans: list[rules.ScanFact] = []
    if stamp is not None:
        base = select(
            Scan.scanned_at, Scan.session, Scan.lat, Scan.lon, Scan.place_name, Scan.kind
        ).where(Scan.stamp_id == stamp.id)
        latest = session.execute(
            base.order_by(Scan.scanned_at.desc(), Scan.id.desc()).limit(HISTORY_LIMIT)
        ).all()
        first = session.execute(base.order_by(Scan.scanned_at, Scan.id).limit(1)).all()
        seen = set()
        for at, sid, lat, lon, place_name, kind in [*first, *latest]:
            key = (at, sid, kind)
            if key in seen:
                continue
            seen.add(key)
            place = (lat, lon) if lat is not None and lon is not None else None
            scans.append(
                rules.ScanFact(_unix(at) or 0, sid, place, place_name, kind is ScanKind.INSPECTION)
            )
    return rules.StampFacts(
        issued=True,
        void=stamp is not None and stamp.status is StampStatus.VOID,
        voided_at=_unix(stamp.voided_at) if stamp is not None else None,
        void_reason=stamp.void_reason if stamp is not None else None,
        batch_recalled=batch is not None and batch.recalled_at is not None,
        recall_reason=batch.recall_reason if batch is not None else None,
        recalled_at=_unix(batch.recalled_at) if batch is not None else None,
        scans=scans,
        now=now,
    )


def _raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    subject: str,
    findings: list[rules.Finding],
    stamp: Stamp | None,
    batch_id: int | None,
    organization_id: int | None,
    kid: bytes | None,
) -> None:
    """One open alert per subject: a new one, or the open one with fresh evidence."""
    alert = session.scalars(
        select(Alert)
        .where(Alert.subject == subject, Alert.status == AlertStatus.OPEN)
        .with_for_update()
    ).first()
    evidence: dict[str, Any] = {str(f.rule): f.evidence for f in findings}
    message = " ".join(f.message for f in findings)
    severity = (
        "critical"
        if kind is AlertKind.KEY_LEAK
        else max((f.severity for f in findings), key=["medium", "high", "critical"].index)
    )
    if alert is None:
        session.add(
            Alert(
                public_id=new_public_id(),
                kind=kind,
                severity=severity,
                subject=subject,
                stamp_id=stamp.id if stamp is not None else None,
                batch_id=batch_id,
                organization_id=organization_id,
                kid=kid,
                rules=[f.rule for f in findings],
                evidence=evidence,
                message=message,
            )
        )
    else:
        alert.rules = sorted({*alert.rules, *(f.rule for f in findings)})
        alert.evidence, alert.message, alert.severity = evidence, message, severity
    session.flush()


@dataclass
class Assessment:
    """What :func:`assess` adds to a report."""

    stamp: Stamp | None = None
    findings: tuple[rules.Finding, ...] = ()
    scan_id: str | None = None
    recorded: bool = False


def assess(
    session: Session,
    report: Report,
    scan: ScanInput | None,
    *,
    secret: bytes,
    thresholds: rules.Thresholds = rules.DEFAULT_THRESHOLDS,
    now: datetime | None = None,
) -> Assessment:
    """Record ``scan`` (None: read-only) and apply the stamp and recall rules to ``report``.

    Only codes whose signature verified get this far; the report's verdict is changed
    only while it is still "genuine" (a broken record stays "invalid").
    """
    result = report.result
    assessment = Assessment()
    report.assessment = assessment
    if result.signer is None or result.token is None:
        return assessment
    moment = now or datetime.now(UTC)
    unix = int(moment.timestamp())
    token = result.token
    batch = report.batch
    stamp: Stamp | None = None
    # 1. A stamp's serial must have been issued, for this very batch. One indexed
    #    lookup whatever the answer, so timing says nothing about which serials exist.
    if token.serial is not None:
        stamp = find_by_serial(session, token.serial)
        if stamp is None:
            leak = rules.evaluate(
                rules.StampFacts(False, False, None, None, False, None, None, (), unix)
            )
            assessment.findings = tuple(leak)
            report.verdict = Verdict.INVALID
            report.reasons.extend(Reason(f.rule, f.message) for f in leak)
            _raise_alert(
                session,
                kind=AlertKind.KEY_LEAK,
                subject=f"leak:{token.kid.hex()}:{token.serial.hex()}",
                findings=leak,
                stamp=None,
                batch_id=batch.id if batch is not None else None,
                organization_id=batch.organization_id if batch is not None else None,
                kid=bytes(token.kid),
            )
            return assessment
        if batch is not None and stamp.batch_id != batch.id:
            report.verdict = Verdict.INVALID
            report.reasons.append(
                Reason(
                    "stamp_batch_mismatch",
                    "The stamp's stored batch no longer matches its signature.",
                )
            )
            return assessment
        assessment.stamp = stamp
    if batch is None:
        return assessment
    # 2. The rules: void, recall, and (for stamps) clone detection from the history,
    #    which includes this scan when it is being recorded.
    place = coarse(*scan.place) if scan is not None and scan.place is not None else None
    place_name = None
    if scan is not None:
        place_name = scan.place_name or (nearest_place(*place).name_vi if place else None)
    sid = session_hash(scan.cookie, secret) if scan is not None else ""
    facts = _facts(session, stamp, batch, unix)
    if scan is not None and stamp is not None:
        current = rules.ScanFact(unix, sid, place, place_name, scan.kind is ScanKind.INSPECTION)
        facts = dataclasses.replace(facts, scans=[*facts.scans, current])
    findings = rules.evaluate(facts, thresholds)
    if stamp is None:  # a batch label: copies are expected, only the recall applies
        findings = [f for f in findings if f.rule == "recalled"]
    assessment.findings = tuple(findings)
    verdict = rules.verdict_for(findings)
    if verdict is not None and report.verdict is Verdict.GENUINE:
        report.verdict = Verdict(verdict)
    report.reasons.extend(Reason(f.rule, f.message) for f in findings)
    # 3. Record the scan: a row per scan, and an atomic counter (no lost updates).
    if scan is not None:
        row = Scan(
            public_id=new_public_id(),
            stamp_id=stamp.id if stamp is not None else None,
            batch_id=batch.id,
            scanned_at=moment,
            session=sid,
            ua_family=useragent.family(scan.user_agent),
            os_family=useragent.os_family(scan.user_agent),
            kind=scan.kind,
            inspector_org_id=scan.inspector_org_id,
            verdict=report.verdict.value,
            lat=place[0] if place else None,
            lon=place[1] if place else None,
            place_name=place_name,
        )
        session.add(row)
        if stamp is not None and scan.kind is ScanKind.PUBLIC:
            session.execute(
                update(Stamp)
                .where(Stamp.id == stamp.id)
                .values(
                    scan_count=Stamp.scan_count + 1,
                    first_scan_at=func.coalesce(Stamp.first_scan_at, moment),
                )
            )
        session.flush()
        assessment.scan_id, assessment.recorded = row.public_id, True
    # 4. A stamp that looks copied raises (or refreshes) the inspectors' alert.
    suspicious = [f for f in findings if f.rule in rules.SUSPECT_RULES]
    if stamp is not None and suspicious:
        if stamp.suspect_since is None:
            session.execute(update(Stamp).where(Stamp.id == stamp.id).values(suspect_since=moment))
        _raise_alert(
            session,
            kind=AlertKind.SUSPECT_STAMP,
            subject=f"stamp:{stamp.serial.hex()}",
            findings=suspicious,
            stamp=stamp,
            batch_id=batch.id,
            organization_id=batch.organization_id,
            kid=None,
        )
    return assessment
