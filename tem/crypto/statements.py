"""Tem's signed statements: payload layouts, and the compact label token.

Every statement is a COSE_Sign1 (see :mod:`tem.crypto.cose`) whose payload is a
deterministic CBOR map. Map key ``1`` is always the statement type, so a
signature made for one kind of statement can never be taken for another.
``docs/format.md`` is the normative description; keep the two in step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NewType

from tem.crypto import base32, cbor, cose
from tem.crypto.errors import TemError
from tem.crypto.keys import KEY_ID_LENGTH, KeyId

BatchId = NewType("BatchId", bytes)
Serial = NewType("Serial", bytes)

TYPE_KEY = 1
BATCH_ID_LENGTH = 8

# Token length bounds, in Base32 characters, checked before any decoding so
# that hostile input costs nothing. A label token is 102 bytes (164 chars).
TOKEN_MIN_CHARS = 96
TOKEN_MAX_CHARS = 240


class StatementType(IntEnum):
    """Value of payload key 1. Never reuse a number."""

    ENDORSEMENT = 1
    REVOCATION = 2
    BATCH = 3
    EVENT = 4
    LABEL = 5
    STAMP = 6


class TokenError(TemError):
    """The one error a token parser raises: the text is not a well-formed Tem token."""

    code = "malformed_token"


class StatementError(TemError):
    """A stored or received statement is malformed or of the wrong type."""

    code = "malformed_statement"


def digest(data: bytes) -> bytes:
    """SHA-256, the hash used for event chaining."""
    return hashlib.sha256(data).digest()


# Protected header of every statement Tem signs: {1: -8 (EdDSA), 4: kid}.
def protected_header(kid: KeyId) -> bytes:
    """The exact protected-header bytes Tem writes for ``kid``."""
    return cbor.encode({cose.HEADER_ALG: cose.ALG_EDDSA, cose.HEADER_KID: bytes(kid)})


@dataclass(frozen=True)
class Statement:
    """A parsed statement: the envelope, its key id and its decoded payload."""

    raw: bytes
    envelope: cose.Sign1
    kid: KeyId
    type: StatementType
    claims: Mapping[Any, Any]  # read-only: parsed statements are memoised and shared


# Every Tem protected header is these five bytes followed by the 8-byte key id:
# a2 (map of 2) 01 27 (alg: -8 EdDSA) 04 48 (kid: an 8-byte string).
_PROTECTED_PREFIX = bytes.fromhex("a201270448")


def _bstr(data: bytes) -> bytes:
    return cbor.encode(data)


# Label and stamp payloads, byte for byte (docs/format.md): a map of 3 or 4 entries,
# keys 1..4 in order, type 5 or 6, an 8-byte batch id, and the 10-byte stamp serial.
_LABEL_HEAD = bytes.fromhex("a3010502") + b"\x48"
_STAMP_HEAD = bytes.fromhex("a4010602") + b"\x48"
_UINT_SIZES = {0x18: 1, 0x19: 2, 0x1A: 4, 0x1B: 8}
_UINT_MINIMUM = {1: 24, 2: 256, 4: 65536, 8: 2**32}


def _token_claims(payload: bytes) -> dict[int, Any] | None:
    """Decode a label or stamp payload in its one deterministic encoding, quickly.

    This is the hot path of every scan. Anything that is not exactly such a
    payload returns None and goes through the general decoder, which refuses
    every non-deterministic form, so the two paths accept the same bytes.
    """
    if payload.startswith(_LABEL_HEAD):
        kind = StatementType.LABEL
    elif payload.startswith(_STAMP_HEAD):
        kind = StatementType.STAMP
    else:
        return None
    batch = payload[5:13]
    if len(payload) < 15 or payload[13] != 0x03:
        return None
    head = payload[14]
    if head < 0x18:
        issued_at, end = head, 15
    else:
        size = _UINT_SIZES.get(head)
        if size is None or len(payload) < 15 + size:
            return None
        issued_at, end = int.from_bytes(payload[15 : 15 + size], "big"), 15 + size
        if issued_at < _UINT_MINIMUM[size]:
            return None  # not the shortest form: let the general decoder refuse it
    claims: dict[int, Any] = {TYPE_KEY: kind, LABEL_BATCH: batch, LABEL_ISSUED_AT: issued_at}
    if kind is StatementType.STAMP:
        if payload[end : end + 2] != b"\x04\x4a" or len(payload) != end + 2 + SERIAL_LENGTH:
            return None
        claims[STAMP_SERIAL] = payload[end + 2 :]
    elif len(payload) != end:
        return None
    claims[TYPE_KEY] = int(kind)
    return claims


def _article(kind: StatementType) -> str:
    return "an" if kind.name[0] in "AEIOU" else "a"


def parse_statement(raw: bytes, expected: StatementType | None = None) -> Statement:
    """Parse a Tem statement strictly (memoised: stored records are parsed on every scan).

    Raises:
        StatementError: on any deviation from the layout in docs/format.md.
    """
    statement = _parse_statement(bytes(raw))
    if expected is not None and statement.type is not expected:
        raise StatementError(
            f"expected {_article(expected)} {expected.name.lower()} statement, got {statement.type.name.lower()}"
        )
    return statement


@lru_cache(maxsize=20_000)
def _parse_statement(raw: bytes) -> Statement:
    """Parse a Tem statement strictly (deterministic CBOR throughout, Tem's header).

    The envelope is decoded once; its one permitted encoding is then rebuilt from
    the four items and compared, which is how "deterministic" is enforced without
    re-encoding the whole tree (this is the hot path of every verification).

    Raises:
        StatementError: on any deviation from the layout in docs/format.md.
    """
    try:
        items = cbor.decode_lenient(raw)
    except cbor.CborError as exc:
        raise StatementError(f"not a Tem statement: {exc.message}") from exc
    if not isinstance(items, list):
        raise StatementError(
            "not a Tem statement: CBOR uses a form Tem does not allow (statements are untagged arrays)"
        )
    if len(items) != 4:
        raise StatementError("not a Tem statement: expected an array of four items")
    protected_bytes, unprotected, payload, signature = items
    if not isinstance(payload, bytes):
        raise StatementError("not a Tem statement: payload must be an attached byte string")
    if not isinstance(protected_bytes, bytes) or not isinstance(signature, bytes):
        raise StatementError("not a Tem statement: COSE_Sign1 items have the wrong types")
    if unprotected != {} or not isinstance(unprotected, dict):
        raise StatementError("not a Tem statement: unexpected COSE headers")
    if len(protected_bytes) != len(
        _PROTECTED_PREFIX
    ) + KEY_ID_LENGTH or not protected_bytes.startswith(_PROTECTED_PREFIX):
        raise StatementError("not a Tem statement: unexpected COSE headers")
    if len(signature) != 64:
        raise StatementError("not a Tem statement: an Ed25519 signature is 64 bytes")
    if raw != b"\x84" + _bstr(protected_bytes) + b"\xa0" + _bstr(payload) + _bstr(signature):
        raise StatementError(
            "not a Tem statement: CBOR is not in deterministic encoding (RFC 8949 §4.2.1)"
        )
    kid = KeyId(protected_bytes[len(_PROTECTED_PREFIX) :])
    try:
        claims = _token_claims(payload)
        if claims is None:
            claims = cbor.decode(payload)
    except cbor.CborError as exc:
        raise StatementError(f"statement payload is not valid: {exc.message}") from exc
    if not isinstance(claims, dict):
        raise StatementError("statement payload must be a map")
    if any(isinstance(k, bool) for k in claims):  # True == 1 in Python: one map, one encoding
        raise StatementError("statement payload has a boolean key")
    kind_value = claims.get(TYPE_KEY)
    try:
        if not isinstance(kind_value, int) or isinstance(kind_value, bool):
            raise ValueError(kind_value)
        kind = StatementType(kind_value)
    except ValueError as exc:
        raise StatementError("statement has an unknown type") from exc
    envelope = cose.Sign1(
        protected_bytes,
        {cose.HEADER_ALG: cose.ALG_EDDSA, cose.HEADER_KID: bytes(kid)},
        {},
        payload,
        signature,
    )
    return Statement(raw, envelope, kid, kind, MappingProxyType(claims))


# --- Label token -------------------------------------------------------------

LABEL_BATCH = 2
LABEL_ISSUED_AT = 3
STAMP_SERIAL = 4
SERIAL_LENGTH = 10  # 80 random bits


@dataclass(frozen=True)
class Token:
    """A parsed label or stamp token. ``statement`` carries the signature still to be checked."""

    text: str
    statement: Statement
    batch_id: BatchId
    issued_at: int
    serial: Serial | None = None  # set for stamps only

    @property
    def kid(self) -> KeyId:
        return self.statement.kid

    @property
    def is_stamp(self) -> bool:
        return self.serial is not None


def label_payload(batch_id: BatchId, issued_at: int) -> bytes:
    """The payload of a label token: ``{1: 5, 2: batch id (8 bytes), 3: issued-at}``."""
    return cbor.encode(
        {TYPE_KEY: StatementType.LABEL, LABEL_BATCH: batch_id, LABEL_ISSUED_AT: issued_at}
    )


def stamp_payload(batch_id: BatchId, issued_at: int, serial: Serial) -> bytes:
    """The payload of a stamp token: ``{1: 6, 2: batch id, 3: issued-at, 4: serial (10 bytes)}``."""
    return cbor.encode(
        {
            TYPE_KEY: StatementType.STAMP,
            LABEL_BATCH: batch_id,
            LABEL_ISSUED_AT: issued_at,
            STAMP_SERIAL: serial,
        }
    )


def parse_token(text: str) -> Token:
    """Parse a label or stamp token from its Base32 text (any case, surrounding space ignored).

    Raises:
        TokenError: the one domain error, with a message a shopper can read.
    """
    cleaned = text.strip()
    if len(cleaned) < TOKEN_MIN_CHARS:
        raise TokenError("the code is too short to be a Tem code (it may be cut off)")
    if len(cleaned) > TOKEN_MAX_CHARS:
        raise TokenError("the code is too long to be a Tem code")
    try:
        raw = base32.decode(cleaned)
        statement = parse_statement(raw)
    except TemError as exc:
        raise TokenError(f"the code is damaged or not a Tem code: {exc.message}") from exc
    if statement.type not in (StatementType.LABEL, StatementType.STAMP):
        raise TokenError(
            "the code is damaged or not a Tem code: expected a label or stamp statement, "
            f"got {statement.type.name.lower()}"
        )
    claims = statement.claims
    batch = claims.get(LABEL_BATCH)
    issued_at = claims.get(LABEL_ISSUED_AT)
    serial = claims.get(STAMP_SERIAL)
    expected = {TYPE_KEY, LABEL_BATCH, LABEL_ISSUED_AT}
    if statement.type is StatementType.STAMP:
        expected.add(STAMP_SERIAL)
        if not isinstance(serial, bytes) or len(serial) != SERIAL_LENGTH:
            raise TokenError("the code is damaged or not a Tem code: unexpected stamp fields")
    if (
        set(claims) != expected
        or not isinstance(batch, bytes)
        or len(batch) != BATCH_ID_LENGTH
        or not isinstance(issued_at, int)
        or isinstance(issued_at, bool)
        or not 0 <= issued_at < 2**32
    ):
        raise TokenError("the code is damaged or not a Tem code: unexpected label fields")
    # base32.decode refused every non-canonical text, so the upper-cased input is canonical.
    return Token(
        cleaned.upper(),
        statement,
        BatchId(batch),
        issued_at,
        Serial(serial) if isinstance(serial, bytes) else None,
    )


def token_url(public_url: str, token_text: str) -> str:
    """The QR content: ``<PUBLIC URL>/T/<TOKEN>``, all upper case (one alphanumeric segment)."""
    return f"{public_url.rstrip('/')}/T/{token_text}".upper()


def token_from_url(url_or_token: str) -> str:
    """Take the token out of a scanned URL, or return the text if it is a bare token.

    White space around the text, a query (``?...``), a fragment (``#...``) and trailing
    ``/`` are dropped; of a URL, the last path segment is kept. Raises nothing: what is
    returned may still be no token (the parser says so).
    """
    text = url_or_token.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text.rsplit("/", 1)[-1].strip()
