"""Signing keys (private halves live encrypted in the key store), endorsements, revocations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tem.models.base import Base, Timestamped, UtcDateTime
from tem.models.base import enum_values as _values
from tem.models.organization import Organization


class KeyPurpose(StrEnum):
    ROOT = "root"  # an authority's trust anchor
    SIGNING = "signing"  # a cooperative's record and label key


class SigningKey(Timestamped, Base):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[bytes] = mapped_column(LargeBinary(8), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    purpose: Mapped[KeyPurpose] = mapped_column(
        Enum(KeyPurpose, native_enum=False, length=16, values_callable=_values)
    )
    # The private key is in the key store (a 0600 file, encrypted); this is its file name.
    store_name: Mapped[str] = mapped_column(String(64))

    organization: Mapped[Organization] = relationship(lazy="raise")


class Endorsement(Timestamped, Base):
    __tablename__ = "endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    authority_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    sign_from: Mapped[datetime] = mapped_column(UtcDateTime())
    sign_until: Mapped[datetime] = mapped_column(UtcDateTime())
    verify_until: Mapped[datetime] = mapped_column(UtcDateTime())
    statement: Mapped[bytes] = mapped_column(LargeBinary)

    key: Mapped[SigningKey] = relationship(foreign_keys=[key_id], lazy="raise")


class Revocation(Timestamped, Base):
    __tablename__ = "revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    authority_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    statement: Mapped[bytes] = mapped_column(LargeBinary)
