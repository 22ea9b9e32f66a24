"""/api/v1/products, /api/v1/batches and their events. Thin: parse, authorize, call, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from tem.http.deps import CurrentPrincipal, DbSession, State, Store
from tem.models import Organization, SigningKey
from tem.trace import service
from tem.trace.schemas import (
    BatchCreate,
    BatchOut,
    EventCreate,
    EventOut,
    ProductCreate,
    ProductOut,
    ProductUpdate,
)
from tem.validation import Id

router = APIRouter(tags=["trace"])


def _org_public_id(session: DbSession, org_pk: int) -> str:
    return session.scalar(select(Organization.public_id).where(Organization.id == org_pk)) or ""


@router.post("/products", status_code=201, response_model=ProductOut)
def create_product(body: ProductCreate, session: DbSession, principal: CurrentPrincipal) -> Any:
    """Register a product (cooperative only)."""
    product = service.create_product(session, principal, body)
    return service.product_out(product, principal.organization.public_id)


@router.get("/products", response_model=list[ProductOut])
def list_products(session: DbSession, principal: CurrentPrincipal) -> Any:
    return [
        service.product_out(p, _org_public_id(session, p.organization_id))
        for p in service.list_products(session, principal)
    ]


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: Id, session: DbSession, principal: CurrentPrincipal) -> Any:
    product = service.get_product(session, principal, product_id)
    return service.product_out(product, _org_public_id(session, product.organization_id))


@router.put("/products/{product_id}", response_model=ProductOut)
def update_product(
    product_id: Id, body: ProductUpdate, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Replace a product's facts. Existing batches keep the snapshot they were signed with."""
    product = service.update_product(session, principal, product_id, body)
    return service.product_out(product, principal.organization.public_id)


@router.post(
    "/batches",
    status_code=201,
    response_model=BatchOut,
    responses={404: {"description": "No product of yours with that `product_id`."}},
)
def create_batch(
    body: BatchCreate, session: DbSession, store: Store, state: State, principal: CurrentPrincipal
) -> Any:
    """Open a batch: its record and label token are signed now. A taken lot code is 409."""
    batch = service.create_batch(session, store, principal, body)
    return service.batch_out(session, batch, state.settings.public_url)


@router.get("/batches", response_model=list[BatchOut])
def list_batches(
    session: DbSession, state: State, principal: CurrentPrincipal, product_id: Id | None = None
) -> Any:
    return [
        service.batch_out(session, b, state.settings.public_url)
        for b in service.list_batches(session, principal, product_id)
    ]


@router.get("/batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: Id, session: DbSession, state: State, principal: CurrentPrincipal) -> Any:
    return service.batch_out(
        session, service.get_batch(session, principal, batch_id), state.settings.public_url
    )


@router.post("/batches/{batch_id}/events", status_code=201, response_model=EventOut)
def add_event(
    batch_id: Id, body: EventCreate, session: DbSession, store: Store, principal: CurrentPrincipal
) -> Any:
    """Record an origin event; it is signed and chained to the one before."""
    event = service.append_event(session, store, principal, batch_id, body)
    batch = service.get_batch(session, principal, batch_id)
    kid = session.scalar(select(SigningKey.kid).where(SigningKey.id == event.signing_key_id)) or b""
    return service.event_out(event, batch.lot_code, kid)


@router.get("/batches/{batch_id}/events", response_model=list[EventOut])
def list_events(batch_id: Id, session: DbSession, principal: CurrentPrincipal) -> Any:
    batch = service.get_batch(session, principal, batch_id)
    kids = dict(session.execute(select(SigningKey.id, SigningKey.kid)).tuples().all())
    return [
        service.event_out(e, batch.lot_code, kids.get(e.signing_key_id, b""))
        for e in service.list_events(session, batch)
    ]
