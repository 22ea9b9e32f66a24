"""GET …/labels.{pdf,zpl,zip,csv}: streamed in each format, 404 across cooperatives, 422 early."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.conftest import World
from tests.trace.test_flow import make_batch

RUN_SIZE = 25


@pytest.fixture
def printed(world: World) -> dict[str, Any]:
    """A batch with a complete print run of 25 stamps."""
    batch = make_batch(world, events=1)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": RUN_SIZE, "request_key": "api-labels"},
        headers=world.a,
    )
    assert run.status_code == 201, run.text
    stamps = world.client.get(f"/api/v1/print-runs/{run.json()['id']}/stamps.csv", headers=world.a)
    return {
        "batch": batch,
        "run": run.json(),
        "stamps": stamps.text,
        "urls": [row["url"] for row in csv.DictReader(io.StringIO(stamps.text))],
    }


def batch_url(printed: dict[str, Any], fmt: str) -> str:
    return f"/api/v1/batches/{printed['batch']['id']}/labels.{fmt}"


def run_url(printed: dict[str, Any], fmt: str) -> str:
    return f"/api/v1/print-runs/{printed['run']['id']}/labels.{fmt}"


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "pages"),
    [("", 2), ("?preset=a4-5x13", 1), ("?rows=4&cols=2&label_width=90&label_height=60", 4)],
)
def test_a_run_as_pdf_sheets_has_the_right_page_count(
    world: World, printed: dict[str, Any], query: str, pages: int
) -> None:
    response = world.client.get(run_url(printed, "pdf") + query, headers=world.a)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["x-label-count"] == str(RUN_SIZE)
    reader = PdfReader(io.BytesIO(response.content), strict=True)
    assert len(reader.pages) == pages
    assert "Trang 1/" in reader.pages[0].extract_text()


def test_a_batch_as_pdf_with_copies_crop_marks_and_no_page_numbers(
    world: World, printed: dict[str, Any]
) -> None:
    response = world.client.get(
        batch_url(printed, "pdf") + "?copies=22&crop_marks=true&page_numbers=false",
        headers=world.a,
    )
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # 21 on the first sheet, 1 on the second
    assert "Trang" not in reader.pages[0].extract_text()
    assert "Chè Shan\nTuyết cổ thụ" in reader.pages[0].extract_text()


@pytest.mark.parametrize(("dpi", "magnification"), [(203, 3), (300, 5)])
def test_a_run_as_zpl_carries_every_stamp_url(
    world: World, printed: dict[str, Any], dpi: int, magnification: int
) -> None:
    response = world.client.get(run_url(printed, "zpl") + f"?dpi={dpi}", headers=world.a)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.zebra.zpl")
    text = response.text
    assert text.count("^XA") == text.count("^XZ") == RUN_SIZE
    assert re.findall(r"\^FDMM,A(.*?)\^FS", text) == printed["urls"]
    assert set(re.findall(r"\^BQN,2,(\d+)", text)) == {str(magnification)}


@pytest.mark.parametrize("image", ["png", "svg"])
def test_a_run_as_a_zip_of_images(world: World, printed: dict[str, Any], image: str) -> None:
    response = world.client.get(run_url(printed, "zip") + f"?image={image}", headers=world.a)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert (
        f'filename="stamps-{printed["run"]["id"]}.zip"' in response.headers["content-disposition"]
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert len(names) == RUN_SIZE
        assert all(name.endswith(f".{image}") for name in names)
        if image == "png":
            with Image.open(io.BytesIO(archive.read(names[-1]))) as label:
                assert [r.text for r in zxingcpp.read_barcodes(label)] == [printed["urls"][-1]]


def test_a_run_as_csv_is_the_stamps_export(world: World, printed: dict[str, Any]) -> None:
    response = world.client.get(run_url(printed, "csv"), headers=world.a)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text == printed["stamps"]


def test_a_batch_as_zpl_and_csv(world: World, printed: dict[str, Any]) -> None:
    zpl = world.client.get(
        batch_url(printed, "zpl") + "?copies=3&width_mm=60&height_mm=40", headers=world.a
    )
    assert zpl.status_code == 200, zpl.text
    assert re.findall(r"\^FDMM,A(.*?)\^FS", zpl.text) == [printed["batch"]["label_url"]] * 3
    assert "^PW480" in zpl.text
    rows = list(
        csv.DictReader(
            io.StringIO(world.client.get(batch_url(printed, "csv"), headers=world.a).text)
        )
    )
    assert [(r["sequence"], r["url"]) for r in rows] == [("1", printed["batch"]["label_url"])]


# --- who may print --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "zpl", "zip", "csv"])
def test_another_cooperative_gets_404(world: World, printed: dict[str, Any], fmt: str) -> None:
    for url in (batch_url(printed, fmt), run_url(printed, fmt)):
        response = world.client.get(url, headers=world.b)
        assert response.status_code == 404, response.text


def test_only_the_owning_cooperative_prints_and_anonymous_may_not(
    world: World, printed: dict[str, Any]
) -> None:
    # L12: a stamp's URL is all it takes to print a valid stamp.
    for token in (world.inspector_token, world.authority_token):
        for url in (run_url(printed, "csv"), batch_url(printed, "zpl")):
            response = world.client.get(url, headers=world.auth(token))
            assert response.status_code == 403, response.text
            assert "cooperative that owns the batch" in response.json()["message"]
    assert world.client.get(run_url(printed, "csv")).status_code == 401


# --- refused before streaming -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "query", "message"),
    [
        ("pdf", "?rows=20&cols=10&label_width=20&label_height=14", "smallest label"),
        ("pdf", "?rows=8&cols=3&label_width=70&label_height=40", "overflow"),
        ("pdf", "?preset=a4-9x9", "no sheet preset"),
        ("pdf", "?preset=a4-3x7&rows=3", "not both"),
        ("pdf", "?rows=3", "missing"),
        ("pdf", "?image=png", "only for labels.zip"),
        ("zpl", "?width_mm=30&height_mm=20", "smallest label that works is"),
        ("zpl", "?dpi=250", "203, 300, 600"),
        ("zpl", "?preset=a4-3x7", "only for PDF"),
        ("csv", "?dpi=300", "printer's resolution"),
        ("pdf", "?rows=0", None),
        ("zip", "?image=gif", None),
        ("docx", "", None),
    ],
)
def test_bad_options_are_422_before_anything_streams(
    world: World, printed: dict[str, Any], fmt: str, query: str, message: str | None
) -> None:
    response = world.client.get(run_url(printed, fmt) + query, headers=world.a)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    if message is not None:
        assert re.search(message, response.json()["message"]), response.json()


def test_copies_out_of_range_are_422(world: World, printed: dict[str, Any]) -> None:
    for copies in (0, 10_001):
        response = world.client.get(
            batch_url(printed, "csv") + f"?copies={copies}", headers=world.a
        )
        assert response.status_code == 422


# --- the pipe from a blocking writer to a streamed body -----------------------------------
