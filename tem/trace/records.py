"""The claims of batch records and events, built from database rows.

The same functions build the payload at signing time and rebuild it at
verification time, so a row changed after signing shows up as a mismatch.
Layouts are specified in docs/format.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tem.crypto.statements import TYPE_KEY, StatementType
from tem.models import Batch, Event, Organization, Product

Claims = dict[Any, Any]


def decimal_text(value: Decimal | None) -> str | None:
    """Decimals travel as text without exponent or trailing zeros: Decimal('21.700') -> '21.7'."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def place_claims(name: str, address: str, lat: str | None, lon: str | None) -> Claims:
    return {"name": name, "address": address, "lat": lat, "lon": lon}


def product_snapshot(product: Product) -> Claims:
    """The product as signed into each batch record (a snapshot: later edits do not alter it)."""
    ocop = None
    if product.ocop_stars is not None:
        ocop = {
            "stars": product.ocop_stars,
            "certificate": product.ocop_certificate or "",
            "council": product.ocop_council or "",
            "awarded": product.ocop_awarded.isoformat() if product.ocop_awarded else "",
            "expires": product.ocop_expires.isoformat() if product.ocop_expires else "",
        }
    return {
        "id": product.public_id,
        "name": product.name,
        "image_url": product.image_url,
        "category": product.category,
        "description": product.description,
        "ingredients": product.ingredients,
        "standards": list(product.standards),
        "shelf_life_days": product.shelf_life_days,
        "gtin": product.gtin,
        "ocop": ocop,
    }


def producer_snapshot(org: Organization) -> Claims:
    return {
        "id": org.public_id,
        "name": org.name,
        "street": org.street,
        "commune": org.commune,
        "district": org.district,
        "province": org.province,
        "phone": org.phone,
        "email": org.email,
    }


def batch_claims(batch: Batch, org_id: str, product: Claims, producer: Claims) -> Claims:
    """Payload of a batch record (type 3)."""
    return {
        TYPE_KEY: StatementType.BATCH,
        "org": org_id,
        "batch": batch.public_id,
        "lot": batch.lot_code,
        "quantity": batch.quantity,
        "unit": batch.unit,
        "produced": batch.production_date.isoformat(),
        "expires": batch.expiry_date.isoformat(),
        "origin": place_claims(
            batch.origin_name, batch.origin_address, batch.origin_lat, batch.origin_lon
        ),
        "product": product,
        "producer": producer,
        "iat": batch.issued_at,
    }


def event_claims(event: Event, batch_public_id: bytes) -> Claims:
    """Payload of an origin event (type 4); ``prev`` chains it to what came before."""
    return {
        TYPE_KEY: StatementType.EVENT,
        "batch": batch_public_id,
        "seq": event.seq,
        "prev": event.prev_hash,
        "type": event.event_type,
        "type_label": event.type_label,
        "time": event.occurred_at,
        "place": place_claims(
            event.place_name, event.place_address, event.place_lat, event.place_lon
        ),
        "actor": event.actor,
        "notes": event.notes,
        "iat": event.issued_at,
    }


def trace_code(lot_code: str, seq: int) -> str:
    """A stage's human trace code: the lot code and the stage number."""
    return f"{lot_code}-{seq + 1:02d}"
