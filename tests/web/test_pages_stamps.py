"""The verification page for serialized stamps: clone-rule verdicts, the stamp section, the
place and report forms, and the pages after a counterfeit report.

The findings are made by the real clone rules (:mod:`tem.scans.rules`) from scan
histories, and laid out as :meth:`tem.scans.check.Check.out` lays them out, so the evidence
the page words is the evidence the service produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import ValidationError

from tem import words
from tem.scans import rules
from tem.scans.check_schema import FindingOut
from tem.scans.places import CURRENT_PLACES
from tem.web import pages
from tem.words import t
from tests.web.test_pages import (
    COOP,
    PUBLIC_URL,
    TOKEN,
    check_of,
    genuine_report,
    malformed_report,
    revoked_report,
    tampered_report,
    unknown_key_report,
)

ICT = timezone(timedelta(hours=7))
SERIAL = "ABCD-EFGH-JKLM-NPQR"
SCAN_ID = "5f0c1e2d3a4b59687a7b"
FIRST_SCAN = datetime(2026, 3, 3, 9, 0, tzinfo=ICT)
VOIDED = datetime(2026, 4, 5, 10, 0, tzinfo=ICT)
RECALLED = datetime(2026, 4, 20, 10, 0, tzinfo=ICT)
LAO_CAI = (22.5, 104.0)
CA_MAU = (9.2, 105.2)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _as_json(findings: Iterable[rules.Finding]) -> dict[str, Any]:
    """``findings`` and their ``reasons`` as :meth:`Check.out` writes them."""
    found = list(findings)
    return {
        "findings": [
            {"rule": f.rule, "severity": f.severity, "evidence": f.evidence, "message": f.message}
            for f in found
        ],
        "reasons": [
            {
                "code": f.rule,
                "message": f.message,
                "subject": "batch" if f.rule == "recalled" else "stamp",
                "evidence": f.evidence,
            }
            for f in found
        ],
    }


def _facts(
    scans: list[rules.ScanFact],
    *,
    issued: bool = True,
    void: bool = False,
    void_reason: str | None = None,
    recall_reason: str | None = None,
) -> rules.StampFacts:
    return rules.StampFacts(
        issued=issued,
        void=void,
        voided_at=_unix(VOIDED) if void else None,
        void_reason=void_reason,
        batch_recalled=recall_reason is not None,
        recall_reason=recall_reason,
        recalled_at=_unix(RECALLED) if recall_reason is not None else None,
        scans=scans,
        now=_unix(RECALLED) + 86_400,
    )


def _stamp(status: str = "active", scan_count: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "serial": SERIAL,
        "seq": 17,
        "status": status,
        "voided_at": None,
        "void_reason": None,
        "scan_count": scan_count,
        "first_scan_at": _iso(FIRST_SCAN),
        **extra,
    }


def genuine_stamp_report() -> dict[str, Any]:
    """A genuine stamp scanned three times, this scan recorded, no place shared yet."""
    report = genuine_report()
    report.update(
        stamp=_stamp(), findings=[], scan={"id": SCAN_ID, "recorded": True, "place_name": None}
    )
    report["batch"]["recall"] = None
    return report


def copied_scans() -> list[rules.ScanFact]:
    """37 scans by 12 phones since 3 March 2026, the first located in Lào Cai."""
    start = _unix(FIRST_SCAN)
    return [
        rules.ScanFact(
            at=start + i * 3600,
            session=f"phone-{i % 12}",
            place=LAO_CAI if i == 0 else None,
            place_name="Lào Cai" if i == 0 else None,
        )
        for i in range(37)
    ]


def suspect_report() -> dict[str, Any]:
    report = genuine_stamp_report()
    report.update(verdict="suspect", stamp=_stamp(scan_count=37))
    report.update(_as_json(rules.evaluate(_facts(copied_scans()))))
    return report


def travel_report() -> dict[str, Any]:
    """Scanned in Lào Cai, then in Cà Mau ten minutes later."""
    start = _unix(FIRST_SCAN)
    scans = [
        rules.ScanFact(start, "phone-a", LAO_CAI, "Lào Cai"),
        rules.ScanFact(start + 600, "phone-b", CA_MAU, "Cà Mau"),
    ]
    report = genuine_stamp_report()
    report.update(verdict="suspect", stamp=_stamp(scan_count=2))
    report.update(_as_json(rules.evaluate(_facts(scans))))
    return report


def void_report(reason: str = "Tem in lỗi, đã thay tem mới") -> dict[str, Any]:
    scans = [rules.ScanFact(_unix(VOIDED) + 3600, "phone-a", None, None)]
    report = genuine_stamp_report()
    report.update(
        verdict="void",
        stamp=_stamp("void", scan_count=4, voided_at=_iso(VOIDED), void_reason=reason),
    )
    report.update(_as_json(rules.evaluate(_facts(scans, void=True, void_reason=reason))))
    return report


def recalled_stamp_report(reason: str = "Phát hiện nấm men vượt ngưỡng") -> dict[str, Any]:
    report = genuine_stamp_report()
    report["verdict"] = "recalled"
    report["batch"]["recall"] = {"recalled_at": _iso(RECALLED), "reason": reason}
    report.update(_as_json(rules.evaluate(_facts([], recall_reason=reason))))
    return report


def recalled_label_report(reason: str = "Phát hiện nấm men vượt ngưỡng") -> dict[str, Any]:
    """A batch label (no stamp) of a recalled batch: only the recall rule applies."""
    report = recalled_stamp_report(reason)
    report["stamp"] = None
    return report


def key_leak_report() -> dict[str, Any]:
    """A validly signed serial that was never issued: assess() records no scan for it."""
    report = genuine_report()
    report.update(verdict="invalid", stamp=None, scan=None)
    report.update(_as_json(rules.evaluate(_facts([], issued=False))))
    return report


NEW_REPORTS = {
    "genuine_stamp": genuine_stamp_report,
    "suspect": suspect_report,
    "travel": travel_report,
    "void": void_report,
    "recalled_stamp": recalled_stamp_report,
    "recalled_label": recalled_label_report,
    "key_leak": key_leak_report,
}


def render(report: dict[str, Any], lang: str = "vi", **kwargs: Any) -> str:
    return pages.render_verify_page(
        check_of(report), lang, token=TOKEN, public_url=PUBLIC_URL, **kwargs
    )


class _Page(HTMLParser):
    """Elements with their attributes, option labels, and the text of the document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.options: list[tuple[str, str]] = []
        self.text_parts: list[str] = []
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "option":
            self._option = values.get("value", "")
            self.options.append((self._option, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._option = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._option is not None:
            value, label = self.options[-1]
            self.options[-1] = (value, label + data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text_parts))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for name, a in self.elements
            if name == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def banner_of(html: str) -> tuple[str, str]:
    """The verdict banner's style class and its text."""
    match = re.search(r'<div class="banner ([\w-]+)" id="verdict"[^>]*>(.*?)\n</div>', html, re.S)
    assert match is not None
    return match.group(1), parse(match.group(2)).text


# --- banners ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "lang", "title", "style"),
    [
        (suspect_report, "vi", "Cảnh báo: mã này có thể đã bị sao chép", "b-warn"),
        (suspect_report, "en", "Warning: this code may have been copied", "b-warn"),
        (recalled_stamp_report, "vi", "Lô hàng đã bị thu hồi", "b-bad"),
        (recalled_stamp_report, "en", "This batch has been recalled", "b-bad"),
        (recalled_label_report, "vi", "Lô hàng đã bị thu hồi", "b-bad"),
        (void_report, "vi", "Tem đã bị hủy", "b-bad"),
        (void_report, "en", "This stamp has been voided", "b-bad"),
        (
            key_leak_report,
            "vi",
            "Mã giả: chữ ký hợp lệ nhưng tem này chưa từng được phát hành",
            "b-alarm",
        ),
        (
            key_leak_report,
            "en",
            "Counterfeit: valid signature, but this stamp was never issued",
            "b-alarm",
        ),
        (genuine_stamp_report, "vi", "Hồ sơ chính hãng", "b-ok"),
    ],
)
def test_banner_says_the_new_verdicts(make: Any, lang: str, title: str, style: str) -> None:
    html = render(make(), lang)
    heading = re.search(r'<div class="banner ([\w-]+)"[^>]*>\s*<h1>(.*?)</h1>', html, re.S)
    assert heading is not None
    assert heading.group(1) == style
    assert title in heading.group(2)
    assert f"<title>{title} · " in html


def test_suspect_explains_that_the_record_is_genuine_but_the_stamp_is_not() -> None:
    _, vi = banner_of(render(suspect_report(), "vi"))
    _, en = banner_of(render(suspect_report(), "en"))
    assert f"Hồ sơ của {COOP} là thật, nhưng riêng tem này đã được quét theo cách" in vi
    assert f"The record from {COOP} is genuine, but this particular stamp" in en


def test_suspect_evidence_in_vietnamese_with_numbers() -> None:
    html = render(suspect_report(), "vi")
    _, banner = banner_of(html)
    sentence = "Đã được quét 37 lần bởi 12 điện thoại kể từ 03/03/2026; lần đầu ở Lào Cai."
    assert sentence in banner
    # The English message is kept for inspectors, the Vietnamese shown once.
    assert html.count(sentence) == 1
    assert "Scanned 37 times by 12 phones since 3 March 2026" in html
    assert (
        "Scanned 37 times by 12 phones since 3 March 2026; first near Lào Cai."
        in (banner_of(render(suspect_report(), "en"))[1])
    )


def test_phone_count_is_not_said_twice() -> None:
    """too_many_sessions states the numbers too_many_scans already gives: shown once."""
    _, banner = banner_of(render(suspect_report(), "vi"))
    assert "12 điện thoại khác nhau" not in banner.split("Chi tiết kỹ thuật")[0]


def test_impossible_travel_evidence() -> None:
    _, vi = banner_of(render(travel_report(), "vi"))
    _, en = banner_of(render(travel_report(), "en"))
    assert "Được quét ở Lào Cai lúc 09:00 ngày 03/03/2026, rồi ở Cà Mau 10 phút sau" in vi
    assert "Scanned near Lào Cai at 09:00 on 3 March 2026, then near Cà Mau 10 minutes later" in en


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_suspect_advises_checking_asking_and_reporting(lang: str) -> None:
    page = parse(render(suspect_report(), lang))
    for key in ("advice.check_packaging", "advice.ask_seller", "advice.report_form"):
        assert t(lang, key) in page.text
    assert page.find("a", href="#report")


def test_findings_are_not_repeated_as_reasons() -> None:
    """Each finding comes with a reason of the same code: the shopper reads it once."""
    for make in (suspect_report, void_report, recalled_stamp_report, key_leak_report):
        report = make()
        _, text = banner_of(render(report, "vi"))
        visible = text.split("Chi tiết kỹ thuật")[0]
        for finding in report["findings"]:
            assert t("vi", f"reason.{finding['rule']}") not in visible, finding["rule"]
            assert text.count(finding["message"]) <= 1


def test_void_banner_gives_date_and_reason() -> None:
    _, vi = banner_of(render(void_report(), "vi"))
    _, en = banner_of(render(void_report(), "en"))
    assert "Tem này đã bị hủy ngày 05/04/2026 (lý do: Tem in lỗi, đã thay tem mới)" in vi
    assert "đã được quét 1 lần kể từ đó" in vi
    assert "This stamp was voided on 5 April 2026 (reason: Tem in lỗi, đã thay tem mới)" in en
    assert t("vi", "verdict.void.lead") in vi


def test_void_without_a_finding_uses_the_stamp() -> None:
    report = void_report()
    report["findings"], report["reasons"] = [], []
    _, vi = banner_of(render(report, "vi"))
    assert "Tem này đã bị hủy ngày 05/04/2026." in vi
    assert "Lý do: Tem in lỗi, đã thay tem mới" in vi


@pytest.mark.parametrize("make", [recalled_stamp_report, recalled_label_report])
def test_recall_banner_gives_reason_and_date(make: Any) -> None:
    _, vi = banner_of(render(make(), "vi"))
    _, en = banner_of(render(make(), "en"))
    assert "Lô hàng này đã bị thu hồi ngày 20/04/2026." in vi
    assert "Lý do: Phát hiện nấm men vượt ngưỡng" in vi
    assert "This batch was recalled on 20 Apr 2026." in en
    assert "Reason: Phát hiện nấm men vượt ngưỡng" in en


def test_recalled_page_tells_the_shopper_not_to_use_it() -> None:
    text = parse(render(recalled_label_report(), "vi")).text
    assert t("vi", "advice.recalled_stop") in text
    assert t("vi", "advice.dont_trust") not in text


@pytest.mark.parametrize(
    "make", [void_report, suspect_report, tampered_report, genuine_report, key_leak_report]
)
def test_recall_is_shown_on_every_page_of_a_recalled_batch(make: Any) -> None:
    """A batch label, a voided stamp, a broken record: whatever the verdict, the recall shows."""
    report = make()
    report["batch"]["recall"] = {"recalled_at": "2026-04-20T03:00:00", "reason": "Nhiễm khuẩn"}
    html = render(report, "vi")
    box = re.search(r'<section class="alert" id="recall"[^>]*>(.*?)</section>', html, re.S)
    assert box is not None
    text = parse(box.group(1)).text
    assert "Lô hàng đã bị thu hồi" in text
    assert "Lô hàng này đã bị thu hồi ngày 20/04/2026." in text
    assert "Lý do: Nhiễm khuẩn" in text
    # Right under the verdict, before any advice or detail.
    assert html.index('id="recall"') < html.index('id="product"')
    assert "Đã thu hồi ngày 20/04/2026" in html[html.index('id="batch"') :]


def test_recalled_verdict_has_no_second_recall_box() -> None:
    html = render(recalled_label_report(), "vi")
    assert 'id="recall"' not in html
    assert html.count("Lô hàng này đã bị thu hồi ngày 20/04/2026.") == 1


def test_key_leak_is_the_loudest_alarm() -> None:
    html = render(key_leak_report(), "vi")
    style, vi = banner_of(html)
    assert style == "b-alarm"
    assert 'data-alarm="key_leak"' in html
    assert f"khớp với khóa ký của {COOP}, nhưng {COOP} chưa bao giờ phát hành" in vi
    assert "khóa ký đã bị lộ" in vi
    assert "Hãy báo ngay bằng mẫu bên dưới" in vi
    _, en = banner_of(render(key_leak_report(), "en"))
    assert "the signing key has leaked" in en
    assert "Report it now with the form below" in en
    # The details shown are what was signed, not a reason to trust the jar.
    assert t("vi", "notice.unverified_details") in html
    # It is red, not the orange of a mere suspicion, and has a CSS rule of its own.
    assert ".b-alarm{" in html


def test_key_leak_without_a_signer_name() -> None:
    report = key_leak_report()
    report["signer"], report["producer"] = None, None
    _, vi = banner_of(render(report, "vi"))
    assert t("vi", "verdict.key_leak.lead_anonymous") in vi


def test_invalid_without_key_leak_keeps_the_old_banner() -> None:
    style, text = banner_of(render(tampered_report(), "vi"))
    assert style == "b-bad"
    assert "Mã không hợp lệ" in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_stamp_batch_mismatch_is_translated(lang: str) -> None:
    report = genuine_report()
    report["verdict"] = "invalid"
    message = "The stamp's stored batch no longer matches its signature."
    report["reasons"] = [{"code": "stamp_batch_mismatch", "message": message, "subject": "stamp"}]
    _, text = banner_of(render(report, lang))
    assert t(lang, "reason.stamp_batch_mismatch") in text


@pytest.mark.parametrize("rule", sorted(rules.SEVERITY))
def test_rule_reason_without_its_finding_is_translated(rule: str) -> None:
    report = genuine_report()
    report["verdict"] = "suspect"
    report["reasons"] = [{"code": rule, "message": "ENGLISH ONLY", "subject": "stamp"}]
    _, text = banner_of(render(report, "vi"))
    assert t("vi", f"reason.{rule}") in text


def _finding(rule: str, evidence: dict[str, Any], message: str = "") -> FindingOut:
    return FindingOut.model_validate(
        {"rule": rule, "severity": "medium", "evidence": evidence, "message": message}
    )


def test_finding_text_falls_back_to_the_english_message() -> None:
    odd = _finding("too_many_scans", {"scans": "many"}, "Scanned a lot.")
    assert pages.finding_text("vi", odd) == "Scanned a lot."
    # A time that is not a number makes describe() raise TypeError, not ValueError.
    wrong_type = _finding(
        "too_many_scans", {"scans": 30, "first_at": "yesterday"}, "Scanned 30 times."
    )
    assert pages.finding_text("en", wrong_type) == "Scanned 30 times."
    # Without a message, the rule's generic words.
    assert pages.finding_text("vi", _finding("void", {"voided_at": "soon"})) == t(
        "vi", "reason.void"
    )


@pytest.mark.parametrize(
    ("rule", "evidence"), [("moon_phase", {}), ("void", None), ("void", []), (None, {})]
)
def test_odd_findings_are_refused_by_the_contract(rule: object, evidence: object) -> None:
    """An unknown rule or evidence that is no mapping cannot reach the page any more (the
    old dict page fell back to the message for them)."""
    with pytest.raises(ValidationError):
        FindingOut.model_validate(
            {"rule": rule, "severity": "medium", "evidence": evidence, "message": "x"}
        )


def test_genuine_batch_label_is_unchanged_by_the_new_fields() -> None:
    report = genuine_report()
    report.update(stamp=None, findings=[], scan=None)
    report["batch"]["recall"] = None
    html = render(report, "vi")
    assert 'id="stamp"' not in html
    assert 'id="recall"' not in html
    assert "Bạn nên làm gì?" not in html


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_rate_limited_note(lang: str) -> None:
    report = genuine_stamp_report()
    report["scan"] = None
    assert t(lang, "notice.rate_limited") in render(report, lang, rate_limited=True)
    assert t(lang, "notice.rate_limited") not in render(report, lang)
    assert "Bạn quét quá nhanh; lượt quét này chưa được ghi lại." in (
        render(report, "vi", rate_limited=True)
    )


# --- the stamp section -------------------------------------------------------------------------


def _stamp_section(html: str) -> str:
    match = re.search(r'<section class="card" id="stamp">(.*?)</section>', html, re.S)
    assert match is not None
    return parse(match.group(1)).text


def test_stamp_section_in_vietnamese() -> None:
    text = _stamp_section(render(genuine_stamp_report(), "vi"))
    assert "Tem số" in text
    assert SERIAL in text
    assert "Tem thứ 17" in text
    assert "Còn hiệu lực" in text
    assert "Đã được quét 3 lần (kể cả lần này), lần đầu ngày 03/03/2026." in text
    assert "Một tem thật thường chỉ được quét vài lần" in text


def test_stamp_section_in_english() -> None:
    text = _stamp_section(render(genuine_stamp_report(), "en"))
    assert "Stamp" in text
    assert "No. 17" in text
    assert "Scanned 3 times (including this one), first on 3 Mar 2026." in text
    assert "A genuine stamp is normally scanned only a few times" in text


def test_first_scan_today_is_said_plainly() -> None:
    report = genuine_stamp_report()
    report["stamp"].update(scan_count=1, first_scan_at=report["checked_at"])
    assert "Đây là lần đầu tiên tem này được quét." in _stamp_section(render(report, "vi"))
    report["scan"] = None
    assert "Đã được quét 1 lần, vào hôm nay." in _stamp_section(render(report, "vi"))
    assert "Scanned once, today." in _stamp_section(render(report, "en"))


def test_large_scan_counts_use_the_readers_separators() -> None:
    report = suspect_report()
    report["stamp"]["scan_count"] = 1234
    assert "Đã được quét 1.234 lần" in _stamp_section(render(report, "vi"))
    assert "Scanned 1,234 times" in _stamp_section(render(report, "en"))


def test_stamp_in_doubt_has_no_reassurance() -> None:
    for make in (suspect_report, void_report, recalled_stamp_report):
        assert "Một tem thật thường" not in _stamp_section(render(make(), "vi"))


def test_void_stamp_section_says_when() -> None:
    assert "Đã hủy ngày 05/04/2026" in _stamp_section(render(void_report(), "vi"))


def test_batch_label_has_no_stamp_section() -> None:
    assert 'id="stamp"' not in render(recalled_label_report(), "vi")


def test_odd_stamp_fields_do_not_crash() -> None:
    report = genuine_stamp_report()
    report["stamp"] = _stamp(seq=0, scan_count=-3, first_scan_at=None)
    report["findings"] = [
        {"rule": "too_many_scans", "severity": "medium", "evidence": {}, "message": ""}
    ]
    report["scan"] = {"id": "x" * 200, "recorded": True}
    html = render(report, "vi")
    assert 'id="stamp"' in html
    assert 'name="province"' not in html


@pytest.mark.parametrize(
    ("field", "odd"),
    [
        ("stamp", {"serial": None, "seq": True, "scan_count": -3, "first_scan_at": "soon"}),
        ("findings", [{"rule": "too_many_scans"}]),
        ("findings", ["junk"]),
        ("findings", [{"evidence": []}]),
        ("scan", {"id": "x" * 200}),
    ],
)
def test_odd_stamp_values_are_refused_by_the_contract(field: str, odd: object) -> None:
    """What the old dict page had to survive in the stamp part is refused by CheckOut."""
    report = genuine_stamp_report()
    report[field] = odd
    with pytest.raises(ValidationError):
        check_of(report)


# --- the place form -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_place_form_lists_the_34_provinces(lang: str) -> None:
    page = parse(render(genuine_stamp_report(), lang))
    query = "?lang=en" if lang == "en" else ""
    forms = [f for f in page.find("form") if "/place" in f["action"]]
    assert forms == [{"method": "post", "action": f"/T/{TOKEN}/place{query}"}]
    assert len(page.find("select", name="province")) == 1
    assert page.options[0] == ("", t(lang, "share.choose"))
    chosen = page.options[1:]
    assert len(chosen) == 34
    assert {code for code, _ in chosen} == {place.code for place in CURRENT_PLACES}
    names = {p.code: (p.name_en if lang == "en" else p.name_vi) for p in CURRENT_PLACES}
    assert all(label == names[code] for code, label in chosen)
    assert page.find("input", type="hidden", name="scan", value=SCAN_ID)
    assert t(lang, "share.question") in page.text
    assert t(lang, "share.optional") in page.text


def test_place_form_question_in_vietnamese() -> None:
    html = render(genuine_stamp_report(), "vi")
    assert "Giúp phát hiện hàng giả: bạn đang ở tỉnh/thành nào?" in html
    assert "Thành phố Hồ Chí Minh" in html
    english = render(genuine_stamp_report(), "en")
    assert "Ho Chi Minh City" in english


def test_place_form_absent_without_a_recorded_scan() -> None:
    report = genuine_stamp_report()
    report["scan"] = None
    html = render(report, "vi")
    assert 'name="province"' not in html
    assert "/place" not in html
    assert 'name="province"' not in render(key_leak_report(), "vi")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("vi", "Cảm ơn! Đã ghi nhận: Lào Cai"), ("en", "Thank you! Recorded: Lao Cai")],
)
def test_place_shared_is_thanked(lang: str, expected: str) -> None:
    report = genuine_stamp_report()
    report["scan"]["place_name"] = "Lào Cai"
    html = render(report, lang)
    assert expected in html
    assert 'name="province"' not in html


def test_place_form_for_odd_scanned_text_is_left_out() -> None:
    html = pages.render_verify_page(
        check_of(genuine_stamp_report()), "vi", token="AB/../CD", public_url=PUBLIC_URL
    )
    assert "<form" not in html


# --- the report form ----------------------------------------------------------------------------


def _report_details(html: str) -> dict[str, str]:
    details = parse(html).find("details", id="report")
    assert len(details) == 1
    return details[0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_form_action_enctype_and_fields(lang: str) -> None:
    page = parse(render(genuine_stamp_report(), lang))
    query = "?lang=en" if lang == "en" else ""
    assert page.find(
        "form",
        method="post",
        action=f"/T/{TOKEN}/report{query}",
        enctype="multipart/form-data",
    )
    problem = page.find("textarea", name="problem")
    assert len(problem) == 1
    assert problem[0]["minlength"] == "5"
    assert problem[0]["maxlength"] == "2000"
    assert "required" in problem[0]
    where = page.find("input", name="where_bought")
    assert where == [
        {
            "id": "where_bought",
            "name": "where_bought",
            "type": "text",
            "maxlength": "300",
            "value": "",
            "aria-describedby": "where-hint",
        }
    ]
    contact = page.find("input", name="contact")
    assert contact[0]["maxlength"] == "200"
    assert "required" not in contact[0]
    photo = page.find("input", name="photo")
    assert photo[0]["type"] == "file"
    assert photo[0]["accept"] == "image/jpeg,image/png,image/webp"
    assert "required" not in photo[0]
    assert page.find("button", type="submit")
    assert t(lang, "report.title") in page.text
    assert t(lang, "report.photo_hint") in page.text


def test_report_form_words_in_vietnamese() -> None:
    text = parse(render(genuine_stamp_report(), "vi")).text
    assert "Báo cáo nghi ngờ hàng giả" in text
    assert "JPEG, PNG hoặc WebP, tối đa 5 MB." in text
    assert "Report a suspected fake" in parse(render(genuine_stamp_report(), "en")).text


OPEN_FORM = {
    "suspect": suspect_report,
    "key_leak": key_leak_report,
    "tampered": tampered_report,
    "malformed": malformed_report,
    "void": void_report,
    "unknown_key": unknown_key_report,
}
CLOSED_FORM = {
    "genuine": genuine_report,
    "genuine_stamp": genuine_stamp_report,
    "recalled": recalled_label_report,
    "revoked": revoked_report,
}


@pytest.mark.parametrize("name", list(OPEN_FORM))
def test_report_form_is_open_when_the_code_is_in_doubt(name: str) -> None:
    html = render(OPEN_FORM[name](), "vi")
    assert "open" in _report_details(html)
    # Prominent: before the product details, not at the foot of the page.
    assert html.index('id="report"') < html.index('id="signature"')


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_report_form_is_there_but_closed_otherwise(name: str) -> None:
    html = render(CLOSED_FORM[name](), "vi")
    assert "open" not in _report_details(html)
    assert html.index('id="report"') > html.index('id="signature"')


# --- safety and weight ---------------------------------------------------------------------------


def _same_host(url: str) -> bool:
    return url.startswith(("/", "#", "?")) and not url.startswith(("//", "/\\"))


@pytest.mark.parametrize("name", list(NEW_REPORTS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_script_small_and_same_host(name: str, lang: str) -> None:
    html = render(NEW_REPORTS[name](), lang)
    assert "<script" not in html.lower()
    assert len(html.encode()) < 100_000
    page = parse(html)
    for tag, attrs in page.elements:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if "src" in attrs:
            assert _same_host(attrs["src"]), (tag, attrs)
        if tag == "form":
            assert _same_host(attrs["action"]), attrs
            assert attrs["method"] == "post"
        if tag == "a" and not attrs["href"].startswith(("tel:", "mailto:", "geo:")):
            assert _same_host(attrs["href"]), (tag, attrs)
        if tag in ("input", "button"):
            assert "formaction" not in attrs, attrs


def test_malicious_recall_and_void_reasons_are_escaped() -> None:
    evil = "<script>alert(1)</script><img src=//evil.example/x>"
    report = void_report(reason=evil)
    report["batch"]["recall"] = {"recalled_at": _iso(RECALLED), "reason": evil}
    for lang in ("vi", "en"):
        html = render(report, lang)
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert all(a.get("src") != "//evil.example/x" for _, a in parse(html).elements)
    label = render(recalled_label_report(reason=evil), "vi")
    assert "<script" not in label.lower()
    assert "Lý do: &lt;script&gt;" in label


def test_malicious_place_name_and_scan_id_are_escaped() -> None:
    report = genuine_stamp_report()
    report["scan"]["place_name"] = '<b onmouseover="x">Hà Nội</b>'
    html = render(report, "vi")
    assert "Cảm ơn! Đã ghi nhận: &lt;b onmouseover=" in html
    report["scan"] = {"id": '"><script>', "recorded": True}
    html = render(report, "vi")
    assert "<script" not in html.lower()
    assert 'value="&#34;&gt;&lt;script&gt;"' in html


# --- after a report ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_thanks(lang: str) -> None:
    html = pages.render_report_thanks(lang, token=TOKEN, report_id="8c1d2e3f4a5b6c7d8e9f")
    page = parse(html)
    assert f'<html lang="{lang}">' in html
    assert t(lang, "report.thanks_title") in page.text
    assert "8c1d2e3f4a5b6c7d8e9f" in page.text
    back = f"/T/{TOKEN}" + ("?lang=en" if lang == "en" else "")
    assert page.find("a", href=back)
    assert "<script" not in html.lower()
    assert len(html.encode()) < 100_000
    # No address shows this page again, so no language switch to a POST-only URL.
    assert not page.find("a", hreflang="en" if lang == "vi" else "vi")


def test_report_thanks_in_vietnamese_and_escaped() -> None:
    html = pages.render_report_thanks("vi", token=TOKEN, report_id="<i>x</i>")
    assert "Cảm ơn bạn đã báo cáo" in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
    odd = pages.render_report_thanks("vi", token="Gọi 0900", report_id="abc")
    assert parse(odd).find("a", href="/?lang=vi")
    assert "Gọi 0900" not in odd


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_error_says_why_and_offers_the_form_again(lang: str) -> None:
    message = "the photo is 7.3 MB; the limit is 5 MB"
    html = pages.render_report_error(
        lang,
        token=TOKEN,
        message=message,
        status=413,
        problem="Tem bị dán đè <b>hai lớp</b>",
        where_bought="Chợ Đồng Xuân",
    )
    page = parse(html)
    assert t(lang, "report.error_title") in page.text
    assert message in page.text
    assert "413" in html
    query = "?lang=en" if lang == "en" else ""
    assert page.find("a", href=f"/T/{TOKEN}{query}")
    assert page.find("form", action=f"/T/{TOKEN}/report{query}", enctype="multipart/form-data")
    assert "open" in _report_details(html)
    assert "Tem bị dán đè &lt;b&gt;hai lớp&lt;/b&gt;</textarea>" in html
    assert page.find("input", name="where_bought", value="Chợ Đồng Xuân")
    assert "<script" not in html.lower()


def test_report_error_in_vietnamese_for_a_flood() -> None:
    html = pages.render_report_error(
        "vi", token=TOKEN, message="Bạn đã gửi quá nhiều báo cáo.", status=429
    )
    assert "Báo cáo chưa được gửi" in html
    assert "Bạn đã gửi quá nhiều báo cáo." in html


def test_report_error_escapes_and_handles_odd_tokens() -> None:
    html = pages.render_report_error(
        "en", token="../../admin", message="<script>x</script>", status=400
    )
    assert "<script" not in html.lower()
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<form" not in html
    assert parse(html).find("a", href="/?lang=en")
    blank = pages.render_report_error("vi", token=TOKEN, message="  ", status=400)
    assert t("vi", "error.generic") in blank


# --- translations -------------------------------------------------------------------------------


def test_every_new_string_is_translated_differently() -> None:
    prefixes = (
        "verdict.suspect",
        "verdict.key_leak",
        "verdict.void",
        "stamp.",
        "share.",
        "report.",
    )
    keys = [k for k in words.CATALOGUE["en"] if k.startswith(prefixes)]
    assert len(keys) > 40
    vi, en = words.CATALOGUE["vi"], words.CATALOGUE["en"]
    assert [k for k in keys if vi[k] == en[k]] == []
