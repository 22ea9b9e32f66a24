"""The JSON contract of a check: what ``GET /api/v1/verify``, ``POST /api/v1/scan``,
``GET /api/v1/inspect``, ``tem verify --json`` and ``tem inspect --json`` return, and what
the public page renders. Built only by :meth:`tem.scans.check.Check.out`.

Values that come from a signed record (the product, the producer, the journey) are typed
here but built leniently: a field of an unexpected type in a validly signed statement
becomes ``None`` rather than an error, so an odd record can never turn into a 500.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tem.verify.verifier import ReasonCode, ReasonSubject, RecordStatus, Verdict


class Scope(StrEnum):
    """How much was checked."""

    ONLINE = "online"  # the token, the stored history, the stamp and its scans
    OFFLINE = "offline"  # the token and the trust anchors only: no recall, void or clones


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReasonOut(_Out):
    code: ReasonCode
    message: str = Field(description="An English sentence for logs and programs.")
    subject: ReasonSubject = Field(description="What the reason is about.")
    event: int | None = Field(
        default=None, description="The 1-based number of the event it is about, if any."
    )
    evidence: dict[str, Any] | None = Field(
        default=None, description="A clone rule's machine-readable evidence."
    )


class TokenOut(_Out):
    batch_id: str
    issued_at: datetime
    key_id: str
    serial: str | None = Field(default=None, description="The stamp's serial; null for a label.")


class AuthorityOut(_Out):
    name: str
    organization_id: str
    key_id: str


class SignerOut(_Out):
    organization_id: str
    name: str
    key_id: str
    sign_from: datetime
    sign_until: datetime
    verify_until: datetime
    endorsed_by: AuthorityOut


class PlaceOut(_Out):
    name: str | None = None
    address: str | None = None
    lat: str | None = None
    lon: str | None = None


class OcopOut(_Out):
    stars: int | None = None
    certificate: str | None = None
    council: str | None = None
    awarded: str | None = None
    expires: str | None = None


class ProductOut(_Out):
    id: str | None = None
    name: str | None = None
    image_url: str | None = None
    category: str | None = None
    description: str | None = None
    ingredients: str | None = None
    standards: list[str] = Field(default_factory=list)
    shelf_life_days: int | None = None
    gtin: str | None = None
    ocop: OcopOut | None = None


class ProducerOut(_Out):
    id: str | None = None
    name: str | None = None
    street: str | None = None
    commune: str | None = None
    district: str | None = None
    province: str | None = None
    phone: str | None = None
    email: str | None = None


class RecordOut(_Out):
    status: RecordStatus
    reasons: list[ReasonOut]


class RecallOut(_Out):
    recalled_at: datetime
    reason: str | None


class BatchOut(_Out):
    id: str
    lot_code: str | None
    trace_code: str
    quantity: str | None
    unit: str | None
    production_date: str | None
    expiry_date: str | None
    origin: PlaceOut | None
    signed_at: datetime | None
    record: RecordOut
    recall: RecallOut | None


class EventOut(_Out):
    seq: int
    trace_code: str
    status: RecordStatus
    reasons: list[ReasonOut]
    type: str | None = None
    type_label: str | None = None
    time: str | None = None
    place: PlaceOut | None = None
    actor: str | None = None
    notes: str | None = None
    signed_at: datetime | None = None


class StampOut(_Out):
    serial: str
    seq: int
    status: str
    voided_at: datetime | None
    void_reason: str | None
    scan_count: int
    first_scan_at: datetime | None
    reviewed_at: datetime | None = Field(
        default=None,
        description="When an inspector reviewed its scan history; the clone rules count "
        "only the scans after it.",
    )


class FindingOut(_Out):
    rule: ReasonCode
    severity: str
    evidence: dict[str, Any]
    message: str


class ScanOut(_Out):
    id: str
    recorded: bool
    place_name: str | None = None


class CheckOut(_Out):
    """The answer about one code."""

    verdict: Verdict
    reasons: list[ReasonOut]
    checked_at: datetime
    scope: Scope = Field(
        description="online: history, recall, void and scans were checked too; "
        "offline: the code and the trust anchors only."
    )
    token: TokenOut | None
    signer: SignerOut | None
    producer: ProducerOut | None
    product: ProductOut | None
    batch: BatchOut | None
    history: list[EventOut]
    stamp: StampOut | None
    findings: list[FindingOut]
    scan: ScanOut | None
