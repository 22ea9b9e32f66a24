"""Offline verification speed: ``verify_token`` against a bare Ed25519 check of the same bytes.

A: ``verify_token(text, trust, now)``, the full offline verification of a label token
   (Base32 decoding, strict CBOR/COSE parsing, key lookup, Ed25519 signature, windows).
B: ``Ed25519PublicKey.verify(signature, sig_structure)`` on the very bytes A hands to
   the key: the cryptography alone, the floor no verifier can go below.

The two run interleaved in the same process, round after round, and the ratio of the
median rates A/B is the share of verification time that is the signature itself.
Goal: A/B >= 0.7, i.e. parsing and checks cost at most ~43 % on top of the signature.

Run: ``.venv/bin/python -m bench.verify_offline [--quick] [--seconds N] [--rounds N] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from bench.world import demo_world, load_trust
from tem.crypto import cose, statements
from tem.crypto.statements import parse_token
from tem.verify.trust import TrustStore, public_key_of
from tem.verify.verifier import Verdict, verify_token

NAME = "verify_offline"
GOAL_RATIO = 0.7
CALLS_PER_CLOCK_READ = 20  # a few ms of work between clock reads: negligible overhead
SLICE_SECONDS = 0.1
MAX_CALLS_PER_PHASE = 10_000_000  # a hard bound besides the clock
PROFILE_CALLS = 2_000
PROFILE_MAX_SECONDS = 10.0
BUSY_CPU_SHARE = 0.9  # below this share of wall time on the CPU, other processes interfered


@dataclass(frozen=True)
class Phase:
    """One timed stretch of calls."""

    calls: int
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return ratio(self.calls, self.wall_s)

    @property
    def cpu_share(self) -> float:
        return ratio(self.cpu_s, self.wall_s)

    @staticmethod
    def total(phases: Sequence[Phase]) -> Phase:
        return Phase(
            sum(p.calls for p in phases),
            sum(p.wall_s for p in phases),
            sum(p.cpu_s for p in phases),
        )

    def as_json(self) -> dict[str, float | int]:
        return {
            "calls": self.calls,
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "rate_per_s": round(self.rate, 1),
        }


@dataclass(frozen=True)
class Round:
    number: int
    slices: int
    full: Phase
    baseline: Phase

    @property
    def ratio(self) -> float:
        return ratio(self.full.rate, self.baseline.rate)


@dataclass(frozen=True)
class Subject:
    """What is timed: the token and trust store for A, the key and exact bytes for B."""

    text: str
    trust: TrustStore
    now: int
    verify_full: Callable[[], object]
    verify_baseline: Callable[[], object]


def run_for(work: Callable[[], object], seconds: float) -> Phase:
    """Call ``work`` repeatedly for about ``seconds`` (bounded by time and by count)."""
    calls = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while calls < MAX_CALLS_PER_PHASE:
        for _ in range(CALLS_PER_CLOCK_READ):
            work()
        calls += CALLS_PER_CLOCK_READ
        now = time.perf_counter()
        if now >= deadline:
            break
    return Phase(calls, now - start, time.process_time() - cpu_start)


def prepare(text: str, trust: TrustStore) -> Subject:
    """Check the token is genuine, then precompute the baseline's key, signature and bytes.

    Raises:
        SystemExit: if the token does not verify: timing a failure path would mislead.
    """
    now = int(time.time())
    result = verify_token(text, trust, now)
    if result.verdict is not Verdict.GENUINE:
        reasons = "; ".join(reason.message for reason in result.reasons)
        raise SystemExit(
            f"{NAME}: the demo token is {result.verdict.value}, not genuine: {reasons}"
        )
    token = parse_token(text)
    envelope = token.statement.envelope
    to_be_signed = cose.sig_structure(envelope.protected_bytes, envelope.payload)
    signature = envelope.signature
    key = public_key_of(trust.candidates(token.kid)[0])
    key.verify(signature, to_be_signed)  # the baseline must check the same, valid, bytes

    def verify_full() -> object:
        # Tem memoises parsed statements and signature checks (stored records are checked on
        # every scan). A is timed cold: both memos are emptied first, and that cost counts too.
        trust.signers.clear()
        statements._parse_statement.cache_clear()
        return verify_token(text, trust, now)

    def verify_baseline() -> object:
        key.verify(signature, to_be_signed)
        return None

    return Subject(text, trust, now, verify_full, verify_baseline)


def measure(subject: Subject, rounds: int, seconds: float, warmup: float) -> list[Round]:
    """Time A and B for ``seconds`` each per round, in alternating slices of ~0.1 s.

    Fine slices (ABBA order) make A and B share whatever else the machine is doing,
    so the ratio stays steady even when the absolute rates drift.
    """
    run_for(subject.verify_full, warmup)
    run_for(subject.verify_baseline, warmup)
    slices = max(1, round(seconds / SLICE_SECONDS))
    results: list[Round] = []
    for number in range(1, rounds + 1):
        full: list[Phase] = []
        baseline: list[Phase] = []
        for index in range(slices):
            if (number + index) % 2:
                full.append(run_for(subject.verify_full, seconds / slices))
                baseline.append(run_for(subject.verify_baseline, seconds / slices))
            else:
                baseline.append(run_for(subject.verify_baseline, seconds / slices))
                full.append(run_for(subject.verify_full, seconds / slices))
        results.append(Round(number, slices, Phase.total(full), Phase.total(baseline)))
    return results


def profile(subject: Subject, calls: int) -> str:
    """cProfile of ``verify_token``: the top 10 by cumulative and by own time."""
    profiler = cProfile.Profile()
    deadline = time.perf_counter() + PROFILE_MAX_SECONDS
    done = 0
    profiler.enable()
    while done < calls and time.perf_counter() < deadline:
        verify_token(subject.text, subject.trust, subject.now)
        done += 1
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"cProfile of verify_token, {done} calls (profiling slows Python code, not C)\n")
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(10)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(10)
    return out.getvalue()


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _share(value: float) -> str:
    return f"{value:.0%}"


def render(rounds: Sequence[Round], summary: dict[str, Any]) -> str:
    rows = [
        [
            str(r.number),
            _rate(r.full.rate),
            _rate(r.baseline.rate),
            f"{r.ratio:.3f}",
            _share(r.full.cpu_share),
            _share(r.baseline.cpu_share),
        ]
        for r in rounds
    ]
    rows.append(
        [
            "median",
            _rate(summary["full_rate_per_s"]),
            _rate(summary["baseline_rate_per_s"]),
            f"{summary['ratio']:.3f}",
            "",
            "",
        ]
    )
    headers = ["round", "A verify_token/s", "B Ed25519 verify/s", "A/B", "CPU A", "CPU B"]
    return table(headers, rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.verify_offline",
        description="Offline label-token verification vs a bare Ed25519 verify of the same bytes.",
    )
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="seconds of A and of B per round (default 2)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.5 s: a smoke run")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of verify_token"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if the goal is not met")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.5, 3
    if not 0 < args.seconds <= 30 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be in (0, 30] and --rounds in [1, 20]")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="tem-bench-") as tmp:
        world = demo_world(Path(tmp) / "data")
        trust = load_trust(world.settings)
    subject = prepare(world.token, trust)
    print(
        f"{NAME}: label token of {world.product} / {world.lot} ({len(world.token)} Base32 chars)\n"
        f"A = verify_token (full offline verification), B = Ed25519PublicKey.verify on the same "
        f"bytes\n{args.rounds} rounds of {args.seconds:g} s each for A and B, interleaved in "
        f"~{SLICE_SECONDS:g} s slices\n"
    )
    rounds = measure(subject, args.rounds, args.seconds, warmup=min(args.seconds / 4, 0.5))
    full_rate = median(r.full.rate for r in rounds)
    baseline_rate = median(r.baseline.rate for r in rounds)
    summary: dict[str, Any] = {
        "full_rate_per_s": full_rate,
        "baseline_rate_per_s": baseline_rate,
        "ratio": ratio(full_rate, baseline_rate),
    }
    met = summary["ratio"] >= GOAL_RATIO
    print(render(rounds, summary))
    if full_rate and baseline_rate:
        print(
            f"\nPer verification: {1e6 / full_rate:.0f} µs in all, of which "
            f"{1e6 / baseline_rate:.0f} µs is the Ed25519 check itself."
        )
    print(f"Goal A/B >= {GOAL_RATIO}: {'met' if met else 'NOT MET'}")
    lowest_share = min(min(r.full.cpu_share, r.baseline.cpu_share) for r in rounds)
    if lowest_share < BUSY_CPU_SHARE:
        print(
            f"Note: in some phase this process had only {lowest_share:.0%} of a CPU; other "
            "processes were competing and the figures are noisy."
        )
    profile_text = profile(subject, PROFILE_CALLS) if args.profile else None
    if profile_text:
        print("\n" + profile_text)
    elapsed = time.perf_counter() - started
    result = {
        "benchmark": NAME,
        "date": utc_now(),
        "machine": machine(),
        "load_average_1m": {"before": load_before, "after": load_average()},
        "settings": {"rounds": args.rounds, "seconds_per_phase": args.seconds},
        "a": "verify_token(text, trust, now)",
        "b": "Ed25519PublicKey.verify(signature, sig_structure) on the same bytes",
        "rounds": [
            {
                "round": r.number,
                "slices": r.slices,
                "a": r.full.as_json(),
                "b": r.baseline.as_json(),
                "ratio": round(r.ratio, 4),
            }
            for r in rounds
        ],
        "a_rate_per_s": round(full_rate, 1),
        "b_rate_per_s": round(baseline_rate, 1),
        "ratio": round(summary["ratio"], 4),
        "median_round_ratio": round(median(r.ratio for r in rounds), 4),
        "goal_ratio": GOAL_RATIO,
        "goal_met": met,
        "profile": profile_text,
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
