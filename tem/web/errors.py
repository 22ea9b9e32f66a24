"""The one place domain errors become HTTP responses. No traceback ever reaches a client."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tem import errors

log = logging.getLogger("tem.web")

STATUS: dict[type[errors.TemError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.TooManyRequests: 429,
    errors.Busy: 503,
    errors.ConfigurationError: 503,
    errors.KeyStoreError: 503,
}


def status_for(exc: errors.TemError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


INTERNAL_ERROR = {"error": "internal", "message": "something went wrong on our side"}


def log_unexpected(exc: BaseException) -> None:
    """Log an unexpected error by type and stack only.

    Exception messages are left out: a database error's message can quote the row it
    was writing (a shopper's contact), a ValueError the value it refused (a place).
    The stack says where; the type says what. Raises nothing.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        parts.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
        parts.extend(traceback.format_tb(current.__traceback__))
        current = current.__cause__ or current.__context__
    log.error("unexpected error:\n%s", "".join(parts).rstrip())


class LastResort:
    """ASGI middleware: an exception no handler took becomes a 500 here, logged safely.

    Starlette's own error middleware answers 500 but then re-raises, so the server
    logs the exception with its message; this one sits inside it and does not. An
    error after the response started cannot become a 500 any more: it is re-raised
    as a bare ``RuntimeError`` that carries no message of the original.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            log_unexpected(exc)
            if started:
                raise RuntimeError("the response failed after it had started") from None
            await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(LastResort)

    @app.exception_handler(errors.TemError)
    async def _domain(_request: Request, exc: errors.TemError) -> JSONResponse:
        status = status_for(exc)
        body: dict[str, Any] = {"error": exc.code, "message": exc.message}
        if isinstance(exc, errors.InvalidInput) and exc.field:
            body["errors"] = [{"field": exc.field, "message": exc.message}]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, errors.Busy):
            headers = {"Retry-After": str(exc.retry_after)}
        if status >= 500 and not isinstance(exc, errors.Busy):
            log.error("service unavailable: %s", exc.message)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One message per field; never echo the submitted input back (it may be huge or secret).
        problems = [
            {
                "field": _field_path(tuple(e.get("loc", ()))),
                "message": str(e.get("msg", "invalid value")),
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid_input", "message": "some fields are not valid", "errors": problems},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Only reached for errors raised outside LastResort (in other middleware).
        log_unexpected(exc)
        return JSONResponse(INTERNAL_ERROR, status_code=500)
