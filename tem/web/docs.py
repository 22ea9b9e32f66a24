"""The API's own documentation: the OpenAPI document, and /docs and /redoc served locally.

Swagger UI and ReDoc come from the pinned ``fastapi-offline`` package (its static files
only: Swagger UI is Apache-2.0, ReDoc and the package MIT), never from a CDN: these pages
live on the shoppers' origin, where people paste bearer tokens. Each page gets a
Content-Security-Policy that allows scripts from this server and one nonce'd inline
initializer, nothing else. ``TEM_API_DOCS=false`` turns both pages off (the OpenAPI
document stays).
"""

from __future__ import annotations

import html
import json
import secrets
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

ASSETS_URL = "/static/api-docs"
OPENAPI_URL = "/api/v1/openapi.json"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. `ocop.stars`.")
    message: str


class ErrorBody(BaseModel):
    """Every error answer (docs/api.md)."""

    error: str = Field(description="A stable code: invalid_input, not_found, conflict, ...")
    message: str = Field(description="A sentence for a person.")
    errors: list[FieldError] | None = Field(default=None, description="One entry per bad field.")


_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_DESCRIPTIONS = {
    "400": "The body could not be read: not JSON, or a broken form.",
    "401": "No token, or an unknown, revoked or expired token.",
    "403": "A valid token of a role that may not do this.",
    "404": "Not found, or not yours (no existence leak).",
    "409": "Conflicts with what is stored.",
    "422": "Invalid input: one entry per field.",
    "429": "Too many requests from this client; see `Retry-After`.",
}
# Public operations behind a rate limit (tem.http.ratelimit). The scan answers 429 with
# the verdict itself (the code is still verified), the report with an error body.
RATE_LIMITED = {("post", "/api/v1/scan/{token}"), ("post", "/api/v1/reports")}
_WRITES = {"post", "put", "patch", "delete"}


def _error(status: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare, on each operation, the error answers it can give, all with :class:`ErrorBody`.

    - 400 on every operation that takes a body (one that cannot be parsed);
    - 401 and 403 on every operation that takes a bearer token;
    - 404 on those with a path parameter; 409 on those that change something;
    - 422 (already declared by FastAPI for operations with input) with our body;
    - 429 on the rate-limited public operations, with ``Retry-After``;
    - any other error status an endpoint declares itself (``responses=``), with the body.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"]
    )
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    body.pop("$defs", None)
    components["ErrorBody"] = body
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _WRITES | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})
            secured = bool(operation.get("security"))
            has_path_param = any(p.get("in") == "path" for p in operation.get("parameters", []))
            wanted: list[str] = ["400"] if "requestBody" in operation else []
            if secured:
                wanted += ["401", "403"]
                if has_path_param:
                    wanted.append("404")
                if method in _WRITES:
                    wanted.append("409")
            if "422" in responses:
                wanted.append("422")
            for status in wanted:
                given = responses.get(status, {}).get("description")
                responses[status] = _error(status)
                if given and status != "422":  # an operation's own words, not FastAPI's default
                    responses[status]["description"] = given
            # Statuses an endpoint declares itself (a 404 for an id in the body, a 409 on a
            # read of something recalled, ...) carry the same error body.
            for status, declared in responses.items():
                if status[0] in "45" and "content" not in declared:
                    declared["content"] = {"application/json": {"schema": _ERROR_REF}}
            if (method, path) in RATE_LIMITED:
                limited = (
                    dict(responses.get("200", {}).get("content", {}))
                    if path.startswith("/api/v1/scan/")
                    else {"application/json": {"schema": _ERROR_REF}}
                )
                responses["429"] = {
                    "description": responses.get("429", {}).get("description")
                    or _DESCRIPTIONS["429"],
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait.",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": limited,
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI, *, pages: bool) -> None:
    """Serve the OpenAPI document at /api/v1/openapi.json and /openapi.json, and the pages."""
    make_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_errors(make_schema())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    if not pages:
        return
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="api-docs")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        config = json.dumps({"url": OPENAPI_URL, "dom_id": "#swagger-ui", "deepLinking": True})
        return _page(
            nonce,
            f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">',
            '<div id="swagger-ui"></div>'
            f'<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>'
            f'<script nonce="{nonce}">'
            f"const ui = SwaggerUIBundle(Object.assign({config}, "
            "{presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}));"
            "</script>",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        return _page(
            nonce,
            "",
            f'<redoc spec-url="{html.escape(OPENAPI_URL)}"></redoc>'
            f'<script src="{ASSETS_URL}/redoc.standalone.js"></script>',
        )


def docs_policy(nonce: str) -> str:
    """The Content-Security-Policy of the documentation pages: this server only."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' 'nonce-{nonce}'",
            # Swagger UI and ReDoc set element styles at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",  # ReDoc's search runs in a worker made from a blob
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _page(nonce: str, head: str, body: str) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Tem API</title><link rel="icon" href="{ASSETS_URL}/favicon.png">{head}'
        f"</head><body>{body}</body></html>"
    )
    return HTMLResponse(
        document,
        headers={
            "Content-Security-Policy": docs_policy(nonce),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )
