"""M6: a photo's decoding cost is bounded before it starts, and so is how many run at once.

On 9948ee2 a 301 KB 16-bit RGBA PNG of 6300 × 6300 pixels (under the 40-megapixel cap)
cost about 0.5 GB and 5 s to check, and six concurrent reports took the server to
3.1 GB. Each test checks six photos at once, on six threads of a fresh Python process,
and reads that process's peak resident memory.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from io import BytesIO
from pathlib import Path

from PIL import Image

MAX_RSS_MB = 500

# Six threads call the domain validator at once; the child reports what each got and
# its own peak resident set size: VmHWM of /proc/self/status, which starts afresh at
# exec (ru_maxrss does not: a child of a large pytest process would inherit its peak).
_CHILD = """
import json, re, sys, threading
from tem.errors import TemError
from tem.scans.photos import validate_photo

photos = [open(path, "rb").read() for path in sys.argv[1:]]
outcomes = [None] * len(photos)

def check(index):
    try:
        photo = validate_photo(photos[index])
        outcomes[index] = ["accepted", photo.width, photo.height]
    except TemError as error:
        outcomes[index] = [type(error).__name__, error.message]

threads = [threading.Thread(target=check, args=(i,)) for i in range(len(photos))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
status = open("/proc/self/status").read()
peak_mb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps({"outcomes": outcomes, "peak_mb": peak_mb}))
"""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def blank_png(width: int, height: int, depth: int, colour_type: int) -> bytes:
    """A complete, valid PNG of zeros, compressed row by row so building it stays small."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels * depth // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def check_six_at_once(tmp_path: Path, photos: list[bytes]) -> tuple[list[list[object]], float]:
    assert len(photos) == 6
    paths = []
    for index, data in enumerate(photos):
        path = tmp_path / f"photo-{index}"
        path.write_bytes(data)
        paths.append(str(path))
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(child.stdout)
    return result["outcomes"], result["peak_mb"]


def test_six_decompression_bombs_at_once_stay_under_500_mb(tmp_path: Path) -> None:
    # The review's photo, and a 16-bit one within the pixel limit that decodes to as much.
    review = blank_png(6300, 6300, depth=16, colour_type=6)
    within_pixels = blank_png(4800, 4800, depth=16, colour_type=6)
    assert len(review) < 400_000
    assert len(within_pixels) < 400_000

    outcomes, peak_mb = check_six_at_once(tmp_path, [review, within_pixels] * 3)

    assert peak_mb < MAX_RSS_MB, f"peak {peak_mb:.0f} MB"
    for outcome in outcomes:
        assert outcome[0] == "InvalidInput", outcome
    assert "6300 × 6300 pixels; the limit is 24 megapixels" in str(outcomes[0][1])
    assert "4800 × 4800 pixels at 16 bits a channel, too large" in str(outcomes[1][1])


def test_six_of_the_costliest_accepted_photos_at_once_stay_under_500_mb(tmp_path: Path) -> None:
    # The largest photo of each kind that is still accepted: the limits are not a
    # blanket refusal, and what they let through stays bounded when it comes together.
    photos = [
        encoded(Image.new("RGB", (6000, 4000), "red"), "JPEG"),  # 24 MP
        blank_png(4890, 4890, depth=8, colour_type=2),  # RGB, 24 MP
        blank_png(3700, 3700, depth=8, colour_type=6),  # RGBA, 13.7 MP
        blank_png(3580, 3580, depth=16, colour_type=6),  # 16-bit RGBA, 12.8 MP
        encoded(Image.new("RGB", (3130, 3130), "red"), "WEBP", lossless=True),  # 9.8 MP
        encoded(Image.new("RGBA", (2820, 2820), (1, 2, 3, 99)), "WEBP", lossless=True),
    ]

    outcomes, peak_mb = check_six_at_once(tmp_path, photos)

    assert [outcome[0] for outcome in outcomes] == ["accepted"] * 6, outcomes
    assert peak_mb < MAX_RSS_MB, f"peak {peak_mb:.0f} MB"
