"""Print runs issued in the background of a web process, each only by its lease holder.

The web process never signs a large run inside a request: the request claims the run
(:func:`tem.stamps.service.claim_run`) and a daemon thread issues it. At start-up, and
then every lease period, a sweeper claims and finishes the runs nobody is issuing (their
issuer crashed, or the process stopped part-way), so no run stays ``issuing`` until
someone asks. Several workers or processes may sweep at once: the lease lets exactly one
issue each run. Stopping sets an event that every issuer checks between chunks; what is
committed is whole chunks, and the next start finishes the rest.

Issue 12 moves this to a job queue in a worker process; the lease stays the guard.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tem.keys.store import KeyStore
from tem.stamps import service

log = logging.getLogger(__name__)


class BackgroundIssuer:
    """Daemon threads of this process that issue print runs they hold the lease of."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: KeyStore,
        *,
        sweep_every: float = service.LEASE_TTL.total_seconds(),
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._sweep_every = sweep_every
        self._stop = threading.Event()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def issue(self, run_id: int) -> bool:
        """Claim the run and issue it on a thread; False if someone else is issuing it
        (or it is complete). Returns at once."""
        if self._stop.is_set():
            return False
        lease = service.claim_run(self._sessions, run_id)
        if lease is None:
            return False
        self._spawn(f"tem-issue-{run_id}", lambda: self._issue(run_id, lease))
        return True

    def start(self) -> None:
        """Start the sweeper: now, then every ``sweep_every`` seconds until :meth:`stop`."""
        self._spawn("tem-issue-sweeper", self._sweep_forever)

    def sweep(self) -> int:
        """Claim and finish, one after another, every run nobody is issuing; how many."""
        try:
            with self._sessions() as session:
                stuck = service.runs_to_resume(session)
        except SQLAlchemyError:
            log.exception("could not look for unfinished print runs")
            return 0
        finished = 0
        for run_id in stuck:
            if self._stop.is_set():
                break
            lease = service.claim_run(self._sessions, run_id)
            if lease is not None:
                log.info("print run %d: resuming it (unfinished, nobody issuing it)", run_id)
                finished += self._issue(run_id, lease)
        return finished

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every issuer after its current chunk; wait up to ``timeout`` seconds."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _sweep_forever(self) -> None:
        while not self._stop.is_set():
            self.sweep()
            self._stop.wait(self._sweep_every)

    def _issue(self, run_id: int, lease: service.LeaseToken) -> bool:
        try:
            run = service.issue_chunks(
                self._sessions, self._store, run_id, lease=lease, stop=self._stop
            )
        except Exception:  # a background thread has nobody to raise to: log, keep sweeping
            # A revoked key, a lost database: the lease is released, and the run stays
            # issuing for the next sweep or an explicit resume.
            log.exception("print run %d: issuing it failed", run_id)
            return False
        return run.issued >= run.requested

    def _spawn(self, name: str, target: Callable[[], object]) -> None:
        def run() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
