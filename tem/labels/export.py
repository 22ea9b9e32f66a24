"""What to print and in which format: a batch's label or a print run's stamps, streamed.

One path for the CLI (``tem labels print``) and the API (``…/labels.{fmt}``):

1. :func:`print_job` finds the batch or the run the caller may see and checks it can be
   printed (plain values only, so it outlives the session that found it);
2. :func:`print_options` checks the format's options and builds the sticker sheet;
3. :func:`check_job` renders the first label in the target format and throws it away,
   so a label too small for its QR or its text is refused before a byte is written;
4. :func:`write_job` streams every label: PDF sheets (:mod:`tem.labels.pdf`), ZPL
   (:mod:`tem.labels.zpl`), a ZIP of SVG or PNG labels (:func:`write_zip`) or a CSV for
   a print shop (:func:`write_csv`).

Every writer consumes its labels lazily; a print run's stamps come from the database in
pages, so memory does not grow with it. Given a session factory rather than a session,
each page is read in a short session of its own
(:func:`tem.stamps.service.stream_run_stamps`): a download that a client reads slowly,
or not at all, then holds no database connection while it waits.

Printable outputs (labels and the print shop's CSV, i.e. every stamp's URL) are for the
cooperative that owns the batch only: whoever holds them can print valid stamps.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO, Final, Literal, TextIO, cast, get_args

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from tem.errors import Conflict, Forbidden, InvalidInput, NotFound
from tem.labels import zpl
from tem.labels.pdf import write_pdf
from tem.labels.render import LabelContent, clean_text, label_png, label_svg
from tem.labels.service import label_content
from tem.labels.sheets import PAGE_SIZES, PRESETS, SheetLayout, custom_layout, preset
from tem.models import Batch, PrintRun, Role, RunStatus
from tem.orgs.service import Principal
from tem.stamps.service import StampRow, get_run, iter_run_stamps, stream_run_stamps
from tem.trace.service import get_batch

Format = Literal["pdf", "zpl", "svg", "png", "csv"]
FORMATS: Final[tuple[str, ...]] = get_args(Format)
ImageFormat = Literal["svg", "png"]

MAX_COPIES: Final = 10_000
DEFAULT_PRESET: Final = "a4-3x7"
DEFAULT_PDF_DPI: Final = 300  # an office laser or ink-jet printer
CSV_COLUMNS: Final = ("serial", "url", "batch", "sequence")
"""The columns of ``GET /print-runs/{id}/stamps.csv`` and ``tem stamps export``."""

Progress = Callable[[int], None]
Source = Session | sessionmaker[Session]
"""Where a run's stamps are read: a session (read within it, as the CLI does) or a factory
(each page in a short session of its own, as a streamed download does)."""


# --- what to print ---------------------------------------------------------------------


@dataclass(frozen=True)
class PrintJob:
    """A batch's label ``copies`` times, or every stamp of a print run, once each.

    ``label`` is the batch's label (from its signed record); a stamp's label is the same
    with the stamp's URL and short serial.
    """

    label: LabelContent
    batch_pk: int
    batch_hex: str
    lot_code: str
    copies: int = 1
    run_pk: int | None = None
    run_id: str | None = None
    total: int = 1

    @property
    def title(self) -> str:
        """The document title: product and lot, and the run for stamps."""
        title = f"{clean_text(self.label.product_name)} · Lô {clean_text(self.lot_code)}"
        return title if self.run_id is None else f"{title} · {self.run_id}"

    @property
    def file_stem(self) -> str:
        """A file name without extension, safe in a header: ``labels-ST-2026-01``, ``stamps-…``."""
        name = f"stamps-{self.run_id}" if self.run_id is not None else f"labels-{self.lot_code}"
        return "".join(char if char.isascii() and char.isalnum() else "-" for char in name)


@dataclass(frozen=True)
class PrintRow:
    """One line of the print shop's CSV (see :data:`CSV_COLUMNS`); no serial on a batch label."""

    sequence: int
    serial: str
    url: str
    batch: str


def print_job(
    session: Session,
    principal: Principal,
    *,
    batch_id: str | None,
    run_id: str | None,
    public_url: str,
    copies: int = 1,
) -> PrintJob:
    """The labels to print: the batch ``batch_id`` (hex id) or the print run ``run_id``.

    Only the batch's or run's own cooperative may print them (:func:`require_printer`).

    Raises:
        InvalidInput: neither or both of a batch and a run are given, ``copies`` is not
            1 to 10,000, or copies are asked of a print run (each stamp prints once).
        Forbidden: the caller is not a cooperative.
        NotFound: no such batch or run, or it is another cooperative's.
        Conflict: the batch is recalled, or the run is still being issued.
    """
    require_printer(principal)
    if (batch_id is None) == (run_id is None):
        raise InvalidInput("give either a batch or a print run to print", field="batch")
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        raise InvalidInput(f"copies must be 1 to {MAX_COPIES:,}", field="copies")
    run: PrintRun | None = None
    if run_id is not None:
        if copies != 1:
            raise InvalidInput(
                "copies are for a batch label; a print run prints each stamp once",
                field="copies",
            )
        run = get_run(session, principal, run_id)
        found = session.get(Batch, run.batch_id)
        if found is None:  # pragma: no cover - foreign key
            raise NotFound("no batch for that print run")
        batch = found
        if run.status is not RunStatus.COMPLETE:
            raise Conflict(
                f"print run {run.public_id} is still being issued ({run.issued} of "
                f"{run.requested} stamps); finish it (tem stamps resume) before printing"
            )
    else:
        assert batch_id is not None
        batch = get_batch(session, principal, batch_id)
    if batch.recalled_at is not None:
        raise Conflict(f"batch {batch.lot_code} is recalled: its labels must not be printed")
    return PrintJob(
        label=label_content(batch, public_url),
        batch_pk=batch.id,
        batch_hex=batch.public_id.hex(),
        lot_code=batch.lot_code,
        copies=copies,
        run_pk=None if run is None else run.id,
        run_id=None if run is None else run.public_id,
        total=copies if run is None else run.issued,
    )


def require_printer(principal: Principal) -> None:
    """Printable outputs are for cooperatives, each for its own batches only.

    A stamp's URL is all it takes to print a valid stamp, so neither an inspector nor
    an authority may download labels or the print shop's CSV; the lookups that follow
    (:func:`tem.trace.service.get_batch`, :func:`tem.stamps.service.get_run`) keep a
    cooperative to its own.

    Raises:
        Forbidden: the caller is not a cooperative.
    """
    if principal.role is not Role.COOPERATIVE:
        raise Forbidden("labels and stamp lists are printed by the cooperative that owns the batch")


def stamps_job(session: Session, principal: Principal, run_id: str, public_url: str) -> PrintJob:
    """Every stamp issued so far in the run ``run_id``, for its CSV (``stamps.csv``).

    Unlike :func:`print_job` this lists a run still being issued, or of a recalled batch,
    as it stands: the list is a record of what was issued, not a request to print.

    Raises:
        Forbidden: the caller is not a cooperative.
        NotFound: no such run, or it is another cooperative's.
    """
    require_printer(principal)
    run = get_run(session, principal, run_id)
    batch = session.get(Batch, run.batch_id)
    if batch is None:  # pragma: no cover - foreign key
        raise NotFound("no batch for that print run")
    return PrintJob(
        label=label_content(batch, public_url),
        batch_pk=batch.id,
        batch_hex=batch.public_id.hex(),
        lot_code=batch.lot_code,
        run_pk=run.id,
        run_id=run.public_id,
        total=run.issued,
    )


def _run_stamps(source: Source, run_pk: int, public_url: str) -> Iterator[StampRow]:
    if isinstance(source, Session):
        run = source.get(PrintRun, run_pk)
        if run is None:
            raise NotFound("no print run with that id")
        return iter_run_stamps(source, run, public_url)
    return stream_run_stamps(source, run_pk, public_url)


def job_labels(
    source: Source, job: PrintJob, public_url: str
) -> Generator[LabelContent, None, None]:
    """The job's labels in print order, streamed from ``source`` (see :data:`Source`)."""
    if job.run_pk is None:
        yield from itertools.repeat(job.label, job.copies)
        return
    for stamp in _run_stamps(source, job.run_pk, public_url):
        yield replace(job.label, url=stamp.url, serial=stamp.short_serial)


def job_rows(source: Source, job: PrintJob, public_url: str) -> Iterator[PrintRow]:
    """The job's CSV rows in print order, streamed, as :func:`job_labels`."""
    if job.run_pk is None:
        for sequence in range(1, job.copies + 1):
            yield PrintRow(sequence, "", job.label.url, job.batch_hex)
        return
    for stamp in _run_stamps(source, job.run_pk, public_url):
        yield PrintRow(stamp.seq, stamp.short_serial, stamp.url, job.batch_hex)


def label_source(
    session: Session,
    principal: Principal,
    *,
    batch_id: str | None,
    run_id: str | None,
    public_url: str,
    copies: int = 1,
) -> tuple[int, Iterator[LabelContent]]:
    """How many labels, and the labels, of a batch (``copies`` times) or a print run.

    Raises:
        As :func:`print_job`.
    """
    job = print_job(
        session, principal, batch_id=batch_id, run_id=run_id, public_url=public_url, copies=copies
    )
    return job.total, job_labels(session, job, public_url)


# --- how to print ------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintOptions:
    """A format and its settings; build it with :func:`print_options`."""

    fmt: Format
    layout: SheetLayout | None = None
    crop_marks: bool = False
    page_numbers: bool = True
    dpi: int | None = None
    width_mm: float = zpl.DEFAULT_WIDTH_MM
    height_mm: float = zpl.DEFAULT_HEIGHT_MM
    font: str = zpl.DEFAULT_FONT

    @property
    def extension(self) -> str:
        return "zip" if self.fmt in ("svg", "png") else self.fmt

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self.fmt]


_MEDIA_TYPES: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "zpl": "application/vnd.zebra.zpl; charset=us-ascii",
    "svg": "application/zip",
    "png": "application/zip",
    "csv": "text/csv; charset=utf-8",
}


def print_options(
    fmt: str,
    *,
    preset_name: str | None = None,
    rows: int | None = None,
    cols: int | None = None,
    label_width: float | None = None,
    label_height: float | None = None,
    margin_top: float | None = None,
    margin_left: float | None = None,
    gap_x: float | None = None,
    gap_y: float | None = None,
    page: str | None = None,
    crop_marks: bool | None = None,
    page_numbers: bool | None = None,
    dpi: int | None = None,
    width_mm: float | None = None,
    height_mm: float | None = None,
    font: str | None = None,
) -> PrintOptions:
    """Check that the options given belong to ``fmt`` and build its settings.

    A PDF takes a preset sheet (default ``a4-3x7``) or a custom grid: ``rows``, ``cols``,
    ``label_width`` and ``label_height`` (mm) together, margins (default: the grid
    centred on the page) and gaps (default 0) optional. ZPL takes the label size and a
    printer font. ``dpi`` is the printer's (PDF: default 300; ZPL: 203, 300 or 600,
    default 203). Options of another format are refused rather than ignored, so that a
    typo does not print thousands of labels wrong.

    Raises:
        InvalidInput: an unknown format or preset, an option of another format, a
            preset together with a grid, an incomplete grid, or a grid that does not fit.
    """
    if fmt not in FORMATS:
        raise InvalidInput(
            f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format"
        )
    grid: dict[str, object] = {
        "rows": rows,
        "cols": cols,
        "label width": label_width,
        "label height": label_height,
        "margin top": margin_top,
        "margin left": margin_left,
        "gap x": gap_x,
        "gap y": gap_y,
        "page": page,
    }
    sheet = {"preset": preset_name, **grid, "crop marks": crop_marks, "page numbers": page_numbers}
    thermal = {"width": width_mm, "height": height_mm, "font": font}
    _only_for(fmt, "pdf", sheet, "PDF sticker sheets")
    _only_for(fmt, "zpl", thermal, "ZPL thermal labels")
    if dpi is not None and fmt not in ("pdf", "zpl"):
        raise InvalidInput("dpi is the printer's resolution, for PDF or ZPL", field="dpi")
    if fmt == "pdf":
        if any(value is not None for value in grid.values()):
            if preset_name is not None:
                raise InvalidInput(
                    f"give a preset ({', '.join(PRESETS)}) or a custom grid, not both",
                    field="preset",
                )
            missing = [name for name in _GRID_REQUIRED if grid[name] is None]
            if missing:
                raise InvalidInput(
                    f"a custom grid needs rows, cols, label width and label height (mm); "
                    f"missing: {', '.join(missing)}",
                    field=missing[0].replace(" ", "_"),
                )
            assert rows is not None
            assert cols is not None
            assert label_width is not None
            assert label_height is not None
            layout = _custom_sheet(
                rows,
                cols,
                label_width,
                label_height,
                margin_top=margin_top,
                margin_left=margin_left,
                gap_x=gap_x or 0.0,
                gap_y=gap_y or 0.0,
                page=page or "a4",
            )
        else:
            layout = preset(preset_name or DEFAULT_PRESET)
        return PrintOptions(
            "pdf",
            layout=layout,
            crop_marks=bool(crop_marks),
            page_numbers=True if page_numbers is None else page_numbers,
            dpi=DEFAULT_PDF_DPI if dpi is None else dpi,
        )
    if fmt == "zpl":
        options = PrintOptions(
            "zpl",
            dpi=zpl.DEFAULT_DPI if dpi is None else dpi,
            width_mm=zpl.DEFAULT_WIDTH_MM if width_mm is None else width_mm,
            height_mm=zpl.DEFAULT_HEIGHT_MM if height_mm is None else height_mm,
            font=zpl.DEFAULT_FONT if font is None else font,
        )
        zpl.dots_per_mm(options.dpi or 0)
        zpl.font_command(options.font, zpl.MIN_TEXT_DOTS)
        return options
    return PrintOptions(cast(Format, fmt))  # one of FORMATS, checked above


_GRID_REQUIRED: Final = ("rows", "cols", "label width", "label height")

_MM: Final = 300.0  # no sheet label, margin or gap is longer than an A4 page
_THERMAL_MM: Final = 250.0  # the widest thermal printers take 4-inch (~104 mm) labels


class LabelOptions(BaseModel):
    """Every print option a caller may give, with its bounds: the API's query parameters
    and ``tem labels print``'s options are both this model.

    ``None`` is "not given": :meth:`build` refuses an option of another format and
    fills in the format's defaults (:func:`print_options`).
    """

    model_config = ConfigDict(frozen=True)

    preset: str | None = Field(
        None,
        max_length=40,
        description=f"PDF sticker sheet: {', '.join(PRESETS)} (default {DEFAULT_PRESET}).",
    )
    rows: int | None = Field(None, ge=1, le=50, description="PDF custom grid: labels down.")
    cols: int | None = Field(None, ge=1, le=50, description="PDF custom grid: labels across.")
    label_width: float | None = Field(
        None, gt=0, le=_MM, description="PDF custom grid: label width, mm."
    )
    label_height: float | None = Field(
        None, gt=0, le=_MM, description="PDF custom grid: label height, mm."
    )
    margin_top: float | None = Field(
        None,
        ge=0,
        le=_MM,
        description="PDF custom grid: page top to the first label, mm (default: centred).",
    )
    margin_left: float | None = Field(
        None,
        ge=0,
        le=_MM,
        description="PDF custom grid: page left to the first label, mm (default: centred).",
    )
    gap_x: float | None = Field(
        None, ge=0, le=_MM, description="PDF custom grid: gap between columns, mm (default 0)."
    )
    gap_y: float | None = Field(
        None, ge=0, le=_MM, description="PDF custom grid: gap between rows, mm (default 0)."
    )
    page: str | None = Field(
        None,
        max_length=20,
        description=f"PDF custom grid: page size {', '.join(PAGE_SIZES)} (default a4).",
    )
    crop_marks: bool | None = Field(None, description="PDF: cutting marks in the margins.")
    page_numbers: bool | None = Field(
        None, description="PDF: page numbers in the margin (default on)."
    )
    dpi: int | None = Field(
        None,
        description=f"The printer's resolution: ZPL {', '.join(map(str, zpl.DOTS_PER_MM))} "
        f"(default {zpl.DEFAULT_DPI}); PDF {DEFAULT_PDF_DPI} (default).",
    )
    width_mm: float | None = Field(
        None,
        gt=0,
        le=_THERMAL_MM,
        description=f"ZPL thermal label width, mm (default {zpl.DEFAULT_WIDTH_MM:g}).",
    )
    height_mm: float | None = Field(
        None,
        gt=0,
        le=_THERMAL_MM,
        description=f"ZPL thermal label height, mm (default {zpl.DEFAULT_HEIGHT_MM:g}).",
    )
    font: str | None = Field(
        None,
        max_length=40,
        description=f"ZPL printer font: {zpl.DEFAULT_FONT} (built in, no Vietnamese; default) "
        "or a Unicode TrueType font on the printer such as E:TT0003M_.TTF.",
    )
    image: ImageFormat | None = Field(
        None, description="labels.zip only: svg (default) or png images."
    )

    def build(self, fmt: str) -> PrintOptions:
        """The settings for ``fmt`` (pdf, zpl, svg, png, csv), or ``zip`` of ``image``.

        Raises:
            InvalidInput: as :func:`print_options`; ``image`` given for another format
                than ``zip``.
        """
        if fmt == "zip":
            fmt = self.image or "svg"
        elif self.image is not None:
            raise InvalidInput("image: only for labels.zip", field="image")
        return print_options(
            fmt,
            preset_name=self.preset,
            rows=self.rows,
            cols=self.cols,
            label_width=self.label_width,
            label_height=self.label_height,
            margin_top=self.margin_top,
            margin_left=self.margin_left,
            gap_x=self.gap_x,
            gap_y=self.gap_y,
            page=self.page,
            crop_marks=self.crop_marks,
            page_numbers=self.page_numbers,
            dpi=self.dpi,
            width_mm=self.width_mm,
            height_mm=self.height_mm,
            font=self.font,
        )


def described(name: str) -> str:
    """The description of the :class:`LabelOptions` field ``name`` (the CLI's help)."""
    return LabelOptions.model_fields[name].description or ""


def _only_for(fmt: str, owner: str, given: Mapping[str, object], what: str) -> None:
    if fmt == owner:
        return
    names = [name for name, value in given.items() if value is not None]
    if names:
        raise InvalidInput(
            f"{', '.join(names)}: only for {what} (format {owner}), not {fmt}",
            field=names[0].replace(" ", "_"),
        )


def _custom_sheet(
    rows: int,
    cols: int,
    label_width: float,
    label_height: float,
    *,
    margin_top: float | None,
    margin_left: float | None,
    gap_x: float,
    gap_y: float,
    page: str,
) -> SheetLayout:
    # Without margins the grid is centred on the page: measure the sheet, not the margins.
    probe = custom_layout(rows, cols, label_width, label_height, 0.0, 0.0, gap_x, gap_y, page)
    if margin_left is None:
        margin_left = max((probe.page_w_mm - probe.grid_width_mm) / 2, 0.0)
    if margin_top is None:
        margin_top = max((probe.page_h_mm - probe.grid_height_mm) / 2, 0.0)
    return custom_layout(
        rows, cols, label_width, label_height, margin_top, margin_left, gap_x, gap_y, page
    )


# --- checking and writing ---------------------------------------------------------------


def check_job(source: Source, job: PrintJob, options: PrintOptions, public_url: str) -> None:
    """Render the job's first label in the target format, to refuse it before printing.

    The labels of a job share their text, and stamp URLs all have the same length, so
    the first label fits exactly when they all do.

    Raises:
        InvalidInput: the QR would be too small for the printer or does not fit the
            label with its quiet zone, or a text does not fit; the message names the
            smallest label that works.
    """
    labels = job_labels(source, job, public_url)
    try:
        first = next(labels, None)
    finally:
        labels.close()
    if first is None:
        raise InvalidInput("there are no labels to print", field="labels")
    if options.fmt == "pdf":
        assert options.layout is not None
        assert options.dpi is not None
        write_pdf([first], options.layout, io.BytesIO(), page_numbers=False, dpi=options.dpi)
    elif options.fmt == "zpl":
        assert options.dpi is not None
        zpl.zpl_label(
            first,
            dpi=options.dpi,
            width_mm=options.width_mm,
            height_mm=options.height_mm,
            font=options.font,
        )
    elif options.fmt in ("svg", "png"):
        _RENDERERS[options.fmt](first)


def write_job(
    source: Source,
    job: PrintJob,
    options: PrintOptions,
    out: BinaryIO,
    *,
    public_url: str,
    progress: Progress | None = None,
) -> int:
    """Write every label of ``job`` to ``out`` in ``options.fmt``; return how many.

    The stamps come from ``source`` (see :data:`Source`).

    Raises:
        InvalidInput: as :func:`check_job` (which callers run first, so that an error
            comes before the first byte).
    """
    if options.fmt == "csv":
        return _with_text(out, lambda text: write_csv(job_rows(source, job, public_url), text))
    labels = job_labels(source, job, public_url)
    if options.fmt == "pdf":
        assert options.layout is not None
        assert options.dpi is not None
        stats = write_pdf(
            labels,
            options.layout,
            out,
            total=job.total,
            crop_marks=options.crop_marks,
            page_numbers=options.page_numbers,
            progress=progress,
            title=job.title,
            dpi=options.dpi,
        )
        return stats.labels
    if options.fmt == "zpl":
        assert options.dpi is not None
        dpi = options.dpi
        return _with_text(
            out,
            lambda text: zpl.write_zpl(
                labels,
                text,
                dpi=dpi,
                width_mm=options.width_mm,
                height_mm=options.height_mm,
                font=options.font,
                progress=progress,
            ),
            encoding="ascii",
        )
    image: ImageFormat = "png" if options.fmt == "png" else "svg"
    return write_zip(labels, out, image, progress, total=job.total)


def _with_text(out: BinaryIO, write: Callable[[TextIO], int], encoding: str = "utf-8") -> int:
    # newline="" keeps csv's \r\n and ZPL's \n as written, on every platform.
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=True)
    try:
        return write(text)
    finally:
        text.flush()
        text.detach()  # the caller owns ``out``: do not close it with the wrapper


_RENDERERS: Final[dict[str, Callable[[LabelContent], bytes]]] = {
    "svg": label_svg,
    "png": label_png,
}


def write_zip(
    labels: Iterable[LabelContent],
    out: BinaryIO,
    fmt: ImageFormat,
    progress: Progress | None = None,
    *,
    total: int | None = None,
    progress_every: int = 10,
) -> int:
    """One SVG or PNG file per label in a ZIP archive, written entry by entry; return the count.

    Entries are named by position, with the stamp's serial when there is one:
    ``0001-ABCD-EFGH-JKLM-NPQR.svg``, or ``label-0001.png`` for a batch label. PNGs are
    stored (they are compressed already), SVGs deflated. ``out`` need not be seekable
    (each entry then ends with a data descriptor, APPNOTE.TXT §4.3.9); the archive
    switches to ZIP64 past 65,535 entries by itself. Only the central directory, about
    100 bytes an entry, stays in memory until the end.

    Raises:
        InvalidInput: if there are no labels, or a label cannot be rendered.
    """
    render = _RENDERERS[fmt]
    digits = max(4, len(str(total))) if total is not None else 4
    compression = zipfile.ZIP_STORED if fmt == "png" else zipfile.ZIP_DEFLATED
    moment = datetime.now().timetuple()[:6]
    count = 0
    last: tuple[LabelContent, bytes] | None = None
    with zipfile.ZipFile(out, "w", compression=compression, allowZip64=True) as archive:
        for count, content in enumerate(labels, start=1):
            # A batch label repeated: render it once.
            if last is None or last[0] != content:
                last = (content, render(content))
            info = zipfile.ZipInfo(_entry_name(count, content.serial, fmt, digits), moment)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            archive.writestr(info, last[1])
            if progress is not None and count % progress_every == 0:
                progress(count)
        if count == 0:
            raise InvalidInput("there are no labels to print", field="labels")
    if progress is not None and count % progress_every:
        progress(count)
    return count


def _entry_name(index: int, serial: str | None, fmt: str, digits: int) -> str:
    if serial is None:
        return f"label-{index:0{digits}d}.{fmt}"
    safe = "".join(char if char.isascii() and char.isalnum() else "-" for char in serial)
    return f"{index:0{digits}d}-{safe}.{fmt}"


def write_csv(
    rows: Iterable[PrintRow], out: TextIO, progress: Progress | None = None, *, every: int = 1000
) -> int:
    """The print shop's CSV (RFC 4180): a header of :data:`CSV_COLUMNS`, a row per label.

    Open ``out`` with ``newline=""`` so the ``\\r\\n`` line ends are kept as written.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([row.serial, row.url, row.batch, row.sequence])
        if progress is not None and count % every == 0:
            progress(count)
    if progress is not None and count % every:
        progress(count)
    return count


def pages_for(job: PrintJob, options: PrintOptions) -> int | None:
    """How many sheets a PDF job takes (None for other formats)."""
    if options.layout is None:
        return None
    return math.ceil(job.total / options.layout.per_page)
