"""Register products, open batches, append origin events: each record signed on write.

Services ``flush()`` only; the request or CLI command commits once. A
cooperative only ever sees its own rows: anything else is "not found".
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tem.crypto import base32, cose
from tem.crypto.statements import BATCH_ID_LENGTH, BatchId, digest, label_payload, token_url
from tem.errors import Conflict, Forbidden, NotFound
from tem.keys.service import active_signing_key, sign_statement, to_unix
from tem.keys.store import KeyStore
from tem.models import Batch, Event, Organization, Product, Role, SigningKey
from tem.orgs.service import Principal, new_public_id
from tem.trace import records
from tem.trace.schemas import BatchCreate, EventCreate, ProductCreate


def _can_read_all(principal: Principal) -> bool:
    return principal.role in (Role.AUTHORITY, Role.INSPECTOR)


def _owned(principal: Principal) -> Organization:
    if principal.role is not Role.COOPERATIVE:
        raise Forbidden("only a cooperative can change products, batches and events")
    return principal.organization


# --- products ---------------------------------------------------------------------


def _apply_product(product: Product, data: ProductCreate) -> None:
    product.name = data.name
    product.image_url = data.image_url
    product.category = data.category
    product.description = data.description
    product.ingredients = data.ingredients
    product.standards = list(data.standards)
    product.shelf_life_days = data.shelf_life_days
    product.gtin = data.gtin
    ocop = data.ocop
    product.ocop_stars = ocop.stars if ocop else None
    product.ocop_certificate = ocop.certificate if ocop else None
    product.ocop_council = ocop.council if ocop else None
    product.ocop_awarded = ocop.awarded if ocop else None
    product.ocop_expires = ocop.expires if ocop else None


def create_product(session: Session, principal: Principal, data: ProductCreate) -> Product:
    org = _owned(principal)
    product = Product(public_id=new_public_id(), organization_id=org.id)
    _apply_product(product, data)
    session.add(product)
    session.flush()
    return product


def update_product(
    session: Session, principal: Principal, public_id: str, data: ProductCreate
) -> Product:
    _owned(principal)
    product = get_product(session, principal, public_id)
    _apply_product(product, data)
    session.flush()
    return product


def get_product(session: Session, principal: Principal, public_id: str) -> Product:
    query = select(Product).where(Product.public_id == public_id)
    if not _can_read_all(principal):
        query = query.where(Product.organization_id == principal.organization.id)
    product = session.scalars(query).first()
    if product is None:
        raise NotFound("no product with that id")
    return product


def list_products(session: Session, principal: Principal) -> list[Product]:
    query = select(Product).order_by(Product.id)
    if not _can_read_all(principal):
        query = query.where(Product.organization_id == principal.organization.id)
    return list(session.scalars(query))


def product_out(product: Product, org_public_id: str) -> dict[str, object]:
    snap = records.product_snapshot(product)
    snap.pop("id")
    return {"id": product.public_id, "organization_id": org_public_id, **snap}


# --- batches ----------------------------------------------------------------------


def create_batch(
    session: Session,
    store: KeyStore,
    principal: Principal,
    data: BatchCreate,
    *,
    now: datetime | None = None,
) -> Batch:
    """Open a batch: sign its record (type 3) and its label token (type 5).

    Raises:
        NotFound: the product is not this cooperative's.
        Conflict: the lot code is taken for this product, or there is no usable key.
    """
    org = _owned(principal)
    product = get_product(session, principal, data.product_id)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    taken = session.scalar(
        select(func.count())
        .select_from(Batch)
        .where(Batch.product_id == product.id, Batch.lot_code == data.lot_code)
    )
    if taken:
        raise Conflict(f"lot code {data.lot_code} already exists for this product")
    key = active_signing_key(session, org, moment)
    private = store.load(key.store_name)
    batch = Batch(
        public_id=secrets.token_bytes(BATCH_ID_LENGTH),
        organization_id=org.id,
        product_id=product.id,
        lot_code=data.lot_code,
        quantity=records.decimal_text(data.quantity) or "0",
        unit=data.unit,
        production_date=data.production_date,
        expiry_date=data.expiry_date,
        origin_name=data.origin.name,
        origin_address=data.origin.address,
        origin_lat=records.decimal_text(data.origin.lat),
        origin_lon=records.decimal_text(data.origin.lon),
        issued_at=to_unix(moment),
        signing_key_id=key.id,
    )
    claims = records.batch_claims(
        batch, org.public_id, records.product_snapshot(product), records.producer_snapshot(org)
    )
    batch.statement = sign_statement(private, claims)
    batch.label_token = cose.sign1(
        private, label_payload(BatchId(batch.public_id), batch.issued_at), kid=key.kid
    )
    session.add(batch)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the same lot code
        raise Conflict(f"lot code {data.lot_code} already exists for this product") from exc
    return batch


def parse_batch_id(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError as exc:
        raise NotFound("no batch with that id") from exc
    if len(raw) != BATCH_ID_LENGTH:
        raise NotFound("no batch with that id")
    return raw


def get_batch(
    session: Session, principal: Principal, public_id: str, *, for_update: bool = False
) -> Batch:
    """A batch the caller may see; another cooperative's batch is "not found" (no existence leak)."""
    query = select(Batch).where(Batch.public_id == parse_batch_id(public_id))
    if not _can_read_all(principal):
        query = query.where(Batch.organization_id == principal.organization.id)
    if for_update:
        query = query.with_for_update()
    batch = session.scalars(query).first()
    if batch is None:
        raise NotFound("no batch with that id")
    return batch


def find_batch_by_lot(session: Session, principal: Principal, lot_code: str) -> Batch:
    query = select(Batch).where(Batch.lot_code == lot_code)
    if not _can_read_all(principal):
        query = query.where(Batch.organization_id == principal.organization.id)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise NotFound(f"no batch with lot code {lot_code}")
    if len(found) > 1:
        raise Conflict(f"several products have a lot {lot_code}; use the batch id")
    return found[0]


def list_batches(
    session: Session, principal: Principal, product_id: str | None = None
) -> list[Batch]:
    query = select(Batch).order_by(Batch.id)
    if not _can_read_all(principal):
        query = query.where(Batch.organization_id == principal.organization.id)
    if product_id is not None:
        query = query.join(Product, Product.id == Batch.product_id).where(
            Product.public_id == product_id
        )
    return list(session.scalars(query))


def label_token_text(batch: Batch) -> str:
    return base32.encode(batch.label_token)


def batch_out(session: Session, batch: Batch, public_url: str) -> dict[str, object]:
    product_id = session.scalar(select(Product.public_id).where(Product.id == batch.product_id))
    kid = session.scalar(select(SigningKey.kid).where(SigningKey.id == batch.signing_key_id))
    token = label_token_text(batch)
    return {
        "id": batch.public_id.hex(),
        "product_id": product_id,
        "lot_code": batch.lot_code,
        "quantity": batch.quantity,
        "unit": batch.unit,
        "production_date": batch.production_date,
        "expiry_date": batch.expiry_date,
        "origin": records.place_claims(
            batch.origin_name, batch.origin_address, batch.origin_lat, batch.origin_lon
        ),
        "issued_at": datetime.fromtimestamp(batch.issued_at, UTC),
        "key_id": kid.hex() if kid else "",
        "label_url": token_url(public_url, token),
        "token": token,
    }


# --- events -----------------------------------------------------------------------


def append_event(
    session: Session,
    store: KeyStore,
    principal: Principal,
    batch_id: str,
    data: EventCreate,
    *,
    now: datetime | None = None,
) -> Event:
    """Append a signed origin event (type 4) to the batch's hash chain.

    Raises:
        NotFound: the batch is not this cooperative's.
        Conflict: another event was appended at the same moment (retry), or no usable key.
    """
    org = _owned(principal)
    batch = get_batch(session, principal, batch_id, for_update=True)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    last = session.execute(
        select(Event.seq, Event.statement)
        .where(Event.batch_id == batch.id)
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    seq, previous = (0, batch.statement) if last is None else (last.seq + 1, last.statement)
    key = active_signing_key(session, org, moment)
    place = data.place
    event = Event(
        batch_id=batch.id,
        seq=seq,
        event_type=data.type.value,
        type_label=data.type_label,
        occurred_at=data.time.isoformat(timespec="seconds"),
        occurred_utc=data.time.astimezone(UTC),
        place_name=place.name,
        place_address=place.address,
        place_lat=records.decimal_text(place.lat),
        place_lon=records.decimal_text(place.lon),
        actor=data.actor,
        notes=data.notes,
        issued_at=to_unix(moment),
        prev_hash=digest(previous),
        signing_key_id=key.id,
    )
    event.statement = sign_statement(
        store.load(key.store_name), records.event_claims(event, batch.public_id)
    )
    session.add(event)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "another event was added to this batch at the same moment; try again"
        ) from exc
    return event


def list_events(session: Session, batch: Batch) -> list[Event]:
    return list(
        session.scalars(select(Event).where(Event.batch_id == batch.id).order_by(Event.seq))
    )


def event_out(event: Event, lot_code: str, kid: bytes) -> dict[str, object]:
    return {
        "seq": event.seq,
        "type": event.event_type,
        "type_label": event.type_label,
        "time": event.occurred_at,
        "place": records.place_claims(
            event.place_name, event.place_address, event.place_lat, event.place_lon
        ),
        "actor": event.actor,
        "notes": event.notes,
        "trace_code": records.trace_code(lot_code, event.seq),
        "hash": digest(event.statement).hex(),
        "key_id": kid.hex(),
    }
