"""API bodies for counterfeit reports, alerts, scan history and recalls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tem.models import ReportStatus
from tem.trace.schemas import BatchOut
from tem.validation import Text


class ReportCreated(BaseModel):
    id: str = Field(description="The report's id; the shopper may quote it.")
    status: str


class ReportNote(BaseModel):
    at: str
    by: str = Field(description="The id of the organization that wrote the note.")
    status: str = Field(description="The report's status after this note.")
    note: str


class ReportOut(BaseModel):
    id: str
    status: str
    next_statuses: list[str] = Field(description="Where the workflow allows the report to go.")
    created_at: datetime
    updated_at: datetime
    token: str = Field(description="The code the shopper scanned (the token part of the URL).")
    verdict: str = Field(description="What verifying the code said when the report came in.")
    stamp_serial: str | None
    batch_id: str | None
    lot_code: str | None
    organization_id: str | None = Field(description="The cooperative the batch belongs to.")
    problem: str
    where_bought: str
    contact: str | None = Field(description="Shown to inspectors and authorities only.")
    has_photo: bool
    photo_type: str | None
    notes: list[ReportNote]


class ReportUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: ReportStatus | None = Field(
        default=None,
        description="open → investigating | dismissed; investigating → confirmed_counterfeit | dismissed.",
    )
    note: Text = Field(
        default="", max_length=2000, description="Required when confirming or dismissing."
    )


class AlertClosure(BaseModel):
    at: str
    by: str
    note: str


class AlertOut(BaseModel):
    id: str
    kind: str = Field(description="suspect_stamp or key_leak.")
    severity: str
    status: str
    subject: str
    stamp_serial: str | None
    batch_id: str | None
    lot_code: str | None
    organization_id: str | None
    key_id: str | None
    rules: list[str]
    evidence: dict[str, Any]
    message: str
    created_at: datetime
    updated_at: datetime
    closure: AlertClosure | None


class AlertClose(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(min_length=1, max_length=2000, description="Why the alert is closed.")


class StampReview(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=2000, description="What the review found.")


class StampReviewed(BaseModel):
    serial: str
    reviewed_at: datetime
    note: str


class ScanOut(BaseModel):
    id: str
    scanned_at: datetime
    kind: str = Field(description="public, or inspection (never counted by the clone rules).")
    verdict: str
    stamp_serial: str | None
    ua_family: str
    os_family: str
    place_name: str | None
    lat: float | None = Field(description="Coarse (0.1°), only when the shopper shared it.")
    lon: float | None
    browser: int = Field(
        description=(
            "Which browser scanned: 1 for the first browser to scan this stamp (or this "
            "batch's label), 2 for the next, and so on; 0 for a scan older than "
            "TEM_SCAN_DETAIL_DAYS, whose browser is no longer kept. Nothing derived from the "
            "cookie is shown."
        )
    )


class RecallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(
        min_length=5, max_length=500, description="Shown to every shopper who scans the batch."
    )


class RecalledBatchOut(BatchOut):
    recalled_at: datetime
    recall_reason: str
    recalled_by: str | None
