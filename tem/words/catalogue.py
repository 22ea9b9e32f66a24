"""The catalogue itself: looking a key up in a language and filling its placeholders.

Each language is one table (:mod:`tem.words.vi`, :mod:`tem.words.en`) from a dotted key to
plain text with ``{name}`` placeholders (:meth:`str.format` syntax, names only). The
tables have the same keys, and each key the same placeholders in every language
(``tests/test_words.py`` holds them to it).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final, Literal

from tem.words import en, vi

Language = Literal["vi", "en"]

SUPPORTED: Final[tuple[Language, ...]] = ("vi", "en")
DEFAULT: Final[Language] = "vi"

CATALOGUE: Final[Mapping[Language, Mapping[str, str]]] = {"vi": vi.WORDS, "en": en.WORDS}


class PlaceholderError(ValueError):
    """Words were asked for with placeholders missing, or with names they do not have."""


def normalize(lang: str | None) -> Language:
    """``lang`` if supported, else the default language (Vietnamese). Raises nothing."""
    return "en" if lang == "en" else DEFAULT


def language(tag: str) -> Language:
    """The supported language of a tag such as ``"vi"``, ``"vi-VN"`` or ``"en_GB"``.

    Raises:
        ValueError: the tag names neither Vietnamese nor English.
    """
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    if primary == "vi":
        return "vi"
    if primary == "en":
        return "en"
    raise ValueError(f"unsupported language {tag!r}; expected 'vi' or 'en'")


def placeholders(text: str) -> frozenset[str]:
    """The names of the ``{name}`` placeholders in ``text``. Raises nothing for plain text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def has(lang: str, key: str) -> bool:
    """Whether ``key`` has words in ``lang``."""
    return key in CATALOGUE[normalize(lang)]


def t(lang: str, key: str, **values: object) -> str:
    """The words ``key`` in ``lang`` with their ``{name}`` placeholders filled from ``values``.

    An unsupported ``lang`` means Vietnamese. A key the catalogue does not have gives the
    key itself, so a gap shows on a page rather than breaking it.

    Raises:
        PlaceholderError: a placeholder of the entry has no value, or a value has no
            placeholder (a programming error: every call site is exercised by the tests).
    """
    lang = normalize(lang)
    text = CATALOGUE[lang].get(key)
    if text is None:
        return key
    wanted = _PLACEHOLDERS[lang][key]
    if wanted != values.keys():
        missing = sorted(wanted - values.keys())
        unknown = sorted(values.keys() - wanted)
        raise PlaceholderError(f"words {key!r} in {lang!r}: missing {missing}, unknown {unknown}")
    return text.format_map(values) if wanted else text


# Parsed once: a page asks for a few hundred words.
_PLACEHOLDERS: Final[Mapping[Language, Mapping[str, frozenset[str]]]] = {
    lang: {key: placeholders(text) for key, text in table.items()}
    for lang, table in CATALOGUE.items()
}
