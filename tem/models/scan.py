"""Scans, alerts for inspectors, and shoppers' counterfeit reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tem.models.base import Base, Timestamped, UtcDateTime, utcnow
from tem.models.base import enum_values as _values


class ScanKind(StrEnum):
    PUBLIC = "public"
    INSPECTION = "inspection"


# A scan whose details were purged (tem.scans.privacy) has an empty session; this index
# holds only the others, so the daily purge finds its work without reading purged rows.
PURGED_SESSION = ""
SCAN_DETAIL_KEPT = "session <> ''"


class Scan(Base):
    """One scan. No IP address is ever stored: only an anonymous cookie session and a UA family.

    After ``TEM_SCAN_DETAIL_DAYS`` (docs/privacy.md) a scan keeps only its day, province,
    verdict, kind and links: ``session``, ``ua_family`` and ``os_family`` become "",
    ``network`` None and ``place_verified`` False.
    """

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_stamp_time", "stamp_id", "scanned_at"),
        Index("ix_scans_batch_time", "batch_id", "scanned_at"),
        Index(
            "ix_scans_detail_kept",
            "scanned_at",
            sqlite_where=text(SCAN_DETAIL_KEPT),
            postgresql_where=text(SCAN_DETAIL_KEPT),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    stamp_id: Mapped[int | None] = mapped_column(ForeignKey("stamps.id"), default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), default=None)
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    session: Mapped[str] = mapped_column(String(64))  # HMAC of the browser's random cookie
    # A keyed hash of the client's network (/24 or /48), never the address: one client
    # rotating cookies counts once for the clone rules. None for inspections and old rows.
    network: Mapped[str | None] = mapped_column(String(32), default=None)
    ua_family: Mapped[str] = mapped_column(String(32), default="Other")
    os_family: Mapped[str] = mapped_column(String(16), default="Other")
    kind: Mapped[ScanKind] = mapped_column(
        Enum(ScanKind, native_enum=False, length=16, values_callable=_values),
        default=ScanKind.PUBLIC,
    )
    inspector_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), default=None
    )
    verdict: Mapped[str] = mapped_column(String(16))
    # Coarse place, only when the shopper chose to share it (0.1 degree, or a province).
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    place_name: Mapped[str | None] = mapped_column(String(100), default=None)
    # True only for a place the shopper gave on the page's own consent form; places sent
    # by API clients are kept but never count towards impossible travel.
    place_verified: Mapped[bool] = mapped_column(default=False)


class AlertKind(StrEnum):
    SUSPECT_STAMP = "suspect_stamp"
    KEY_LEAK = "key_leak"


class AlertStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Alert(Timestamped, Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open alert per subject (tem.scans.alerts.upsert_open_alert).
        Index(
            "uq_alerts_open_subject",
            "subject",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[AlertKind] = mapped_column(
        Enum(AlertKind, native_enum=False, length=20, values_callable=_values)
    )
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[AlertStatus] = mapped_column(
        Enum(AlertStatus, native_enum=False, length=16, values_callable=_values),
        default=AlertStatus.OPEN,
    )
    # One open alert per subject: "stamp:<serial hex>" or "leak:<kid hex>:<serial hex>".
    subject: Mapped[str] = mapped_column(String(80), index=True)
    stamp_id: Mapped[int | None] = mapped_column(ForeignKey("stamps.id"), default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), default=None)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), default=None
    )
    kid: Mapped[bytes | None] = mapped_column(LargeBinary(8), default=None)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ReportStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed_counterfeit"
    DISMISSED = "dismissed"


class Report(Timestamped, Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=24, values_callable=_values),
        default=ReportStatus.OPEN,
        index=True,
    )
    token: Mapped[str] = mapped_column(String(240))
    verdict: Mapped[str] = mapped_column(String(16))
    stamp_id: Mapped[int | None] = mapped_column(ForeignKey("stamps.id"), default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), default=None)
    problem: Mapped[str] = mapped_column(Text)
    where_bought: Mapped[str] = mapped_column(String(300), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    session: Mapped[str] = mapped_column(String(64))
    photo_name: Mapped[str | None] = mapped_column(
        String(64), default=None
    )  # file in <data dir>/reports/
    photo_type: Mapped[str | None] = mapped_column(String(32), default=None)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    # When the report became confirmed_counterfeit or dismissed: TEM_REPORT_CONTACT_DAYS
    # later its contact, photo and session are erased (tem.scans.privacy).
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
