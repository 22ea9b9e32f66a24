"""`tem labels print` as an operator uses it: every format for a batch and for a print run."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_main import batch, env, tem
from tests.cli.test_stamps import tem_json

__all__ = ["batch", "env"]

RUN_SIZE = 25


@pytest.fixture
def run(env: dict[str, str], batch: dict[str, str]) -> dict[str, object]:
    """A complete print run of 25 stamps for the batch, and its CSV export."""
    issued = tem_json(
        env, "stamps", "issue", "--org", batch["org"], "--batch", "ST-01", "--count", "25", "--json"
    )
    exported = tem(env, "stamps", "export", "--org", batch["org"], str(issued["id"]))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == RUN_SIZE
    return {"id": issued["id"], "csv": exported, "urls": [row["url"] for row in rows]}


def print_labels(env: dict[str, str], org: str, *args: str, code: int = 0) -> str:
    return tem(env, "labels", "print", "--org", org, *args, code=code)


# --- every format --------------------------------------------------------------------------


def test_a_run_as_pdf_sheets(
    env: dict[str, str], batch: dict[str, str], run: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "stamps.pdf"
    output = print_labels(
        env, batch["org"], "--run", str(run["id"]), "--format", "pdf", "--out", str(target)
    )
    assert "25 labels on 2 pages written to" in output
    reader = PdfReader(target, strict=True)
    assert len(reader.pages) == 2
    assert "Trang 2/2" in reader.pages[1].extract_text()
    assert not list(tmp_path.glob("*.part"))


def test_a_batch_on_a_custom_grid_with_crop_marks(
    env: dict[str, str], batch: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "labels.pdf"
    print_labels(
        env,
        batch["org"],
        "--batch",
        "ST-01",
        "--copies",
        "9",
        "--format",
        "pdf",
        "--rows",
        "4",
        "--cols",
        "2",
        "--label-width",
        "90",
        "--label-height",
        "60",
        "--crop-marks",
        "--no-page-numbers",
        "--out",
        str(target),
    )
    reader = PdfReader(target)
    assert len(reader.pages) == 2  # 8 on a sheet
    assert "Trang" not in reader.pages[0].extract_text()
    assert "Chè Shan Tuyết" in reader.pages[0].extract_text()


@pytest.mark.parametrize(("dpi", "magnification"), [("203", "3"), ("300", "5")])
def test_a_run_as_zpl(
    env: dict[str, str],
    batch: dict[str, str],
    run: dict[str, object],
    tmp_path: Path,
    dpi: str,
    magnification: str,
) -> None:
    target = tmp_path / "stamps.zpl"
    print_labels(
        env,
        batch["org"],
        "--run",
        str(run["id"]),
        "--format",
        "zpl",
        "--dpi",
        dpi,
        "--font",
        "E:TT0003M_.TTF",
        "--out",
        str(target),
    )
    text = target.read_text(encoding="ascii")
    assert text.count("^XA") == text.count("^XZ") == RUN_SIZE
    assert re.findall(r"\^FDMM,A(.*?)\^FS", text) == run["urls"]
    assert set(re.findall(r"\^BQN,2,(\d+)", text)) == {magnification}
    assert "^A@N," in text


def test_a_run_as_a_zip_of_png_and_one_of_them_verifies(
    env: dict[str, str], batch: dict[str, str], run: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "stamps.zip"
    print_labels(
        env, batch["org"], "--run", str(run["id"]), "--format", "png", "--out", str(target)
    )
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == RUN_SIZE
        photo = tmp_path / "label.png"
        photo.write_bytes(archive.read(names[3]))
    output = tem(env, "verify", "--image", str(photo))
    assert "GENUINE" in output


def test_a_run_as_a_zip_of_svg(
    env: dict[str, str], batch: dict[str, str], run: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "stamps.zip"
    print_labels(
        env, batch["org"], "--run", str(run["id"]), "--format", "svg", "--out", str(target)
    )
    with zipfile.ZipFile(target) as archive:
        assert len(archive.namelist()) == RUN_SIZE
        assert archive.namelist()[0].startswith("0001-")


def test_a_single_batch_label_as_svg_is_the_image_itself(
    env: dict[str, str], batch: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "label.svg"
    print_labels(env, batch["org"], "--batch", "ST-01", "--format", "svg", "--out", str(target))
    assert target.read_bytes().startswith(b"<?xml")


def test_a_run_as_csv_is_the_stamps_export(
    env: dict[str, str], batch: dict[str, str], run: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "stamps.csv"
    print_labels(
        env, batch["org"], "--run", str(run["id"]), "--format", "csv", "--out", str(target)
    )
    assert target.read_text(encoding="utf-8") == run["csv"]


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "give --batch"),
        (["--batch", "ST-01", "--run", "x", "--format", "pdf"], "not both"),
        (["--run", "some-run", "--copies", "2", "--format", "pdf"], "prints each stamp once"),
        (["--batch", "ST-01", "--format", "docx"], "unknown format"),
        (["--batch", "ST-01", "--format", "zpl", "--preset", "a4-3x7"], "only for PDF"),
        (["--batch", "ST-01", "--format", "pdf", "--width-mm", "40"], "only for ZPL"),
        (["--batch", "ST-01", "--format", "pdf", "--preset", "a4-3x7", "--rows", "2"], "not both"),
        (["--batch", "ST-01", "--format", "pdf", "--copies", "0"], "copies must be 1 to 10,000"),
        (
            ["--batch", "ST-01", "--format", "zpl", "--width-mm", "30", "--height-mm", "20"],
            r"smallest label that works is [\d.]+ × [\d.]+ mm",
        ),
        (
            ["--batch", "ST-01", "--format", "pdf", "--preset", "a4-5x13", "--dpi", "203"],
            "too small for its QR code at 203 dpi",
        ),
        (["--batch", "ST-01", "--copies", "3", "--format", "png"], "ending in .zip"),
    ],
)
def test_bad_combinations_and_small_labels_exit_2(
    env: dict[str, str], batch: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    output = print_labels(env, batch["org"], *args, "--out", str(folder / "labels.bin"), code=2)
    assert re.search(message, " ".join(output.split())), output
    assert list(folder.iterdir()) == []  # nothing written, not even a .part


def test_another_cooperative_cannot_print_and_nothing_is_written(
    env: dict[str, str], batch: dict[str, str], run: dict[str, object], tmp_path: Path
) -> None:
    other = json.loads(
        tem(
            env,
            "org",
            "create",
            "--kind",
            "cooperative",
            "--name",
            "HTX khác",
            "--province",
            "Hà Giang",
            "--district",
            "Mèo Vạc",
            "--commune",
            "Pả Vi",
            "--json",
        )
    )
    target = tmp_path / "x.pdf"
    output = print_labels(
        env, other["id"], "--run", str(run["id"]), "--format", "pdf", "--out", str(target), code=3
    )
    assert "no print run" in output
    assert not target.exists()
