"""Organizations and API tokens. Tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.errors import Forbidden, NotFound, Unauthorized
from tem.models import ApiToken, Organization, Role

TOKEN_PREFIX = "tem_"  # noqa: S105 - a public prefix, not a secret


def new_public_id() -> str:
    """A random, URL-safe, case-insensitive id for things people see (80 bits)."""
    return secrets.token_hex(10)


def create_organization(
    session: Session, *, kind: Role, name: str, is_demo: bool = False, **fields: str
) -> Organization:
    org = Organization(public_id=new_public_id(), kind=kind, name=name, is_demo=is_demo, **fields)
    session.add(org)
    session.flush()
    return org


def get_organization(session: Session, public_id: str) -> Organization:
    org = session.scalars(select(Organization).where(Organization.public_id == public_id)).first()
    if org is None:
        raise NotFound("no organization with that id")
    return org


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.id)))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, org: Organization, name: str) -> tuple[ApiToken, str]:
    """Mint an API token bound to ``org`` and its role; returns the row and the secret (shown once)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        organization_id=org.id,
        role=org.kind,
        name=name,
        prefix=secret[:12],
        token_hash=hash_token(secret),
    )
    session.add(row)
    session.flush()
    return row, secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: one organization, one role."""

    organization: Organization
    role: Role

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            article = "an" if allowed[0] in "aeiou" else "a"
            raise Forbidden(
                f"this needs {article} {allowed} token; yours is a {self.role.value} token"
            )


def authenticate(session: Session, secret: str) -> Principal:
    """Resolve a bearer token to its organization and role.

    Raises:
        Unauthorized: for an unknown, malformed or revoked token (one message for all).
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise Unauthorized("invalid API token")
    digest = hash_token(secret)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        raise Unauthorized("invalid API token")
    org = session.get(Organization, row.organization_id)
    if org is None:  # pragma: no cover - foreign key makes this impossible
        raise Unauthorized("invalid API token")
    return Principal(org, row.role)


def organization_out(org: Organization) -> dict[str, object]:
    return {
        "id": org.public_id,
        "kind": org.kind.value,
        "name": org.name,
        "province": org.province,
        "district": org.district,
        "commune": org.commune,
        "street": org.street,
        "address": org.address,
        "contact_name": org.contact_name,
        "phone": org.phone,
        "email": org.email,
        "is_demo": org.is_demo,
    }
