"""/api/v1 …/labels.{pdf,zpl,zip,csv}: a batch's labels or a print run's stamps, streamed.

The request authorizes, checks the options and renders the first label (so a bad layout
or a label too small for its QR is a 422 before anything is sent); the body is then
written by a producer thread into a small bounded queue that the response drains, with a
database session of its own (the request's unit of work ends before the body streams).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Generator
from typing import Annotated, Any, BinaryIO, Final, Literal, cast

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from tem.db import unit_of_work
from tem.errors import InvalidInput
from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.labels import export
from tem.validation import Id, content_disposition

log = logging.getLogger("tem.labels")

router = APIRouter(tags=["labels"])

CHUNK_BYTES: Final = 64 * 1024
QUEUE_CHUNKS: Final = 16  # at most ~1 MB waits for a slow client
STALL_SECONDS: Final = 300.0  # a client that reads nothing for this long is dropped

Fmt = Literal["pdf", "zpl", "zip", "csv"]

_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "content": {
            "application/pdf": {},
            "application/vnd.zebra.zpl": {},
            "application/zip": {},
            "text/csv": {},
        },
        "description": "The labels, streamed.",
    }
}


class LabelQuery:
    """Query parameters shared by both routes (each only for the formats it names)."""

    def __init__(
        self,
        preset: Annotated[
            str | None, Query(description="PDF: a4-3x7 (default), a4-3x8, a4-4x10, a4-5x13.")
        ] = None,
        rows: Annotated[int | None, Query(ge=1, le=50, description="PDF custom grid.")] = None,
        cols: Annotated[int | None, Query(ge=1, le=50, description="PDF custom grid.")] = None,
        label_width: Annotated[float | None, Query(gt=0, le=300, description="mm")] = None,
        label_height: Annotated[float | None, Query(gt=0, le=300, description="mm")] = None,
        margin_top: Annotated[
            float | None, Query(ge=0, le=300, description="mm; default centred")
        ] = None,
        margin_left: Annotated[
            float | None, Query(ge=0, le=300, description="mm; default centred")
        ] = None,
        gap_x: Annotated[float | None, Query(ge=0, le=300, description="mm")] = None,
        gap_y: Annotated[float | None, Query(ge=0, le=300, description="mm")] = None,
        page: Annotated[str | None, Query(description="PDF custom grid: a4, a5, letter.")] = None,
        crop_marks: Annotated[bool | None, Query(description="PDF: cutting marks.")] = None,
        page_numbers: Annotated[bool | None, Query(description="PDF: default true.")] = None,
        dpi: Annotated[
            int | None, Query(description="Printer resolution. ZPL: 203, 300, 600; PDF: 300.")
        ] = None,
        width_mm: Annotated[
            float | None, Query(gt=0, le=250, description="ZPL label width, default 50")
        ] = None,
        height_mm: Annotated[
            float | None, Query(gt=0, le=250, description="ZPL label height, default 30")
        ] = None,
        font: Annotated[
            str | None, Query(max_length=40, description="ZPL: 0 or e.g. E:TT0003M_.TTF")
        ] = None,
        image: Annotated[
            Literal["svg", "png"] | None, Query(description="zip: svg (default) or png")
        ] = None,
    ) -> None:
        self.preset = preset
        self.rows, self.cols = rows, cols
        self.label_width, self.label_height = label_width, label_height
        self.margin_top, self.margin_left = margin_top, margin_left
        self.gap_x, self.gap_y = gap_x, gap_y
        self.page = page
        self.crop_marks, self.page_numbers = crop_marks, page_numbers
        self.dpi = dpi
        self.width_mm, self.height_mm, self.font = width_mm, height_mm, font
        self.image = image

    def options(self, fmt: Fmt) -> export.PrintOptions:
        """The options for ``fmt``; ``zip`` is SVG or PNG by ``image``.

        Raises:
            InvalidInput: as :func:`tem.labels.export.print_options`.
        """
        if fmt != "zip" and self.image is not None:
            raise InvalidInput("image: only for labels.zip", field="image")
        return export.print_options(
            (self.image or "svg") if fmt == "zip" else fmt,
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


Options = Annotated[LabelQuery, Depends()]


@router.get("/batches/{batch_id}/labels.{fmt}", responses=_RESPONSES)
def batch_labels(
    batch_id: Id,
    fmt: Fmt,
    query: Options,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
    copies: Annotated[int, Query(ge=1, le=export.MAX_COPIES)] = 1,
) -> StreamingResponse:
    """The batch's label `copies` times: PDF sticker sheets, ZPL, a ZIP of SVG/PNG, or CSV."""
    options = query.options(fmt)
    job = export.print_job(
        session,
        principal,
        batch_id=batch_id,
        run_id=None,
        public_url=state.settings.public_url,
        copies=copies,
    )
    return _stream(session, state.sessions, job, options, state.settings.public_url)


@router.get("/print-runs/{run_id}/labels.{fmt}", responses=_RESPONSES)
def run_labels(
    run_id: Id,
    fmt: Fmt,
    query: Options,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
) -> StreamingResponse:
    """One label per stamp of the run: PDF sticker sheets, ZPL, a ZIP of SVG/PNG, or CSV."""
    options = query.options(fmt)
    job = export.print_job(
        session, principal, batch_id=None, run_id=run_id, public_url=state.settings.public_url
    )
    return _stream(session, state.sessions, job, options, state.settings.public_url)


def _stream(
    session: Session,
    sessions: sessionmaker[Session],
    job: export.PrintJob,
    options: export.PrintOptions,
    public_url: str,
) -> StreamingResponse:
    export.check_job(session, job, options, public_url)  # 422 now, not half a file later

    def produce(out: _QueueWriter) -> None:
        with unit_of_work(sessions) as own:
            # Only write() and flush() are used (zipfile and TextIOWrapper probe the rest).
            export.write_job(own, job, options, cast(BinaryIO, out), public_url=public_url)

    filename = f"{job.file_stem}.{options.extension}"
    return StreamingResponse(
        _pipe(produce),
        media_type=options.media_type,
        headers={
            "Content-Disposition": content_disposition("attachment", filename),
            "X-Label-Count": str(job.total),
        },
    )


# --- a blocking writer as a streamed body ---------------------------------------------


class _Cancelled(Exception):
    """The client went away: the producer stops at its next write."""


class _QueueWriter:
    """A write-only binary stream that hands ~64 KB chunks to a bounded queue."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None], stop: threading.Event):
        self._chunks = chunks
        self._stop = stop
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("not seekable")  # zipfile then writes data descriptors

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self.put(bytes(self._buffer))
            self._buffer.clear()

    def put(self, item: bytes | BaseException | None) -> None:
        waited = 0.0
        while True:
            if self._stop.is_set():
                raise _Cancelled
            try:
                self._chunks.put(item, timeout=1.0)
                return
            except queue.Full:
                waited += 1.0
                if waited >= STALL_SECONDS:
                    raise _Cancelled from None


def _pipe(produce: Callable[[_QueueWriter], None]) -> Generator[bytes, None, None]:
    """Run ``produce`` in a thread and yield what it writes, in order, as it comes.

    The queue is bounded, so a slow client slows the producer instead of filling memory;
    closing the iterator (the client disconnected) stops the producer at its next write.
    """
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()
    writer = _QueueWriter(chunks, stop)

    def run() -> None:
        try:
            produce(writer)
            writer.flush()
            writer.put(None)
        except _Cancelled:
            return
        except BaseException as error:  # handed to the response, which logs and aborts
            try:
                writer.put(error)
            except _Cancelled:
                return

    thread = threading.Thread(target=run, name="tem-labels", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                # The type only: a message can quote data (see tem.web.errors).
                log.error("printing labels failed half-way: %s", type(item).__name__)
                raise item
            yield item
    finally:
        stop.set()
