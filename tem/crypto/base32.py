"""Unpadded RFC 4648 Base32 for tokens: upper case on the way out, any case on the way in."""

from __future__ import annotations

import base64
import re

from tem.crypto.errors import TemError


class Base32Error(TemError):
    """Text that is not unpadded RFC 4648 Base32."""

    code = "not_base32"


_ALPHABET = re.compile(r"[A-Z2-7]*")
# Unpadded Base32 lengths that are possible: 8n + {0, 2, 4, 5, 7}.
_VALID_REMAINDERS = {0, 2, 4, 5, 7}


def encode(data: bytes) -> str:
    """Base32 (RFC 4648 §6), upper case, without ``=`` padding."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


# RFC 4648 Base32 digits, mapped onto the digits int(..., 32) reads (0-9, A-V).
_TO_INT_DIGITS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV"
)


def decode(text: str) -> bytes:
    """Decode unpadded Base32, accepting lower case.

    The text is read as one big base-32 integer (the standard library's Base32 is
    pure Python and dominates a token verification otherwise).

    Raises:
        Base32Error: for characters outside the alphabet, an impossible length,
            or non-zero trailing bits (which would make two texts decode alike).
    """
    # ASCII first: str.upper() maps some non-ASCII letters into the alphabet ("ſ" -> "S").
    upper = text.upper() if text.isascii() else ""
    if not _ALPHABET.fullmatch(upper) or (text and not upper):
        raise Base32Error("the code contains characters that are not Base32 (A-Z, 2-7)")
    if len(upper) % 8 not in _VALID_REMAINDERS:
        raise Base32Error("the code has a length no Base32 text can have (it looks truncated)")
    if not upper:
        return b""
    length = len(upper) * 5 // 8
    spare_bits = len(upper) * 5 - length * 8
    value = int(upper.translate(_TO_INT_DIGITS), 32)
    if value & ((1 << spare_bits) - 1):
        raise Base32Error("the code has stray trailing bits (it looks altered or truncated)")
    return (value >> spare_bits).to_bytes(length, "big")
