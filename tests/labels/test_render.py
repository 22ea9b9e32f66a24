"""Labels as SVG and PNG: the QR decodes to the URL, the text is all there and inside the label."""

from __future__ import annotations

import io
import random
import re
import unicodedata
from importlib import resources
from xml.etree import ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tem.errors import InvalidInput
from tem.labels.render import (
    LABEL_HEIGHT_MM,
    LABEL_WIDTH_MM,
    LINE_SPACING,
    QUIET_ZONE_MODULES,
    SCAN_TO_VERIFY,
    SVG_FONT_FAMILY,
    LabelContent,
    fit_text,
    label_png,
    label_svg,
    layout_label,
    pixel_measure,
    reference_measure,
    wrap_text,
)

SVG = "{http://www.w3.org/2000/svg}"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URL = "HTTP://127.0.0.1:8000/T/" + "".join(random.Random(7).choice(BASE32) for _ in range(164))

HONEY = LabelContent(
    url=URL,
    product_name="Mật ong bạc hà Mèo Vạc",
    ocop_stars=4,
    lot_code="MO-2026-031",
    expiry_date="31/12/2027",
)
TEA = LabelContent(
    url=URL, product_name="Chè Shan Tuyết cổ thụ Suối Giàng", ocop_stars=5, lot_code="ST-2026-031"
)
# 150 characters of real words: wraps to three lines only when shrunk a lot.
LONG_NAME = (
    "Trà hoa vàng Ba Chẽ sấy lạnh nguyên bông đặc biệt hảo hạng, hộp quà tặng Tết "
    "Nguyên Đán gồm ba loại trà thảo mộc của hợp tác xã Bình Tâm, Quảng Ninh 1"
)
assert len(LONG_NAME) == 150
LONG = LabelContent(
    url=URL,
    product_name=LONG_NAME,
    ocop_stars=3,
    lot_code="QN-2026-0815-HOA-VANG-BA-CHE-DAC-BIET-01",
    expiry_date="2027-12-31",
)

VIETNAMESE_LETTERS = (
    "".join(
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    )
    + "đĐ"
)


def only_qr(image: Image.Image) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0]


def assert_decodes_to_url(image: Image.Image, url: str = URL) -> None:
    decoded = only_qr(image)
    assert decoded.text == url
    assert decoded.ec_level == "M"
    assert isinstance(decoded.extra, dict)
    assert int(decoded.extra["Version"]) <= 8
    assert decoded.symbology_identifier == "]Q1"


def parse(svg: bytes) -> ET.Element:
    # Our own output, parsed to check it: not untrusted input.
    return ET.fromstring(svg)  # noqa: S314


def svg_texts(svg: bytes) -> list[ET.Element]:
    return list(parse(svg).iter(f"{SVG}text"))


def svg_qr(svg: bytes) -> tuple[Image.Image, int, float, float, float]:
    """Paint the SVG's QR path (in module units) with a 4-module quiet zone.

    Returns the image, the symbol's width in modules, and its x, y and module size in mm.
    """
    path = parse(svg).find(f"{SVG}path")
    assert path is not None
    transform = re.fullmatch(
        r"translate\(([\d.]+) ([\d.]+)\) scale\(([\d.]+)\)", path.get("transform", "")
    )
    assert transform is not None
    x, y, module = (float(value) for value in transform.groups())
    data = path.get("d", "")
    runs = [tuple(map(int, run)) for run in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", data)]
    # Every character of the path data is one of those runs: nothing is left unread.
    assert "".join(f"M{c},{r}h{w}v1h-{w}z" for c, r, w in runs) == data
    modules = max(column + width for column, _, width in runs)
    assert modules == max(row for _, row, _ in runs) + 1
    scale = 4
    side = (modules + 2 * QUIET_ZONE_MODULES) * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for column, row, width in runs:
        left = (QUIET_ZONE_MODULES + column) * scale
        top = (QUIET_ZONE_MODULES + row) * scale
        draw.rectangle((left, top, left + width * scale - 1, top + scale - 1), fill=0)
    return image, modules, x, y, module


def png(content: LabelContent, scale: int | None = None) -> Image.Image:
    image = Image.open(io.BytesIO(label_png(content, scale=scale)))
    image.load()
    return image


# --- SVG ---------------------------------------------------------------------------


def test_svg_is_a_50_by_30_mm_document_with_every_line_of_text() -> None:
    svg = label_svg(HONEY)

    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("50mm", "30mm")
    assert root.get("viewBox") == "0 0 50 30"
    group = root.find(f"{SVG}g")
    assert group is not None
    assert (
        group.get("font-family") == SVG_FONT_FAMILY == "DejaVu Sans, Noto Sans, Arial, sans-serif"
    )
    lines = [element.text for element in svg_texts(svg)]
    assert lines == [
        "Mật ong bạc",
        "hà Mèo Vạc",
        "★★★★☆ OCOP",
        "Lô: MO-2026-031",
        "HSD: 31/12/2027",
        "Quét để xác thực",
    ]
    assert "Mật ong bạc".encode() in svg


def test_svg_wraps_a_name_and_keeps_every_word() -> None:
    svg = label_svg(TEA)

    bold = [t.text or "" for t in svg_texts(svg) if t.get("font-weight") == "bold"]
    name_lines = bold[:-1]
    assert bold[-1] == SCAN_TO_VERIFY
    assert 1 < len(name_lines) <= 3
    assert " ".join(name_lines) == "Chè Shan Tuyết cổ thụ Suối Giàng"
    assert "★★★★★ OCOP" in {t.text for t in svg_texts(svg)}


def test_svg_escapes_markup_in_the_name() -> None:
    content = LabelContent(URL, "Mật <ong> & \"bạc\" 'hà' </text><script>", None, "A&B")

    svg = label_svg(content)

    assert b"<ong>" not in svg
    assert b"<script>" not in svg
    assert b"&lt;ong&gt; &amp;" in svg
    texts = [t.text or "" for t in svg_texts(svg)]
    # The long last word may be broken between lines; no character is lost or changed.
    assert "".join(texts[:-2]).replace(" ", "") == "Mật<ong>&\"bạc\"'hà'</text><script>"
    assert texts[-2:] == ["Lô: A&B", SCAN_TO_VERIFY]


def test_svg_has_no_star_line_without_an_ocop_rating() -> None:
    content = LabelContent(URL, "Măng khô Bắc Kạn", None, "BK-1")

    svg = label_svg(content)

    assert "★".encode() not in svg
    assert "OCOP" not in "".join(t.text or "" for t in svg_texts(svg))


def test_svg_text_is_nfc_and_free_of_control_characters() -> None:
    decomposed = unicodedata.normalize("NFD", "Mật ong\tbạc hà\x00\x1b Mèo\ud800 Vạc\n")
    content = LabelContent(URL, decomposed, 4, "MO-1", "31/12/2027\x07")

    svg = label_svg(content)

    texts = [t.text or "" for t in svg_texts(svg)]
    assert " ".join(texts[:2]) == "Mật ong bạc hà Mèo Vạc"
    assert "HSD: 31/12/2027" in texts


def test_svg_qr_decodes_to_the_url_and_has_a_clear_quiet_zone() -> None:
    svg = label_svg(HONEY)

    image, modules, x, y, module = svg_qr(svg)

    assert_decodes_to_url(image)
    assert (modules - 17) / 4 == 8  # ISO/IEC 18004 §6.3.2: version 8 is 49 × 49 modules
    side = modules * module
    assert 20.0 <= side <= 22.0
    quiet = QUIET_ZONE_MODULES * module
    assert x >= quiet
    assert y >= quiet
    assert y + side + quiet <= LABEL_HEIGHT_MM
    for text in svg_texts(svg):
        assert float(text.get("x", "0")) >= x + side + quiet


@pytest.mark.parametrize("content", [HONEY, TEA, LONG], ids=["honey", "tea", "long"])
def test_svg_lines_fit_inside_the_text_column(content: LabelContent) -> None:
    svg = label_svg(content)

    for text in svg_texts(svg):
        left = float(text.get("x", "0"))
        baseline = float(text.get("y", "0"))
        size = float(text.get("font-size", "0"))
        width = reference_measure(text.text or "", size, text.get("font-weight") == "bold")
        assert left + width <= LABEL_WIDTH_MM - 1.0
        assert baseline - size >= 1.0
        assert baseline + 0.3 * size <= LABEL_HEIGHT_MM - 1.0


def test_svg_long_name_is_shrunk_into_three_lines_never_cut() -> None:
    svg = label_svg(LONG)

    texts = svg_texts(svg)
    name_lines = [t.text or "" for t in texts if t.get("font-weight") == "bold"][:-1]
    assert len(name_lines) == 3
    assert " ".join(name_lines) == LONG_NAME
    lines = [t.text or "" for t in texts]
    lot_lines = lines[lines.index("★★★☆☆ OCOP") + 1 : lines.index("HSD: 2027-12-31")]
    assert len(lot_lines) == 2
    assert "".join(lot_lines) == "Lô: QN-2026-0815-HOA-VANG-BA-CHE-DAC-BIET-01"


# --- PNG ---------------------------------------------------------------------------


@pytest.mark.parametrize("content", [HONEY, TEA, LONG], ids=["honey", "tea", "long"])
def test_png_qr_decodes_to_the_url(content: LabelContent) -> None:
    image = png(content)

    assert image.format == "PNG"
    assert_decodes_to_url(image)


def test_png_is_300_dpi_and_prints_at_50_by_30_mm() -> None:
    image = png(HONEY)

    dpi_x, dpi_y = image.info["dpi"]
    assert dpi_x == pytest.approx(dpi_y)
    assert 270 <= dpi_x <= 330
    assert image.width / dpi_x * 25.4 == pytest.approx(LABEL_WIDTH_MM, abs=0.2)
    assert image.height / dpi_y * 25.4 == pytest.approx(LABEL_HEIGHT_MM, abs=0.2)


@pytest.mark.parametrize("scale", [2, 3, 8])
def test_png_scale_is_pixels_per_module(scale: int) -> None:
    image = png(HONEY, scale)

    assert_decodes_to_url(image)
    px_per_mm = scale * 49 / 21
    assert image.size == (round(50 * px_per_mm), round(30 * px_per_mm))


@pytest.mark.parametrize("scale", [0, -1, 41])
def test_png_refuses_a_silly_scale(scale: int) -> None:
    with pytest.raises(InvalidInput, match="the scale must be 1 to 40 pixels"):
        label_png(HONEY, scale=scale)


@pytest.mark.parametrize("content", [HONEY, TEA, LONG], ids=["honey", "tea", "long"])
def test_png_leaves_the_label_edges_white(content: LabelContent) -> None:
    # Text that ran past its column or off the label would leave ink in the 1 mm border.
    image = png(content)
    border = round(image.width / LABEL_WIDTH_MM)

    width, height = image.size
    for box in [
        (0, 0, width, border),
        (0, height - border, width, height),
        (0, 0, border, height),
        (width - border, 0, width, height),
    ]:
        assert image.crop(box).getextrema() == (255, 255), box


@pytest.mark.parametrize("content", [HONEY, TEA, LONG], ids=["honey", "tea", "long"])
def test_png_lines_fit_their_column_as_drawn(content: LabelContent) -> None:
    px_per_mm = 5 * 49 / 21
    measure = pixel_measure(px_per_mm)

    layout = layout_label(content, 49, measure)

    assert layout.text_x + layout.text_width <= LABEL_WIDTH_MM - 1.0
    for line in layout.lines:
        assert line.x == layout.text_x
        assert measure(line.text, line.size, line.bold) <= layout.text_width
        assert line.baseline - line.size >= layout.text_y - 0.2 * line.size
        assert line.baseline + 0.25 * line.size <= layout.text_y + layout.text_height + 1e-9


def test_png_renders_a_150_character_name() -> None:
    layout = layout_label(LONG, 49, pixel_measure(5 * 49 / 21))

    name_lines = [line.text for line in layout.lines if line.bold][:-1]
    assert len(name_lines) == 3
    assert " ".join(name_lines) == LONG_NAME
    assert_decodes_to_url(png(LONG))


@pytest.mark.parametrize(
    "name", ["W" * 200, "Ẳ" * 200, "Nguyễn " * 28, VIETNAMESE_LETTERS], ids=len
)
def test_names_up_to_the_schema_limit_render(name: str) -> None:
    content = LabelContent(URL, name[:200], 5, "W" * 40, "31/12/2027")

    assert_decodes_to_url(png(content))
    svg_lines = [t.text or "" for t in svg_texts(label_svg(content))]
    assert "".join(svg_lines).replace(" ", "").startswith(name[:200].replace(" ", ""))


def test_short_url_gives_a_small_version_still_21_mm() -> None:
    content = LabelContent("HTTP://A.VN/T/ABC", "Miến dong Bình Liêu", 4, "BL-1")

    image, modules, _, _, module = svg_qr(label_svg(content))

    assert modules == 21
    assert modules * module == pytest.approx(21.0, abs=0.01)
    assert_decodes_to_url(image, "HTTP://A.VN/T/ABC")
    assert_decodes_to_url(png(content), "HTTP://A.VN/T/ABC")


# --- content and errors ------------------------------------------------------------


@pytest.mark.parametrize("stars", [0, 6, -1, True])
def test_ocop_stars_outside_1_to_5_are_refused(stars: int) -> None:
    with pytest.raises(InvalidInput, match="1 to 5 stars") as raised:
        LabelContent(URL, "Mật ong", stars, "MO-1")
    assert raised.value.field == "ocop_stars"


@pytest.mark.parametrize(
    ("name", "lot", "field"), [(" \t", "MO-1", "product_name"), ("Mật", "", "lot_code")]
)
def test_blank_name_or_lot_is_refused(name: str, lot: str, field: str) -> None:
    with pytest.raises(InvalidInput, match="empty") as raised:
        LabelContent(URL, name, 4, lot)
    assert raised.value.field == field


@pytest.mark.parametrize("render", [label_svg, label_png])
def test_a_url_that_cannot_be_a_qr_code_is_refused(render: object) -> None:
    assert callable(render)
    with pytest.raises(InvalidInput, match="alphanumeric mode"):
        render(LabelContent(URL.lower(), "Mật ong", 4, "MO-1"))
    with pytest.raises(InvalidInput, match="is 222 characters and the maximum is 221"):
        render(LabelContent(URL + "A" * 34, "Mật ong", 4, "MO-1"))


# --- fitting -----------------------------------------------------------------------


def test_fit_keeps_a_short_text_at_full_size() -> None:
    fitted = fit_text(
        "Mật ong",
        measure=lambda text, size: reference_measure(text, size, True),
        max_width=22.0,
        max_height=12.0,
        max_lines=3,
        max_size=3.2,
        min_size=0.5,
    )

    assert fitted.lines == ("Mật ong",)
    assert fitted.size == 3.2


@pytest.mark.parametrize("px_per_mm", [None, 4.7, 11.67, 23.3])
@pytest.mark.parametrize("text", [LONG_NAME, "Chè Shan Tuyết cổ thụ Suối Giàng", "X" * 120])
def test_fit_lines_are_never_wider_than_the_box(px_per_mm: float | None, text: str) -> None:
    styled = reference_measure if px_per_mm is None else pixel_measure(px_per_mm)

    def measure(part: str, size: float) -> float:
        return styled(part, size, True)

    fitted = fit_text(
        text,
        measure=measure,
        max_width=22.5,
        max_height=11.0,
        max_lines=3,
        max_size=3.2,
        min_size=0.25,
    )

    assert 1 <= len(fitted.lines) <= 3
    assert fitted.height == pytest.approx(len(fitted.lines) * fitted.size * LINE_SPACING)
    assert fitted.height <= 11.0
    for line in fitted.lines:
        assert measure(line, fitted.size) <= 22.5
    assert "".join(fitted.lines).replace(" ", "") == text.replace(" ", "")


def test_fit_refuses_rather_than_cutting() -> None:
    with pytest.raises(InvalidInput, match="too long to fit on the label") as raised:
        fit_text(
            "Mật ong bạc hà Mèo Vạc",
            measure=lambda text, size: reference_measure(text, size, False),
            max_width=10.0,
            max_height=3.0,
            max_lines=1,
            max_size=3.0,
            min_size=2.0,
            field="product_name",
        )
    assert raised.value.field == "product_name"


def test_wrap_breaks_a_long_word_after_its_prefix() -> None:
    def width(text: str) -> float:
        return float(len(text))

    assert wrap_text("Lô: ABCDEFGHIJ", 8, width) == ["Lô: ABCD", "EFGHIJ"]
    assert wrap_text("ab cd ef", 5, width) == ["ab cd", "ef"]
    assert wrap_text("", 5, width) == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=VIETNAMESE_LETTERS + "bcdghklmnpqrstvx -/.★", min_size=1, max_size=200),
    st.floats(min_value=5.0, max_value=40.0),
)
def test_wrap_keeps_every_character_and_respects_the_width(text: str, max_width: float) -> None:
    def width(part: str) -> float:
        return reference_measure(part, 2.4, False)

    lines = wrap_text(text, max_width, width)

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert line == line.strip()
        assert line
        # Only a single character may be wider than the box; none is at 2.4 mm in 5 mm.
        assert width(line) <= max_width


# --- fonts -------------------------------------------------------------------------


def test_bundled_fonts_are_small_and_licensed() -> None:
    fonts = resources.files("tem.labels").joinpath("fonts")
    for name in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]:
        assert 20_000 < len(fonts.joinpath(name).read_bytes()) < 150_000
    license_text = fonts.joinpath("LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera" in license_text
    assert "Arev" in license_text


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_bundled_fonts_cover_vietnamese_and_stars(name: str) -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    data = resources.files("tem.labels").joinpath("fonts", name).read_bytes()

    cmap = ttlib.TTFont(io.BytesIO(data)).getBestCmap()

    needed = VIETNAMESE_LETTERS + SCAN_TO_VERIFY + "Lô: HSD ★☆ OCOP 0123456789-/.,&<>\"'"
    assert {char for char in needed if ord(char) not in cmap} == set()
