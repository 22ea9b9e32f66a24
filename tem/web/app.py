"""The app factory: ``create_app(settings)`` wires settings, database, key store and routers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from tem import __version__
from tem.config import Settings
from tem.db import make_engine, session_factory
from tem.http.ratelimit import Limits
from tem.http.state import AppState
from tem.keys.endpoints import router as keys_router
from tem.keys.store import KeyStore
from tem.labels.endpoints import router as labels_router
from tem.labels.print_endpoints import router as print_router
from tem.orgs.endpoints import router as orgs_router
from tem.orgs.endpoints import tokens_router
from tem.scans.endpoints import router as scans_router
from tem.stamps.endpoints import router as stamps_router
from tem.trace.endpoints import router as trace_router
from tem.web import errors, public

DESCRIPTION = """
Signed traceability records and QR labels for OCOP cooperatives.

Authenticate with `Authorization: Bearer <token>`; each token belongs to one
organization and one role (authority, cooperative, inspector). Errors are JSON:
`{"error": code, "message": text, "errors": [{"field", "message"}]}`.
"""


def server_options(*, host: str, port: int, workers: int) -> dict[str, Any]:
    """The keyword arguments ``tem serve`` gives ``uvicorn.run`` (besides the app).

    uvicorn's own proxy-header handling stays off: left on, it believes
    ``X-Forwarded-For`` from 127.0.0.1 whatever ``TEM_TRUSTED_PROXIES`` says, so a
    local client (or a proxy that passes the header through) could pick any address
    and escape the rate limits. The app reads forwarding headers itself, only from
    the peers ``TEM_TRUSTED_PROXIES`` names (:mod:`tem.http.proxies`).
    """
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "info",
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "server_header": False,
    }


def create_app(settings: Settings) -> FastAPI:
    """Build the ASGI app. The schema must already be migrated (``tem init``).

    Raises:
        ConfigurationError: the passphrase is missing or weak, or the session secret unusable.
        KeyStoreError: the passphrase does not decrypt the existing keys.
    """
    store = KeyStore(settings.keys_dir, settings.passphrase())
    store.check()  # a wrong TEM_KEY_PASSPHRASE stops the start, not the first signature
    engine = make_engine(settings)
    secret = settings.secret()
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        store=store,
        limits=Limits(
            secret,
            scan_per_minute=settings.scan_rate_per_minute,
            reports_per_hour=settings.reports_per_hour,
            reports_global_per_hour=settings.reports_global_per_hour,
        ),
        secret=secret,
    )
    app = FastAPI(
        title="Tem",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.tem = state
    api = APIRouter(prefix="/api/v1")
    for router in (
        public.api,
        orgs_router,
        tokens_router,
        keys_router,
        trace_router,
        labels_router,
        print_router,
        stamps_router,
        scans_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(public.site)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    errors.install(app)
    return app
