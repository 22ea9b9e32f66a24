"""/api/v1 …/labels.{pdf,zpl,zip,csv}: a batch's labels or a print run's stamps, streamed.

The request authorizes, checks the options and renders the first label (so a bad layout
or a label too small for its QR is a 422 before anything is sent); the body is then
written by a producer thread (:mod:`tem.http.streaming`) that reads the stamps page by
page, each page in a short session of its own, so a client that reads slowly, or not at
all, holds no database connection. Only the batch's own cooperative may print, with at
most ``TEM_EXPORTS_PER_ORGANIZATION`` downloads in progress at once (429 beyond).
"""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO, Final, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.http.state import AppState
from tem.http.streaming import download
from tem.labels import export
from tem.orgs.service import Principal
from tem.validation import Id, content_disposition

router = APIRouter(tags=["labels"])

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
    },
    403: {"description": "Not a cooperative: labels are printed by the batch's own."},
    429: {
        "description": "This organization already has its downloads in progress.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
}

Options = Annotated[export.LabelOptions, Query()]


# Printing, unlike listing what was issued (stamps.csv), is refused for a recalled batch.
_PRINT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    409: {"description": "The batch is recalled, or the print run is still being issued."},
}


@router.get("/batches/{batch_id}/labels.{fmt}", responses=_PRINT_RESPONSES)
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
    options = query.build(fmt)
    job = export.print_job(
        session,
        principal,
        batch_id=batch_id,
        run_id=None,
        public_url=state.settings.public_url,
        copies=copies,
    )
    export.check_job(session, job, options, state.settings.public_url)
    return stream_job(state, principal, job, options)


@router.get("/print-runs/{run_id}/labels.{fmt}", responses=_PRINT_RESPONSES)
def run_labels(
    run_id: Id,
    fmt: Fmt,
    query: Options,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
) -> StreamingResponse:
    """One label per stamp of the run: PDF sticker sheets, ZPL, a ZIP of SVG/PNG, or CSV."""
    options = query.build(fmt)
    job = export.print_job(
        session, principal, batch_id=None, run_id=run_id, public_url=state.settings.public_url
    )
    export.check_job(session, job, options, state.settings.public_url)  # 422 now, not later
    return stream_job(state, principal, job, options)


def stream_job(
    state: AppState,
    principal: Principal,
    job: export.PrintJob,
    options: export.PrintOptions,
    *,
    filename: str | None = None,
) -> StreamingResponse:
    """Stream ``job`` as ``options`` say, in one of the organization's download slots.

    Raises:
        TooManyRequests: the organization has its downloads in progress already.
    """
    release = state.exports.take(principal.organization.id)
    public_url = state.settings.public_url

    def produce(out: BinaryIO) -> None:
        export.write_job(state.sessions, job, options, out, public_url=public_url)

    name = filename or f"{job.file_stem}.{options.extension}"
    return download(
        produce,
        media_type=options.media_type,
        headers={
            "Content-Disposition": content_disposition("attachment", name),
            "X-Label-Count": str(job.total),
        },
        release=release,
    )


@router.get(
    "/print-runs/{run_id}/stamps.csv",
    tags=["stamps"],
    responses={**_RESPONSES, 200: {"content": {"text/csv": {}}}},
)
def stamps_csv(
    run_id: Id, session: DbSession, state: State, principal: CurrentPrincipal
) -> StreamingResponse:
    """Every stamp of the run for a print shop: serial, URL, batch, sequence number (streamed)."""
    job = export.stamps_job(session, principal, run_id, state.settings.public_url)
    return stream_job(
        state, principal, job, export.print_options("csv"), filename=f"stamps-{job.run_id}.csv"
    )
