"""Shoppers' counterfeit reports: taken in publicly, worked through by inspectors.

A report is created by anyone who scanned a code (``POST /api/v1/reports``), with an
optional photo already cleaned by :func:`tem.scans.photos.validate_photo`. It then
moves through a small workflow that only inspectors and authorities drive::

    open ──► investigating ──► confirmed_counterfeit
      │            │
      └────────────┴─────────► dismissed

Every change appends a note saying when, by whom and why. A cooperative may read
the reports about its own batches, never change them. Services ``flush()`` only.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tem.crypto.statements import token_from_url
from tem.errors import Conflict, Forbidden, InvalidInput, NotFound
from tem.models import Batch, Organization, Report, ReportStatus, Role
from tem.orgs.service import Principal, new_public_id
from tem.scans.inspection import serials_by_id
from tem.scans.photos import Photo
from tem.stamps.tokens import short_serial
from tem.validation import MAX_ID, name_problem, text_problem

REPORTS_DIR = "reports"  # under the data directory
MAX_TOKEN = 240  # the column's width; a stamp token is 184 characters
PROBLEM_LENGTH = (5, 2000)
MAX_WHERE_BOUGHT = 300
MAX_CONTACT = 200
MAX_NOTE = 2000
MAX_PAGE = 200
# A second report of the same code from the same browser within this time is the same report.
DEDUPE_WINDOW = timedelta(hours=24)

NEXT_STATUSES: dict[ReportStatus, tuple[ReportStatus, ...]] = {
    ReportStatus.OPEN: (ReportStatus.INVESTIGATING, ReportStatus.DISMISSED),
    ReportStatus.INVESTIGATING: (ReportStatus.CONFIRMED, ReportStatus.DISMISSED),
    ReportStatus.CONFIRMED: (),
    ReportStatus.DISMISSED: (),
}
CLOSED = frozenset({ReportStatus.CONFIRMED, ReportStatus.DISMISSED})

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")
_WRITTEN = "tem.reports.written"  # session.info key: photo files written in this unit of work


def reports_dir(data_dir: Path) -> Path:
    """Where report photos are kept: ``<data dir>/reports``."""
    return data_dir / REPORTS_DIR


# --- validation ---------------------------------------------------------------------


def normalize_token(text: str) -> str:
    """The token out of what the shopper sent (a scanned URL or a bare code).

    Raises:
        InvalidInput: (``field="token"``) nothing is left, more than 240 characters, or
            a control, bidirectional or zero-width character (no Tem code has one).
    """
    problem = name_problem(text[: MAX_TOKEN * 8])
    if problem is not None:
        raise InvalidInput(f"the code {problem}", field="token")
    token = token_from_url(text[: MAX_TOKEN * 8]).strip()
    if not token:
        raise InvalidInput("give the code or web address that was scanned", field="token")
    if len(token) > MAX_TOKEN:
        raise InvalidInput(
            f"the code is longer than {MAX_TOKEN} characters; no Tem code is that long",
            field="token",
        )
    return token


def _text(value: str, field: str, low: int, high: int, what: str, *, one_line: bool = False) -> str:
    """``value`` stripped, checked for length and characters (see :mod:`tem.validation`).

    Raises:
        InvalidInput: (``field=field``) too short, too long, or a character refused by
            :func:`tem.validation.name_problem` (``one_line``) or ``text_problem``.
    """
    problem = name_problem(value) if one_line else text_problem(value)
    if problem is not None:
        raise InvalidInput(f"{what} {problem}", field=field)
    value = value.strip()
    if len(value) < low:
        raise InvalidInput(f"{what} must be at least {low} characters", field=field)
    if len(value) > high:
        raise InvalidInput(f"{what} must be at most {high} characters", field=field)
    return value


def _status(value: str, field: str = "status") -> ReportStatus:
    try:
        return ReportStatus(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in ReportStatus)
        raise InvalidInput(f"status must be one of: {allowed}", field=field) from None


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more", field="offset")


def _require_reviewer(principal: Principal) -> None:
    if principal.role not in (Role.INSPECTOR, Role.AUTHORITY):
        raise Forbidden("only inspectors and authorities handle counterfeit reports")


# --- photos on disk -----------------------------------------------------------------


def _store_photo(directory: Path, photo: Photo) -> str:
    """Write ``photo`` to a new file of its own (mode 0600, never over an existing one)."""
    extension = _EXTENSIONS.get(photo.media_type)
    if extension is None:  # validate_photo only ever returns these two
        raise InvalidInput("only JPEG and PNG photos are stored", field="photo")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    path = directory / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(photo.data)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return name


def remove_photo(directory: Path, name: str | None) -> bool:
    """Delete the photo file ``name`` (a name Tem gave, nothing else) if it is there.

    Returns True when a file was deleted. Raises nothing.
    """
    if name and PHOTO_NAME.fullmatch(name):
        try:
            (directory / name).unlink()
        except OSError:
            return False
        return True
    return False


def discard_new_photos(session: Session) -> None:
    """Remove the photo files this unit of work wrote: call it when its commit failed."""
    for directory, name in session.info.pop(_WRITTEN, []):
        remove_photo(directory, name)


# --- the public side: taking a report in ---------------------------------------------


def create_report(
    session: Session,
    *,
    token: str,
    verdict: str,
    stamp_id: int | None,
    batch_id: int | None,
    problem: str,
    where_bought: str,
    contact: str,
    session_id: str,
    photo: Photo | None,
    reports_dir: Path,
    now: datetime | None = None,
) -> Report:
    """Store a shopper's report about ``token``, with its photo if one was sent.

    ``verdict``, ``stamp_id`` and ``batch_id`` are what verifying the token found (a
    report about a garbage code is kept too, with verdict "invalid" and neither).
    ``session_id`` is the HMAC of the browser's cookie (:func:`tem.scans.service.session_hash`).

    The same browser reporting the same code again within 24 hours gets its earlier
    report back while that one is still open, and nothing new is stored: a flood
    from one browser is one report.

    The photo is written first, to ``<reports_dir>/<random>.<ext>`` with mode 0600,
    and the row flushed after; if the flush fails the file is removed again. The
    caller commits (and calls :func:`discard_new_photos` if the commit fails).

    Raises:
        InvalidInput: ``token`` empty or longer than 240 characters, ``problem``
            outside 5..2000 characters, ``where_bought`` over 300, ``contact`` over 200,
            or a field with a character :mod:`tem.validation` refuses (control
            characters; in one-line fields also bidirectional and zero-width ones).
    """
    # 1. Validate every field before anything is written.
    token = normalize_token(token)
    problem = _text(problem, "problem", *PROBLEM_LENGTH, "the description of the problem")
    where_bought = _text(
        where_bought, "where_bought", 0, MAX_WHERE_BOUGHT, "where it was bought", one_line=True
    )
    contact = _text(contact, "contact", 0, MAX_CONTACT, "the contact", one_line=True)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    # 2. The same browser and the same code within the window: the open report it already made.
    earlier = session.scalars(
        select(Report)
        .where(
            Report.session == session_id,
            func.upper(Report.token) == token.upper(),
            Report.status == ReportStatus.OPEN,
            Report.created_at >= moment - DEDUPE_WINDOW,
        )
        .order_by(Report.id.desc())
        .limit(1)
    ).first()
    if earlier is not None:
        return earlier
    # 3. The photo file, then the row; never a row pointing at a file that is not there.
    photo_name = _store_photo(reports_dir, photo) if photo is not None else None
    if photo_name is not None:
        session.info.setdefault(_WRITTEN, []).append((reports_dir, photo_name))
    report = Report(
        public_id=new_public_id(),
        status=ReportStatus.OPEN,
        token=token,
        verdict=verdict[:16],
        stamp_id=stamp_id,
        batch_id=batch_id,
        problem=problem,
        where_bought=where_bought,
        contact=contact,
        session=session_id,
        photo_name=photo_name,
        photo_type=photo.media_type if photo is not None else None,
        notes=[],
        created_at=moment,
        updated_at=moment,
    )
    session.add(report)
    try:
        session.flush()
    except BaseException:
        remove_photo(reports_dir, photo_name)
        raise
    return report


# --- the inspectors' side: the queue -------------------------------------------------


def _visible(principal: Principal) -> Any:
    """The filter for reports ``principal`` may read (None: all of them)."""
    if principal.role in (Role.INSPECTOR, Role.AUTHORITY):
        return None
    own_batches = select(Batch.id).where(Batch.organization_id == principal.organization.id)
    return Report.batch_id.in_(own_batches)


def list_reports(
    session: Session,
    principal: Principal,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Report]:
    """Reports newest first. Inspectors and authorities see all; a cooperative, its batches'.

    Raises:
        InvalidInput: an unknown status, ``limit`` outside 1..200, a negative ``offset``.
    """
    _page(limit, offset)
    query = select(Report).order_by(Report.created_at.desc(), Report.id.desc())
    visible = _visible(principal)
    if visible is not None:
        query = query.where(visible)
    if status is not None and status.strip():
        query = query.where(Report.status == _status(status))
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_report(
    session: Session, principal: Principal, public_id: str, *, for_update: bool = False
) -> Report:
    """One report the caller may read; anyone else's is "not found".

    Raises:
        NotFound: no such report, or not one this cooperative may see (also an id
            that no report can have: over 100 characters or with control characters).
    """
    if len(public_id) > MAX_ID or name_problem(public_id) is not None:
        raise NotFound("no report with that id")
    query = select(Report).where(Report.public_id == public_id.strip().lower())
    visible = _visible(principal)
    if visible is not None:
        query = query.where(visible)
    if for_update:
        query = query.with_for_update()
    report = session.scalars(query).first()
    if report is None:
        raise NotFound("no report with that id")
    return report


def update_report(
    session: Session,
    principal: Principal,
    public_id: str,
    status: str | None,
    note: str,
    *,
    now: datetime | None = None,
) -> Report:
    """Move a report on (or only add a note) and append the note to its record.

    Allowed moves: open → investigating or dismissed; investigating →
    confirmed_counterfeit or dismissed. Closing (confirmed_counterfeit, dismissed)
    needs a note saying why, and sets ``closed_at``: ``TEM_REPORT_CONTACT_DAYS`` after
    it the shopper's contact and photo are erased (:mod:`tem.scans.privacy`).

    Raises:
        Forbidden: the caller is a cooperative.
        NotFound: no such report.
        InvalidInput: an unknown status, a note over 2000 characters, no note when
            closing, or neither a status nor a note.
        Conflict: a move the workflow does not allow (the message names those it does).
    """
    _require_reviewer(principal)
    note = _text(note, "note", 0, MAX_NOTE, "the note")
    target = _status(status) if status is not None and status.strip() else None
    if target is None and not note:
        raise InvalidInput("give a new status, a note, or both", field="note")
    if target in CLOSED and not note:
        raise InvalidInput(
            f"say why the report is {target.value if target else 'closed'}: a note is required",
            field="note",
        )
    report = get_report(session, principal, public_id, for_update=True)
    if target is not None:
        allowed = NEXT_STATUSES[report.status]
        if target not in allowed:
            if allowed:
                names = " or ".join(s.value for s in allowed)
                raise Conflict(
                    f"a report that is {report.status.value} can only become {names}, "
                    f"not {target.value}"
                )
            raise Conflict(f"the report is closed ({report.status.value}); its status is final")
        report.status = target
    moment = now or datetime.now(UTC)
    if target in CLOSED:
        # The retention clock of the shopper's contact and photo starts here (docs/privacy.md).
        report.closed_at = moment
    entry = {
        "at": moment.isoformat(timespec="seconds"),
        "by": principal.organization.public_id,
        "status": report.status.value,
        "note": note,
    }
    report.notes = [*(report.notes or []), entry]  # a new list, so the change is seen
    report.updated_at = moment
    session.flush()
    return report


def report_photo(
    session: Session, principal: Principal, public_id: str, reports_dir: Path
) -> tuple[bytes, str]:
    """The report's photo bytes and media type.

    Raises:
        NotFound: no such report for this caller, the report has no photo, or its
            file is gone.
    """
    report = get_report(session, principal, public_id)
    name, media_type = report.photo_name, report.photo_type
    if not name or not media_type or not PHOTO_NAME.fullmatch(name):
        raise NotFound("this report has no photo")
    try:
        return (reports_dir / name).read_bytes(), media_type
    except OSError as exc:
        raise NotFound("this report's photo file is missing") from exc


def reports_out(
    session: Session, principal: Principal, reports: Sequence[Report]
) -> list[dict[str, Any]]:
    """The API shape of ``reports``, with their stamps' serials and batches' ids.

    A cooperative is not shown the shopper's contact: the shopper gave it to the
    inspectors, and the report may be about the cooperative's own conduct.
    """
    reviewer = principal.role in (Role.INSPECTOR, Role.AUTHORITY)
    stamp_ids = {r.stamp_id for r in reports if r.stamp_id is not None}
    batch_ids = {r.batch_id for r in reports if r.batch_id is not None}
    serials = serials_by_id(session, stamp_ids)
    batches: dict[int, tuple[bytes, str, str]] = {}
    if batch_ids:
        rows = session.execute(
            select(Batch.id, Batch.public_id, Batch.lot_code, Organization.public_id)
            .join(Organization, Organization.id == Batch.organization_id)
            .where(Batch.id.in_(batch_ids))
        )
        batches = {pk: (public, lot, org) for pk, public, lot, org in rows}
    out = []
    for report in reports:
        serial = serials.get(report.stamp_id) if report.stamp_id is not None else None
        batch = batches.get(report.batch_id) if report.batch_id is not None else None
        out.append(
            {
                "id": report.public_id,
                "status": report.status.value,
                "next_statuses": [s.value for s in NEXT_STATUSES[report.status]],
                "created_at": report.created_at,
                "updated_at": report.updated_at,
                "token": report.token,
                "verdict": report.verdict,
                "stamp_serial": short_serial(serial) if serial is not None else None,
                "batch_id": batch[0].hex() if batch else None,
                "lot_code": batch[1] if batch else None,
                "organization_id": batch[2] if batch else None,
                "problem": report.problem,
                "where_bought": report.where_bought,
                "contact": report.contact if reviewer else None,
                "has_photo": report.photo_name is not None,
                "photo_type": report.photo_type,
                "notes": list(report.notes or []),
            }
        )
    return out


def report_out(session: Session, principal: Principal, report: Report) -> dict[str, Any]:
    return reports_out(session, principal, [report])[0]
