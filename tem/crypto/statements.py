"""Tem's signed statements: payload layouts, and the compact label token.

Every statement is a COSE_Sign1 (see :mod:`tem.crypto.cose`) whose payload is a
deterministic CBOR map. Map key ``1`` is always the statement type, so a
signature made for one kind of statement can never be taken for another.
``docs/format.md`` is the normative description; keep the two in step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NewType

from tem.crypto import base32, cbor, cose
from tem.crypto.keys import KEY_ID_LENGTH, KeyId
from tem.errors import TemError

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
    claims: dict[Any, Any]


def parse_statement(raw: bytes, expected: StatementType | None = None) -> Statement:
    """Parse a Tem statement strictly (deterministic CBOR throughout, Tem's header).

    Raises:
        StatementError: on any deviation from the layout in docs/format.md.
    """
    try:
        cbor.decode(raw)  # the whole envelope must be deterministic: one encoding
        envelope = cose.parse_sign1(raw, allow_tag=False)
    except TemError as exc:
        raise StatementError(f"not a Tem statement: {exc.message}") from exc
    kid = envelope.protected.get(cose.HEADER_KID)
    if (
        not isinstance(kid, bytes)
        or len(kid) != KEY_ID_LENGTH
        or envelope.protected_bytes != protected_header(KeyId(kid))
        or envelope.unprotected
    ):
        raise StatementError("not a Tem statement: unexpected COSE headers")
    if len(envelope.signature) != 64:
        raise StatementError("not a Tem statement: an Ed25519 signature is 64 bytes")
    try:
        claims = cbor.decode(envelope.payload)
    except cbor.CborError as exc:
        raise StatementError(f"statement payload is not valid: {exc.message}") from exc
    if not isinstance(claims, dict):
        raise StatementError("statement payload must be a map")
    kind_value = claims.get(TYPE_KEY)
    try:
        if not isinstance(kind_value, int) or isinstance(kind_value, bool):
            raise ValueError(kind_value)
        kind = StatementType(kind_value)
    except ValueError as exc:
        raise StatementError("statement has an unknown type") from exc
    if expected is not None and kind is not expected:
        raise StatementError(
            f"expected a {expected.name.lower()} statement, got {kind.name.lower()}"
        )
    return Statement(raw, envelope, KeyId(kid), kind, claims)


# --- Label token -------------------------------------------------------------

LABEL_BATCH = 2
LABEL_ISSUED_AT = 3


@dataclass(frozen=True)
class Token:
    """A parsed label token. ``statement`` carries the signature still to be checked."""

    text: str
    statement: Statement
    batch_id: BatchId
    issued_at: int

    @property
    def kid(self) -> KeyId:
        return self.statement.kid


def label_payload(batch_id: BatchId, issued_at: int) -> bytes:
    """The payload of a label token: ``{1: 5, 2: batch id (8 bytes), 3: issued-at}``."""
    return cbor.encode(
        {TYPE_KEY: StatementType.LABEL, LABEL_BATCH: batch_id, LABEL_ISSUED_AT: issued_at}
    )


def parse_token(text: str) -> Token:
    """Parse a label token from its Base32 text (any case, surrounding space ignored).

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
        statement = parse_statement(raw, StatementType.LABEL)
    except TemError as exc:
        raise TokenError(f"the code is damaged or not a Tem code: {exc.message}") from exc
    claims = statement.claims
    batch = claims.get(LABEL_BATCH)
    issued_at = claims.get(LABEL_ISSUED_AT)
    if (
        set(claims) != {TYPE_KEY, LABEL_BATCH, LABEL_ISSUED_AT}
        or not isinstance(batch, bytes)
        or len(batch) != BATCH_ID_LENGTH
        or not isinstance(issued_at, int)
        or isinstance(issued_at, bool)
        or not 0 <= issued_at < 2**32
    ):
        raise TokenError("the code is damaged or not a Tem code: unexpected label fields")
    return Token(base32.encode(raw), statement, BatchId(batch), issued_at)


def token_url(public_url: str, token_text: str) -> str:
    """The QR content: ``<PUBLIC URL>/T/<TOKEN>``, all upper case (one alphanumeric segment)."""
    return f"{public_url.rstrip('/')}/T/{token_text}".upper()


def token_from_url(url_or_token: str) -> str:
    """Take the token out of a scanned URL, or return the text if it is a bare token."""
    text = url_or_token.strip().split("?", 1)[0].split("#", 1)[0]  # query and fragment first
    if "/" in text:
        text = text.rstrip("/").rsplit("/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0]
