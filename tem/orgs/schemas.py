"""API bodies for organizations and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tem.validation import Name


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["cooperative", "inspector"]
    name: Name = Field(min_length=1, max_length=200, examples=["HTX Chè Shan Tuyết Suối Giàng"])
    province: Name = Field(min_length=1, max_length=100, examples=["Yên Bái"])
    district: Name = Field(
        default="",
        max_length=100,
        examples=["Văn Chấn"],
        description="Optional: since July 2025 many addresses have no district level.",
    )
    commune: Name = Field(min_length=1, max_length=100, examples=["Suối Giàng"])
    street: Name = Field(default="", max_length=200)
    contact_name: Name = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+() .\-]*$")
    email: EmailStr | None = None


class OrganizationOut(BaseModel):
    id: str
    kind: str
    name: str
    province: str
    district: str
    commune: str
    street: str
    address: str
    contact_name: str
    phone: str
    email: str
    is_demo: bool


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=100, examples=["packing-station laptop"])
    expires_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Stop working this many days from now; without it, only revocation ends it.",
    )


class TokenInfo(BaseModel):
    """A token as listed: never its secret."""

    id: str = Field(description="Names the token in the list and for revocation; not a secret.")
    prefix: str = Field(description="The first 12 characters of the token, to recognize it.")
    organization: str
    role: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="The day it was last used (to a day).")
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class TokenOut(BaseModel):
    token: str = Field(description="Shown once. Send as `Authorization: Bearer <token>`.")
    id: str
    prefix: str
    organization: str
    role: str
    name: str
    created_at: datetime
    expires_at: datetime | None
