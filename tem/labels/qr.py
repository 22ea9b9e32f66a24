"""The QR symbol printed on a label: one alphanumeric segment, level M, version 8 at most.

ISO/IEC 18004:2015 fixes the numbers used here: the alphanumeric character set (§7.4.4,
Table 5) and the capacity of a version-8 symbol at error correction level M (Table 7:
221 alphanumeric characters). Version 8 (49 × 49 modules) is the largest symbol that
still scans reliably from a ~21 mm print on a small jar label with a phone camera.
"""

from __future__ import annotations

from typing import Final

import segno

from tem.errors import InvalidInput
from tem.labels import qrmask

# segno picks the same mask as before, through the faster scorer (tem/labels/qrmask.py).
qrmask.install()

MAX_QR_VERSION: Final = 8
ERROR_LEVEL: Final = "M"
# ISO/IEC 18004:2015 Table 7, version 8, level M, alphanumeric mode.
MAX_URL_LENGTH: Final = 221

# ISO/IEC 18004:2015 §7.4.4: the 45 characters of alphanumeric mode.
QR_ALPHANUMERIC: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def make_qr(url: str) -> segno.QRCode:
    """Encode a label URL as a QR code (ISO/IEC 18004): one alphanumeric segment, level M.

    The smallest version that holds the URL is used; the error correction level is
    exactly M (not boosted), so every label of a deployment has the same symbol size.

    Raises:
        InvalidInput: if the URL is empty, contains a character outside the QR
            alphanumeric set (``0-9 A-Z space $ % * + - . / :``; lower case is not in
            it), or is longer than the 221 characters a version-8 symbol holds.
    """
    if not url:
        raise InvalidInput("the label URL is empty", field="url")
    outside = sorted(set(url) - QR_ALPHANUMERIC)
    if outside:
        shown = " ".join(repr(char) for char in outside[:10])
        raise InvalidInput(
            f"the label URL contains characters a QR code cannot hold in alphanumeric mode: "
            f"{shown}; only 0-9, upper-case A-Z, space and $%*+-./: are allowed",
            field="url",
        )
    # Checked before encoding so that a huge input costs nothing and cannot reach
    # segno's own overflow error.
    if len(url) > MAX_URL_LENGTH:
        raise _too_long(len(url))
    qr = segno.make_qr(url, error=ERROR_LEVEL.lower(), boost_error=False, mode="alphanumeric")
    # Never true unless the capacity table above were wrong; segno types micro versions as str.
    if isinstance(qr.version, str) or qr.version > MAX_QR_VERSION:  # pragma: no cover
        raise _too_long(len(url))
    return qr


def _too_long(length: int) -> InvalidInput:
    return InvalidInput(
        f"the label URL is {length} characters and the maximum is {MAX_URL_LENGTH} "
        f"(QR version {MAX_QR_VERSION}, error correction level {ERROR_LEVEL}); "
        f"set a shorter TEM_PUBLIC_URL",
        field="url",
    )
