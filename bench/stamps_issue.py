"""Stamp issuance speed: ``issue_chunks`` (sign and store) against bare Ed25519 signing.

A: ``issue_chunks(factory, store, run_id)`` for a fresh print run: a random serial, the
   signature, one row per stamp, inserted and committed 1,000 at a time with the run's
   counter, exactly as the API issues a run.
B: ``private_key.sign(sig_structure(protected, stamp_payload(batch, issued_at, serial)))``
   over the same number of random serials: the signature alone, the floor of A.

Both run on SQLite (a temporary data directory) and, when a PostgreSQL server is given
(``--postgres URL``, or ``TEM_BENCH_POSTGRES`` / ``TEM_DATABASE_URL``), on a scratch
database created on it and dropped afterwards. Each round issues a fresh run of
``count / rounds`` stamps and signs as many raw, interleaved chunk by chunk (after
each committed chunk of A, B signs 1,000, off A's clock), and the databases take turns
within the round, so all share whatever else the machine does.
Goal: A/B >= 0.5, i.e. storing costs at most as much as signing.

Run: ``.venv/bin/python -m bench.stamps_issue [--count N] [--rounds N] [--postgres URL] [--quick]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.report import (
    load_average,
    machine,
    median,
    ratio,
    shown_path,
    table,
    utc_now,
    write_result,
)
from bench.world import (
    cooperative_token,
    demo_world,
    key_store,
    scratch_postgres,
    start_print_run,
)
from tem.config import Settings
from tem.crypto import cose
from tem.crypto.keys import KeyId
from tem.crypto.statements import SERIAL_LENGTH, BatchId, Serial, protected_header, stamp_payload
from tem.db import make_engine, session_factory
from tem.keys.store import KeyStore
from tem.models import Batch, PrintRun, SigningKey, Stamp
from tem.stamps.service import CHUNK, issue_chunks
from tem.stamps.tokens import StampSigner

NAME = "stamps_issue"
GOAL_RATIO = 0.5
DEFAULT_COUNT = 50_000
QUICK_COUNT = 5_000
DEFAULT_ROUNDS = 5
WARMUP_STAMPS = 1_000  # one chunk per database: imports, statement caches, the key load
PHASE_TIMEOUT_S = 300.0  # any one A or B phase; a hard bound besides the count
SIGNATURES_PER_CLOCK_READ = 100
CHECKED_STAMPS = 20  # stored signatures recomputed the B way: A and B sign the same bytes
POSTGRES_ENV = ("TEM_BENCH_POSTGRES", "TEM_DATABASE_URL")
BUSY_CPU_SHARE = 0.9


class PhaseTimeout(Exception):
    """A phase ran past :data:`PHASE_TIMEOUT_S`."""


@dataclass(frozen=True)
class Phase:
    """One timed stretch: ``stamps`` signed (and, for A, stored)."""

    stamps: int
    wall_s: float
    cpu_s: float
    sign_s: float  # of wall_s, the time inside the signing call

    @staticmethod
    def total(phases: Sequence[Phase]) -> Phase:
        return Phase(
            sum(p.stamps for p in phases),
            sum(p.wall_s for p in phases),
            sum(p.cpu_s for p in phases),
            sum(p.sign_s for p in phases),
        )

    @property
    def rate(self) -> float:
        return ratio(self.stamps, self.wall_s)

    @property
    def cpu_share(self) -> float:
        return ratio(self.cpu_s, self.wall_s)

    def us_per_stamp(self, seconds: float) -> float:
        return ratio(seconds * 1e6, self.stamps)

    def as_json(self) -> dict[str, float | int]:
        return {
            "stamps": self.stamps,
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "sign_s": round(self.sign_s, 4),
            "rate_per_s": round(self.rate, 1),
        }


@dataclass(frozen=True)
class Round:
    number: int
    issue: Phase  # A
    raw: Phase  # B

    @property
    def ratio(self) -> float:
        return ratio(self.issue.rate, self.raw.rate)


@dataclass(frozen=True)
class RawSigner:
    """What B needs: the run's private key and the constant parts of every stamp payload."""

    private_key: ed25519.Ed25519PrivateKey
    protected: bytes
    batch_id: BatchId
    issued_at: int

    def sign(self, serial: Serial) -> bytes:
        payload = stamp_payload(self.batch_id, self.issued_at, serial)
        return self.private_key.sign(cose.sig_structure(self.protected, payload))


@dataclass
class Database:
    """One database under test, with the demo world on it."""

    label: str
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    store: KeyStore
    api_token: str
    raw: RawSigner | None = None
    runs: int = 0
    stamps_before: int = 0  # the demo's own stamps
    rounds: list[Round] = field(default_factory=list)

    def new_run(self, count: int) -> int:
        self.runs += 1
        return start_print_run(self.factory, self.api_token, count, f"bench-{self.runs}")

    def stamp_count(self) -> int:
        with self.factory() as session:
            return int(session.scalar(select(func.count()).select_from(Stamp)) or 0)


# --- timing -------------------------------------------------------------------------


class _SignClock:
    """Time spent inside :meth:`StampSigner.sign` while :func:`timed_signing` is active."""

    ns = 0


@contextmanager
def timed_signing() -> Iterator[type[_SignClock]]:
    """Wrap ``StampSigner.sign`` with a clock (two ``perf_counter_ns`` reads, ~0.1 µs)."""
    original = StampSigner.sign

    def sign(self: StampSigner, serial: Serial) -> bytes:
        start = time.perf_counter_ns()
        try:
            return original(self, serial)
        finally:
            _SignClock.ns += time.perf_counter_ns() - start

    _SignClock.ns = 0
    StampSigner.sign = sign  # type: ignore[method-assign]
    try:
        yield _SignClock
    finally:
        StampSigner.sign = original  # type: ignore[method-assign]


def random_serials(count: int) -> list[Serial]:
    return [Serial(secrets.token_bytes(SERIAL_LENGTH)) for _ in range(count)]


def sign_raw(raw: RawSigner, serials: Sequence[Serial], deadline: float) -> Phase:
    """B: a bare signature for each serial (drawn beforehand, off the clock)."""
    key, protected = raw.private_key, raw.protected
    batch_id, issued_at = raw.batch_id, raw.issued_at
    cpu_start = time.process_time()
    start = time.perf_counter()
    for index, serial in enumerate(serials):
        key.sign(cose.sig_structure(protected, stamp_payload(batch_id, issued_at, serial)))
        if index % SIGNATURES_PER_CLOCK_READ == 0 and time.perf_counter() > deadline:
            raise PhaseTimeout(f"raw signing stopped at {index:,} of {len(serials):,}")
    wall = time.perf_counter() - start
    return Phase(len(serials), wall, time.process_time() - cpu_start, wall)


def measure_round(database: Database, number: int, count: int, b_first: bool) -> Round:
    """A and B of one round, interleaved chunk by chunk.

    A issues a fresh run of ``count`` stamps (creating the run is not timed). After
    each committed chunk, in ``issue_chunks``' progress callback and off A's clock, B
    signs as many serials, so that A and B alternate every ~0.1-0.3 s and share
    whatever else the machine is doing. With ``b_first`` a B slice comes first.
    """
    raw = database.raw
    assert raw is not None
    run_id = database.new_run(count)
    serials = random_serials(count)
    slices: list[Phase] = []
    deadline = time.perf_counter() + PHASE_TIMEOUT_S

    def b_slice() -> None:
        done = sum(phase.stamps for phase in slices)
        slices.append(sign_raw(raw, serials[done : done + CHUNK], deadline))

    def progress(issued: int, requested: int) -> None:
        if time.perf_counter() > deadline:
            raise PhaseTimeout(f"issuance stopped at {issued:,} of {requested:,} stamps")
        if issued < requested or not b_first:
            b_slice()

    with timed_signing() as clock:
        if b_first:
            b_slice()
        cpu_start = time.process_time()
        start = time.perf_counter()
        run = issue_chunks(database.factory, database.store, run_id, progress=progress)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        sign_s = clock.ns / 1e9
    if run.issued != count:
        raise SystemExit(f"{NAME}: the run issued {run.issued:,} stamps, not {count:,}")
    inside = Phase.total(slices[1:] if b_first else slices)  # B slices within A's clock
    issue = Phase(count, wall - inside.wall_s, cpu - inside.cpu_s, sign_s)
    return Round(number, issue, Phase.total(slices))


def raw_signer(database: Database, run_id: int) -> RawSigner:
    """The key and payload parts of ``run_id``, read back as ``issue_chunks`` reads them."""
    with database.factory() as session:
        run = session.get(PrintRun, run_id)
        if run is None:
            raise RuntimeError("the warm-up run is gone")
        key = session.get(SigningKey, run.signing_key_id)
        batch = session.scalar(select(Batch.public_id).where(Batch.id == run.batch_id))
        if key is None or batch is None:
            raise RuntimeError("the warm-up run has no key or batch")
        return RawSigner(
            database.store.load(key.store_name),
            protected_header(KeyId(key.kid)),
            BatchId(batch),
            run.issued_at,
        )


def check_same_bytes(database: Database) -> int:
    """Recompute stored signatures the B way (Ed25519 is deterministic): they must match.

    Raises:
        SystemExit: on a mismatch: then B would not be the floor of A.
    """
    raw = database.raw
    assert raw is not None
    with database.factory() as session:
        rows = session.execute(
            select(Stamp.serial, Stamp.signature, PrintRun.issued_at)
            .join(PrintRun, PrintRun.id == Stamp.run_id)
            .order_by(Stamp.id.desc())
            .limit(CHECKED_STAMPS)
        ).all()
    for serial, signature, issued_at in rows:
        # Every run signs its own issue time into its stamps.
        if replace(raw, issued_at=issued_at).sign(Serial(serial)) != signature:
            raise SystemExit(f"{NAME}: {database.label}: a stored signature differs from B's")
    return len(rows)


def warm_up(database: Database) -> None:
    database.stamps_before = database.stamp_count()
    run_id = database.new_run(WARMUP_STAMPS)
    issue_chunks(database.factory, database.store, run_id)
    database.raw = raw_signer(database, run_id)
    sign_raw(database.raw, random_serials(WARMUP_STAMPS), time.perf_counter() + PHASE_TIMEOUT_S)


def measure(databases: Sequence[Database], rounds: int, per_round: int) -> None:
    """Round after round, each database in turn: A and B interleaved chunk by chunk.

    Which of A and B starts alternates per round and per database.
    """
    for database in databases:
        warm_up(database)
    for number in range(1, rounds + 1):
        for index, database in enumerate(databases):
            b_first = (number + index) % 2 == 0
            database.rounds.append(measure_round(database, number, per_round, b_first))


def profile(database: Database, count: int) -> str:
    """cProfile of one issuance of ``count`` stamps: the top 12 by own and by cumulative time."""
    run_id = database.new_run(count)
    profiler = cProfile.Profile()
    profiler.enable()
    issue_chunks(database.factory, database.store, run_id)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(
        f"cProfile of issue_chunks, {count:,} stamps on {database.label} "
        "(profiling slows Python code, not C)\n"
    )
    stats.sort_stats(pstats.SortKey.TIME).print_stats(12)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(12)
    return out.getvalue()


# --- databases ----------------------------------------------------------------------


def open_database(label: str, data_dir: Path, database_url: str | None) -> Database:
    world = demo_world(data_dir, database_url=database_url)
    engine = make_engine(world.settings)
    return Database(
        label,
        world.settings,
        engine,
        session_factory(engine),
        key_store(world.settings),
        cooperative_token(world.settings),
    )


def postgres_url(given: str | None) -> str | None:
    """The PostgreSQL server to use: ``--postgres``, else the first environment variable set."""
    if given:
        return given
    for name in POSTGRES_ENV:
        if os.environ.get(name):
            return os.environ[name]
    return None


def server_version(database: Database) -> str:
    with database.engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    return f"PostgreSQL {str(version).split()[0]}"


# --- report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    database: Database

    @property
    def issue_rate(self) -> float:
        return median(r.issue.rate for r in self.database.rounds)

    @property
    def raw_rate(self) -> float:
        return median(r.raw.rate for r in self.database.rounds)

    @property
    def ratio(self) -> float:
        return ratio(self.issue_rate, self.raw_rate)

    def split_us(self) -> tuple[float, float, float, float]:
        """Per stamp, pooled over rounds: A in all, A's signing, A's storing, B."""
        rounds = self.database.rounds
        issued = sum(r.issue.stamps for r in rounds)
        a_wall = sum(r.issue.wall_s for r in rounds)
        a_sign = sum(r.issue.sign_s for r in rounds)
        b_wall = sum(r.raw.wall_s for r in rounds)
        raw = sum(r.raw.stamps for r in rounds)
        return (
            ratio(a_wall * 1e6, issued),
            ratio(a_sign * 1e6, issued),
            ratio((a_wall - a_sign) * 1e6, issued),
            ratio(b_wall * 1e6, raw),
        )

    def as_json(self) -> dict[str, Any]:
        total, signing, storing, bare = self.split_us()
        return {
            "database": self.database.label,
            "rounds": [
                {
                    "round": r.number,
                    "a": r.issue.as_json(),
                    "b": r.raw.as_json(),
                    "ratio": round(r.ratio, 4),
                }
                for r in self.database.rounds
            ],
            "a_rate_per_s": round(self.issue_rate, 1),
            "b_rate_per_s": round(self.raw_rate, 1),
            "ratio": round(self.ratio, 4),
            "goal_ratio": GOAL_RATIO,
            "goal_met": self.ratio >= GOAL_RATIO,
            "us_per_stamp": {
                "issue": round(total, 2),
                "issue_signing": round(signing, 2),
                "issue_storing_and_rest": round(storing, 2),
                "raw_signing": round(bare, 2),
            },
        }


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def render_rounds(summaries: Sequence[Summary]) -> str:
    rows = []
    for summary in summaries:
        for r in summary.database.rounds:
            rows.append(
                [
                    str(r.number),
                    summary.database.label,
                    f"{r.issue.stamps:,}",
                    _rate(r.issue.rate),
                    _rate(r.raw.rate),
                    f"{r.ratio:.3f}",
                    f"{r.issue.cpu_share:.0%}",
                    f"{r.raw.cpu_share:.0%}",
                ]
            )
    headers = ["round", "database", "stamps", "A issued/s", "B signed/s", "A/B", "CPU A", "CPU B"]
    return table(headers, rows)


def render_summary(summaries: Sequence[Summary]) -> str:
    rows = []
    for s in summaries:
        total, signing, storing, bare = s.split_us()
        rows.append(
            [
                s.database.label,
                _rate(s.issue_rate),
                _rate(s.raw_rate),
                f"{s.ratio:.3f}",
                "met" if s.ratio >= GOAL_RATIO else "NOT MET",
                f"{total:.1f}",
                f"{signing:.1f}",
                f"{storing:.1f}",
                f"{bare:.1f}",
            ]
        )
    headers = [
        "database",
        "A issued/s",
        "B signed/s",
        "A/B",
        f"goal >= {GOAL_RATIO}",
        "µs/stamp A",
        "A signing",
        "A storing",
        "B",
    ]
    return table(headers, rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stamps_issue",
        description="Stamp issuance (sign and store) vs bare Ed25519 signing, SQLite and PostgreSQL.",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help=f"stamps for A and for B per database, over all rounds (default {DEFAULT_COUNT:,})",
    )
    parser.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help=f"rounds (default {DEFAULT_ROUNDS})"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server for a scratch database (default: $TEM_BENCH_POSTGRES, "
        "then $TEM_DATABASE_URL; none: SQLite only)",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT:,} stamps: a smoke run")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of one issuance per database"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is not met")
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = QUICK_COUNT if args.quick else DEFAULT_COUNT
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be in [1, 20]")
    if not args.rounds <= args.count <= 1_000_000:
        parser.error("--count must be in [rounds, 1,000,000]")
    return args


def run_benchmark(args: argparse.Namespace, tmp: Path, pg_url: str | None) -> list[Summary]:
    databases = [open_database("SQLite", tmp / "sqlite", None)]
    try:
        if pg_url is not None:
            databases.append(open_database("PostgreSQL", tmp / "postgres", pg_url))
            databases[-1].label = server_version(databases[-1])
        per_round = args.count // args.rounds
        print(
            f"{NAME}: {', '.join(d.label for d in databases)}; {args.rounds} rounds of "
            f"{per_round:,} stamps per database, chunks of {CHUNK:,}\n"
            "A = issue_chunks (serial, signature, INSERT, commit per chunk), "
            "B = Ed25519 sign(sig_structure(protected, stamp_payload)) over random serials\n"
            f"A and B alternate every chunk ({CHUNK:,} stamps); the databases take turns\n"
        )
        measure(databases, args.rounds, per_round)
        for database in databases:
            checked = check_same_bytes(database)
            expected = database.stamps_before + WARMUP_STAMPS + args.rounds * per_round
            if database.stamp_count() != expected:
                raise SystemExit(f"{NAME}: {database.label} holds the wrong number of stamps")
            print(
                f"{database.label}: {expected - database.stamps_before:,} stamps stored, "
                f"{checked} re-signed the B way"
            )
        summaries = [Summary(d) for d in databases]
        if args.profile:
            for database in databases:
                print("\n" + profile(database, per_round))
        return summaries
    finally:
        for database in databases:
            database.engine.dispose()


def _terminated(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so that the `finally` dropping the scratch database runs.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.perf_counter()
    load_before = load_average()
    server = postgres_url(args.postgres)
    with tempfile.TemporaryDirectory(prefix="tem-bench-") as tmp:
        try:
            if server is None:
                summaries = run_benchmark(args, Path(tmp), None)
            else:
                with scratch_postgres(server) as scratch:
                    summaries = run_benchmark(args, Path(tmp), scratch)
        except PhaseTimeout as exc:
            raise SystemExit(f"{NAME}: a phase took over {PHASE_TIMEOUT_S:g} s: {exc}") from exc
    print()
    print(render_rounds(summaries))
    print()
    print(render_summary(summaries))
    print(
        "\nµs/stamp: A in all = A signing (inside StampSigner.sign: payload, protected header, "
        "Sig_structure, Ed25519) + A storing (serial, row, INSERT, run row, commit); B = bare."
    )
    if server is None:
        print("PostgreSQL: skipped (give --postgres URL or set TEM_BENCH_POSTGRES).")
    lowest = min(
        min(r.issue.cpu_share, r.raw.cpu_share) for s in summaries for r in s.database.rounds
    )
    if lowest < BUSY_CPU_SHARE:
        print(
            f"Note: in some phase this process had only {lowest:.0%} of a CPU (for A on "
            "PostgreSQL the server's share runs in another process); others were competing."
        )
    elapsed = time.perf_counter() - started
    met = all(s.ratio >= GOAL_RATIO for s in summaries)
    result = {
        "benchmark": NAME,
        "date": utc_now(),
        "machine": machine(),
        "load_average_1m": {"before": load_before, "after": load_average()},
        "settings": {"count": args.count, "rounds": args.rounds, "chunk": CHUNK},
        "a": "issue_chunks(factory, store, run_id) for a fresh run of count/rounds stamps",
        "b": "Ed25519PrivateKey.sign(sig_structure(protected, stamp_payload(...)))",
        "databases": [s.as_json() for s in summaries],
        "goal_met": met,
        "duration_s": round(elapsed, 2),
    }
    path = write_result(NAME, result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"\n{NAME}: interrupted", file=sys.stderr)
        sys.exit(130)
