"""What a clone-rule finding says, in the shopper's words, built from its evidence alone.

The sentences themselves are in the catalogue (``rule.<name>`` and the pieces they are
made of, :mod:`tem.words`); this module picks the pieces an evidence calls for and fills
them in. :attr:`tem.scans.rules.Finding.message` is the English sentence; the page shows
the reader's language. Times are Vietnam time (UTC+07:00).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from tem.words import (
    Language,
    format_count,
    format_day,
    format_duration,
    format_moment,
    language,
    t,
)

Evidence = Mapping[str, Any]


def _on(at: Any, lang: Language) -> str:
    return t(lang, "rule.on", date=format_day(at, lang)) if at is not None else ""


def _reason(reason: object, lang: Language) -> str:
    if not isinstance(reason, str) or not reason.strip():
        return ""
    return t(lang, "rule.reason", reason=reason.strip())


def _times(count: Any, lang: Language) -> str:
    if count == 1:
        return t(lang, "count.times_one")
    return t(lang, "count.times", n=format_count(count, lang))


def _phones(count: int, lang: Language) -> str:
    if count == 1:
        return t(lang, "count.phones_one")
    return t(lang, "count.phones", n=format_count(count, lang))


def _since_and_where(evidence: Evidence, lang: Language) -> dict[str, str]:
    """The ``since`` and ``first_place`` pieces: "since 3 March 2026; first near Lào Cai"."""
    first_at, first_place = evidence.get("first_at"), evidence.get("first_place")
    return {
        "since": t(lang, "rule.since", date=format_day(first_at, lang))
        if first_at is not None
        else "",
        "first_place": t(lang, "rule.first_place", place=first_place) if first_place else "",
    }


def _too_many_scans(evidence: Evidence, lang: Language) -> str:
    scans, sessions = int(evidence.get("scans", 0)), int(evidence.get("sessions", 0))
    return t(
        lang,
        "rule.too_many_scans",
        times=_times(scans, lang),
        phones=_phones(sessions, lang),
        **_since_and_where(evidence, lang),
    )


def _key_leak(evidence: Evidence, lang: Language) -> str:
    text = t(lang, "rule.key_leak")
    if evidence.get("scans"):
        text += " " + _too_many_scans(evidence, lang)
    return text


def _void(evidence: Evidence, lang: Language) -> str:
    after = evidence.get("scans_after_void")
    return t(
        lang,
        "rule.void",
        on=_on(evidence.get("voided_at"), lang),
        reason=_reason(evidence.get("reason"), lang),
        after=t(lang, "rule.void.after", times=_times(after, lang)) if after else "",
    )


def _recalled(evidence: Evidence, lang: Language) -> str:
    return t(
        lang,
        "rule.recalled",
        on=_on(evidence.get("recalled_at"), lang),
        reason=_reason(evidence.get("reason"), lang),
    )


def _too_many_sessions(evidence: Evidence, lang: Language) -> str:
    scans, sessions = int(evidence.get("scans", 0)), int(evidence.get("sessions", 0))
    return t(
        lang,
        "rule.too_many_sessions",
        sessions=format_count(sessions, lang),
        scans=format_count(scans, lang),
        **_since_and_where(evidence, lang),
    )


def _impossible_travel(evidence: Evidence, lang: Language) -> str:
    unknown = t(lang, "rule.unknown_place")
    return t(
        lang,
        "rule.impossible_travel",
        origin=evidence.get("from_place") or unknown,
        destination=evidence.get("to_place") or unknown,
        when=format_moment(int(evidence.get("from_at", 0)), lang),
        gap=format_duration(max(0, int(evidence.get("interval_s", 0))), lang),
        distance=format_count(float(evidence.get("distance_km", 0.0)), lang),
    )


SENTENCES: Final[Mapping[str, Callable[[Evidence, Language], str]]] = {
    "key_leak": _key_leak,
    "void": _void,
    "recalled": _recalled,
    "too_many_scans": _too_many_scans,
    "too_many_sessions": _too_many_sessions,
    "impossible_travel": _impossible_travel,
}


def sentence(rule: str, evidence: Evidence, lang: Language) -> str:
    """The finding of ``rule`` with ``evidence`` in ``lang``.

    Raises:
        ValueError: ``rule`` is not a clone rule, or the evidence holds a value that is
            not the number it should be.
        TypeError, OverflowError: the evidence holds a value of the wrong type or size.
    """
    if rule not in SENTENCES:
        raise ValueError(f"no wording for clone rule {rule!r}")
    return SENTENCES[rule](evidence, lang)


def describe(rule: str, evidence: Evidence, lang: str) -> str:
    """The finding in plain words for a shopper, from its evidence alone.

    ``lang`` is ``"vi"`` (Vietnamese, dates as 03/03/2026) or ``"en"`` (dates as
    3 March 2026); a region such as ``"vi-VN"`` is accepted and ignored.

    Raises:
        ValueError: the language is neither Vietnamese nor English, or ``rule`` is not a
            clone rule (and as :func:`sentence` for odd evidence).
    """
    return sentence(rule, evidence, language(lang))
