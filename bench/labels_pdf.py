"""PDF sticker sheets: ``write_pdf`` against a raster baseline; peak memory; QR encoders.

1. **Sheets.** The same labels (the stamps of a real print run of ``--count``, default
   10,000, from the demo world) on the same A4 3 × 7 sheet (Avery L7160), written twice
   in this process:

   - **A** ``write_pdf``: the streaming vector writer (:mod:`tem.labels.pdf`);
   - **B** (baseline) the straightforward way: each QR made with ``qrcode`` and saved as
     a PNG image, each page composed as a 300 dpi greyscale image with Pillow (the PNG
     pasted where the layout puts the QR, the same text lines drawn with the same
     bundled font), appended to the PDF page by page with ``Image.save(..., "PDF",
     append=True)``. (``save_all`` with ``append_images`` would hold every page
     image, 8.7 MB each, in memory at once: 4 GB for 10,000 labels.)

   Reported: labels per second (wall and CPU), bytes per label, and the ratios
   B-time / A-time and B-bytes / A-bytes. Aims: both at least 5.

2. **Peak memory** of ``write_pdf`` for ``--memory-count`` labels (default 100,000),
   the whole path ``tem labels print`` takes (``print_job``, the stamps streamed from
   SQLite, ``write_pdf`` to a file), in a child process that imports only that. The
   figure is the child's ``VmHWM`` (``/proc/self/status``) read just before it exits,
   with its RSS after each tenth of the labels to show it stays flat; ``ru_maxrss`` is
   recorded too but is not the figure, because Linux carries the high-water mark of the
   process that forked the child across ``exec``. Aim: under 300 MB.

3. **QR encoders.** ``segno`` and ``qrcode`` encode the same ``--encode-count`` stamp
   URLs (default 10,000) to a module matrix only (level M, one alphanumeric segment, the
   same version checked), interleaved in rounds. segno is timed as released and as Tem
   runs it, with the mask selector of :mod:`tem.labels.qrmask` (same mask, same matrix).
   zxing-cpp's encoder is timed too, for reference only: it is the tests' independent
   decoder.

Run: ``.venv/bin/python -m bench.labels_pdf [--count N] [--memory-count N] [--encode-count N]
[--quick] [--skip-memory]``. ``--quick`` is 1,000 / 10,000 / 1,000.
"""

from __future__ import annotations

import argparse
import importlib
import io
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import FrameType
from typing import Any, cast

from bench.report import (
    REPO_ROOT,
    load_average,
    machine,
    ratio,
    shown_path,
    table,
    utc_now,
    write_result,
)

NAME = "labels_pdf"
PRESET = "a4-3x7"
DPI = 300
GOAL_RATIO = 5.0
GOAL_MEMORY_MB = 300.0
DEFAULT_COUNT, DEFAULT_MEMORY_COUNT, DEFAULT_ENCODE_COUNT = 10_000, 100_000, 10_000
QUICK_COUNT, QUICK_MEMORY_COUNT, QUICK_ENCODE_COUNT = 1_000, 10_000, 1_000
ENCODE_ROUNDS = 4
MIN_RATE_PER_S = 5  # the memory child is stopped if slower than this (plus two minutes)
KIB = 1024
MIB = 1024 * 1024


def _status_kib(field: str) -> int | None:
    """A ``kB`` field (VmRSS, VmHWM) of ``/proc/self/status``; None where there is none."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


# --- labels -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    data_dir: Path
    public_url: str
    token: str  # the first cooperative's API token


def demo(data_dir: Path) -> Demo:
    from bench.world import cooperative_token, demo_world

    world = demo_world(data_dir)
    return Demo(data_dir, world.settings.public_url, cooperative_token(world.settings))


def settings_for(data_dir: Path, public_url: str) -> Any:
    from tem.config import Settings

    # Explicit, so that TEM_* variables can never point the benchmark at real data.
    return Settings(
        data_dir=data_dir, database_url=None, key_passphrase=None, public_url=public_url, demo=True
    )


def issue_run(world: Demo, count: int, request_key: str) -> str:
    """Issue a complete print run of ``count`` stamps for the first batch; its public id."""
    from bench.world import key_store, start_print_run
    from tem.db import make_engine, session_factory
    from tem.stamps.service import issue_chunks

    settings = settings_for(world.data_dir, world.public_url)
    engine = make_engine(settings)
    try:
        factory = session_factory(engine)
        run_pk = start_print_run(factory, world.token, count, request_key)
        run = issue_chunks(factory, key_store(settings), run_pk)
        return str(run.public_id)
    finally:
        engine.dispose()


def run_labels(world: Demo, run_id: str) -> list[Any]:
    """The run's labels, as ``tem labels print --run`` makes them, in memory."""
    from tem.db import make_engine, session_factory
    from tem.labels.export import job_labels, print_job
    from tem.orgs.service import authenticate

    engine = make_engine(settings_for(world.data_dir, world.public_url))
    try:
        with session_factory(engine)() as session:
            principal = authenticate(session, world.token)
            job = print_job(
                session, principal, batch_id=None, run_id=run_id, public_url=world.public_url
            )
            return list(job_labels(session, job, world.public_url))
    finally:
        engine.dispose()


# --- A and B ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    labels: int
    pages: int
    bytes: int
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return ratio(self.labels, self.wall_s)

    @property
    def cpu_rate(self) -> float:
        return ratio(self.labels, self.cpu_s)

    @property
    def bytes_per_label(self) -> float:
        return ratio(self.bytes, self.labels)

    def as_json(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "pages": self.pages,
            "bytes": self.bytes,
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "labels_per_s": round(self.rate, 1),
            "labels_per_cpu_s": round(self.cpu_rate, 1),
            "bytes_per_label": round(self.bytes_per_label, 1),
        }


def timed(write: Callable[[Path], int], path: Path, labels: int) -> Timing:
    from pypdf import PdfReader

    cpu = time.process_time()
    start = time.perf_counter()
    pages = write(path)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    read_pages = len(PdfReader(path).pages)
    if read_pages != pages:
        raise SystemExit(f"{path.name}: {read_pages} pages read back, {pages} written")
    return Timing(labels, pages, path.stat().st_size, wall, cpu)


def vector_pdf(labels: Sequence[Any], path: Path) -> int:
    """A: ``write_pdf`` (what ``tem labels print --format pdf`` calls)."""
    from tem.labels.pdf import write_pdf
    from tem.labels.sheets import PRESETS

    with path.open("wb") as out:
        stats = write_pdf(labels, PRESETS[PRESET], out, total=len(labels), dpi=DPI)
    return stats.pages


def zxing_matrix(url: str) -> Any:
    """A stand-in for ``make_qr``: the symbol from zxing-cpp's encoder, as segno's matrix."""
    import zxingcpp

    from tem.labels.qr import make_qr

    if len(url) > 221 or not url.isascii():
        return make_qr(url)  # its precise errors
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    side = image.shape[0]
    pixels = bytes(memoryview(cast(Any, image)))  # zxingcpp.Image has the buffer protocol
    dark = pixels.translate(bytes(1 if value < 128 else 0 for value in range(256)))

    @dataclass(frozen=True)
    class Symbol:
        matrix: tuple[bytes, ...]

    return Symbol(tuple(dark[row * side : (row + 1) * side] for row in range(side)))


def vector_pdf_zxing(labels: Sequence[Any], path: Path) -> int:
    """A': ``write_pdf`` unchanged but for the QR encoder (a what-if for choosing it)."""
    import tem.labels.pdf

    namespace = vars(tem.labels.pdf)  # write_pdf looks make_qr up here, label by label
    original = namespace["make_qr"]
    namespace["make_qr"] = zxing_matrix
    try:
        return vector_pdf(labels, path)
    finally:
        namespace["make_qr"] = original


def raster_pdf(labels: Sequence[Any], path: Path) -> int:
    """B: a QR PNG per label from ``qrcode``, pages composed at 300 dpi with Pillow."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont
    from qrcode.image.pil import PilImage

    from tem.labels.render import font_file, layout_label, pixel_measure
    from tem.labels.sheets import PRESETS

    layout = PRESETS[PRESET]
    px_per_mm = DPI / 25.4
    page_size = (round(layout.page_w_mm * px_per_mm), round(layout.page_h_mm * px_per_mm))
    measure = pixel_measure(px_per_mm)

    @lru_cache(maxsize=64)
    def font(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(io.BytesIO(font_file(bold)), size_px)

    @lru_cache(maxsize=64)
    def placed(key: Any, modules: int) -> Any:
        # Laid out once per text, as write_pdf does: only the URL and serial change.
        return layout_label(key, modules, measure, size=(layout.label_w_mm, layout.label_h_mm))

    pages = 0
    iterator = iter(labels)
    while page_labels := list(itertools.islice(iterator, layout.per_page)):
        page = Image.new("L", page_size, 255)
        draw = ImageDraw.Draw(page)
        for index, content in enumerate(page_labels):
            code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
            code.add_data(qrcode.util.QRData(content.url, mode=qrcode.util.MODE_ALPHA_NUM))
            code.make(fit=True)
            shape = "".join("0" if char.isalnum() else char for char in content.serial or "")
            where = placed(replace(content, url="", serial=shape or None), code.modules_count)
            code.box_size = max(1, int(where.module * px_per_mm))
            png = io.BytesIO()
            code.make_image(image_factory=PilImage).save(png)
            png.seek(0)
            x0, y0 = layout.label_origin(index)
            with Image.open(png) as symbol:
                at = (x0 + where.qr_x) * px_per_mm, (y0 + where.qr_y) * px_per_mm
                page.paste(symbol.convert("L"), (round(at[0]), round(at[1])))
            serial_start = 0
            for line in where.lines:
                text = line.text
                if line.field == "serial" and content.serial is not None:
                    text = content.serial[serial_start : serial_start + len(line.text)]
                    serial_start += len(line.text)
                xy = ((x0 + line.x) * px_per_mm, (y0 + line.baseline) * px_per_mm)
                draw.text(
                    xy, text, font=font(line.bold, line.size * px_per_mm), fill=0, anchor="ls"
                )
        page.save(path, "PDF", resolution=DPI, append=pages > 0)
        pages += 1
    return pages


def _decodes(pdf: Path, labels: Sequence[Any]) -> int:
    """How many labels of the first page, rasterized at 300 dpi, decode to their own URL."""
    import shutil

    import zxingcpp
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        return 0
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
    )
    (page,) = pdf.parent.glob(prefix.name + "-*.png")
    with Image.open(page) as image:
        found = {result.text for result in zxingcpp.read_barcodes(image)}
    page.unlink()
    return sum(label.url in found for label in labels[:21])


# --- encoders -----------------------------------------------------------------------------


def encoders(urls: Sequence[str], rounds: int) -> dict[str, Any]:
    """Seconds per encoder for all ``urls``, summed over interleaved rounds (ABC, CBA, ...)."""
    import qrcode
    import segno
    import zxingcpp

    from tem.labels import qrmask

    # tem.labels.qr installs a faster mask selector into segno (same mask, same matrix):
    # segno is timed as released and as Tem runs it.
    selectors = vars(importlib.import_module("segno.encoder"))
    stock, fast = qrmask.install(), qrmask.find_and_apply_best_mask

    def segno_with(selector: Callable[..., Any]) -> Callable[[str], int]:
        def encode(url: str) -> int:
            selectors["find_and_apply_best_mask"] = selector
            try:
                symbol = segno.make_qr(url, error="m", boost_error=False, mode="alphanumeric")
            finally:
                selectors["find_and_apply_best_mask"] = fast
            return len(symbol.matrix)

        return encode

    def with_qrcode(url: str) -> int:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(qrcode.util.QRData(url, mode=qrcode.util.MODE_ALPHA_NUM))
        code.make(fit=True)
        return len(code.get_matrix())

    def with_zxing(url: str) -> int:
        symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        return int(symbol.to_image(scale=1, add_quiet_zones=False).shape[0])

    candidates: dict[str, Callable[[str], int]] = {
        "segno": segno_with(stock),
        "qrcode": with_qrcode,
        "segno + tem.labels.qrmask (runtime)": segno_with(fast),
        "zxing-cpp (reference)": with_zxing,
    }
    # The same symbol size from each: the comparison is like for like.
    sizes = {name: encode(urls[0]) for name, encode in candidates.items()}
    if len(set(sizes.values())) != 1:
        raise SystemExit(f"the encoders disagree on the symbol size: {sizes}")
    seconds = dict.fromkeys(candidates, 0.0)
    share = max(1, len(urls) // rounds)
    for number in range(rounds):
        chunk = (
            urls[number * share : (number + 1) * share]
            if number < rounds - 1
            else urls[number * share :]
        )
        order = list(candidates) if number % 2 == 0 else list(reversed(candidates))
        for name in order:
            encode = candidates[name]
            start = time.perf_counter()
            for url in chunk:
                encode(url)
            seconds[name] += time.perf_counter() - start
    return {
        "urls": len(urls),
        "modules": next(iter(sizes.values())),
        "seconds": seconds,
        "per_second": {name: ratio(len(urls), value) for name, value in seconds.items()},
    }


# --- memory: the child ----------------------------------------------------------------------


def child(data_dir: Path, public_url: str, token: str, run_id: str, pdf: Path, out: Path) -> int:
    """Print the run to ``pdf`` as ``tem labels print`` does; write what it measured to ``out``."""
    # Imported here, so that the parent's imports never count in the child's figures.
    from tem.db import make_engine, session_factory, unit_of_work
    from tem.labels.export import job_labels, print_job
    from tem.labels.pdf import write_pdf
    from tem.labels.sheets import PRESETS
    from tem.orgs.service import authenticate

    engine = make_engine(settings_for(data_dir, public_url))
    baseline_kib = _status_kib("VmRSS")
    samples: list[dict[str, int | None]] = []
    total = 0
    next_tenth = 1

    def progress(done: int) -> None:
        nonlocal next_tenth
        if done * 10 >= next_tenth * total:
            samples.append(
                {"labels": done, "rss_kib": _status_kib("VmRSS"), "hwm_kib": _status_kib("VmHWM")}
            )
            next_tenth = done * 10 // total + 1

    cpu = time.process_time()
    start = time.perf_counter()
    with unit_of_work(session_factory(engine)) as session, pdf.open("wb") as handle:
        principal = authenticate(session, token)
        job = print_job(session, principal, batch_id=None, run_id=run_id, public_url=public_url)
        total = job.total
        stats = write_pdf(
            job_labels(session, job, public_url),
            PRESETS[PRESET],
            handle,
            total=total,
            progress=progress,
            title=job.title,
            dpi=DPI,
        )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    engine.dispose()
    result = {
        "labels": stats.labels,
        "pages": stats.pages,
        "bytes": stats.bytes,
        "wall_s": wall,
        "cpu_s": cpu,
        "baseline_rss_kib": baseline_kib,
        "samples": samples,
        "vmhwm_kib": _status_kib("VmHWM"),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


def measure_memory(world: Demo, run_id: str, count: int, tmp: Path) -> dict[str, Any]:
    out, pdf, log = tmp / "child.json", tmp / "child.pdf", tmp / "child.log"
    command = [sys.executable, "-m", "bench.labels_pdf", "--child", str(world.data_dir)]
    command += ["--public-url", world.public_url, "--token", world.token, "--run-id", run_id]
    command += ["--pdf", str(pdf), "--out", str(out)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEM_")}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=log_file
        )
        try:
            code = process.wait(timeout=120 + count / MIN_RATE_PER_S)
        except BaseException:
            process.kill()
            process.wait(10)
            raise
    if code != 0:
        raise SystemExit(f"the memory child failed ({code}):\n{log.read_text()[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    pdf.unlink(missing_ok=True)
    return result


# --- report -------------------------------------------------------------------------------


def _mb(kib: int | None) -> str:
    return "-" if kib is None else f"{kib * KIB / MIB:.1f}"


def render(a: Timing, b: Timing, a_zxing: Timing) -> str:
    rows = [
        ["A write_pdf (vector)", *_row(a)],
        ["B qrcode PNG + Pillow 300 dpi pages", *_row(b)],
        ["A' write_pdf, zxing-cpp encoder (what-if)", *_row(a_zxing)],
    ]
    return table(["", "labels/s", "labels/CPU s", "bytes/label", "pages", "MB", "wall s"], rows)


def _row(timing: Timing) -> list[str]:
    return [
        f"{timing.rate:,.1f}",
        f"{timing.cpu_rate:,.1f}",
        f"{timing.bytes_per_label:,.0f}",
        f"{timing.pages:,}",
        f"{timing.bytes / MIB:,.1f}",
        f"{timing.wall_s:,.1f}",
    ]


def _terminated(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.labels_pdf", description=__doc__)
    parser.add_argument("--count", type=int, default=None, help="labels in the A/B PDF")
    parser.add_argument("--memory-count", type=int, default=None, help="labels for peak memory")
    parser.add_argument("--encode-count", type=int, default=None, help="URLs per QR encoder")
    parser.add_argument("--quick", action="store_true", help="1,000 / 10,000 / 1,000")
    parser.add_argument("--skip-memory", action="store_true", help="no peak-memory child")
    parser.add_argument("--strict", action="store_true", help="exit 1 if an aim is missed")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--public-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", help=argparse.SUPPRESS)
    parser.add_argument("--pdf", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    if args.count is None:
        args.count = QUICK_COUNT if quick else DEFAULT_COUNT
    if args.memory_count is None:
        args.memory_count = QUICK_MEMORY_COUNT if quick else DEFAULT_MEMORY_COUNT
    if args.encode_count is None:
        args.encode_count = QUICK_ENCODE_COUNT if quick else DEFAULT_ENCODE_COUNT
    for name in ("count", "memory_count", "encode_count"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child(args.child, args.public_url, args.token, args.run_id, args.pdf, args.out)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.perf_counter()
    load_before = load_average()
    print(
        f"{NAME}: {args.count:,} stamps on {PRESET} sheets, write_pdf (A) vs qrcode PNG + "
        f"Pillow pages (B); peak memory at {args.memory_count:,}; QR encoders on "
        f"{args.encode_count:,} URLs\n",
        flush=True,
    )
    result: dict[str, Any] = {"benchmark": NAME, "date": utc_now(), "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="tem-bench-") as tmp_name:
        tmp = Path(tmp_name)
        world = demo(tmp / "data")
        run_id = issue_run(world, args.count, "bench-labels")
        labels = run_labels(world, run_id)
        print(f"{len(labels):,} stamps issued; writing A ...", flush=True)
        a = timed(lambda path: vector_pdf(labels, path), tmp / "a.pdf", len(labels))
        print(f"A: {a.rate:,.1f} labels/s; writing B ...", flush=True)
        b = timed(lambda path: raster_pdf(labels, path), tmp / "b.pdf", len(labels))
        print(f"B: {b.rate:,.1f} labels/s; writing A' ...", flush=True)
        a_zxing = timed(lambda path: vector_pdf_zxing(labels, path), tmp / "a2.pdf", len(labels))
        decoded = _decodes(tmp / "a2.pdf", labels)
        speed, size = ratio(b.wall_s, a.wall_s), ratio(b.bytes_per_label, a.bytes_per_label)
        cpu_speed = ratio(b.cpu_s, a.cpu_s)
        print()
        print(render(a, b, a_zxing))
        print(
            f"\nA' (zxing-cpp encoder): first page's {decoded} labels decode to their URLs "
            f"(pdftoppm at 300 dpi, zxing-cpp); B/A' time {ratio(b.wall_s, a_zxing.wall_s):.2f}× "
            "wall."
        )
        print(
            f"B/A time: {speed:.2f}× wall, {cpu_speed:.2f}× CPU (aim ≥ {GOAL_RATIO:g}: "
            f"{'met' if speed >= GOAL_RATIO else 'NOT MET'}). "
            f"B/A bytes: {size:.1f}× (aim ≥ {GOAL_RATIO:g}: "
            f"{'met' if size >= GOAL_RATIO else 'NOT MET'}).\n",
            flush=True,
        )
        result["sheets"] = {
            "preset": PRESET,
            "dpi": DPI,
            "a": "write_pdf(labels, PRESETS['a4-3x7'], file, total=N, dpi=300)",
            "b": "qrcode QR -> PNG -> pasted on a 300 dpi Pillow page; Image.save(PDF, append)",
            "a_result": a.as_json(),
            "b_result": b.as_json(),
            "a_zxing": "A with tem.labels.pdf.make_qr replaced by zxing-cpp's encoder",
            "a_zxing_result": a_zxing.as_json(),
            "a_zxing_first_page_decodes": decoded,
            "time_ratio_wall_b_over_a_zxing": round(ratio(b.wall_s, a_zxing.wall_s), 2),
            "time_ratio_wall": round(speed, 2),
            "time_ratio_cpu": round(cpu_speed, 2),
            "size_ratio": round(size, 2),
        }

        urls = [label.url for label in labels[: args.encode_count]]
        while len(urls) < args.encode_count:  # more URLs than labels: reuse them
            urls.extend(label.url for label in labels[: args.encode_count - len(urls)])
        print(f"QR encoders on {len(urls):,} URLs ...", flush=True)
        encoded = encoders(urls, ENCODE_ROUNDS)
        per_second = encoded["per_second"]
        print(
            table(
                ["encoder", "URLs/s", "ms/URL"],
                [
                    [name, f"{rate:,.1f}", f"{1000 / rate:.2f}" if rate else "-"]
                    for name, rate in per_second.items()
                ],
            )
        )
        fastest = max(("segno", "qrcode"), key=lambda name: per_second[name])
        other = "qrcode" if fastest == "segno" else "segno"
        print(
            f"\nFaster of the candidates: {fastest}, {ratio(per_second[fastest], per_second[other]):.2f}× "
            f"{other} (version {(encoded['modules'] - 17) // 4}, {encoded['modules']} modules).\n",
            flush=True,
        )
        result["encoders"] = {**encoded, "faster": fastest}

        if not args.skip_memory:
            memory_run = issue_run(world, args.memory_count, "bench-labels-memory")
            print(f"peak memory: {args.memory_count:,} labels in a child ...", flush=True)
            memory = measure_memory(world, memory_run, args.memory_count, tmp)
            peak_mb = memory["vmhwm_kib"] * KIB / MIB
            print(
                table(
                    ["labels done", "RSS MB", "VmHWM MB"],
                    [
                        [f"{s['labels']:,}", _mb(s["rss_kib"]), _mb(s["hwm_kib"])]
                        for s in memory["samples"]
                    ],
                )
            )
            print(
                f"\nPeak (VmHWM) {peak_mb:.1f} MB for {memory['labels']:,} labels, "
                f"{memory['pages']:,} pages, {memory['bytes'] / MIB:,.0f} MB, "
                f"{memory['labels'] / memory['wall_s']:,.1f} labels/s (aim < "
                f"{GOAL_MEMORY_MB:g} MB: {'met' if peak_mb < GOAL_MEMORY_MB else 'NOT MET'}; "
                f"RSS before printing {_mb(memory['baseline_rss_kib'])} MB)",
                flush=True,
            )
            result["memory"] = {**memory, "peak_mb": round(peak_mb, 1)}
    elapsed = time.perf_counter() - started
    result["load_average_1m"] = {"before": load_before, "after": load_average()}
    result["settings"] = {
        "count": args.count,
        "memory_count": None if args.skip_memory else args.memory_count,
        "encode_count": args.encode_count,
    }
    result["duration_s"] = round(elapsed, 1)
    met = speed >= GOAL_RATIO and size >= GOAL_RATIO
    if "memory" in result:
        met = met and result["memory"]["peak_mb"] < GOAL_MEMORY_MB
    result["goals_met"] = met
    path = write_result(NAME, result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"\n{NAME}: interrupted", file=sys.stderr)
        sys.exit(130)
