"""Public routes: the verification page (each visit is a recorded scan), its JSON twins,
the place form, inspections, the home page and health."""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Header, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from tem.db import unit_of_work
from tem.errors import InvalidInput
from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.http.ratelimit import Decision, client_ip
from tem.http.state import AppState
from tem.models import Role, Scan, ScanKind
from tem.scans.check import Check, check
from tem.scans.check_schema import CheckOut, ScanOut
from tem.scans.endpoints import submit_report
from tem.scans.places import coarse, find_place
from tem.scans.service import ScanInput, network_hash, new_cookie, session_hash
from tem.validation import Id
from tem.web import pages
from tem.web.i18n import pick_language, t

api = APIRouter(tags=["verify"])
# What a request that records nothing is told by the rate limiter.
ALLOWED = Decision(allowed=True, remaining=0, retry_after=0)
site = APIRouter(include_in_schema=False)

# Pages carry no script and load nothing from elsewhere; say so to the browser too.
PAGE_HEADERS = {
    "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

MAX_TOKEN_PATH = 512
SESSION_COOKIE = "tem_sid"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_\-]{16,64}")
ONE_YEAR = 365 * 24 * 3600

# Unusual values are ignored by pick_language (Vietnamese wins), never refused.
Lang = Annotated[str | None, Query()]
AcceptLanguage = Annotated[str | None, Header()]
UserAgent = Annotated[str | None, Header()]


def _language(lang: str | None, accept_language: str | None) -> str:
    return pick_language((lang or "")[:8], (accept_language or "")[:500])


def _cookie(request: Request) -> tuple[str, bool]:
    """The browser's anonymous session cookie, and whether it must be (re)set."""
    value = request.cookies.get(SESSION_COOKIE, "")
    if _COOKIE_VALUE.fullmatch(value):
        return value, False
    return new_cookie(), True


def _ip(request: Request, state: State) -> str | None:
    return client_ip(
        request.client.host if request.client else None,
        ", ".join(request.headers.getlist("x-forwarded-for")),
        trust_proxy=state.settings.trusted_proxies,
    )


def _is_navigation(request: Request) -> bool:
    """Whether the browser is opening the page itself (a scan), not loading it as an image,
    a script, a frame or another subresource of some other page.

    Browsers say so in ``Sec-Fetch-Dest``; one too old to send it is believed when it
    asks for HTML first, as navigations do (an ``<img>`` asks for images).
    """
    destination = request.headers.get("sec-fetch-dest")
    if destination is not None:
        return destination == "document"
    return "text/html" in request.headers.get("accept", "")


def _cross_site(request: Request) -> bool:
    """A request a browser sent on behalf of another site (a form or script elsewhere)."""
    site = request.headers.get("sec-fetch-site")
    return site is not None and site not in ("same-origin", "none")


def _from_this_site(request: Request, state: AppState) -> bool:
    """For the page's own forms: refuse posts that another site's page made (L7).

    ``Sec-Fetch-Site`` decides where the browser sends it; else ``Origin`` must be this
    host or ``TEM_PUBLIC_URL``; a client that sends neither (old browsers, scripts without
    a browser) is not a cross-site browser request.
    """
    if "sec-fetch-site" in request.headers:
        return not _cross_site(request)
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}".lower()}
    own.add(state.settings.public_url.rstrip("/").lower())
    return origin.lower() in own


def _scan_input(
    request: Request,
    state: AppState,
    cookie: str,
    user_agent: str | None,
    place: tuple[float, float] | None = None,
) -> ScanInput:
    return ScanInput(
        cookie,
        user_agent,
        place=place,
        network=network_hash(_ip(request, state), state.secret),
    )


def _check(session: DbSession, state: State, token: str, scan: ScanInput | None) -> Check:
    """The one check (:func:`tem.scans.check.check`) with this app's trust and settings."""
    return check(
        session,
        token,
        state.trust(session),
        scan=scan,
        secret=state.secret,
        thresholds=state.thresholds,
    )


def _checked(state: AppState, token: str, scan: ScanInput | None) -> CheckOut:
    """The check in a unit of work of its own: one commit, and one trip to the thread pool
    for the whole of it (the public routes are async and call this through
    :func:`run_in_threadpool`)."""
    gate = state.recording.held() if scan is not None else nullcontext()
    with gate, unit_of_work(state.sessions) as session:
        result = _check(session, state, token, scan)
    # After the commit: a scan's write transaction (and SQLite's write lock) ends first.
    return result.out()


def _read_only_check(state: AppState, token: str) -> CheckOut | None:
    """On SQLite, a check that records nothing runs inline on the event loop: in-process
    reads take less time than a trip to the thread pool. Its connection cannot write
    (``query_only``), so it never waits for the write lock; when the check must write
    after all (the alert for a never-issued serial), None: run it in the pool instead."""
    if state.readers is None:
        return None
    try:
        with state.readers() as session:
            result = _check(session, state, token, None)
            session.rollback()
    except OperationalError:  # the check had to write: attempt to write a readonly database
        return None
    return result.out()


def _json(result: CheckOut, request: Request) -> Response:
    request.state.verdict = result.verdict.value  # for the request log line
    return Response(
        result.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


# The body is serialized by _json; the model documents it in OpenAPI.
CHECKED: dict[int | str, dict[str, Any]] = {200: {"model": CheckOut, "description": "The check."}}


def _finish(
    response: Response, decision: Decision, cookie: str, set_cookie: bool, state: State
) -> Response:
    if not decision.allowed:
        response.status_code = 429
        response.headers["Retry-After"] = str(decision.retry_after)
    if set_cookie:
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="lax",
            secure=state.settings.public_url.lower().startswith("https://"),
        )
    return response


# --- JSON ---------------------------------------------------------------------------


@api.get("/verify/{token}", responses=CHECKED)
async def verify_json(token: str, request: Request, state: State) -> Response:
    """Verify a label or stamp token without recording a scan.

    `verdict` is genuine, invalid, revoked, unknown_key, or (from stored state) void,
    recalled or suspect; `reasons` and `findings` say why.
    """
    result = _read_only_check(state, token)
    if result is None:
        result = await run_in_threadpool(_checked, state, token, None)
    return _json(result, request)


class ScanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(
        default=None, ge=-90, le=90, description="Only if the shopper shared it."
    )
    lon: float | None = Field(default=None, ge=-180, le=180)


@api.post("/scan/{token}", responses=CHECKED)
async def scan_json(
    token: str,
    request: Request,
    state: State,
    user_agent: UserAgent = None,
    body: Annotated[ScanBody | None, Body()] = None,
) -> Response:
    """Record a public scan (as the page does) and return the verdict as JSON.

    A location, when given, is rounded to 0.1 degree before it is stored. A client
    that floods gets 429 with Retry-After; the code is still verified for it.
    """
    cookie, set_cookie = _cookie(request)
    ip = _ip(request, state)
    place = None
    if body is not None and body.lat is not None and body.lon is not None:
        place = coarse(body.lat, body.lon)

    # A browser on another site (a form or fetch elsewhere) gets the verdict unrecorded.
    recordable = not _cross_site(request)
    scan_input = _scan_input(request, state, cookie, user_agent, place) if recordable else None

    def work() -> Response:
        decision = state.limits.check_scan(ip) if recordable else ALLOWED
        scan = scan_input if decision.allowed else None
        response = _json(_checked(state, token, scan), request)
        return _finish(response, decision, cookie, set_cookie, state)

    return await run_in_threadpool(work)


@api.get("/inspect/{token}", tags=["inspection"], responses=CHECKED)
def inspect(
    token: str,
    request: Request,
    session: DbSession,
    state: State,
    principal: CurrentPrincipal,
    user_agent: UserAgent = None,
) -> Response:
    """An inspector's check of a code: recorded as an inspection, never counted by clone rules."""
    principal.require(Role.INSPECTOR, Role.AUTHORITY)
    scan = ScanInput(
        "inspector-" + principal.organization.public_id,
        user_agent,
        kind=ScanKind.INSPECTION,
        inspector_org_id=principal.organization.id,
    )
    return _json(_check(session, state, token, scan).out(), request)


@api.get("/health")
def health() -> dict[str, str]:
    """A trivial endpoint: the service is up (also the benchmark baseline)."""
    return {"status": "ok"}


# --- pages --------------------------------------------------------------------------


def _page(
    result: CheckOut, language: str, token: str, state: State, *, rate_limited: bool = False
) -> HTMLResponse:
    html = pages.render_verify_page(
        result,
        language,
        token=token[:MAX_TOKEN_PATH],
        public_url=state.settings.public_url,
        rate_limited=rate_limited,
        scan_detail_days=state.settings.scan_detail_days,
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


@site.get("/T/{token}", response_class=HTMLResponse)
@site.get("/t/{token}", response_class=HTMLResponse)
async def verify_page(
    token: str,
    request: Request,
    state: State,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
    user_agent: UserAgent = None,
) -> Response:
    """What a shopper sees after scanning: the verdict, the record, and the scan is recorded."""
    cookie, set_cookie = _cookie(request)
    ip = _ip(request, state)
    language = _language(lang, accept_language)

    # Only the shopper's own navigation is a scan: an <img>, a frame or a script that
    # loads this URL from some other page records nothing (H3).
    navigation = _is_navigation(request)
    scan_input = _scan_input(request, state, cookie, user_agent) if navigation else None

    def work() -> Response:
        decision = state.limits.check_scan(ip) if navigation else ALLOWED
        scan = scan_input if decision.allowed else None
        result = _checked(state, token, scan)
        request.state.verdict = result.verdict.value  # for the request log line
        response = _page(result, language, token, state, rate_limited=not decision.allowed)
        return _finish(response, decision, cookie, set_cookie, state)

    return await run_in_threadpool(work)


def _forbidden_form(language: str) -> HTMLResponse:
    """A form posted from another site's page (L7): refused, nothing stored."""
    html = pages.render_error_page(language, 403, "error.bad_request")
    return HTMLResponse(html, status_code=403, headers=PAGE_HEADERS)


@site.post("/T/{token}/place", response_class=HTMLResponse)
@site.post("/t/{token}/place", response_class=HTMLResponse)
def share_place(
    token: str,
    request: Request,
    session: DbSession,
    state: State,
    scan: Annotated[Id, Form(max_length=32)],
    province: Annotated[str, Form(max_length=64)],
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """The shopper chose to say which province they are in: attach it to their own scan."""
    if not _from_this_site(request, state):
        return _forbidden_form(_language(lang, accept_language))
    cookie, set_cookie = _cookie(request)
    decision = state.limits.check_scan(_ip(request, state))
    place = find_place(province)
    if decision.allowed and place is not None and not set_cookie:
        session.execute(
            update(Scan)
            .where(
                Scan.public_id == scan,
                Scan.session == session_hash(cookie, state.secret),
                Scan.place_name.is_(None),
            )
            .values(
                place_name=place.name_vi,
                lat=round(place.lat, 1),
                lon=round(place.lon, 1),
                place_verified=True,  # from the page's own consent form, for this very scan
            )
        )
    shared = (
        session.scalar(select(Scan.place_name).where(Scan.public_id == scan)) if place else None
    )
    result = _check(session, state, token, None).out()
    result = result.model_copy(update={"scan": ScanOut(id=scan, recorded=True, place_name=shared)})
    response = _page(
        result, _language(lang, accept_language), token, state, rate_limited=not decision.allowed
    )
    return _finish(response, decision, cookie, set_cookie, state)


@site.post("/T/{token}/report", response_class=HTMLResponse)
@site.post("/t/{token}/report", response_class=HTMLResponse)
def report_page(
    token: str,
    request: Request,
    session: DbSession,
    state: State,
    problem: Annotated[str, Form(max_length=4000)] = "",
    where_bought: Annotated[str, Form(max_length=1000)] = "",
    contact: Annotated[str, Form(max_length=1000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    """The page's "report a suspected fake" form (no JavaScript): store it, say thanks."""
    language = _language(lang, accept_language)
    short = token[:MAX_TOKEN_PATH]

    def refused(message: str, status: int) -> HTMLResponse:
        html = pages.render_report_error(
            language,
            token=short,
            message=message,
            status=status,
            problem=problem,
            where_bought=where_bought,
            contact=contact,
        )
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    if not _from_this_site(request, state):
        return _forbidden_form(language)
    decision = state.limits.check_report(_ip(request, state))
    if not decision.allowed:
        response = refused(t(language, "error.rate_limited"), 429)
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    try:
        created = submit_report(
            session,
            state,
            token=short,
            problem=problem,
            where_bought=where_bought,
            contact=contact,
            photo=photo,
            cookie=request.cookies.get(SESSION_COOKIE),
        )
    except InvalidInput as exc:
        return refused(exc.message, 422)
    html = pages.render_report_thanks(language, token=short, report_id=created.public_id)
    return HTMLResponse(html, status_code=201, headers=PAGE_HEADERS)


@site.get("/", response_class=HTMLResponse)
def home(lang: Lang = None, accept_language: AcceptLanguage = None) -> HTMLResponse:
    return HTMLResponse(
        pages.render_home_page(_language(lang, accept_language)), headers=PAGE_HEADERS
    )
