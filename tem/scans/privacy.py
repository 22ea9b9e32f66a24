"""Retention of personal data: what scans and reports keep once their purpose is served.

Vietnam's Personal Data Protection Law (91/2025/QH15, in force 1 January 2026; Decree
13/2023/ND-CP before it) asks that personal data be kept no longer than its purpose
needs. docs/privacy.md lists every personal datum Tem keeps; this module ends two of
them on time:

* **Scan details.** ``TEM_SCAN_DETAIL_DAYS`` (default 400) after a scan, it keeps only
  its day (midnight, Vietnam time), its province, its verdict, its kind and its stamp,
  batch and inspector links. Its browser pseudonym (``session``) and browser and system
  families become "", its network hash None, its place the seat of its province
  (rounded to 0.1°, as the page's own form stores it) and ``place_verified`` False.
* **Report contacts.** ``TEM_REPORT_CONTACT_DAYS`` (default 90) after a report was
  closed, its shopper's contact, photo (the file and its name) and browser pseudonym are
  erased; the problem, the place of purchase and the inspectors' notes stay.

Photo files that no report names (left by a crash between writing the file and
committing its report) are deleted once a day old.

:func:`purge` does it in short transactions of at most :data:`BATCH_SIZE` rows, so it
never holds a long write lock; it is idempotent (a purged scan has an empty session and
is never selected again; an erased report matches nothing). ``tem privacy purge`` runs it,
and each server worker runs it daily (:class:`DailyPurge`). Unlike request services it
commits, batch by batch: that is the point of it.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Final, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from tem.models import Report, ReportStatus, Scan
from tem.models.scan import PURGED_SESSION
from tem.scans.places import current_unit, find_place, nearest_place, valid_coordinates
from tem.scans.reports import PHOTO_NAME, remove_photo
from tem.scans.retention import Retention
from tem.words.formats import VIETNAM_TIME

BATCH_SIZE: Final = 1000  # rows per transaction
# A photo file no report names is deleted only once this old: a report being created
# right now writes its file before its row.
ORPHAN_PHOTO_AGE: Final = timedelta(days=1)
PURGED: Final = PURGED_SESSION  # what a purged scan's session, ua_family and os_family hold

DAY_S: Final = 24 * 3600
# A server worker's first purge comes this long after it starts, plus up to as much again
# at random, so that a restart is not slowed and several workers seldom run at once.
FIRST_RUN_DELAY_S: Final = 600

log = logging.getLogger("tem.privacy")

_SCANS = cast(Table, Scan.__table__)
_REPORTS = cast(Table, Report.__table__)
# Written out literally, so that SQLite's planner sees the partial index's own condition.
_DETAIL_KEPT = _SCANS.c.session != literal_column("''")
_CLOSED = (ReportStatus.CONFIRMED.value, ReportStatus.DISMISSED.value)


@dataclass(frozen=True)
class PurgeCounts:
    """What one purge did (or, on a dry run, would do). Counts only, never a datum."""

    scans: int = 0  # scans whose details were purged
    reports: int = 0  # closed reports whose contact, photo and session were erased
    photos: int = 0  # photo files of those reports deleted
    orphan_photos: int = 0  # photo files no report named, deleted
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        return (
            f"{verb} {self.scans} scans' details, {self.reports} reports' contacts, "
            f"{self.photos} report photos, {self.orphan_photos} orphan photos"
        )


# --- what a purged scan keeps -----------------------------------------------------------


def scan_day(moment: datetime) -> datetime:
    """The start of ``moment``'s day in Vietnam time (UTC+07:00), as an aware UTC time.

    A purged scan keeps this instead of its time: 2025-03-01 01:30 +07:00 becomes
    2025-03-01 00:00 +07:00 (2025-02-28 17:00 UTC). A naive ``moment`` is taken as UTC,
    as SQLite returns stored times. Raises nothing.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(VIETNAM_TIME)
    return datetime.combine(local.date(), time(), VIETNAM_TIME).astimezone(UTC)


def province_place(
    lat: float | None, lon: float | None, place_name: str | None
) -> tuple[float | None, float | None, str | None]:
    """A scan's place cut down to its province: ``(lat, lon, name)`` of the current unit's
    seat (rounded to 0.1°, as the page's form stores it), or ``(None, None, None)``.

    The named place wins (its current unit: "Yên Bái" becomes "Lào Cai"); else the unit
    nearest the coordinates; a name that is no place and no coordinates leave nothing.
    Raises nothing.
    """
    place = find_place(place_name) if place_name else None
    if place is None and lat is not None and lon is not None and valid_coordinates(lat, lon):
        place = nearest_place(lat, lon)
    if place is None:
        return None, None, None
    unit = current_unit(place)
    return round(unit.lat, 1) + 0.0, round(unit.lon, 1) + 0.0, unit.name_vi


# --- the purge --------------------------------------------------------------------------


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _batches(
    sessions: sessionmaker[Session], table: Table, due: ColumnElement[bool], batch_size: int
) -> int:
    """How many batches the rows due now fill, and one more: the loops never run longer,
    whatever happens to the rows meanwhile (the cutoff is fixed, so no new row falls due)."""
    return -(-_count(sessions, table, due) // batch_size) + 1


def _purge_scans(
    sessions: sessionmaker[Session],
    cutoff: datetime,
    batch_size: int,
    stop: threading.Event | None,
) -> int:
    old = and_(_SCANS.c.scanned_at < cutoff, _DETAIL_KEPT)
    change = (
        update(_SCANS)
        .where(_SCANS.c.id == bindparam("pk"), _DETAIL_KEPT)
        .values(
            scanned_at=bindparam("day"),
            session=PURGED,
            network=None,
            ua_family=PURGED,
            os_family=PURGED,
            lat=bindparam("new_lat"),
            lon=bindparam("new_lon"),
            place_name=bindparam("new_place"),
            place_verified=False,
        )
    )
    done = 0
    for _ in range(_batches(sessions, _SCANS, old, batch_size)):
        if _stopped(stop):
            break
        with sessions() as session, session.begin():
            connection = session.connection()
            rows = connection.execute(
                select(
                    _SCANS.c.id,
                    _SCANS.c.scanned_at,
                    _SCANS.c.lat,
                    _SCANS.c.lon,
                    _SCANS.c.place_name,
                )
                .where(old)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            values = []
            for pk, at, lat, lon, place_name in rows:
                new_lat, new_lon, new_place = province_place(lat, lon, place_name)
                values.append(
                    {
                        "pk": pk,
                        "day": scan_day(at),
                        "new_lat": new_lat,
                        "new_lon": new_lon,
                        "new_place": new_place,
                    }
                )
            connection.execute(change, values)
        done += len(rows)
        if len(rows) < batch_size:
            break
    return done


def _erasable_reports(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        _REPORTS.c.status.in_(_CLOSED),
        _REPORTS.c.closed_at.is_not(None),
        _REPORTS.c.closed_at < cutoff,
        or_(
            _REPORTS.c.contact != literal_column("''"),
            _REPORTS.c.photo_name.is_not(None),
            _REPORTS.c.session != literal_column("''"),
        ),
    )


def _erase_reports(
    sessions: sessionmaker[Session],
    cutoff: datetime,
    reports_dir: Path,
    batch_size: int,
    stop: threading.Event | None,
) -> tuple[int, int]:
    change = (
        update(_REPORTS)
        .where(_REPORTS.c.id == bindparam("pk"))
        .values(contact="", session="", photo_name=None, photo_type=None)
    )
    erased = photos = 0
    for _ in range(_batches(sessions, _REPORTS, _erasable_reports(cutoff), batch_size)):
        if _stopped(stop):
            break
        with sessions() as session, session.begin():
            connection = session.connection()
            rows = connection.execute(
                select(_REPORTS.c.id, _REPORTS.c.photo_name)
                .where(_erasable_reports(cutoff))
                .limit(batch_size)
            ).all()
            if not rows:
                break
            # Files first: if the commit then fails, the next run finds the rows again
            # (a row naming a deleted file reads as "photo missing", never the reverse).
            photos += sum(remove_photo(reports_dir, name) for _, name in rows)
            connection.execute(change, [{"pk": pk} for pk, _ in rows])
        erased += len(rows)
        if len(rows) < batch_size:
            break
    return erased, photos


def _photo_files(reports_dir: Path, older_than: datetime) -> list[str]:
    """Names of Tem's photo files in ``reports_dir`` last written before ``older_than``."""
    try:
        entries = list(os.scandir(reports_dir))
    except OSError:
        return []
    limit = older_than.timestamp()
    names = []
    for entry in entries:
        if not PHOTO_NAME.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if entry.is_file(follow_symlinks=False) and info.st_mtime < limit:
            names.append(entry.name)
    return names


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _orphan_photos(
    sessions: sessionmaker[Session], reports_dir: Path, now: datetime, batch_size: int
) -> list[str]:
    candidates = _photo_files(reports_dir, now - ORPHAN_PHOTO_AGE)
    orphans: list[str] = []
    with sessions() as session:
        for chunk in _chunks(candidates, batch_size):
            named = set(
                session.scalars(select(Report.photo_name).where(Report.photo_name.in_(chunk)))
            )
            orphans.extend(name for name in chunk if name not in named)
    return orphans


def _count(sessions: sessionmaker[Session], table: Table, condition: ColumnElement[bool]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(condition)) or 0)


def purge(
    sessions: sessionmaker[Session],
    retention: Retention,
    reports_dir: Path,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None,
) -> PurgeCounts:
    """Purge scan details and erase closed reports' contacts that are due (module doc).

    Each batch of at most ``batch_size`` rows is its own transaction, committed before
    the next is read; ``stop`` (set) ends the work between batches. ``dry_run`` counts
    what is due and changes nothing. Running it again at once finds nothing to do.

    Raises:
        ValueError: ``batch_size`` is less than 1.
        sqlalchemy.exc.SQLAlchemyError: the database failed (the batches committed
            before stay done; the rest is done by the next run).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    scan_cutoff = moment - timedelta(days=retention.scan_detail_days)
    report_cutoff = moment - timedelta(days=retention.report_contact_days)
    if dry_run:
        with sessions() as session:
            report_photos = int(
                session.scalar(
                    select(func.count())
                    .select_from(_REPORTS)
                    .where(_erasable_reports(report_cutoff), _REPORTS.c.photo_name.is_not(None))
                )
                or 0
            )
        return PurgeCounts(
            scans=_count(sessions, _SCANS, and_(_SCANS.c.scanned_at < scan_cutoff, _DETAIL_KEPT)),
            reports=_count(sessions, _REPORTS, _erasable_reports(report_cutoff)),
            photos=report_photos,
            orphan_photos=len(_orphan_photos(sessions, reports_dir, moment, batch_size)),
            dry_run=True,
        )
    scans = _purge_scans(sessions, scan_cutoff, batch_size, stop)
    reports, photos = _erase_reports(sessions, report_cutoff, reports_dir, batch_size, stop)
    orphans = 0
    if not _stopped(stop):
        orphans = sum(
            remove_photo(reports_dir, name)
            for name in _orphan_photos(sessions, reports_dir, moment, batch_size)
        )
    return PurgeCounts(scans, reports, photos, orphans)


# --- once a day, in each server worker ----------------------------------------------------


def server_first_delay() -> float:
    """Seconds before a server worker's first purge: 10 to 20 minutes, at random."""
    return float(FIRST_RUN_DELAY_S + secrets.randbelow(FIRST_RUN_DELAY_S + 1))


class DailyPurge:
    """Runs :func:`purge` in a daemon thread: after ``first_delay_s``, then every
    ``interval_s`` (a day), until :meth:`stop`.

    Each server worker runs one (``create_app``'s lifespan, unless
    ``TEM_PRIVACY_PURGE_DAILY`` is off): the purge is idempotent and, with nothing due,
    one indexed query per table, so workers need no lock between them; if two overlap,
    the second finds the rows already done. A failed purge is logged (the error's type,
    never its message: that could quote a datum) and tried again at the next interval;
    it never stops the thread or the server. Logs hold counts only.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        retention: Retention,
        reports_dir: Path,
        *,
        first_delay_s: float,
        interval_s: float = DAY_S,
    ) -> None:
        self._sessions = sessions
        self._retention = retention
        self._reports_dir = reports_dir
        self._first_delay_s = first_delay_s
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tem-privacy-purge", daemon=True)
        self.runs = 0  # purges attempted, failed ones included
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end (between two batches at most) and wait up to ``timeout``."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        delay = self._first_delay_s
        while not self._stop.wait(delay):
            self.run_once()
            delay = self._interval_s

    def run_once(self) -> PurgeCounts | None:
        """One purge; None when it failed (logged). Raises nothing."""
        self.runs += 1
        try:
            counts = purge(self._sessions, self._retention, self._reports_dir, stop=self._stop)
        except Exception as exc:  # a failed purge must never take a worker down
            self.failures += 1
            log.warning(
                "privacy purge failed (%s); it runs again in %.0f hours",
                type(exc).__name__,
                self._interval_s / 3600,
            )
            return None
        log.info("privacy purge: %s", counts.summary())
        return counts


def configure_log() -> None:
    """Send ``tem.privacy`` lines (counts only) to stderr, once per process."""
    if any(getattr(handler, "_tem", False) for handler in log.handlers):
        return
    handler = logging.StreamHandler()
    handler._tem = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
