"""Unpadded RFC 4648 Base32 for tokens: upper case on the way out, any case on the way in."""

from __future__ import annotations

import base64
import binascii
import re

from tem.errors import TemError


class Base32Error(TemError):
    """Text that is not unpadded RFC 4648 Base32."""

    code = "not_base32"


_ALPHABET = re.compile(r"[A-Z2-7]*")
# Unpadded Base32 lengths that are possible: 8n + {0, 2, 4, 5, 7}.
_VALID_REMAINDERS = {0, 2, 4, 5, 7}


def encode(data: bytes) -> str:
    """Base32 (RFC 4648 §6), upper case, without ``=`` padding."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def decode(text: str) -> bytes:
    """Decode unpadded Base32, accepting lower case.

    Raises:
        Base32Error: for characters outside the alphabet, an impossible length,
            or non-zero trailing bits (which would make two texts decode alike).
    """
    upper = text.upper()
    if not text.isascii() or not _ALPHABET.fullmatch(upper):
        raise Base32Error("the code contains characters that are not Base32 (A-Z, 2-7)")
    if len(upper) % 8 not in _VALID_REMAINDERS:
        raise Base32Error("the code has a length no Base32 text can have (it looks truncated)")
    padded = upper + "=" * (-len(upper) % 8)
    try:
        data = base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise Base32Error("the code is not valid Base32") from exc
    if encode(data) != upper:
        raise Base32Error("the code has stray trailing bits (it looks altered or truncated)")
    return data
