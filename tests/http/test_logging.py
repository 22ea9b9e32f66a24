"""One log line per request (TEM_LOG_FORMAT=json: one JSON object) that never holds a token,
an address, a report's contact or a SQL parameter."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import Request

from tem.config import Settings
from tem.web.observe import REQUEST_LOGGER, configure_request_log, route_template
from tests.conftest import World
from tests.trace.test_flow import make_batch

ADDRESS = "203.0.113.77"
CONTACT = "Zalo 0912 345 678, chi.lan@example.vn"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, logging JSON, behind a proxy whose X-Forwarded-For counts."""
    return settings.model_copy(update={"log_format": "json", "trusted_proxies": True})


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Every line written by the request logger, and every other record of the test."""
    caplog.set_level(logging.DEBUG)
    handler = Lines()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)
    handler.lines.extend(r.getMessage() for r in caplog.records)


def requests(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines if line.startswith('{"time"')]


def test_one_json_line_per_request_with_route_status_and_duration(
    world: World, lines: list[str]
) -> None:
    lines.clear()
    world.client.get("/api/v1/health")
    world.client.get("/api/v1/verify/AAAA")
    logged = requests(lines)
    assert [(r["method"], r["route"]) for r in logged] == [
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/verify/{token}"),
    ]
    health = logged[0]
    assert set(health) == {
        "time",
        "level",
        "event",
        "method",
        "route",
        "status",
        "duration_ms",
        "pid",
    }
    assert health["status"] == 200
    assert isinstance(health["duration_ms"], float)
    assert health["duration_ms"] >= 0
    assert str(health["time"]).endswith("+00:00")


def test_the_verdict_a_route_left_is_logged(world: World, lines: list[str]) -> None:
    app = world.client.app

    def probe(token: str, request: Request) -> dict[str, str]:
        request.state.verdict = "recalled"
        return {"ok": token[:1]}

    app.add_api_route("/probe/{token}", probe)  # type: ignore[attr-defined]
    lines.clear()
    world.client.get("/probe/SECRETTOKEN")
    world.client.get("/api/v1/health")
    probed, health = requests(lines)
    assert probed["route"] == "/probe/{token}"
    assert probed["verdict"] == "recalled"
    assert "verdict" not in health
    assert "SECRETTOKEN" not in "\n".join(lines)


def test_no_token_address_or_contact_is_ever_logged(world: World, lines: list[str]) -> None:
    token = str(make_batch(world, events=1)["token"])
    proxy = {"X-Forwarded-For": ADDRESS, "User-Agent": "Mozilla/5.0 (Lan's phone)"}
    lines.clear()
    assert world.client.get(f"/T/{token}?lang=en", headers=proxy).status_code == 200
    assert world.client.post(f"/api/v1/scan/{token}", headers=proxy).status_code == 200
    form = {"problem": "Nắp hũ bị bóc", "where_bought": "Chợ Mường Lò", "contact": CONTACT}
    assert world.client.post(f"/T/{token}/report", data=form, headers=proxy).status_code == 201
    # A broken token and a bad form too: error paths must not echo them either.
    assert world.client.get(f"/T/{token[:-5]}XXXXX", headers=proxy).status_code < 500
    form_bad = {**form, "problem": "x" * 5000}
    assert world.client.post(f"/T/{token}/report", data=form_bad, headers=proxy).status_code == 422

    logged = requests(lines)
    assert [r["route"] for r in logged] == [
        "/T/{token}",
        "/api/v1/scan/{token}",
        "/T/{token}/report",
        "/T/{token}",
        "/T/{token}/report",
    ]
    everything = "\n".join(lines)
    for secret in (token, token[:20], ADDRESS, "testclient", "0912 345 678", "chi.lan", "Lan's"):
        assert secret not in everything, secret
    assert "lang=en" not in everything


def test_text_lines_say_the_same_without_json(settings: Settings, lines: list[str]) -> None:
    from fastapi.testclient import TestClient

    from tem.web.app import create_app

    app = create_app(settings.model_copy(update={"log_format": "text"}))
    try:
        with TestClient(app) as client:
            lines.clear()
            client.get("/T/ABCDEFGH")
        line = next(line for line in lines if "/T/" in line)
        assert line.startswith("GET /T/{token} ")
        assert "ABCDEFGH" not in "\n".join(lines)
    finally:
        app.state.tem.engine.dispose()
        configure_request_log("json")


def test_route_template_of_unmatched_and_mounted_paths() -> None:
    assert route_template({"path": "/nope/ABC"}) == "<unmatched>"

    class Route:
        path_format = "/static/{path}"

    scope = {
        "path": "/static/css/app.css",
        "route": Route(),
        "path_params": {"path": "css/app.css"},
    }
    assert route_template(scope) == "/static/{path}"

    class Included:
        path_format = "/scan/{token}"

    scope = {"path": "/api/v1/scan/ABC", "route": Included(), "path_params": {"token": "ABC"}}
    assert route_template(scope) == "/api/v1/scan/{token}"
