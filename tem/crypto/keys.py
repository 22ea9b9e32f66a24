"""Ed25519 key helpers and key ids (a truncated SHA-256 of the raw public key)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import NewType

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

KeyId = NewType("KeyId", bytes)

KEY_ID_LENGTH = 8


def raw_public(public_key: ed25519.Ed25519PublicKey) -> bytes:
    """The 32-byte raw encoding of an Ed25519 public key (RFC 8032 §5.1.5)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: ed25519.Ed25519PublicKey | bytes) -> KeyId:
    """The first 8 bytes of SHA-256 over the raw 32-byte public key.

    Collisions are tolerated: verifiers try every trusted key with a matching id.
    """
    raw = public_key if isinstance(public_key, bytes) else raw_public(public_key)
    return KeyId(hashlib.sha256(raw).digest()[:KEY_ID_LENGTH])


@lru_cache(maxsize=4096)
def load_public(raw: bytes) -> ed25519.Ed25519PublicKey:
    """Load a raw 32-byte Ed25519 public key (cached: keys are few, verifications many).

    Raises ValueError on a bad length.
    """
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)
