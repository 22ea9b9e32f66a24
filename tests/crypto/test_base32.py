"""Unpadded RFC 4648 Base32 as used for tokens."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.crypto import base32

# RFC 4648 §10 test vectors, without the "=" padding.
RFC4648_VECTORS = [
    (b"", ""),
    (b"f", "MY"),
    (b"fo", "MZXQ"),
    (b"foo", "MZXW6"),
    (b"foob", "MZXW6YQ"),
    (b"fooba", "MZXW6YTB"),
    (b"foobar", "MZXW6YTBOI"),
]


@pytest.mark.parametrize(("data", "text"), RFC4648_VECTORS)
def test_rfc4648_vectors(data: bytes, text: str) -> None:
    assert base32.encode(data) == text
    assert base32.decode(text) == data
    assert base32.decode(text.lower()) == data


def test_mixed_case_is_accepted() -> None:
    assert base32.decode("mZxW6yTbOi") == b"foobar"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("MZXW6YT1", "not Base32"),  # 1 is not in the alphabet
        ("MZXW6YT8", "not Base32"),
        ("MZXW6YQ=", "not Base32"),  # padding is not accepted
        ("MZXW6YTBOI======", "not Base32"),
        ("MZXW 6YQ", "not Base32"),
        ("MZXW-6YQ", "not Base32"),
        ("MZXW6YTBO\u0130", "not Base32"),  # dotted capital I
        ("\u017fA", "not Base32"),  # long s: its upper case is S, but it is not ASCII
        ("\u0131A", "not Base32"),  # dotless i: its upper case is I
        ("\uff2d\uff39", "not Base32"),  # full-width MY
        ("M", "length no Base32 text can have"),
        ("MZX", "length no Base32 text can have"),
        ("MZXW6Y", "length no Base32 text can have"),
        ("MZXW6YTBO", "length no Base32 text can have"),
        ("MZ", "stray trailing bits"),  # 'f' is MY; Z sets a padding bit
        ("MZXR", "stray trailing bits"),
        ("MZXW6YTBOJ", "stray trailing bits"),
    ],
)
def test_decode_refuses(text: str, message: str) -> None:
    with pytest.raises(base32.Base32Error, match=message):
        base32.decode(text)


@given(st.binary(max_size=200))
def test_round_trip(data: bytes) -> None:
    text = base32.encode(data)
    assert re.fullmatch(r"[A-Z2-7]*", text)
    assert len(text) == -(-len(data) * 8 // 5)  # ceil(8n / 5): no padding
    assert base32.decode(text) == data
    assert base32.decode(text.lower()) == data


@given(st.text(max_size=60))
@settings(max_examples=500)
def test_decode_of_arbitrary_text_raises_only_base32_error(text: str) -> None:
    try:
        data = base32.decode(text)
    except base32.Base32Error:
        return
    assert base32.encode(data) == text.upper()  # one text (up to case) per byte string


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz", max_size=60))
@settings(max_examples=500)
def test_decode_of_alphabet_text_agrees_with_the_standard_library(text: str) -> None:
    if len(text) % 8 in (1, 3, 6):
        with pytest.raises(base32.Base32Error, match="length no Base32 text can have"):
            base32.decode(text)
        return
    upper = text.upper()
    data = base64.b32decode(upper + "=" * (-len(upper) % 8))  # ignores stray trailing bits
    if base64.b32encode(data).decode("ascii").rstrip("=") == upper:
        assert base32.decode(text) == data
    else:
        with pytest.raises(base32.Base32Error, match="stray trailing bits"):
            base32.decode(text)
