"""/api/v1 counterfeit reports (public intake, inspectors' queue), alerts, scan history, recall."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.http.ratelimit import client_ip
from tem.http.state import AppState
from tem.models import AlertStatus, Report, ReportStatus
from tem.scans import inspection, reports
from tem.scans.check import check
from tem.scans.photos import Photo, read_limited, validate_photo
from tem.scans.schemas import (
    AlertClose,
    AlertOut,
    RecalledBatchOut,
    RecallRequest,
    ReportCreated,
    ReportOut,
    ReportUpdate,
    ScanOut,
    StampReview,
    StampReviewed,
)
from tem.scans.service import new_cookie, session_hash
from tem.stamps.tokens import short_serial
from tem.trace.service import batch_out

router = APIRouter(tags=["inspection"])

# The anonymous session cookie the verification page sets (tem.web.public); any other
# value is replaced by a fresh random one, so a made-up cookie cannot pick its hash.
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_\-]{16,64}")

Limit = Annotated[int, Query(ge=1, le=200, description="At most this many, newest first.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many.")]
ScanLimit = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")]

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many reports from this client (or from everyone) for now.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
    503: {
        "description": "Too many photos are being checked at once; see `Retry-After`.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
}


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --- reports ----------------------------------------------------------------------------


@router.post("/reports", status_code=201, response_model=ReportCreated, responses=RATE_LIMITED)
def create_report(
    request: Request,
    session: DbSession,
    state: State,
    token: Annotated[str, Form(description="The scanned code, or the whole scanned URL.")],
    problem: Annotated[str, Form(description="What is wrong, 5 to 2000 characters.")],
    where_bought: Annotated[str, Form(description="Shop and place, up to 300 characters.")] = "",
    contact: Annotated[
        str, Form(description="Optional phone or e-mail for the inspectors, up to 200.")
    ] = "",
    photo: Annotated[
        UploadFile | None, File(description="Optional JPEG, PNG or WebP photo, up to 5 MB.")
    ] = None,
    tem_sid: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> Any:
    """Report a suspected counterfeit (no account needed). Rate limited per client and overall."""
    # 1. The rate limit first: a refused report costs no verification and stores nothing.
    ip = client_ip(
        request.client.host if request.client else None,
        ", ".join(request.headers.getlist("x-forwarded-for")),
        trust_proxy=state.settings.trusted_proxies,
    )
    decision = state.limits.check_report(ip)
    if not decision.allowed:
        return JSONResponse(
            {
                "error": "rate_limited",
                "message": "too many reports have been sent from here; "
                f"please try again in {_minutes(decision.retry_after)}",
            },
            status_code=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
    created = submit_report(
        session,
        state,
        token=token,
        problem=problem,
        where_bought=where_bought,
        contact=contact,
        photo=photo,
        cookie=tem_sid,
    )
    return {"id": created.public_id, "status": created.status.value}


def submit_report(
    session: Session,
    state: AppState,
    *,
    token: str,
    problem: str,
    where_bought: str,
    contact: str,
    photo: UploadFile | None,
    cookie: str | None,
) -> Report:
    """Check, store and commit a shopper's report (the API and the page's form both use it).

    Raises:
        InvalidInput: a field or the photo is not acceptable; nothing is stored.
    """
    # 1. Every field, and the photo, is checked before anything is written.
    text = reports.normalize_token(token)
    cleaned: Photo | None = None
    if photo is not None:
        data = read_limited(photo.file)
        if data or photo.filename:  # an empty file input sends an empty, nameless part
            cleaned = validate_photo(data, photo.content_type)
    # 2. What the code is: verdict, batch and stamp (a garbage code is still reported).
    verified = check(session, text, state.trust(session), thresholds=state.thresholds)
    browser = cookie if cookie and _COOKIE_VALUE.fullmatch(cookie) else new_cookie()
    created = reports.create_report(
        session,
        token=text,
        verdict=verified.verdict.value,
        stamp_id=verified.stamp.id if verified.stamp is not None else None,
        batch_id=verified.batch_id,
        problem=problem,
        where_bought=where_bought,
        contact=contact,
        session_id=session_hash(browser, state.secret),
        photo=cleaned,
        reports_dir=reports.reports_dir(state.settings.data_dir),
    )
    # 3. Commit here, not after the response: the photo file is outside the transaction
    #    and must go if the row does not make it.
    try:
        session.commit()
    except BaseException:
        reports.discard_new_photos(session)
        raise
    return created


@router.get("/reports", response_model=list[ReportOut])
def list_reports(
    session: DbSession,
    principal: CurrentPrincipal,
    status: ReportStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The report queue: all reports (inspector, authority) or those about your batches."""
    rows = reports.list_reports(session, principal, status.value if status else None, limit, offset)
    return reports.reports_out(session, principal, rows)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: str, session: DbSession, principal: CurrentPrincipal) -> Any:
    return reports.report_out(session, principal, reports.get_report(session, principal, report_id))


@router.patch("/reports/{report_id}", response_model=ReportOut)
def update_report(
    report_id: str, body: ReportUpdate, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Move a report along its workflow and/or add a note (inspector, authority)."""
    report = reports.update_report(
        session, principal, report_id, body.status.value if body.status else None, body.note
    )
    return reports.report_out(session, principal, report)


@router.get(
    "/reports/{report_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def report_photo(
    report_id: str, session: DbSession, state: State, principal: CurrentPrincipal
) -> Response:
    """The photo attached to a report, as stored (re-encoded, without metadata)."""
    data, media_type = reports.report_photo(
        session, principal, report_id, reports.reports_dir(state.settings.data_dir)
    )
    return Response(
        data,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


# --- alerts -----------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    session: DbSession,
    principal: CurrentPrincipal,
    status: AlertStatus = AlertStatus.OPEN,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Suspect-stamp and key-leak alerts: all (inspector, authority) or your own."""
    rows = inspection.list_alerts(session, principal, status.value, limit, offset)
    return inspection.alerts_out(session, rows)


@router.post("/alerts/{alert_id}/close", response_model=AlertOut)
def close_alert(
    alert_id: str, body: AlertClose, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Close an alert with a note saying why (inspector, authority)."""
    alert = inspection.close_alert(session, principal, alert_id, body.note)
    return inspection.alerts_out(session, [alert])[0]


# --- scan history -----------------------------------------------------------------------


@router.get("/stamps/{serial}/scans", response_model=list[ScanOut])
def stamp_scans(
    serial: str,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: ScanLimit = 100,
    offset: Offset = 0,
) -> Any:
    """Every scan of a stamp, newest first (its cooperative, inspectors, authorities)."""
    _stamp, scans = inspection.stamp_scans(session, principal, serial, limit, offset)
    return inspection.scans_out(session, scans)


@router.get("/batches/{batch_id}/scans", response_model=list[ScanOut])
def batch_scans(
    batch_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: ScanLimit = 100,
    offset: Offset = 0,
) -> Any:
    """Every scan of a batch's label and stamps, newest first."""
    _batch, scans = inspection.batch_scans(session, principal, batch_id, limit, offset)
    return inspection.scans_out(session, scans)


@router.post("/stamps/{serial}/review", response_model=StampReviewed)
def review_stamp(
    serial: str, body: StampReview, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Mark a stamp's scan history as reviewed (inspector, authority): scans up to now no
    longer count towards "suspect", later ones do, and its open suspect alert is closed."""
    stamp = inspection.review_stamp(session, principal, serial, body.note)
    return {
        "serial": short_serial(stamp.serial),
        "reviewed_at": stamp.reviewed_at,
        "note": stamp.review_note,
    }


# --- recall -----------------------------------------------------------------------------


@router.post("/batches/{batch_id}/recall", response_model=RecalledBatchOut)
def recall_batch(
    batch_id: str,
    body: RecallRequest,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
) -> Any:
    """Recall a batch (its cooperative or an authority): every scan of it then says so."""
    batch = inspection.recall_batch(session, principal, batch_id, body.reason)
    return {
        **batch_out(session, batch, state.settings.public_url),
        **inspection.recall_out(session, batch),
    }
