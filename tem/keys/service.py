"""Create keys, endorse and revoke them, and build the trust store from the database.

Services only ``flush()``; the caller's unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tem.crypto import cbor, cose
from tem.crypto.keys import KeyId, key_id, raw_public
from tem.crypto.statements import TYPE_KEY, StatementType
from tem.errors import Conflict, InvalidInput, NotFound
from tem.keys.store import KeyStore
from tem.models import Endorsement, KeyPurpose, Organization, Revocation, Role, SigningKey
from tem.verify.trust import Anchor, TrustStore


def to_unix(moment: datetime) -> int:
    """Whole Unix seconds of an aware datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sign_statement(private_key: ed25519.Ed25519PrivateKey, claims: dict[object, object]) -> bytes:
    """Sign a statement payload as an untagged COSE_Sign1 (see docs/format.md)."""
    kid = key_id(private_key.public_key())
    return cose.sign1(private_key, cbor.encode(claims), kid=kid)


_NEW_KEY_FILES = "tem.new_key_files"


def _discard_on_rollback(session: Session, store: KeyStore, name: str) -> None:
    """Delete the key file ``name`` if the unit of work that made it is rolled back.

    A key file whose row never reaches the database is an orphan: nothing can use it,
    and it holds a private key. Kept once the outermost transaction commits.
    """
    pending: list[tuple[KeyStore, str]] | None = session.info.get(_NEW_KEY_FILES)
    if pending is None:
        pending = session.info[_NEW_KEY_FILES] = []

        @event.listens_for(session, "after_commit")
        def _keep(committed: Session) -> None:
            committed.info.get(_NEW_KEY_FILES, []).clear()

        @event.listens_for(session, "after_rollback")
        def _discard(rolled_back: Session) -> None:
            files = rolled_back.info.get(_NEW_KEY_FILES, [])
            for owner, file_name in files:
                owner.discard(file_name)
            files.clear()

    pending.append((store, name))


def _add_key(
    session: Session, store: KeyStore, org: Organization, purpose: KeyPurpose
) -> tuple[SigningKey, ed25519.Ed25519PrivateKey]:
    name, private = store.generate()
    _discard_on_rollback(session, store, name)
    public = raw_public(private.public_key())
    key = SigningKey(
        kid=key_id(public),
        public_key=public,
        organization_id=org.id,
        purpose=purpose,
        store_name=name,
    )
    session.add(key)
    session.flush()
    return key, private


def create_root_key(session: Session, store: KeyStore, authority: Organization) -> SigningKey:
    """Give an authority its Ed25519 root key (a trust anchor)."""
    if authority.kind is not Role.AUTHORITY:
        raise InvalidInput("only an authority holds a root key", field="organization")
    key, _ = _add_key(session, store, authority, KeyPurpose.ROOT)
    return key


def authority_root(session: Session, authority: Organization) -> SigningKey:
    """The authority's newest root key."""
    key = session.scalars(
        select(SigningKey)
        .where(SigningKey.organization_id == authority.id, SigningKey.purpose == KeyPurpose.ROOT)
        .order_by(SigningKey.id.desc())
    ).first()
    if key is None:
        raise NotFound(f"authority {authority.name} has no root key; run `tem init`")
    return key


@dataclass(frozen=True)
class Windows:
    """An endorsement's windows: signing [sign_from, sign_until], verification until verify_until."""

    sign_from: datetime
    sign_until: datetime
    verify_until: datetime

    @classmethod
    def from_days(cls, now: datetime, sign_days: int, verify_days: int) -> Windows:
        if not 1 <= sign_days <= 3650:
            raise InvalidInput(
                "the signing window must be between 1 and 3650 days", field="sign_days"
            )
        if not sign_days <= verify_days <= 7300:
            raise InvalidInput(
                "the verification window must be at least the signing window and at most 7300 days",
                field="verify_days",
            )
        start = now.replace(microsecond=0)
        return cls(start, start + timedelta(days=sign_days), start + timedelta(days=verify_days))


def create_endorsed_key(
    session: Session,
    store: KeyStore,
    authority: Organization,
    cooperative: Organization,
    windows: Windows,
) -> tuple[SigningKey, Endorsement]:
    """Create a signing key for ``cooperative`` and endorse it with the authority's root key."""
    if cooperative.kind is not Role.COOPERATIVE:
        raise InvalidInput("signing keys are for cooperatives", field="organization")
    key, _ = _add_key(session, store, cooperative, KeyPurpose.SIGNING)
    return key, endorse(session, store, authority, key, cooperative, windows)


def endorse(
    session: Session,
    store: KeyStore,
    authority: Organization,
    key: SigningKey,
    cooperative: Organization,
    windows: Windows,
) -> Endorsement:
    """Sign an endorsement statement (type 1) binding ``key`` to ``cooperative``."""
    root = authority_root(session, authority)
    claims: dict[object, object] = {
        TYPE_KEY: StatementType.ENDORSEMENT,
        "iss": authority.public_id,
        "kid": key.kid,
        "pub": key.public_key,
        "org": cooperative.public_id,
        "org_name": cooperative.name,
        "sign_from": to_unix(windows.sign_from),
        "sign_until": to_unix(windows.sign_until),
        "verify_until": to_unix(windows.verify_until),
        "iat": to_unix(datetime.now(UTC)),
    }
    statement = sign_statement(store.load(root.store_name), claims)
    endorsement = Endorsement(
        key_id=key.id,
        authority_key_id=root.id,
        sign_from=windows.sign_from,
        sign_until=windows.sign_until,
        verify_until=windows.verify_until,
        statement=statement,
    )
    session.add(endorsement)
    session.flush()
    return endorsement


def revoke(
    session: Session,
    store: KeyStore,
    authority: Organization,
    key: SigningKey,
    reason: str,
    revoked_at: datetime,
) -> Revocation:
    """Sign a revocation statement (type 2): labels signed at or after ``revoked_at`` fail."""
    if key.purpose is not KeyPurpose.SIGNING:
        raise InvalidInput("only cooperative signing keys can be revoked here", field="kid")
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput("give a reason of 1 to 500 characters", field="reason")
    existing = session.scalars(select(Revocation).where(Revocation.key_id == key.id)).first()
    if existing is not None:
        raise Conflict("this key is already revoked")
    root = authority_root(session, authority)
    claims: dict[object, object] = {
        TYPE_KEY: StatementType.REVOCATION,
        "iss": authority.public_id,
        "kid": key.kid,
        "revoked_at": to_unix(revoked_at),
        "reason": reason,
        "iat": to_unix(datetime.now(UTC)),
    }
    revocation = Revocation(
        key_id=key.id,
        authority_key_id=root.id,
        revoked_at=revoked_at,
        reason=reason,
        statement=sign_statement(store.load(root.store_name), claims),
    )
    session.add(revocation)
    session.flush()
    return revocation


def find_key(session: Session, kid_hex: str) -> SigningKey:
    """Look a key up by its hex id.

    Raises:
        NotFound: when no key has that id (a malformed id is also "not found").
    """
    try:
        kid = bytes.fromhex(kid_hex)
    except ValueError as exc:
        raise NotFound("no key with that id") from exc
    key = session.scalars(select(SigningKey).where(SigningKey.kid == kid)).first()
    if key is None:
        raise NotFound("no key with that id")
    return key


def active_signing_key(session: Session, org: Organization, now: datetime) -> SigningKey:
    """The newest key of ``org`` that is endorsed for signing now and not revoked.

    Raises:
        Conflict: when the cooperative has no usable key (ask the authority for one).
    """
    revoked = select(Revocation.key_id)
    key = session.scalars(
        select(SigningKey)
        .join(Endorsement, Endorsement.key_id == SigningKey.id)
        .where(
            SigningKey.organization_id == org.id,
            SigningKey.purpose == KeyPurpose.SIGNING,
            Endorsement.sign_from <= now,
            Endorsement.sign_until >= now,
            SigningKey.id.not_in(revoked),
        )
        .order_by(SigningKey.id.desc())
    ).first()
    if key is None:
        raise Conflict(
            f"{org.name} has no endorsed signing key valid now; the authority must create and endorse one"
        )
    return key


def anchors(session: Session) -> list[Anchor]:
    rows = session.execute(
        select(SigningKey, Organization)
        .join(Organization, Organization.id == SigningKey.organization_id)
        .where(SigningKey.purpose == KeyPurpose.ROOT)
    ).all()
    return [Anchor(KeyId(k.kid), k.public_key, o.name, o.public_id) for k, o in rows]


def trust_store(session: Session) -> TrustStore:
    """Build the trust store from this database's anchors, endorsements and revocations."""
    return TrustStore.build(
        anchors(session),
        session.scalars(select(Endorsement.statement).order_by(Endorsement.id)).all(),
        session.scalars(select(Revocation.statement).order_by(Revocation.id)).all(),
    )


def trust_bundle(session: Session) -> dict[str, object]:
    """Everything an offline verifier needs besides its own choice of anchors (CBOR-able)."""
    return {
        "anchors": [
            {"kid": a.kid, "pub": a.public_key, "name": a.name, "org": a.org_id}
            for a in anchors(session)
        ],
        "endorsements": list(
            session.scalars(select(Endorsement.statement).order_by(Endorsement.id))
        ),
        "revocations": list(session.scalars(select(Revocation.statement).order_by(Revocation.id))),
    }
