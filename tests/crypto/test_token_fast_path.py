"""The hand-written label/stamp payload decoder must accept exactly what the general one does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tem.crypto import cbor
from tem.crypto.statements import BatchId, Serial, _token_claims, label_payload, stamp_payload

ISSUE_TIMES = [0, 23, 24, 255, 256, 65_535, 65_536, 2**32 - 1, 2**32]


@pytest.mark.parametrize("issued_at", ISSUE_TIMES)
def test_valid_payloads_decode_the_same(issued_at: int) -> None:
    for payload in (
        label_payload(BatchId(b"\x01" * 8), issued_at),
        stamp_payload(BatchId(b"\x02" * 8), issued_at, Serial(b"\x03" * 10)),
    ):
        assert _token_claims(payload) == cbor.decode(payload)


def test_non_shortest_integer_is_left_to_the_general_decoder() -> None:
    shortest = label_payload(BatchId(b"\x01" * 8), 5)
    padded = shortest[:-1] + b"\x18\x05"  # 5 written in two bytes: not deterministic
    assert _token_claims(padded) is None
    with pytest.raises(cbor.CborError):
        cbor.decode(padded)


@given(
    st.sampled_from(
        [
            label_payload(BatchId(b"\x11" * 8), 1_764_000_000),
            stamp_payload(BatchId(b"\x22" * 8), 1_764_000_000, Serial(b"\x33" * 10)),
        ]
    ),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=3),
    st.integers(0, 40),
)
def test_mutations_never_pass_the_fast_path_alone(
    base: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(base)
    for index, value in edits:
        if index < len(data):
            data[index] = value
    mutated = bytes(data[: len(data) - cut] if cut < len(data) else data)
    fast = _token_claims(mutated)
    if fast is not None:
        assert fast == cbor.decode(mutated)
