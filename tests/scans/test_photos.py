"""A shopper's photo: what is accepted, what is refused and why, and what is stored."""

from __future__ import annotations

import random
import struct
import zlib
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from tem.errors import Busy, InvalidInput
from tem.scans import photos
from tem.scans.photos import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    Photo,
    read_limited,
    validate_photo,
)

ORIENTATION = 0x0112  # EXIF tag: how the camera was held
MAKE = 0x010F  # EXIF tag: camera maker


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """An incompressible picture, so its encoding is long enough to cut in half."""
    rnd = random.Random(seed)
    return Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))


def half_red_half_blue(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 42.0, 3.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (104.0, 52.0, 1.0)
    return exif


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bilevel_png(width: int, height: int, rows: int | None = None) -> bytes:
    """A black 1-bit PNG built by hand; ``rows`` < height leaves the pixel data short."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height if rows is None else rows))
    idat += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def deep_png(width: int, height: int, depth: int = 16, colour_type: int = 6) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` at ``depth`` bits; one row of pixels."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels * depth // 8)
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(row, 9))
        + png_chunk(b"IEND", b"")
    )


def reopen(photo: Photo) -> Image.Image:
    image = Image.open(BytesIO(photo.data))
    image.load()
    return image


def refused(data: bytes, match: str, max_pixels: int = MAX_PIXELS) -> InvalidInput:
    with pytest.raises(InvalidInput, match=match) as caught:
        validate_photo(data, max_pixels=max_pixels)
    assert caught.value.field == "photo"
    return caught.value


# Accepted, and stored as a fresh encoding


@pytest.mark.parametrize(
    ("image_format", "stored_as", "stored_format"),
    [("JPEG", "image/jpeg", "JPEG"), ("PNG", "image/png", "PNG"), ("WEBP", "image/jpeg", "JPEG")],
)
def test_jpeg_png_and_webp_are_accepted_and_re_encoded(
    image_format: str, stored_as: str, stored_format: str
) -> None:
    original = encode(half_red_half_blue((120, 80)), image_format)
    photo = validate_photo(original, "image/whatever")
    assert photo.media_type == stored_as
    assert (photo.width, photo.height) == (120, 80)
    stored = reopen(photo)
    assert stored.format == stored_format
    assert stored.size == (120, 80)
    red, _, blue = stored.convert("RGB").getpixel((10, 40))  # type: ignore[misc]
    assert red > 200
    assert blue < 60


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP", "PNG"])
def test_exif_with_gps_is_gone_from_the_stored_photo(image_format: str) -> None:
    original = encode(Image.new("RGB", (40, 30), "green"), image_format, exif=gps_exif())
    # The test means something only if the upload really carried a position.
    assert Image.open(BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    stored = reopen(validate_photo(original))

    exif = stored.getexif()
    assert not exif
    assert ExifTags.IFD.GPSInfo not in exif
    assert "exif" not in stored.info


def test_comments_colour_profiles_and_text_chunks_are_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = encode(Image.new("RGB", (20, 20)), "JPEG", comment=b"Nguyen Van A", icc_profile=srgb)
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Nguyen Van A")
    text.add_itxt("Location", "Hà Nội")
    png = encode(Image.new("RGB", (20, 20)), "PNG", pnginfo=text, icc_profile=srgb, dpi=(300, 300))
    assert {"comment", "icc_profile"} <= Image.open(BytesIO(jpeg)).info.keys()
    assert {"Author", "Location", "icc_profile"} <= Image.open(BytesIO(png)).info.keys()

    for original in (jpeg, png):
        stored = reopen(validate_photo(original))
        assert not set(stored.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density"}


def test_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped() -> None:
    # Orientation 6: the camera was turned a quarter clockwise; the upright picture
    # is the stored one turned 90° clockwise, so its left half becomes the top.
    original = encode(half_red_half_blue((200, 100)), "JPEG", exif=gps_exif(orientation=6))

    photo = validate_photo(original)

    assert (photo.width, photo.height) == (100, 200)
    stored = reopen(photo).convert("RGB")
    assert stored.getpixel((50, 20))[0] > 200  # type: ignore[index]  # red on top
    assert stored.getpixel((50, 180))[2] > 200  # type: ignore[index]  # blue below
    assert ORIENTATION not in stored.getexif()


@pytest.mark.parametrize(
    ("image_format", "size", "stored_size"),
    [
        ("JPEG", (3000, 1000), (2048, 683)),
        ("PNG", (1000, 3000), (683, 2048)),
        ("WEBP", (3000, 3000), (2048, 2048)),
        ("JPEG", (4100, 4100), (2048, 2048)),  # decoded at half scale, then resized
    ],
)
def test_large_photos_are_downscaled_to_2048_on_the_longest_side(
    image_format: str, size: tuple[int, int], stored_size: tuple[int, int]
) -> None:
    photo = validate_photo(encode(half_red_half_blue(size), image_format))
    assert (photo.width, photo.height) == stored_size
    assert reopen(photo).size == stored_size
    assert max(stored_size) == MAX_SIDE


def test_multi_picture_jpeg_from_a_phone_is_stored_as_its_first_picture() -> None:
    first, depth_map = Image.new("RGB", (30, 20), "red"), Image.new("RGB", (30, 20), "blue")
    mpo = encode(first, "MPO", save_all=True, append_images=[depth_map])
    assert Image.open(BytesIO(mpo)).format == "MPO"
    photo = validate_photo(mpo)
    stored = reopen(photo)
    assert (photo.media_type, stored.format) == ("image/jpeg", "JPEG")
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.getpixel((15, 10))[0] > 200  # type: ignore[index]


def test_transparent_webp_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 10, 20))
    stored = reopen(validate_photo(encode(image, "WEBP", lossless=True)))
    assert stored.mode == "RGB"
    assert stored.getpixel((15, 10)) >= (245, 245, 245)  # type: ignore[operator]
    assert stored.getpixel((3, 10))[0] > 200  # type: ignore[index]


def test_png_keeps_palette_transparency_and_alpha() -> None:
    palette = Image.new("P", (10, 10), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255])
    palette.paste(1, (0, 0, 5, 10))
    stored = reopen(validate_photo(encode(palette, "PNG", transparency=0)))
    assert stored.mode == "P"
    assert stored.info == {"transparency": 0}

    rgba = reopen(validate_photo(encode(Image.new("RGBA", (10, 10), (1, 2, 3, 40)), "PNG")))
    assert rgba.getpixel((5, 5)) == (1, 2, 3, 40)


def test_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    grey = Image.new("I;16", (4, 1))
    grey.putpixel((0, 0), 0)
    grey.putpixel((1, 0), 32768)
    grey.putpixel((2, 0), 65535)
    stored = reopen(validate_photo(encode(grey, "PNG")))
    assert stored.mode == "L"
    assert [stored.getpixel((x, 0)) for x in range(3)] == [0, 128, 255]


# Refused, with a reason a shopper can act on


def test_empty_photo_is_refused() -> None:
    refused(b"", "the photo is empty")


def test_oversize_photo_is_refused_with_its_size() -> None:
    refused(b"\xff" * int(7.3 * 1024 * 1024), r"^the photo is 7\.3 MB; the limit is 5 MB$")


def test_one_byte_over_never_reads_as_within_the_limit() -> None:
    refused(b"\xff" * (MAX_PHOTO_BYTES + 1), r"^the photo is 5\.1 MB; the limit is 5 MB$")


def test_text_file_named_jpg_is_refused_whatever_it_claims() -> None:
    with pytest.raises(InvalidInput, match="not a photo; only JPEG, PNG or WebP photos"):
        validate_photo(b"Dear Sir, this tea is fake.\n", "image/jpeg")


def test_gif_is_refused_by_name() -> None:
    gif = encode(Image.new("P", (10, 10)), "GIF")
    refused(gif, "^this is a GIF image; only JPEG, PNG or WebP photos are accepted$")


@pytest.mark.parametrize(
    ("magic", "name"), [(b"\0\0\0\x18ftypheic", "HEIC"), (b"BM\0\0\0\0\0\0", "BMP")]
)
def test_other_phone_formats_are_named_when_refused(magic: bytes, name: str) -> None:
    refused(magic + b"\0" * 64, f"this is an? {name} .*only JPEG, PNG or WebP")


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_truncated_photo_is_refused(image_format: str) -> None:
    whole = encode(noise((200, 200)), image_format)
    refused(whole[: len(whole) // 2], "damaged or incomplete")


def test_png_with_a_tampered_pixel_chunk_is_refused() -> None:
    whole = bytearray(encode(noise((50, 50)), "PNG"))
    idat = whole.index(b"IDAT")
    whole[idat + 100] ^= 0xFF
    refused(bytes(whole), "damaged or incomplete")


def test_decompression_bomb_refused_before_decoding() -> None:
    # 8000 × 8000 one-bit pixels: 64 megapixels that compress to about 8 kB, and
    # would take 192 MB once converted to RGB.
    bomb = bilevel_png(8000, 8000)
    assert len(bomb) < 100_000
    refused(bomb, r"^the photo is 8000 × 8000 pixels; the limit is 24 megapixels$")


def test_decompression_bomb_beyond_pillows_own_limit_is_refused() -> None:
    # 50000 × 50000: the header alone makes Pillow refuse; only a few rows are stored.
    refused(bilevel_png(50_000, 50_000, rows=10), "too many pixels; the limit is 24 megapixels")


def test_sixteen_bit_png_too_costly_to_decode_is_refused_from_its_header() -> None:
    # 3800 × 3800 is within the pixel limit, but 16-bit RGBA inflates 8 bytes a pixel
    # and is held at 4, twice over while downscaling: refused before any pixel is read.
    refused(
        deep_png(3800, 3800),
        r"^the photo is 3800 × 3800 pixels at 16 bits a channel, too large to check; "
        "send a JPEG photo or a smaller picture$",
    )
    refused(deep_png(4890, 4890, depth=8), "too large to check")  # 8-bit RGBA, 24 MP


def test_webp_is_held_several_times_over_so_its_limit_is_lower() -> None:
    webp = encode(Image.new("RGB", (3300, 3300), "red"), "WEBP", lossless=True)
    refused(webp, r"^the photo is 3300 × 3300 pixels, too large to check")


def test_a_big_jpeg_is_decoded_at_reduced_scale_not_refused() -> None:
    photo = validate_photo(encode(Image.new("RGB", (6000, 4000), "red"), "JPEG"))
    assert (photo.width, photo.height) == (2048, 1365)


def test_when_every_decoding_slot_stays_busy_the_caller_is_told_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(photos, "DECODE_WAIT_SECONDS", 0.05)
    small = encode(Image.new("RGB", (10, 10)), "PNG")
    held = 0
    try:
        while photos._DECODES.acquire(blocking=False):
            held += 1
        assert held == photos.MAX_CONCURRENT_DECODES
        with pytest.raises(Busy, match="send the report again in a minute") as caught:
            validate_photo(small)
        assert caught.value.retry_after == 60
    finally:
        for _ in range(held):
            photos._DECODES.release()
    assert validate_photo(small).width == 10  # the slots are free again


def test_pixel_limit_is_a_parameter() -> None:
    small = encode(Image.new("RGB", (100, 100)), "PNG")
    assert validate_photo(small, max_pixels=10_000).width == 100
    refused(small, r"100 × 100 pixels; the limit is 0\.005 megapixels", max_pixels=5_000)


# The stored photo is itself a valid photo


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_stored_photo_validates_again_unchanged_in_size_and_type(image_format: str) -> None:
    first = validate_photo(encode(noise((300, 200), seed=3), image_format, exif=gps_exif(6)))
    second = validate_photo(first.data)
    assert (second.media_type, second.width, second.height) == (
        first.media_type,
        first.width,
        first.height,
    )


# Fuzzing: any bytes give a Photo or an InvalidInput, never a library exception

_SEEDS = [
    encode(noise((16, 12), seed=1), "JPEG", exif=gps_exif(3)),
    encode(noise((16, 12), seed=2), "PNG"),
    encode(noise((16, 12), seed=4), "WEBP"),
    encode(Image.new("RGBA", (9, 7), (9, 9, 9, 9)), "WEBP", lossless=True),
    encode(Image.new("P", (9, 7)), "PNG", transparency=0),
]


def _accept_or_refuse(data: bytes) -> None:
    outcome: Photo | InvalidInput
    try:
        outcome = validate_photo(data)
    except InvalidInput as error:
        outcome = error
    if isinstance(outcome, InvalidInput):
        assert outcome.field == "photo"
        assert outcome.message
    else:
        assert outcome.media_type in ("image/jpeg", "image/png")
        assert 0 < outcome.width <= MAX_SIDE
        assert 0 < outcome.height <= MAX_SIDE


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _accept_or_refuse(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.floats(0.05, 1),
)
def test_fuzz_damaged_photos(seed: bytes, flips: list[tuple[float, int]], cut: float) -> None:
    damaged = bytearray(seed)
    for where, value in flips:
        damaged[int(where * len(damaged))] = value
    _accept_or_refuse(bytes(damaged[: max(1, int(cut * len(damaged)))]))


# Reading an upload without holding more than the limit


class _Endless:
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "read_limited must never ask for everything"
        self.served += size
        return b"x" * size


class _Trickle(BytesIO):
    """A stream that hands out at most 7 bytes per read, as a slow socket does."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(7 if size is None or size < 0 else min(size, 7))


def test_read_limited_refuses_a_stream_over_the_limit() -> None:
    with pytest.raises(InvalidInput, match="larger than 5 MB") as caught:
        read_limited(BytesIO(b"x" * (MAX_PHOTO_BYTES + 1)))
    assert caught.value.field == "photo"


def test_read_limited_never_reads_more_than_one_byte_past_the_limit() -> None:
    endless = _Endless()
    with pytest.raises(InvalidInput):
        read_limited(endless, limit=100_000)  # type: ignore[arg-type]
    assert endless.served == 100_001


def test_read_limited_returns_everything_up_to_the_limit() -> None:
    assert read_limited(BytesIO(b"x" * 1000), limit=1000) == b"x" * 1000
    assert read_limited(BytesIO(b"")) == b""
    assert read_limited(_Trickle(b"abcdefghijklmnopqrstuvwxyz"), limit=26) == (
        b"abcdefghijklmnopqrstuvwxyz"
    )
