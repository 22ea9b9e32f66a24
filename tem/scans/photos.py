"""The optional photo a shopper attaches to a counterfeit report: checked, cleaned, re-encoded.

What the bytes are is decided by Pillow reading them, never by the file name or
the declared content type. What is stored is a fresh encoding of the pixels
alone: no EXIF (so no GPS position -- a shopper's location is only recorded when
they grant it), no comments, no colour profile, no text chunks.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO, Final

from PIL import Image, ImageOps, UnidentifiedImageError

from tem.errors import Busy, InvalidInput

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 24_000_000  # a 24-megapixel phone photo; larger is refused before decoding
# What decoding one photo may cost at its peak, estimated from the header before a
# pixel is decoded (see _peak_bytes_per_pixel). With MAX_CONCURRENT_DECODES at once the
# photos hold at most about 340 MB together. It takes any JPEG up to MAX_PIXELS (decoded
# at reduced scale), an RGB PNG up to 24 megapixels, an RGBA PNG up to 14, a WebP up
# to 9.8 (8 with transparency).
MAX_DECODE_BYTES = 160 * 1024 * 1024
MAX_SIDE = 2048  # stored photos are downscaled so their longest side is at most this
JPEG_QUALITY = 85
# Photos decoded at once in this process; the others wait their turn, at most
# DECODE_WAIT_SECONDS, so memory stays bounded however many reports arrive together.
MAX_CONCURRENT_DECODES: Final = 2
DECODE_WAIT_SECONDS = 30.0
_DECODES = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)

_FIELD = "photo"
_MIB = 1024 * 1024
_READ_CHUNK = 64 * 1024
# Only these Pillow plugins may even look at the bytes; "MPO" is how Pillow names a
# JPEG carrying extra pictures (common from phone cameras), opened by the JPEG plugin.
_FORMATS = ("JPEG", "PNG", "WEBP")
# The media type each accepted format is stored as.
_STORED_AS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "WEBP": "image/jpeg", "PNG": "image/png"}
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")
# What Pillow raises on malformed data once a plugin has accepted the header.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
# Magic numbers of formats shoppers' phones send that we refuse, to say which one it was.
_OTHER_FORMATS = (
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (4, b"ftypheic", "a HEIC photo"),
    (4, b"ftypheix", "a HEIC photo"),
    (4, b"ftypmif1", "a HEIF photo"),
    (4, b"ftypavif", "an AVIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"BM", "a BMP image"),
    (0, b"%PDF", "a PDF document"),
)

_UNSUPPORTED = "only JPEG, PNG or WebP photos are accepted"
_DAMAGED_MESSAGE = "the photo could not be read: it is damaged or incomplete; take or send it again"


@dataclass(frozen=True)
class Photo:
    """A cleaned photo ready to store: re-encoded bytes, their media type and size in pixels."""

    data: bytes
    media_type: str
    width: int
    height: int


def validate_photo(
    data: bytes, declared_type: str | None = None, *, max_pixels: int = MAX_PIXELS
) -> Photo:
    """Check a shopper's photo and return a cleaned, re-encoded copy of it.

    JPEG and WebP photos come back as JPEG (quality 85, RGB, transparency flattened
    onto white); PNG stays PNG. The EXIF orientation is applied to the pixels, then
    every piece of metadata is dropped, and the photo is downscaled so its longest
    side is at most 2048 pixels.

    What a photo may cost is decided from its header before any pixel is decoded
    (``max_pixels``, and :data:`MAX_DECODE_BYTES` for what decoding would hold or
    inflate), a JPEG is decoded at the smallest scale that still gives 2048 pixels,
    and at most :data:`MAX_CONCURRENT_DECODES` photos are decoded at once in the
    process, so a few hundred kilobytes cannot make the server hold gigabytes.

    ``declared_type`` (the upload's ``Content-Type``) is accepted so callers can
    pass what they have, and deliberately ignored: only the bytes decide.

    Raises:
        InvalidInput: (``field="photo"``) the photo is empty, larger than
            ``MAX_PHOTO_BYTES``, not a JPEG, PNG or WebP image, has more than
            ``max_pixels`` pixels or would cost more than ``MAX_DECODE_BYTES`` to decode
            (a decompression bomb), or is damaged or truncated.
        Busy: other photos kept the decoder busy for ``DECODE_WAIT_SECONDS``.
    """
    del declared_type  # never trusted; see the docstring
    # 1. Size in bytes, before any parsing.
    if not data:
        raise InvalidInput("the photo is empty; choose a photo and try again", field=_FIELD)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(_too_big(len(data)), field=_FIELD)

    # 2. What the bytes are, and how many pixels they claim, from the header alone.
    with _open(data, max_pixels) as header:
        image_format = header.format or ""
        width, height = header.size
    if width * height > max_pixels:
        raise InvalidInput(
            f"the photo is {width} × {height} pixels; the limit is "
            f"{max_pixels / 1_000_000:g} megapixels",
            field=_FIELD,
        )
    media_type = _STORED_AS.get(image_format)
    if media_type is None:  # a plugin we allowed reported an unexpected format name
        raise InvalidInput(_UNSUPPORTED, field=_FIELD)

    # 3. Structural check (chunk checksums for PNG), then a full decode on a fresh
    #    reader: verify() leaves the image unusable, and only decoding every pixel
    #    finds a truncated JPEG.
    try:
        with _open(data, max_pixels) as checked:
            checked.verify()
        with _open(data, max_pixels) as image:
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for free; ask for no
            # less than we keep, so a 24-megapixel photo is not held whole in memory.
            image.draft(None, _fitted(image.size))
            # 4. What decoding will cost, from the header and the draft scale.
            _check_decode_cost(image, data)
            # 5. Decode and clean, a few photos at a time: orientation into the
            #    pixels, pixels into a storable mode, downscale, drop all but pixels.
            with _decode_slot():
                image.load()
                cleaned = _clean(image, media_type)
    except Image.DecompressionBombError as bomb:
        raise InvalidInput(_too_many_pixels(max_pixels), field=_FIELD) from bomb
    except _DAMAGED as damaged:
        raise InvalidInput(_DAMAGED_MESSAGE, field=_FIELD) from damaged

    # 6. Encode afresh. No exif, icc_profile, comment or pnginfo is passed, and
    #    ``info`` is empty, so the encoders have nothing but pixels to write.
    out = BytesIO()
    if media_type == "image/png":
        cleaned.save(out, format="PNG")
    else:
        cleaned.save(out, format="JPEG", quality=JPEG_QUALITY)
    return Photo(
        data=out.getvalue(), media_type=media_type, width=cleaned.width, height=cleaned.height
    )


def read_limited(stream: BinaryIO, limit: int = MAX_PHOTO_BYTES) -> bytes:
    """Read ``stream`` to its end, refusing it as soon as it exceeds ``limit`` bytes.

    At most ``limit + 1`` bytes are read, in chunks, so an oversized upload is
    refused without being held in memory whole.

    Raises:
        InvalidInput: (``field="photo"``) the stream holds more than ``limit`` bytes.
    """
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise InvalidInput(
        f"the photo is larger than {limit / _MIB:g} MB, the limit; choose a smaller photo",
        field=_FIELD,
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open ``data`` with the allowed plugins only, mapping refusals to :class:`InvalidInput`."""
    try:
        return Image.open(BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError as unknown:
        raise InvalidInput(_unsupported(data), field=_FIELD) from unknown
    except Image.DecompressionBombError as bomb:
        raise InvalidInput(_too_many_pixels(max_pixels), field=_FIELD) from bomb
    except _DAMAGED as damaged:
        raise InvalidInput(_DAMAGED_MESSAGE, field=_FIELD) from damaged


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The size ``size`` is downscaled to so that its longest side is at most MAX_SIDE."""
    width, height = size
    longest = max(width, height, 1)
    if longest <= MAX_SIDE:
        return width, height
    return max(1, round(width * MAX_SIDE / longest)), max(1, round(height * MAX_SIDE / longest))


def _peak_bytes_per_pixel(image: Image.Image, sixteen_bit: bool) -> int:
    """What each pixel of ``image`` (opened, not decoded) costs at the peak of checking it.

    Measured with Pillow 13: the decoded pixels (RGB and RGBA take 4 bytes, greyscale
    1, 16-bit greyscale 2), the resize's intermediate image, the premultiplied copy
    that downscaling a picture with transparency makes, and libwebp's own buffers
    (a WebP is held about three times over). A palette or bilevel picture is
    converted to true colour before it is downscaled.
    """
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.format == "WEBP":
        return 21 if alpha else 17
    if image.mode == "L":
        return 2
    if image.mode.startswith("I"):
        return 4
    return (12 if alpha else 7) + (1 if sixteen_bit else 0)


def _check_decode_cost(image: Image.Image, data: bytes) -> None:
    """Refuse a photo whose decoding would cost more than MAX_DECODE_BYTES at its peak.

    ``image`` is opened, not decoded, with its JPEG draft scale already chosen, so its
    size is the size that will be decoded. A 16-bit PNG (bit depth in its IHDR chunk,
    PNG specification §11.2.2) is refused sooner: it inflates twice the bytes.
    """
    width, height = image.size
    sixteen_bit = image.format == "PNG" and data[12:16] == b"IHDR" and data[24:25] == b"\x10"
    if width * height * _peak_bytes_per_pixel(image, sixteen_bit) > MAX_DECODE_BYTES:
        depth = " at 16 bits a channel" if sixteen_bit else ""
        raise InvalidInput(
            f"the photo is {width} × {height} pixels{depth}, too large to check; "
            "send a JPEG photo or a smaller picture",
            field=_FIELD,
        )


@contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of the process's MAX_CONCURRENT_DECODES decoding slots, waiting for one.

    Raises:
        Busy: no slot came free within DECODE_WAIT_SECONDS.
    """
    if not _DECODES.acquire(timeout=DECODE_WAIT_SECONDS):
        raise Busy(
            "many photos are being checked right now; send the report again in a minute",
            retry_after=60,
        )
    try:
        yield
    finally:
        _DECODES.release()


def _clean(image: Image.Image, media_type: str) -> Image.Image:
    """``image``'s pixels, upright, storable and at most MAX_SIDE; ``image`` is downscaled in place.

    Everything that copies the pixels happens after the downscale, so a photo is
    held at full size once, not three times.
    """
    if image.mode in ("1", "P") and max(image.size) > MAX_SIDE:
        # Palette and 1-bit images would be resized with nearest-neighbour; a
        # true-colour copy resizes smoothly.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # In place: the full-size pixels are released as soon as the smaller ones exist.
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pixels = ImageOps.exif_transpose(image)  # a copy, of the downscaled pixels
    if pixels.mode.startswith("I"):
        # 16-bit greyscale PNG: a plain conversion would clip everything above 255 to
        # white, so scale the range down to 8 bits instead.
        pixels = pixels.convert("I").point(lambda value: value / 256).convert("L")
    if media_type == "image/jpeg":
        pixels = _flatten_to_rgb(pixels)
    elif pixels.mode not in _PNG_MODES:
        pixels = pixels.convert("RGBA" if pixels.has_transparency_data else "RGB")
    # Keep only what changes how the pixels look in a PNG: palette transparency.
    transparency = pixels.info.get("transparency") if media_type == "image/png" else None
    pixels.info = {} if transparency is None else {"transparency": transparency}
    return pixels


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _too_big(size: int) -> str:
    # Round up, so a photo one byte over the limit never reads as "5.0 MB; the limit is 5 MB".
    tenths = -(-size * 10 // _MIB)
    return f"the photo is {tenths / 10:.1f} MB; the limit is {MAX_PHOTO_BYTES / _MIB:g} MB"


def _too_many_pixels(max_pixels: int) -> str:
    return f"the photo has too many pixels; the limit is {max_pixels / 1_000_000:g} megapixels"


def _unsupported(data: bytes) -> str:
    for offset, magic, name in _OTHER_FORMATS:
        if data[offset : offset + len(magic)] == magic:
            return f"this is {name}; {_UNSUPPORTED}"
    return f"this file is not a photo; {_UNSUPPORTED}"
