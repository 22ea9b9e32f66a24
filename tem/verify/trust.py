"""The trust store: authority anchors, the endorsements they signed, and revocations.

Built from raw statements, each checked against the anchors, so a trust bundle
downloaded from anywhere is only as good as the anchors the verifier holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ed25519

from tem.crypto import cose
from tem.crypto.errors import TemError
from tem.crypto.keys import KeyId, key_id, load_public
from tem.crypto.statements import Statement, StatementType, parse_statement


class VerificationError(TemError):
    """A statement does not verify; the message says precisely why."""

    code = "verification_failed"


@dataclass(frozen=True)
class Anchor:
    """An authority root key the verifier trusts."""

    kid: KeyId
    public_key: bytes
    name: str
    org_id: str


@dataclass(frozen=True)
class EndorsedKey:
    """A cooperative signing key, as vouched for by an anchor."""

    kid: KeyId
    public_key: bytes
    org_id: str
    org_name: str
    sign_from: int
    sign_until: int
    verify_until: int
    authority: Anchor
    endorsement: bytes


@dataclass(frozen=True)
class Revocation:
    """An anchor's statement that a key stopped being trustworthy at ``revoked_at``."""

    kid: KeyId
    revoked_at: int
    reason: str
    authority: Anchor


@dataclass
class TrustStore:
    """Keys a verifier may rely on. ``problems`` lists statements that were refused."""

    anchors: dict[KeyId, list[Anchor]] = field(default_factory=dict)
    endorsed: dict[KeyId, list[EndorsedKey]] = field(default_factory=dict)
    revocations: dict[KeyId, list[Revocation]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Which endorsed key signed which statement bytes: a signature check is a pure
    # function of the bytes and this store, so it is done once per store. Bounded.
    signers: dict[bytes, EndorsedKey | None] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        anchors: Iterable[Anchor],
        endorsements: Iterable[bytes] = (),
        revocations: Iterable[bytes] = (),
    ) -> TrustStore:
        """Check every endorsement and revocation against the anchors and keep the good ones."""
        store = cls()
        for anchor in anchors:
            if len(anchor.public_key) != 32 or key_id(anchor.public_key) != anchor.kid:
                store.problems.append(f"anchor {anchor.name}: key id does not match its key")
                continue
            store.anchors.setdefault(anchor.kid, []).append(anchor)
        for raw in endorsements:
            try:
                endorsed = store._check_endorsement(raw)
            except TemError as exc:
                store.problems.append(f"endorsement refused: {exc.message}")
                continue
            store.endorsed.setdefault(endorsed.kid, []).append(endorsed)
        for raw in revocations:
            try:
                revocation = store._check_revocation(raw)
            except TemError as exc:
                store.problems.append(f"revocation refused: {exc.message}")
                continue
            store.revocations.setdefault(revocation.kid, []).append(revocation)
        return store

    @classmethod
    def from_bundle(cls, data: bytes, *, pinned_anchors: set[bytes] | None = None) -> TrustStore:
        """Build a store from a trust bundle (deterministic CBOR, see docs/format.md).

        With ``pinned_anchors`` (raw public keys), only those authority keys are
        trusted, whatever else the bundle lists.

        Raises:
            VerificationError: if the bundle is malformed.
        """
        from tem.crypto import cbor

        try:
            bundle = cbor.decode(data)
            anchors = [
                Anchor(KeyId(_bytes(a["kid"])), _bytes(a["pub"]), _text(a["name"]), _text(a["org"]))
                for a in bundle["anchors"]
            ]
            endorsements = [_bytes(e) for e in bundle["endorsements"]]
            revocations = [_bytes(r) for r in bundle["revocations"]]
        except (TemError, KeyError, TypeError) as exc:
            raise VerificationError("the trust bundle is malformed") from exc
        if pinned_anchors is not None:
            anchors = [a for a in anchors if a.public_key in pinned_anchors]
        return cls.build(anchors, endorsements, revocations)

    def _anchor_for(self, statement: Statement) -> Anchor:
        for anchor in self.anchors.get(statement.kid, []):
            try:
                cose.verify_signature(statement.envelope, load_public(anchor.public_key))
            except cose.CoseError:
                continue
            return anchor
        raise VerificationError("not signed by a trusted authority")

    def _check_endorsement(self, raw: bytes) -> EndorsedKey:
        statement = parse_statement(raw, StatementType.ENDORSEMENT)
        anchor = self._anchor_for(statement)
        c = statement.claims
        try:
            endorsed = EndorsedKey(
                kid=KeyId(_bytes(c["kid"])),
                public_key=_bytes(c["pub"]),
                org_id=_text(c["org"]),
                org_name=_text(c["org_name"]),
                sign_from=_int(c["sign_from"]),
                sign_until=_int(c["sign_until"]),
                verify_until=_int(c["verify_until"]),
                authority=anchor,
                endorsement=raw,
            )
        except (KeyError, TypeError) as exc:
            raise VerificationError("endorsement is missing or mistypes a field") from exc
        if len(endorsed.public_key) != 32:
            raise VerificationError("endorsement public key is not 32 bytes")
        if key_id(endorsed.public_key) != endorsed.kid:
            raise VerificationError("endorsement key id does not match its public key")
        if not endorsed.sign_from <= endorsed.sign_until <= endorsed.verify_until:
            raise VerificationError("endorsement windows are out of order")
        return endorsed

    def _check_revocation(self, raw: bytes) -> Revocation:
        statement = parse_statement(raw, StatementType.REVOCATION)
        anchor = self._anchor_for(statement)
        c = statement.claims
        try:
            return Revocation(
                kid=KeyId(_bytes(c["kid"])),
                revoked_at=_int(c["revoked_at"]),
                reason=_text(c["reason"]),
                authority=anchor,
            )
        except (KeyError, TypeError) as exc:
            raise VerificationError("revocation is missing or mistypes a field") from exc

    def candidates(self, kid: KeyId) -> list[EndorsedKey]:
        """Endorsed keys whose id is ``kid`` (usually one; collisions are tolerated)."""
        return self.endorsed.get(kid, [])

    def revoked_at(self, kid: KeyId) -> Revocation | None:
        """The earliest revocation of ``kid``, if any."""
        found = self.revocations.get(kid)
        return min(found, key=lambda r: r.revoked_at) if found else None


def public_key_of(endorsed: EndorsedKey) -> ed25519.Ed25519PublicKey:
    """The endorsed key as a cryptography object."""
    return load_public(endorsed.public_key)


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("expected bytes")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value
