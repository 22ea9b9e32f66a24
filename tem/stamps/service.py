"""Print runs: idempotent, issued in whole committed chunks, resumable to exactly N.

A run is created once per (cooperative, request key): retrying the same request
returns the same run. Stamps are then signed and inserted ``chunk`` at a time, each
chunk in its own transaction together with the run's ``issued`` counter, so a
process killed half-way leaves only whole chunks, no duplicate serials, and a run
that :func:`issue_chunks` completes from where it stopped. Memory stays constant:
one chunk of rows at a time.

One issuer at a time per run, whoever asks: the issuer holds a lease on the run row
(:func:`claim_run`), renewed with each chunk, so a resume never runs beside another
issuer, and a crashed issuer's run is claimed again once its lease has run out.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NewType

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tem.crypto.keys import KeyId
from tem.crypto.statements import SERIAL_LENGTH, BatchId, Serial, token_url
from tem.db import unit_of_work
from tem.errors import Conflict, Forbidden, InvalidInput, NotFound
from tem.http.metrics import record_stamps_issued
from tem.keys.service import active_signing_key, to_unix
from tem.keys.store import KeyStore
from tem.models import (
    Batch,
    Organization,
    PrintRun,
    Revocation,
    Role,
    RunStatus,
    SigningKey,
    Stamp,
    StampStatus,
)
from tem.orgs.service import Principal, new_public_id
from tem.stamps.tokens import StampSigner, parse_short_serial, short_serial, stamp_token_text
from tem.trace.service import get_batch
from tem.validation import text_problem

CHUNK = 1000
MAX_STAMPS_PER_RUN = 10_000_000
MAX_VOID_RANGE = 1_000_000
REQUEST_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,100}")
# An issuer renews its lease with every chunk (a chunk takes well under a second); a
# lease not renewed for this long belongs to a crashed issuer and may be claimed again.
LEASE_TTL = timedelta(seconds=60)

LeaseToken = NewType("LeaseToken", str)
log = logging.getLogger(__name__)


def require_cooperative(principal: Principal) -> Organization:
    if principal.role is not Role.COOPERATIVE:
        raise Forbidden("only a cooperative issues stamps for its own batches")
    return principal.organization


def new_request_key() -> str:
    return "run-" + secrets.token_hex(8)


def start_run(
    session: Session,
    principal: Principal,
    batch_id: str,
    count: int,
    request_key: str,
    *,
    now: datetime | None = None,
) -> tuple[PrintRun, bool]:
    """Create the print run for ``request_key``, or return the one it already made.

    Safe to call concurrently with one request key: exactly one caller creates the
    run (``created`` True), every other gets that same run.

    Returns (run, created). Raises:
        InvalidInput: a count outside 1..10,000,000 or a malformed request key.
        Conflict: the key was used for a different batch or count; the batch is recalled.
        NotFound: the batch is not this cooperative's.
    """
    org = require_cooperative(principal)
    if not 1 <= count <= MAX_STAMPS_PER_RUN:
        raise InvalidInput(f"count must be between 1 and {MAX_STAMPS_PER_RUN:,}", field="count")
    if not REQUEST_KEY.fullmatch(request_key):
        raise InvalidInput("request_key: 1 to 100 of A-Z a-z 0-9 . _ : -", field="request_key")
    batch = get_batch(session, principal, batch_id)
    existing = session.scalars(
        select(PrintRun).where(
            PrintRun.organization_id == org.id, PrintRun.request_key == request_key
        )
    ).first()
    if existing is not None:
        if existing.batch_id != batch.id or existing.requested != count:
            raise Conflict("this request key was already used for a different print run")
        return existing, False
    if batch.recalled_at is not None:
        raise Conflict("the batch is recalled: no new stamps can be issued for it")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    key = active_signing_key(session, org, moment)
    # Insert unless the same key got there first (a concurrent retry of this request):
    #    ON CONFLICT DO NOTHING on (organization, request key), so the loser neither fails
    #    nor aborts its transaction, then read whichever run is stored.
    public_id = new_public_id()
    statement = _insert_for(session)(PrintRun).values(
        public_id=public_id,
        organization_id=org.id,
        batch_id=batch.id,
        request_key=request_key,
        requested=count,
        issued=0,
        status=RunStatus.ISSUING,
        issued_at=to_unix(moment),
        signing_key_id=key.id,
    )
    session.execute(
        statement.on_conflict_do_nothing(index_elements=["organization_id", "request_key"])
    )
    run = session.scalars(
        select(PrintRun)
        .where(PrintRun.organization_id == org.id, PrintRun.request_key == request_key)
        .execution_options(populate_existing=True)
    ).one()
    if run.public_id != public_id:  # another request with this key won the race
        if run.batch_id != batch.id or run.requested != count:
            raise Conflict("this request key was already used for a different print run")
        return run, False
    return run, True


def _insert_for(session: Session) -> Any:
    """The dialect's ``insert`` (both have ``on_conflict_do_nothing``)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _signer(session: Session, store: KeyStore, run: PrintRun) -> StampSigner:
    key = session.get(SigningKey, run.signing_key_id)
    if key is None:  # pragma: no cover - foreign key
        raise NotFound("the run's signing key is gone")
    if session.scalar(select(Revocation.id).where(Revocation.key_id == key.id)) is not None:
        raise Conflict("the run's signing key has been revoked; start a new print run")
    batch_public = session.scalar(select(Batch.public_id).where(Batch.id == run.batch_id))
    return StampSigner(
        store.load(key.store_name), KeyId(key.kid), BatchId(batch_public or b""), run.issued_at
    )


class RunBusy(Conflict):
    """Another process holds the run's lease: it is issuing the run now."""


def claim_run(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    now: datetime | None = None,
    ttl: timedelta = LEASE_TTL,
) -> LeaseToken | None:
    """Take the lease on an unfinished run, committed: the holder is its only issuer.

    One conditional UPDATE, so of any number of callers at once (threads, workers,
    processes, on SQLite or PostgreSQL) at most one gets it. A lease nobody renews
    (its issuer crashed) ends ``ttl`` after the last committed chunk and can be claimed
    again. Returns the lease's token, or None: the run is complete, gone, or leased.
    """
    moment = now or datetime.now(UTC)
    token = LeaseToken(secrets.token_hex(16))
    with unit_of_work(factory) as session:
        result = session.execute(
            update(PrintRun)
            .where(
                PrintRun.id == run_id,
                PrintRun.status != RunStatus.COMPLETE,
                or_(
                    PrintRun.issuer_lease_until.is_(None),
                    PrintRun.issuer_lease_until < moment,
                ),
            )
            .values(issuer_token=token, issuer_lease_until=moment + ttl)
            .execution_options(synchronize_session=False)
        )
        claimed = result.rowcount == 1  # type: ignore[attr-defined]
    return token if claimed else None


def release_run(factory: sessionmaker[Session], run_id: int, token: LeaseToken) -> None:
    """Give the lease up (if it is still this token's); never raises: it would run out anyway."""
    try:
        with unit_of_work(factory) as session:
            session.execute(
                update(PrintRun)
                .where(PrintRun.id == run_id, PrintRun.issuer_token == token)
                .values(issuer_token=None, issuer_lease_until=None)
                .execution_options(synchronize_session=False)
            )
    except SQLAlchemyError:
        log.warning("print run %d: could not release its lease; it expires by itself", run_id)


def require_issuable(session: Session, run: PrintRun) -> None:
    """Raises Conflict if the run can never be finished: its signing key is revoked."""
    if session.scalar(select(Revocation.id).where(Revocation.key_id == run.signing_key_id)):
        raise Conflict("the run's signing key has been revoked; start a new print run")


def runs_to_resume(session: Session, *, now: datetime | None = None) -> list[int]:
    """Unfinished runs nobody is issuing (no lease, or one that ran out) and that can be
    finished (their key is not revoked), oldest first."""
    moment = now or datetime.now(UTC)
    revoked = select(Revocation.id).where(Revocation.key_id == PrintRun.signing_key_id)
    return list(
        session.scalars(
            select(PrintRun.id)
            .where(
                PrintRun.status != RunStatus.COMPLETE,
                or_(
                    PrintRun.issuer_lease_until.is_(None),
                    PrintRun.issuer_lease_until < moment,
                ),
                ~revoked.exists(),
            )
            .order_by(PrintRun.id)
        )
    )


def _read_run(factory: sessionmaker[Session], run_id: int) -> PrintRun:
    with factory() as session:
        run = session.get(PrintRun, run_id)
        if run is None:
            raise NotFound("no such print run")
        return run


def _claim_or_wait(
    factory: sessionmaker[Session], run_id: int, wait: float, ttl: timedelta
) -> LeaseToken | PrintRun:
    """The lease, or the run once complete; waits up to ``wait`` seconds for its holder.

    Raises:
        RunBusy: another process still holds the lease after ``wait`` seconds.
        NotFound: no such run.
    """
    deadline = time.monotonic() + wait
    while True:
        token = claim_run(factory, run_id, ttl=ttl)
        if token is not None:
            return token
        run = _read_run(factory, run_id)
        if run.status is RunStatus.COMPLETE:
            return run
        if time.monotonic() >= deadline:
            raise RunBusy(
                f"print run {run.public_id} is being issued by another process "
                f"({run.issued:,} of {run.requested:,} so far); it finishes by itself"
            )
        time.sleep(0.05)


def issue_chunks(
    factory: sessionmaker[Session],
    store: KeyStore,
    run_id: int,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    max_chunks: int | None = None,
    lease: LeaseToken | None = None,
    wait: float = 0.0,
    stop: threading.Event | None = None,
    ttl: timedelta = LEASE_TTL,
) -> PrintRun:
    """Issue the run's missing stamps, one committed chunk at a time, until it is complete.

    Only the holder of the run's lease issues (:func:`claim_run`): give ``lease`` if
    the caller claimed it, else this claims it, waiting up to ``wait`` seconds for
    another holder to finish. Each chunk renews the lease in its own transaction, as
    its first statement (so the chunk is written only while the lease is this one's),
    and the lease is released when the run is complete, on an error, or on a stop.
    A run that is already complete is returned as it is.

    ``progress(issued, requested)`` is called after each chunk. ``max_chunks`` stops
    early (tests use it to stop part-way); so does ``stop`` once set (a shutdown). A
    run whose lease was taken over (this issuer stalled beyond ``ttl``) is left to its
    new holder and returned as it is.

    Raises:
        RunBusy: another process holds the lease (after ``wait`` seconds).
        Conflict: the run's signing key has been revoked.
        NotFound: no such run.
    """
    if lease is None:
        claimed = _claim_or_wait(factory, run_id, wait, ttl)
        if isinstance(claimed, PrintRun):
            return claimed
        lease = claimed
    try:
        return _issue_leased(factory, store, run_id, lease, chunk, progress, max_chunks, stop, ttl)
    finally:
        release_run(factory, run_id, lease)


def _issue_leased(
    factory: sessionmaker[Session],
    store: KeyStore,
    run_id: int,
    lease: LeaseToken,
    chunk: int,
    progress: Callable[[int, int], None] | None,
    max_chunks: int | None,
    stop: threading.Event | None,
    ttl: timedelta,
) -> PrintRun:
    signer: StampSigner | None = None
    done_chunks = 0
    retries = 0
    while True:
        if stop is not None and stop.is_set():
            return _read_run(factory, run_id)
        try:
            with unit_of_work(factory) as session:
                # 1. Renew the lease, the transaction's first write: it takes the run's row
                #    lock (PostgreSQL) or the write lock (SQLite) before anything is read.
                renewed = session.execute(
                    update(PrintRun)
                    .where(PrintRun.id == run_id, PrintRun.issuer_token == lease)
                    .values(issuer_lease_until=datetime.now(UTC) + ttl)
                    .execution_options(synchronize_session=False)
                )
                run = session.get(PrintRun, run_id, populate_existing=True)
                if run is None:
                    raise NotFound("no such print run")
                # 2. Lost (expired and claimed by another issuer): that one finishes it.
                if renewed.rowcount != 1:  # type: ignore[attr-defined]
                    return run
                # 3. Nothing left: complete it (the lease ends with the run).
                if run.issued >= run.requested:
                    _complete(run)
                    return run
                # 4. One chunk of signed stamps and the counter, committed together.
                if signer is None:
                    signer = _signer(session, store, run)
                count = min(chunk, run.requested - run.issued)
                rows = []
                for offset in range(count):
                    serial = secrets.token_bytes(SERIAL_LENGTH)
                    rows.append(
                        {
                            "run_id": run.id,
                            "batch_id": run.batch_id,
                            "seq": run.issued + offset + 1,
                            "serial": serial,
                            "signature": signer.sign(Serial(serial)),
                            "status": StampStatus.ACTIVE.value,
                            "scan_count": 0,
                        }
                    )
                _insert_stamps(session, rows)
                run.issued += count
                if run.issued == run.requested:
                    _complete(run)
                issued, requested = run.issued, run.requested
        except IntegrityError:
            # An 80-bit serial collided: the whole chunk was rolled back, so try again.
            retries += 1
            if retries > 5:
                raise
            continue
        record_stamps_issued(count)  # the chunk is committed
        if progress is not None:
            progress(issued, requested)
        if issued == requested:
            return _read_run(factory, run_id)
        done_chunks += 1
        if max_chunks is not None and done_chunks >= max_chunks:
            return _read_run(factory, run_id)


def _complete(run: PrintRun) -> None:
    if run.status is not RunStatus.COMPLETE:
        run.status, run.completed_at = RunStatus.COMPLETE, datetime.now(UTC)
    run.issuer_token = run.issuer_lease_until = None


_STAMP_COLUMNS = ("run_id", "batch_id", "seq", "serial", "signature", "status", "scan_count")


def _insert_stamps(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert one chunk: COPY on PostgreSQL (one round trip), executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        statement = f"COPY stamps ({', '.join(_STAMP_COLUMNS)}) FROM STDIN"
        import psycopg

        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row([row[c] for c in _STAMP_COLUMNS])
        except psycopg.errors.IntegrityError as exc:  # a duplicate serial: the chunk is retried
            raise IntegrityError(statement, None, exc) from exc
        return
    session.execute(insert(Stamp), rows)


def get_run(session: Session, principal: Principal, public_id: str) -> PrintRun:
    query = select(PrintRun).where(PrintRun.public_id == public_id)
    if principal.role is Role.COOPERATIVE:
        query = query.where(PrintRun.organization_id == principal.organization.id)
    run = session.scalars(query).first()
    if run is None:
        raise NotFound("no print run with that id")
    return run


def list_runs(session: Session, principal: Principal, batch: Batch) -> list[PrintRun]:
    return list(
        session.scalars(select(PrintRun).where(PrintRun.batch_id == batch.id).order_by(PrintRun.id))
    )


def run_out(session: Session, run: PrintRun) -> dict[str, object]:
    batch_public = session.scalar(select(Batch.public_id).where(Batch.id == run.batch_id)) or b""
    return {
        "id": run.public_id,
        "batch_id": batch_public.hex(),
        "request_key": run.request_key,
        "requested": run.requested,
        "issued": run.issued,
        "status": run.status.value,
        "issued_at": datetime.fromtimestamp(run.issued_at, UTC),
        "completed_at": run.completed_at,
    }


@dataclass(frozen=True)
class StampRow:
    seq: int
    serial: bytes
    token: str
    url: str

    @property
    def short_serial(self) -> str:
        return short_serial(self.serial)


def iter_run_stamps(
    session: Session, run: PrintRun, public_url: str, *, batch_size: int = 5000
) -> Iterator[StampRow]:
    """Every stamp of the run in print order, streamed (constant memory)."""
    kid = KeyId(
        session.scalar(select(SigningKey.kid).where(SigningKey.id == run.signing_key_id)) or b""
    )
    batch_public = BatchId(
        session.scalar(select(Batch.public_id).where(Batch.id == run.batch_id)) or b""
    )
    rows = session.execute(
        select(Stamp.seq, Stamp.serial, Stamp.signature)
        .where(Stamp.run_id == run.id)
        .order_by(Stamp.seq)
        .execution_options(yield_per=batch_size)
    )
    for seq, serial, signature in rows:
        token = stamp_token_text(kid, batch_public, run.issued_at, Serial(serial), signature)
        yield StampRow(seq, serial, token, token_url(public_url, token))


def stream_run_stamps(
    sessions: sessionmaker[Session], run_pk: int, public_url: str, *, page: int = 1000
) -> Iterator[StampRow]:
    """Every stamp of the run in print order, each page read in a short session of its own.

    No database connection is held between pages, so a consumer that is slow (a client
    reading a download slowly, or not at all) holds none while it works or waits.

    Raises:
        NotFound: the run is gone.
    """
    with sessions() as session:
        run = session.get(PrintRun, run_pk)
        if run is None:
            raise NotFound("no print run with that id")
        kid = KeyId(
            session.scalar(select(SigningKey.kid).where(SigningKey.id == run.signing_key_id)) or b""
        )
        batch_public = BatchId(
            session.scalar(select(Batch.public_id).where(Batch.id == run.batch_id)) or b""
        )
        issued_at = run.issued_at
    after = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(Stamp.seq, Stamp.serial, Stamp.signature)
                .where(Stamp.run_id == run_pk, Stamp.seq > after)
                .order_by(Stamp.seq)
                .limit(page)
            ).all()
        for seq, serial, signature in rows:
            token = stamp_token_text(kid, batch_public, issued_at, Serial(serial), signature)
            yield StampRow(seq, serial, token, token_url(public_url, token))
        if len(rows) < page:
            return
        after = rows[-1].seq


# --- lookups and voiding ------------------------------------------------------------


def find_by_serial(session: Session, serial: bytes) -> Stamp | None:
    """The stamp with this serial: one indexed query whatever the answer (constant shape)."""
    return session.scalars(select(Stamp).where(Stamp.serial == serial)).first()


def get_stamp(session: Session, principal: Principal, serial_text: str) -> Stamp:
    """A stamp the caller may see in detail; another cooperative's is "not found"."""
    serial = parse_short_serial(serial_text)
    stamp = find_by_serial(session, serial) if serial else None
    if stamp is not None and principal.role is Role.COOPERATIVE:
        owner = session.scalar(select(Batch.organization_id).where(Batch.id == stamp.batch_id))
        if owner != principal.organization.id:
            stamp = None
    if stamp is None:
        raise NotFound("no stamp with that serial")
    return stamp


def void_stamps(
    session: Session,
    principal: Principal,
    *,
    reason: str,
    serials: list[str] | None = None,
    run_id: str | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
    now: datetime | None = None,
) -> int:
    """Void stamps by serial, or a range of a print run; returns how many changed.

    Cooperatives void their own stamps only; inspectors and authorities any.
    """
    problem = text_problem(reason)
    if problem is not None:
        raise InvalidInput(f"the reason {problem}", field="reason")
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput("give a reason of 1 to 500 characters", field="reason")
    moment = now or datetime.now(UTC)
    values = {"status": StampStatus.VOID, "voided_at": moment, "void_reason": reason}
    active = Stamp.status == StampStatus.ACTIVE
    if serials is not None:
        if not 1 <= len(serials) <= 10_000:
            raise InvalidInput("give 1 to 10,000 serials", field="serials")
        ids = [get_stamp(session, principal, s).id for s in serials]
        result = session.execute(update(Stamp).where(Stamp.id.in_(ids), active).values(**values))
        return int(result.rowcount)  # type: ignore[attr-defined]
    if run_id is None or from_seq is None or to_seq is None:
        raise InvalidInput("give serials, or run_id with from_seq and to_seq", field="serials")
    if not 1 <= from_seq <= to_seq or to_seq - from_seq >= MAX_VOID_RANGE:
        raise InvalidInput(
            f"the range must satisfy 1 <= from_seq <= to_seq, at most {MAX_VOID_RANGE:,} stamps",
            field="to_seq",
        )
    run = get_run(session, principal, run_id)
    result = session.execute(
        update(Stamp)
        .where(Stamp.run_id == run.id, Stamp.seq >= from_seq, Stamp.seq <= to_seq, active)
        .values(**values)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
