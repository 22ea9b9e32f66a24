"""Fast QR mask selection for segno: the same choice, about ten times sooner.

ISO/IEC 18004:2015 §7.8.3 asks an encoder to try all eight data masks and keep the
one with the lowest penalty score. segno does that module by module in Python,
which makes mask selection ~90 % of the time to encode a version-8 symbol and the
bottleneck of printing sheets of stamps. This module computes exactly segno's
scores (N1 to N4, the same rules and the same quirks) on whole rows at once, using
byte strings, regular expressions and big integers that do the work in C, and
installs itself as segno's mask selector. ``tests/labels/test_qrmask.py`` checks,
symbol by symbol, that the chosen mask and matrix are identical to segno's own.
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

# segno's encoder internals are untyped; we use a handful of them, pinned by segno<2
# and checked symbol for symbol against segno's own selector in the tests.
_segno: Any = importlib.import_module("segno.encoder")

_RUNS = re.compile(rb"\x00{5,}|\x01{5,}")
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"
_MAX_PENALTY = _segno._MAX_PENALTY_SCORE
_original: Callable[..., Any] = _segno.find_and_apply_best_mask


@lru_cache(maxsize=64)
def _mask_bytes(size: int) -> tuple[bytes, ...]:
    """For each of the 8 masks, the XOR pattern over the whole symbol (row-major),
    zero outside the encoding region, as segno's ``is_encoding_region`` defines it."""
    function_matrix = _segno.make_matrix(size, size)
    _segno.add_finder_patterns(function_matrix, size, size)
    _segno.add_alignment_patterns(function_matrix, size, size)
    function_matrix[-8][8] = 0x1
    patterns = _segno.get_data_mask_functions(False)
    masks = []
    for pattern in patterns:
        masks.append(
            bytes(
                pattern(i, j) if function_matrix[i][j] > 0x1 else 0
                for i in range(size)
                for j in range(size)
            )
        )
    return tuple(masks)


def _finder_like(seq: bytes, size: int) -> int:
    """segno's N3 count for one row or column, line for line (its boundary quirks too)."""
    count = 0
    idx = seq.find(_FINDER_LIKE)
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or not any(seq[max(idx - 4, 0) : min(idx, size)])
            or not any(seq[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_FINDER_LIKE, offset)
    return count


def penalty(flat: bytes, size: int) -> int:
    """The penalty score N1 + N2 + N3 + N4 of a masked symbol given row-major as 0/1 bytes."""
    rows = [flat[i * size : (i + 1) * size] for i in range(size)]
    cols = [flat[j::size] for j in range(size)]
    # N1: each run of 5 + i modules of one colour in a row or column scores 3 + i.
    separated = b"\x02".join(rows) + b"\x02" + b"\x02".join(cols)
    n1 = sum(len(m) - 2 for m in _RUNS.findall(separated))
    # N2: each 2x2 block of one colour scores 3. Bytes are 0/1, so XOR of whole rows
    # read as integers compares all columns at once; ">> 8" pairs column j with j + 1.
    width_mask = (1 << (8 * (size - 1))) - 1
    ints = [int.from_bytes(r, "big") for r in rows]
    blocks = 0
    for upper, lower in itertools.pairwise(ints):
        vertical = upper ^ lower
        differs = vertical | (vertical >> 8) | (upper ^ (upper >> 8))
        blocks += (size - 1) - (differs & width_mask).bit_count()
    n2 = 3 * blocks
    # N3: 1:1:3:1:1 finder-like patterns with a light area beside them. One search over
    # all lines finds the few that have the pattern; only those are scored.
    lines = (*rows, *cols)
    hits = set()
    index = separated.find(_FINDER_LIKE)
    while index != -1:
        hits.add(index // (size + 1))
        index = separated.find(_FINDER_LIKE, index + 1)
    n3 = sum(_finder_like(lines[line], size) for line in hits)
    # N4: deviation of the dark share from 50 %, in 5 % steps.
    percent = flat.count(1) / (size * size)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def find_and_apply_best_mask(
    matrix: Sequence[bytearray], width: int, height: int, proposed_mask: int | None = None
) -> tuple[int, Any]:
    """Drop-in for ``segno.encoder.find_and_apply_best_mask`` (QR Code symbols).

    Micro QR and a caller-chosen mask go to segno's own function unchanged.
    """
    if width != height or width < 21 or proposed_mask is not None:
        mask_and_matrix: tuple[int, Any] = _original(matrix, width, height, proposed_mask)
        return mask_and_matrix
    size = width
    unmasked = int.from_bytes(b"".join(matrix), "big")
    best_score, best_mask, best_flat = _MAX_PENALTY, -1, b""
    for number, xor in enumerate(_mask_bytes(size)):
        flat = (unmasked ^ int.from_bytes(xor, "big")).to_bytes(size * size, "big")
        score = penalty(flat, size)
        if score < best_score:
            best_score, best_mask, best_flat = score, number, flat
    best = tuple(bytearray(best_flat[i * size : (i + 1) * size]) for i in range(size))
    return best_mask, best


def install() -> Callable[..., Any]:
    """Make segno use the fast selector; returns segno's original (for tests)."""
    _segno.find_and_apply_best_mask = find_and_apply_best_mask
    return _original
