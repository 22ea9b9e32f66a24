"""/api/v1/organizations: the authority registers cooperatives and inspectors and mints tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tem.http.deps import CurrentPrincipal, DbSession
from tem.models import Role
from tem.orgs import service
from tem.orgs.schemas import (
    OrganizationCreate,
    OrganizationOut,
    TokenCreate,
    TokenInfo,
    TokenOut,
)
from tem.validation import Id

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.post("", status_code=201, response_model=OrganizationOut)
def create_organization(
    body: OrganizationCreate, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Register a cooperative or an inspector organization (authority only)."""
    principal.require(Role.AUTHORITY)
    fields = body.model_dump(exclude={"kind", "name", "email"})
    org = service.create_organization(
        session, kind=Role(body.kind), name=body.name, email=str(body.email or ""), **fields
    )
    return service.organization_out(org)


@router.get("", response_model=list[OrganizationOut])
def list_organizations(session: DbSession, principal: CurrentPrincipal) -> Any:
    """All organizations (authority), or just your own."""
    if principal.role is Role.AUTHORITY:
        return [service.organization_out(o) for o in service.list_organizations(session)]
    return [service.organization_out(principal.organization)]


@router.get("/me", response_model=OrganizationOut)
def whoami(principal: CurrentPrincipal) -> Any:
    """The organization your token belongs to."""
    return service.organization_out(principal.organization)


@router.get("/{org_id}", response_model=OrganizationOut)
def get_organization(org_id: Id, session: DbSession, principal: CurrentPrincipal) -> Any:
    if principal.role is not Role.AUTHORITY and org_id != principal.organization.public_id:
        org_id = ""  # others' organizations are simply not found
    return service.organization_out(service.get_organization(session, org_id))


@router.post("/{org_id}/tokens", status_code=201, response_model=TokenOut)
def create_token(
    org_id: Id, body: TokenCreate, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Mint an API token for an organization (authority only). The secret is shown once."""
    principal.require(Role.AUTHORITY)
    org = service.get_organization(session, org_id)
    row, secret = service.create_token(session, org, body.name, expires_days=body.expires_days)
    info = service.token_out(row, org)
    return {"token": secret, **info}


tokens_router = APIRouter(prefix="/tokens", tags=["organizations"])


@tokens_router.get("", response_model=list[TokenInfo])
def list_tokens(session: DbSession, principal: CurrentPrincipal) -> Any:
    """API tokens, without their secrets: every organization's (authority) or your own."""
    return [service.token_out(t, o) for t, o in service.list_tokens(session, principal)]


@tokens_router.post("/{token_id}/revoke", response_model=TokenInfo)
def revoke_token(token_id: str, session: DbSession, principal: CurrentPrincipal) -> Any:
    """Revoke a token at once (an authority: any; others: their own organization's)."""
    row, org = service.revoke_token(session, principal, token_id)
    return service.token_out(row, org)
