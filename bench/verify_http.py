"""HTTP verification speed: ``GET /api/v1/verify/{token}`` against ``GET /api/v1/health``.

The real server (``tem serve``, one worker by default, SQLite or, with ``--postgres``, a
scratch PostgreSQL database) runs on a demo data directory in a temporary folder; a load
generator in another process (:mod:`bench.loadgen`, N
keep-alive connections, fixed duration) loads each endpoint in turn, interleaved
over several rounds. ``health`` does no work, so it is the floor of the stack
(uvicorn, FastAPI, access log); ``verify`` adds the database, the token check and
the whole batch history (record and events, each signature verified). The ratio
verify/health of requests per second says how much of the server's time is Tem's.

Run: ``.venv/bin/python -m bench.verify_http [--quick] [--seconds N] [--rounds N]
[--workers N] [--postgres [URL]]``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from bench.report import (
    REPO_ROOT,
    load_average,
    machine,
    median,
    percentile,
    ratio,
    shown_path,
    table,
    utc_now,
    write_result,
)
from bench.world import demo_world, postgres_version, scratch_postgres

NAME = "verify_http"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
LOADGEN_GRACE_S = 60.0  # beyond its own duration, before the generator is killed
BUSY_SHARE = 0.95  # a process above this share of a CPU was the bottleneck
POSTGRES_ENV = "TEM_BENCH_POSTGRES"  # the server --postgres uses when given no URL
GOAL_RATIO = 0.6  # issue 7: verify >= 0.6 x health req/s, one worker, SQLite


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    expect: str  # text every sampled 200 body must contain


@dataclass(frozen=True)
class Load:
    """One round of load on one endpoint, as the generator and the server's CPU clock saw it."""

    endpoint: Endpoint
    round: int
    requests: int
    wall_s: float
    generator_cpu_s: float
    server_cpu_s: float | None
    errors: dict[str, int]
    body_checks: int
    latencies_ns: list[int]
    server_processes: int | None = None  # processes whose CPU was summed (master + workers)

    @property
    def rps(self) -> float:
        return ratio(self.requests, self.wall_s)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def free_port() -> int:
    """A port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One plain GET to loopback (no proxy settings apply)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass(frozen=True)
class CpuSample:
    """User + system CPU seconds of the server's processes (the master and its descendants)."""

    seconds: float
    pids: frozenset[int]


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (Linux ``/proc``); None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5), counted from 1; the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # field 4, ppid


def children(pid: int) -> list[int]:
    """The child processes of ``pid``: ``/proc/<pid>/task/*/children`` where the kernel has
    it (``CONFIG_PROC_CHILDREN``), else every ``/proc/<n>`` whose parent is ``pid``."""
    try:
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
        return found
    except OSError:
        pass
    try:
        entries = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    return [entry for entry in entries if _parent_pid(entry) == pid]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (uvicorn's workers are children of its master)."""
    found: list[int] = []
    stack = children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack += children(child)
    return found


def tree_cpu(root: int) -> CpuSample | None:
    """CPU of ``root`` and all its descendants; None if ``root`` is gone (or no ``/proc``)."""
    total = _process_cpu(root)
    if total is None:
        return None
    pids = [root]
    for pid in descendants(root):
        cpu = _process_cpu(pid)
        if cpu is not None:  # else it exited between the listing and the read
            total += cpu
            pids.append(pid)
    return CpuSample(total, frozenset(pids))


def cpu_between(before: CpuSample | None, after: CpuSample | None) -> float | None:
    """Server CPU seconds spent between two samples, summed over its processes.

    None (not measured) if a sample is missing or the set of processes changed: a process
    that exited in between took its CPU time with it (a restarted worker, say).
    """
    if before is None or after is None or before.pids != after.pids:
        return None
    return after.seconds - before.seconds


def database_label(database_url: str | None) -> str:
    return "SQLite" if database_url is None else postgres_version(database_url)


def postgres_url(given: str | None) -> str | None:
    """The PostgreSQL server of ``--postgres``: its URL, or ``$TEM_BENCH_POSTGRES`` when the
    option came without one; None (SQLite) without the option.

    Raises:
        SystemExit: ``--postgres`` without a URL and without the environment variable.
    """
    if given is None:
        return None
    if given:
        return given
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        raise SystemExit(f"--postgres needs a URL or ${POSTGRES_ENV}")
    return url


def result_name(name: str, args: argparse.Namespace, database_url: str | None) -> str:
    """``verify_http`` for the default (SQLite, one worker), else e.g. ``verify_http_postgres_w2``."""
    suffix = "" if database_url is None else "_postgres"
    if args.workers != 1:
        suffix += f"_w{args.workers}"
    if args.nodelay_fix:
        suffix += "_nodelay"
    return name + suffix


def server_description(label: str, workers: int, nodelay_fix: bool = False) -> str:
    plural = "worker" if workers == 1 else "workers"
    fix = ", listener fixed for TCP_NODELAY (bench.serve_nodelay)" if nodelay_fix else ""
    return f"tem serve --workers {workers} (uvicorn, {label}, {workers} {plural}{fix})"


class Server:
    """``tem serve`` as a subprocess on a loopback port; always stop it in a ``finally``.

    ``database_url`` None means SQLite in ``data_dir``; ``env`` adds ``TEM_`` settings.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        log_path: Path,
        *,
        database_url: str | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
        nodelay_fix: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.log_path = log_path
        self.database_url = database_url
        self.workers = workers
        self.env = dict(env or {})
        self.nodelay_fix = nodelay_fix
        self.executable = Path(sys.executable).parent / "tem"
        if not self.executable.exists():
            raise SystemExit(f"{NAME}: {self.executable} not found; run `make install` first")
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the server was not started")
        return self._process

    def start(self) -> None:
        """Start ``tem serve --workers N``; its output goes to ``log_path``."""
        # Only the benchmark's own TEM_ settings: never a database from the caller's shell.
        env = {key: value for key, value in os.environ.items() if not key.startswith("TEM_")}
        env.update(TEM_DATA_DIR=str(self.data_dir), TEM_DEMO="1", **self.env)
        if self.database_url is not None:
            env["TEM_DATABASE_URL"] = self.database_url
        command = [str(self.executable)]
        if self.nodelay_fix:  # the same `tem`, with uvicorn's socket fixed (bench.serve_nodelay)
            command = [sys.executable, "-m", "bench.serve_nodelay"]
        command += ["serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> float:
        """Wait until ``/api/v1/health`` answers 200 and, with several workers, until the
        master has that many live child processes; returns the seconds it took.

        Raises:
            SystemExit: if the server exits or does not answer in time (with its log).
        """
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"{NAME}: the server exited early:\n{self.log_tail()}")
            try:
                status, _ = get(self.port, "/api/v1/health", timeout=1.0)
            except OSError:
                status = 0
            if status == 200 and (self.workers == 1 or self.live_workers() >= self.workers):
                return time.perf_counter() - start
            time.sleep(0.1)
        raise SystemExit(f"{NAME}: the server did not answer in {timeout:g} s:\n{self.log_tail()}")

    def live_workers(self) -> int:
        """uvicorn's worker processes under the master (spawned by ``multiprocessing``; the
        master's other child is multiprocessing's resource tracker)."""
        count = 0
        for pid in children(self.process.pid):
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    count += 1
        return count

    def cpu(self) -> CpuSample | None:
        """CPU time so far of the server: the master and every worker under it (``/proc``)."""
        return tree_cpu(self.process.pid)

    def log_tail(self, lines: int = 20) -> str:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after a grace period) and reap the server, if started."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()


def load(server: Server, endpoint: Endpoint, seconds: float, connections: int, number: int) -> Load:
    """Run the load generator once against ``endpoint`` and read the server's CPU around it.

    Raises:
        SystemExit: if the generator fails (its stderr is shown).
    """
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(server.port),
        "--path",
        endpoint.path,
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
        "--expect",
        endpoint.expect,
    ]
    cpu_before = server.cpu()
    # subprocess.run kills the generator on timeout and on Ctrl-C.
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


def sanity_check(port: int, verify: Endpoint) -> int:
    """One verification before any timing: it must be genuine. Returns the history length.

    Raises:
        SystemExit: otherwise: timing an error path would mislead.
    """
    status, body = get(port, verify.path)
    if status != 200:
        raise SystemExit(f"{NAME}: {verify.path} answered {status}: {body[:300]!r}")
    report = json.loads(body)
    if report.get("verdict") != "genuine":
        raise SystemExit(f"{NAME}: the demo token is {report.get('verdict')}: {report['reasons']}")
    return len(report.get("history", []))


@dataclass(frozen=True)
class Summary:
    endpoint: Endpoint
    loads: list[Load]

    @property
    def rps(self) -> float:
        return median(load.rps for load in self.loads)

    def latency_ms(self, q: float) -> float:
        pooled = sorted(ns for load in self.loads for ns in load.latencies_ns)
        return percentile(pooled, q) / 1e6

    @property
    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for load in self.loads:
            for kind, count in load.errors.items():
                total[kind] = total.get(kind, 0) + count
        return total

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        cpu = [load.server_cpu_s for load in self.loads]
        if any(c is None for c in cpu):
            return None
        requests = sum(load.requests for load in self.loads)
        return ratio(sum(c for c in cpu if c is not None) * 1e3, requests)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.endpoint.path,
            "rps_median": round(self.rps, 1),
            "p50_ms": round(self.latency_ms(50), 3),
            "p99_ms": round(self.latency_ms(99), 3),
            "requests": sum(load.requests for load in self.loads),
            "errors": self.errors,
            "body_checks": sum(load.body_checks for load in self.loads),
            "server_cpu_ms_per_request": _rounded(self.server_cpu_ms_per_request, 3),
            "rounds": [
                {
                    "round": load.round,
                    "requests": load.requests,
                    "wall_s": round(load.wall_s, 3),
                    "rps": round(load.rps, 1),
                    "p50_ms": round(percentile(sorted(load.latencies_ns), 50) / 1e6, 3),
                    "p99_ms": round(percentile(sorted(load.latencies_ns), 99) / 1e6, 3),
                    "errors": load.errors,
                    "generator_cpu_share": round(ratio(load.generator_cpu_s, load.wall_s), 3),
                    "server_cpu_share": _rounded(_share(load.server_cpu_s, load.wall_s), 3),
                    "server_processes": load.server_processes,
                }
                for load in self.loads
            ],
        }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _share(cpu_s: float | None, wall_s: float) -> float | None:
    return None if cpu_s is None else ratio(cpu_s, wall_s)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_rounds(loads: Sequence[Load]) -> str:
    rows = [
        [
            str(load.round),
            load.endpoint.name,
            f"{load.requests:,}",
            f"{load.rps:,.0f}",
            f"{percentile(sorted(load.latencies_ns), 50) / 1e6:.1f}",
            f"{percentile(sorted(load.latencies_ns), 99) / 1e6:.1f}",
            str(load.error_count),
            _percent(_share(load.server_cpu_s, load.wall_s)),
            _percent(ratio(load.generator_cpu_s, load.wall_s)),
        ]
        for load in loads
    ]
    headers = [
        "round",
        "endpoint",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "CPU srv",
        "CPU gen",
    ]
    return table(headers, rows)


def render_summary(summaries: Sequence[Summary]) -> str:
    rows = [
        [
            s.endpoint.name,
            f"{s.rps:,.0f}",
            f"{s.latency_ms(50):.1f}",
            f"{s.latency_ms(99):.1f}",
            str(sum(s.errors.values())),
            "n/a" if s.server_cpu_ms_per_request is None else f"{s.server_cpu_ms_per_request:.2f}",
        ]
        for s in summaries
    ]
    headers = ["endpoint", "req/s (median)", "p50 ms", "p99 ms", "errors", "server CPU ms/req"]
    return table(headers, rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.verify_http",
        description="GET /api/v1/verify/{token} vs GET /api/v1/health on a real `tem serve`.",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per load (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds of both endpoints (default 5)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    add_server_options(parser)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 0.5 s: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.5, 2
    if not 0 < args.seconds <= 30 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be in (0, 30] and --rounds in [1, 20]")
    if not 1 <= args.connections <= 256:
        parser.error("--connections must be in [1, 256]")
    if not 1 <= args.workers <= 16:
        parser.error("--workers must be in [1, 16]")
    return args


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """``--workers N`` and ``--postgres [URL]``, shared with :mod:`bench.scan_http`."""
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of `tem serve` (default 1)"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="",
        metavar="URL",
        help=f"run on a scratch database tem_bench_<random> on this PostgreSQL server, "
        f"dropped afterwards (no URL: ${POSTGRES_ENV}); default SQLite",
    )
    parser.add_argument(
        "--nodelay-fix",
        action="store_true",
        help="serve through bench.serve_nodelay: uvicorn's --workers N listener fixed so that "
        "connections get TCP_NODELAY (Kludex/uvicorn#3149); a what-if, not the figure of record",
    )


def cpu_note(loads: Sequence[Load]) -> str:
    """How the server CPU column was measured: which processes, or that it was not."""
    counted = {load.server_processes for load in loads}
    if None in counted or any(load.server_cpu_s is None for load in loads):
        return "Server CPU: NOT MEASURED in some round (no /proc, or a process came or went)."
    if counted == {1}:
        return "Server CPU: the one server process."
    numbers = " or ".join(str(n) for n in sorted(c for c in counted if c is not None))
    return f"Server CPU: summed over {numbers} processes (the uvicorn master and all below it)."


def goal_text(value: float, goal: float, *, at_most: bool = False, unit: str = "") -> str:
    """``met`` or ``missed by <gap> (<share> %)`` for a ratio (or, ``at_most``, a ceiling)."""
    met = value <= goal if at_most else value >= goal
    if met:
        return "met"
    gap = value - goal if at_most else goal - value
    return f"MISSED by {gap:.3g}{unit} ({gap / goal:.0%})"


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
        verify = Endpoint("verify", f"/api/v1/verify/{world.token}", '"verdict":"genuine"')
        health = Endpoint("health", "/api/v1/health", '"status":"ok"')
        server = Server(
            world.settings.data_dir,
            free_port(),
            Path(tmp) / "server.log",
            database_url=database_url,
            workers=args.workers,
            nodelay_fix=args.nodelay_fix,
        )
        try:
            server.start()
            ready_s = server.wait_ready()
            events = sanity_check(server.port, verify)
            print(
                f"{NAME}: {server_description(label, args.workers, args.nodelay_fix)} on {HOST}:{server.port}, "
                f"ready in {ready_s:.1f} s\nverify = GET /api/v1/verify/<token> ({world.lot}: batch "
                f"record and {events} events), health = GET /api/v1/health\n{args.rounds} rounds, "
                f"{args.seconds:g} s per endpoint, {args.connections} keep-alive connections, "
                "endpoints interleaved\n"
            )
            warmup = min(args.seconds / 4, 0.5)
            for endpoint in (verify, health):
                load(server, endpoint, warmup, args.connections, 0)
            for number in range(1, args.rounds + 1):
                order = (verify, health) if number % 2 else (health, verify)
                for endpoint in order:
                    loads.append(load(server, endpoint, args.seconds, args.connections, number))
        finally:
            server.stop()
    summaries = [Summary(e, [x for x in loads if x.endpoint is e]) for e in (verify, health)]
    verify_summary, health_summary = summaries
    rps_ratio = ratio(verify_summary.rps, health_summary.rps)
    print(render_rounds(loads))
    print()
    print(render_summary(summaries))
    goal_applies = database_url is None and args.workers == 1
    goal = (
        f"goal >= {GOAL_RATIO}: {goal_text(rps_ratio, GOAL_RATIO)}"
        if goal_applies
        else "no goal on this setup (the goal is one worker on SQLite)"
    )
    print(f"\nverify/health req/s = {rps_ratio:.3f} ({goal})")
    print(cpu_note(loads))
    errors = sum(sum(s.errors.values()) for s in summaries)
    checks = sum(load.body_checks for load in loads)
    print(
        f"Responses: {'all 200' if errors == 0 else f'{errors} ERRORS'}; "
        f"{checks} bodies sampled for the expected verdict/status."
    )
    if any(ratio(load.generator_cpu_s, load.wall_s) > BUSY_SHARE for load in loads):
        print(
            "Note: the load generator used a whole CPU in some round, so it, not the server, "
            "may have set the pace there (health is then a lower bound)."
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
            "server": server_description(label, args.workers, args.nodelay_fix),
            "database": label,
            "workers": args.workers,
            "generator": "bench.loadgen (asyncio, keep-alive HTTP/1.1, separate process)",
        },
        "verify": verify_summary.as_json(),
        "health": health_summary.as_json(),
        "ratio_verify_health_rps": round(rps_ratio, 4),
        "goal": {
            "ratio_at_least": GOAL_RATIO,
            "applies": goal_applies,
            "met": rps_ratio >= GOAL_RATIO,
        },
        "errors": errors,
        "duration_s": round(elapsed, 2),
    }
    path = write_result(result_name(NAME, args, database_url), result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(
            f"\n{NAME}: interrupted (the server was stopped, a scratch database dropped)",
            file=sys.stderr,
        )
        sys.exit(130)
