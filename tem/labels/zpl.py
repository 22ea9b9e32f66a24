"""Labels as ZPL II for Zebra-compatible thermal printers: the printer draws the QR itself.

Each label is one ``^XA … ^XZ`` format (Zebra *ZPL II Programming Guide*, P1012728):

- ``^CI28``: field data is UTF-8; every byte outside printable ASCII, and the ZPL
  control characters ``^ ~ _``, is written as a ``_XX`` hex escape under ``^FH``, so the
  file itself is plain ASCII and survives any transport (USB, a Windows print queue,
  ``nc printer 9100``);
- ``^PW`` and ``^LL``: the label's width and length in dots;
- the QR with ``^BQN,2,m`` (model 2, magnification ``m`` dots a module) and field data
  ``^FDMM,A<url>``: error correction level M, *manual* input, one alphanumeric segment.
  Automatic input (``^FDMA,<url>``) would let the firmware choose the segments; manual
  alphanumeric gives exactly the symbol :func:`tem.labels.qr.make_qr` makes (ISO/IEC
  18004:2015, one segment, level M), so its version, hence its size, is known here and
  checked before anything is printed. ``^BQ`` draws no quiet zone: the 4 modules
  (ISO/IEC 18004:2015 §9.1) are left blank around it;
- the text in ``^FB`` field blocks (one per item: product name, "OCOP 4*", "Lô: …",
  "HSD: …", the stamp's serial, "Quét để xác thực"), wrapped here with explicit ``\\&``
  line breaks so the printer never wraps or cuts it.

Printer fonts are unknown to this module, so text is fitted with the bundled DejaVu Sans
*Bold*, which is wider than Zebra's built-in CG Triumvirate Bold Condensed (``^A0``)
and its Swiss 721 (``TT0003M_``): a line that fits here fits on the printer. The
built-in ``^A0`` font lacks most Vietnamese letters (ơ, ư, ă, đ and the stacked tones):
for correct diacritics pass ``font`` naming a Unicode TrueType font stored on the
printer, such as ``E:TT0003M_.TTF`` (see ``docs/printing.md``). The OCOP rating is
written "OCOP 4*" because printer fonts rarely have a ★ glyph.

The QR is placed exactly as on the PDF sticker of the same size: a square on the left
whose side is :func:`tem.labels.render.qr_square_mm`, the text column to its right laid
out by :func:`tem.labels.render.layout_label`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final, TextIO

from tem.errors import InvalidInput
from tem.labels.qr import MAX_URL_LENGTH, QR_ALPHANUMERIC, make_qr
from tem.labels.render import (
    QUIET_ZONE_MODULES,
    LabelContent,
    LabelLayout,
    PlacedLine,
    clean_text,
    layout_label,
    qr_square_mm,
    reference_measure,
)

DOTS_PER_MM: Final[dict[int, int]] = {203: 8, 300: 12, 600: 24}
"""Zebra print heads by their nominal resolution: 8, 12 or 24 dots a millimetre
(203.2, 304.8 and 609.6 dpi exactly)."""

DEFAULT_DPI: Final = 203
DEFAULT_WIDTH_MM: Final = 50.0
DEFAULT_HEIGHT_MM: Final = 30.0
DEFAULT_FONT: Final = "0"
MIN_MAGNIFICATION: Final = 3  # dots a module: below that cheap phones miss the first scan
MAX_MAGNIFICATION: Final = 10  # the largest ^BQ accepts
MIN_TEXT_DOTS: Final = 10  # the smallest height ^A0 and TrueType printer fonts render
MAX_LABEL_MM: Final = 250.0  # wider than any Zebra head (216 mm): a typo, not a label
ERROR_LEVEL: Final = "M"

_WIDTH_SAFETY: Final = 1.03  # on top of DejaVu Bold's widths, for firmware rounding
_LINE_GAP_EM: Final = 0.2  # ^FB line pitch 1.2 em, as the layout assumes
_ASCENT_EM: Final = 0.95  # the layout's baseline below the top of a line box
_STARS_TEXT: Final = "OCOP {stars}*"
_STARS: Final = re.compile("[★☆]+")
_BUILT_IN_FONT: Final = re.compile(r"[A-Z0-9]")
_PRINTER_FONT: Final = re.compile(r"[REBAZ]:[A-Z0-9_\-]{1,16}\.(TTF|TTE|FNT)", re.IGNORECASE)


@dataclass(frozen=True)
class ZplPlan:
    """Where a label's parts go, in printer dots: what a run's labels all share."""

    dpi: int
    width_dots: int
    height_dots: int
    modules: int
    magnification: int
    qr_x: int
    qr_y: int
    layout: LabelLayout


def zpl_label(
    content: LabelContent,
    *,
    dpi: int = DEFAULT_DPI,
    width_mm: float = DEFAULT_WIDTH_MM,
    height_mm: float = DEFAULT_HEIGHT_MM,
    font: str = DEFAULT_FONT,
) -> str:
    """One label as a ZPL II format, ``^XA`` to ``^XZ`` (ending in a newline).

    ``dpi`` is the printer's resolution (203, 300 or 600); ``width_mm`` × ``height_mm``
    the label stock; ``font`` a built-in font letter or digit (``0``: CG Triumvirate, no
    Vietnamese) or a TrueType font on the printer, ``drive:NAME.TTF`` (e.g.
    ``E:TT0003M_.TTF``), drawn with ``^A@``.

    Raises:
        InvalidInput: if the dpi, size or font is not valid, the URL cannot be a QR code,
            the QR would need modules under 3 dots or does not fit with its 4-module quiet
            zone, or a text does not fit at the printer's smallest font; the size
            messages name the smallest label that works.
    """
    return _ZplWriter(dpi=dpi, width_mm=width_mm, height_mm=height_mm, font=font).label(content)


def write_zpl(
    labels: Iterable[LabelContent],
    out: TextIO,
    *,
    dpi: int = DEFAULT_DPI,
    width_mm: float = DEFAULT_WIDTH_MM,
    height_mm: float = DEFAULT_HEIGHT_MM,
    font: str = DEFAULT_FONT,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 100,
) -> int:
    """Write ``labels`` to ``out`` one format after another, streaming; return how many.

    ``labels`` is consumed lazily. Nothing is written if the first label fails (labels
    of a run share their text and URL length, so in practice every failure shows there).
    ``progress`` is called with the count so far every ``progress_every`` labels and at
    the end. Options as :func:`zpl_label`.

    Raises:
        InvalidInput: as :func:`zpl_label`, or if there are no labels.
    """
    writer = _ZplWriter(dpi=dpi, width_mm=width_mm, height_mm=height_mm, font=font)
    count = 0
    for content in labels:
        out.write(writer.label(content))
        count += 1
        if progress is not None and count % progress_every == 0:
            progress(count)
    if count == 0:
        raise InvalidInput("there are no labels to print", field="labels")
    if progress is not None and count % progress_every:
        progress(count)
    return count


def dots_per_mm(dpi: int) -> int:
    """The print head's dots a millimetre for a nominal ``dpi``.

    Raises:
        InvalidInput: if ``dpi`` is not 203, 300 or 600.
    """
    if isinstance(dpi, bool) or dpi not in DOTS_PER_MM:
        known = ", ".join(str(value) for value in DOTS_PER_MM)
        raise InvalidInput(f"a thermal printer's resolution is {known} dpi", field="dpi")
    return DOTS_PER_MM[dpi]


def font_command(font: str, height: int) -> str:
    """``^A`` for a font of ``height`` dots: ``^A0N,h,h`` or ``^A@N,h,h,E:NAME.TTF``.

    Raises:
        InvalidInput: if ``font`` is neither one letter or digit nor ``drive:NAME.EXT``.
    """
    if _BUILT_IN_FONT.fullmatch(font):
        return f"^A{font}N,{height},{height}"
    if _PRINTER_FONT.fullmatch(font):
        return f"^A@N,{height},{height},{font}"
    raise InvalidInput(
        f"the printer font {font!r} is not valid: give a built-in font (0, A-Z) or a font "
        f"file on the printer such as E:TT0003M_.TTF",
        field="font",
    )


def field_data(text: str) -> str:
    """``text`` for ``^FH^FD``: printable ASCII as is, everything else ``_XX`` per UTF-8 byte.

    ``^``, ``~`` and ``_`` are escaped too (they start commands and escapes), and a
    backslash is doubled, which ``^FB`` reads as one (``\\&`` is its line break).
    """
    parts: list[str] = []
    for char in text:
        if char == "\\":
            parts.append("\\\\")
        elif " " <= char <= "~" and char not in "^~_":
            parts.append(char)
        else:
            parts.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(parts)


# --- plan -----------------------------------------------------------------------------


def _check_size(width_mm: float, height_mm: float) -> None:
    for field, value in (("width_mm", width_mm), ("height_mm", height_mm)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{field} must be a size in mm", field=field)
        if not (math.isfinite(value) and 0 < value <= MAX_LABEL_MM):
            raise InvalidInput(
                f"{field} must be more than 0 and at most {MAX_LABEL_MM:g} mm", field=field
            )


def _modules(url: str) -> int:
    """The symbol's width in modules; it depends only on the URL's length (one segment)."""
    if url and len(url) <= MAX_URL_LENGTH and set(url) <= QR_ALPHANUMERIC:
        return _modules_for_length(len(url))
    return len(make_qr(url).matrix)  # raises the precise InvalidInput


@lru_cache(maxsize=256)
def _modules_for_length(length: int) -> int:
    return len(make_qr("0" * length).matrix)


def _qr_room_dots(width_mm: float, height_mm: float, per_mm: int) -> int:
    # The QR square of the PDF sticker of the same size, in whole dots.
    return math.floor(qr_square_mm(width_mm, height_mm) * per_mm + 1e-6)


def _magnification(modules: int, width_mm: float, height_mm: float, per_mm: int) -> int:
    span = modules + 2 * QUIET_ZONE_MODULES
    return min(MAX_MAGNIFICATION, _qr_room_dots(width_mm, height_mm, per_mm) // span)


def _measure(text: str, size: float, bold: bool) -> float:
    # Every field in the widest face we have: printer fonts are narrower (module doc).
    # The layout's "★★★★☆ OCOP" is printed "OCOP 4*": the same characters but the stars.
    printed = _STARS.sub(lambda run: f"{run.group().count('★')}*", text)
    return reference_measure(printed, size, True) * _WIDTH_SAFETY


@lru_cache(maxsize=256)
def _text_layout(key: LabelContent, modules: int, size: tuple[float, float]) -> LabelLayout:
    return layout_label(key, modules, _measure, size=size)


_ALPHANUMERIC: Final = re.compile(r"[A-Z0-9]")


def _layout_key(content: LabelContent) -> LabelContent:
    # The labels of a run differ in URL and serial only: lay out the serial's shape once
    # (layout_label sizes a serial as the widest of its shape).
    serial = content.serial
    shape = _ALPHANUMERIC.sub("0", clean_text(serial)) if serial is not None else None
    return replace(content, url="", serial=shape)


def _plan(
    content: LabelContent, dpi: int, width_mm: float, height_mm: float, modules: int
) -> ZplPlan:
    """Place the QR and the text, or raise with what is too small (no advice yet)."""
    per_mm = dots_per_mm(dpi)
    magnification = _magnification(modules, width_mm, height_mm, per_mm)
    if magnification < MIN_MAGNIFICATION:
        raise _QrTooSmall(modules, magnification)
    layout = _text_layout(_layout_key(content), modules, (width_mm, height_mm))
    smallest = min(line.size for line in layout.lines) * per_mm
    if _font_dots(smallest) < MIN_TEXT_DOTS:
        raise _TextTooSmall(smallest)
    span = (modules + 2 * QUIET_ZONE_MODULES) * magnification
    room = _qr_room_dots(width_mm, height_mm, per_mm)
    height_dots = round(height_mm * per_mm)
    # In the sticker's QR square (its left edge is the layout's quiet zone's), centred in
    # it and vertically on the label.
    square_left = round((layout.qr_x - QUIET_ZONE_MODULES * layout.module) * per_mm)
    left = max(0, square_left) + (room - span) // 2
    top = (height_dots - span) // 2
    quiet = QUIET_ZONE_MODULES * magnification
    return ZplPlan(
        dpi=dpi,
        width_dots=round(width_mm * per_mm),
        height_dots=height_dots,
        modules=modules,
        magnification=magnification,
        qr_x=left + quiet,
        qr_y=top + quiet,
        layout=layout,
    )


def _font_dots(size_dots: float) -> int:
    # Rounded down: a font never larger than the size its text was fitted at.
    return math.floor(size_dots + 1e-6)


class _QrTooSmall(Exception):
    def __init__(self, modules: int, magnification: int) -> None:
        super().__init__()
        self.modules = modules
        self.magnification = magnification


class _TextTooSmall(Exception):
    def __init__(self, dots: float) -> None:
        super().__init__()
        self.dots = dots


def _fits(content: LabelContent, dpi: int, width_mm: float, height_mm: float, modules: int) -> bool:
    try:
        _plan(content, dpi, width_mm, height_mm, modules)
    except (_QrTooSmall, _TextTooSmall, InvalidInput):
        return False
    return True


def _smallest_label(
    content: LabelContent, dpi: int, width_mm: float, height_mm: float, modules: int
) -> tuple[float, float] | None:
    """The smallest label, at least as large as this one, on which everything fits.

    First each side is grown alone to what the QR needs (0.1 mm steps), then the width,
    the height or both by 5% steps until the text fits too, the smallest area first;
    None if nothing up to 4× does. Accurate to a step: the next smaller size may fit.
    """
    per_mm = dots_per_mm(dpi)
    need = (modules + 2 * QUIET_ZONE_MODULES) * MIN_MAGNIFICATION

    def side_needed(side: float, room: Callable[[float], int]) -> float:
        # The QR square grows with each side only up to a limit set by the other one, so
        # each side is grown alone against a label as large as can be on the other.
        side = _up(side)
        while room(side) < need and side < MAX_LABEL_MM:
            side = round(side + 0.1, 1)
        return side

    width = side_needed(width_mm, lambda w: _qr_room_dots(w, MAX_LABEL_MM, per_mm))
    height = side_needed(height_mm, lambda h: _qr_room_dots(MAX_LABEL_MM, h, per_mm))
    for step in range(30):
        scale = 1.05**step
        grown_sides = {
            (_up(width * scale), height),
            (width, _up(height * scale)),
            (_up(width * scale), _up(height * scale)),
        }
        fitting = [
            size
            for size in grown_sides
            if max(size) <= MAX_LABEL_MM and _fits(content, dpi, *size, modules)
        ]
        if fitting:
            return min(fitting, key=lambda size: (size[0] * size[1], size))
    return None


def _up(value: float) -> float:
    return math.ceil(value * 10 - 1e-6) / 10


def _mm(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# --- output ---------------------------------------------------------------------------


class _ZplWriter:
    """Formats labels for one printer and label size; plans are shared by similar labels."""

    def __init__(self, *, dpi: int, width_mm: float, height_mm: float, font: str) -> None:
        dots_per_mm(dpi)
        _check_size(width_mm, height_mm)
        font_command(font, MIN_TEXT_DOTS)
        self.dpi = dpi
        self.width_mm = float(width_mm)
        self.height_mm = float(height_mm)
        self.font = font
        self._plans: dict[tuple[LabelContent, int], tuple[ZplPlan, str, str]] = {}

    def label(self, content: LabelContent) -> str:
        modules = _modules(content.url)
        key = (_layout_key(content), modules)
        found = self._plans.get(key)
        if found is None:
            if len(self._plans) >= 64:  # a run has one plan; keep memory flat anyway
                self._plans.clear()
            plan = self._plan_or_advice(content, modules)
            found = self._plans[key] = (plan, *self._text_around_serial(plan))
        plan, before, after = found
        serial = ""
        if content.serial is not None:
            serial = self._serial_fields(plan, clean_text(content.serial))
        return (
            f"^XA\n^CI28\n^PW{plan.width_dots}\n^LL{plan.height_dots}\n^LH0,0\n"
            f"^FO{plan.qr_x},{plan.qr_y}^BQN,2,{plan.magnification}"
            f"^FD{ERROR_LEVEL}M,A{content.url}^FS\n"
            f"{before}{serial}{after}^XZ\n"
        )

    def _plan_or_advice(self, content: LabelContent, modules: int) -> ZplPlan:
        try:
            return _plan(content, self.dpi, self.width_mm, self.height_mm, modules)
        except _QrTooSmall as small:
            raise self._qr_too_small(content, small) from None
        except _TextTooSmall as small:
            raise self._text_too_small(content, modules, small) from None
        except InvalidInput as error:
            raise self._text_does_not_fit(content, modules, error) from None

    def _advice(self, content: LabelContent, modules: int) -> str:
        size = _smallest_label(content, self.dpi, self.width_mm, self.height_mm, modules)
        if size is None:
            return "shorten the text or use a larger label"
        return f"the smallest label that works is {_mm(size[0])} × {_mm(size[1])} mm"

    def _qr_too_small(self, content: LabelContent, small: _QrTooSmall) -> InvalidInput:
        per_mm = dots_per_mm(self.dpi)
        span = small.modules + 2 * QUIET_ZONE_MODULES
        need = span * MIN_MAGNIFICATION
        room = _qr_room_dots(self.width_mm, self.height_mm, per_mm)
        return InvalidInput(
            f"a {_mm(self.width_mm)} × {_mm(self.height_mm)} mm label is too small for its QR "
            f"code at {self.dpi} dpi: the {small.modules} × {small.modules}-module code with a "
            f"{QUIET_ZONE_MODULES}-module quiet zone needs modules of at least "
            f"{MIN_MAGNIFICATION} dots, ({small.modules} + {2 * QUIET_ZONE_MODULES}) × "
            f"{MIN_MAGNIFICATION} = {need} dots ({_mm(need / per_mm)} mm) square, and the "
            f"label leaves {room} dots ({_mm(room / per_mm)} mm); "
            f"{self._advice(content, small.modules)}",
            field="label_size",
        )

    def _text_too_small(
        self, content: LabelContent, modules: int, small: _TextTooSmall
    ) -> InvalidInput:
        return InvalidInput(
            f"the text does not fit on a {_mm(self.width_mm)} × {_mm(self.height_mm)} mm label "
            f"at {self.dpi} dpi: its smallest letters would be {small.dots:.1f} dots high and "
            f"printer fonts need at least {MIN_TEXT_DOTS}; {self._advice(content, modules)}",
            field="label_size",
        )

    def _text_does_not_fit(
        self, content: LabelContent, modules: int, error: InvalidInput
    ) -> InvalidInput:
        # The message names the label's own text, not the serial's shape it was fitted as.
        try:
            layout_label(content, modules, _measure, size=(self.width_mm, self.height_mm))
        except InvalidInput as own:
            error = own
        return InvalidInput(
            f"the label does not fit on {_mm(self.width_mm)} × {_mm(self.height_mm)} mm: "
            f"{error.message.removesuffix('; shorten it')}; {self._advice(content, modules)}",
            field=error.field,
        )

    def _text_around_serial(self, plan: ZplPlan) -> tuple[str, str]:
        """The text fields before the serial's and after them, one ``^FB`` per item."""
        before: list[str] = []
        after: list[str] = []
        serial_seen = False
        for block in _blocks(plan.layout.lines):
            if block[0].field == "serial":
                serial_seen = True
                continue
            texts = [self._shown(line) for line in block]
            (after if serial_seen else before).append(self._field(plan, block, texts))
        return "".join(before), "".join(after)

    def _shown(self, line: PlacedLine) -> str:
        if line.field == "ocop_stars":
            stars = line.text.count("★")
            return _STARS_TEXT.format(stars=stars)
        return line.text

    def _serial_fields(self, plan: ZplPlan, serial: str) -> str:
        # The plan shows the serial's shape ("0000-0000-"): cut the serial at the same places.
        fields: list[str] = []
        for block in _blocks(plan.layout.lines):
            if block[0].field != "serial":
                continue
            texts: list[str] = []
            start = 0
            for line in block:
                texts.append(serial[start : start + len(line.text)])
                start += len(line.text)
            fields.append(self._field(plan, block, texts))
        return "".join(fields)

    def _field(self, plan: ZplPlan, block: list[PlacedLine], texts: list[str]) -> str:
        per_mm = dots_per_mm(plan.dpi)
        first = block[0]
        height = _font_dots(first.size * per_mm)
        x = round(first.x * per_mm)
        y = max(0, round((first.baseline - _ASCENT_EM * first.size) * per_mm))
        width = max(1, math.floor(plan.layout.text_width * per_mm))
        gap = round(_LINE_GAP_EM * height)
        data = "\\&".join(field_data(text) for text in texts)
        return (
            f"^FO{x},{y}{font_command(self.font, height)}"
            f"^FB{width},{len(texts)},{gap},L,0^FH_^FD{data}^FS\n"
        )


def _blocks(lines: Iterable[PlacedLine]) -> list[list[PlacedLine]]:
    """Consecutive lines of the same item (the layout places items one after another)."""
    blocks: list[list[PlacedLine]] = []
    for line in lines:
        if blocks and blocks[-1][0].field == line.field and blocks[-1][0].size == line.size:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks
