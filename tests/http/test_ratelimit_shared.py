"""Rate limits in Redis (TEM_REDIS_URL): one budget for every worker, no raw IP in Redis,
and memory as the stand-in while Redis is down.

Needs Redis at TEM_TEST_REDIS_URL (default redis://127.0.0.1:6379/13); skipped when it
does not answer locally; `.ci/run` starts it. Each test writes under its own key prefix or
its own server secret, so runs sharing the database do not disturb one another.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from tem.http.ratelimit import Decision, Limits
from tests.http.serving import build_demo, serve

REDIS_URL = os.environ.get("TEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET = b"test secret for client keys, 32+"


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not answering at {REDIS_URL} ({exc}); .ci/run starts it")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    name = f"tem:test:{uuid.uuid4().hex[:12]}:"
    yield name
    for key in redis_client.scan_iter(match=name + "*"):
        redis_client.delete(key)


def shared(prefix: str, **limits: int) -> Limits:
    return Limits(SECRET, redis_url=REDIS_URL, redis_prefix=prefix, **limits)  # type: ignore[arg-type]


def test_two_workers_spend_one_budget(prefix: str) -> None:
    first, second = shared(prefix, scan_per_minute=3), shared(prefix, scan_per_minute=3)
    assert first.check_scan("203.0.113.7") == Decision(allowed=True, remaining=2, retry_after=0)
    assert second.check_scan("203.0.113.7") == Decision(allowed=True, remaining=1, retry_after=0)
    assert first.check_scan("203.0.113.7") == Decision(allowed=True, remaining=0, retry_after=0)
    # One scan in 20 s comes back, in Redis as in memory.
    assert second.check_scan("203.0.113.7") == Decision(allowed=False, remaining=0, retry_after=20)
    assert first.check_scan("203.0.113.7").retry_after == 20
    assert second.check_scan("198.51.100.1").allowed  # another client, its own budget
    # Neither worker's memory counted anything: Redis did.
    assert len(first.scan) == 0
    assert len(second.scan) == 0


def test_reports_in_redis_keep_the_memory_rules(prefix: str) -> None:
    limits = shared(prefix, reports_per_hour=2, reports_global_per_hour=5)
    assert limits.check_report("10.0.0.1") == Decision(allowed=True, remaining=1, retry_after=0)
    assert limits.check_report("10.0.0.1").allowed
    assert limits.check_report("10.0.0.1") == Decision(allowed=False, remaining=0, retry_after=1800)
    for _ in range(20):  # a refused client does not spend the server-wide budget
        assert not limits.check_report("10.0.0.1").allowed
    for n in (2, 3, 4):
        assert limits.check_report(f"10.0.0.{n}").allowed
    assert limits.check_report("10.0.0.5") == Decision(allowed=False, remaining=0, retry_after=720)
    # ... and a report refused server-wide did not spend 10.0.0.5's own budget.
    other = shared(prefix + "x:", reports_per_hour=1, reports_global_per_hour=1)
    assert other.check_report("10.0.0.6").allowed
    assert not other.check_report("10.0.0.7").allowed


def test_redis_holds_no_address_and_forgets_refilled_clients(
    prefix: str, redis_client: redis.Redis
) -> None:
    limits = shared(prefix)
    limits.check_scan("203.0.113.7")
    limits.check_scan("2001:db8:aa:bb::1")
    limits.check_report("203.0.113.7")
    keys = sorted(k.decode() for k in redis_client.scan_iter(match=prefix + "*"))
    assert len(keys) == 4
    held = " ".join(keys) + " " + " ".join(str(redis_client.get(k)) for k in keys)
    assert "203.0.113" not in held
    assert "2001:db8" not in held
    assert prefix + "report_global:*" in keys
    for key in keys:  # each expires once its budget is whole again
        window_ms = 60_000 if ":scan:" in key else 3_600_000
        assert 0 < redis_client.pttl(key) <= window_ms


def test_redis_down_falls_back_to_memory_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = Limits(SECRET, scan_per_minute=2, redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="tem.ratelimit"):
        decisions = [limits.check_scan("203.0.113.7") for _ in range(3)]
        assert limits.check_report("203.0.113.7").allowed
    # Fail open to this worker's own memory: still limited, never an error.
    assert [d.allowed for d in decisions] == [True, True, False]
    warnings = [r.getMessage() for r in caplog.records if r.name == "tem.ratelimit"]
    assert len(warnings) == 1
    assert "Redis is not answering" in warnings[0]
    assert "127.0.0.1:1" not in warnings[0]  # the URL (it may hold a password) is not logged


def test_redis_back_again_is_used_again(prefix: str, redis_client: redis.Redis) -> None:
    now = [0.0]
    limits = shared(prefix, scan_per_minute=5)
    assert limits.shared is not None
    limits.shared._clock = lambda: now[0]
    good = limits.shared._script
    limits.shared._script = redis_client.register_script("return redis.error_reply('down')")
    assert limits.check_scan("203.0.113.7").allowed  # memory
    limits.shared._script = good
    assert limits.check_scan("203.0.113.7").remaining == 3  # still memory: waiting to retry
    now[0] += 5
    assert limits.check_scan("203.0.113.7").remaining == 4  # Redis again, its own count
    assert limits.check_scan("203.0.113.7").remaining == 3


# The whole server: four workers, one budget


def test_the_61st_scan_in_a_minute_is_refused_whichever_worker_answers(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """60 scans pass, then the client is refused by every worker.

    The limiter is GCRA (see RateLimiter): a burst of 60, then one more each second.
    Recording a scan on SQLite takes a while, so the seconds the burst took come back
    as budget; the count allowed must stay within ``60 + seconds elapsed``. Four workers
    counting on their own would allow up to 240.
    """
    data_dir = tmp_path / "demo"
    token = build_demo(data_dir)[0]
    env = {"TEM_REDIS_URL": REDIS_URL, "TEM_LOG_FORMAT": "json"}
    with serve(data_dir, workers=4, env=env) as server:

        def scan(_: int) -> httpx.Response:
            # A new connection each time, so any of the four workers may take it.
            return httpx.post(f"{server.url}/api/v1/scan/{token}", timeout=30)

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            burst = list(pool.map(scan, range(60)))
        more = [scan(0) for _ in range(20)]
        elapsed = time.monotonic() - started

        assert [r.status_code for r in burst] == [200] * 60
        allowed_after = [r.status_code for r in more].count(200)
        assert allowed_after <= math.ceil(elapsed), (allowed_after, elapsed)
        refused = [r for r in more if r.status_code == 429]
        assert len(refused) >= 20 - math.ceil(elapsed)
        assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)

        scans = server.request_lines("/api/v1/scan/{token}", at_least=80)
        assert len(scans) == 80
        assert len({r["pid"] for r in scans}) >= 3, "the scans should have reached several workers"
        refused_by = {r["pid"] for r in scans if r["status"] == 429}
        assert len(refused_by) >= 2, "several workers should have refused"
