"""Stamp tokens: the per-run signing shortcut signs exactly the RFC 9052 Sig_structure."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from tem.crypto import cose
from tem.crypto.keys import key_id
from tem.crypto.statements import BatchId, Serial, parse_token, protected_header, stamp_payload
from tem.stamps.tokens import StampSigner, parse_short_serial, short_serial, stamp_token_text


def test_prefix_signing_equals_full_sig_structure() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    signer = StampSigner(key, key_id(key.public_key()), BatchId(b"\x07" * 8), 1_764_000_000)
    for _ in range(50):
        serial = Serial(os.urandom(10))
        payload = stamp_payload(signer.batch_id, signer.issued_at, serial)
        expected = key.sign(cose.sig_structure(protected_header(signer.kid), payload))
        assert signer.sign(serial) == expected
        token = parse_token(
            stamp_token_text(signer.kid, signer.batch_id, signer.issued_at, serial, expected)
        )
        assert token.serial == serial
    with pytest.raises(ValueError, match="10 bytes"):
        signer.sign(Serial(b"short"))


def test_short_serial_round_trip() -> None:
    serial = bytes(range(10))
    text = short_serial(serial)
    assert len(text) == 19
    assert text.count("-") == 3
    assert parse_short_serial(text) == serial
    assert parse_short_serial(text.lower().replace("-", " ")) == serial
    assert parse_short_serial("not-a-serial") is None
    assert parse_short_serial("!" * 16) is None
