"""Products and their OCOP rating."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tem.models.base import Base, Timestamped
from tem.models.organization import Organization


class Product(Timestamped, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    image_url: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ingredients: Mapped[str] = mapped_column(Text, default="")
    standards: Mapped[list[str]] = mapped_column(JSON, default=list)
    shelf_life_days: Mapped[int | None] = mapped_column(default=None)
    gtin: Mapped[str | None] = mapped_column(String(14), default=None)
    ocop_stars: Mapped[int | None] = mapped_column(default=None)
    ocop_certificate: Mapped[str | None] = mapped_column(String(100), default=None)
    ocop_council: Mapped[str | None] = mapped_column(String(200), default=None)
    ocop_awarded: Mapped[date | None] = mapped_column(Date, default=None)
    ocop_expires: Mapped[date | None] = mapped_column(Date, default=None)

    organization: Mapped[Organization] = relationship(lazy="raise")
