"""The app factory: ``create_app(settings)`` wires settings, database, key store and routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tem import __version__
from tem.config import Settings
from tem.db import make_engine, make_reader_engine, session_factory
from tem.http import metrics
from tem.http.ratelimit import Limits
from tem.http.state import AppState
from tem.http.streaming import ExportSlots
from tem.keys.endpoints import router as keys_router
from tem.keys.store import KeyStore
from tem.labels.endpoints import router as labels_router
from tem.labels.print_endpoints import router as print_router
from tem.orgs.endpoints import router as orgs_router
from tem.orgs.endpoints import tokens_router
from tem.scans import privacy
from tem.scans.endpoints import router as scans_router
from tem.scans.reports import reports_dir
from tem.stamps.background import BackgroundIssuer
from tem.stamps.endpoints import router as stamps_router
from tem.trace.endpoints import router as trace_router
from tem.web import docs, errors, observe, public

DESCRIPTION = """
Signed traceability records and QR labels for OCOP cooperatives.

Authenticate with `Authorization: Bearer <token>`; each token belongs to one
organization and one role (authority, cooperative, inspector). Errors are JSON:
`{"error": code, "message": text, "errors": [{"field", "message"}]}`.
"""

# At shutdown, issuers stop after their current chunk; wait this long for them.
ISSUER_STOP_S = 5.0


def tcp_listener_for_workers() -> None:
    """Make uvicorn's multi-worker listening socket say it is TCP, so that asyncio sets
    ``TCP_NODELAY`` on every connection.

    With ``--workers`` above 1, uvicorn (0.54) binds the socket with
    ``socket.socket(family=...)``: its ``proto`` is 0, accepted sockets inherit it, and
    asyncio sets ``TCP_NODELAY`` only where ``proto`` is ``IPPROTO_TCP``. Nagle's
    algorithm then holds every keep-alive response for the client's delayed ACK, about
    40 ms a request (Kludex/uvicorn#3149). The same descriptor is re-wrapped, nothing
    else changes; a uvicorn that sets ``proto`` itself is left alone.
    """
    import socket

    import uvicorn.config

    bind = uvicorn.config.Config.bind_socket
    if getattr(bind, "tem_tcp", False):
        return

    def bind_socket(self: uvicorn.config.Config) -> socket.socket:
        sock = bind(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    bind_socket.tem_tcp = True  # type: ignore[attr-defined]
    uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]


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
        # Tem writes its own line per request (tem.web.observe): the route template, never
        # the path (it may hold a token) and never the client's address, which uvicorn's has.
        "access_log": False,
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
    sessions = session_factory(engine)
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=store,
        limits=Limits(
            secret,
            scan_per_minute=settings.scan_rate_per_minute,
            reports_per_hour=settings.reports_per_hour,
            reports_global_per_hour=settings.reports_global_per_hour,
            redis_url=settings.redis_url,
        ),
        secret=secret,
        issuer=BackgroundIssuer(sessions, store),
        exports=ExportSlots(settings.exports_per_organization),
        readers=session_factory(reader) if (reader := make_reader_engine(settings)) else None,
    )
    metrics.track_pool(engine)
    observe.configure_request_log(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Runs left unfinished (a crashed worker, a stop part-way) finish without anyone
        # asking; every worker sweeps, the run's lease lets one issue each.
        state.issuer.start()
        # Personal data past its retention is purged once a day in each worker
        # (docs/privacy.md); a new thread each time the app starts.
        purge = None
        if settings.privacy_purge_daily:
            privacy.configure_log()
            purge = privacy.DailyPurge(
                state.sessions,
                settings.retention(),
                reports_dir(settings.data_dir),
                first_delay_s=privacy.server_first_delay(),
            )
            purge.start()
        app.state.privacy_purge = purge
        try:
            yield
        finally:
            if purge is not None:
                purge.stop()
            await asyncio.to_thread(state.issuer.stop, ISSUER_STOP_S)
        metrics.process_exiting()

    app = FastAPI(
        title="Tem",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=docs.OPENAPI_URL,
        docs_url=None,  # tem.web.docs serves them from the package, with a CSP
        redoc_url=None,
        redirect_slashes=False,  # Starlette's redirect trusts Host; see SlashRedirect
        lifespan=lifespan,
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
    app.include_router(observe.router)
    docs.install(app, pages=settings.api_docs)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    errors.install(app)
    app.add_middleware(SlashRedirect, routes=app.router.routes)
    app.add_middleware(NoSniff)
    # Outermost but for Starlette's error middleware: it sees every response, 500s included.
    app.add_middleware(observe.RequestObserver)
    return app


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every response: a JSON or text answer is
    never run as a script or style sheet by a browser that guesses types."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_header)


class SlashRedirect:
    """``/T/<token>/`` -> ``/T/<token>``, with a Location that is a path on this server.

    Starlette's own trailing-slash redirect builds an absolute URL from the ``Host``
    header, so a request with a forged Host (or a poisoned cache in front) sends a
    shopper to any site. This one answers 308 with the path alone, and only when the
    path without its slash is a route and the path as given is none.
    """

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _routed(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is not Match.NONE for route in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            trimmed = path.rstrip("/")
            # "//host" would be a scheme-relative URL to another site: never redirect there.
            if trimmed and not trimmed.startswith("//"):
                raw: bytes = scope.get("raw_path") or path.encode()
                if not self._routed(scope) and self._routed({**scope, "path": trimmed}):
                    location = raw.rstrip(b"/").decode("latin-1")
                    if scope.get("query_string"):
                        location += "?" + scope["query_string"].decode("latin-1")
                    response = Response(status_code=308, headers={"Location": location})
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
