"""M2: a client cannot escape the rate limits by writing its own X-Forwarded-For.

`tem serve` used to pass ``proxy_headers=True`` to uvicorn, which believes the header
from 127.0.0.1 whatever ``TEM_TRUSTED_PROXIES`` says: 80 scans with rotating addresses
were all recorded and 8 reports passed a limit of 5 an hour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tem.config import Settings
from tem.http.proxies import TrustedProxies
from tem.web.app import create_app, server_options

TOKEN = "NOTATOKEN"  # the limit is checked before the code is verified
REPORT = {"token": TOKEN, "problem": "nhãn bị in mờ", "where_bought": "chợ Đồng Xuân"}


def rotating(i: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.{i // 250}.{i % 250 + 1}"}


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn exactly as `tem serve` configures it, on a free port."""
    options = server_options(host="127.0.0.1", port=0, workers=1)
    options.pop("workers")
    server = uvicorn.Server(uvicorn.Config(app, **{**options, "log_level": "warning"}))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.tem.engine.dispose()


def statuses(base: str, count: int, path: str, **kwargs: object) -> tuple[list[int], float]:
    codes = []
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(count):
            response = http.post(path, headers=rotating(i), **kwargs)  # type: ignore[arg-type]
            codes.append(response.status_code)
    return codes, time.monotonic() - started


def test_tem_serve_leaves_forwarding_headers_to_the_app() -> None:
    options = server_options(host="127.0.0.1", port=8000, workers=4)
    assert options["proxy_headers"] is False


def at_most(limit: int, codes: list[int], elapsed: float, window: float = 60) -> None:
    """A burst of ``limit`` passes, plus what refilled while the requests ran (GCRA:
    ``limit / window`` a second); every other request gets 429."""
    assert set(codes) <= {200, 201, 429}
    passed = len(codes) - codes.count(429)
    assert limit <= passed <= limit + 1 + int(elapsed * limit / window)


def test_rotating_forwarded_for_through_uvicorn_is_limited(settings: Settings) -> None:
    assert not settings.trusted_proxies
    with served(create_app(settings)) as base:
        scans, scan_time = statuses(base, 80, f"/api/v1/scan/{TOKEN}")
        reports, report_time = statuses(base, 8, "/api/v1/reports", data=REPORT)
    at_most(settings.scan_rate_per_minute, scans, scan_time)
    at_most(settings.reports_per_hour, reports, report_time, window=3600)


def test_a_listed_proxy_through_uvicorn_is_believed(settings: Settings) -> None:
    trusted = settings.model_copy(update={"trusted_proxies": TrustedProxies.parse("127.0.0.1")})
    with served(create_app(trusted)) as base:
        scans, _ = statuses(base, 80, f"/api/v1/scan/{TOKEN}")
    assert 429 not in scans  # 80 different shoppers behind our proxy


@pytest.mark.parametrize(
    ("setting", "peer", "limited"),
    [
        ("false", "127.0.0.1", True),  # off: the header is the client's own words
        ("", "203.0.113.9", True),
        ("10.0.0.0/8", "203.0.113.9", True),  # a peer that is not a listed proxy
        ("10.0.0.0/8, ::1", "10.1.2.3", False),  # our proxy: each hop is another client
        ("true", "203.0.113.9", False),  # the old boolean: every peer is our proxy
    ],
)
def test_rotating_forwarded_for_via_the_app(
    settings: Settings, setting: str, peer: str, limited: bool
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": TrustedProxies.parse(setting)}))
    started = time.monotonic()
    with TestClient(app, client=(peer, 40000)) as client:
        codes = [
            client.post(f"/api/v1/scan/{TOKEN}", headers=rotating(i)).status_code for i in range(80)
        ]
    elapsed = time.monotonic() - started
    app.state.tem.engine.dispose()
    assert (429 in codes) is limited
    if limited:
        at_most(settings.scan_rate_per_minute, codes, elapsed)


def test_the_setting_reads_booleans_and_lists() -> None:
    assert not Settings(trusted_proxies="off").trusted_proxies
    assert Settings(trusted_proxies="1").trusted_proxies.trust_all
    listed = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxies
    assert not listed.trust_all
    assert [str(n) for n in listed.networks] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ValueError, match="not an IP address or network"):
        Settings(trusted_proxies="127.0.0.1, proxy.example")


def test_a_listed_proxy_chain_is_walked_from_the_right() -> None:
    proxies = TrustedProxies.parse("10.0.0.0/8")
    # The client wrote "1.1.1.1"; our edge proxy saw 203.0.113.7 and an inner one 10.0.0.5.
    chain = "1.1.1.1, 203.0.113.7, 10.0.0.5"
    assert str(proxies.client("10.0.0.2", chain)) == "203.0.113.7"
    assert str(proxies.client("198.51.100.4", chain)) == "198.51.100.4"
    assert str(proxies.client("10.0.0.2", "garbage")) == "10.0.0.2"
    assert str(proxies.client("::ffff:10.0.0.2", "203.0.113.7")) == "203.0.113.7"
