"""Prometheus metrics: the metric objects and one small function per thing worth counting.

A floor module: domain packages may import it to count what they do
(:func:`record_verdict`, :func:`record_scan`, :func:`record_alert`,
:func:`record_stamps_issued`); it imports nothing from them. Every helper is cheap
and never raises on a good label, so counting cannot break a request.

Several worker processes report together through prometheus-client's
multiprocess mode: when ``PROMETHEUS_MULTIPROC_DIR`` is set before
prometheus-client is first imported (``tem serve`` does it, under
``<data dir>/run/metrics``), each process writes its values to memory-mapped
files there and :func:`exposition` sums them. Without it (tests, an app embedded
in another server) the values live in this process and :func:`exposition` reads
them from the default registry. Labels are bounded sets -- route templates,
never raw paths; verdicts; alert kinds -- so no token or address becomes a
label.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
    values,
)
from sqlalchemy import Engine, event

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# What generate_latest writes: the classic text format, which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds. Dense below 100 ms, where the public check should stay (issue 7's p99 goal).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "tem_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "tem_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
VERDICTS = Counter("tem_verdicts", "Verdicts given by the public check, by verdict.", ["verdict"])
SCANS = Counter("tem_scans_recorded", "Scans recorded (public scans and inspections).")
RATE_LIMITED = Counter(
    "tem_rate_limited",
    "Requests refused by a rate limit, by kind (scan, report).",
    ["kind"],
)
ALERTS = Counter("tem_alerts_raised", "Alerts raised on stamps or batches, by kind.", ["kind"])
STAMPS_ISSUED = Counter("tem_stamps_issued", "Stamps issued (committed) by print runs.")
DB_IN_USE = Gauge(
    "tem_db_connections_in_use",
    "Database connections checked out of the pool, summed over live worker processes.",
    multiprocess_mode="livesum",
)


def multiprocess_mode() -> bool:
    """Whether this process writes its values to ``PROMETHEUS_MULTIPROC_DIR`` (decided at import)."""
    return values.ValueClass is not values.MutexValue


def record_verdict(verdict: str) -> None:
    """Count one verdict of the public check (``genuine``, ``recalled``, ``suspect`` ...)."""
    VERDICTS.labels(verdict=verdict).inc()


def record_scan() -> None:
    """Count one recorded scan."""
    SCANS.inc()


def record_alert(kind: str) -> None:
    """Count one alert raised (the rule's or alert's kind, e.g. ``too_many_scans``)."""
    ALERTS.labels(kind=kind).inc()


def record_stamps_issued(n: int) -> None:
    """Count ``n`` stamps issued; call it after the chunk holding them is committed."""
    if n > 0:
        STAMPS_ISSUED.inc(n)


def record_rate_limited(kind: str) -> None:
    """Count one request refused by the ``kind`` limiter (``scan`` or ``report``)."""
    RATE_LIMITED.labels(kind=kind).inc()


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration; ``route`` is the template, never the path."""
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


def track_pool(engine: Engine) -> None:
    """Keep :data:`DB_IN_USE` in step with ``engine``'s pool: +1 on checkout, -1 on checkin."""

    def _checkout(*_args: Any) -> None:
        DB_IN_USE.inc()

    def _checkin(*_args: Any) -> None:
        DB_IN_USE.dec()

    event.listen(engine, "checkout", _checkout)
    event.listen(engine, "checkin", _checkin)


def exposition() -> bytes:
    """Every metric in the Prometheus text format (version 0.0.4), all workers together."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def start_metrics_server(host: str, port: int, *, workers: int) -> None:
    """Serve the exposition on its own address, without a token, from a daemon thread.

    Called by ``tem serve --metrics-port`` in the serving process. With several
    workers that process only supervises, so it reads their files; with one, it
    is the worker and reads its own values.
    """
    registry = REGISTRY
    if workers > 1:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=os.environ[MULTIPROC_ENV])  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty ``path`` (the values of an earlier run) and point ``PROMETHEUS_MULTIPROC_DIR`` at it.

    Call it in the serving process before any worker starts: the workers inherit
    the variable, and prometheus-client reads it when it is first imported.
    """
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(path)


def process_exiting() -> None:
    """Drop this worker's live gauges, so a stopped worker's connections are not counted."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory and multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]
