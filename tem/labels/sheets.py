"""Sticker sheets: where each label sits on an A4 page, and whether its QR can scan.

Presets are the common A4 die-cut sheets (dimensions from the manufacturers' templates,
in mm); anything else is a :func:`custom_layout`. A label is refused when its QR cannot
be printed with modules of at least 3 printer dots and a quiet zone of 4 modules
(ISO/IEC 18004:2015 §9.1): below that, cheap phones miss the first scan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from tem.errors import InvalidInput
from tem.labels.qr import make_qr
from tem.labels.render import (
    QUIET_ZONE_MODULES,
    label_size_for_qr_square,
    qr_square_mm,
)

MM_PER_INCH: Final = 25.4
MIN_MODULE_DOTS: Final = 3
MAX_GRID: Final = 50  # rows or columns: far beyond any real sheet, so a typo is caught
_TOLERANCE_MM: Final = 1e-6

PAGE_SIZES: Final[dict[str, tuple[float, float]]] = {
    "a4": (210.0, 297.0),
    "a5": (148.0, 210.0),
    "letter": (215.9, 279.4),
}


@dataclass(frozen=True)
class SheetLayout:
    """A page of ``rows`` × ``cols`` labels, all sizes in mm, the page's top-left as origin.

    ``margin_top_mm`` and ``margin_left_mm`` place the top-left label; ``gap_x_mm`` and
    ``gap_y_mm`` separate neighbouring labels (pitch = label size + gap).

    Raises:
        InvalidInput: if a count is not a whole number from 1 to 50, a size is not
            positive and finite, a margin or gap is negative, or the labels do not fit
            on the page (the message says by how much they overflow).
    """

    page_w_mm: float
    page_h_mm: float
    rows: int
    cols: int
    label_w_mm: float
    label_h_mm: float
    margin_top_mm: float
    margin_left_mm: float
    gap_x_mm: float
    gap_y_mm: float
    name: str = "custom"
    description: str = ""

    def __post_init__(self) -> None:
        for field in ("rows", "cols"):
            count = getattr(self, field)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_GRID:
                raise InvalidInput(
                    f"{field} must be a whole number from 1 to {MAX_GRID}", field=field
                )
        for field in ("page_w_mm", "page_h_mm", "label_w_mm", "label_h_mm"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise InvalidInput(f"{field} must be a positive size in mm", field=field)
        for field in ("margin_top_mm", "margin_left_mm", "gap_x_mm", "gap_y_mm"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidInput(f"{field} must be 0 mm or more", field=field)
        across = self.margin_left_mm + self.grid_width_mm
        if across > self.page_w_mm + _TOLERANCE_MM:
            raise InvalidInput(
                f"the labels overflow the page by {_mm(across - self.page_w_mm)} mm across: "
                f"{_mm(self.margin_left_mm)} mm margin + {self.cols} × {_mm(self.label_w_mm)} mm "
                f"labels + {self.cols - 1} × {_mm(self.gap_x_mm)} mm gaps = {_mm(across)} mm "
                f"on a {_mm(self.page_w_mm)} mm wide page",
                field="cols",
            )
        down = self.margin_top_mm + self.grid_height_mm
        if down > self.page_h_mm + _TOLERANCE_MM:
            raise InvalidInput(
                f"the labels overflow the page by {_mm(down - self.page_h_mm)} mm down: "
                f"{_mm(self.margin_top_mm)} mm margin + {self.rows} × {_mm(self.label_h_mm)} mm "
                f"labels + {self.rows - 1} × {_mm(self.gap_y_mm)} mm gaps = {_mm(down)} mm "
                f"on a {_mm(self.page_h_mm)} mm high page",
                field="rows",
            )

    @property
    def per_page(self) -> int:
        return self.rows * self.cols

    @property
    def grid_width_mm(self) -> float:
        return self.cols * self.label_w_mm + (self.cols - 1) * self.gap_x_mm

    @property
    def grid_height_mm(self) -> float:
        return self.rows * self.label_h_mm + (self.rows - 1) * self.gap_y_mm

    @property
    def margin_right_mm(self) -> float:
        return max(self.page_w_mm - self.margin_left_mm - self.grid_width_mm, 0.0)

    @property
    def margin_bottom_mm(self) -> float:
        return max(self.page_h_mm - self.margin_top_mm - self.grid_height_mm, 0.0)

    def label_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of the ``index``-th label of a page, row by row."""
        row, col = divmod(index, self.cols)
        return (
            self.margin_left_mm + col * (self.label_w_mm + self.gap_x_mm),
            self.margin_top_mm + row * (self.label_h_mm + self.gap_y_mm),
        )


PRESETS: Final[dict[str, SheetLayout]] = {
    # Avery L7160 / J8160 (also Tomy, APLI 1272): pitch 66.04 × 38.1 mm.
    "a4-3x7": SheetLayout(
        page_w_mm=210.0,
        page_h_mm=297.0,
        rows=7,
        cols=3,
        label_w_mm=63.5,
        label_h_mm=38.1,
        margin_top_mm=15.15,
        margin_left_mm=7.21,
        gap_x_mm=2.54,
        gap_y_mm=0.0,
        name="a4-3x7",
        description="Avery L7160: 21 labels 63.5 × 38.1 mm",
    ),
    # Avery L7159 / J8159: pitch 66.04 × 33.9 mm.
    "a4-3x8": SheetLayout(
        page_w_mm=210.0,
        page_h_mm=297.0,
        rows=8,
        cols=3,
        label_w_mm=63.5,
        label_h_mm=33.9,
        margin_top_mm=12.9,
        margin_left_mm=7.21,
        gap_x_mm=2.54,
        gap_y_mm=0.0,
        name="a4-3x8",
        description="Avery L7159: 24 labels 63.5 × 33.9 mm",
    ),
    # 40 labels of 48.5 × 25.4 mm, columns and rows edge to edge.
    "a4-4x10": SheetLayout(
        page_w_mm=210.0,
        page_h_mm=297.0,
        rows=10,
        cols=4,
        label_w_mm=48.5,
        label_h_mm=25.4,
        margin_top_mm=21.5,
        margin_left_mm=8.0,
        gap_x_mm=0.0,
        gap_y_mm=0.0,
        name="a4-4x10",
        description="40 labels 48.5 × 25.4 mm",
    ),
    # Avery L7651 / J8651: pitch 40.6 × 21.2 mm.
    "a4-5x13": SheetLayout(
        page_w_mm=210.0,
        page_h_mm=297.0,
        rows=13,
        cols=5,
        label_w_mm=38.1,
        label_h_mm=21.2,
        margin_top_mm=10.7,
        margin_left_mm=4.75,
        gap_x_mm=2.5,
        gap_y_mm=0.0,
        name="a4-5x13",
        description="Avery L7651: 65 labels 38.1 × 21.2 mm",
    ),
}
"""The common A4 sticker sheets by name; :func:`custom_layout` for any other."""


def preset(name: str) -> SheetLayout:
    """The preset called ``name`` (see :data:`PRESETS`).

    Raises:
        InvalidInput: if there is no such preset; the message lists the known ones.
    """
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(PRESETS)
        raise InvalidInput(
            f"no sheet preset {name!r}; use one of {known}", field="layout"
        ) from None


def custom_layout(
    rows: int,
    cols: int,
    label_w_mm: float,
    label_h_mm: float,
    margin_top_mm: float,
    margin_left_mm: float,
    gap_x_mm: float,
    gap_y_mm: float,
    page: str = "a4",
) -> SheetLayout:
    """A sheet of any grid on an A4 (or ``a5``, ``letter``) page.

    Raises:
        InvalidInput: if the page is unknown or the grid does not fit (see :class:`SheetLayout`).
    """
    try:
        page_w, page_h = PAGE_SIZES[page.lower()]
    except KeyError:
        known = ", ".join(PAGE_SIZES)
        raise InvalidInput(f"no page size {page!r}; use one of {known}", field="page") from None
    name = f"custom-{page.lower()}-{cols}x{rows}-{_mm(label_w_mm)}x{_mm(label_h_mm)}"
    return SheetLayout(
        page_w,
        page_h,
        rows,
        cols,
        label_w_mm,
        label_h_mm,
        margin_top_mm,
        margin_left_mm,
        gap_x_mm,
        gap_y_mm,
        name,
    )


def check_dpi(dpi: int) -> None:
    """Check a printer resolution.

    Raises:
        InvalidInput: if ``dpi`` is not a whole number from 72 to 2400.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 72 <= dpi <= 2400:
        raise InvalidInput("the printer resolution must be 72 to 2400 dpi", field="dpi")


def min_module_mm(dpi: int) -> float:
    """The smallest QR module that prints as at least 3 dots at ``dpi``."""
    return MIN_MODULE_DOTS * MM_PER_INCH / dpi


def check_qr_fits(
    layout_or_label_size: SheetLayout | tuple[float, float], url: str, dpi: int = 300
) -> float:
    """Check that the QR of ``url`` prints well on the label; return its module size in mm.

    The QR takes a square on the left of the label (:func:`tem.labels.render.qr_square_mm`)
    with a quiet zone of 4 modules (ISO/IEC 18004:2015 §9.1); each module must be at least
    3 printer dots at ``dpi``.

    Raises:
        InvalidInput: if the URL cannot be a QR code, ``dpi`` is not 72 to 2400, or the
            modules would be smaller than 3 dots; the message names the smallest label,
            of the same proportions, on which the QR would print well.
    """
    if isinstance(layout_or_label_size, SheetLayout):
        width, height = layout_or_label_size.label_w_mm, layout_or_label_size.label_h_mm
    else:
        width, height = layout_or_label_size
    modules = len(make_qr(url).matrix)
    return check_module_size(width, height, modules, dpi)


def check_module_size(width: float, height: float, modules: int, dpi: int) -> float:
    """:func:`check_qr_fits` for a symbol of ``modules`` × ``modules``; returns the module in mm.

    Raises:
        InvalidInput: if ``dpi`` is not 72 to 2400, or the modules would be smaller
            than 3 dots at ``dpi``.
    """
    check_dpi(dpi)
    span = modules + 2 * QUIET_ZONE_MODULES
    module = qr_square_mm(width, height) / span
    smallest = min_module_mm(dpi)
    if module + _TOLERANCE_MM >= smallest:
        return module
    need_w, need_h = label_size_for_qr_square(span * smallest, width, height)
    raise InvalidInput(
        f"a {_mm(width)} × {_mm(height)} mm label is too small for its QR code at {dpi} dpi: "
        f"the {modules} × {modules}-module code with a {QUIET_ZONE_MODULES}-module quiet zone "
        f"would get modules of {_mm(module, 3)} mm ({module / MM_PER_INCH * dpi:.1f} dots) and "
        f"needs at least {_mm(smallest, 3)} mm ({MIN_MODULE_DOTS} dots); the smallest label "
        f"that works is {_mm_up(need_w)} × {_mm_up(need_h)} mm",
        field="label_size",
    )


def _mm(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def _mm_up(value: float) -> str:
    # Round up to 0.1 mm so the size named really works.
    return _mm(math.ceil(value * 10 - 1e-6) / 10, 1)
