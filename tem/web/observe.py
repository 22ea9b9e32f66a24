"""What the app tells its operator: one log line and one set of metrics per request, and /metrics.

Every request is named by its route template (``/T/{token}``, ``/api/v1/scan/{token}``),
never by its path, so neither a log line nor a metric label ever holds a token. A
log line holds the time, method, route, status, duration, the worker's pid and the
verdict when the route set one (``request.state.verdict = "genuine"``); never an
address, a query string, a header, a form field or a SQL parameter.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tem.errors import Unauthorized
from tem.http import metrics
from tem.http.deps import State

REQUEST_LOGGER = "tem.request"
UNMATCHED = "<unmatched>"  # the route of a request no route matched (a 404 or a redirect)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

request_log = logging.getLogger(REQUEST_LOGGER)


def route_template(scope: Scope) -> str:
    """The matched route's full path template, or :data:`UNMATCHED`; never the raw path.

    The matched route knows its own template (``/scan/{token}``) but, when it was
    included under a prefix, FastAPI may not have written the prefix into it. The
    prefix is what is left of the path once the route's own part (its template
    with the path parameters filled in) is taken off the end: literal text that a
    router prefix matched, never a parameter.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    params = scope.get("path_params") or {}
    try:
        own_part = template.format_map({k: str(v) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        return template
    path = scope.get("path", "")
    if isinstance(path, str) and path.endswith(own_part):
        return path[: len(path) - len(own_part)] + template
    return template


class RequestObserver:
    """ASGI middleware: after each HTTP request, count it, time it and write its log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The endpoint's request.state is this dict: a route may leave its verdict in it.
        state = scope.setdefault("state", {})
        status = 500  # unless the app sends a response start, it failed

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope)
            metrics.record_request(method, route, status, seconds)
            verdict = state.get("verdict") if isinstance(state, dict) else None
            if request_log.isEnabledFor(logging.INFO):
                request_log.info(
                    _line(
                        method,
                        route,
                        status,
                        seconds,
                        verdict if isinstance(verdict, str) else None,
                    )
                )


_format: Literal["text", "json"] = "text"


def _line(method: str, route: str, status: int, seconds: float, verdict: str | None) -> str:
    duration_ms = round(seconds * 1000, 1)
    if _format == "json":
        record: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "event": "request",
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "pid": os.getpid(),
        }
        if verdict is not None:
            record["verdict"] = verdict
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    tail = f" verdict={verdict}" if verdict is not None else ""
    return f"{method} {route} {status} {duration_ms}ms{tail}"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last resort does)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")


def configure_request_log(log_format: Literal["text", "json"]) -> None:
    """Send request lines to stderr, one per request: plain text, or one JSON object a line.

    The handler is installed once per process; calling again only changes the format.
    """
    global _format
    _format = log_format
    handler = next((h for h in request_log.handlers if getattr(h, "_tem", False)), None)
    if handler is None:
        handler = _StderrHandler()
        handler._tem = True  # type: ignore[attr-defined]
        request_log.addHandler(handler)
    handler.setFormatter(
        logging.Formatter("%(message)s") if log_format == "json" else _TextFormatter()
    )
    request_log.setLevel(logging.INFO)
    request_log.propagate = False


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request, state: State) -> Response:
    """Prometheus text exposition of every worker's metrics, for a bearer of TEM_METRICS_TOKEN.

    Without the setting the route does not exist (404, as any unknown path). With
    it, a missing or wrong token gets 401.
    """
    expected = state.settings.metrics_token
    if not expected:
        raise StarletteHTTPException(404)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise Unauthorized("send the metrics token: Authorization: Bearer <TEM_METRICS_TOKEN>")
    return Response(
        metrics.exposition(),
        media_type=metrics.CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
