"""Print-ready PDF sticker sheets, written page by page in constant memory.

A small PDF 1.7 writer (ISO 32000-1:2008) that streams: each object goes to the output
as soon as it is made and only its byte offset is kept (§7.5.4, the cross-reference
table needs them). Object numbers are handed out before the objects exist, so a page
can point at the page tree, the shared resources and the fonts, which are written after
the last page: the page tree once every page is known, the fonts once every glyph used
is known (for their widths and ``/ToUnicode`` maps). One page of labels is held at a
time, whatever the number of labels.

Each page is one Flate-compressed content stream (§7.4.4) drawn in millimetres with the
y axis pointing down, like :func:`tem.labels.render.layout_label` places things:

- the QR as vector rectangles in module units, one ``re`` per run of dark modules
  (runs of the same columns in consecutive rows merged into one taller rectangle),
  filled once per symbol so that no seam shows between modules;
- the text in the bundled DejaVu Sans, embedded once per face as a Type 0 font with a
  ``CIDFontType2`` descendant (§9.7): ``/Identity-H`` encoding, so a 2-byte code is a
  glyph id, with a ``/W`` array and a ``/ToUnicode`` CMap (§9.10.3) for every glyph used,
  so that copying or extracting the text gives the Vietnamese back with its diacritics.
  The embedded file is subset to those glyphs (ids unchanged) with fontTools;
- optional crop marks in the page margins, on every column and row edge;
- page numbers in the bottom margin ("Trang 3/48"), or the top one if only it has room.

The catalog asks viewers to print at 100% (``/PrintScaling /None``, §12.2): a sticker
sheet printed "fit to page" misses its labels. The output has no dates in it, so the
same labels give the same bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from io import BytesIO
from typing import BinaryIO, Final

from fontTools import subset  # type: ignore[import-untyped]  # fontTools ships no types
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from tem.errors import InvalidInput
from tem.labels.qr import make_qr
from tem.labels.render import (
    LabelContent,
    LabelLayout,
    PlacedLine,
    clean_text,
    font_file,
    layout_label,
)
from tem.labels.sheets import SheetLayout, check_dpi, check_module_size

PT_PER_MM: Final = 72 / 25.4
PDF_VERSION: Final = "1.7"

_MARK_OFFSET_MM: Final = 1.0  # crop marks start this far from the label edge
_MARK_LENGTH_MM: Final = 4.0
_MARK_WIDTH_MM: Final = 0.1
_PAGE_NUMBER_MM: Final = 2.8  # em of the page number: 8 pt
_MIN_MARGIN_MM: Final = 3.0  # a page number needs this much bottom (or top) margin
_COMPRESSION: Final = 6  # zlib level 9 is 4% smaller on QR runs but 7 times slower

_FONT_RESOURCES: Final = {False: "F1", True: "F2"}
_ALPHANUMERIC: Final = re.compile(r"[A-Z0-9]")


@dataclass(frozen=True)
class PdfStats:
    """What :func:`write_pdf` wrote."""

    pages: int
    labels: int
    bytes: int


def write_pdf(
    labels: Iterable[LabelContent],
    layout: SheetLayout,
    out: BinaryIO,
    *,
    total: int | None = None,
    crop_marks: bool = False,
    page_numbers: bool = True,
    progress: Callable[[int], None] | None = None,
    title: str = "Tem labels",
    dpi: int = 300,
) -> PdfStats:
    """Write ``labels`` as a PDF 1.7 (ISO 32000-1) of sticker sheets laid out by ``layout``.

    ``labels`` is consumed lazily, one page at a time: an iterator of any length is never
    held in memory. ``total`` is the number of labels, known up front (a database count),
    to number the pages "Trang 3/48"; without it they read "Trang 3". ``progress`` is
    called after each page with the number of labels written so far. Each QR must print
    with modules of at least 3 dots at ``dpi`` (see
    :func:`tem.labels.sheets.check_qr_fits`).

    Nothing is written if the first page fails; a later label that fails stops the
    document half-way (labels of one run share their text and URL length, so in practice
    every failure shows on the first page).

    Raises:
        InvalidInput: if there are no labels, ``total`` is below 1, ``dpi`` is not 72 to
            2400, a URL cannot be a QR code, a QR would be too small to scan, or a text
            does not fit on the label even in small print; the last two messages name the
            smallest label that would work.
        ValueError: if ``total`` is given and the labels turn out to be more or fewer.
    """
    if total is not None and total < 1:
        raise InvalidInput("there are no labels to print", field="total")
    check_dpi(dpi)
    writer = _PdfWriter(out, layout, title)
    pages_total = math.ceil(total / layout.per_page) if total is not None else None
    painter = _PagePainter(layout, writer.fonts, crop_marks=crop_marks, dpi=dpi)
    count = 0
    pages = 0
    label_iterator = iter(labels)
    while True:
        page_labels = list(itertools.islice(label_iterator, layout.per_page))
        if not page_labels:
            break
        if total is not None and count + len(page_labels) > total:
            raise ValueError(f"more labels than the total of {total} given")
        pages += 1
        number = _page_number_text(pages, pages_total) if page_numbers else None
        content = painter.page(page_labels, first_index=count, page_number=number)
        writer.add_page(content)
        count += len(page_labels)
        if progress is not None:
            progress(count)
    if count == 0:
        raise InvalidInput("there are no labels to print", field="labels")
    if total is not None and count != total:
        raise ValueError(f"{count} labels written but the total given was {total}")
    size = writer.finish()
    return PdfStats(pages=pages, labels=count, bytes=size)


def _page_number_text(page: int, pages_total: int | None) -> str:
    return f"Trang {page}/{pages_total}" if pages_total is not None else f"Trang {page}"


# --- fonts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _FontProgram:
    """One bundled TrueType face as the PDF needs it; widths in 1/1000 em (§9.7.4.3)."""

    bold: bool
    post_script_name: str
    data: bytes
    glyph_of: dict[int, int]
    widths: tuple[int, ...]
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


@cache
def _font_program(bold: bool) -> _FontProgram:
    data = font_file(bold)
    font = TTFont(BytesIO(data))
    units = int(font["head"].unitsPerEm)

    def scaled(value: float) -> int:
        return round(value * 1000 / units)

    order = font.getGlyphOrder()
    metrics = font["hmtx"].metrics
    glyph_of = {code: font.getGlyphID(name) for code, name in font.getBestCmap().items()}
    head = font["head"]
    cap_height = getattr(font["OS/2"], "sCapHeight", 0) or font["glyf"]["H"].yMax
    return _FontProgram(
        bold=bold,
        post_script_name=str(font["name"].getDebugName(6)),
        data=data,
        glyph_of=glyph_of,
        widths=tuple(scaled(metrics[name][0]) for name in order),
        bbox=(scaled(head.xMin), scaled(head.yMin), scaled(head.xMax), scaled(head.yMax)),
        ascent=scaled(font["hhea"].ascent),
        descent=scaled(font["hhea"].descent),
        cap_height=scaled(cap_height),
    )


@lru_cache(maxsize=4096)
def _glyphs(bold: bool, char: str) -> tuple[tuple[int, str], ...]:
    """The glyphs (id, text they stand for) that draw one NFC character.

    A character the font has no glyph for is drawn from its canonical decomposition when
    the font has every part (a base letter and combining marks, which DejaVu positions
    itself), and as the empty ``.notdef`` box (glyph 0) otherwise.
    """
    glyph_of = _font_program(bold).glyph_of
    glyph = glyph_of.get(ord(char))
    if glyph is not None:
        return ((glyph, char),)
    parts = unicodedata.normalize("NFD", char)
    if len(parts) > 1 and all(ord(part) in glyph_of for part in parts):
        return tuple((glyph_of[ord(part)], part) for part in parts)
    return ((0, char),)


def _encode(bold: bool, text: str) -> list[tuple[int, str]]:
    return [glyph for char in unicodedata.normalize("NFC", text) for glyph in _glyphs(bold, char)]


def _width_units(bold: bool, text: str) -> int:
    widths = _font_program(bold).widths
    return sum(widths[glyph] for glyph, _ in _encode(bold, text))


def pdf_measure(text: str, size: float, bold: bool) -> float:
    """Width of ``text`` as the PDF draws it, from the ``/W`` widths: exactly, no hinting."""
    return _width_units(bold, text) * size / 1000


class _FontUsage:
    """The glyphs a document used, per face, and the text each stands for (first seen).

    ``.notdef`` (glyph 0) stands for no text, but is listed so that ``/W`` gives it the
    width the layout measured it with.
    """

    def __init__(self) -> None:
        self.used: dict[bool, dict[int, str]] = {False: {}, True: {}}

    def show(self, bold: bool, text: str) -> str:
        """The ``Tj`` operand for ``text``: a hex string of 2-byte glyph ids."""
        glyphs = _encode(bold, text)
        used = self.used[bold]
        for glyph, source in glyphs:
            if glyph not in used:
                used[glyph] = source if glyph else ""
        return "<" + "".join(f"{glyph:04X}" for glyph, _ in glyphs) + ">"


# --- pages ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _cached_layout(content: LabelContent, modules: int, size: tuple[float, float]) -> LabelLayout:
    return layout_label(content, modules, pdf_measure, size=size)


def _layout_key(content: LabelContent) -> LabelContent:
    # Every label of a run has the same text but its URL and serial: lay it out once,
    # with the serial's shape (see layout_label: it is sized as its widest of that shape).
    serial = content.serial
    shape = _ALPHANUMERIC.sub("0", clean_text(serial)) if serial is not None else None
    return replace(content, url="", serial=shape)


class _PagePainter:
    """Content streams of sticker pages, in mm with y down (the label layout's frame)."""

    def __init__(
        self, layout: SheetLayout, fonts: _FontUsage, *, crop_marks: bool, dpi: int
    ) -> None:
        self.layout = layout
        self.fonts = fonts
        self.crop_marks = crop_marks
        self.dpi = dpi
        self._checked_modules: set[int] = set()
        self._label_size = (layout.label_w_mm, layout.label_h_mm)
        # The text of a layout, drawn the same on every label that shares it.
        self._text_ops: dict[LabelLayout, tuple[str, str]] = {}
        self._last_qr: tuple[str, int, str] | None = None
        # Page numbers go in the bottom margin, or the top one if only that has room.
        self._number_place: tuple[str, float] | None = None
        for side, margin in (("bottom", layout.margin_bottom_mm), ("top", layout.margin_top_mm)):
            if margin >= _MIN_MARGIN_MM:
                self._number_place = (side, min(_PAGE_NUMBER_MM, 0.5 * margin))
                break

    def page(
        self, labels: list[LabelContent], *, first_index: int, page_number: str | None
    ) -> bytes:
        layout = self.layout
        # One frame for the page: mm, origin top-left, y down.
        scale = _num(PT_PER_MM, 6)
        frame = f"{scale} 0 0 -{scale} 0 {_num(layout.page_h_mm * PT_PER_MM)}"
        parts = [f"0 g 0 G q {frame} cm\n"]
        for index, content in enumerate(labels):
            x, y = layout.label_origin(index)
            parts.append(f"q 1 0 0 1 {_num(x)} {_num(y)} cm\n")
            parts.append(self._label(content, first_index + index + 1))
            parts.append("Q\n")
        if self.crop_marks:
            parts.append(self._crop_marks(numbered=page_number is not None))
        if page_number is not None:
            parts.append(self._page_number(page_number))
        parts.append("Q\n")
        return zlib.compress("".join(parts).encode("ascii"), _COMPRESSION)

    def _qr(self, url: str) -> tuple[int, str]:
        # The labels of a batch all carry the batch's URL: encode it once, not per label.
        if self._last_qr is None or self._last_qr[0] != url:
            matrix = make_qr(url).matrix
            self._last_qr = (url, len(matrix), qr_rectangles(matrix))
        return self._last_qr[1], self._last_qr[2]

    def _label(self, content: LabelContent, number: int) -> str:
        modules, rectangles = self._qr(content.url)
        if modules not in self._checked_modules:
            check_module_size(*self._label_size, modules, self.dpi)
            self._checked_modules.add(modules)
        try:
            placed = _cached_layout(_layout_key(content), modules, self._label_size)
        except InvalidInput as error:
            raise self._too_small_for_text(content, modules, number, error) from error
        # Drawing the text once per document also recorded its glyphs in self.fonts.
        around = self._text_ops.get(placed)
        if around is None:
            if len(self._text_ops) >= 64:  # a run has one layout; keep memory flat anyway
                self._text_ops.clear()
            around = self._text_ops[placed] = self._text_around_serial(placed)
        serial = ""
        if content.serial is not None:
            serial = self._serial_text(placed, clean_text(content.serial))
        return (
            f"q {_num(placed.module, 5)} 0 0 {_num(placed.module, 5)} "
            f"{_num(placed.qr_x)} {_num(placed.qr_y)} cm\n"
            f"{rectangles}f Q\n"
            f"BT\n{around[0]}{serial}{around[1]}ET\n"
        )

    def _text_around_serial(self, placed: LabelLayout) -> tuple[str, str]:
        """Text operators for the lines before the serial's and after them, in reading order."""
        before: list[str] = []
        after: list[str] = []
        serial_seen = False
        for line in placed.lines:
            if line.field == "serial":
                serial_seen = True
            else:
                (after if serial_seen else before).append(self._line(line, line.text))
        return "".join(before), "".join(after)

    def _serial_text(self, placed: LabelLayout, serial: str) -> str:
        # The layout shows the serial's shape ("0000-0000-"): the serial is cut into
        # lines at the same places.
        ops: list[str] = []
        start = 0
        for line in placed.lines:
            if line.field == "serial":
                ops.append(self._line(line, serial[start : start + len(line.text)]))
                start += len(line.text)
        return "".join(ops)

    def _line(self, line: PlacedLine, text: str) -> str:
        # Text space is flipped back upright (the page frame has y down).
        return (
            f"/{_FONT_RESOURCES[line.bold]} {_num(line.size)} Tf "
            f"1 0 0 -1 {_num(line.x)} {_num(line.baseline)} Tm "
            f"{self.fonts.show(line.bold, text)} Tj\n"
        )

    def _too_small_for_text(
        self, content: LabelContent, modules: int, number: int, error: InvalidInput
    ) -> InvalidInput:
        # The message names the label's own text, not the serial's shape it was fitted as.
        width, height = self._label_size
        try:
            layout_label(content, modules, pdf_measure, size=self._label_size)
        except InvalidInput as own:
            error = own
        # The smallest label of the same proportions that fits, 5% larger at a time.
        advice = "shorten the text or use larger labels"
        for step in range(1, 40):
            scale = 1.05**step
            size = (width * scale, height * scale)
            try:
                layout_label(_layout_key(content), modules, pdf_measure, size=size)
            except InvalidInput:
                continue
            advice = (
                f"the smallest label of these proportions that fits it is "
                f"{_mm_up(size[0])} × {_mm_up(size[1])} mm"
            )
            break
        return InvalidInput(
            f"label {number} does not fit on a {_num(width, 2)} × {_num(height, 2)} mm label: "
            f"{error.message.removesuffix('; shorten it')}; {advice}",
            field=error.field,
        )

    def _page_number(self, text: str) -> str:
        if self._number_place is None:
            return ""
        side, size = self._number_place
        layout = self.layout
        if side == "bottom":
            middle = layout.page_h_mm - layout.margin_bottom_mm / 2
        else:
            middle = layout.margin_top_mm / 2
        baseline = middle + 0.35 * size  # DejaVu's digits are 0.73 em high
        left = (layout.page_w_mm - pdf_measure(text, size, False)) / 2
        return (
            f"BT /{_FONT_RESOURCES[False]} {_num(size)} Tf "
            f"1 0 0 -1 {_num(left)} {_num(baseline)} Tm {self.fonts.show(False, text)} Tj ET\n"
        )

    def _crop_marks(self, *, numbered: bool) -> str:
        """Ticks in the margins on every label edge, clear of the labels and page number."""
        layout = self.layout
        xs = _edges(layout.margin_left_mm, layout.cols, layout.label_w_mm, layout.gap_x_mm)
        ys = _edges(layout.margin_top_mm, layout.rows, layout.label_h_mm, layout.gap_y_mm)
        top = layout.margin_top_mm
        bottom = layout.margin_top_mm + layout.grid_height_mm
        left = layout.margin_left_mm
        right = layout.margin_left_mm + layout.grid_width_mm

        number_side, number_size = (
            self._number_place if numbered and self._number_place else ("", 0.0)
        )

        def length(margin: float, number_here: bool) -> float:
            room = margin - _MARK_OFFSET_MM - 0.5  # keep 0.5 mm from the paper's edge
            if number_here:
                # Stop 0.5 mm short of the page number's ascenders.
                room = min(room, margin / 2 - 0.75 * number_size - _MARK_OFFSET_MM - 0.5)
            return min(_MARK_LENGTH_MM, room)

        ticks: list[str] = []
        for x in xs:
            for start, sign, margin, side in (
                (top, -1, layout.margin_top_mm, "top"),
                (bottom, 1, layout.margin_bottom_mm, "bottom"),
            ):
                span = length(margin, side == number_side)
                if span >= 1.0:
                    y0 = start + sign * _MARK_OFFSET_MM
                    ticks.append(f"{_num(x)} {_num(y0)} m {_num(x)} {_num(y0 + sign * span)} l\n")
        for y in ys:
            for start, sign, margin in (
                (left, -1, layout.margin_left_mm),
                (right, 1, layout.margin_right_mm),
            ):
                span = length(margin, False)
                if span >= 1.0:
                    x0 = start + sign * _MARK_OFFSET_MM
                    ticks.append(f"{_num(x0)} {_num(y)} m {_num(x0 + sign * span)} {_num(y)} l\n")
        if not ticks:
            return ""
        return f"q {_num(_MARK_WIDTH_MM)} w\n{''.join(ticks)}S Q\n"


def _edges(start: float, count: int, size: float, gap: float) -> list[float]:
    # Both edges of every label; one tick where two labels touch (no gap).
    near = [start + index * (size + gap) for index in range(count)]
    return sorted({round(edge + side, 4) for edge in near for side in (0.0, size)})


def qr_rectangles(matrix: Iterable[bytes | bytearray]) -> str:
    """PDF path operators for the dark modules, in module units with rows going down.

    One ``x y w h re`` per run of dark modules in a row; a run with the same columns in
    the next rows is extended downwards instead of repeated.
    """
    parts: list[str] = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, width) -> first row
    row = 0
    for row, cells in enumerate(matrix):
        current: dict[tuple[int, int], int] = {}
        for run in _DARK_RUN.finditer(bytes(cells)):
            key = (run.start(), run.end() - run.start())
            current[key] = open_runs.pop(key, row)
        for (column, width), first in open_runs.items():
            parts.append(f"{column} {first} {width} {row - first} re\n")
        open_runs = current
    for (column, width), first in open_runs.items():
        parts.append(f"{column} {first} {width} {row + 1 - first} re\n")
    return "".join(parts)


_DARK_RUN: Final = re.compile(rb"[^\x00]+")


def _num(value: float, places: int = 4) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def _mm_up(value: float) -> str:
    return _num(math.ceil(value * 10 - 1e-6) / 10, 1)


# --- the file ------------------------------------------------------------------------


class _PdfWriter:
    """Objects written as they come, offsets kept for the cross-reference table."""

    _CATALOG: Final = 1
    _PAGES: Final = 2
    _RESOURCES: Final = 3
    _INFO: Final = 4

    def __init__(self, out: BinaryIO, layout: SheetLayout, title: str) -> None:
        self._out = out
        self._position = 0
        self._digest = hashlib.sha256()
        self._offsets = array("Q", [0] * 5)  # object 0 is the free-list head
        self._pages = array("Q")
        self._started = False
        self._media_box = (
            f"[0 0 {_num(layout.page_w_mm * PT_PER_MM, 3)} {_num(layout.page_h_mm * PT_PER_MM, 3)}]"
        )
        self._title = clean_text(title)
        self.fonts = _FontUsage()

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)
        self._digest.update(data)

    def _reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _object(self, number: int, body: str | bytes) -> None:
        self._offsets[number] = self._position
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, data))

    def _stream(self, number: int, entries: str, data: bytes) -> None:
        self._offsets[number] = self._position
        head = f"{number} 0 obj\n<< {entries} /Length {len(data)} >>\nstream\n"
        self._write(head.encode("latin-1") + data + b"\nendstream\nendobj\n")

    def add_page(self, content: bytes) -> None:
        if not self._started:
            # §7.5.2: the header, then a comment of bytes above 127 marking the file binary.
            self._write(f"%PDF-{PDF_VERSION}\n".encode() + b"%\xe2\xe3\xcf\xd3\n")
            self._started = True
        contents = self._reserve()
        self._stream(contents, "/Filter /FlateDecode", content)
        page = self._reserve()
        self._object(
            page,
            f"<< /Type /Page /Parent {self._PAGES} 0 R /MediaBox {self._media_box} "
            f"/Resources {self._RESOURCES} 0 R /Contents {contents} 0 R >>",
        )
        self._pages.append(page)

    def finish(self) -> int:
        """Write fonts, resources, page tree, catalog, info, xref and trailer; return the size."""
        fonts = [
            f"/{_FONT_RESOURCES[bold]} {self._font(bold)} 0 R"
            for bold in (False, True)
            if self.fonts.used[bold]
        ]
        self._object(
            self._RESOURCES,
            f"<< /ProcSet [/PDF /Text] /Font << {' '.join(fonts)} >> >>",
        )
        kids = " ".join(f"{page} 0 R" for page in self._pages)
        self._object(self._PAGES, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>")
        self._object(
            self._CATALOG,
            f"<< /Type /Catalog /Pages {self._PAGES} 0 R "
            f"/ViewerPreferences << /PrintScaling /None >> >>",
        )
        self._object(
            self._INFO,
            f"<< /Title {_text_string(self._title)} /Producer {_text_string('Tem')} >>",
        )
        # §7.5.4: entries of exactly 20 bytes; object 0 heads the list of free objects.
        xref_at = self._position
        entries = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets)]
        entries.extend(b"%010d 00000 n \n" % offset for offset in self._offsets[1:])
        self._write(b"".join(entries))
        file_id = self._digest.hexdigest()[:32].upper()
        self._write(
            (
                f"trailer\n<< /Size {len(self._offsets)} /Root {self._CATALOG} 0 R "
                f"/Info {self._INFO} 0 R /ID [<{file_id}> <{file_id}>] >>\n"
                f"startxref\n{xref_at}\n%%EOF\n"
            ).encode("latin-1")
        )
        return self._position

    def _font(self, bold: bool) -> int:
        """Write one face (§9.7: Type 0 over CIDFontType2) and return the Type 0 font's number."""
        program = _font_program(bold)
        used = self.fonts.used[bold]
        font_data = _subset(program.data, sorted(used))
        # §9.6.4: a subset's name starts with a tag of six capitals, here from its glyphs.
        digest = hashlib.sha256(repr(sorted(used)).encode()).digest()
        name = "".join(chr(ord("A") + byte % 26) for byte in digest[:6]) + "+"
        name += program.post_script_name
        file_number = self._reserve()
        self._stream(
            file_number,
            f"/Filter /FlateDecode /Length1 {len(font_data)}",
            zlib.compress(font_data, 9),
        )
        descriptor = self._reserve()
        self._object(
            descriptor,
            f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 "
            f"/FontBBox [{' '.join(map(str, program.bbox))}] /ItalicAngle 0 "
            f"/Ascent {program.ascent} /Descent {program.descent} "
            f"/CapHeight {program.cap_height} /StemV {120 if bold else 80} "
            f"/FontFile2 {file_number} 0 R >>",
        )
        cid_font = self._reserve()
        self._object(
            cid_font,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 1000 "
            f"/W {_widths_array(sorted(used), program.widths)} /CIDToGIDMap /Identity >>",
        )
        to_unicode = self._reserve()
        self._stream(to_unicode, "/Filter /FlateDecode", zlib.compress(_to_unicode_cmap(used), 9))
        type0 = self._reserve()
        self._object(
            type0,
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} "
            f"/Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] "
            f"/ToUnicode {to_unicode} 0 R >>",
        )
        return type0


def _subset(data: bytes, glyphs: list[int]) -> bytes:
    """The font with only ``glyphs`` (and their components) drawn, glyph ids unchanged.

    Glyph ids are kept (``retain_gids``) because the content streams already use them;
    the other glyphs stay as empty slots, so the file is a few KB instead of 85.
    """
    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    options.layout_features = []
    options.name_IDs = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "MATH"]
    # No fresh modification time in the subset: the same labels give the same bytes.
    font = TTFont(BytesIO(data), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=glyphs)
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _widths_array(glyphs: list[int], widths: tuple[int, ...]) -> str:
    """§9.7.4.3 ``/W``: ``first [w1 w2 ...]`` for each run of consecutive glyph ids."""
    groups: list[str] = []
    for _, run in itertools.groupby(enumerate(glyphs), key=lambda pair: pair[1] - pair[0]):
        ids = [glyph for _, glyph in run]
        groups.append(f"{ids[0]} [{' '.join(str(widths[glyph]) for glyph in ids)}]")
    return f"[{' '.join(groups)}]"


def _to_unicode_cmap(used: dict[int, str]) -> bytes:
    """§9.10.3: a CMap from 2-byte glyph ids to UTF-16BE, 100 ``bfchar`` entries a block."""
    pairs = [
        f"<{glyph:04X}> <{text.encode('utf-16-be').hex().upper()}>"
        for glyph, text in sorted(used.items())
        if text
    ]
    blocks = [
        f"{len(block)} beginbfchar\n" + "\n".join(block) + "\nendbfchar\n"
        for block in (pairs[start : start + 100] for start in range(0, len(pairs), 100))
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "".join(blocks)
        + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _text_string(text: str) -> str:
    """§7.9.2.2: a text string as UTF-16BE with its byte order mark, in hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
