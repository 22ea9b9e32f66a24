"""The one check: from what was scanned to a verdict, for every caller.

The public page, ``GET /api/v1/verify``, ``POST /api/v1/scan``, ``GET /api/v1/inspect``,
report intake, ``tem verify`` and ``tem inspect`` are each one call of :func:`check`; its
:class:`Check` becomes the one JSON contract, :class:`~tem.scans.check_schema.CheckOut`.
Steps are numbered as in sigstore-python's verifier and the code follows them:

1. take the token out of the text and verify it on its own (pure, offline);
2. load the batch it names and verify the stored record and every event;
3. load the stamp (for a serialized stamp) and check that its serial was issued;
4. apply the recall, void and clone rules to what the database says now;
5. record the scan when asked, and raise the inspectors' alert when it looks copied.

Without a database session (``tem verify --bundle``) only step 1 runs and the result says
it was checked offline. Signed statements are immutable, so their verification may be
memoised (:mod:`tem.verify`); stored state (recall, void, revocation, scans) is read
fresh on every call.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from tem.crypto.statements import TYPE_KEY, Token, token_from_url
from tem.http import metrics
from tem.models import Batch
from tem.scans import rules
from tem.scans.check_schema import (
    AuthorityOut,
    BatchOut,
    CheckOut,
    EventOut,
    FindingOut,
    OcopOut,
    PlaceOut,
    ProducerOut,
    ProductOut,
    ReasonOut,
    RecallOut,
    RecordOut,
    ScanOut,
    Scope,
    SignerOut,
    StampOut,
    TokenOut,
)
from tem.scans.service import ScanInput, StampState, judge_stamp
from tem.stamps.tokens import short_serial
from tem.trace import records
from tem.trace.verification import History, load_history
from tem.verify.trust import EndorsedKey, TrustStore
from tem.verify.verifier import (
    Reason,
    ReasonCode,
    ReasonSubject,
    RecordCheck,
    Verdict,
    verify_token,
)

# Anything longer than any token is refused by the parser anyway; don't even copy it.
MAX_TEXT = 512


@dataclass(frozen=True)
class RecordedScan:
    public_id: str
    place_name: str | None = None


@dataclass(frozen=True)
class Check:
    """Everything a shopper, an inspector or a program is told about a code."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    checked_at: datetime
    scope: Scope
    token: Token | None = None
    signer: EndorsedKey | None = None
    history: History | None = None  # the batch row, its events and their verification
    stamp: StampState | None = None
    findings: tuple[rules.Finding, ...] = ()
    scan: RecordedScan | None = None

    @property
    def batch_id(self) -> int | None:
        """The primary key of the batch the code names, when it was found."""
        return int(self.history.batch.id) if self.history is not None else None

    def out(self) -> CheckOut:
        """The JSON contract (docs/api.md): the one shape every caller renders."""
        return _out(self)


def token_text(text: str) -> str:
    """The token out of what was scanned or pasted: a bare token or a URL whose last path
    segment is the token, with white space around it, a trailing ``/``, a query or a
    fragment tolerated. Raises nothing; what is left may still be no token."""
    return token_from_url(text[:MAX_TEXT])


def check(
    session: Session | None,
    text: str,
    trust: TrustStore,
    *,
    scan: ScanInput | None = None,
    secret: bytes = b"",
    thresholds: rules.Thresholds = rules.DEFAULT_THRESHOLDS,
    now: datetime | None = None,
) -> Check:
    """Check ``text`` (a scanned URL or a bare token) and, when ``scan`` is given, record it.

    ``session`` None checks offline: the token against ``trust`` only. ``secret`` keys
    the hash of the scanning browser's cookie (needed only with ``scan``). Never raises
    for a bad code: every failure is a verdict with reasons. Only the session's
    transaction is touched (flush, never commit): the caller commits once.
    """
    moment = now or datetime.now(UTC)
    unix = int(moment.timestamp())
    scope = Scope.OFFLINE if session is None else Scope.ONLINE
    # 1. The token on its own: format, key, signature, windows, revocation.
    result = verify_token(token_text(text), trust, unix)
    verdict, reasons = result.verdict, list(result.reasons)
    base = Check(verdict, tuple(reasons), moment, scope, result.token, result.signer)
    # Only a token with a verified signature may cause a lookup: forged or garbled
    # codes learn nothing about which batches exist.
    if session is None or result.signer is None or result.token is None:
        metrics.record_verdict(verdict)
        return base
    token, signer = result.token, result.signer
    # 2. The batch it names, owned by the signer's organization, and its whole history.
    history = load_history(session, token.batch_id, trust, unix)
    if history is None or history.org_id != signer.org_id:
        reasons.append(
            Reason(
                ReasonCode.RECORD_NOT_FOUND,
                "The signature is valid but this service has no such batch: the code may have "
                "been made with a stolen key. Report it.",
                ReasonSubject.BATCH,
            )
        )
        metrics.record_verdict(Verdict.INVALID)
        return replace(base, verdict=Verdict.INVALID, reasons=tuple(reasons))
    if not history.check.ok:
        for record in (history.check.batch, *history.check.events):
            reasons.extend(record.reasons)
        reasons.extend(history.check.chain_reasons)
        if verdict is Verdict.GENUINE:
            verdict = Verdict.INVALID
    # 3.-5. The stamp, the rules on stored state, the scan and the alert.
    judged = judge_stamp(
        session,
        token,
        cast(Batch, history.batch),
        verdict,
        scan,
        secret=secret,
        thresholds=thresholds,
        moment=moment,
    )
    reasons.extend(judged.reasons)
    recorded = (
        RecordedScan(judged.scan_id, judged.place_name) if judged.scan_id is not None else None
    )
    metrics.record_verdict(judged.verdict)
    if recorded is not None:
        metrics.record_scan()
    return Check(
        judged.verdict,
        tuple(reasons),
        moment,
        scope,
        token,
        signer,
        history,
        judged.stamp,
        judged.findings,
        recorded,
    )


# --- the JSON contract -----------------------------------------------------------------


def _iso(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """Stored timestamps in UTC with their offset (SQLite hands them back naive)."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _date_text(value: object) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return _str(value)


def _reason_out(reason: Reason) -> ReasonOut:
    return ReasonOut(
        code=reason.code,
        message=reason.message,
        subject=reason.subject,
        event=reason.event,
        evidence=copy.deepcopy(dict(reason.evidence)) if reason.evidence is not None else None,
    )


def _place(value: object) -> PlaceOut | None:
    data = _dict(value)
    if data is None:
        return None
    return PlaceOut(
        name=_str(data.get("name")),
        address=_str(data.get("address")),
        lat=_str(data.get("lat")),
        lon=_str(data.get("lon")),
    )


def _product(value: object) -> ProductOut | None:
    data = _dict(value)
    if data is None:
        return None
    ocop = _dict(data.get("ocop"))
    standards = data.get("standards")
    return ProductOut(
        id=_str(data.get("id")),
        name=_str(data.get("name")),
        image_url=_str(data.get("image_url")),
        category=_str(data.get("category")),
        description=_str(data.get("description")),
        ingredients=_str(data.get("ingredients")),
        standards=[s for s in standards if isinstance(s, str)]
        if isinstance(standards, list)
        else [],
        shelf_life_days=_int(data.get("shelf_life_days")),
        gtin=_str(data.get("gtin")),
        ocop=OcopOut(
            stars=_int(ocop.get("stars")),
            certificate=_str(ocop.get("certificate")),
            council=_str(ocop.get("council")),
            awarded=_str(ocop.get("awarded")),
            expires=_str(ocop.get("expires")),
        )
        if ocop is not None
        else None,
    )


def _producer(value: object) -> ProducerOut | None:
    data = _dict(value)
    if data is None:
        return None
    return ProducerOut(
        **{
            name: _str(data.get(name))
            for name in (
                "id",
                "name",
                "street",
                "commune",
                "district",
                "province",
                "phone",
                "email",
            )
        }
    )


def _record(check: RecordCheck) -> RecordOut:
    return RecordOut(status=check.status, reasons=[_reason_out(r) for r in check.reasons])


def _signed_at(claims: Mapping[Any, Any]) -> datetime | None:
    iat = _int(claims.get("iat"))
    return _iso(iat) if iat is not None else None


def _history_parts(
    stored: History,
) -> tuple[ProducerOut | None, ProductOut | None, BatchOut | None, list[EventOut]]:
    """What a batch's rows say, as the contract shows it: built once per distinct rows."""
    parts = stored.outputs.get("check")
    if parts is None:
        parts = stored.outputs["check"] = _build_history_parts(stored)
    return cast(
        "tuple[ProducerOut | None, ProductOut | None, BatchOut | None, list[EventOut]]", parts
    )


def _build_history_parts(
    stored: History,
) -> tuple[ProducerOut | None, ProductOut | None, BatchOut | None, list[EventOut]]:
    producer = product = batch_out = None
    history: list[EventOut] = []
    batch, result = stored.batch, stored.check
    claims = result.batch.claims or {}
    if claims:
        producer = _producer(claims.get("producer"))
        product = _product(claims.get("product"))
        lot = _str(claims.get("lot"))
        recalled_at = _aware(batch.recalled_at)
        batch_out = BatchOut(
            id=batch.public_id.hex(),
            lot_code=lot,
            trace_code=f"{lot}/{batch.public_id.hex()}",
            quantity=_str(claims.get("quantity")),
            unit=_str(claims.get("unit")),
            production_date=_date_text(claims.get("produced")),
            expiry_date=_date_text(claims.get("expires")),
            origin=_place(claims.get("origin")),
            signed_at=_signed_at(claims),
            record=_record(result.batch),
            recall=RecallOut(recalled_at=recalled_at, reason=batch.recall_reason)
            if recalled_at is not None
            else None,
        )
    for event, record in zip(stored.events, result.events, strict=True):
        signed = dict(record.claims or {})
        signed.pop(TYPE_KEY, None)
        fields: dict[str, Any] = {}
        if record.claims is not None:
            fields = {
                "type": _str(signed.get("type")),
                "type_label": _str(signed.get("type_label")),
                "time": _str(signed.get("time")),
                "place": _place(signed.get("place")),
                "actor": _str(signed.get("actor")),
                "notes": _str(signed.get("notes")),
                "signed_at": _signed_at(signed),
            }
        history.append(
            EventOut(
                seq=event.seq,
                trace_code=records.trace_code(batch.lot_code, event.seq),
                status=record.status,
                reasons=[_reason_out(r) for r in record.reasons],
                **fields,
            )
        )
    return producer, product, batch_out, history


def _out(check: Check) -> CheckOut:
    token_out = signer_out = producer = product = batch_out = stamp_out = scan_out = None
    history: list[EventOut] = []
    token = check.token
    if token is not None:
        token_out = TokenOut(
            batch_id=token.batch_id.hex(),
            issued_at=_iso(token.issued_at),
            key_id=token.kid.hex(),
            serial=short_serial(token.serial) if token.serial is not None else None,
        )
    signer = check.signer
    if signer is not None:
        signer_out = SignerOut(
            organization_id=signer.org_id,
            name=signer.org_name,
            key_id=signer.kid.hex(),
            sign_from=_iso(signer.sign_from),
            sign_until=_iso(signer.sign_until),
            verify_until=_iso(signer.verify_until),
            endorsed_by=AuthorityOut(
                name=signer.authority.name,
                organization_id=signer.authority.org_id,
                key_id=signer.authority.kid.hex(),
            ),
        )
    if check.history is not None:
        producer, product, batch_out, history = _history_parts(check.history)
    stamp = check.stamp
    if stamp is not None:
        stamp_out = StampOut(
            serial=short_serial(stamp.serial),
            seq=stamp.seq,
            status=stamp.status.value,
            voided_at=_aware(stamp.voided_at),
            void_reason=stamp.void_reason,
            scan_count=stamp.scan_count,
            first_scan_at=_aware(stamp.first_scan_at),
            reviewed_at=_aware(stamp.reviewed_at),
        )
    if check.scan is not None:
        scan_out = ScanOut(id=check.scan.public_id, recorded=True, place_name=check.scan.place_name)
    # Every part above is a validated model already: construct, don't validate again.
    return CheckOut.model_construct(
        verdict=check.verdict,
        reasons=[_reason_out(r) for r in check.reasons],
        checked_at=check.checked_at.astimezone(UTC).replace(microsecond=0),
        scope=check.scope,
        token=token_out,
        signer=signer_out,
        producer=producer,
        product=product,
        batch=batch_out,
        history=history,
        stamp=stamp_out,
        findings=[
            FindingOut(
                rule=ReasonCode(f.rule),
                severity=f.severity,
                evidence=copy.deepcopy(f.evidence),
                message=f.message,
            )
            for f in check.findings
        ],
        scan=scan_out,
    )
