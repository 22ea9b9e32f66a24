"""Engine and sessions. One commit per unit of work: the caller of :func:`unit_of_work` commits."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tem.config import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Statements that only read; anything else takes the process's SQLite write lock.
_READS = ("SELECT", "PRAGMA")
# Beyond this, a writer stops waiting in-process and falls back to SQLite's busy handler
# (a thread pool full of waiting writers must not wait forever for the one that holds it).
WRITE_LOCK_WAIT_S = 10.0


class _WriteLock:
    """One writer at a time per process on SQLite, queued in-process, first come first
    served.

    SQLite allows one writer per database; without this, concurrent writers of one worker
    sleep in SQLite's busy handler (with back-off) and the slowest scans wait close to a
    second. Taken before a transaction's first write statement, released right after its
    commit or rollback on the same connection (possibly in another thread: a request's
    unit of work may end there) and handed straight to the writer that has waited
    longest, so waiting writers are served in turn without sleeping. A thread that already
    holds it through another connection does not wait for itself.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._holder: object | None = None  # the pooled connection in a write transaction
        self._owner: int | None = None  # the thread that took it

    def acquire(self, connection: object) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._holder is connection or self._owner == me:
                return
            if self._holder is None:
                self._holder, self._owner = connection, me
                return
            turn = threading.Event()
            self._waiting.append(turn)
        handed = turn.wait(WRITE_LOCK_WAIT_S)
        with self._mutex:
            if not handed and not turn.is_set():
                self._waiting.remove(turn)  # gave up: SQLite's busy handler takes over
                return
            self._holder, self._owner = connection, me

    def release(self, connection: object) -> None:
        with self._mutex:
            if self._holder is not connection:
                return
            self._holder = self._owner = None
            if self._waiting:
                # Reserved for the next in line: nobody else may take it in between.
                self._holder = _HANDING_OVER
                self._waiting.popleft().set()


_HANDING_OVER = object()


def _serialize_sqlite_writers(engine: Engine) -> None:
    lock = _WriteLock()
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        # conn.connection: the pooled connection that do_commit and do_rollback are given.
        if not statement.lstrip()[:6].upper().startswith(_READS):
            lock.acquire(conn.connection)

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            lock.release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            lock.release(dbapi_connection)

    # This engine's own dialect instance: the lock ends with the transaction it guards.
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def make_engine(settings: Settings) -> Engine:
    """Create the engine; SQLite gets foreign keys, WAL, a busy timeout and an in-process
    queue for writers (:class:`_WriteLock`).

    ``hide_parameters``: an error's message and log line show the SQL, never the values
    bound to it (they can be a shopper's contact or place).
    """
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        database = make_url(url).database
        if database and database != ":memory:":
            private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        _serialize_sqlite_writers(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def make_reader_engine(settings: Settings) -> Engine | None:
    """On SQLite, a second engine whose connections refuse to write (``query_only``): a
    read-only check runs on it inline, without a trip to the thread pool, because it can
    never wait for the write lock. None on other databases."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        return None
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _reader_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, often 0644),
    and tighten an existing one with its WAL and shared-memory files: SQLite gives those
    the main file's mode. The database holds scan history and shoppers' contacts."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # missing, or not ours to change
            if stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                os.chmod(candidate, 0o600)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit once at the end, or roll back everything on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``)."""
    command.upgrade(alembic_config(engine), "head")
