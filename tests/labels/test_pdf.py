"""PDF sticker sheets: every QR scans after printing at 300 dpi, the text extracts with its
diacritics, the file is well formed, and memory does not grow with the number of labels."""

from __future__ import annotations

import io
import logging
import random
import re
import shutil
import subprocess
import tracemalloc
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from pypdf import PdfReader

from tem.errors import InvalidInput
from tem.labels.pdf import PdfStats, qr_rectangles, write_pdf
from tem.labels.qr import make_qr
from tem.labels.render import SCAN_TO_VERIFY, LabelContent
from tem.labels.sheets import PRESETS, SheetLayout, custom_layout
from tem.stamps.tokens import short_serial

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HONEY = "Mật ong bạc hà Mèo Vạc"
LOT = "MO-2026-031"
EXPIRY = "31/12/2027"
SHEET = PRESETS["a4-3x7"]
DPI = 300
PX_PER_MM = DPI / 25.4
A4_POINTS = [0, 0, 595.276, 841.89]
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
NEEDS_POPPLER = "pdftoppm/pdftotext missing: install poppler-utils (apt-get install poppler-utils)"
SIZE = re.compile(r"the smallest label of these proportions that fits it is ([\d.]+) × ([\d.]+) mm")


def stamps(count: int, seed: int = 4) -> Iterator[LabelContent]:
    """Stamp labels as a print run makes them, lazily: a 202-character URL each, all distinct."""
    rng = random.Random(seed)
    for _ in range(count):
        token = "".join(rng.choice(BASE32) for _ in range(184))
        yield LabelContent(
            url="HTTP://TEM.TEST/T/" + token,
            product_name=HONEY,
            ocop_stars=4,
            lot_code=LOT,
            expiry_date=EXPIRY,
            serial=short_serial(rng.randbytes(10)),
        )


def batch_labels(count: int, **changes: object) -> Iterator[LabelContent]:
    """Batch labels: the same URL and text on every label."""
    fields: dict[str, object] = {
        "url": "HTTP://TEM.TEST/T/" + BASE32 * 4,
        "product_name": HONEY,
        "ocop_stars": 4,
        "lot_code": LOT,
        "expiry_date": EXPIRY,
    }
    fields.update(changes)
    for _ in range(count):
        yield LabelContent(**fields)  # type: ignore[arg-type]


def pdf(labels: Iterator[LabelContent], layout: SheetLayout = SHEET, **options: object) -> bytes:
    out = io.BytesIO()
    write_pdf(labels, layout, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data), strict=True).pages]


def flat(text: str) -> str:
    """Extracted text with line breaks undone: wrapped names and split serials rejoined."""
    return " ".join(text.replace("-\n", "-").split())


class NullSink(io.RawIOBase):
    """An output that keeps nothing, so that only the writer's own memory is measured."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return len(data)  # type: ignore[arg-type]


# --- 1,000 stamps ------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    path: Path
    data: bytes
    labels: list[LabelContent]
    stats: PdfStats
    progress: list[int]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    labels = list(stamps(1000))
    assert len({label.url for label in labels}) == 1000
    path = tmp_path_factory.mktemp("pdf") / "stamps.pdf"
    progress: list[int] = []
    with path.open("wb") as out:
        stats = write_pdf(
            iter(labels), SHEET, out, total=1000, crop_marks=True, progress=progress.append
        )
    return Run(path, path.read_bytes(), labels, stats, progress)


def cell_at(x_px: float, y_px: float, layout: SheetLayout = SHEET) -> int | None:
    for index in range(layout.per_page):
        left, top = layout.label_origin(index)
        if (
            left * PX_PER_MM <= x_px <= (left + layout.label_w_mm) * PX_PER_MM
            and top * PX_PER_MM <= y_px <= (top + layout.label_h_mm) * PX_PER_MM
        ):
            return index
    return None


@pytest.mark.skipif(PDFTOPPM is None, reason=NEEDS_POPPLER)
def test_every_label_of_1000_scans_to_its_own_url_at_300_dpi(run: Run, tmp_path: Path) -> None:
    assert run.stats == PdfStats(pages=48, labels=1000, bytes=len(run.data))
    assert PDFTOPPM is not None
    # Rasterised as a 300 dpi printer would, greyscale (PGM: PNG encoding would only add
    # time), half the pages in each of two processes.
    files = [str(run.path), str(tmp_path / "page")]
    rasterisers = [
        subprocess.Popen(
            [PDFTOPPM, "-r", str(DPI), "-gray", "-f", str(first), "-l", str(last), *files]
        )
        for first, last in [(1, 24), (25, 48)]
    ]
    assert [process.wait(timeout=120) for process in rasterisers] == [0, 0]
    images = {int(re.findall(r"\d+", path.stem)[-1]): path for path in tmp_path.glob("*.pgm")}
    assert sorted(images) == list(range(1, 49))

    decoded: Counter[str] = Counter()
    for number, path in sorted(images.items()):
        with Image.open(path) as image:
            # A4 at 300 dpi: 2480.3 × 3507.9 px, rounded up.
            assert image.size == (2481, 3508)
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            if number == 1:
                # Nothing but the 21 QR codes, in any symbology: no text or crop mark
                # is read as a barcode.
                everything = zxingcpp.read_barcodes(image)
                assert sorted(r.text for r in everything) == sorted(r.text for r in results)
                assert {r.format for r in everything} == {zxingcpp.BarcodeFormat.QRCode}
        first = (number - 1) * SHEET.per_page
        assert len(results) == len(run.labels[first : first + SHEET.per_page])
        for result in results:
            corners = [result.position.top_left, result.position.bottom_right]
            cell = cell_at(sum(p.x for p in corners) / 2, sum(p.y for p in corners) / 2)
            assert cell is not None
            # Each code is in its own label's cell, and says exactly that label's URL.
            assert result.text == run.labels[first + cell].url
            assert result.ec_level == "M"
            decoded[result.text] += 1
    assert decoded == Counter(label.url for label in run.labels)


@pytest.mark.skipif(PDFTOPPM is None, reason=NEEDS_POPPLER)
@pytest.mark.parametrize("name", ["a4-3x8", "a4-4x10", "a4-5x13"])
def test_a_full_sheet_of_every_other_preset_scans_at_300_dpi(name: str, tmp_path: Path) -> None:
    # a4-5x13 is the tightest: 0.337 mm modules, 4 dots at 300 dpi.
    layout = PRESETS[name]
    labels = list(stamps(layout.per_page, seed=len(name)))
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf(iter(labels), layout, crop_marks=True))
    assert PDFTOPPM is not None
    subprocess.run(
        [PDFTOPPM, "-r", str(DPI), "-gray", str(path), str(tmp_path / "page")], check=True
    )
    (image_path,) = tmp_path.glob("*.pgm")

    with Image.open(image_path) as image:
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)

    assert sorted(result.text for result in results) == sorted(label.url for label in labels)
    for result in results:
        corners = [result.position.top_left, result.position.bottom_right]
        cell = cell_at(sum(p.x for p in corners) / 2, sum(p.y for p in corners) / 2, layout)
        assert cell is not None
        assert result.text == labels[cell].url


def test_text_extracts_with_vietnamese_diacritics(run: Run) -> None:
    reader = PdfReader(io.BytesIO(run.data), strict=True)

    first = reader.pages[0].extract_text()
    last = reader.pages[47].extract_text()

    assert unicodedata.is_normalized("NFC", first)
    assert flat(first).count(HONEY) == 21
    assert first.count(SCAN_TO_VERIFY) == 21
    assert first.count("★★★★☆ OCOP") == 21
    assert first.count(f"Lô: {LOT}") == 21
    assert first.count(f"HSD: {EXPIRY}") == 21
    for label in run.labels[:21]:
        assert label.serial is not None
        assert label.serial in flat(first)
    assert "Trang 1/48" in first
    assert "Trang 48/48" in last
    assert flat(last).count(HONEY) == 1000 - 47 * 21
    assert run.labels[-1].serial in flat(last)


@pytest.mark.skipif(PDFTOTEXT is None, reason=NEEDS_POPPLER)
def test_pdftotext_reads_the_same_text(run: Run) -> None:
    assert PDFTOTEXT is not None
    text = subprocess.run(
        [PDFTOTEXT, "-f", "2", "-l", "2", "-enc", "UTF-8", str(run.path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()

    assert flat(text).count(HONEY) == 21
    assert text.count(SCAN_TO_VERIFY) == 21
    assert "Trang 2/48" in text


def test_the_pdf_parses_strictly_without_warnings(
    run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = PdfReader(io.BytesIO(run.data), strict=True)
        pages = list(reader.pages)
        for page in (pages[0], pages[-1]):
            page.extract_text()

    assert caplog.records == []
    assert len(pages) == 48
    assert reader.pdf_header == "%PDF-1.7"
    assert [float(value) for value in pages[0].mediabox] == pytest.approx(A4_POINTS, abs=1e-3)
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/PrintScaling"] == "/None"
    assert reader.metadata is not None
    assert reader.metadata.title == "Tem labels"
    fonts = pages[0]["/Resources"]["/Font"]
    base_fonts = sorted(fonts[name]["/BaseFont"] for name in fonts)
    # §9.6.4: a subset is named with a tag of six capitals and "+".
    assert [re.sub(r"^/[A-Z]{6}\+", "", font) for font in base_fonts] == [
        "DejaVuSans",
        "DejaVuSans-Bold",
    ]
    for name in fonts:
        assert fonts[name]["/Encoding"] == "/Identity-H"
        assert "/ToUnicode" in fonts[name]


def test_cross_reference_offsets_point_at_their_objects(run: Run) -> None:
    data = run.data
    assert data.startswith(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    tail = re.search(rb"startxref\n(\d+)\n%%EOF\n\Z", data)
    assert tail is not None
    xref_at = int(tail[1])
    header = re.match(rb"xref\n0 (\d+)\n", data[xref_at:])
    assert header is not None
    size = int(header[1])
    table = data[xref_at + header.end() : xref_at + header.end() + 20 * size]
    entries = [table[i : i + 20] for i in range(0, len(table), 20)]
    assert entries[0] == b"0000000000 65535 f \n"
    for number, entry in enumerate(entries[1:], start=1):
        assert re.fullmatch(rb"\d{10} 00000 n \n", entry)
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number)
    assert data[xref_at + header.end() + 20 * size :].startswith(b"trailer\n<< /Size %d " % size)
    # Every object is in the table once, and the table lists nothing else.
    assert len(re.findall(rb"(?m)^\d+ 0 obj$", data)) == size - 1


def test_each_font_is_embedded_once_and_subset(run: Run) -> None:
    assert run.data.count(b"/FontFile2 ") == 2
    assert run.data.count(b"/Subtype /CIDFontType2") == 2
    assert run.data.count(b"/CIDToGIDMap /Identity") == 2
    # A page is a few KB: the QR runs, not the fonts.
    assert run.stats.bytes / run.stats.labels < 2500


def test_progress_is_reported_after_each_page(run: Run) -> None:
    assert run.progress == [*range(21, 1000, 21), 1000]


# --- layout on the page ------------------------------------------------------------


LINE = re.compile(rb"(-?[\d.]+) (-?[\d.]+) m (-?[\d.]+) (-?[\d.]+) l")


def content_streams(data: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages]  # type: ignore[union-attr]


@pytest.mark.parametrize("layout", list(PRESETS.values()), ids=list(PRESETS))
def test_crop_marks_sit_in_the_margins_on_every_label_edge(layout: SheetLayout) -> None:
    data = pdf(batch_labels(layout.per_page), layout, crop_marks=True, total=layout.per_page)

    (stream,) = content_streams(data)
    ticks = [tuple(float(value) for value in line) for line in LINE.findall(stream)]
    xs = {round(x0, 3) for x0, _, x1, _ in ticks if x0 == x1}
    ys = {round(y0, 3) for _, y0, _, y1 in ticks if y0 == y1}
    assert len(xs) == len({round(v, 3) for i in range(layout.cols) for v in column(layout, i)})
    assert len(ys) == len({round(v, 3) for i in range(layout.rows) for v in row(layout, i)})
    for x0, y0, x1, y1 in ticks:
        assert min(x0, x1) > 0
        assert max(x0, x1) < layout.page_w_mm
        assert min(y0, y1) > 0
        assert max(y0, y1) < layout.page_h_mm
        for index in range(layout.per_page):
            left, top = layout.label_origin(index)
            right, bottom = left + layout.label_w_mm, top + layout.label_h_mm
            # Outside every label: marks are cut off or printed on the backing sheet.
            assert (
                max(x0, x1) <= left
                or min(x0, x1) >= right
                or max(y0, y1) <= top
                or min(y0, y1) >= bottom
            )


def column(layout: SheetLayout, index: int) -> tuple[float, float]:
    left = layout.label_origin(index)[0]
    return left, left + layout.label_w_mm


def row(layout: SheetLayout, index: int) -> tuple[float, float]:
    top = layout.label_origin(index * layout.cols)[1]
    return top, top + layout.label_h_mm


def test_no_crop_marks_unless_asked() -> None:
    (stream,) = content_streams(pdf(batch_labels(21)))

    assert LINE.findall(stream) == []
    assert b" S" not in stream


def test_page_numbers_count_the_pages_when_the_total_is_known() -> None:
    texts = page_texts(pdf(batch_labels(30), total=30))

    assert [re.findall(r"Trang \S+", text) for text in texts] == [["Trang 1/2"], ["Trang 2/2"]]


def test_page_numbers_without_a_total() -> None:
    texts = page_texts(pdf(batch_labels(30)))

    assert [re.findall(r"Trang \S+", text) for text in texts] == [["Trang 1"], ["Trang 2"]]


def test_no_page_numbers_when_turned_off() -> None:
    texts = page_texts(pdf(batch_labels(30), page_numbers=False))

    assert len(texts) == 2
    assert all("Trang" not in text for text in texts)


def test_a_partial_last_page_holds_the_rest() -> None:
    data = pdf(batch_labels(22))

    texts = page_texts(data)
    assert [text.count(SCAN_TO_VERIFY) for text in texts] == [21, 1]


def test_the_same_labels_give_the_same_bytes() -> None:
    assert pdf(stamps(25)) == pdf(stamps(25))


def test_text_is_nfc_and_a_character_without_a_glyph_is_drawn_from_its_parts() -> None:
    # "≠" has no glyph of its own in the bundled subset but "=" and U+0338 are there;
    # "茶" has none at all and becomes an empty box, leaving the rest of the name intact.
    name = unicodedata.normalize("NFD", "Mật ong ≠ đường 茶")

    (text,) = page_texts(pdf(batch_labels(1, product_name=name)))

    flattened = unicodedata.normalize("NFC", flat(text))
    assert "Mật ong ≠ đường" in flattened


# --- refusals ----------------------------------------------------------------------


def test_a_label_too_small_for_its_qr_is_refused_before_anything_is_written() -> None:
    out = io.BytesIO()
    tiny = custom_layout(20, 6, 30.0, 12.0, 10.0, 10.0, 2.0, 1.0)

    with pytest.raises(InvalidInput, match=r"the smallest label that works is 41\.2 × 16\.5 mm"):
        write_pdf(stamps(5), tiny, out)
    assert out.getvalue() == b""


def test_a_label_too_small_for_its_text_names_the_size_that_fits() -> None:
    long_name = HONEY + " loại đặc biệt của hợp tác xã Mèo Vạc, Hà Giang, thu hoạch mùa xuân"
    content = next(batch_labels(1, url="HTTP://A.VN/T/ABC", product_name=long_name))
    small = custom_layout(20, 5, 32.0, 12.0, 10.0, 10.0, 2.0, 1.0)
    out = io.BytesIO()

    with pytest.raises(InvalidInput, match="label 1 does not fit on a 32 × 12 mm label") as raised:
        write_pdf([content], small, out)

    assert out.getvalue() == b""
    assert "too long to fit on the label even in small print" in raised.value.message
    found = SIZE.search(raised.value.message)
    assert found is not None
    width, height = float(found[1]), float(found[2])
    assert 32 < width < 64
    fits = custom_layout(1, 1, width, height, 10.0, 10.0, 0, 0)
    (text,) = page_texts(pdf(iter([content]), fits))
    assert long_name in flat(text)


def test_no_labels_is_refused() -> None:
    out = io.BytesIO()

    with pytest.raises(InvalidInput, match="there are no labels to print"):
        write_pdf(iter([]), SHEET, out)
    assert out.getvalue() == b""


@pytest.mark.parametrize(("count", "total"), [(20, 21), (22, 21)])
def test_a_wrong_total_is_a_programming_error(count: int, total: int) -> None:
    with pytest.raises(ValueError, match="total"):
        write_pdf(batch_labels(count), SHEET, io.BytesIO(), total=total)


# --- streaming ---------------------------------------------------------------------


class Stop(Exception):
    pass


def test_labels_are_pulled_one_page_at_a_time() -> None:
    pulled = 0

    def endless() -> Iterator[LabelContent]:
        nonlocal pulled
        for label in batch_labels(100_000):
            pulled += 1
            yield label

    def stop_after_first_page(done: int) -> None:
        assert done == pulled == SHEET.per_page
        raise Stop

    with pytest.raises(Stop):
        write_pdf(endless(), SHEET, NullSink(), total=100_000, progress=stop_after_first_page)
    assert pulled == SHEET.per_page


def short_stamps(count: int) -> Iterator[LabelContent]:
    # Distinct URLs and serials, short enough (version 1) to keep the test quick.
    for index in range(count):
        yield LabelContent(
            url=f"HTTP://T.VN/T/{index:06d}",
            product_name=HONEY,
            ocop_stars=4,
            lot_code=LOT,
            expiry_date=EXPIRY,
            serial=short_serial(index.to_bytes(10, "big")),
        )


def peak_memory(count: int) -> int:
    tracemalloc.start()
    try:
        stats = write_pdf(short_stamps(count), SHEET, NullSink(), total=count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert stats.labels == count


def test_memory_does_not_grow_with_the_number_of_labels() -> None:
    write_pdf(short_stamps(42), SHEET, NullSink())  # fonts and caches loaded once

    small = peak_memory(200)
    large = peak_memory(2000)

    assert large - small < 2_000_000, (small, large)


# --- QR drawing --------------------------------------------------------------------


RECTANGLE = re.compile(r"(\d+) (\d+) (\d+) (\d+) re\n")


def paint(operators: str, side: int) -> list[list[int]]:
    painted = [[0] * side for _ in range(side)]
    assert "".join(m[0] for m in RECTANGLE.finditer(operators)) == operators
    for match in RECTANGLE.finditer(operators):
        column, top, width, height = (int(value) for value in match.groups())
        assert width >= 1
        assert height >= 1
        for y in range(top, top + height):
            for x in range(column, column + width):
                painted[y][x] += 1
    return painted


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.lists(st.binary(min_size=n, max_size=n), min_size=n, max_size=n)
    )
)
def test_rectangles_paint_every_dark_module_exactly_once(rows: list[bytes]) -> None:
    matrix = [bytes(1 if byte & 1 else 0 for byte in row) for row in rows]

    painted = paint(qr_rectangles(matrix), len(matrix))

    assert painted == [list(row) for row in matrix]


def test_rectangles_of_a_real_symbol_decode() -> None:
    url = "HTTP://TEM.TEST/T/" + BASE32 * 4
    matrix = make_qr(url).matrix
    painted = paint(qr_rectangles(matrix), len(matrix))
    scale, quiet = 4, 4
    side = (len(matrix) + 2 * quiet) * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for y, cells in enumerate(painted):
        for x, cell in enumerate(cells):
            if cell:
                left, top = (x + quiet) * scale, (y + quiet) * scale
                draw.rectangle((left, top, left + scale - 1, top + scale - 1), fill=0)

    (result,) = zxingcpp.read_barcodes(image)
    assert result.text == url
    assert len(qr_rectangles(matrix).splitlines()) < sum(map(sum, matrix)) / 2
