"""HTTP scan speed: ``POST /api/v1/scan/{token}`` against ``GET /api/v1/verify/{token}``.

The same server as :mod:`bench.verify_http` (``tem serve``, one worker by default, SQLite
or, with ``--postgres``, a scratch PostgreSQL database, on a demo data directory in a
temporary folder) and the same load generator
(:mod:`bench.loadgen`, N keep-alive connections, fixed duration), loading in turn,
interleaved over several rounds:

- scan: ``POST /api/v1/scan/{token}``: verify the stamp and record the scan (a scan
  row, the stamp's counters, the clone rules over its history), as a shopper's phone does;
- verify (baseline): ``GET /api/v1/verify/{token}``: the same verification and rules,
  read-only.

Both go round the same print run of stamps (200 by default, for the demo's first
batch, issued through the services before the server starts). The ratio scan/verify
of requests per second says what recording a scan costs on top of verifying it.

The server runs with scan limits raised far beyond the load (the per-client rate
limit would otherwise answer 429, and the clone rules would call a stamp scanned so
often "suspect"); each connection sends a fixed ``tem_sid`` cookie, like one browser.

Run: ``.venv/bin/python -m bench.scan_http [--quick] [--seconds N] [--rounds N] [--stamps N]
[--workers N] [--postgres [URL]]``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import func, select

from bench.report import (
    REPO_ROOT,
    load_average,
    machine,
    ratio,
    shown_path,
    utc_now,
    write_result,
)
from bench.verify_http import (
    BUSY_SHARE,
    HOST,
    LOADGEN_GRACE_S,
    Endpoint,
    Load,
    Server,
    Summary,
    add_server_options,
    cpu_between,
    cpu_note,
    database_label,
    free_port,
    goal_text,
    postgres_url,
    render_rounds,
    render_summary,
    result_name,
    server_description,
)
from bench.world import demo_world, issue_stamp_tokens, scratch_postgres
from tem.config import Settings
from tem.db import make_engine, session_factory
from tem.models import Scan, ScanKind, Stamp

NAME = "scan_http"
COOKIE = "tem_sid"  # tem.web.public.SESSION_COOKIE: the browser's anonymous session
SANITY_COOKIE = "bench-sanity-check-0000"
# Far beyond what the benchmark sends, so no scan is refused or judged a copy.
UNLIMITED = "100000000"
SERVER_ENV = {
    "TEM_SCAN_RATE_PER_MINUTE": UNLIMITED,
    "TEM_CLONE_MAX_SCANS": UNLIMITED,
    "TEM_CLONE_MAX_SESSIONS": UNLIMITED,
}
GENUINE = '"verdict":"genuine"'
# Issue 7, one worker on SQLite: scan >= 0.6 x verify req/s, scan p99 <= 100 ms (16 connections).
GOAL_RATIO = 0.6
GOAL_P99_MS = 100.0
RECORDED = '"recorded":true'


@dataclass(frozen=True)
class RotatingEndpoint(Endpoint):
    """An endpoint loaded over many paths (one per stamp), with a method and more checks."""

    method: str
    paths_file: Path
    also_expect: tuple[str, ...] = ()


def load(
    server: Server, endpoint: RotatingEndpoint, seconds: float, connections: int, number: int
) -> Load:
    """Run the load generator once (every body checked) and read the server's CPU around it.

    Raises:
        SystemExit: if the generator fails (its stderr is shown).
    """
    command = [sys.executable, "-m", "bench.loadgen", "--port", str(server.port)]
    command += ["--path", endpoint.path, "--paths-file", str(endpoint.paths_file)]
    command += ["--method", endpoint.method, "--cookie", COOKIE, "--sample-every", "1"]
    command += ["--seconds", str(seconds), "--connections", str(connections)]
    for text in (endpoint.expect, *endpoint.also_expect):
        command += ["--expect", text]
    cpu_before = server.cpu()
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + LOADGEN_GRACE_S,
        check=False,
    )
    cpu_after = server.cpu()
    if done.returncode != 0:
        raise SystemExit(f"{NAME}: the load generator failed:\n{done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout)
    server_cpu = cpu_between(cpu_before, cpu_after)
    return Load(
        endpoint=endpoint,
        round=number,
        requests=int(data["requests"]),
        wall_s=float(data["wall_s"]),
        generator_cpu_s=float(data["cpu_s"]),
        server_cpu_s=server_cpu,
        errors={str(kind): int(count) for kind, count in data["errors"].items()},
        body_checks=int(data["body_checks"]),
        latencies_ns=[int(ns) for ns in data["latencies_ns"]],
        server_processes=None if cpu_after is None else len(cpu_after.pids),
    )


def request(port: int, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """One request to loopback with the sanity-check cookie; the status and the JSON body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5.0)
    try:
        headers = {"Cookie": f"{COOKIE}={SANITY_COOKIE}"}
        if method == "POST":
            headers["Content-Length"] = "0"
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        status, body = response.status, response.read()
    finally:
        connection.close()
    try:
        return status, json.loads(body)
    except ValueError as exc:
        message = f"{NAME}: {method} {path[:40]}... answered {status}: {body[:300]!r}"
        raise SystemExit(message) from exc


def sanity_check(port: int, token: str) -> None:
    """A scan must be recorded and genuine, a verification genuine and unrecorded.

    Raises:
        SystemExit: otherwise: timing an error path would mislead.
    """
    status, scanned = request(port, "POST", f"/api/v1/scan/{token}")
    if status != 200 or scanned.get("verdict") != "genuine" or not scanned.get("scan"):
        raise SystemExit(f"{NAME}: a scan answered {status}: {str(scanned)[:300]}")
    status, verified = request(port, "GET", f"/api/v1/verify/{token}")
    if status != 200 or verified.get("verdict") != "genuine" or verified.get("scan"):
        raise SystemExit(f"{NAME}: a verification answered {status}: {str(verified)[:300]}")
    if not verified.get("stamp"):
        raise SystemExit(f"{NAME}: the token was not judged as a stamp")


def recorded_scans(data_dir: Path, database_url: str | None) -> tuple[int, int]:
    """Public scan rows, and the sum of the stamps' scan counters, in the database."""
    settings = Settings(
        data_dir=data_dir, database_url=database_url, key_passphrase=None, demo=True
    )
    engine = make_engine(settings)
    try:
        with session_factory(engine)() as session:
            rows = session.scalar(
                select(func.count()).select_from(Scan).where(Scan.kind == ScanKind.PUBLIC)
            )
            counters = session.scalar(select(func.coalesce(func.sum(Stamp.scan_count), 0)))
            return int(rows or 0), int(counters or 0)
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scan_http",
        description="POST /api/v1/scan/{token} vs GET /api/v1/verify/{token} on a real `tem serve`.",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per load (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds of both endpoints (default 5)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    parser.add_argument(
        "--stamps", type=int, default=200, help="stamps to go round (one print run, default 200)"
    )
    add_server_options(parser)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 0.5 s: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.5, 2
    if not 0 < args.seconds <= 30 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be in (0, 30] and --rounds in [1, 20]")
    if not 1 <= args.connections <= 256 or not 1 <= args.stamps <= 20_000:
        parser.error("--connections must be in [1, 256] and --stamps in [1, 20,000]")
    if not 1 <= args.workers <= 16:
        parser.error("--workers must be in [1, 16]")
    return args


def _terminated(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so that the `finally` stopping the server runs.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.perf_counter()
    load_before = load_average()
    loads: list[Load] = []
    pg_server = postgres_url(args.postgres)
    with contextlib.ExitStack() as scratch:
        # The scratch database is dropped last (after the server stops), also on Ctrl-C.
        database_url = (
            None if pg_server is None else scratch.enter_context(scratch_postgres(pg_server))
        )
        label = database_label(database_url)
        tmp = scratch.enter_context(tempfile.TemporaryDirectory(prefix="tem-bench-"))
        world = demo_world(Path(tmp) / "data", database_url=database_url)
        tokens = issue_stamp_tokens(world.settings, args.stamps, "bench-scan")
        endpoints: list[RotatingEndpoint] = []
        for name, method, prefix, also in (
            ("scan", "POST", "/api/v1/scan/", (RECORDED,)),
            ("verify", "GET", "/api/v1/verify/", ()),
        ):
            paths_file = Path(tmp) / f"{name}-paths.txt"
            paths_file.write_text("".join(f"{prefix}{t}\n" for t in tokens), encoding="ascii")
            endpoints.append(
                RotatingEndpoint(name, prefix + "{token}", GENUINE, method, paths_file, also)
            )
        scan, verify = endpoints
        rows_before, counters_before = recorded_scans(world.settings.data_dir, database_url)
        server = Server(
            world.settings.data_dir,
            free_port(),
            Path(tmp) / "server.log",
            database_url=database_url,
            workers=args.workers,
            env=SERVER_ENV,
            nodelay_fix=args.nodelay_fix,
        )
        try:
            server.start()
            ready_s = server.wait_ready()
            sanity_check(server.port, tokens[0])
            print(
                f"{NAME}: {server_description(label, args.workers, args.nodelay_fix)} on "
                f"{HOST}:{server.port}, ready in {ready_s:.1f} s; a print run of {len(tokens)} stamps for {world.lot}\n"
                "scan = POST /api/v1/scan/<stamp token> (verify + record), verify = GET "
                "/api/v1/verify/<stamp token> (verify only), both going round the stamps\n"
                f"{args.rounds} rounds, {args.seconds:g} s per endpoint, {args.connections} "
                f"keep-alive connections (a fixed {COOKIE} cookie each), endpoints interleaved; "
                "every body checked\n"
            )
            warmup = min(args.seconds / 4, 0.5)
            warmups = [load(server, e, warmup, args.connections, 0) for e in (scan, verify)]
            for number in range(1, args.rounds + 1):
                order = (scan, verify) if number % 2 else (verify, scan)
                for endpoint in order:
                    loads.append(load(server, endpoint, args.seconds, args.connections, number))
        finally:
            server.stop()
        rows, counters = recorded_scans(world.settings.data_dir, database_url)
        rows, counters = rows - rows_before, counters - counters_before
    summaries = [Summary(e, [x for x in loads if x.endpoint is e]) for e in (scan, verify)]
    scan_summary, verify_summary = summaries
    rps_ratio = ratio(scan_summary.rps, verify_summary.rps)
    print(render_rounds(loads))
    print()
    print(render_summary(summaries))
    scan_p99 = scan_summary.latency_ms(99)
    goal_applies = database_url is None and args.workers == 1
    if goal_applies:
        print(
            f"\nscan/verify req/s = {rps_ratio:.3f} (goal >= {GOAL_RATIO}: "
            f"{goal_text(rps_ratio, GOAL_RATIO)}); scan p99 = {scan_p99:.1f} ms (goal <= "
            f"{GOAL_P99_MS:g} ms at 16 connections: "
            f"{goal_text(scan_p99, GOAL_P99_MS, at_most=True, unit=' ms')})"
        )
    else:
        print(
            f"\nscan/verify req/s = {rps_ratio:.3f}; scan p99 = {scan_p99:.1f} ms "
            "(no goal on this setup: the goals are one worker on SQLite)"
        )
    print(cpu_note(loads))
    errors = sum(sum(s.errors.values()) for s in summaries)
    checks = sum(load.body_checks for load in loads)
    print(
        f"Responses: {'all 200' if errors == 0 else f'{errors} ERRORS'}; "
        f"{checks:,} bodies checked for a genuine verdict (and, for scan, a recorded scan)."
    )
    # Every scan answered (sanity check, warm-up, rounds) must be a row and a counter step.
    scans_answered = 1 + sum(x.requests for x in [*warmups, *loads] if x.endpoint is scan)
    consistent = rows == counters == scans_answered
    print(
        f"Database: {rows:,} public scans recorded, stamp counters sum to {counters:,}, "
        f"{scans_answered:,} scans answered: {'consistent' if consistent else 'MISMATCH'}."
    )
    if any(ratio(load.generator_cpu_s, load.wall_s) > BUSY_SHARE for load in loads):
        print(
            "Note: the load generator used a whole CPU in some round, so it, not the server, "
            "may have set the pace there."
        )
    elapsed = time.perf_counter() - started
    result = {
        "benchmark": NAME,
        "date": utc_now(),
        "machine": machine(),
        "load_average_1m": {"before": load_before, "after": load_average()},
        "settings": {
            "rounds": args.rounds,
            "seconds_per_load": args.seconds,
            "connections": args.connections,
            "stamps": len(tokens),
            "server": server_description(label, args.workers, args.nodelay_fix),
            "database": label,
            "workers": args.workers,
            "server_env": SERVER_ENV,
            "generator": "bench.loadgen (asyncio, keep-alive HTTP/1.1, separate process)",
        },
        "scan": scan_summary.as_json(),
        "verify": verify_summary.as_json(),
        "ratio_scan_verify_rps": round(rps_ratio, 4),
        "goal": {
            "ratio_at_least": GOAL_RATIO,
            "scan_p99_ms_at_most": GOAL_P99_MS,
            "applies": goal_applies,
            "ratio_met": rps_ratio >= GOAL_RATIO,
            "p99_met": scan_p99 <= GOAL_P99_MS,
        },
        "errors": errors,
        "database": {
            "scan_rows": rows,
            "scan_counters": counters,
            "scans_answered": scans_answered,
        },
        "duration_s": round(elapsed, 2),
    }
    path = write_result(result_name(NAME, args, database_url), result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 1 if errors or not consistent else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(
            f"\n{NAME}: interrupted (the server was stopped, a scratch database dropped)",
            file=sys.stderr,
        )
        sys.exit(130)
