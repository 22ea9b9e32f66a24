"""API bodies for print runs and stamps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tem.validation import Id, PositiveInt32, Text


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    count: int = Field(ge=1, le=10_000_000, description="How many stamps to issue.")
    request_key: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="Idempotency key: retrying with the same key returns the same run, never a second one.",
    )


class RunOut(BaseModel):
    id: str
    batch_id: str
    request_key: str
    requested: int
    issued: int
    status: str
    issued_at: datetime
    completed_at: datetime | None


class VoidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=500)
    serials: list[Annotated[Id, Field(max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=10_000
    )
    run_id: Id | None = None
    from_seq: PositiveInt32 | None = None
    to_seq: PositiveInt32 | None = None

    @model_validator(mode="after")
    def _one_way(self) -> VoidRequest:
        ranged = (self.run_id, self.from_seq, self.to_seq)
        if self.serials is None and None in ranged:
            raise ValueError("give serials, or run_id with from_seq and to_seq")
        if self.serials is not None and any(v is not None for v in ranged):
            raise ValueError("give serials or a range, not both")
        return self


class VoidOut(BaseModel):
    voided: int


class StampOut(BaseModel):
    serial: str
    run_id: str
    batch_id: str
    seq: int
    status: str
    voided_at: datetime | None
    void_reason: str | None
    scan_count: int
    first_scan_at: datetime | None
    suspect_since: datetime | None
    url: str
