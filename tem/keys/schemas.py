"""API bodies for keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tem.validation import Moment, Name


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sign_days: int = Field(default=365, ge=1, le=3650, description="How long the key may sign.")
    verify_days: int = Field(
        default=3650, ge=1, le=7300, description="How long its signatures stay valid."
    )


class KeyRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Name = Field(min_length=1, max_length=500)
    revoked_at: Moment | None = Field(
        default=None,
        description="When the key stopped being trustworthy (default: now), with a time zone "
        "offset, between 2000-01-01 and 2100-01-01. Labels signed since fail.",
    )


class KeyOut(BaseModel):
    key_id: str
    organization_id: str
    purpose: str
    public_key: str
    sign_from: datetime | None
    sign_until: datetime | None
    verify_until: datetime | None
    revoked_at: datetime | None
    endorsement: str | None = Field(description="The endorsement statement, hex (COSE_Sign1).")
