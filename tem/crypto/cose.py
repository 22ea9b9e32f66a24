"""COSE_Sign1 (RFC 9052 §4.2, §4.4) with EdDSA (RFC 9053 §2.2), written out by hand.

The structure is four items; a library would add more surface than it saves.
Signing supports Ed25519 (what Tem uses); verification additionally supports
Ed448 and ES256 so that the cose-wg example suite can be checked end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tem.crypto import cbor
from tem.crypto.errors import TemError

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_CONTENT_TYPE = 3
HEADER_KID = 4
ALG_EDDSA = -8
ALG_ES256 = -7

_SIGNATURE1_PREFIX = b"\x84" + cbor.encode("Signature1")

PublicKey = ed25519.Ed25519PublicKey | ed448.Ed448PublicKey | ec.EllipticCurvePublicKey


class CoseError(TemError):
    """A COSE_Sign1 object that is malformed, uses an unsupported algorithm or fails to verify."""

    code = "bad_cose"


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1. ``protected_bytes`` are kept exactly as received: they are signed."""

    protected_bytes: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        """The algorithm, from the protected header, else the unprotected one."""
        if HEADER_ALG in self.protected:
            return self.protected[HEADER_ALG]
        return self.unprotected.get(HEADER_ALG)

    @property
    def kid(self) -> bytes | None:
        """The key id, preferring the protected header."""
        kid = self.protected.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None


def sig_structure(
    protected_bytes: bytes,
    payload: bytes,
    external_aad: bytes = b"",
    *,
    context: str = "Signature1",
    sign_protected: bytes | None = None,
) -> bytes:
    """The bytes that are signed (RFC 9052 §4.4, the Sig_structure).

    ``context`` is "Signature1" for COSE_Sign1 and "Signature" (with
    ``sign_protected``, the signer's protected header) for COSE_Sign.
    """
    if context == "Signature1":  # the hot path, spelled out: 84 6a "Signature1" ...
        return (
            _SIGNATURE1_PREFIX
            + cbor.encode(protected_bytes)
            + cbor.encode(external_aad)
            + cbor.encode(payload)
        )
    items: list[Any] = [context, protected_bytes]
    if context == "Signature":
        items.append(sign_protected if sign_protected is not None else b"")
    items += [external_aad, payload]
    return cbor2.dumps(items)


def encode_protected(header: Mapping[int, Any]) -> bytes:
    """Serialize a protected header; an empty header is the empty byte string (RFC 9052 §3)."""
    return cbor.encode(dict(header)) if header else b""


def sign1(
    private_key: ed25519.Ed25519PrivateKey,
    payload: bytes,
    *,
    kid: bytes,
    external_aad: bytes = b"",
    tagged: bool = False,
    extra_protected: Mapping[int, Any] | None = None,
) -> bytes:
    """Produce an EdDSA COSE_Sign1 with ``alg`` and ``kid`` in the protected header.

    Tem tokens are untagged (the type is known from context and every byte
    counts in a QR code); set ``tagged`` for a self-describing object.
    """
    header: dict[int, Any] = {HEADER_ALG: ALG_EDDSA, HEADER_KID: kid}
    if extra_protected:
        header.update(extra_protected)
    protected_bytes = encode_protected(header)
    signature = private_key.sign(sig_structure(protected_bytes, payload, external_aad))
    body = cbor.encode([protected_bytes, {}, payload, signature])
    return (b"\xd2" + body) if tagged else body


def parse_sign1(data: bytes, *, allow_tag: bool = True) -> Sign1:
    """Parse a COSE_Sign1, tagged (18) or untagged (RFC 9052 §4.2).

    Raises:
        CoseError: if the bytes are not a well-formed COSE_Sign1.
    """
    try:
        obj = cbor.decode_lenient(data)
    except cbor.CborError as exc:
        raise CoseError("not a COSE_Sign1: the bytes are not CBOR") from exc
    if isinstance(obj, cbor2.CBORTag):
        if not allow_tag or obj.tag != COSE_SIGN1_TAG:
            raise CoseError(f"not a COSE_Sign1: unexpected CBOR tag {obj.tag}")
        obj = obj.value
    if not isinstance(obj, list | tuple) or len(obj) != 4:
        raise CoseError("not a COSE_Sign1: expected an array of four items")
    protected_bytes, unprotected, payload, signature = obj
    if not isinstance(protected_bytes, bytes):
        raise CoseError("COSE_Sign1 protected header must be a byte string")
    if not isinstance(unprotected, Mapping):
        raise CoseError("COSE_Sign1 unprotected header must be a map")
    if not isinstance(payload, bytes):
        raise CoseError("COSE_Sign1 payload must be an attached byte string")
    if not isinstance(signature, bytes):
        raise CoseError("COSE_Sign1 signature must be a byte string")
    if protected_bytes:
        try:
            protected = cbor.decode_lenient(protected_bytes)
        except cbor.CborError as exc:
            raise CoseError("COSE_Sign1 protected header is not CBOR") from exc
        if not isinstance(protected, dict):
            raise CoseError("COSE_Sign1 protected header must encode a map")
    else:
        protected = {}
    if HEADER_CRIT in protected:
        raise CoseError("COSE_Sign1 has critical headers this verifier does not understand")
    if set(protected) & set(unprotected):
        raise CoseError("COSE_Sign1 header label appears in both buckets")
    return Sign1(protected_bytes, protected, unprotected, payload, signature)


def verify_signature(msg: Sign1, public_key: PublicKey, external_aad: bytes = b"") -> None:
    """Check ``msg``'s signature with ``public_key`` under the header's algorithm.

    Raises:
        CoseError: for an unsupported or mismatched algorithm, or a bad signature.
    """
    alg = msg.alg
    # RFC 9052 §4.4: an empty protected bucket is signed as h'', however it was sent (h'a0').
    to_be_signed = sig_structure(
        msg.protected_bytes if msg.protected else b"", msg.payload, external_aad
    )
    try:
        if alg == ALG_EDDSA and isinstance(
            public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
        ):
            public_key.verify(msg.signature, to_be_signed)
        elif alg == ALG_ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if len(msg.signature) != 64:
                raise CoseError("ES256 signature must be 64 bytes")
            r = int.from_bytes(msg.signature[:32], "big")
            s = int.from_bytes(msg.signature[32:], "big")
            public_key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
        elif alg in (ALG_EDDSA, ALG_ES256):
            raise CoseError("COSE_Sign1 algorithm does not match the key type")
        else:
            raise CoseError(f"unsupported COSE algorithm {alg!r}")
    except InvalidSignature as exc:
        raise CoseError("signature does not verify") from exc
