"""What gets printed: a batch's label or a run's stamps, as a ZIP of SVG/PNG, a CSV, options.

Every label in the ZIP is read back by an independent decoder (zxing-cpp): a PNG as is,
an SVG by drawing its QR path, so each entry is shown to carry its own stamp's URL.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.orm import Session

from tem.errors import Conflict, Forbidden, InvalidInput, NotFound
from tem.labels import export
from tem.labels.render import LabelContent
from tem.labels.sheets import PRESETS
from tem.orgs.service import Principal, authenticate
from tests.conftest import World
from tests.trace.test_flow import make_batch

SVG = "{http://www.w3.org/2000/svg}"
RUN_SIZE = 25


@pytest.fixture
def printed(world: World) -> dict[str, Any]:
    """A batch with a complete print run of 25 stamps, and the run's CSV export."""
    batch = make_batch(world, events=1)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": RUN_SIZE, "request_key": "labels"},
        headers=world.a,
    )
    assert run.status_code == 201, run.text
    export_csv = world.client.get(
        f"/api/v1/print-runs/{run.json()['id']}/stamps.csv", headers=world.a
    )
    assert export_csv.status_code == 200
    return {"batch": batch, "run": run.json(), "csv": export_csv.text}


@contextmanager
def as_org(world: World, token: str) -> Iterator[tuple[Session, Principal]]:
    sessions = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        yield session, authenticate(session, token)


def stamps_by_seq(printed: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(printed["csv"])))


def svg_qr(document: bytes) -> Image.Image:
    """Draw an SVG label's QR path (``M x,y h w v1 h-w z`` runs in module units) at 8 px a module."""
    root = ET.fromstring(document)  # noqa: S314 - our own SVG
    path = next(p for p in root.iter(f"{SVG}path") if p.get("fill") == "#000")
    runs = [
        tuple(map(int, m)) for m in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\d+z", path.get("d", ""))
    ]
    size = max(x + w for x, _, w in runs) + 8
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    for x, y, w in runs:
        left, top = (x + 4) * scale, (y + 4) * scale
        image.paste(0, (left, top, left + w * scale, top + scale))
    return image


def decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    text: str = results[0].text
    return text


# --- sources ------------------------------------------------------------------------------


def test_a_run_gives_one_label_per_stamp_in_sequence(world: World, printed: dict[str, Any]) -> None:
    stamps = stamps_by_seq(printed)
    with as_org(world, world.coop_a_token) as (session, principal):
        total, labels = export.label_source(
            session,
            principal,
            batch_id=None,
            run_id=printed["run"]["id"],
            public_url=world.settings.public_url,
        )
        listed = list(labels)

    assert total == len(listed) == RUN_SIZE
    assert [label.url for label in listed] == [row["url"] for row in stamps]
    assert [label.serial for label in listed] == [row["serial"] for row in stamps]
    assert {label.product_name for label in listed} == {"Chè Shan Tuyết cổ thụ"}
    assert {label.lot_code for label in listed} == {"ST-2026-01"}
    assert {label.expiry_date for label in listed} == {"01/09/2027"}
    assert {label.ocop_stars for label in listed} == {4}


def test_a_batch_gives_its_label_copies_times(world: World, printed: dict[str, Any]) -> None:
    with as_org(world, world.coop_a_token) as (session, principal):
        total, labels = export.label_source(
            session,
            principal,
            batch_id=printed["batch"]["id"],
            run_id=None,
            public_url=world.settings.public_url,
            copies=3,
        )
        listed = list(labels)

    assert total == 3
    assert len(set(listed)) == 1
    assert listed[0].url == printed["batch"]["label_url"]
    assert listed[0].serial is None


@pytest.mark.parametrize(
    ("batch", "run", "copies", "message"),
    [
        (True, True, 1, "either a batch or a print run"),
        (False, False, 1, "either a batch or a print run"),
        (True, False, 0, "copies must be 1 to 10,000"),
        (True, False, 10_001, "copies must be 1 to 10,000"),
        (False, True, 2, "a print run prints each stamp once"),
    ],
)
def test_bad_combinations_are_refused(
    world: World, printed: dict[str, Any], batch: bool, run: bool, copies: int, message: str
) -> None:
    with (
        as_org(world, world.coop_a_token) as (session, principal),
        pytest.raises(InvalidInput, match=message),
    ):
        export.print_job(
            session,
            principal,
            batch_id=printed["batch"]["id"] if batch else None,
            run_id=printed["run"]["id"] if run else None,
            public_url=world.settings.public_url,
            copies=copies,
        )


def test_another_cooperative_finds_nothing_and_an_inspector_may_not_print(
    world: World, printed: dict[str, Any]
) -> None:
    for kind in ("batch", "run"):
        batch_id = printed["batch"]["id"] if kind == "batch" else None
        run_id = printed["run"]["id"] if kind == "run" else None
        public_url = world.settings.public_url
        with as_org(world, world.coop_b_token) as (session, principal), pytest.raises(NotFound):
            export.print_job(
                session, principal, batch_id=batch_id, run_id=run_id, public_url=public_url
            )
        with (
            as_org(world, world.inspector_token) as (session, principal),
            pytest.raises(Forbidden, match="cooperative that owns the batch"),
        ):
            export.print_job(
                session, principal, batch_id=batch_id, run_id=run_id, public_url=public_url
            )
        with as_org(world, world.coop_a_token) as (session, principal):
            job = export.print_job(
                session, principal, batch_id=batch_id, run_id=run_id, public_url=public_url
            )
        assert job.total == (1 if kind == "batch" else RUN_SIZE)


def test_a_recalled_batch_and_an_unfinished_run_are_not_printed(
    world: World, printed: dict[str, Any]
) -> None:
    from tem.stamps import service

    with as_org(world, world.coop_a_token) as (session, principal):
        run, _created = service.start_run(
            session, principal, printed["batch"]["id"], 5, "unfinished"
        )
        session.commit()
        with pytest.raises(Conflict, match=r"still being issued \(0 of 5 stamps\)"):
            export.print_job(
                session,
                principal,
                batch_id=None,
                run_id=run.public_id,
                public_url=world.settings.public_url,
            )
    recalled = world.client.post(
        f"/api/v1/batches/{printed['batch']['id']}/recall",
        json={"reason": "nhãn in sai hạn dùng"},
        headers=world.a,
    )
    assert recalled.status_code == 200, recalled.text
    with (
        as_org(world, world.coop_a_token) as (session, principal),
        pytest.raises(Conflict, match="recalled"),
    ):
        export.print_job(
            session,
            principal,
            batch_id=printed["batch"]["id"],
            run_id=None,
            public_url=world.settings.public_url,
        )


# --- ZIP ------------------------------------------------------------------------------------


def run_job(world: World, printed: dict[str, Any]) -> tuple[Session, export.PrintJob]:
    sessions = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    session = sessions()
    job = export.print_job(
        session,
        authenticate(session, world.coop_a_token),
        batch_id=None,
        run_id=printed["run"]["id"],
        public_url=world.settings.public_url,
    )
    return session, job


def test_a_zip_of_png_labels_each_scans_to_its_own_stamp(
    world: World, printed: dict[str, Any]
) -> None:
    stamps = stamps_by_seq(printed)
    session, job = run_job(world, printed)
    out = io.BytesIO()
    seen: list[int] = []
    with session:
        count = export.write_zip(
            export.job_labels(session, job, world.settings.public_url),
            out,
            "png",
            seen.append,
            total=job.total,
        )

    assert count == RUN_SIZE
    assert seen == [10, 20, 25]
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == [f"{i + 1:04d}-{row['serial']}.png" for i, row in enumerate(stamps)]
        for name, row in zip(names, stamps, strict=True):
            assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
            with Image.open(io.BytesIO(archive.read(name))) as image:
                assert decode(image) == row["url"]


def test_a_zip_of_svg_labels_each_carries_its_serial_and_url(
    world: World, printed: dict[str, Any]
) -> None:
    stamps = stamps_by_seq(printed)
    session, job = run_job(world, printed)
    out = io.BytesIO()
    with session:
        export.write_zip(
            export.job_labels(session, job, world.settings.public_url), out, "svg", total=25
        )

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        names = archive.namelist()
        assert len(names) == RUN_SIZE
        for name, row in zip(names, stamps, strict=True):
            assert name.endswith(f"-{row['serial']}.svg")
            assert archive.getinfo(name).compress_type == zipfile.ZIP_DEFLATED
            document = archive.read(name)
            root = ET.fromstring(document)  # noqa: S314 - our own SVG; it parses
            texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
            assert row["serial"].replace("-", "") in texts.replace("-", "").replace(" ", "")
            assert "Chè Shan Tuyết cổ thụ" in texts
            assert decode(svg_qr(document)) == row["url"]


class NonSeekable(io.RawIOBase):
    """What a streamed response is: bytes go out and cannot be taken back."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += data
        return len(data)


def test_a_zip_streams_to_an_output_that_cannot_seek(world: World, printed: dict[str, Any]) -> None:
    label = LabelContent(
        url=printed["batch"]["label_url"], product_name="Chè", ocop_stars=4, lot_code="ST-2026-01"
    )
    out = NonSeekable()
    assert export.write_zip([label] * 3, out, "svg") == 3  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(bytes(out.data))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["label-0001.svg", "label-0002.svg", "label-0003.svg"]
        assert len({archive.read(name) for name in archive.namelist()}) == 1


def test_an_empty_zip_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no labels"):
        export.write_zip([], io.BytesIO(), "png")


# --- CSV ------------------------------------------------------------------------------------


def test_the_print_shop_csv_is_the_stamps_export(world: World, printed: dict[str, Any]) -> None:
    session, job = run_job(world, printed)
    out = io.StringIO(newline="")
    with session:
        count = export.write_csv(export.job_rows(session, job, world.settings.public_url), out)

    assert count == RUN_SIZE
    assert out.getvalue() == printed["csv"]  # the same columns, rows and bytes


def test_a_batch_csv_has_a_row_per_copy_without_serial(
    world: World, printed: dict[str, Any]
) -> None:
    with as_org(world, world.coop_a_token) as (session, principal):
        job = export.print_job(
            session,
            principal,
            batch_id=printed["batch"]["id"],
            run_id=None,
            public_url=world.settings.public_url,
            copies=4,
        )
        out = io.BytesIO()
        export.write_job(session, job, export.print_options("csv"), out, public_url="unused")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert list(rows[0]) == list(export.CSV_COLUMNS)
    assert [row["sequence"] for row in rows] == ["1", "2", "3", "4"]
    assert {row["serial"] for row in rows} == {""}
    assert {row["url"] for row in rows} == {printed["batch"]["label_url"]}
    assert {row["batch"] for row in rows} == {printed["batch"]["id"]}


# --- options --------------------------------------------------------------------------------


def test_pdf_defaults_to_the_3x7_sheet_at_300_dpi() -> None:
    options = export.print_options("pdf")
    assert options.layout == PRESETS["a4-3x7"]
    assert options.dpi == 300
    assert options.page_numbers
    assert not options.crop_marks


def test_a_custom_grid_without_margins_is_centred() -> None:
    options = export.print_options("pdf", rows=5, cols=2, label_width=90, label_height=50, gap_x=4)
    layout = options.layout
    assert layout is not None
    assert layout.margin_left_mm == pytest.approx((210 - 184) / 2)
    assert layout.margin_top_mm == pytest.approx((297 - 250) / 2)
    assert (layout.rows, layout.cols, layout.gap_x_mm, layout.gap_y_mm) == (5, 2, 4, 0)


def test_zpl_defaults_to_50_by_30_at_203_dpi() -> None:
    options = export.print_options("zpl")
    assert (options.dpi, options.width_mm, options.height_mm, options.font) == (203, 50, 30, "0")


@pytest.mark.parametrize(
    ("fmt", "options", "message"),
    [
        ("docx", {}, "unknown format 'docx'"),
        ("pdf", {"preset_name": "a4-9x9"}, "no sheet preset 'a4-9x9'"),
        ("pdf", {"preset_name": "a4-3x7", "rows": 3}, "a preset .* or a custom grid, not both"),
        ("pdf", {"rows": 3, "cols": 2}, "missing: label width, label height"),
        ("pdf", {"rows": 8, "cols": 3, "label_width": 70, "label_height": 40}, "overflow"),
        ("pdf", {"width_mm": 50}, "only for ZPL"),
        ("zpl", {"preset_name": "a4-3x7"}, "preset: only for PDF"),
        ("zpl", {"crop_marks": True}, "crop marks: only for PDF"),
        ("zpl", {"dpi": 250}, "203, 300, 600 dpi"),
        ("zpl", {"font": "Arial"}, "printer font"),
        ("csv", {"dpi": 300}, "dpi is the printer's resolution"),
        ("png", {"page_numbers": False}, "page numbers: only for PDF"),
    ],
)
def test_options_of_another_format_or_bad_ones_are_refused(
    fmt: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        export.print_options(fmt, **options)


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("pdf", {"rows": 20, "cols": 10, "label_width": 20, "label_height": 14}),
        ("pdf", {"preset_name": "a4-5x13", "dpi": 203}),
        ("zpl", {"width_mm": 30, "height_mm": 20}),
    ],
)
def test_a_label_too_small_for_its_qr_is_refused_before_printing(
    world: World, printed: dict[str, Any], fmt: str, options: dict[str, Any]
) -> None:
    session, job = run_job(world, printed)
    with session, pytest.raises(InvalidInput, match=r"smallest label .*\d × \d"):
        export.check_job(
            session, job, export.print_options(fmt, **options), world.settings.public_url
        )
