"""GET /metrics: Prometheus text for the token's bearer only; what each request and domain counts."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tem.config import Settings
from tem.db import make_engine
from tem.http import metrics
from tests.conftest import World
from tests.http.serving import build_demo, free_port, serve
from tests.trace.test_flow import make_batch

TOKEN = "metrics-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in a text exposition; 0 when it is not there (yet)."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@pytest.fixture
def metered(settings: Settings) -> Iterator[TestClient]:
    from tem.web.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.tem.engine.dispose()


def scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    return response.text


# Who may read them


def test_metrics_do_not_exist_without_the_setting(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404
    assert "/metrics" not in client.get("/api/v1/openapi.json").text


def test_metrics_need_the_token(metered: TestClient) -> None:
    assert metered.get("/metrics").status_code == 401
    assert metered.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert metered.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    answer = metered.get("/metrics", headers=BEARER)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE tem_http_requests_total counter" in answer.text


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings(metrics_token="short")


# What they count


def test_requests_are_counted_by_route_template_and_status(metered: TestClient) -> None:
    token = "AAAABBBBCCCCDDDDEEEEFFFF"
    before = scrape(metered)
    for _ in range(3):
        assert metered.get("/api/v1/health").status_code == 200
    assert metered.get(f"/T/{token}").status_code in (200, 400, 404, 422)
    assert metered.get(f"/no/such/{token}").status_code == 404
    after = scrape(metered)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    health = {"method": "GET", "route": "/api/v1/health"}
    assert delta("tem_http_requests_total", status="200", **health) == 3
    assert delta("tem_http_request_duration_seconds_count", **health) == 3
    assert delta("tem_http_request_duration_seconds_bucket", le="+Inf", **health) == 3
    assert (
        sum(
            delta("tem_http_requests_total", method="GET", route="/T/{token}", status=str(status))
            for status in (200, 400, 404, 422)
        )
        == 1
    )
    assert delta("tem_http_requests_total", route="<unmatched>", status="404") == 1
    assert token not in after  # a route template, never the path


def test_rate_limit_refusals_are_counted_by_kind(settings: Settings) -> None:
    from tem.web.app import create_app

    app = create_app(
        settings.model_copy(update={"metrics_token": TOKEN, "scan_rate_per_minute": 1})
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        before = sample(scrape(client), "tem_rate_limited_total", kind="scan")
        statuses = [client.post("/api/v1/scan/AAAA").status_code for _ in range(3)]
        assert statuses.count(429) == 2
        after = sample(scrape(client), "tem_rate_limited_total", kind="scan")
    app.state.tem.engine.dispose()
    assert after - before == 2


def test_stamps_issued_are_counted_once_committed(world: World) -> None:
    before = sample(metrics.exposition().decode(), "tem_stamps_issued_total")
    batch = make_batch(world, events=0)
    url = f"/api/v1/batches/{batch['id']}/print-runs"
    created = world.client.post(url, json={"count": 7, "request_key": "m-1"}, headers=world.a)
    assert created.status_code == 201, created.text
    again = world.client.post(url, json={"count": 7, "request_key": "m-1"}, headers=world.a)
    assert again.status_code == 200  # the same run: nothing more issued
    assert sample(metrics.exposition().decode(), "tem_stamps_issued_total") - before == 7


def test_domain_helpers_count_by_label() -> None:
    def now() -> str:
        return metrics.exposition().decode()

    before = now()
    metrics.record_verdict("recalled")
    metrics.record_verdict("recalled")
    metrics.record_scan()
    metrics.record_alert("too_many_scans")
    metrics.record_rate_limited("report")
    metrics.record_stamps_issued(0)
    after = now()
    for name, labels, expected in (
        ("tem_verdicts_total", {"verdict": "recalled"}, 2),
        ("tem_scans_recorded_total", {}, 1),
        ("tem_alerts_raised_total", {"kind": "too_many_scans"}, 1),
        ("tem_rate_limited_total", {"kind": "report"}, 1),
        ("tem_stamps_issued_total", {}, 0),
    ):
        assert sample(after, name, **labels) - sample(before, name, **labels) == expected, name


def test_pool_gauge_follows_checked_out_connections(settings: Settings) -> None:
    engine = make_engine(settings)
    metrics.track_pool(engine)

    def in_use() -> float:
        return sample(metrics.exposition().decode(), "tem_db_connections_in_use")

    base = in_use()
    with engine.connect() as one, engine.connect() as two:
        one.execute(text("SELECT 1"))
        two.execute(text("SELECT 1"))
        assert in_use() - base == 2
    assert in_use() == base
    engine.dispose()


# Several workers report together


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    data_dir = tmp_path_factory.mktemp("metrics") / "demo"
    return data_dir, build_demo(data_dir)


def test_two_workers_report_together(demo_dir: tuple[Path, list[str]]) -> None:
    data_dir, _ = demo_dir
    metrics_port = free_port()
    stale = data_dir / "run" / "metrics" / "counter_999999.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by an earlier run")
    env = {"TEM_METRICS_TOKEN": TOKEN, "TEM_LOG_FORMAT": "json"}
    args = ("--metrics-port", str(metrics_port))
    with serve(data_dir, workers=2, env=env, args=args) as server:
        assert not stale.exists()  # cleaned at start

        def health(_: int) -> int:
            # A fresh connection each time, so the kernel hands them to either worker.
            return httpx.get(server.url + "/api/v1/health").status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(health, range(80))) == {200}
        lines = server.request_lines("/api/v1/health", at_least=81)
        served_by = {line["pid"] for line in lines}
        assert len(lines) == 81  # and the one the fixture made
        assert len(served_by) == 2, "both workers should have answered"

        # Whichever worker answers the scrape, it reports both workers' requests.
        for _ in range(4):
            text_ = httpx.get(server.url + "/metrics", headers=BEARER).text
            assert sample(text_, "tem_http_requests_total", route="/api/v1/health") == 81
        assert httpx.get(server.url + "/metrics").status_code == 401
        # The private listener needs no token and says the same.
        private = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert sample(private, "tem_http_requests_total", route="/api/v1/health") == 81
