"""The fast mask selector must choose exactly what segno's own would, symbol for symbol."""

from __future__ import annotations

import random
import string

import pytest
import segno
from segno import encoder

from tem.labels import qrmask

ALPHANUMERIC = string.ascii_uppercase + string.digits + " $%*+-./:"


def _with_segno_original(url: str) -> segno.QRCode:
    fast = encoder.find_and_apply_best_mask
    encoder.find_and_apply_best_mask = qrmask._original
    try:
        return segno.make(url, error="m", boost_error=False, mode="alphanumeric")
    finally:
        encoder.find_and_apply_best_mask = fast


@pytest.mark.parametrize("seed", range(4))
def test_same_mask_and_matrix_as_segno(seed: int) -> None:
    qrmask.install()
    rng = random.Random(seed)
    for _ in range(40):
        url = "HTTP://TEM.TEST/T/" + "".join(
            rng.choice(ALPHANUMERIC) for _ in range(rng.randint(1, 200))
        )
        ours = segno.make(url, error="m", boost_error=False, mode="alphanumeric")
        theirs = _with_segno_original(url)
        assert (ours.version, ours.mask) == (theirs.version, theirs.mask)
        assert ours.matrix == theirs.matrix


def test_penalty_matches_segno_for_every_mask() -> None:
    size = 49  # version 8
    rng = random.Random(7)
    for _ in range(20):
        flat = bytes(rng.randint(0, 1) for _ in range(size * size))
        matrix = [bytearray(flat[i * size : (i + 1) * size]) for i in range(size)]
        assert qrmask.penalty(flat, size) == encoder.evaluate_mask(matrix, size, size)


def test_uniform_symbols_score_like_segno() -> None:
    for size, fill in ((21, 0), (21, 1), (57, 0)):
        flat = bytes([fill]) * (size * size)
        matrix = [bytearray(flat[i * size : (i + 1) * size]) for i in range(size)]
        assert qrmask.penalty(flat, size) == encoder.evaluate_mask(matrix, size, size)
