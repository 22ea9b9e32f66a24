"""API bodies for products, batches and events, validated field by field."""

from __future__ import annotations

import posixpath
import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tem.validation import LOT_CODE_PATTERN, Day, Id, LotCode, Moment, Name, Text

__all__ = ["LOT_CODE_PATTERN"]  # re-exported: older imports find it here

_GTIN_LENGTHS = {8, 12, 13, 14}


def gtin_check_digit_ok(gtin: str) -> bool:
    """GS1 mod-10 check digit (GS1 General Specifications §7.9.1)."""
    digits = [int(c) for c in gtin]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Ocop(Strict):
    stars: int = Field(ge=3, le=5, description="OCOP rating: 3, 4 or 5 stars.")
    certificate: Name = Field(min_length=1, max_length=100, examples=["245/QĐ-UBND"])
    council: Name = Field(min_length=1, max_length=200, examples=["Hội đồng OCOP tỉnh Yên Bái"])
    awarded: Day
    expires: Day

    @model_validator(mode="after")
    def _dates_in_order(self) -> Ocop:
        if self.expires <= self.awarded:
            raise ValueError("the OCOP expiry date must be after the award date")
        return self


_TEM_ROUTES = ("/t/", "/api/", "/console/", "/log/")


def is_tem_route(path: str) -> bool:
    """Whether a same-host path names one of Tem's own pages or API routes, as the server
    would route it (percent-decoded, dot segments resolved, case-insensitively)."""
    decoded = unquote(unquote(path.split("?", 1)[0].split("#", 1)[0]))
    resolved = posixpath.normpath("/" + decoded.lstrip("/")).lower() + "/"
    return resolved.startswith(_TEM_ROUTES) or resolved in ("/t/", "/api/")


class ProductCreate(Strict):
    name: Name = Field(min_length=1, max_length=200, examples=["Mật ong bạc hà Mèo Vạc"])
    image_url: Name = Field(
        default="",
        max_length=500,
        description="A path on this server (/media/...) or an https URL (shown as a link, never loaded).",
    )
    category: Name = Field(default="", max_length=100, examples=["Thực phẩm"])
    description: Text = Field(default="", max_length=2000)
    ingredients: Text = Field(default="", max_length=2000)
    standards: list[Annotated[Name, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, examples=[["TCVN 5267-1:2008", "VietGAP"]]
    )
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)
    gtin: Name | None = Field(
        default=None, description="GTIN-8, -12, -13 or -14 with a valid check digit."
    )
    ocop: Ocop | None = None

    @field_validator("image_url")
    @classmethod
    def _image_url(cls, value: str) -> str:
        # "/x" is this host; "//x" and "/\\x" are other hosts to a browser, so refused.
        if value and not re.fullmatch(r"(/(?![/\\])[\w\-./%]*|https://[^\s\"'<>\\]+)", value):
            raise ValueError("must be a path on this server starting with / or an https:// URL")
        if value.startswith("/") and is_tem_route(value):
            # Every shopper opening the page would load it: a scan of someone's stamp (H3).
            raise ValueError("must not point at Tem's own pages or API (/T/, /t/, /api/)")
        return value

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not (value.isascii() and value.isdigit()) or len(value) not in _GTIN_LENGTHS:
            raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
        if not gtin_check_digit_ok(value):
            raise ValueError("the GTIN check digit is wrong")
        return value


class ProductUpdate(ProductCreate):
    """A full replacement of the product's facts (PUT semantics). Batches keep their signed snapshot."""


class Place(Strict):
    name: Name = Field(min_length=1, max_length=200, examples=["Đồi chè Suối Giàng"])
    address: Name = Field(
        default="", max_length=300, examples=["Xã Suối Giàng, huyện Văn Chấn, tỉnh Yên Bái"]
    )
    lat: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    lon: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=10, decimal_places=6)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Place:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class BatchCreate(Strict):
    product_id: Id = Field(max_length=32)
    lot_code: LotCode = Field(
        description="Unique per product. Letters, digits, `-`, `_` and `.` (not first), "
        "at most 40 characters."
    )
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3, examples=["500"])
    unit: Name = Field(min_length=1, max_length=20, examples=["hộp 100 g"])
    production_date: Day
    expiry_date: Day
    origin: Place

    @model_validator(mode="after")
    def _dates_in_order(self) -> BatchCreate:
        if self.expiry_date <= self.production_date:
            raise ValueError("the expiry date must be after the production date")
        return self


class EventType(StrEnum):
    HARVESTING = "harvesting"
    PROCESSING = "processing"
    PACKING = "packing"
    SHIPPING = "shipping"
    RECEIVING = "receiving"
    INSPECTING = "inspecting"
    CUSTOM = "custom"


class EventCreate(Strict):
    type: EventType
    type_label: Name | None = Field(
        default=None, min_length=1, max_length=100, description="Required for a custom type."
    )
    time: Moment = Field(
        description="RFC 3339 with a time zone offset, e.g. 2026-03-03T08:30:00+07:00; "
        "between 2000-01-01 and 2100-01-01."
    )
    place: Place
    actor: Name = Field(min_length=1, max_length=200, examples=["Tổ sao chè thôn Giàng A"])
    notes: Text = Field(default="", max_length=2000)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the time must include a time zone offset, e.g. +07:00")
        return value.replace(microsecond=0)

    @model_validator(mode="after")
    def _custom_label(self) -> EventCreate:
        if self.type is EventType.CUSTOM and not self.type_label:
            raise ValueError("a custom event needs a type_label saying what happened")
        if self.type is not EventType.CUSTOM and self.type_label is not None:
            raise ValueError("type_label is only for custom events")
        return self


class ProductOut(BaseModel):
    id: str
    organization_id: str
    name: str
    image_url: str
    category: str
    description: str
    ingredients: str
    standards: list[str]
    shelf_life_days: int | None
    gtin: str | None
    ocop: dict[str, Any] | None


class PlaceOut(BaseModel):
    name: str
    address: str
    lat: str | None
    lon: str | None


class BatchOut(BaseModel):
    id: str
    product_id: str
    lot_code: str
    quantity: str
    unit: str
    production_date: date
    expiry_date: date
    origin: PlaceOut
    issued_at: datetime
    key_id: str
    label_url: str
    token: str


class EventOut(BaseModel):
    seq: int
    type: str
    type_label: str | None
    time: str
    place: PlaceOut
    actor: str
    notes: str
    trace_code: str
    hash: str
    key_id: str
