"""``tem labels print``: a batch's labels or a print run's stamps, ready for the printer.

PDF sticker sheets, ZPL for thermal printers, SVG or PNG images (zipped when there are
several), or a CSV for a print shop. The labels are checked first (the QR must print with
modules of at least 3 dots and its quiet zone; the text must fit), then streamed to a
``.part`` file that is renamed when complete, so a failure never leaves half a file
under the name asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session

from tem import errors
from tem.cli.common import (
    Context,
    batch_ref,
    err,
    fail,
    handled,
    out,
    principal_for,
    validated,
)
from tem.labels import export
from tem.labels.render import label_png, label_svg

labels_app = typer.Typer(
    help="Print labels: PDF sticker sheets, thermal printers (ZPL), SVG/PNG, CSV for a print shop.",
    no_args_is_help=True,
)

_SHEET = "PDF sticker sheet"
_about = export.described
_THERMAL = "ZPL thermal printer"


@labels_app.command("print")
def print_labels(
    org: Annotated[str, typer.Option("--org", help="Act as this organization (its id).")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="pdf (A4 sticker sheets), zpl (Zebra thermal printers), svg or png "
            "(one image per label, zipped), csv (for a print shop).",
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="The file to write.")],
    batch: Annotated[
        str | None, typer.Option(help="Batch id or lot code: its label, --copies times.")
    ] = None,
    run: Annotated[str | None, typer.Option(help="Print run id: one label per stamp.")] = None,
    copies: Annotated[
        int | None, typer.Option(help="Copies of a batch label, 1 to 10,000 (default 1).")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help=_about("preset"), rich_help_panel=_SHEET)
    ] = None,
    rows: Annotated[int | None, typer.Option(help=_about("rows"), rich_help_panel=_SHEET)] = None,
    cols: Annotated[int | None, typer.Option(help=_about("cols"), rich_help_panel=_SHEET)] = None,
    label_width: Annotated[
        float | None, typer.Option(help=_about("label_width"), rich_help_panel=_SHEET)
    ] = None,
    label_height: Annotated[
        float | None, typer.Option(help=_about("label_height"), rich_help_panel=_SHEET)
    ] = None,
    margin_top: Annotated[
        float | None, typer.Option(help=_about("margin_top"), rich_help_panel=_SHEET)
    ] = None,
    margin_left: Annotated[
        float | None, typer.Option(help=_about("margin_left"), rich_help_panel=_SHEET)
    ] = None,
    gap_x: Annotated[
        float | None, typer.Option(help=_about("gap_x"), rich_help_panel=_SHEET)
    ] = None,
    gap_y: Annotated[
        float | None, typer.Option(help=_about("gap_y"), rich_help_panel=_SHEET)
    ] = None,
    page: Annotated[str | None, typer.Option(help=_about("page"), rich_help_panel=_SHEET)] = None,
    crop_marks: Annotated[
        bool | None,
        typer.Option(
            "--crop-marks/--no-crop-marks", help=_about("crop_marks"), rich_help_panel=_SHEET
        ),
    ] = None,
    page_numbers: Annotated[
        bool | None,
        typer.Option(
            "--page-numbers/--no-page-numbers",
            help=_about("page_numbers"),
            rich_help_panel=_SHEET,
        ),
    ] = None,
    dpi: Annotated[int | None, typer.Option(help=_about("dpi"))] = None,
    width_mm: Annotated[
        float | None, typer.Option(help=_about("width_mm"), rich_help_panel=_THERMAL)
    ] = None,
    height_mm: Annotated[
        float | None, typer.Option(help=_about("height_mm"), rich_help_panel=_THERMAL)
    ] = None,
    font: Annotated[str | None, typer.Option(help=_about("font"), rich_help_panel=_THERMAL)] = None,
) -> None:
    """Print a batch's labels or a print run's stamps to a file, with a progress bar.

    The labels are checked before anything is written: a label too small for its QR at
    the printer's resolution is refused with the smallest size that works (exit 2).
    """

    if (batch is None) == (run is None):
        fail("give --batch (a batch id or lot code) or --run (a print run id), not both")
    if run is not None and copies is not None:
        fail("--copies is for a batch label; a print run prints each stamp once")
    ctx = Context()
    public_url = ctx.settings.public_url
    # The API's own model: the same bounds and defaults as its query parameters.
    chosen = validated(
        export.LabelOptions,
        {
            "preset": preset,
            "rows": rows,
            "cols": cols,
            "label_width": label_width,
            "label_height": label_height,
            "margin_top": margin_top,
            "margin_left": margin_left,
            "gap_x": gap_x,
            "gap_y": gap_y,
            "page": page,
            "crop_marks": crop_marks,
            "page_numbers": page_numbers,
            "dpi": dpi,
            "width_mm": width_mm,
            "height_mm": height_mm,
            "font": font,
        },
    )
    with handled():
        # ``zip`` is the API's name for a ZIP of images; here --format says svg or png.
        options = export.print_options(fmt) if fmt == "zip" else chosen.build(fmt)
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        batch_id = None if batch is None else batch_ref(session, principal, batch).public_id.hex()
        job = export.print_job(
            session,
            principal,
            batch_id=batch_id,
            run_id=run,
            public_url=public_url,
            copies=1 if copies is None else copies,
        )
        export.check_job(session, job, options, public_url)
        single_image = (
            options.fmt in ("svg", "png")
            and job.total == 1
            and out_file.suffix.lower() == f".{options.fmt}"
        )
        wants_zip = options.fmt in ("svg", "png") and not single_image
        if wants_zip and out_file.suffix.lower() != ".zip":
            single = f" (or .{options.fmt} for a single label)" if job.total == 1 else ""
            raise errors.InvalidInput(
                f"{job.total} {options.fmt.upper()} labels go in a ZIP archive: give an "
                f"--out file ending in .zip{single}",
                field="out",
            )
        count = _write(session, job, options, out_file, public_url, single_image=single_image)
    pages = export.pages_for(job, options)
    what = f"{count} labels" + (f" on {pages} pages" if pages is not None else "")
    out.print(f"{what} written to {out_file}", highlight=False, soft_wrap=True)


def _write(
    session: Session,
    job: export.PrintJob,
    options: export.PrintOptions,
    target: Path,
    public_url: str,
    *,
    single_image: bool,
) -> int:
    """Stream the job into ``target.part`` with a progress bar, then rename it to ``target``."""

    partial = target.with_name(target.name + ".part")
    try:
        handle = partial.open("wb")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    completed = False
    try:
        with handle:
            if single_image:
                render = label_svg if options.fmt == "svg" else label_png
                handle.write(render(job.label))
                count = 1
            else:
                columns = (
                    TextColumn(f"{options.fmt.upper()} labels"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                )
                with Progress(*columns, console=err, transient=False) as bar:
                    task = bar.add_task("print", total=job.total)
                    count = export.write_job(
                        session,
                        job,
                        options,
                        handle,
                        public_url=public_url,
                        progress=lambda done: bar.update(task, completed=done),
                    )
                    bar.update(task, completed=count)
        os.replace(partial, target)
        completed = True
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    finally:
        if not completed:
            partial.unlink(missing_ok=True)
    return count
