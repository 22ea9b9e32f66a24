"""Peak memory of issuing a large print run: the process's peak RSS must not grow with N.

For each size (default 100,000 and 1,000,000 stamps) a fresh demo data directory
(SQLite) gets a print run of that size, and a child process issues it with
``issue_chunks(factory, store, run_id)``, as the API's background task or a resumed
run does. The child imports only what issuance needs. Its peak resident set size is
``VmHWM`` from ``/proc/<pid>/status``: read by the child itself just before it exits
(and after each tenth of the run, with its RSS then), and sampled by the parent while
it runs, as a cross-check. Goal: peak RSS < 200 MB for 1,000,000 stamps, and about the
same for both sizes (constant memory: one chunk of rows at a time).

``ru_maxrss`` (``getrusage``, ``wait4``) is recorded too but is *not* the figure: Linux
carries the high-water mark across ``exec``, so a child's ``ru_maxrss`` is at least the
RSS of the parent that forked it (here the parent, having built the demo, is ~95 MB).

Run: ``.venv/bin/python -m bench.stamps_memory [--count N] [--small N] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

from bench.report import (
    REPO_ROOT,
    load_average,
    machine,
    ratio,
    shown_path,
    table,
    utc_now,
    write_result,
)

NAME = "stamps_memory"
GOAL_MB = 200.0
DEFAULT_COUNT = 1_000_000
QUICK_COUNT, QUICK_SMALL = 200_000, 50_000
SAMPLE_EVERY_S = 0.25  # the parent's VmRSS/VmHWM sampling period
MIN_RATE_PER_S = 500  # the child is killed if it would be slower than this (plus a minute)
STOP_TIMEOUT_S = 10.0
GROWTH_TOLERANCE_MB = 10.0  # the large run's peak may exceed the small one's by this much
KIB = 1024
MIB = 1024 * 1024


def _status_kib(pid: int | str, field: str) -> int | None:
    """A ``kB`` field (VmRSS, VmHWM) of ``/proc/<pid>/status``; None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


# --- the child: issue one run ---------------------------------------------------------


def child(data_dir: Path, run_id: int, out: Path) -> int:
    """Issue the run in this process and write what it measured to ``out`` (JSON)."""
    # Imported here, so that the parent's imports never count in the child's figures.
    from tem.config import Settings
    from tem.db import make_engine, session_factory
    from tem.keys.store import KeyStore
    from tem.stamps.service import issue_chunks

    settings = Settings(data_dir=data_dir, database_url=None, key_passphrase=None, demo=True)
    engine = make_engine(settings)
    factory = session_factory(engine)
    store = KeyStore(settings.keys_dir, settings.passphrase())
    baseline_kib = _status_kib("self", "VmRSS")
    baseline_hwm_kib = _status_kib("self", "VmHWM")
    samples: list[dict[str, int | None]] = []
    next_tenth = 1

    def progress(issued: int, requested: int) -> None:
        nonlocal next_tenth
        if issued * 10 >= next_tenth * requested:
            samples.append(
                {
                    "issued": issued,
                    "rss_kib": _status_kib("self", "VmRSS"),
                    "hwm_kib": _status_kib("self", "VmHWM"),
                }
            )
            next_tenth = issued * 10 // requested + 1

    cpu_start = time.process_time()
    start = time.perf_counter()
    run = issue_chunks(factory, store, run_id, progress=progress)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    engine.dispose()
    result = {
        "issued": run.issued,
        "wall_s": wall,
        "cpu_s": cpu,
        "baseline_rss_kib": baseline_kib,
        "baseline_hwm_kib": baseline_hwm_kib,
        "samples": samples,
        "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "self_vmhwm_kib": _status_kib("self", "VmHWM"),
    }
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


# --- the parent: one child per size ---------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    count: int
    wall_s: float
    cpu_s: float
    baseline_rss_kib: int
    samples: list[dict[str, int | None]]
    final_vmhwm_kib: int  # the child's own VmHWM, read just before it exits
    sampled_vmhwm_kib: int  # the highest VmHWM the parent read while it ran
    kernel_maxrss_kib: int  # ru_maxrss from wait4: includes the parent's RSS at fork
    self_maxrss_kib: int
    db_bytes: int

    @property
    def peak_kib(self) -> int:
        return max(self.final_vmhwm_kib, self.sampled_vmhwm_kib)

    @property
    def peak_mb(self) -> float:
        return self.peak_kib * KIB / MIB

    @property
    def baseline_mb(self) -> float:
        return self.baseline_rss_kib * KIB / MIB

    @property
    def rate(self) -> float:
        return ratio(self.count, self.wall_s)

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "rate_per_s": round(self.rate, 1),
            "peak_rss_mb": round(self.peak_mb, 1),
            "baseline_rss_mb": round(self.baseline_mb, 1),
            "final_vmhwm_kib": self.final_vmhwm_kib,
            "sampled_vmhwm_kib": self.sampled_vmhwm_kib,
            "ru_maxrss_kib_wait4": self.kernel_maxrss_kib,
            "ru_maxrss_kib_self": self.self_maxrss_kib,
            "rss_by_progress_kib": self.samples,
            "database_bytes": self.db_bytes,
        }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill and reap a child that overran (used only on timeout or interruption)."""
    if process.poll() is None:
        process.kill()
        process.wait(STOP_TIMEOUT_S)


def measure(count: int, tmp: Path) -> Measurement:
    """Build a demo world, start a run of ``count``, issue it in a child; its memory and time.

    Raises:
        SystemExit: if the child fails or overruns its time bound.
    """
    from bench.world import cooperative_token, demo_world, start_print_run
    from tem.db import make_engine, session_factory

    data_dir = tmp / f"data-{count}"
    world = demo_world(data_dir)
    engine = make_engine(world.settings)
    try:
        token = cooperative_token(world.settings)
        run_id = start_print_run(session_factory(engine), token, count, f"memory-{count}")
    finally:
        engine.dispose()
    out, log_path = tmp / f"child-{count}.json", tmp / f"child-{count}.log"
    command = [sys.executable, "-m", "bench.stamps_memory", "--child", str(data_dir)]
    command += ["--run-id", str(run_id), "--out", str(out)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEM_")}
    timeout = 60.0 + count / MIN_RATE_PER_S
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            hwm = 0
            deadline = time.monotonic() + timeout
            while True:
                hwm = max(hwm, _status_kib(process.pid, "VmHWM") or 0)
                # wait4 reaps the child and hands back its own rusage (for the record only).
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    process.returncode = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{NAME}: {count:,} stamps took over {timeout:.0f} s")
                time.sleep(SAMPLE_EVERY_S)
        finally:
            _stop(process)
    if process.returncode != 0 or not out.exists():
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        raise SystemExit(f"{NAME}: the child failed ({process.returncode}):\n{log_text[-3000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    if data["issued"] != count:
        raise SystemExit(f"{NAME}: the child issued {data['issued']:,}, not {count:,}")
    db_bytes = sum(path.stat().st_size for path in data_dir.glob("tem.db*"))
    measurement = Measurement(
        count=count,
        wall_s=float(data["wall_s"]),
        cpu_s=float(data["cpu_s"]),
        baseline_rss_kib=int(data["baseline_rss_kib"] or 0),
        samples=data["samples"],
        final_vmhwm_kib=int(data["self_vmhwm_kib"] or 0),
        sampled_vmhwm_kib=hwm,
        kernel_maxrss_kib=int(usage.ru_maxrss),
        self_maxrss_kib=int(data["self_maxrss_kib"]),
        db_bytes=db_bytes,
    )
    for path in data_dir.glob("tem.db*"):  # free the disk before the next size
        path.unlink()
    return measurement


def render(measurements: Sequence[Measurement]) -> str:
    rows = [
        [
            f"{m.count:,}",
            f"{m.peak_mb:.1f}",
            f"{m.baseline_mb:.1f}",
            f"{m.peak_mb - m.baseline_mb:.1f}",
            f"{m.wall_s:.1f}",
            f"{m.rate:,.0f}",
            f"{ratio(m.cpu_s, m.wall_s):.0%}",
            f"{m.db_bytes / MIB:,.0f}",
        ]
        for m in measurements
    ]
    headers = [
        "stamps",
        "peak RSS MB",
        "before issuing",
        "growth",
        "wall s",
        "stamps/s",
        "CPU",
        "SQLite MB",
    ]
    return table(headers, rows)


def _mb(kib: int | None) -> str:
    return f"{(kib or 0) * KIB / MIB:.1f}"


def render_progress(measurements: Sequence[Measurement]) -> str:
    lines = []
    for m in measurements:
        for label, key in (("RSS ", "rss_kib"), ("peak", "hwm_kib")):
            points = " ".join(_mb(sample.get(key)) for sample in m.samples)
            lines.append(f"  {m.count:>9,} {label}: {points}")
    return "MB after each tenth of the run (RSS now, and the peak so far: VmHWM):\n" + "\n".join(
        lines
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stamps_memory",
        description="Peak RSS and time of issuing a large print run (SQLite), at two sizes.",
    )
    parser.add_argument(
        "--count", type=int, default=None, help=f"the large run (default {DEFAULT_COUNT:,})"
    )
    parser.add_argument("--small", type=int, default=None, help="the small run (default count/10)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SMALL:,} and {QUICK_COUNT:,} stamps (~1 minute)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is not met")
    # The child mode: issue one run in this process (the parent starts it).
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        if args.run_id is None or args.out is None:
            parser.error("--child needs --run-id and --out")
        return args
    if args.quick:
        args.count = args.count or QUICK_COUNT
        args.small = args.small or QUICK_SMALL
    args.count = args.count or DEFAULT_COUNT
    args.small = args.small or max(1, args.count // 10)
    if not 1 <= args.small < args.count <= 10_000_000:
        parser.error("need 1 <= --small < --count <= 10,000,000")
    return args


def _terminated(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so that the `finally` killing the child runs.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child(args.child, args.run_id, args.out)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.perf_counter()
    load_before = load_average()
    print(
        f"{NAME}: issue_chunks of a {args.small:,}- and a {args.count:,}-stamp run (SQLite), "
        "each in a child process; peak RSS = the child's VmHWM\n"
    )
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="tem-bench-") as tmp:
        for count in (args.small, args.count):
            measurements.append(measure(count, Path(tmp)))
            m = measurements[-1]
            print(f"{count:>9,} stamps: peak {m.peak_mb:.1f} MB, {m.wall_s:.1f} s", flush=True)
    small, large = measurements
    growth = large.peak_mb - small.peak_mb
    below = large.peak_mb < GOAL_MB
    flat = growth <= GROWTH_TOLERANCE_MB
    print()
    print(render(measurements))
    print()
    print(render_progress(measurements))
    print(
        f"\nGoal peak < {GOAL_MB:g} MB at {large.count:,}: {'met' if below else 'NOT MET'} "
        f"({large.peak_mb:.1f} MB). Peak {large.count:,} vs {small.count:,}: "
        f"{growth:+.1f} MB ({'flat' if flat else 'GROWS'}; tolerance {GROWTH_TOLERANCE_MB:g} MB)."
    )
    elapsed = time.perf_counter() - started
    result = {
        "benchmark": NAME,
        "date": utc_now(),
        "machine": machine(),
        "load_average_1m": {"before": load_before, "after": load_average()},
        "settings": {"sizes": [args.small, args.count], "database": "SQLite"},
        "what": "peak RSS (VmHWM) of a child process running issue_chunks for a whole run",
        "runs": [m.as_json() for m in measurements],
        "goal_peak_mb": GOAL_MB,
        "peak_growth_mb": round(growth, 1),
        "goal_met": below and flat,
        "duration_s": round(elapsed, 2),
    }
    path = write_result(NAME, result)
    print(f"\nTook {elapsed:.1f} s. Result: {shown_path(path)}")
    return 1 if args.strict and not (below and flat) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"\n{NAME}: interrupted (the child was stopped)", file=sys.stderr)
        sys.exit(130)
