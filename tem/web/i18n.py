"""The language of a public page: ``?lang=`` or the browser's ``Accept-Language``.

Vietnamese is the default; English is the other supported language. The words themselves,
and how dates and numbers are written, live in the catalogue (:mod:`tem.words`), which
the domains share; ``t`` is re-exported here for the routes.
"""

from __future__ import annotations

import re

from tem.words import DEFAULT, SUPPORTED, t

# Accept-Language is short in practice; a pathological header is cut rather than parsed whole.
_MAX_ACCEPT_LANGUAGE = 1000
_MAX_LANGUAGE_RANGES = 30
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
_LANGUAGE_RANGE = re.compile(r"(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)")

# Message keys for render_error_page.
ERROR_KEYS = (
    "error.bad_request",
    "error.not_found",
    "error.rate_limited",
    "error.server",
    "error.unavailable",
)


def pick_language(query_lang: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=`` when it names a supported language, else the
    browser's preference (``Accept-Language``, RFC 9110 §12.5.4), else Vietnamese.

    Never raises: an unsupported or malformed value is ignored.
    """
    if query_lang is not None:
        wanted = query_lang.strip().lower()
        if wanted in SUPPORTED:
            return wanted
    if not accept_language:
        return DEFAULT
    best: tuple[float, str] | None = None
    ranges = accept_language[:_MAX_ACCEPT_LANGUAGE].split(",")[:_MAX_LANGUAGE_RANGES]
    for item in ranges:
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not _LANGUAGE_RANGE.fullmatch(tag):
            continue
        quality = _quality(params)
        if quality is None or quality <= 0:
            continue
        # "*" (anything) is served with the default language.
        primary = DEFAULT if tag == "*" else tag.split("-", 1)[0].lower()
        if primary not in SUPPORTED:
            continue
        # Strictly greater: among equal weights the first listed wins.
        if best is None or quality > best[0]:
            best = (quality, primary)
    return best[1] if best is not None else DEFAULT


def _quality(params: str) -> float | None:
    """The q parameter of one language range (1 when absent); None when malformed."""
    quality = 1.0
    for param in params.split(";"):
        name, sep, value = param.strip().partition("=")
        if not sep:
            continue
        if name.strip().lower() == "q":
            value = value.strip()
            if not _QVALUE.fullmatch(value):
                return None
            quality = float(value)
    return quality


__all__ = ["DEFAULT", "ERROR_KEYS", "SUPPORTED", "pick_language", "t"]
