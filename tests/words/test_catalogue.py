"""The one catalogue of words (issue 7 §2): both languages have the same keys and the same
placeholders, every reason code, verdict and clone rule has its sentence, every key the
code asks for exists with the placeholders it is given, and a missing placeholder fails."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

import tem
from tem.scans import rules, wording
from tem.verify.verifier import ReasonCode, RecordStatus, Verdict
from tem.web import pages
from tem.words import CATALOGUE, SUPPORTED, Language, PlaceholderError, placeholders, t

ROOT = Path(tem.__file__).parent
VI, EN = CATALOGUE["vi"], CATALOGUE["en"]
RULE_NAMES = get_args(rules.RuleName)


def _source_files() -> list[Path]:
    tables = {ROOT / "words" / "vi.py", ROOT / "words" / "en.py"}
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts and p not in tables)


def _templates() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in (ROOT / "web" / "templates").glob("*.html")}


def _calls() -> list[tuple[str, str, set[str], bool]]:
    """Every ``t(lang, "key", name=...)`` in tem/: where, the key, the names, and whether
    more names come from a ``**mapping``."""
    found = []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "t" or len(node.args) < 2:
                continue
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names = {k.arg for k in node.keywords if k.arg is not None}
                splat = any(k.arg is None for k in node.keywords)
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.append((where, key.value, names, splat))
    return found


# --- the two tables ---------------------------------------------------------------------


def test_vietnamese_comes_first() -> None:
    assert SUPPORTED == ("vi", "en")


def test_both_languages_have_the_same_keys() -> None:
    assert sorted(set(VI) - set(EN)) == []
    assert sorted(set(EN) - set(VI)) == []


@pytest.mark.parametrize("key", sorted(VI))
def test_each_key_has_the_same_placeholders_in_both_languages(key: str) -> None:
    assert placeholders(VI[key]) == placeholders(EN[key]), key


@pytest.mark.parametrize("lang", SUPPORTED)
def test_entries_are_plain_text(lang: Language) -> None:
    """The templates escape every entry: HTML in one would show as text."""
    for key, text in CATALOGUE[lang].items():
        assert text.strip(), key
        assert not re.search(r"<[a-zA-Z/]|&\w+;", text), key


# --- everything that needs words has them ---------------------------------------------------


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_code_has_its_words(code: ReasonCode) -> None:
    key = f"reason.{code.value}"
    assert key in VI
    assert key in EN
    assert VI[key] != EN[key]
    assert placeholders(VI[key]) == frozenset()


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_a_banner(verdict: Verdict) -> None:
    assert f"verdict.{verdict.value}.title" in VI


@pytest.mark.parametrize("status", list(RecordStatus))
def test_every_record_status_has_a_badge(status: RecordStatus) -> None:
    assert f"record.{status.value}" in VI


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_every_clone_rule_has_its_sentence(rule: str) -> None:
    assert f"rule.{rule}" in VI
    assert f"rule.{rule}" in EN
    assert VI[f"rule.{rule}"] != EN[f"rule.{rule}"]
    # The rule is a reason code too (the check reports it as one), with its short words.
    assert f"reason.{ReasonCode(rule).value}" in VI
    # And the wording knows how to fill it in, from evidence of any shape it may have.
    for lang in SUPPORTED:
        assert wording.describe(rule, {}, lang).endswith(".")


def test_the_wording_covers_exactly_the_rules() -> None:
    assert set(wording.SENTENCES) == set(RULE_NAMES) == set(rules.SEVERITY)


# --- every use of a key ------------------------------------------------------------------------


def test_the_checker_sees_calls() -> None:
    """The tests below would miss nothing: they see the calls of pages and wording."""
    seen = {where.split(":")[0] for where, *_ in _calls()}
    assert {"web/pages.py", "scans/wording.py", "words/formats.py"} <= seen


def test_every_key_asked_for_exists_with_its_placeholders() -> None:
    wrong = []
    for where, key, names, splat in _calls():
        if key not in VI:
            wrong.append((where, key, "no such key"))
            continue
        wanted = placeholders(VI[key])
        if (splat and not names <= wanted) or (not splat and names != wanted):
            wrong.append((where, key, f"given {sorted(names)}, wants {sorted(wanted)}"))
    assert wrong == []


def test_every_key_a_template_asks_for_exists_without_placeholders() -> None:
    wrong = []
    for path, text in _templates().items():
        for key in re.findall(r"_\(\s*['\"]([^'\"]+)['\"]\s*\)", text):
            if key not in VI or placeholders(VI[key]):
                wrong.append((path.name, key))
    assert wrong == []


def test_every_key_is_used() -> None:
    """No dead words: each key is named in the code or a template, or belongs to a family
    the page picks by value (a reason code, a record status, an event type)."""
    named: set[str] = set()
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
    for text in _templates().values():
        named.update(re.findall(r"_\(\s*['\"]([^'\"]+)['\"]\s*\)", text))
    named.update(f"reason.{code.value}" for code in ReasonCode)
    named.update(f"record.{status.value}" for status in RecordStatus)
    named.update(f"event.{kind}" for kind in pages._EVENT_TYPES)
    assert sorted(set(VI) - named) == []


# --- filling placeholders -----------------------------------------------------------------------


def test_placeholders_are_filled() -> None:
    assert t("vi", "verdict.genuine.by", signer="HTX A", authority="Hội đồng B") == (
        "Bản ghi được ký bởi HTX A, được Hội đồng B xác nhận."
    )
    assert t("en", "journey.stage", n=3) == "Stage 3"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_a_missing_placeholder_fails_loudly(lang: str) -> None:
    with pytest.raises(PlaceholderError, match=r"'verdict\.genuine\.by'.*missing \['authority'\]"):
        t(lang, "verdict.genuine.by", signer="HTX A")
    with pytest.raises(PlaceholderError, match=r"missing \['authority', 'signer'\]"):
        t(lang, "verdict.genuine.by")


def test_a_placeholder_the_words_do_not_have_fails_loudly() -> None:
    with pytest.raises(PlaceholderError, match=r"unknown \['signer'\]"):
        t("en", "verdict.invalid.title", signer="HTX A")


def test_an_unknown_key_shows_itself_and_an_unknown_language_is_vietnamese() -> None:
    assert t("en", "no.such.key") == "no.such.key"
    assert t("fr", "journey.stage", n=3) == "Bước 3"


def test_values_are_not_formatted_twice() -> None:
    """A value holding braces is shown as it is, never read as a placeholder."""
    assert t("en", "recall.reason", reason="{signer} {0}") == "Reason: {signer} {0}"
