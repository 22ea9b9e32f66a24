"""Organizations and API tokens. Tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tem.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from tem.models import ApiToken, Organization, Role
from tem.models.base import utcnow

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


MAX_TOKEN_DAYS = 3650
LAST_USED_GRAIN = timedelta(days=1)  # how finely a token's last use is recorded


def create_token(
    session: Session,
    org: Organization,
    name: str,
    *,
    expires_days: int | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Mint an API token bound to ``org`` and its role; returns the row and the secret (shown once).

    ``expires_days`` (1 to 3650) makes it stop working that many days from now; without
    it the token works until it is revoked.

    Raises:
        InvalidInput: ``expires_days`` out of range.
    """
    now = now or utcnow()
    expires_at = None
    if expires_days is not None:
        if not 1 <= expires_days <= MAX_TOKEN_DAYS:
            raise InvalidInput(
                f"a token may expire after 1 to {MAX_TOKEN_DAYS} days", field="expires_days"
            )
        expires_at = now + timedelta(days=expires_days)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        public_id=new_public_id(),
        organization_id=org.id,
        role=org.kind,
        name=name,
        prefix=secret[:12],
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, secret


def _aware(moment: datetime) -> datetime:
    # SQLite hands DateTime(timezone=True) values back naive; they were stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_expired(row: ApiToken, now: datetime) -> bool:
    return row.expires_at is not None and _aware(row.expires_at) <= now


def list_tokens(session: Session, principal: Principal) -> list[tuple[ApiToken, Organization]]:
    """Tokens the caller may see: every organization's for an authority, its own otherwise."""
    query = (
        select(ApiToken, Organization)
        .join(Organization, Organization.id == ApiToken.organization_id)
        .order_by(ApiToken.id)
    )
    if principal.role is not Role.AUTHORITY:
        query = query.where(ApiToken.organization_id == principal.organization.id)
    return [(row[0], row[1]) for row in session.execute(query)]


def revoke_token(
    session: Session, principal: Principal, public_id: str, now: datetime | None = None
) -> tuple[ApiToken, Organization]:
    """Revoke a token at once: the next request that sends it gets 401.

    An authority may revoke any token; any other organization only its own.

    Raises:
        NotFound: no such token, or another organization's.
        Conflict: the token is already revoked.
    """
    query = select(ApiToken).where(ApiToken.public_id == public_id).with_for_update()
    if principal.role is not Role.AUTHORITY:
        query = query.where(ApiToken.organization_id == principal.organization.id)
    row = session.scalars(query).first()
    if row is None:
        raise NotFound("no token with that id")
    if row.revoked_at is not None:
        raise Conflict("this token is already revoked")
    row.revoked_at = now or utcnow()
    session.flush()
    org = session.get(Organization, row.organization_id)
    assert org is not None  # the foreign key guarantees it
    return row, org


def token_out(row: ApiToken, org: Organization, now: datetime | None = None) -> dict[str, object]:
    """A token as listed: everything but the secret, which is never shown again."""
    now = now or utcnow()
    status = "active"
    if row.revoked_at is not None:
        status = "revoked"
    elif is_expired(row, now):
        status = "expired"
    return {
        "id": row.public_id,
        "prefix": row.prefix,
        "organization": org.public_id,
        "role": row.role.value,
        "name": row.name,
        "created_at": _aware(row.created_at),
        "expires_at": _aware(row.expires_at) if row.expires_at else None,
        "last_used_at": _aware(row.last_used_at) if row.last_used_at else None,
        "revoked_at": _aware(row.revoked_at) if row.revoked_at else None,
        "status": status,
    }


@dataclass(frozen=True)
class Principal:
    """Who is calling: one organization, one role."""

    organization: Organization
    role: Role
    token_id: int | None = None  # the API token that authenticated the call, if any
    record_use: bool = field(default=False, compare=False)  # its last use is a day old

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            article = "an" if allowed[0] in "aeiou" else "a"
            raise Forbidden(
                f"this needs {article} {allowed} token; yours is a {self.role.value} token"
            )


def authenticate(session: Session, secret: str, now: datetime | None = None) -> Principal:
    """Resolve a bearer token to its organization and role.

    ``record_use`` on the result says its last use should be noted (:func:`record_token_use`).

    Raises:
        Unauthorized: for an unknown, malformed, revoked or expired token (one message for all).
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise Unauthorized("invalid API token")
    now = now or utcnow()
    digest = hash_token(secret)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if (
        row is None
        or row.revoked_at is not None
        or is_expired(row, now)
        or not hmac.compare_digest(row.token_hash, digest)
    ):
        raise Unauthorized("invalid API token")
    org = session.get(Organization, row.organization_id)
    if org is None:  # pragma: no cover - foreign key makes this impossible
        raise Unauthorized("invalid API token")
    due = row.last_used_at is None or _aware(row.last_used_at) <= now - LAST_USED_GRAIN
    return Principal(org, row.role, token_id=row.id, record_use=due)


def record_token_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Note that a token was used today (at most one write a day per token).

    Run it in a short transaction of its own, not the request's: a long request (an
    export) would otherwise hold the row, or SQLite's write lock, for its whole length.
    """
    now = now or utcnow()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_GRAIN),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


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
