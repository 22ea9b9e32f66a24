"""Read QR codes from photos and scans (zxing-cpp), for ``tem verify --image``."""

from __future__ import annotations

import zxingcpp
from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger is refused before decoding


def read_qr(image: Image.Image) -> list[str]:
    """Every QR code's text in ``image``, best first; an empty list when none is found.

    Photos are EXIF-rotated and converted to greyscale first; a second pass on
    a downscaled copy helps with very large, noisy phone photos.
    """
    if image.width * image.height > MAX_PIXELS:
        raise ValueError("image too large")
    upright = ImageOps.exif_transpose(image).convert("L")
    attempts = [upright]
    if max(upright.size) > 2000:
        smaller = upright.copy()
        smaller.thumbnail((1600, 1600))
        attempts.append(smaller)
    for candidate in attempts:
        results = zxingcpp.read_barcodes(candidate)
        texts = [r.text for r in results if r.text]
        if texts:
            return texts
    return []
