"""Dates, times, numbers and durations in the reader's language.

Vietnamese writes ``03/03/2026`` and ``1.500``; English ``3 Mar 2026`` (``3 March 2026``
inside a sentence) and ``1,500``. Times the service itself produces are shown in Vietnam's
time zone, UTC+07:00, which has no daylight saving; event times keep the offset they were
recorded with. The words these need (``"Unix time {seconds}"``, ``"{n} minutes"``) are
in the catalogue like any other.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Final

from tem.words.catalogue import normalize, t

VIETNAM_TIME: Final = timezone(timedelta(hours=7), "ICT")

_EN_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_EN_MONTHS_LONG: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def parse_date(value: object) -> date | None:
    """A calendar date from ``YYYY-MM-DD`` (or the date part of an ISO datetime)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: object) -> datetime | None:
    """A datetime from ISO 8601 / RFC 3339 text; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_date(value: date | str | None, lang: str) -> str:
    """``2026-03-03`` as ``03/03/2026`` (vi) or ``3 Mar 2026`` (en).

    Text that is not an ISO date is returned unchanged; None gives "".
    """
    if value is None:
        return ""
    day = value if isinstance(value, date) else parse_date(value)
    if day is None:
        return str(value)
    if normalize(lang) == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year:04d}"


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f" (UTC{sign}{hours:02d}:{minutes:02d})"


def format_datetime(value: datetime | str | None, lang: str, *, tz: timezone | None = None) -> str:
    """An ISO datetime in the reader's language, in its own offset unless ``tz`` is given.

    vi: ``08:30, 03/03/2026 (UTC+07:00)``; en: ``3 Mar 2026, 08:30 (UTC+07:00)``.
    Text that is not an ISO datetime is returned unchanged; None gives "".
    """
    if value is None:
        return ""
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    if moment is None:
        return str(value)
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    day = format_date(moment.date(), lang)
    if normalize(lang) == "vi":
        return f"{clock}, {day}{_offset_text(moment)}"
    return f"{day}, {clock}{_offset_text(moment)}"


def format_number(text: object, lang: str) -> str:
    """A decimal written as text (``"1500"``, ``"12.5"``) with the reader's separators:
    ``1.500`` / ``12,5`` in Vietnamese, ``1,500`` / ``12.5`` in English.

    Anything that is not a plain decimal is returned as given.
    """
    value = str(text) if text is not None else ""
    match = re.fullmatch(r"(-?)(\d+)(?:\.(\d+))?", value)
    if match is None:
        return value
    sign, whole, fraction = match.groups()
    grouped = f"{int(whole):,}"
    if normalize(lang) == "vi":
        grouped = grouped.replace(",", ".")
        return f"{sign}{grouped}" + (f",{fraction}" if fraction else "")
    return f"{sign}{grouped}" + (f".{fraction}" if fraction else "")


def format_count(value: float, lang: str) -> str:
    """``value`` rounded to a whole number, thousands grouped: ``12.345`` (vi), ``12,345`` (en).

    Raises:
        TypeError: ``value`` is not a number.
        ValueError, OverflowError: ``value`` is NaN or infinite.
    """
    text = f"{round(value):,}"
    return text.replace(",", ".") if normalize(lang) == "vi" else text


def _moment(seconds: int) -> datetime | None:
    """Unix ``seconds`` in Vietnam time; None when no calendar holds them."""
    try:
        return datetime.fromtimestamp(seconds, tz=VIETNAM_TIME)
    except (OverflowError, OSError, ValueError):
        return None


def format_day(seconds: int, lang: str) -> str:
    """The day of Unix ``seconds`` in Vietnam time, for a sentence: ``03/03/2026`` (vi),
    ``3 March 2026`` (en); a time outside the calendar is named by its number.

    Raises:
        TypeError: ``seconds`` is not a number.
    """
    moment = _moment(seconds)
    if moment is None:
        return t(lang, "when.unix", seconds=seconds)
    if normalize(lang) == "en":
        return f"{moment.day} {_EN_MONTHS_LONG[moment.month - 1]} {moment.year}"
    return f"{moment:%d/%m}/{moment.year}"


def format_moment(seconds: int, lang: str) -> str:
    """The time and day of Unix ``seconds`` in Vietnam time, for a sentence:
    ``09:00 ngày 03/03/2026`` (vi), ``09:00 on 3 March 2026`` (en).

    Raises:
        TypeError: ``seconds`` is not a number.
    """
    moment = _moment(seconds)
    if moment is None:
        return format_day(seconds, lang)
    return t(lang, "when.time_and_date", time=f"{moment:%H:%M}", date=format_day(seconds, lang))


def format_duration(seconds: int, lang: str) -> str:
    """A non-negative interval in the largest unit that reads well: under a minute, whole
    minutes below two hours, whole hours below two days, then whole days.

    Raises:
        TypeError: ``seconds`` is not a number.
    """
    minutes = seconds // 60
    if minutes < 1:
        return t(lang, "duration.under_a_minute")
    if minutes == 1:
        return t(lang, "duration.minute")
    if minutes < 120:
        return t(lang, "duration.minutes", n=format_count(minutes, lang))
    hours = round(seconds / 3600)
    if hours < 48:
        return t(lang, "duration.hours", n=format_count(hours, lang))
    return t(lang, "duration.days", n=format_count(round(seconds / 86400), lang))
