"""Stamp tokens, rebuilt from stored columns: only the 64-byte signature is kept per stamp."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric import ed25519

from tem.crypto import base32, cbor, cose
from tem.crypto.keys import KeyId
from tem.crypto.statements import SERIAL_LENGTH, BatchId, Serial, protected_header, stamp_payload


@dataclass(frozen=True)
class StampSigner:
    """Signs the stamps of one print run: same key, batch and issue time for all of them.

    Everything but the serial is the same for the whole run, so the bytes to be
    signed (the RFC 9052 Sig_structure) are a fixed prefix followed by the serial,
    which is the last item of the payload map.
    """

    private_key: ed25519.Ed25519PrivateKey
    kid: KeyId
    batch_id: BatchId
    issued_at: int

    @cached_property
    def _prefix(self) -> bytes:
        placeholder = Serial(bytes(SERIAL_LENGTH))
        whole = cose.sig_structure(
            protected_header(self.kid), stamp_payload(self.batch_id, self.issued_at, placeholder)
        )
        return whole[:-SERIAL_LENGTH]

    def sign(self, serial: Serial) -> bytes:
        """The Ed25519 signature of the stamp token for ``serial`` (RFC 9052 Sig_structure)."""
        if len(serial) != SERIAL_LENGTH:
            raise ValueError("a serial is 10 bytes")
        return self.private_key.sign(self._prefix + serial)


def stamp_token(
    kid: KeyId, batch_id: BatchId, issued_at: int, serial: Serial, signature: bytes
) -> bytes:
    """The COSE_Sign1 bytes of a stamp token (docs/format.md), from its stored parts."""
    protected = protected_header(kid)
    payload = stamp_payload(batch_id, issued_at, serial)
    return (
        b"\x84" + cbor.encode(protected) + b"\xa0" + cbor.encode(payload) + cbor.encode(signature)
    )


def stamp_token_text(
    kid: KeyId, batch_id: BatchId, issued_at: int, serial: Serial, signature: bytes
) -> str:
    return base32.encode(stamp_token(kid, batch_id, issued_at, serial, signature))


def short_serial(serial: bytes) -> str:
    """The serial as people read it off a stamp: 16 Base32 characters in groups of four."""
    text = base32.encode(serial)
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_short_serial(text: str) -> bytes | None:
    """The inverse of :func:`short_serial` (dashes, spaces and case ignored); None if malformed."""
    cleaned = text.replace("-", "").replace(" ", "").strip()
    if len(cleaned) != 16:
        return None
    try:
        return base32.decode(cleaned)
    except base32.Base32Error:
        return None
