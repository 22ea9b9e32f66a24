"""Online verification: the pure token verdict, then the batch history from the database.

The API, the public page and ``tem verify`` all call :func:`verify_report`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.crypto.statements import TYPE_KEY, StatementType, parse_statement
from tem.errors import TemError
from tem.models import Batch, Event, Organization
from tem.stamps.tokens import short_serial
from tem.trace import records
from tem.verify.trust import EndorsedKey, TrustStore
from tem.verify.verifier import (
    HistoryCheck,
    Reason,
    RecordCheck,
    TokenResult,
    Verdict,
    verify_history,
    verify_token,
)


@dataclass
class Report:
    """Everything a shopper, an inspector or a program is told about a code."""

    verdict: Verdict
    reasons: list[Reason]
    result: TokenResult
    checked_at: datetime
    history: HistoryCheck | None = None
    batch: Batch | None = None
    events: list[Event] = field(default_factory=list)
    assessment: Any = None  # tem.scans.service.Assessment, once the scan was judged

    @property
    def signer(self) -> EndorsedKey | None:
        return self.result.signer


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
    session: Session, batch: Batch, trust: TrustStore, now: int
) -> tuple[HistoryCheck, list[Event]]:
    """Verify a stored batch and its events against their signatures and the chain."""
    org_id = (
        session.scalar(
            select(Organization.public_id).where(Organization.id == batch.organization_id)
        )
        or ""
    )
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


def verify_report(
    session: Session, text: str, trust: TrustStore, now: datetime | None = None
) -> Report:
    """Verify ``text`` (a token) and, if its signature holds, the batch history behind it."""
    moment = now or datetime.now(UTC)
    unix = int(moment.timestamp())
    # 1. The token on its own: format, key, signature, windows, revocation.
    result = verify_token(text, trust, unix)
    report = Report(result.verdict, list(result.reasons), result, moment)
    # 2. Only a token with a verified signature may cause a lookup: forged or
    #    garbled codes learn nothing about which batches exist.
    if result.signer is None or result.token is None:
        return report
    batch = session.scalars(select(Batch).where(Batch.public_id == result.token.batch_id)).first()
    owner = (
        session.scalar(
            select(Organization.public_id).where(Organization.id == batch.organization_id)
        )
        if batch is not None
        else None
    )
    if batch is None or owner != result.signer.org_id:
        report.verdict = Verdict.INVALID
        report.reasons.append(
            Reason(
                "record_not_found",
                "The signature is valid but this service has no such batch: the code may have "
                "been made with a stolen key. Report it.",
            )
        )
        return report
    # 3. The stored record and every event must match their signatures and chain.
    history, events = check_history(session, batch, trust, unix)
    report.history, report.batch, report.events = history, batch, events
    if not history.ok:
        for check in (history.batch, *history.events):
            report.reasons.extend(check.reasons)
        report.reasons.extend(history.chain_reasons)
        if report.verdict is Verdict.GENUINE:
            report.verdict = Verdict.INVALID
    return report


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _record_status(check: RecordCheck) -> dict[str, Any]:
    return {"status": check.status.value, "reasons": [vars(r) for r in check.reasons]}


def report_json(report: Report) -> dict[str, Any]:
    """The JSON body of ``GET /api/v1/verify/{token}`` (documented in docs/api.md)."""
    result = report.result
    body: dict[str, Any] = {
        "verdict": report.verdict.value,
        "reasons": [{"code": r.code, "message": r.message} for r in report.reasons],
        "checked_at": report.checked_at.astimezone(UTC).isoformat(timespec="seconds"),
        "token": None,
        "signer": None,
        "producer": None,
        "product": None,
        "batch": None,
        "history": [],
    }
    if result.token is not None:
        body["token"] = {
            "batch_id": result.token.batch_id.hex(),
            "issued_at": _iso(result.token.issued_at),
            "key_id": result.token.kid.hex(),
        }
    signer = result.signer
    if signer is not None:
        body["signer"] = {
            "organization_id": signer.org_id,
            "name": signer.org_name,
            "key_id": signer.kid.hex(),
            "sign_from": _iso(signer.sign_from),
            "sign_until": _iso(signer.sign_until),
            "verify_until": _iso(signer.verify_until),
            "endorsed_by": {
                "name": signer.authority.name,
                "organization_id": signer.authority.org_id,
                "key_id": signer.authority.kid.hex(),
            },
        }
    body["stamp"], body["findings"], body["scan"] = _assessment_json(report)
    history = report.history
    if history is not None and report.batch is not None:
        claims = history.batch.claims or {}
        if claims:
            # Copies: the signed claims are shared, read-only, memoised objects.
            body["producer"] = copy.deepcopy(claims.get("producer"))
            body["product"] = copy.deepcopy(claims.get("product"))
            body["batch"] = {
                "id": report.batch.public_id.hex(),
                "lot_code": claims.get("lot"),
                "trace_code": f"{claims.get('lot')}/{report.batch.public_id.hex()}",
                "quantity": claims.get("quantity"),
                "unit": claims.get("unit"),
                "production_date": claims.get("produced"),
                "expiry_date": claims.get("expires"),
                "origin": copy.deepcopy(claims.get("origin")),
                "signed_at": _iso(claims["iat"]) if isinstance(claims.get("iat"), int) else None,
                "record": _record_status(history.batch),
                "recall": (
                    {
                        "recalled_at": report.batch.recalled_at.isoformat(),
                        "reason": report.batch.recall_reason,
                    }
                    if report.batch.recalled_at is not None
                    else None
                ),
            }
        for event, check in zip(report.events, history.events, strict=True):
            signed = dict(check.claims or {})
            signed.pop(TYPE_KEY, None)
            entry: dict[str, Any] = {
                "seq": event.seq,
                "trace_code": records.trace_code(report.batch.lot_code, event.seq),
                **_record_status(check),
            }
            if check.claims is not None:
                entry.update(
                    type=signed.get("type"),
                    type_label=signed.get("type_label"),
                    time=signed.get("time"),
                    place=copy.deepcopy(signed.get("place")),
                    actor=signed.get("actor"),
                    notes=signed.get("notes"),
                    signed_at=_iso(signed["iat"]) if isinstance(signed.get("iat"), int) else None,
                )
            body["history"].append(entry)
    return body


def _assessment_json(report: Report) -> tuple[Any, list[dict[str, Any]], Any]:
    """The stamp, the rules' findings and the recorded scan, when the scan was judged."""
    assessment = report.assessment
    if assessment is None:
        return None, [], None
    stamp = assessment.stamp
    stamp_body = None
    if stamp is not None:
        stamp_body = {
            "serial": short_serial(stamp.serial),
            "seq": stamp.seq,
            "status": stamp.status.value,
            "voided_at": stamp.voided_at.isoformat() if stamp.voided_at else None,
            "void_reason": stamp.void_reason,
            "scan_count": stamp.scan_count,
            "first_scan_at": stamp.first_scan_at.isoformat() if stamp.first_scan_at else None,
        }
    findings = [
        {"rule": f.rule, "severity": f.severity, "evidence": f.evidence, "message": f.message}
        for f in assessment.findings
    ]
    scan = (
        {"id": assessment.scan_id, "recorded": assessment.recorded} if assessment.scan_id else None
    )
    return stamp_body, findings, scan
