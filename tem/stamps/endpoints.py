"""/api/v1 print runs and stamps: issue, resume, look up, void.

The run's CSV for a print shop (``stamps.csv``) is served with the labels, by
:mod:`tem.labels.print_endpoints`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.crypto.keys import KeyId
from tem.crypto.statements import BatchId, Serial, token_url
from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.models import Batch, PrintRun, RunStatus, SigningKey, Stamp
from tem.stamps import service
from tem.stamps.schemas import RunCreate, RunOut, StampOut, VoidOut, VoidRequest
from tem.stamps.tokens import short_serial, stamp_token_text
from tem.trace.service import get_batch
from tem.validation import Id

router = APIRouter(tags=["stamps"])

# Runs up to this size are issued within the request; larger ones continue after the
# response (202) on a background thread, and are resumed by the next start if it stops.
SYNC_LIMIT = 20_000
# A request that finds its small run being issued by another (a concurrent repeat of it)
# waits this long for that one to finish before answering 202.
SYNC_WAIT_S = 30.0


@router.post(
    "/batches/{batch_id}/print-runs",
    status_code=201,
    response_model=RunOut,
    responses={
        200: {"model": RunOut, "description": "The run this request key already made."},
        202: {"model": RunOut, "description": "The run, still issuing in the background."},
    },
)
def create_run(
    batch_id: Id,
    body: RunCreate,
    response: Response,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
) -> Any:
    """Issue `count` stamps for a batch; 202 while a large run is issuing.

    Idempotent on `request_key`: the request that creates the run gets 201, a repeat
    (also one sent at the same time) gets the same run with 200.
    """
    run, created = service.start_run(session, principal, batch_id, body.count, body.request_key)
    session.commit()  # the run must exist before chunks are committed in their own transactions
    if not created:
        response.status_code = 200
    if run.status is not RunStatus.COMPLETE:
        if run.requested - run.issued <= SYNC_LIMIT:
            try:
                run = service.issue_chunks(state.sessions, state.store, run.id, wait=SYNC_WAIT_S)
            except service.RunBusy:
                response.status_code = 202
                session.refresh(run)
        else:
            state.issuer.issue(run.id)  # False: another issuer has it, which is as good
            response.status_code = 202
    return service.run_out(session, run)


@router.post(
    "/print-runs/{run_id}/resume",
    status_code=202,
    response_model=RunOut,
    responses={200: {"model": RunOut, "description": "The run was already complete."}},
)
def resume_run(
    run_id: Id, response: Response, session: DbSession, state: State, principal: CurrentPrincipal
) -> Any:
    """Finish a run that stopped part-way, in the background; answers at once.

    202 with the run as it is now: issuing resumes on a background thread, or goes on
    where another issuer already has it (never two at once). Whole chunks are kept;
    exactly `requested` in the end. A complete run answers 200; one whose signing key
    has been revoked, 409.
    """
    service.require_cooperative(principal)
    run = service.get_run(session, principal, run_id)
    if run.status is RunStatus.COMPLETE:
        response.status_code = 200
    else:
        service.require_issuable(session, run)
        state.issuer.issue(run.id)
    return service.run_out(session, run)


@router.get("/print-runs/{run_id}", response_model=RunOut)
def get_run(run_id: Id, session: DbSession, principal: CurrentPrincipal) -> Any:
    return service.run_out(session, service.get_run(session, principal, run_id))


@router.get("/batches/{batch_id}/print-runs", response_model=list[RunOut])
def list_runs(batch_id: Id, session: DbSession, principal: CurrentPrincipal) -> Any:
    batch = get_batch(session, principal, batch_id)
    return [service.run_out(session, r) for r in service.list_runs(session, principal, batch)]


def stamp_out(session: Session, stamp: Stamp, public_url: str) -> dict[str, Any]:
    run = session.get(PrintRun, stamp.run_id)
    assert run is not None
    kid = session.scalar(select(SigningKey.kid).where(SigningKey.id == run.signing_key_id)) or b""
    batch_public = session.scalar(select(Batch.public_id).where(Batch.id == stamp.batch_id)) or b""
    token = stamp_token_text(
        KeyId(kid), BatchId(batch_public), run.issued_at, Serial(stamp.serial), stamp.signature
    )
    return {
        "serial": short_serial(stamp.serial),
        "run_id": run.public_id,
        "batch_id": batch_public.hex(),
        "seq": stamp.seq,
        "status": stamp.status.value,
        "voided_at": stamp.voided_at,
        "void_reason": stamp.void_reason,
        "scan_count": stamp.scan_count,
        "first_scan_at": stamp.first_scan_at,
        "suspect_since": stamp.suspect_since,
        "url": token_url(public_url, token),
    }


@router.get("/stamps/{serial}", response_model=StampOut)
def get_stamp(serial: Id, session: DbSession, state: State, principal: CurrentPrincipal) -> Any:
    """One stamp in detail (its cooperative, inspectors and authorities only)."""
    return stamp_out(
        session, service.get_stamp(session, principal, serial), state.settings.public_url
    )


@router.post(
    "/stamps/void",
    response_model=VoidOut,
    responses={404: {"description": "No print run of yours with that `run_id`."}},
)
def void(body: VoidRequest, session: DbSession, principal: CurrentPrincipal) -> Any:
    """Void stamps by serial or a print-run range. Shoppers scanning them are told so."""
    count = service.void_stamps(
        session,
        principal,
        reason=body.reason,
        serials=body.serials,
        run_id=body.run_id,
        from_seq=body.from_seq,
        to_seq=body.to_seq,
    )
    return {"voided": count}
