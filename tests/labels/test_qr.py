"""make_qr: one alphanumeric segment, level M, version 8 at most, decoded by zxing-cpp."""

from __future__ import annotations

import io
import random

import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tem.errors import InvalidInput
from tem.labels.qr import ERROR_LEVEL, MAX_QR_VERSION, MAX_URL_LENGTH, QR_ALPHANUMERIC, make_qr

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALPHANUMERIC = "".join(sorted(QR_ALPHANUMERIC))
PREFIX = "HTTP://127.0.0.1:8000/T/"


def label_url(token_chars: int = 164, seed: int = 1) -> str:
    """A label URL as token_url builds it: default public URL and a Base32 token."""
    rng = random.Random(seed)
    return PREFIX + "".join(rng.choice(BASE32) for _ in range(token_chars))


def decode(qr: segno.QRCode) -> zxingcpp.Barcode:
    """The one QR code zxing-cpp finds in a PNG of ``qr`` with a 4-module quiet zone."""
    out = io.BytesIO()
    qr.save(out, kind="png", scale=4, border=4)
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(out.getvalue())))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0]


def test_typical_label_url_is_version_8_level_m_and_decodes() -> None:
    url = label_url()
    assert len(url) == 188

    qr = make_qr(url)

    assert (qr.version, qr.error, qr.mode) == (8, "M", "alphanumeric")
    decoded = decode(qr)
    assert decoded.text == url
    assert decoded.ec_level == ERROR_LEVEL
    assert isinstance(decoded.extra, dict)
    assert decoded.extra["Version"] == "8"
    assert decoded.symbology_identifier == "]Q1"
    assert decoded.content_type == zxingcpp.ContentType.Text


def test_smallest_version_is_used() -> None:
    # ISO/IEC 18004 Table 7: 7-M holds 178 alphanumeric characters, 8-M holds 221.
    assert make_qr("HTTP://A.VN/T/" + "A" * 164).version == 7
    assert make_qr("HTTP://A.VN/T/" + "A" * 165).version == 8
    assert make_qr("HTTP://A.VN").version == 1


def test_221_characters_fit_in_version_8() -> None:
    url = label_url(MAX_URL_LENGTH - len(PREFIX))
    assert len(url) == 221

    qr = make_qr(url)

    assert qr.version == MAX_QR_VERSION
    assert decode(qr).text == url


def test_221_is_the_real_capacity_of_version_8_m() -> None:
    # The constant is the boundary segno itself computes, not just a number we chose.
    def version(length: int) -> int | str:
        return segno.make_qr(
            "A" * length, error="m", boost_error=False, mode="alphanumeric"
        ).version

    assert version(MAX_URL_LENGTH) == 8
    assert version(MAX_URL_LENGTH + 1) == 9


@pytest.mark.parametrize("length", [222, 223, 300, 4296, 100_000])
def test_too_long_url_is_refused_with_lengths_and_advice(length: int) -> None:
    url = label_url(length - len(PREFIX))

    with pytest.raises(
        InvalidInput,
        match=rf"the label URL is {length} characters and the maximum is 221 .*TEM_PUBLIC_URL",
    ) as raised:
        make_qr(url)
    assert raised.value.field == "url"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8000/T/ABC", "'h'"),
        (PREFIX + "abc", "'a'"),
        (PREFIX + "ABC_DEF", "'_'"),
        (PREFIX + "ABC?X=1", "'='"),
        (PREFIX + "ABC#X", "'#'"),
        (PREFIX + "ĐÀ", "'À'"),
        (PREFIX + "A\nB", "'\\\\n'"),
    ],
)
def test_characters_outside_the_alphanumeric_set_are_refused(url: str, shown: str) -> None:
    with pytest.raises(InvalidInput, match=rf"cannot hold in alphanumeric mode: .*{shown}"):
        make_qr(url)


def test_empty_url_is_refused() -> None:
    with pytest.raises(InvalidInput, match="the label URL is empty"):
        make_qr("")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=MAX_URL_LENGTH))
def test_any_alphanumeric_text_up_to_221_fits_and_round_trips(text: str) -> None:
    qr = make_qr(text)

    assert 1 <= int(qr.version) <= MAX_QR_VERSION
    assert (qr.error, qr.mode) == ("M", "alphanumeric")
    decoded = decode(qr)
    assert decoded.text == text
    assert decoded.ec_level == "M"


@given(
    st.text(alphabet=ALPHANUMERIC, max_size=50),
    st.characters().filter(lambda char: char not in QR_ALPHANUMERIC),
    st.text(alphabet=ALPHANUMERIC, max_size=50),
)
def test_any_text_with_a_foreign_character_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(InvalidInput, match="alphanumeric mode"):
        make_qr(before + bad + after)
