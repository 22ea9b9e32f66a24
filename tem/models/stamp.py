"""Print runs and the serialized stamps they issue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tem.models.base import Base, Timestamped, UtcDateTime
from tem.models.base import enum_values as _values


class RunStatus(StrEnum):
    ISSUING = "issuing"  # chunks are being committed; resumable
    COMPLETE = "complete"


class StampStatus(StrEnum):
    ACTIVE = "active"
    VOID = "void"


class PrintRun(Timestamped, Base):
    __tablename__ = "print_runs"
    __table_args__ = (
        UniqueConstraint("organization_id", "request_key", name="uq_print_runs_org_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    # The client's idempotency key: the same key returns the same run, never a second one.
    request_key: Mapped[str] = mapped_column(String(100))
    requested: Mapped[int] = mapped_column()
    issued: Mapped[int] = mapped_column(default=0)  # stamps committed so far (whole chunks)
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=16, values_callable=_values),
        default=RunStatus.ISSUING,
    )
    issued_at: Mapped[int] = mapped_column()  # Unix seconds signed into every stamp of the run
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The lease of the one process issuing the run (tem.stamps.service.claim_run): whoever
    # holds an unexpired lease, by its token, is the only issuer; a crashed one's runs out.
    issuer_token: Mapped[str | None] = mapped_column(String(32), default=None)
    issuer_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Stamp(Base):
    """One unit's stamp. The token is rebuilt from these columns; only the signature is kept."""

    __tablename__ = "stamps"
    __table_args__ = (
        UniqueConstraint("run_id", "seq", name="uq_stamps_run_seq"),
        Index("ix_stamps_batch_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("print_runs.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    seq: Mapped[int] = mapped_column()  # 1..N within the run: the print order
    serial: Mapped[bytes] = mapped_column(LargeBinary(10), unique=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    status: Mapped[StampStatus] = mapped_column(
        Enum(StampStatus, native_enum=False, length=16, values_callable=_values),
        default=StampStatus.ACTIVE,
    )
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    scan_count: Mapped[int] = mapped_column(default=0)  # public scans, updated atomically
    first_scan_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    suspect_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # An inspector reviewed the scan history up to this moment: the clone rules count
    # only the scans after it (the new baseline), and the verdict says so.
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
