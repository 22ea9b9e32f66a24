"""/api/v1/keys and /api/v1/trust-bundle: create, endorse, revoke, publish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.crypto import cbor
from tem.errors import InvalidInput, NotFound
from tem.http.deps import CurrentPrincipal, DbSession, Store
from tem.keys import service
from tem.keys.schemas import KeyCreate, KeyOut, KeyRevoke
from tem.models import Endorsement, KeyPurpose, Organization, Revocation, Role, SigningKey
from tem.orgs.service import get_organization
from tem.validation import Id

router = APIRouter(tags=["keys"])


def key_out(session: Session, key: SigningKey) -> dict[str, Any]:
    endorsement = session.scalars(
        select(Endorsement).where(Endorsement.key_id == key.id).order_by(Endorsement.id.desc())
    ).first()
    revocation = session.scalars(select(Revocation).where(Revocation.key_id == key.id)).first()
    org_id = session.scalar(
        select(Organization.public_id).where(Organization.id == key.organization_id)
    )
    return {
        "key_id": key.kid.hex(),
        "organization_id": org_id,
        "purpose": key.purpose.value,
        "public_key": key.public_key.hex(),
        "sign_from": endorsement.sign_from if endorsement else None,
        "sign_until": endorsement.sign_until if endorsement else None,
        "verify_until": endorsement.verify_until if endorsement else None,
        "revoked_at": revocation.revoked_at if revocation else None,
        "endorsement": endorsement.statement.hex() if endorsement else None,
    }


@router.post("/organizations/{org_id}/keys", status_code=201, response_model=KeyOut)
def create_key(
    org_id: Id, body: KeyCreate, session: DbSession, store: Store, principal: CurrentPrincipal
) -> Any:
    """Create a signing key for a cooperative and endorse it (authority only)."""
    principal.require(Role.AUTHORITY)
    cooperative = get_organization(session, org_id)
    windows = service.Windows.from_days(datetime.now(UTC), body.sign_days, body.verify_days)
    key, _ = service.create_endorsed_key(
        session, store, principal.organization, cooperative, windows
    )
    return key_out(session, key)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Keys: all of them for an authority or inspector, your own for a cooperative."""
    query = select(SigningKey).order_by(SigningKey.id)
    if principal.role is Role.COOPERATIVE:
        query = query.where(SigningKey.organization_id == principal.organization.id)
    return [key_out(session, k) for k in session.scalars(query)]


@router.post("/keys/{kid}/revoke", response_model=KeyOut)
def revoke_key(
    kid: Id, body: KeyRevoke, session: DbSession, store: Store, principal: CurrentPrincipal
) -> Any:
    """Revoke a cooperative's key (authority only). Labels signed at or after `revoked_at` fail."""
    principal.require(Role.AUTHORITY)
    key = service.find_key(session, kid)
    if key.purpose is not KeyPurpose.SIGNING:
        raise NotFound("no signing key with that id")
    when = body.revoked_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise InvalidInput("revoked_at must include a time zone offset", field="revoked_at")
    service.revoke(session, store, principal.organization, key, body.reason, when)
    return key_out(session, key)


@router.get("/trust-bundle", responses={200: {"content": {"application/cbor": {}}}})
def trust_bundle(session: DbSession) -> Response:
    """Anchors, endorsements and revocations as deterministic CBOR, for offline verifiers (public)."""
    return Response(cbor.encode(service.trust_bundle(session)), media_type="application/cbor")
