"""Batches (lots) and their hash-chained origin events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tem.models.base import Base, Timestamped, UtcDateTime
from tem.models.organization import Organization
from tem.models.product import Product


class Batch(Timestamped, Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("product_id", "lot_code", name="uq_batches_product_lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    lot_code: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(20))
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    origin_name: Mapped[str] = mapped_column(String(200))
    origin_address: Mapped[str] = mapped_column(String(300), default="")
    origin_lat: Mapped[str | None] = mapped_column(String(16), default=None)
    origin_lon: Mapped[str | None] = mapped_column(String(16), default=None)
    issued_at: Mapped[int] = mapped_column()
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    # The signed batch record (COSE_Sign1) and the signed label token, byte for byte.
    statement: Mapped[bytes] = mapped_column(LargeBinary)
    label_token: Mapped[bytes] = mapped_column(LargeBinary)
    # A recall is shown to every shopper who scans any label or stamp of the batch.
    recalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    recall_reason: Mapped[str | None] = mapped_column(Text, default=None)
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), default=None)

    organization: Mapped[Organization] = relationship(lazy="raise", foreign_keys=[organization_id])
    product: Mapped[Product] = relationship(lazy="raise")
    events: Mapped[list[Event]] = relationship(
        back_populates="batch", lazy="raise", order_by="Event.seq"
    )


class Event(Timestamped, Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("batch_id", "seq", name="uq_events_batch_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    seq: Mapped[int] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(40))
    type_label: Mapped[str | None] = mapped_column(String(100), default=None)
    occurred_at: Mapped[str] = mapped_column(String(40))  # RFC 3339 with its own offset, as signed
    occurred_utc: Mapped[datetime] = mapped_column(UtcDateTime())  # for sorting and queries
    place_name: Mapped[str] = mapped_column(String(200))
    place_address: Mapped[str] = mapped_column(String(300), default="")
    place_lat: Mapped[str | None] = mapped_column(String(16), default=None)
    place_lon: Mapped[str | None] = mapped_column(String(16), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int] = mapped_column()
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    statement: Mapped[bytes] = mapped_column(LargeBinary)

    batch: Mapped[Batch] = relationship(back_populates="events", lazy="raise")
