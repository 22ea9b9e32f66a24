"""Deterministic CBOR (RFC 8949 §4.2.1, "core deterministic encoding").

We write the encoder ourselves (about forty lines) rather than trust a library's
notion of "canonical": RFC 8949 sorts map keys by the bytewise order of their
encodings, which differs from the length-first order of RFC 7049 that some
libraries still use. Only the types Tem statements use are allowed: unsigned and
negative integers, byte strings, text strings, arrays, maps, booleans and null.
Floats are deliberately absent: decimals travel as text so that an independent
verifier never has to agree with us on float encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2

from tem.crypto.errors import TemError


class CborError(TemError):
    """Bytes that are not the deterministic CBOR Tem writes."""

    code = "bad_cbor"


CborValue = Any  # int | bytes | str | bool | None | list[CborValue] | dict[CborValue, CborValue]

_MAX_DEPTH = 16


def _head(major: int, value: int) -> bytes:
    """Encode a major type and argument in the shortest form (RFC 8949 §4.2.1)."""
    mt = major << 5
    if value < 24:
        return bytes([mt | value])
    if value < 0x100:
        return bytes([mt | 24, value])
    if value < 0x10000:
        return bytes([mt | 25]) + value.to_bytes(2, "big")
    if value < 0x100000000:
        return bytes([mt | 26]) + value.to_bytes(4, "big")
    if value < 0x10000000000000000:
        return bytes([mt | 27]) + value.to_bytes(8, "big")
    raise CborError("integer too large for CBOR")


def encode(value: CborValue, _depth: int = 0) -> bytes:
    """Encode ``value`` as deterministic CBOR.

    Raises:
        CborError: for a type Tem statements do not use, or nesting deeper than 16.
    """
    if _depth > _MAX_DEPTH:
        raise CborError("CBOR nesting too deep")
    # Exact type checks first: this runs on every verification, and bool is an int.
    kind = type(value)
    if kind is int:
        if value >= 0:
            return bytes((value,)) if value < 24 else _head(0, value)
        return _head(1, -1 - value)
    if kind is bytes:
        size = len(value)
        head = bytes((0x40 | size,)) if size < 24 else _head(2, size)
        return head + bytes(value)
    if kind is str:
        raw: bytes = value.encode("utf-8")
        size = len(raw)
        return (bytes((0x60 | size,)) if size < 24 else _head(3, size)) + raw
    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if isinstance(value, Mapping):
        depth = _depth + 1
        items = sorted((encode(k, depth), encode(v, depth)) for k, v in value.items())
        for index in range(1, len(items)):
            if items[index - 1][0] == items[index][0]:
                raise CborError("duplicate map key")
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(encode(v, _depth + 1) for v in value)
    if isinstance(value, int):  # IntEnum members and other int subclasses
        return encode(int(value), _depth)
    if isinstance(value, bytes | str):
        return encode(bytes(value) if isinstance(value, bytes) else str(value), _depth)
    raise CborError(f"type {type(value).__name__} is not allowed in a Tem statement")


def decode(data: bytes) -> CborValue:
    """Decode one CBOR item that must be in deterministic form.

    The bytes are decoded, re-encoded and compared, so any alternative encoding
    (non-shortest integers, unsorted or duplicate keys, indefinite lengths,
    floats, tags, trailing bytes) is refused: one statement, one encoding.

    Raises:
        CborError: if ``data`` is not exactly one deterministic CBOR item.
    """
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types on garbage
        raise CborError("not well-formed CBOR") from exc
    try:
        again = encode(value)
    except CborError as exc:
        raise CborError(f"CBOR uses a form Tem does not allow: {exc.message}") from exc
    if again != data:
        raise CborError("CBOR is not in deterministic encoding (RFC 8949 §4.2.1)")
    return value


def decode_lenient(data: bytes) -> CborValue:
    """Decode CBOR without the deterministic check, for third-party COSE objects.

    Raises:
        CborError: if ``data`` is not well-formed CBOR.
    """
    try:
        return cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types on garbage
        raise CborError("not well-formed CBOR") from exc
