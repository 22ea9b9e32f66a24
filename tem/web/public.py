"""Public routes: the verification page, its JSON twin, the home page, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse

from tem.trace.verification import report_json, verify_report
from tem.web import pages
from tem.web.deps import DbSession, State
from tem.web.i18n import pick_language

api = APIRouter(tags=["verify"])
site = APIRouter(include_in_schema=False)

# Pages carry no script and load nothing from elsewhere; say so to the browser too.
PAGE_HEADERS = {
    "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

MAX_TOKEN_PATH = 512


def _verify(session: DbSession, state: State, token: str) -> dict[str, Any]:
    # Anything longer than any token is refused by the parser anyway; don't even copy it.
    text = token[:MAX_TOKEN_PATH]
    return report_json(verify_report(session, text, state.trust(session)))


@api.get("/verify/{token}")
def verify_json(token: str, session: DbSession, state: State) -> JSONResponse:
    """Verify a label token: `verdict` is genuine, invalid, revoked or unknown_key, with reasons."""
    return JSONResponse(_verify(session, state, token), headers={"Cache-Control": "no-store"})


@api.get("/health")
def health() -> dict[str, str]:
    """A trivial endpoint: the service is up (also the benchmark baseline)."""
    return {"status": "ok"}


# Unusual values are ignored by pick_language (Vietnamese wins), never refused.
Lang = Annotated[str | None, Query()]
AcceptLanguage = Annotated[str | None, Header()]


@site.get("/T/{token}", response_class=HTMLResponse)
@site.get("/t/{token}", response_class=HTMLResponse)
def verify_page(
    token: str,
    session: DbSession,
    state: State,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    """What a shopper sees after scanning a label."""
    language = pick_language((lang or "")[:8], (accept_language or "")[:500])
    report = _verify(session, state, token)
    html = pages.render_verify_page(
        report, language, token=token[:MAX_TOKEN_PATH], public_url=state.settings.public_url
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


@site.get("/", response_class=HTMLResponse)
def home(lang: Lang = None, accept_language: AcceptLanguage = None) -> HTMLResponse:
    return HTMLResponse(
        pages.render_home_page(pick_language((lang or "")[:8], (accept_language or "")[:500])),
        headers=PAGE_HEADERS,
    )
