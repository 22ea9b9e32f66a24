"""Deterministic CBOR (RFC 8949 §4.2.1): golden encodings, refused forms, round trips."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.crypto import cbor

# RFC 8949 Appendix A examples that fall inside Tem's subset (no floats, tags, bignums,
# undefined, simple values, indefinite lengths).
RFC8949_APPENDIX_A: list[tuple[Any, str]] = [
    (0, "00"),
    (1, "01"),
    (10, "0a"),
    (23, "17"),
    (24, "1818"),
    (25, "1819"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"),
    (-18446744073709551616, "3bffffffffffffffff"),
    (-1, "20"),
    (-10, "29"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ('"\\', "62225c"),
    ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"),
    ("\U00010151", "64f0908591"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"),
    ({1: 2, 3: 4}, "a201020304"),
    ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    (
        {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
        "a56161614161626142616361436164614461656145",
    ),
]


@pytest.mark.parametrize(("value", "expected"), RFC8949_APPENDIX_A)
def test_rfc8949_appendix_a_encoding(value: Any, expected: str) -> None:
    assert cbor.encode(value).hex() == expected


@pytest.mark.parametrize(("value", "encoded"), RFC8949_APPENDIX_A)
def test_rfc8949_appendix_a_decodes_strictly(value: Any, encoded: str) -> None:
    decoded = cbor.decode(bytes.fromhex(encoded))
    assert decoded == value
    assert cbor.encode(decoded).hex() == encoded


def test_shortest_argument_at_every_boundary() -> None:
    cases = {
        23: "17",
        24: "1818",
        255: "18ff",
        256: "190100",
        65535: "19ffff",
        65536: "1a00010000",
        2**32 - 1: "1affffffff",
        2**32: "1b0000000100000000",
        -24: "37",
        -25: "3818",
        -256: "38ff",
        -257: "390100",
    }
    for value, expected in cases.items():
        assert cbor.encode(value).hex() == expected, value
    assert cbor.encode(b"\x00" * 24).hex() == "5818" + "00" * 24
    assert cbor.encode("x" * 256)[:3].hex() == "790100"


def test_map_keys_sort_bytewise_by_their_encoding() -> None:
    # The RFC 8949 §4.2.1 example order: 10, 100, -1, "z", "aa", [100], [-1], false.
    value = {False: 8, (-1,): 7, (100,): 6, "aa": 5, "z": 4, -1: 3, 100: 2, 10: 1}
    assert cbor.encode(value).hex() == "a8" + "0a01" + "186402" + "2003" + "617a04" + (
        "62616105" + "81186406" + "812007" + "f408"
    )


def test_map_order_is_not_rfc7049_length_first() -> None:
    # Length-first ("canonical" in RFC 7049) would put -1 (one byte) before 100 (two bytes).
    assert cbor.encode({-1: 0, 100: 0}).hex() == "a2186400" + "2000"
    with pytest.raises(cbor.CborError, match="not in deterministic encoding"):
        cbor.decode(bytes.fromhex("a22000186400"))


def test_text_keys_sort_shorter_first_then_bytewise() -> None:
    claims = {"verify_until": 0, "iat": 0, "kid": 0, "org_name": 0, "pub": 0, 1: 0}
    keys = list(cbor2.loads(cbor.encode(claims)))
    assert keys == [1, "iat", "kid", "pub", "org_name", "verify_until"]


class _SameEncoding(int):
    """Two of these are different dict keys yet encode to the same CBOR integer."""

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def test_duplicate_encoded_keys_are_refused() -> None:
    with pytest.raises(cbor.CborError, match="duplicate map key"):
        cbor.encode({_SameEncoding(1): "a", _SameEncoding(1): "b"})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "type float is not allowed"),
        (float("nan"), "type float is not allowed"),
        ({1, 2}, "type set is not allowed"),
        (bytearray(b"x"), "type bytearray is not allowed"),
        ({"a": object()}, "type object is not allowed"),
        (2**64, "integer too large"),
        (-(2**64) - 1, "integer too large"),
    ],
)
def test_encode_refuses_what_tem_does_not_use(value: Any, message: str) -> None:
    with pytest.raises(cbor.CborError, match=message):
        cbor.encode(value)


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_limit() -> None:
    assert cbor.decode(cbor.encode(_nested(16))) == _nested(16)
    with pytest.raises(cbor.CborError, match="nesting too deep"):
        cbor.encode(_nested(17))
    with pytest.raises(cbor.CborError, match="nesting too deep"):
        cbor.decode(b"\x81" * 17 + b"\x00")


# Named non-deterministic or disallowed inputs, and the message each must give.
REFUSED: list[tuple[str, str, str]] = [
    ("non_shortest_int", "1801", "not in deterministic encoding"),
    ("non_shortest_int_16", "190017", "not in deterministic encoding"),
    ("non_shortest_negative", "3800", "not in deterministic encoding"),
    ("non_shortest_length", "580100", "not in deterministic encoding"),
    ("unsorted_map", "a203040102", "not in deterministic encoding"),
    ("unsorted_text_keys", "a2626161016162 02".replace(" ", ""), "not in deterministic encoding"),
    ("duplicate_key", "a201020103", "not in deterministic encoding"),
    ("indefinite_array", "9f01ff", "not in deterministic encoding"),
    ("indefinite_map", "bf0102ff", "not in deterministic encoding"),
    ("indefinite_bytes", "5f41014102ff", "not in deterministic encoding"),
    ("indefinite_text", "7f6161ff", "not in deterministic encoding"),
    ("half_float", "f93c00", "type float is not allowed"),
    ("double_float", "fb3ff8000000000000", "type float is not allowed"),
    ("epoch_date_tag", "c11a514b67b0", "type datetime is not allowed"),
    ("cose_sign1_tag", "d28440a04040", "type CBORTag is not allowed"),
    ("bignum_tag", "c24101", "not in deterministic encoding"),
    ("undefined", "f7", "type UndefinedType is not allowed"),
    ("simple_value", "f0", "type CBORSimpleValue is not allowed"),
    ("trailing_bytes", "0100", "not in deterministic encoding"),
    ("two_items", "8080", "not in deterministic encoding"),
    ("truncated", "6261", "not well-formed"),
    ("invalid_utf8", "61ff", "not well-formed"),
    ("empty", "", "not well-formed"),
    ("reserved_additional_info", "1c", "not well-formed"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in REFUSED], ids=[n for n, _, _ in REFUSED]
)
def test_decode_refuses(data: str, message: str) -> None:
    with pytest.raises(cbor.CborError, match=message):
        cbor.decode(bytes.fromhex(data))


def test_lenient_decoding_accepts_what_strict_refuses() -> None:
    assert cbor.decode_lenient(bytes.fromhex("1801")) == 1
    assert cbor.decode_lenient(bytes.fromhex("a203040102")) == {3: 4, 1: 2}
    with pytest.raises(cbor.CborError, match="not well-formed"):
        cbor.decode_lenient(b"\x62\x61")


# --- properties ----------------------------------------------------------------------

_scalars = (
    st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=20)
    | st.booleans()
    | st.none()
)
_keys = (
    st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.text(max_size=12)
    | st.binary(max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=20,
)


@given(_values)
@settings(max_examples=300)
def test_round_trip(value: Any) -> None:
    encoded = cbor.encode(value)
    decoded = cbor.decode(encoded)
    assert decoded == value
    assert cbor.encode(decoded) == encoded  # byte-identical: types survive (True is not 1)
    assert cbor2.loads(encoded) == value  # an independent decoder agrees


@given(st.binary(max_size=64))
@settings(max_examples=500)
def test_decode_of_arbitrary_bytes_raises_only_cbor_error(data: bytes) -> None:
    try:
        value = cbor.decode(data)
    except cbor.CborError:
        return
    assert cbor.encode(value) == data  # whatever is accepted is in its one encoding


@given(_values)
def test_any_other_encoding_by_cbor2_is_accepted_only_if_identical(value: Any) -> None:
    # cbor2's own encoder (not deterministic by default): accepted only when it agrees with ours.
    other = cbor2.dumps(value)
    if other == cbor.encode(value):
        assert cbor.decode(other) == value
    else:
        with pytest.raises(cbor.CborError, match="deterministic"):
            cbor.decode(other)
