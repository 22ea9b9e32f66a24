"""Where a verification's server time goes: cProfile of the check path, in process.

Two views of ``GET /api/v1/verify/{token}`` on the demo world (SQLite, or a scratch
PostgreSQL database with ``--postgres``), on an app from :func:`tem.web.app.create_app`:

- **check**: ``tem.web.public._checked(state, token, None).model_dump_json()``, called
  in a loop: the unit of work, the check (token, batch record and events, signatures,
  hash chain, stamp, rules) and the JSON body; no HTTP.
- **server**: the same app under uvicorn, in this process, loaded for a few seconds by
  :mod:`bench.loadgen` (another process, keep-alive connections): everything the server
  does per request, HTTP parsing, routing, middleware (metrics, request log) included.
  cProfile sees one thread only, so the route's ``run_in_threadpool`` is replaced by a
  direct call for the profile (the check runs on the event loop's thread); the thread
  hop itself is therefore not in this profile. The time the loop waits for the next
  request (``epoll``) is shown apart and left out of the shares.

Own time of every function is put into one group: SQL round trips (SQLAlchemy and the
driver, sqlite3 or psycopg, the wait for PostgreSQL included), signatures and hashes
(cryptography, hashlib), the check's own Python (``tem``, cbor2, base64), JSON
serialization (pydantic, json), Tem's middleware (metrics, request log: prometheus_client,
logging), web plumbing (FastAPI, Starlette, uvicorn, h11, anyio, asyncio), other. A
built-in function outside those libraries (``isinstance``, ``len``, ...) goes to the group
of the caller that spent most time in it. cProfile inflates code that makes many small
Python calls more than C code, so the shares are a guide; the unprofiled ms per call
are printed next to them.

The profiler's clock is this thread's CPU time by default (``--timer cpu``,
``time.thread_time``): on a shared machine wall time also counts the moments the process
was not running, which land on whatever function was on the stack (a socket ``send``
that wakes the load generator, say). ``--timer wall`` uses ``time.perf_counter``; it
also counts waiting for PostgreSQL, which CPU time does not.

Run: ``.venv/bin/python -m bench.profile_check [--calls N] [--seconds S] [--postgres [URL]]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

import tem.web.public
from bench.report import REPO_ROOT, load_average, machine, shown_path, table, utc_now, write_result
from bench.verify_http import (
    HOST,
    POSTGRES_ENV,
    database_label,
    free_port,
    postgres_url,
)
from bench.world import demo_world, scratch_postgres
from tem.web.app import create_app, server_options

NAME = "profile_check"
IDLE = "idle: the event loop waiting for a request"
SQL = "SQL round trips (SQLAlchemy + driver)"
CRYPTO = "signatures and hashes (cryptography, hashlib)"
CHECK = "the check's own Python (tem, cbor2, base64)"
JSON = "JSON serialization (pydantic, json)"
MIDDLEWARE = "Tem's middleware (metrics, request log)"
PLUMBING = "FastAPI / Starlette / uvicorn / asyncio plumbing"
OTHER = "other (stdlib)"
GROUPS = (SQL, CRYPTO, CHECK, JSON, MIDDLEWARE, PLUMBING, OTHER)

# (substring of a function's file, group), first match wins.
FILE_RULES: tuple[tuple[str, str], ...] = (
    ("/sqlalchemy/", SQL),
    ("/psycopg/", SQL),
    ("/psycopg_pool/", SQL),
    ("/psycopg_binary/", SQL),
    ("/sqlite3/", SQL),
    ("/cryptography/", CRYPTO),
    ("/hmac.py", CRYPTO),
    ("/pydantic/", JSON),
    ("/pydantic_core/", JSON),
    ("/json/", JSON),
    ("/tem/http/metrics", MIDDLEWARE),
    ("/tem/web/observe", MIDDLEWARE),
    ("/prometheus_client/", MIDDLEWARE),
    ("/logging/", MIDDLEWARE),
    ("/fastapi/", PLUMBING),
    ("/starlette/", PLUMBING),
    ("/uvicorn/", PLUMBING),
    ("/h11/", PLUMBING),
    ("/anyio/", PLUMBING),
    ("/asyncio/", PLUMBING),
    ("/selectors.py", PLUMBING),
    ("/socket.py", PLUMBING),
    ("/tem/", CHECK),
    ("/cbor2/", CHECK),
    ("/base64.py", CHECK),
)
# (substring of a built-in's name, group) for C functions of those libraries.
BUILTIN_RULES: tuple[tuple[str, str], ...] = (
    ("sqlite3.", SQL),
    ("psycopg", SQL),
    ("cryptography", CRYPTO),
    ("_hashlib", CRYPTO),
    ("_hmac", CRYPTO),
    ("pydantic_core", JSON),
    ("_json", JSON),
    ("_asyncio", PLUMBING),
    ("_socket", PLUMBING),
    ("binascii", CHECK),
    ("cbor2", CHECK),
)

Key = tuple[str, int, str]


@dataclass(frozen=True)
class Profile:
    """A cProfile run: per group own seconds, the top functions, and how many requests."""

    view: str
    requests: int
    groups: dict[str, float]
    idle_s: float
    top: list[tuple[str, str, int, float]]  # group, function, calls, own seconds
    unprofiled_ms: float  # wall ms per request without the profiler

    @property
    def busy_s(self) -> float:
        return sum(self.groups.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "requests": self.requests,
            "unprofiled_ms_per_request": round(self.unprofiled_ms, 3),
            "profiled_ms_per_request": round(self.busy_s * 1e3 / self.requests, 3),
            "idle_ms_per_request": round(self.idle_s * 1e3 / self.requests, 3),
            "groups": {
                g: {
                    "ms_per_request": round(s * 1e3 / self.requests, 4),
                    "share": round(s / self.busy_s, 4) if self.busy_s else 0.0,
                }
                for g, s in self.groups.items()
            },
            "top": [
                {"group": g, "function": f, "calls": c, "own_s": round(t, 5)}
                for g, f, c, t in self.top
            ],
        }


def _label(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    short = filename
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            short = filename.split(marker, 1)[1]
            break
    if short.startswith(str(REPO_ROOT)):
        short = short[len(str(REPO_ROOT)) + 1 :]
    return f"{short}:{line}({name})"


def classify(stats: dict[Key, Any]) -> dict[Key, str]:
    """A group (or :data:`IDLE`) for every function of a pstats ``stats`` dict."""
    groups: dict[Key, str] = {}

    def direct(key: Key) -> str | None:
        filename, _line, name = key
        if filename == "~":
            for part, group in BUILTIN_RULES:
                if part in name:
                    return group
            return None
        for part, group in FILE_RULES:
            if part in filename:
                return group
        return OTHER

    def group_of(key: Key, depth: int = 0) -> str:
        if key in groups:
            return groups[key]
        found = direct(key)
        if found is None:
            callers: dict[Key, Any] = stats[key][4]
            if not callers or depth > 20:
                found = OTHER
            else:
                # The caller that spent most time in this built-in (callers: cc, nc, tt, ct).
                caller = max(callers, key=lambda k: callers[k][2])
                if "epoll" in key[2] and caller[0].endswith("selectors.py"):
                    found = IDLE
                else:
                    found = group_of(caller, depth + 1)
        groups[key] = found
        return found

    for key in stats:
        group_of(key)
    return groups


def summarize(
    view: str, profiler: cProfile.Profile, requests: int, unprofiled_ms: float, top: int
) -> Profile:
    stats: dict[Key, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    groups = classify(stats)
    totals = dict.fromkeys(GROUPS, 0.0)
    idle = 0.0
    for key, (_cc, _nc, own, _cum, _callers) in stats.items():
        if groups[key] == IDLE:
            idle += own
        else:
            totals[groups[key]] += own
    ranked = sorted(
        ((groups[k], _label(k), v[1], v[2]) for k, v in stats.items() if groups[k] != IDLE),
        key=lambda row: -row[3],
    )
    return Profile(view, requests, totals, idle, ranked[:top], unprofiled_ms)


def render(profile: Profile) -> str:
    n = profile.requests
    busy = profile.busy_s
    rows = [
        [g, f"{s * 1e3 / n:.3f}", f"{s / busy:.0%}" if busy else "-"]
        for g, s in sorted(profile.groups.items(), key=lambda item: -item[1])
    ]
    rows.append(["all (profiled)", f"{busy * 1e3 / n:.3f}", "100%"])
    lines = [
        f"[{profile.view}] {n:,} requests; {profile.unprofiled_ms:.3f} ms each without the "
        f"profiler, {busy * 1e3 / n:.3f} ms with it"
        + (
            f"; the loop idled {profile.idle_s * 1e3 / n:.3f} ms per request"
            if profile.idle_s
            else ""
        ),
        table(["group", "own ms/request", "share"], rows),
        "",
        f"Top {len(profile.top)} functions by own time:",
        table(
            ["function", "group", "calls/request", "own µs/request"],
            [
                [fn[:90], g.split(" (")[0], f"{calls / n:.1f}", f"{own * 1e6 / n:.1f}"]
                for g, fn, calls, own in profile.top
            ],
        ),
    ]
    return "\n".join(lines)


# --- the two views ----------------------------------------------------------------


TIMERS: dict[str, Callable[[], float]] = {"cpu": time.thread_time, "wall": time.perf_counter}


def profile_check(state: Any, token: str, calls: int, top: int, timer: str) -> Profile:
    """``_checked(state, token, None).model_dump_json()`` ``calls`` times, profiled and not."""

    def once() -> None:
        body = tem.web.public._checked(state, token, None).model_dump_json()
        if '"verdict":"genuine"' not in body:
            raise SystemExit(f"{NAME}: the demo token is not genuine: {body[:300]}")

    for _ in range(20):  # warm: statement caches, trust, pool
        once()
    start = time.perf_counter()
    for _ in range(calls):
        once()
    unprofiled_ms = (time.perf_counter() - start) * 1e3 / calls
    profiler = cProfile.Profile(TIMERS[timer])
    profiler.enable()
    for _ in range(calls):
        once()
    profiler.disable()
    return summarize("check", profiler, calls, unprofiled_ms, top)


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``run_in_threadpool`` without the thread: cProfile sees the caller's thread only."""
    return func(*args, **kwargs)


async def _load(port: int, path: str, seconds: float, connections: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--path",
        path,
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
        "--expect",
        '"verdict":"genuine"',
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    if process.returncode != 0:
        raise SystemExit(f"{NAME}: the load generator failed:\n{err.decode()}")
    data: dict[str, Any] = json.loads(out)
    if sum(data["errors"].values()):
        raise SystemExit(f"{NAME}: errors under load: {data['errors']}")
    return data


async def _serve_and_profile(
    app: Any, path: str, seconds: float, connections: int, timer: str
) -> tuple[cProfile.Profile, int, float]:
    options = server_options(host=HOST, port=free_port(), workers=1)
    options.pop("workers")
    server = uvicorn.Server(uvicorn.Config(app, **{**options, "log_level": "warning"}))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                raise SystemExit(f"{NAME}: uvicorn did not start")
            await asyncio.sleep(0.05)
        port = options["port"]
        await _load(port, path, min(seconds, 1.0), connections)  # warm-up
        plain = await _load(port, path, seconds, connections)
        unprofiled_ms = plain["wall_s"] * 1e3 / plain["requests"]
        profiler = cProfile.Profile(TIMERS[timer])
        profiler.enable()  # on the event loop's thread: this coroutine runs there
        try:
            data = await _load(port, path, seconds, connections)
        finally:
            profiler.disable()
        return profiler, int(data["requests"]), unprofiled_ms
    finally:
        server.should_exit = True
        await serving


def profile_server(
    app: Any, token: str, seconds: float, connections: int, top: int, timer: str
) -> Profile:
    """The app under uvicorn in this process, loaded by :mod:`bench.loadgen`, profiled."""
    public: Any = tem.web.public  # the module's own import of run_in_threadpool is patched
    original = public.run_in_threadpool
    public.run_in_threadpool = _inline
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            profiler, requests, unprofiled_ms = asyncio.run(
                _serve_and_profile(app, f"/api/v1/verify/{token}", seconds, connections, timer)
            )
    finally:
        public.run_in_threadpool = original
    # Wall ms per request at this concurrency, one thread: 1 / throughput.
    return summarize("server", profiler, requests, unprofiled_ms, top)


# --- main ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_check",
        description="cProfile of one verification's server time, grouped by where it goes.",
    )
    parser.add_argument("--calls", type=int, default=500, help="check calls (default 500)")
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="seconds of load for the server view (4)"
    )
    parser.add_argument("--connections", type=int, default=4, help="connections (default 4)")
    parser.add_argument("--top", type=int, default=20, help="functions listed (default 20)")
    parser.add_argument(
        "--timer",
        choices=sorted(TIMERS),
        default="cpu",
        help="the profiler's clock: this thread's CPU time (default) or wall time",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="",
        metavar="URL",
        help=f"a scratch database on this PostgreSQL server (no URL: ${POSTGRES_ENV})",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 100_000 or not 0 < args.seconds <= 60:
        parser.error("--calls must be in [1, 100,000] and --seconds in (0, 60]")
    if not 1 <= args.connections <= 64 or not 1 <= args.top <= 200:
        parser.error("--connections must be in [1, 64] and --top in [1, 200]")
    return args


def _terminated(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.perf_counter()
    load_before = load_average()
    pg_server = postgres_url(args.postgres)
    with contextlib.ExitStack() as scratch:
        database_url = (
            None if pg_server is None else scratch.enter_context(scratch_postgres(pg_server))
        )
        label = database_label(database_url)
        tmp = scratch.enter_context(tempfile.TemporaryDirectory(prefix="tem-bench-"))
        world = demo_world(Path(tmp) / "data", database_url=database_url)
        app = create_app(world.settings)
        state = app.state.tem
        try:
            print(
                f"{NAME}: GET /api/v1/verify/<token> ({world.lot}), {label}, in process; "
                f"profiler clock: {args.timer}\n"
            )
            check = profile_check(state, world.token, args.calls, args.top, args.timer)
            print(render(check))
            print()
            server = profile_server(
                app, world.token, args.seconds, args.connections, args.top, args.timer
            )
            print(render(server))
        finally:
            state.engine.dispose()
    elapsed = time.perf_counter() - started
    result = {
        "benchmark": NAME,
        "date": utc_now(),
        "machine": machine(),
        "load_average_1m": {"before": load_before, "after": load_average()},
        "database": label,
        "settings": {
            "calls": args.calls,
            "seconds": args.seconds,
            "connections": args.connections,
            "timer": args.timer,
        },
        "check": check.as_json(),
        "server": server.as_json(),
        "duration_s": round(elapsed, 2),
    }
    name = NAME if database_url is None else f"{NAME}_postgres"
    path = write_result(name, result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"\n{NAME}: interrupted", file=sys.stderr)
        sys.exit(130)
