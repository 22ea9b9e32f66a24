"""Batch labels as SVG and PNG: the QR on the left, product, OCOP stars and lot on the right.

One layout, computed in millimetres by :func:`layout_label`, feeds every renderer, so
the SVG, the PNG and the PDF sticker sheets (:mod:`tem.labels.pdf`) show the same lines
at the same places. Text is measured with the
bundled DejaVu Sans (subset, ``fonts/``): the PNG draws with exactly that font at its
pixel size, and the SVG measures with it at a large reference size. DejaVu Sans is wider
than the fallbacks the SVG names (Noto Sans, Arial), so a viewer that substitutes one of
those still keeps every line inside its box.

The SVG and PNG label is 50 mm × 30 mm. Its QR symbol is 21 mm wide whatever its version,
with a quiet zone of 4 modules (ISO/IEC 18004:2015 §9.1) and 1 mm of white label beyond
it. A sticker of another size (``size=`` of :func:`layout_label`) gets the largest QR
square that fits its height (see :func:`qr_square_mm`), the text column on its right.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from typing import Final
from xml.etree import ElementTree as ET

import segno
from PIL import Image, ImageDraw, ImageFont

from tem.errors import InvalidInput
from tem.labels.qr import make_qr

LABEL_WIDTH_MM: Final = 50.0
LABEL_HEIGHT_MM: Final = 30.0
QR_SYMBOL_MM: Final = 21.0
QUIET_ZONE_MODULES: Final = 4
DEFAULT_DPI: Final = 300
MAX_PNG_SCALE: Final = 40

SVG_FONT_FAMILY: Final = "DejaVu Sans, Noto Sans, Arial, sans-serif"
SCAN_TO_VERIFY: Final = "Quét để xác thực"
LINE_SPACING: Final = 1.2  # line pitch in em; also the height a line takes in its box

_MM_PER_INCH: Final = 25.4
_EDGE_MM: Final = 1.0  # white label around the quiet zone: die-cut labels shift by ~1 mm
# On a sized label the QR square takes at most this share of the width, so that a
# square or tall sticker still keeps a text column.
_QR_MAX_WIDTH_SHARE: Final = 0.6
_TEXT_GAP_MM: Final = 0.5  # between the quiet zone and the text column
_TEXT_RIGHT_MM: Final = 1.5
_TEXT_TOP_MM: Final = 2.0
_TEXT_BOTTOM_MM: Final = 2.0
_BLOCK_GAP_MM: Final = 0.7
# Where the first baseline sits below the top of a line box, in em: DejaVu's ascender
# is 0.93 em and its descender 0.24 em, which together fill the 1.2 em line box.
_ASCENT_EM: Final = 0.95
_SHRINK: Final = 0.95  # each fitting step tries a font 5% smaller
# Glyph advances are read at one em = 2048 px, DejaVu's units per em, so they are exact.
_REFERENCE_PX: Final = 2048

_SVG_NS: Final = "http://www.w3.org/2000/svg"
_FONT_FILES: Final = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}

Measure = Callable[[str, float], float]
"""Width of a text at a font size (em), both in the same unit."""

StyledMeasure = Callable[[str, float, bool], float]
"""Width in mm of a text at a font size in mm, in the regular (False) or bold (True) face."""


@dataclass(frozen=True)
class LabelContent:
    """What a batch label says. ``url`` is the QR content, from ``token_url``.

    Raises:
        InvalidInput: if ``ocop_stars`` is not 1 to 5 (or None), or the product name or
            lot code is blank. The URL is checked when the label is rendered.
    """

    url: str
    product_name: str
    ocop_stars: int | None
    lot_code: str
    expiry_date: str | None = None
    serial: str | None = None
    """The stamp's short serial as people read it (``ABCD-EFGH-JKLM-NPQR``); None on a
    batch label."""

    def __post_init__(self) -> None:
        stars = self.ocop_stars
        if stars is not None and (isinstance(stars, bool) or not 1 <= stars <= 5):
            raise InvalidInput("the OCOP rating must be 1 to 5 stars", field="ocop_stars")
        if not clean_text(self.product_name):
            raise InvalidInput("the product name is empty", field="product_name")
        if not clean_text(self.lot_code):
            raise InvalidInput("the lot code is empty", field="lot_code")
        if self.serial is not None and not clean_text(self.serial):
            raise InvalidInput("the serial is empty", field="serial")


@dataclass(frozen=True)
class FittedText:
    """Lines of one text block and the font size (em) they fit at."""

    lines: tuple[str, ...]
    size: float
    line_spacing: float = LINE_SPACING

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.line_spacing


@dataclass(frozen=True)
class PlacedLine:
    """One line of text: left edge and baseline in mm, font size (em) in mm.

    ``field`` names the :class:`LabelContent` field the line shows (None for the fixed
    "Quét để xác thực").
    """

    text: str
    x: float
    baseline: float
    size: float
    bold: bool
    field: str | None = None


@dataclass(frozen=True)
class LabelLayout:
    """Where everything goes on the label, in mm from the top-left corner."""

    qr_x: float
    qr_y: float
    module: float
    text_x: float
    text_y: float
    text_width: float
    text_height: float
    lines: tuple[PlacedLine, ...]


def clean_text(text: str) -> str:
    """Text as printed: NFC (precomposed Vietnamese), control characters gone, spaces collapsed.

    Characters XML 1.0 forbids (§2.2: C0 controls, lone surrogates, U+FFFE/U+FFFF) would
    make the SVG unreadable, and NFC lets the PNG use the font's precomposed glyphs for
    every Vietnamese letter instead of stacking combining marks.
    """
    kept = "".join(" " if _unprintable(char) else char for char in text)
    return " ".join(unicodedata.normalize("NFC", kept).split())


def _unprintable(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs"} or char in "\ufffe\uffff"


def stars_line(stars: int) -> str:
    """The OCOP rating as five stars, e.g. ``★★★★☆ OCOP`` for 4."""
    return "★" * stars + "☆" * (5 - stars) + " OCOP"


def wrap_text(text: str, max_width: float, width_of: Callable[[str], float]) -> list[str]:
    """Greedy word wrap; a word wider than a whole line is broken between characters.

    A line can still be wider than ``max_width`` when a single character is; callers
    check the widths (see :func:`fit_text`). Nothing is dropped: joining the lines gives
    back every non-space character in order.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width_of(candidate) <= max_width:
            current = candidate
            continue
        if width_of(word) <= max_width:
            lines.append(current)
            current = word
            continue
        # Too wide for any line: break it, starting on the current line so no line is
        # left short (a lot code after "Lô:" keeps its prefix company).
        pieces = list(_break_word(candidate, max_width, width_of))
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        lines.append(current)
    return lines


def _break_word(text: str, max_width: float, width_of: Callable[[str], float]) -> Iterator[str]:
    # Each piece is the longest run of clusters that fits (binary search: widths grow
    # with length), and at least one cluster so that the loop always advances.
    clusters = list(_clusters(text))
    start = 0
    while start < len(clusters):
        if clusters[start].isspace():
            start += 1
            continue
        low, high = start + 1, len(clusters)
        while low < high:
            middle = (low + high + 1) // 2
            if width_of("".join(clusters[start:middle]).rstrip()) <= max_width:
                low = middle
            else:
                high = middle - 1
        yield "".join(clusters[start:low]).rstrip()
        start = low


def _clusters(word: str) -> Iterator[str]:
    # A base character with its combining marks stays together.
    cluster = ""
    for char in word:
        if cluster and not unicodedata.combining(char):
            yield cluster
            cluster = ""
        cluster += char
    if cluster:
        yield cluster


def fit_text(
    text: str,
    *,
    measure: Measure,
    max_width: float,
    max_height: float,
    max_lines: int,
    max_size: float,
    min_size: float,
    field: str | None = None,
) -> FittedText:
    """Wrap ``text`` at the largest font size, at most ``max_size``, at which it fits.

    It fits when it wraps to at most ``max_lines`` lines, each no wider than
    ``max_width``, whose height (``LINE_SPACING`` em a line) is at most ``max_height``.
    Sizes are tried in 5% steps down to ``min_size``. Text is never cut: if it does not
    fit at ``min_size``, this raises. ``measure`` gives widths in the unit of the box.

    Raises:
        InvalidInput: if the text does not fit even at ``min_size`` (with ``field``).
    """

    def width_at(size: float) -> Callable[[str], float]:
        return lambda part: measure(part, size)

    # Start at the largest size that could fit: one line of the box's height, and the
    # text no longer than all its lines end to end (10% slack for the spaces dropped at
    # line breaks and for hinting). Smaller first tries only save time.
    one_line = measure(text, max_size)
    size = min(max_size, max_height / LINE_SPACING)
    if one_line > 0:
        size = min(size, 1.1 * max_size * max_lines * max_width / one_line)
    size = max(size, min_size)
    while True:
        lines = wrap_text(text, max_width, width_at(size))
        fitted = FittedText(tuple(lines), size)
        if (
            len(lines) <= max_lines
            and fitted.height <= max_height
            and all(measure(line, size) <= max_width for line in lines)
        ):
            return fitted
        if size <= min_size:
            shown = text if len(text) <= 40 else text[:39] + "…"
            raise InvalidInput(
                f"the text {shown!r} is too long to fit on the label even in small print; "
                f"shorten it",
                field=field,
            )
        size = max(size * _SHRINK, min_size)


@dataclass(frozen=True)
class _Block:
    text: str
    bold: bool
    max_size: float
    min_size: float
    max_lines: int
    field: str | None


def qr_square_mm(width: float, height: float) -> float:
    """Side in mm of the square the QR takes, quiet zone included, on a ``width`` × ``height``
    sticker: the label height less 1 mm of white above and below, and at most 60% of the
    width so that a square sticker keeps room for text. 0 if the label has no room at all.
    """
    return max(0.0, min(height - 2 * _EDGE_MM, _QR_MAX_WIDTH_SHARE * width))


def label_size_for_qr_square(side: float, width: float, height: float) -> tuple[float, float]:
    """The smallest ``width`` × ``height`` label, same proportions, whose QR square is ``side``.

    The inverse of :func:`qr_square_mm`, for error messages that name a size that works.
    """
    scale = max((side + 2 * _EDGE_MM) / height, side / (_QR_MAX_WIDTH_SHARE * width), 1.0)
    return width * scale, height * scale


@dataclass(frozen=True)
class _Geometry:
    qr_x: float
    qr_y: float
    module: float
    text_x: float
    text_y: float
    text_width: float
    text_height: float


def _classic_geometry(qr_modules: int) -> _Geometry:
    # The 50 × 30 mm SVG/PNG label: a 21 mm symbol whatever its version.
    module = QR_SYMBOL_MM / qr_modules
    quiet = QUIET_ZONE_MODULES * module
    qr_x = _EDGE_MM + quiet
    qr_y = (LABEL_HEIGHT_MM - QR_SYMBOL_MM) / 2
    text_x = qr_x + QR_SYMBOL_MM + quiet + _TEXT_GAP_MM
    return _Geometry(
        qr_x=qr_x,
        qr_y=qr_y,
        module=module,
        text_x=text_x,
        text_y=_TEXT_TOP_MM,
        text_width=LABEL_WIDTH_MM - _TEXT_RIGHT_MM - text_x,
        text_height=LABEL_HEIGHT_MM - _TEXT_TOP_MM - _TEXT_BOTTOM_MM,
    )


def _sized_geometry(qr_modules: int, width: float, height: float) -> _Geometry:
    # A sticker of any size: the QR square (quiet zone included) on the left, centred
    # vertically; small stickers get proportionally smaller top and bottom margins.
    side = qr_square_mm(width, height)
    module = side / (qr_modules + 2 * QUIET_ZONE_MODULES)
    quiet = QUIET_ZONE_MODULES * module
    top = min(_TEXT_TOP_MM, 0.1 * height)
    bottom = min(_TEXT_BOTTOM_MM, 0.1 * height)
    text_x = _EDGE_MM + side + _TEXT_GAP_MM
    return _Geometry(
        qr_x=_EDGE_MM + quiet,
        qr_y=(height - side) / 2 + quiet,
        module=module,
        text_x=text_x,
        text_y=top,
        text_width=max(width - _TEXT_RIGHT_MM - text_x, 0.0),
        text_height=max(height - top - bottom, 0.0),
    )


def layout_label(
    content: LabelContent,
    qr_modules: int,
    measure: StyledMeasure,
    *,
    size: tuple[float, float] | None = None,
) -> LabelLayout:
    """Place the QR and fit every text block into the column on its right.

    The info lines (stars, lot, expiry, serial, "Quét để xác thực") are fitted first at
    their own sizes; the product name gets the height left and shrinks until it fits in
    three lines. ``qr_modules`` is the symbol's width in modules without quiet zone.
    ``size`` is the label's (width, height) in mm; None is the 50 × 30 mm SVG/PNG label.

    The serial is sized for the widest serial of its shape (every letter and digit as
    wide as the font's widest), so that every stamp of a run gets the same layout.

    Raises:
        InvalidInput: if a text block cannot fit even at the smallest font size.
    """
    geometry = _classic_geometry(qr_modules) if size is None else _sized_geometry(qr_modules, *size)
    text_x, text_y = geometry.text_x, geometry.text_y
    text_width, text_height = geometry.text_width, geometry.text_height

    # A sticker sheet is printed: its name is never smaller than the info lines may get.
    # The classic label keeps its historical floor, far below what prints legibly.
    name_floor = 0.25 if size is None else _MIN_PRINTED_EM_MM
    name = _Block(clean_text(content.product_name), True, 3.2, name_floor, 3, "product_name")
    info = []
    if content.ocop_stars is not None:
        info.append(_Block(stars_line(content.ocop_stars), False, 2.8, 1.0, 1, "ocop_stars"))
    info.append(_Block(f"Lô: {clean_text(content.lot_code)}", False, 2.4, 1.0, 2, "lot_code"))
    if content.expiry_date is not None and clean_text(content.expiry_date):
        expiry = f"HSD: {clean_text(content.expiry_date)}"
        info.append(_Block(expiry, False, 2.4, 1.0, 2, "expiry_date"))
    if content.serial is not None:
        info.append(_Block(clean_text(content.serial), False, 2.4, 1.0, 2, "serial"))
    scan = _Block(SCAN_TO_VERIFY, True, 2.4, 1.0, 1, None)

    def fit(block: _Block, max_height: float, scale: float) -> FittedText:
        def plain(text: str, size: float) -> float:
            return measure(text, size, block.bold)

        block = replace(block, max_size=max(block.max_size * scale, block.min_size))
        if block.field == "serial":
            return _fit_serial(block, plain, text_width, max_height)
        return fit_text(
            block.text,
            measure=plain,
            max_width=text_width,
            max_height=max_height,
            max_lines=block.max_lines,
            max_size=block.max_size,
            min_size=block.min_size,
            field=block.field,
        )

    # The classic batch label keeps its fixed info sizes. Any other label shrinks its info
    # lines 10% at a time until the product name is at least as large as they are (or
    # fits at all), so the name stays the headline on a small sticker.
    balance = size is not None or content.serial is not None
    scale = 1.0
    while True:
        try:
            fitted_info = [fit(block, text_height, scale) for block in info]
            fitted_scan = fit(scan, text_height, scale)
            info_height = sum(f.height + _BLOCK_GAP_MM for f in [*fitted_info, fitted_scan])
            fitted_name = fit(name, max(text_height - info_height, 0.0), 1.0)
        except InvalidInput:
            if not balance or scale <= _MIN_INFO_SCALE:
                raise
        else:
            largest = max(fitted.size for fitted in [*fitted_info, fitted_scan])
            if not balance or fitted_name.size >= largest or scale <= _MIN_INFO_SCALE:
                break
        scale *= 0.9

    lines: list[PlacedLine] = []

    def place(block: _Block, fitted: FittedText, top: float) -> float:
        pitch = fitted.size * fitted.line_spacing
        for index, line in enumerate(fitted.lines):
            baseline = top + index * pitch + _ASCENT_EM * fitted.size
            lines.append(PlacedLine(line, text_x, baseline, fitted.size, block.bold, block.field))
        return top + fitted.height

    top = place(name, fitted_name, text_y)
    for block, fitted in zip(info, fitted_info, strict=True):
        top = place(block, fitted, top + _BLOCK_GAP_MM)
    place(scan, fitted_scan, text_y + text_height - fitted_scan.height)
    return LabelLayout(
        geometry.qr_x,
        geometry.qr_y,
        geometry.module,
        text_x,
        text_y,
        text_width,
        text_height,
        tuple(lines),
    )


_ALPHANUMERIC: Final = re.compile(r"[A-Z0-9]")
# The smallest font size (em, mm) on a sized label: 2.8 pt, capitals 0.73 mm high.
_MIN_PRINTED_EM_MM: Final = 1.0
# Info lines at this share of their largest size are all at their smallest (1 mm of 2.8).
_MIN_INFO_SCALE: Final = 0.35
# A serial on one line smaller than this is split in two at a dash if that makes it larger.
_SERIAL_ONE_LINE_MM: Final = 1.8


def _fit_serial(block: _Block, measure: Measure, max_width: float, max_height: float) -> FittedText:
    """Fit a serial on one line, or on two split after the dash nearest its middle.

    Widths are those of the widest serial of the same shape (every letter and digit as
    wide as the font's widest), so that all the stamps of a run get the same layout.
    """
    widest = max("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", key=lambda char: measure(char, 1.0))

    def as_widest(text: str, size: float) -> float:
        # Never narrower than the text itself, whatever the font's advances.
        return max(measure(text, size), measure(_ALPHANUMERIC.sub(widest, text), size))

    def one_line(text: str, height: float) -> FittedText:
        return fit_text(
            text,
            measure=as_widest,
            max_width=max_width,
            max_height=height,
            max_lines=1,
            max_size=block.max_size,
            min_size=block.min_size,
            field=block.field,
        )

    failure: InvalidInput | None = None
    try:
        whole = one_line(block.text, max_height)
        if whole.size >= _SERIAL_ONE_LINE_MM:
            return whole
    except InvalidInput as error:
        whole, failure = None, error
    dashes = [index for index, char in enumerate(block.text) if char == "-"]
    if not dashes:
        if whole is None:
            raise failure or InvalidInput("the serial does not fit", field=block.field)
        return whole
    cut = min(dashes, key=lambda index: abs(2 * index + 1 - len(block.text))) + 1
    halves = (block.text[:cut], block.text[cut:])
    try:
        size = min(one_line(half, max_height / 2).size for half in halves)
    except InvalidInput:
        if whole is None:
            raise failure or InvalidInput("the serial does not fit", field=block.field) from None
        return whole
    split = FittedText(halves, size)
    return whole if whole is not None and whole.size >= split.size else split


# --- fonts ---------------------------------------------------------------------------


@cache
def font_file(bold: bool) -> bytes:
    """The bundled DejaVu Sans TrueType file, regular or bold (see ``fonts/README.md``)."""
    return resources.files("tem.labels").joinpath("fonts", _FONT_FILES[bold]).read_bytes()


@lru_cache(maxsize=512)
def _font(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
    # BASIC layout: the same advances with or without libraqm, so a label looks the
    # same on every machine; NFC text needs no shaping.
    return ImageFont.truetype(
        io.BytesIO(font_file(bold)), size_px, layout_engine=ImageFont.Layout.BASIC
    )


def reference_measure(text: str, size: float, bold: bool) -> float:
    """Width of ``text`` in the bundled DejaVu Sans from its glyph advances (used by SVG)."""
    return _font(bold, _REFERENCE_PX).getlength(text) * size / _REFERENCE_PX


def pixel_measure(px_per_mm: float) -> StyledMeasure:
    """Width in mm of ``text`` as the PNG draws it at ``px_per_mm``, ink overhang included."""

    def measure(text: str, size: float, bold: bool) -> float:
        font = _font(bold, size * px_per_mm)
        ink_right = font.getbbox(text, anchor="ls")[2]
        return max(font.getlength(text), ink_right) / px_per_mm

    return measure


# --- SVG -----------------------------------------------------------------------------


def label_svg(content: LabelContent) -> bytes:
    """The label as a self-contained SVG 1.1 document (UTF-8), 50 mm × 30 mm.

    The QR is vector (one path of dark-module runs, in module units); text is ``<text>``
    in the DejaVu Sans family, escaped by the XML serializer.

    Raises:
        InvalidInput: if the URL cannot be a QR code (see :func:`make_qr`) or a text
            cannot fit on the label.
    """
    qr = make_qr(content.url)
    modules = len(qr.matrix)
    layout = layout_label(content, modules, reference_measure)

    ET.register_namespace("", _SVG_NS)
    svg = ET.Element(
        _tag("svg"),
        {
            "version": "1.1",
            "width": f"{_num(LABEL_WIDTH_MM)}mm",
            "height": f"{_num(LABEL_HEIGHT_MM)}mm",
            "viewBox": f"0 0 {_num(LABEL_WIDTH_MM)} {_num(LABEL_HEIGHT_MM)}",
        },
    )
    title = ET.SubElement(svg, _tag("title"))
    title.text = f"{clean_text(content.product_name)} · Lô {clean_text(content.lot_code)}"
    ET.SubElement(
        svg,
        _tag("rect"),
        {"width": _num(LABEL_WIDTH_MM), "height": _num(LABEL_HEIGHT_MM), "fill": "#fff"},
    )
    ET.SubElement(
        svg,
        _tag("path"),
        {
            "transform": (
                f"translate({_num(layout.qr_x)} {_num(layout.qr_y)}) scale({_num(layout.module)})"
            ),
            "d": qr_path(qr),
            "fill": "#000",
            "shape-rendering": "crispEdges",
        },
    )
    text_group = ET.SubElement(svg, _tag("g"), {"font-family": SVG_FONT_FAMILY, "fill": "#000"})
    for line in layout.lines:
        attributes = {"x": _num(line.x), "y": _num(line.baseline), "font-size": _num(line.size)}
        if line.bold:
            attributes["font-weight"] = "bold"
        ET.SubElement(text_group, _tag("text"), attributes).text = line.text
    document: bytes = ET.tostring(svg, encoding="utf-8", xml_declaration=True)
    return document


def qr_path(qr: segno.QRCode) -> str:
    """SVG path data for the dark modules, one ``M x,y h w v1 h-w z`` per run in a row."""
    parts: list[str] = []
    for row, cells in enumerate(qr.matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            run = column - start
            parts.append(f"M{start},{row}h{run}v1h-{run}z")
    return "".join(parts)


def _tag(name: str) -> str:
    return f"{{{_SVG_NS}}}{name}"


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --- PNG -----------------------------------------------------------------------------


def label_png(content: LabelContent, *, scale: int | None = None) -> bytes:
    """The label as a greyscale PNG with its resolution (pHYs) set, so it prints at 50 × 30 mm.

    ``scale`` is the size of a QR module in pixels; the whole label is drawn at the
    resolution that makes the 21 mm symbol exactly that many pixels a module, so the
    modules are whole pixels and sharp. The default picks the scale closest to 300 dpi
    (5 px for a version-8 symbol: 296 dpi).

    Raises:
        InvalidInput: if the URL cannot be a QR code (see :func:`make_qr`), a text cannot
            fit on the label, or ``scale`` is not 1 to 40.
    """
    qr = make_qr(content.url)
    modules = len(qr.matrix)
    if scale is None:
        scale = max(1, round(QR_SYMBOL_MM * DEFAULT_DPI / _MM_PER_INCH / modules))
    if not 1 <= scale <= MAX_PNG_SCALE:
        raise InvalidInput(f"the scale must be 1 to {MAX_PNG_SCALE} pixels", field="scale")
    px_per_mm = scale * modules / QR_SYMBOL_MM
    layout = layout_label(content, modules, pixel_measure(px_per_mm))

    size = (round(LABEL_WIDTH_MM * px_per_mm), round(LABEL_HEIGHT_MM * px_per_mm))
    image = Image.new("L", size, 255)
    symbol = Image.new("L", (modules, modules), 255)
    symbol.putdata([0 if cell else 255 for cells in qr.matrix for cell in cells])
    symbol = symbol.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    image.paste(symbol, (round(layout.qr_x * px_per_mm), round(layout.qr_y * px_per_mm)))

    draw = ImageDraw.Draw(image)
    for line in layout.lines:
        position = (line.x * px_per_mm, line.baseline * px_per_mm)
        font = _font(line.bold, line.size * px_per_mm)
        draw.text(position, line.text, font=font, fill=0, anchor="ls")

    dpi = px_per_mm * _MM_PER_INCH
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()
