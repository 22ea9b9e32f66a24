"""Constrained input types shared by every schema, path, query and form parameter.

A floor module: it uses pydantic and the standard library, nothing of ours, so the
domain packages, ``tem.http``, ``tem.web`` and ``tem.cli`` may all import it.

The rules (documented for users in docs/api.md, "Input rules"):

- **Names** (one line: names, places, reasons, lot codes, ids) refuse every control
  character (Unicode category Cc: C0 U+0000–U+001F, DEL, C1 U+0080–U+009F), the
  bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069,
  the "Trojan Source" characters), the zero-width characters U+200B–U+200D, U+2060
  and U+FEFF, and lone surrogates (which no database can store).
- **Text** (several lines: descriptions, notes) allows tab, line feed and carriage
  return and refuses the other control characters, the bidirectional controls and
  lone surrogates; zero-width joiners stay allowed (emoji sequences need them).
- **Integers** that reach a database column fit a signed 32-bit (``Int32``) or
  64-bit (``Int63``: 0 … 2^63 − 1) integer.
- **Times** carry a time zone offset and lie between 2000-01-01 and 2100-01-01 UTC;
  **dates** between 2000-01-01 and 2100-01-01. Python, SQLite and PostgreSQL all
  represent these, after any time zone conversion.

A refused value is a 422 naming the field; the message never repeats the value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, Field

# --- characters -----------------------------------------------------------------------

BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff")
TEXT_WHITESPACE: Final = frozenset("\t\n\r")


def _describe(char: str) -> str:
    if char in BIDI_CONTROLS:
        kind = "a bidirectional control character"
    elif char in ZERO_WIDTH:
        kind = "a zero-width character"
    elif unicodedata.category(char) == "Cs":
        kind = "an unpaired surrogate"
    else:
        kind = "a control character"
    return f"{kind} (U+{ord(char):04X})"


def name_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable one-line name, or None when it is. Raises nothing."""
    for char in value:
        if (
            char in BIDI_CONTROLS
            or char in ZERO_WIDTH
            or unicodedata.category(char) in ("Cc", "Cs")
        ):
            return f"must not contain {_describe(char)}"
    return None


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable multi-line text, or None when it is. Raises nothing."""
    for char in value:
        if char in TEXT_WHITESPACE:
            continue
        if char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            return f"must not contain {_describe(char)}"
    return None


def check_name(value: str) -> str:
    """A pydantic validator for :data:`Name`.

    Raises:
        ValueError: ``value`` holds a control, bidirectional or zero-width character.
    """
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_text(value: str) -> str:
    """A pydantic validator for :data:`Text`.

    Raises:
        ValueError: ``value`` holds a control character other than tab and line
            breaks, a bidirectional control, or an unpaired surrogate.
    """
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Name = Annotated[str, AfterValidator(check_name)]
"""One line of text: no control, bidirectional or zero-width characters. Add a length."""

Text = Annotated[str, AfterValidator(check_text)]
"""Several lines of text: tab and line breaks allowed, other controls not. Add a length."""

MAX_ID = 100
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID), AfterValidator(check_name)]
"""An id in a path, query or body: 1 to 100 characters, no control characters.

Only the shape that can reach the database is refused here (422); an id that is
well formed but unknown stays a 404 from the service.
"""

# --- lot codes ----------------------------------------------------------------------

LOT_CODE_MAX = 40
LOT_CODE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$"
"""Letters, digits, ``-``, ``_`` and ``.``, starting with a letter or digit, at most 40.

A subset of GS1's 82-character set for AI (10) batch/lot numbers (GS1 General
Specifications, figure 7.11-1) without ``/`` and the other punctuation: a lot code
appears in file names, URLs and the trace code ``<lot>/<hash>``, so it can never be a
path (no ``/``, no leading ``.``, hence no ``..`` component).
"""

LotCode = Annotated[str, Field(pattern=LOT_CODE_PATTERN, examples=["ST-2026-031"])]

# --- integers -------------------------------------------------------------------------

INT32_MAX: Final = 2**31 - 1
INT63_MAX: Final = 2**63 - 1

Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
"""A signed 32-bit integer (PostgreSQL ``integer``)."""

PositiveInt32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""1 … 2^31 − 1: sequence numbers, counts."""

Int63 = Annotated[int, Field(ge=0, le=INT63_MAX)]
"""0 … 2^63 − 1 (PostgreSQL ``bigint``, SQLite's integer)."""

# --- times and dates ------------------------------------------------------------------

EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2100, 1, 1)


def check_moment(value: datetime) -> datetime:
    """A pydantic validator for :data:`Moment`: an aware time from 2000 to 2100 (UTC).

    Raises:
        ValueError: the time has no time zone offset or lies outside the range.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the time must include a time zone offset, e.g. +07:00")
    # Compare without converting: astimezone() itself overflows near years 1 and 9999.
    offset = value.utcoffset()
    assert offset is not None
    naive_utc_floor = EARLIEST.replace(tzinfo=None)
    naive_utc_ceiling = LATEST.replace(tzinfo=None)
    local = value.replace(tzinfo=None)
    if not (naive_utc_floor + offset <= local <= naive_utc_ceiling + offset):
        raise ValueError("the time must be between 2000-01-01 and 2100-01-01 (UTC)")
    return value


def check_day(value: date) -> date:
    """A pydantic validator for :data:`Day`.

    Raises:
        ValueError: the date lies outside 2000-01-01 … 2100-01-01.
    """
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("the date must be between 2000-01-01 and 2100-01-01")
    return value


Moment = Annotated[datetime, AfterValidator(check_moment)]
"""An RFC 3339 time with an offset, between 2000-01-01 and 2100-01-01 UTC."""

Day = Annotated[date, AfterValidator(check_day)]
"""A calendar date between 2000-01-01 and 2100-01-01."""

# --- file names -----------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._\-]+")
_DOTS = re.compile(r"\.{2,}")


def safe_filename(name: str, *, fallback: str = "download", max_length: int = 100) -> str:
    """``name`` reduced to ``A-Z a-z 0-9 . _ -`` for a ``Content-Disposition`` header.

    Every other run of characters becomes ``_``, a run of dots one dot, and leading
    dots are dropped (no hidden files, no ``..``); the result is at most
    ``max_length`` characters, never empty. Raises nothing.
    """
    cleaned = _DOTS.sub(".", _UNSAFE_FILENAME.sub("_", name)).lstrip(".")[:max_length]
    return cleaned or fallback


def content_disposition(kind: str, filename: str) -> str:
    """A ``Content-Disposition`` value (RFC 6266) with a sanitised, quoted file name.

    ``kind`` is ``"attachment"`` or ``"inline"``. Raises:
        ValueError: another ``kind``.
    """
    if kind not in ("attachment", "inline"):
        raise ValueError(f"unknown disposition {kind!r}")
    return f'{kind}; filename="{safe_filename(filename)}"'
