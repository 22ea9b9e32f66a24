"""Every sentence a shopper or operator reads, in one catalogue per language.

Vietnamese comes first (:mod:`tem.words.vi`), English second (:mod:`tem.words.en`); both
have the same keys and each key the same ``{name}`` placeholders. :func:`t` looks words
up and fills them in; :mod:`tem.words.formats` writes dates, numbers and durations the
way each language does. This package sits on the lowest floor with ``crypto/`` and
``verify/``: it imports nothing else of ours, so the domains (the clone rules' sentences
in :mod:`tem.scans.wording`) and the pages (:mod:`tem.web.pages`) share it.
"""

from __future__ import annotations

from tem.words.catalogue import (
    CATALOGUE,
    DEFAULT,
    SUPPORTED,
    Language,
    PlaceholderError,
    has,
    language,
    normalize,
    placeholders,
    t,
)
from tem.words.formats import (
    VIETNAM_TIME,
    format_count,
    format_date,
    format_datetime,
    format_day,
    format_duration,
    format_moment,
    format_number,
    parse_date,
    parse_datetime,
)

__all__ = [
    "CATALOGUE",
    "DEFAULT",
    "SUPPORTED",
    "VIETNAM_TIME",
    "Language",
    "PlaceholderError",
    "format_count",
    "format_date",
    "format_datetime",
    "format_day",
    "format_duration",
    "format_moment",
    "format_number",
    "has",
    "language",
    "normalize",
    "parse_date",
    "parse_datetime",
    "placeholders",
    "t",
]
