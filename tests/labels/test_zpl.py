"""ZPL II labels: structure, QR field data and magnification per dpi, text, too-small labels.

No printer here, so the QR is checked twice over: its field data is exactly the URL, and
the symbol a printer would draw from it (``^BQN,2,m`` with ``^FDMM,A…``: level M, one
alphanumeric segment, ``m`` dots a module, at its ``^FO``) is rasterized on a label of
``^PW`` × ``^LL`` dots and read back by an independent decoder (zxing-cpp).
"""

from __future__ import annotations

import io
import re

import pytest
import segno
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tem.errors import InvalidInput
from tem.labels.qr import make_qr
from tem.labels.render import LabelContent, reference_measure
from tem.labels.zpl import field_data, write_zpl, zpl_label

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# A stamp URL as long as they get: 202 characters, a version-8 symbol (49 modules).
STAMP_URL = "HTTP://TEM.TEST/T/" + (BASE32 * 6)[:184]
BATCH_URL = "HTTP://TEM.TEST/T/" + (BASE32 * 4)[:100]
STAMP = LabelContent(
    url=STAMP_URL,
    product_name="Chè Shan Tuyết cổ thụ Suối Giàng",
    ocop_stars=4,
    lot_code="ST-2026-01",
    expiry_date="01/09/2027",
    serial="ABCD-EFGH-JKLM-NPQR",
)
BATCH = LabelContent(
    url=BATCH_URL, product_name="Mật ong bạc hà Mèo Vạc", ocop_stars=5, lot_code="MO-2026-031"
)
SIZE = re.compile(r"the smallest label that works is ([\d.]+) × ([\d.]+) mm")
QR_FIELD = re.compile(r"\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FD(.*?)\^FS")
TEXT_FIELD = re.compile(
    r"\^FO(\d+),(\d+)\^A(?:0N|@N),(\d+),(\d+)(?:,[^^]+)?\^FB(\d+),(\d+),(\d+),L,0\^FH_\^FD(.*?)\^FS"
)


def commands(label: str, name: str) -> list[str]:
    return re.findall(rf"\^{name}([^\^\n]*)", label)


def unescape(data: str) -> list[str]:
    """The lines of a ``^FH_`` ``^FB`` field as the printer prints them.

    ``_XX`` is a byte of UTF-8; then, left to right, ``\\\\`` is a backslash and ``\\&``
    a line break.
    """
    lines = [""]
    for token in re.split(r"(\\\\|\\&)", data):
        if token == "\\&":
            lines.append("")
        elif token == "\\\\":
            lines[-1] += "\\"
        else:
            raw = re.sub(rb"_([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), token.encode())
            lines[-1] += raw.decode("utf-8")
    return lines


def texts(label: str) -> list[str]:
    return [" ".join(unescape(match[7])) for match in TEXT_FIELD.findall(label)]


def printed_qr(label: str) -> tuple[str, Image.Image]:
    """The QR's data and the label as a printer would draw the symbol, 1 px a dot."""
    (width,) = commands(label, "PW")
    (length,) = commands(label, "LL")
    ((x, y, magnification, data),) = QR_FIELD.findall(label)
    assert data.startswith("MM,A")  # level M, manual input, alphanumeric
    url = data.removeprefix("MM,A")
    symbol = segno.make_qr(url, error="m", boost_error=False, mode="alphanumeric")
    image = Image.new("L", (int(width), int(length)), 255)
    module = int(magnification)
    for row, cells in enumerate(symbol.matrix):
        for column, dark in enumerate(cells):
            if dark:
                left, top = int(x) + column * module, int(y) + row * module
                image.paste(0, (left, top, left + module, top + module))
    return url, image


# --- structure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dpi", "dots", "magnification"), [(203, (400, 240), 3), (300, (600, 360), 5)]
)
def test_a_label_is_one_format_with_size_in_dots_and_utf8(
    dpi: int, dots: tuple[int, int], magnification: int
) -> None:
    label = zpl_label(STAMP, dpi=dpi)

    assert label.startswith("^XA\n")
    assert label.endswith("^XZ\n")
    assert label.count("^XA") == label.count("^XZ") == 1
    assert commands(label, "CI") == ["28"]
    assert commands(label, "PW") == [str(dots[0])]  # 50 mm at 8 or 12 dots a millimetre
    assert commands(label, "LL") == [str(dots[1])]  # 30 mm
    assert f"^BQN,2,{magnification}^" in label
    assert label.isascii()


@pytest.mark.parametrize("dpi", [203, 300, 600])
@pytest.mark.parametrize("content", [STAMP, BATCH], ids=["stamp", "batch"])
def test_the_qr_data_is_exactly_the_url_and_scans_where_the_printer_draws_it(
    dpi: int, content: LabelContent
) -> None:
    label = zpl_label(content, dpi=dpi)
    url, image = printed_qr(label)

    assert url == content.url
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [content.url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


@pytest.mark.parametrize(("dpi", "per_mm"), [(203, 8), (300, 12), (600, 24)])
@pytest.mark.parametrize(
    "size", [(50, 30), (40, 25), (60, 40), (100, 50), (38, 25)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_the_magnification_is_the_largest_that_fits_with_a_quiet_zone(
    dpi: int, per_mm: int, size: tuple[float, float]
) -> None:
    if dpi == 203 and size == (38, 25):
        # The QR fits (182 dots for 171) but the text column is too narrow for 10-dot letters.
        with pytest.raises(InvalidInput, match="printer fonts need at least 10"):
            zpl_label(STAMP, dpi=dpi, width_mm=size[0], height_mm=size[1])
        return
    label = zpl_label(STAMP, dpi=dpi, width_mm=size[0], height_mm=size[1])
    modules = len(make_qr(STAMP_URL).matrix)
    ((x, y, magnification, _),) = QR_FIELD.findall(label)
    m, x0, y0 = int(magnification), int(x), int(y)
    span = (modules + 8) * m
    first_text_x = min(int(match[0]) for match in TEXT_FIELD.findall(label))

    assert 3 <= m <= 10
    # The quiet zone, 4 modules, lies on the label and clear of the text.
    assert x0 - 4 * m >= 0
    assert y0 - 4 * m >= 0
    assert x0 - 4 * m + span <= first_text_x
    assert y0 - 4 * m + span <= round(size[1] * per_mm)
    # One more dot a module would not fit the QR's square (at most 60% of the width and
    # the height less 1 mm above and below), unless it is ^BQ's largest.
    room = min(size[1] - 2, 0.6 * size[0]) * per_mm
    assert m == 10 or (modules + 8) * (m + 1) > room


def test_the_quiet_zone_is_at_least_four_modules_of_white() -> None:
    label = zpl_label(STAMP, dpi=203)
    _, image = printed_qr(label)
    ((x, y, magnification, _),) = QR_FIELD.findall(label)
    m = int(magnification)
    modules = len(make_qr(STAMP_URL).matrix)
    left, top = int(x) - 4 * m, int(y) - 4 * m
    box = (left, top, left + (modules + 8) * m, top + (modules + 8) * m)
    ring = image.crop(box)
    inner = (4 * m, 4 * m, (modules + 4) * m, (modules + 4) * m)
    ring.paste(255, inner)
    assert ring.getextrema() == (255, 255)


def test_every_text_is_on_the_label_with_its_diacritics() -> None:
    label = zpl_label(STAMP, dpi=300)
    shown = texts(label)

    assert " ".join(shown[0].split()) == "Chè Shan Tuyết cổ thụ Suối Giàng"
    assert shown[1:] == [
        "OCOP 4*",
        "Lô: ST-2026-01",
        "HSD: 01/09/2027",
        shown[4],
        "Quét để xác thực",
    ]
    assert shown[4].replace(" ", "") == "ABCD-EFGH-JKLM-NPQR"  # on one line or two
    assert "★" not in label


def test_a_batch_label_has_no_serial_and_no_expiry_when_none() -> None:
    shown = texts(zpl_label(BATCH))
    assert shown == ["Mật ong bạc hà Mèo Vạc", "OCOP 5*", "Lô: MO-2026-031", "Quét để xác thực"]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("size", [(50, 30), (40, 25), (60, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_text_blocks_fit_their_width_and_never_overlap(dpi: int, size: tuple[int, int]) -> None:
    label = zpl_label(STAMP, dpi=dpi, width_mm=size[0], height_mm=size[1])
    (length,) = commands(label, "LL")
    (width,) = commands(label, "PW")
    bottom = 0
    for x, y, height, _w, block, lines, gap, data in TEXT_FIELD.findall(label):
        shown = unescape(data)
        assert len(shown) == int(lines)
        assert int(height) >= 10  # the smallest height printer fonts render
        for line in shown:
            # DejaVu Sans Bold is wider than the printer's fonts: if it fits, they fit.
            assert reference_measure(line, int(height), True) <= int(block)
        assert int(x) + int(block) <= int(width)
        assert int(y) >= bottom  # starts below the block before it
        bottom = int(y) + int(lines) * int(height) + (int(lines) - 1) * int(gap)
    assert bottom <= int(length)


def test_a_long_product_name_wraps_in_its_field_block() -> None:
    content = LabelContent(
        url=STAMP_URL,
        product_name="Trà hoa vàng Ba Chẽ sấy lạnh nguyên bông đặc biệt hảo hạng",
        ocop_stars=3,
        lot_code="QN-01",
    )
    label = zpl_label(content, dpi=300, width_mm=60, height_mm=40)
    name = TEXT_FIELD.findall(label)[0]
    assert int(name[5]) >= 2
    assert "\\&" in name[7]
    assert " ".join(unescape(name[7])) == content.product_name


def test_stamps_of_a_run_differ_only_in_url_and_serial() -> None:
    other = LabelContent(
        url="HTTP://TEM.TEST/T/" + (BASE32[::-1] * 6)[:184],
        product_name=STAMP.product_name,
        ocop_stars=4,
        lot_code=STAMP.lot_code,
        expiry_date=STAMP.expiry_date,
        serial="ZZZZ-YYYY-XXXX-WWWW",
    )
    first, second = zpl_label(STAMP), zpl_label(other)
    normalized = second.replace(other.url, STAMP.url).replace("ZZZZ-YYYY-", "ABCD-EFGH-")
    assert normalized.replace("XXXX-WWWW", "JKLM-NPQR") == first


# --- fonts and escaping -------------------------------------------------------------------


def test_a_printer_truetype_font_is_named_with_a_at() -> None:
    label = zpl_label(STAMP, font="E:TT0003M_.TTF")
    assert re.search(r"\^A@N,\d+,\d+,E:TT0003M_\.TTF\^FB", label)
    assert "^A0N" not in label


@pytest.mark.parametrize("font", ["", "00", "TT0003M_", "E:../x.TTF", "E:A.TTF^XZ", "^A0"])
def test_a_malformed_font_is_refused(font: str) -> None:
    with pytest.raises(InvalidInput, match="printer font"):
        zpl_label(STAMP, font=font)


def test_zpl_control_characters_in_text_are_escaped() -> None:
    content = LabelContent(
        url=BATCH_URL, product_name="A^XZ~JA_B\\C", ocop_stars=None, lot_code="L^1"
    )
    label = zpl_label(content, dpi=300)
    assert label.count("^XZ") == 1
    assert "~JA" not in label
    name, lot = (unescape(match[7]) for match in TEXT_FIELD.findall(label)[:2])
    assert "".join(name) == "A^XZ~JA_B\\C"  # one word: broken between characters if need be
    assert lot == ["Lô: L^1"]


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60))
def test_field_data_round_trips(text: str) -> None:
    escaped = field_data(text)
    assert escaped.isascii()
    assert not re.search(r"[\^~\x00-\x1f\x7f]", escaped)
    assert unescape(escaped) == [text]


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dpi", "size"),
    [(203, (30, 20)), (203, (25, 25)), (300, (30, 20)), (300, (20, 15)), (600, (15, 12))],
)
def test_a_label_too_small_names_the_smallest_that_works(
    dpi: int, size: tuple[float, float]
) -> None:
    with pytest.raises(InvalidInput, match="the smallest label that works is") as caught:
        zpl_label(STAMP, dpi=dpi, width_mm=size[0], height_mm=size[1])
    found = SIZE.search(caught.value.message)
    assert found is not None
    width, height = float(found.group(1)), float(found.group(2))
    assert width >= size[0]
    assert height >= size[1]
    zpl_label(STAMP, dpi=dpi, width_mm=width, height_mm=height)  # and it does work


def test_the_qr_refusal_explains_dots_and_quiet_zone() -> None:
    with pytest.raises(InvalidInput) as caught:
        zpl_label(STAMP, dpi=203, width_mm=30, height_mm=20)
    message = caught.value.message
    assert "too small for its QR code at 203 dpi" in message
    assert "(49 + 8) × 3 = 171 dots (21.4 mm)" in message
    assert caught.value.field == "label_size"


@pytest.mark.parametrize("dpi", [0, 150, 204, 299, 1200])
def test_only_zebra_resolutions_are_accepted(dpi: int) -> None:
    with pytest.raises(InvalidInput, match="203, 300, 600 dpi"):
        zpl_label(STAMP, dpi=dpi)


@pytest.mark.parametrize(
    "size", [(0, 30), (50, -1), (float("nan"), 30), (50, float("inf")), (300, 30)]
)
def test_impossible_sizes_are_refused(size: tuple[float, float]) -> None:
    with pytest.raises(InvalidInput, match="must be more than 0"):
        zpl_label(STAMP, width_mm=size[0], height_mm=size[1])


def test_a_url_that_cannot_be_a_qr_code_is_refused() -> None:
    bad = LabelContent(url="http://lower.case/t/x", product_name="X", ocop_stars=None, lot_code="L")
    with pytest.raises(InvalidInput, match="alphanumeric"):
        zpl_label(bad)


# --- streaming --------------------------------------------------------------------------


def test_write_zpl_streams_every_label_and_reports_progress() -> None:
    def labels() -> object:
        for index in range(250):
            url = "HTTP://TEM.TEST/T/" + (BASE32 * 6)[index % 32 : index % 32 + 184]
            yield LabelContent(
                url=url,
                product_name=STAMP.product_name,
                ocop_stars=4,
                lot_code="ST-2026-01",
                serial=f"AAAA-BBBB-CCCC-{index:04d}",
            )

    out = io.StringIO()
    seen: list[int] = []
    count = write_zpl(labels(), out, dpi=300, progress=seen.append)  # type: ignore[arg-type]
    text = out.getvalue()

    assert count == 250
    assert text.count("^XA") == text.count("^XZ") == 250
    assert seen == [100, 200, 250]
    urls = [printed for *_, printed in QR_FIELD.findall(text)]
    assert urls[7] == "MM,A" + "HTTP://TEM.TEST/T/" + (BASE32 * 6)[7:191]
    assert "AAAA-BBBB-" in text
    assert "CCCC-0249" in text


def test_nothing_is_written_when_the_first_label_fails() -> None:
    out = io.StringIO()
    with pytest.raises(InvalidInput, match="smallest label"):
        write_zpl([STAMP, STAMP], out, width_mm=20, height_mm=15)
    assert out.getvalue() == ""


def test_no_labels_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="no labels"):
        write_zpl([], io.StringIO())
