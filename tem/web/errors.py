"""The one place domain errors become HTTP responses. No traceback ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def install(app: FastAPI) -> None:
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
        log.exception("unexpected error: %s", type(exc).__name__)
        return JSONResponse(
            {"error": "internal", "message": "something went wrong on our side"}, status_code=500
        )
