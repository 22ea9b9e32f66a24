"""Sticker sheet layouts: presets fit A4, overflowing grids and too-small QR codes are refused."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.errors import InvalidInput
from tem.labels.qr import make_qr
from tem.labels.render import QUIET_ZONE_MODULES, qr_square_mm
from tem.labels.sheets import (
    PAGE_SIZES,
    PRESETS,
    SheetLayout,
    check_qr_fits,
    custom_layout,
    min_module_mm,
    preset,
)

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# A stamp URL as long as they get: 202 characters, a version-8 symbol (49 modules).
STAMP_URL = "HTTP://TEM.TEST/T/" + (BASE32 * 6)[:184]
SIZE = re.compile(r"the smallest label that works is ([\d.]+) × ([\d.]+) mm")


def cells(layout: SheetLayout) -> list[tuple[float, float, float, float]]:
    boxes = []
    for index in range(layout.per_page):
        x, y = layout.label_origin(index)
        boxes.append((x, y, x + layout.label_w_mm, y + layout.label_h_mm))
    return boxes


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] - 1e-9 and b[0] < a[2] - 1e-9 and a[1] < b[3] - 1e-9 and b[1] < a[3] - 1e-9


# --- presets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "grid", "label"),
    [
        ("a4-3x7", (7, 3), (63.5, 38.1)),
        ("a4-3x8", (8, 3), (63.5, 33.9)),
        ("a4-4x10", (10, 4), (48.5, 25.4)),
        ("a4-5x13", (13, 5), (38.1, 21.2)),
    ],
)
def test_presets_fill_a4_sheets_symmetrically(
    name: str, grid: tuple[int, int], label: tuple[float, float]
) -> None:
    layout = preset(name)

    assert (layout.page_w_mm, layout.page_h_mm) == (210.0, 297.0)
    assert (layout.rows, layout.cols) == grid
    assert (layout.label_w_mm, layout.label_h_mm) == label
    assert layout.name == name
    # Die-cut sheets are centred: what is left on the right and bottom is the same margin.
    assert layout.margin_right_mm == pytest.approx(layout.margin_left_mm, abs=0.1)
    assert layout.margin_bottom_mm == pytest.approx(layout.margin_top_mm, abs=0.1)
    boxes = cells(layout)
    for left, top, right, bottom in boxes:
        assert 0 <= left < right <= 210.0
        assert 0 <= top < bottom <= 297.0
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_avery_l7160_pitch_and_margins() -> None:
    layout = PRESETS["a4-3x7"]

    assert layout.per_page == 21
    assert layout.label_origin(0) == (7.21, 15.15)
    assert layout.label_origin(1)[0] - layout.label_origin(0)[0] == pytest.approx(66.04)
    assert layout.label_origin(3) == (7.21, pytest.approx(15.15 + 38.1))
    assert layout.label_origin(20) == (
        pytest.approx(7.21 + 2 * 66.04),
        pytest.approx(15.15 + 6 * 38.1),
    )


def test_every_preset_prints_a_stamp_qr_at_300_dpi() -> None:
    for layout in PRESETS.values():
        module = check_qr_fits(layout, STAMP_URL)
        assert module >= min_module_mm(300)


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="no sheet preset 'a4-9x9'; use one of a4-3x7, "):
        preset("a4-9x9")


# --- custom grids ------------------------------------------------------------------


def test_custom_layout_on_a4() -> None:
    layout = custom_layout(4, 2, 99.1, 67.7, 13.1, 4.65, 2.5, 0)

    assert (layout.page_w_mm, layout.page_h_mm) == PAGE_SIZES["a4"]
    assert layout.per_page == 8
    assert layout.name == "custom-a4-2x4-99.1x67.7"
    assert layout.margin_right_mm == pytest.approx(4.65)


def test_a_grid_too_wide_is_refused_with_the_overflow() -> None:
    # 7.2 + 3 × 66 + 2 × 2.5 = 210.2 mm on a 210 mm page.
    with pytest.raises(InvalidInput, match=r"overflow the page by 0\.2 mm across") as raised:
        custom_layout(7, 3, 66.0, 38.1, 15.15, 7.2, 2.5, 0)
    assert "= 210.2 mm on a 210 mm wide page" in raised.value.message
    assert raised.value.field == "cols"


def test_a_grid_too_tall_is_refused_with_the_overflow() -> None:
    # 15.15 + 8 × 38.1 = 319.95 mm on a 297 mm page.
    with pytest.raises(InvalidInput, match=r"overflow the page by 22\.95 mm down") as raised:
        custom_layout(8, 3, 63.5, 38.1, 15.15, 7.21, 2.54, 0)
    assert raised.value.field == "rows"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 3, 63.5, 38.1, 15, 7, 2.5, 0), "rows must be a whole number from 1 to 50"),
        ((7, 51, 3, 3, 0, 0, 0, 0), "cols must be a whole number from 1 to 50"),
        ((7, 3, -63.5, 38.1, 15, 7, 2.5, 0), "label_w_mm must be a positive size"),
        ((7, 3, 63.5, math.nan, 15, 7, 2.5, 0), "label_h_mm must be a positive size"),
        ((7, 3, 63.5, 38.1, 15, 7, -1, 0), "gap_x_mm must be 0 mm or more"),
        ((7, 3, 63.5, 38.1, math.inf, 7, 2.5, 0), "margin_top_mm must be 0 mm or more"),
    ],
)
def test_nonsense_grids_are_refused(arguments: tuple[float, ...], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        custom_layout(*arguments)  # type: ignore[arg-type]


def test_unknown_page_size_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no page size 'a3'; use one of a4, a5, letter"):
        custom_layout(7, 3, 63.5, 38.1, 15, 7, 2.5, 0, page="a3")


@settings(max_examples=300, deadline=None)
@given(
    rows=st.integers(1, 50),
    cols=st.integers(1, 50),
    label_w=st.floats(1, 300),
    label_h=st.floats(1, 300),
    top=st.floats(0, 50),
    left=st.floats(0, 50),
    gap_x=st.floats(0, 20),
    gap_y=st.floats(0, 20),
)
def test_a_grid_either_fits_the_page_or_is_refused(
    rows: int,
    cols: int,
    label_w: float,
    label_h: float,
    top: float,
    left: float,
    gap_x: float,
    gap_y: float,
) -> None:
    across = left + cols * label_w + (cols - 1) * gap_x
    down = top + rows * label_h + (rows - 1) * gap_y
    if across > 210.0 + 1e-6 or down > 297.0 + 1e-6:
        with pytest.raises(InvalidInput, match="overflow the page by"):
            custom_layout(rows, cols, label_w, label_h, top, left, gap_x, gap_y)
        return
    layout = custom_layout(rows, cols, label_w, label_h, top, left, gap_x, gap_y)
    boxes = cells(layout)
    assert len(boxes) == rows * cols
    for x0, y0, x1, y1 in boxes:
        assert x0 >= 0
        assert x1 <= 210.0 + 1e-6
        assert y0 >= 0
        assert y1 <= 297.0 + 1e-6
    # A regular grid: if no label overlaps its right or lower neighbour, none overlap.
    for index, box in enumerate(boxes):
        if index % cols + 1 < cols:
            assert not overlap(box, boxes[index + 1])
        if index + cols < len(boxes):
            assert not overlap(box, boxes[index + cols])


# --- QR size -----------------------------------------------------------------------


def test_qr_too_small_at_300_dpi_is_refused_with_the_smallest_size_that_works() -> None:
    with pytest.raises(InvalidInput, match="too small for its QR code at 300 dpi") as raised:
        check_qr_fits((30.0, 12.0), STAMP_URL)

    message = raised.value.message
    assert "49 × 49-module code with a 4-module quiet zone" in message
    assert "needs at least 0.254 mm (3 dots)" in message
    found = SIZE.search(message)
    assert found is not None
    width, height = float(found[1]), float(found[2])
    # The size named works, and it is the smallest (0.2 mm less does not).
    assert check_qr_fits((width, height), STAMP_URL) >= min_module_mm(300)
    assert width / height == pytest.approx(30 / 12, rel=0.02)
    with pytest.raises(InvalidInput, match="too small"):
        check_qr_fits((width - 0.2, height - 0.2), STAMP_URL)


def test_a_thermal_printer_at_203_dpi_needs_bigger_labels_than_avery_l7651() -> None:
    # 3 dots at 203 dpi are 0.375 mm; the 38.1 × 21.2 mm label gives 0.337 mm modules.
    layout = PRESETS["a4-5x13"]
    assert check_qr_fits(layout, STAMP_URL, dpi=300) == pytest.approx(19.2 / 57)

    with pytest.raises(InvalidInput, match="at 203 dpi") as raised:
        check_qr_fits(layout, STAMP_URL, dpi=203)

    found = SIZE.search(raised.value.message)
    assert found is not None
    assert check_qr_fits((float(found[1]), float(found[2])), STAMP_URL, dpi=203)


def test_a_short_url_fits_a_smaller_label() -> None:
    url = "HTTP://A.VN/T/ABC"  # version 1: 21 modules
    assert len(make_qr(url).matrix) == 21

    module = check_qr_fits((30.0, 12.0), url)

    assert module == pytest.approx(qr_square_mm(30.0, 12.0) / (21 + 2 * QUIET_ZONE_MODULES))


@pytest.mark.parametrize("dpi", [0, 71, 2401, True])
def test_check_refuses_a_silly_resolution(dpi: int) -> None:
    with pytest.raises(InvalidInput, match="72 to 2400 dpi"):
        check_qr_fits(PRESETS["a4-3x7"], STAMP_URL, dpi=dpi)


def test_check_refuses_a_url_that_cannot_be_a_qr_code() -> None:
    with pytest.raises(InvalidInput, match="alphanumeric mode"):
        check_qr_fits(PRESETS["a4-3x7"], STAMP_URL.lower())
