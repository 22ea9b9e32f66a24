"""The public verification page, home and error pages, and their language handling.

The reports are written as the JSON of ``GET /api/v1/verify`` and read into the typed
:class:`~tem.scans.check_schema.CheckOut` the page renders (:func:`check_of`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from tem import words
from tem.scans.check_schema import CheckOut, ReasonOut
from tem.verify.verifier import ReasonCode, ReasonSubject
from tem.web import i18n, pages
from tem.web.i18n import pick_language
from tem.words import format_date, format_datetime, format_number, t

TOKEN = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QCAQ"
PUBLIC_URL = "HTTPS://TEM.EXAMPLE.VN"
COOP = "HTX Mật ong bạc hà Mèo Vạc"
AUTHORITY = "Hội đồng OCOP tỉnh Tuyên Quang"
KEY_ID = "3f9a0c1d2e4b5a69"
AUTHORITY_KEY_ID = "a1b2c3d4e5f60718"
BATCH_ID = "0d1e2f3a4b5c6d7e"

SIGNER = {
    "organization_id": "htx-meo-vac",
    "name": COOP,
    "key_id": KEY_ID,
    "sign_from": "2026-01-01T00:00:00+00:00",
    "sign_until": "2027-01-01T00:00:00+00:00",
    "verify_until": "2030-01-01T00:00:00+00:00",
    "endorsed_by": {"name": AUTHORITY, "organization_id": "ocop-tq", "key_id": AUTHORITY_KEY_ID},
}

PRODUCER = {
    "id": "htx-meo-vac",
    "name": COOP,
    "street": "Thôn Tả Chải",
    "commune": "Xã Mèo Vạc",
    "district": "",
    "province": "Tỉnh Tuyên Quang",
    "phone": "0219 3871 234",
    "email": "htx.meovac@example.vn",
}

PRODUCT = {
    "id": "mat-ong-bac-ha",
    "name": "Mật ong bạc hà Mèo Vạc",
    "image_url": "/media/products/mat-ong-bac-ha.jpg",
    "category": "Thực phẩm",
    "description": "Mật ong từ hoa bạc hà dại trên cao nguyên đá Đồng Văn, thu hoạch tháng 11.",
    "ingredients": "100% mật ong hoa bạc hà",
    "standards": ["TCVN 12605:2019", "VietGAP"],
    "shelf_life_days": 730,
    "gtin": "8936012345674",
    "ocop": {
        "stars": 4,
        "certificate": "QĐ 1234/QĐ-UBND",
        "council": AUTHORITY,
        "awarded": "2025-06-15",
        "expires": "2028-06-15",
    },
}

EVENT_PLAN = [
    ("harvesting", None, "Vùng bạc hà Pải Lủng", "Tổ thu hoạch thôn Tả Chải"),
    ("processing", None, "Xưởng HTX Mèo Vạc", "Tổ chế biến"),
    ("custom", "Lọc và hạ thủy phần", "Xưởng HTX Mèo Vạc", "Tổ chế biến"),
    ("inspecting", None, "Trung tâm Kiểm nghiệm Tuyên Quang", "Kỹ thuật viên Lò Thị Mai"),
    ("packing", None, "Xưởng HTX Mèo Vạc", "Tổ đóng gói"),
    ("shipping", None, "Kho HTX Mèo Vạc", "Xe tải 23C-123.45"),
    ("receiving", None, "Kho trung chuyển Hà Giang", "Nguyễn Văn Nam"),
    ("shipping", None, "Kho trung chuyển Hà Giang", "Xe tải 29H-678.90"),
    ("receiving", None, "Cửa hàng OCOP Hà Nội", "Trần Thị Hoa"),
    ("inspecting", None, "Cửa hàng OCOP Hà Nội", "Đội Quản lý thị trường số 5"),
]


def _event(seq: int) -> dict[str, Any]:
    kind, label, place, actor = EVENT_PLAN[seq]
    return {
        "seq": seq,
        "trace_code": f"MV-2026-011-{seq + 1:02d}",
        "status": "valid",
        "reasons": [],
        "type": kind,
        "type_label": label,
        "time": f"2026-03-{seq + 3:02d}T08:30:00+07:00",
        "place": {
            "name": place,
            "address": f"Địa chỉ số {seq + 1}, xã Mèo Vạc, tỉnh Tuyên Quang",
            "lat": f"23.{150000 + seq}",
            "lon": f"105.{400000 + seq}",
        },
        "actor": actor,
        "notes": f"Ghi chú bước {seq + 1}: nhiệt độ 24 °C, độ ẩm mật 18,5 %.",
        "signed_at": f"2026-03-{seq + 3:02d}T02:00:00+00:00",
    }


def check_of(report: dict[str, Any]) -> CheckOut:
    """The typed check a report's JSON stands for (what the page receives)."""
    return CheckOut.model_validate(report)


def genuine_report() -> dict[str, Any]:
    """A genuine label of a batch with ten origin events, one of them custom."""
    return {
        "verdict": "genuine",
        "reasons": [],
        "checked_at": "2026-11-29T05:00:00+00:00",
        "scope": "online",
        "token": {"batch_id": BATCH_ID, "issued_at": "2026-03-13T02:00:00+00:00", "key_id": KEY_ID},
        "signer": copy.deepcopy(SIGNER),
        "producer": copy.deepcopy(PRODUCER),
        "product": copy.deepcopy(PRODUCT),
        "batch": {
            "id": BATCH_ID,
            "lot_code": "MV-2026-011",
            "trace_code": f"MV-2026-011/{BATCH_ID}",
            "quantity": "1500",
            "unit": "hũ 250 g",
            "production_date": "2026-03-12",
            "expiry_date": "2028-03-12",
            "origin": {
                "name": "Vùng bạc hà Pải Lủng",
                "address": "Xã Mèo Vạc, tỉnh Tuyên Quang",
                "lat": "23.150000",
                "lon": "105.400000",
            },
            "signed_at": "2026-03-13T02:00:00+00:00",
            "record": {"status": "valid", "reasons": []},
            "recall": None,
        },
        "history": [_event(seq) for seq in range(10)],
        "stamp": None,
        "findings": [],
        "scan": None,
    }


def malformed_report() -> dict[str, Any]:
    return {
        "verdict": "invalid",
        "reasons": [
            {
                "code": "malformed_token",
                "message": "The code is not valid Base32.",
                "subject": "token",
            }
        ],
        "checked_at": "2026-11-29T05:00:00+00:00",
        "scope": "online",
        "token": None,
        "signer": None,
        "producer": None,
        "product": None,
        "batch": None,
        "history": [],
        "stamp": None,
        "findings": [],
        "scan": None,
    }


def unknown_key_report() -> dict[str, Any]:
    return {
        **malformed_report(),
        "verdict": "unknown_key",
        "reasons": [
            {
                "code": "unknown_key",
                "message": "The code was signed by a key no trusted authority has endorsed.",
                "subject": "token",
            }
        ],
        "token": {"batch_id": BATCH_ID, "issued_at": "2026-03-13T02:00:00+00:00", "key_id": "ffff"},
    }


def revoked_report() -> dict[str, Any]:
    report = genuine_report()
    report["verdict"] = "revoked"
    report["reasons"] = [
        {
            "code": "key_revoked",
            "message": f"The key that signed this code was revoked by {AUTHORITY} before it "
            "was signed: key lost",
            "subject": "token",
        }
    ]
    return report


def tampered_report() -> dict[str, Any]:
    """A genuine token whose stored history was changed: event 4 altered, event 6 unreadable."""
    report = genuine_report()
    report["verdict"] = "invalid"
    altered = {
        "code": "record_mismatch",
        "message": "The stored event 4 no longer matches its signature (changed: actor).",
        "subject": "event",
        "event": 4,
    }
    broken = {
        "code": "record_signature_invalid",
        "message": "The stored event 6 no longer matches its signature.",
        "subject": "event",
        "event": 6,
    }
    report["history"][3]["status"] = "tampered"
    report["history"][3]["reasons"] = [altered]
    report["history"][5] = {
        "seq": 5,
        "trace_code": "MV-2026-011-06",
        "status": "tampered",
        "reasons": [broken],
    }
    report["reasons"] = [
        altered,
        broken,
        {
            "code": "chain_unverifiable",
            "message": "Event 6 cannot be read, so the chain cannot be checked past it.",
            "subject": "event",
            "event": 6,
        },
    ]
    return report


class _Refs(HTMLParser):
    """Every element with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def _parse(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    parser.close()
    return parser


def _is_relative(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith(("//", "/\\"))


def _text_of(html: str) -> str:
    """The page text with tags removed, for checking what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


ALL_REPORTS = {
    "genuine": genuine_report,
    "malformed": malformed_report,
    "unknown_key": unknown_key_report,
    "revoked": revoked_report,
    "tampered": tampered_report,
}


def render(report: dict[str, Any], lang: str = "vi") -> str:
    return pages.render_verify_page(check_of(report), lang, token=TOKEN, public_url=PUBLIC_URL)


# --- verdict banners ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "lang", "title", "style"),
    [
        (genuine_report, "vi", "Hồ sơ chính hãng", "b-ok"),
        (genuine_report, "en", "Genuine record", "b-ok"),
        (malformed_report, "vi", "Mã không hợp lệ", "b-bad"),
        (malformed_report, "en", "Not a valid code", "b-bad"),
        (unknown_key_report, "vi", "Không rõ người ký", "b-bad"),
        (unknown_key_report, "en", "Unknown signer", "b-bad"),
        (revoked_report, "vi", "Khóa ký đã bị thu hồi", "b-warn"),
        (revoked_report, "en", "Signing key revoked", "b-warn"),
        (tampered_report, "vi", "Mã không hợp lệ", "b-bad"),
        (tampered_report, "en", "Not a valid code", "b-bad"),
    ],
)
def test_banner_says_the_verdict(make: Any, lang: str, title: str, style: str) -> None:
    html = render(make(), lang)
    banner = re.search(r'<div class="banner ([\w-]+)"[^>]*>\s*<h1>(.*?)</h1>', html, re.S)
    assert banner is not None
    assert banner.group(1) == style
    assert title in banner.group(2)
    assert f'<html lang="{lang}">' in html


def test_genuine_names_signer_and_authority_and_claims_no_more() -> None:
    vi, en = render(genuine_report(), "vi"), render(genuine_report(), "en")
    assert f"Bản ghi được ký bởi {COOP}, được {AUTHORITY} xác nhận." in vi
    assert f"Signed by {COOP}, endorsed by {AUTHORITY}." in en
    # The signature covers the record, not the jar: the page says so.
    assert "không chứng minh riêng sản phẩm bạn đang cầm là hàng thật" in vi
    assert "does not prove that the item in your hand is genuine" in en
    assert "Bạn nên làm gì?" not in vi


@pytest.mark.parametrize("make", [malformed_report, unknown_key_report, revoked_report])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_failed_codes_advise_the_shopper(make: Any, lang: str) -> None:
    html = render(make(), lang)
    assert t(lang, "advice.title") in html
    assert t(lang, "advice.dont_trust") in html
    assert t(lang, "advice.ask_seller") in html


def test_malformed_code_explains_in_plain_words() -> None:
    vi, en = render(malformed_report(), "vi"), render(malformed_report(), "en")
    assert "có thể mã bị cắt mất một phần" in vi
    assert "it may be cut off" in en
    # The verifier's own message stays available for an inspector.
    assert "The code is not valid Base32." in vi
    assert 'id="product"' not in vi
    assert "cơ quan quản lý thị trường" in vi


def test_revoked_names_who_revoked() -> None:
    vi = render(revoked_report(), "vi")
    assert f"Khóa ký số của {COOP} đã bị {AUTHORITY} thu hồi" in vi
    assert f"Báo cho {AUTHORITY}" in vi
    # The details shown are only what was signed, and the page says they are not to be relied on.
    assert t("vi", "notice.unverified_details") in vi


def test_tampered_history_marks_each_stage() -> None:
    vi = render(tampered_report(), "vi")
    items = re.findall(r'<li class="(\w+)">\s*<h3>(.*?)</h3>', vi, re.S)
    assert len(items) == 10
    assert [style for style, _ in items].count("ok") == 8
    assert "Bước 4 · Kiểm tra chất lượng" in items[3][1]
    assert "✗ Bị sửa đổi" in items[3][1]
    assert "✗ Bị sửa đổi" in items[5][1]
    assert "✓ Đã ký số" in items[0][1]
    assert t("vi", "journey.unreadable") in vi
    assert "Bước 4: Dữ liệu lưu trữ không còn khớp với bản đã ký" in vi
    assert "Bước 6: Không đọc được bước này" in vi
    assert "MV-2026-011-06" in vi
    # Inside the stage, the reason needs no "Stage n:" in front.
    assert '<ul class="reasons"><li>Dữ liệu lưu trữ không còn khớp' in vi


def test_an_unknown_reason_code_is_refused() -> None:
    """The page words reasons by code only: a code the verifier does not have cannot reach
    it (the old dict page fell back to the English message)."""
    report = malformed_report()
    report["reasons"] = [
        {"code": "cloned_stamp", "message": "Scanned in two provinces at once.", "subject": "stamp"}
    ]
    with pytest.raises(ValidationError, match="code"):
        check_of(report)


@pytest.mark.parametrize("code", list(ReasonCode))
@pytest.mark.parametrize("lang", words.SUPPORTED)
def test_every_reason_code_is_translated(code: ReasonCode, lang: str) -> None:
    assert words.has(lang, f"reason.{code}")
    reason = ReasonOut(code=code, message="ENGLISH ORIGINAL", subject=ReasonSubject.TOKEN)
    text = pages.reason_text(lang, reason)
    assert text
    assert "ENGLISH ORIGINAL" not in text


def test_reason_translations_differ_between_languages() -> None:
    for code in ReasonCode:
        assert t("vi", f"reason.{code}") != t("en", f"reason.{code}")


def test_vietnamese_strings_cover_every_english_key() -> None:
    assert set(words.CATALOGUE["vi"]) == set(words.CATALOGUE["en"])


# --- content -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_minimum_trace_field_appears(lang: str) -> None:
    """Circular 02/2024/TT-BKHCN: product name and image; producer name and address; each
    stage with its trace code, location and time; production time; trace codes; brand, code
    and serial where any; shelf life; standards applied."""
    report = genuine_report()
    html = render(report, lang)
    refs = _parse(html)
    assert PRODUCT["name"] in html
    assert ("img", PRODUCT["image_url"]) in [(tag, a.get("src")) for tag, a in refs.elements]
    assert COOP in html
    assert "Thôn Tả Chải, Xã Mèo Vạc, Tỉnh Tuyên Quang" in html
    for event in report["history"]:
        assert event["trace_code"] in html
        assert event["place"]["name"] in html
        assert event["place"]["address"] in html
        assert format_datetime(event["time"], lang) in html
        assert event["actor"] in html
        assert event["notes"] in html
    assert format_date("2026-03-12", lang) in html
    assert f"MV-2026-011/{BATCH_ID}" in html
    assert "MV-2026-011" in html
    assert "8936012345674" in html
    assert ("730 ngày" if lang == "vi" else "730 days") in html
    assert "TCVN 12605:2019" in html
    assert "VietGAP" in html
    assert ("1.500 hũ 250 g" if lang == "vi" else "1,500 hũ 250 g") in html
    assert format_date("2028-03-12", lang) in html


def test_event_times_keep_their_own_offset() -> None:
    vi, en = render(genuine_report(), "vi"), render(genuine_report(), "en")
    assert "08:30, 03/03/2026 (UTC+07:00)" in vi
    assert "3 Mar 2026, 08:30 (UTC+07:00)" in en


def test_event_types_are_localized_and_custom_uses_its_label() -> None:
    vi, en = render(genuine_report(), "vi"), render(genuine_report(), "en")
    for name in ("Thu hoạch", "Chế biến", "Đóng gói", "Vận chuyển", "Nhận hàng"):
        assert name in vi
    for name in ("Harvest", "Processing", "Packing", "Shipping", "Receiving"):
        assert name in en
    assert "Bước 3 · Lọc và hạ thủy phần" in vi
    assert "Stage 3 · Lọc và hạ thủy phần" in en


def test_ocop_rating_shows_stars_with_text() -> None:
    vi, en = render(genuine_report(), "vi"), render(genuine_report(), "en")
    assert 'role="img" aria-label="OCOP 4 sao">★★★★<span class="off">☆</span>' in vi
    assert "<strong>OCOP 4 sao</strong>" in vi
    assert 'aria-label="OCOP 4 stars"' in en
    for text in ("QĐ 1234/QĐ-UBND", "15/06/2025", "15/06/2028"):
        assert text in vi
    assert "đã hết hạn" not in vi


def test_expired_batch_and_certificate_are_flagged() -> None:
    report = genuine_report()
    report["batch"]["expiry_date"] = "2026-11-28"
    report["product"]["ocop"]["expires"] = "2026-01-31"
    vi, en = render(report, "vi"), render(report, "en")
    assert '28/11/2026 <span class="exp">(đã hết hạn)</span>' in vi
    assert '31/01/2026 <span class="exp">(đã hết hạn)</span>' in vi
    assert "Lô hàng này đã hết hạn sử dụng từ 28/11/2026." in vi
    assert "(expired)" in en


def test_expiry_on_the_day_of_checking_is_not_expired() -> None:
    report = genuine_report()
    # 05:00 UTC is 12:00 in Vietnam, still 29 November.
    report["batch"]["expiry_date"] = "2026-11-29"
    assert "đã hết hạn" not in render(report, "vi")


def test_producer_contact_links() -> None:
    html = render(genuine_report(), "vi")
    assert '<a class="tap" href="tel:02193871234">0219 3871 234</a>' in html
    assert 'href="mailto:htx.meovac@example.vn"' in html


def test_origin_coordinates_are_text_with_a_geo_link() -> None:
    html = render(genuine_report(), "vi")
    assert '<a href="geo:23.150000,105.400000">Tọa độ: 23.150000, 105.400000</a>' in html


def test_signature_section() -> None:
    vi = render(genuine_report(), "vi")
    section = vi[vi.index('id="signature"') :]
    for text in (KEY_ID, AUTHORITY, AUTHORITY_KEY_ID, BATCH_ID, TOKEN, "Chữ ký số"):
        assert text in section
    # Server times are shown in Vietnam time: 05:00 UTC is 12:00 at UTC+07:00.
    assert "12:00, 29/11/2026 (UTC+07:00)" in section
    assert "07:00, 01/01/2026 (UTC+07:00) – 07:00, 01/01/2027 (UTC+07:00)" in section


@pytest.mark.parametrize(
    "scanned", ["Gọi 0900 để nhận quà", "ABC DEF", "<b>x</b>", "AB-CD", "ABCD%20EF"]
)
def test_scanned_text_is_echoed_only_when_it_looks_like_a_token(scanned: str) -> None:
    html = pages.render_verify_page(
        check_of(malformed_report()), "vi", token=scanned, public_url=PUBLIC_URL
    )
    assert "Mã đã quét" not in html
    assert escape(scanned) not in html


def test_long_token_is_shortened() -> None:
    html = pages.render_verify_page(
        check_of(malformed_report()), "vi", token="A" * 600, public_url=""
    )
    assert "A" * 200 + "…" in html
    assert "A" * 201 not in html


def test_footer_names_the_official_host() -> None:
    assert "tem.example.vn" in render(genuine_report(), "vi")


def test_language_switch_links() -> None:
    # The page is also the answer to POST /T/{token}/place, where "?lang=en" alone would
    # lead to a URL that only takes POST: the switch names the page itself.
    assert f'href="/T/{TOKEN}?lang=en"' in render(genuine_report(), "vi")
    assert f'href="/T/{TOKEN}?lang=vi"' in render(genuine_report(), "en")
    odd = pages.render_verify_page(check_of(malformed_report()), "vi", token="AB-CD", public_url="")
    assert 'href="?lang=en"' in odd


def test_unsupported_language_renders_vietnamese() -> None:
    assert '<html lang="vi">' in render(genuine_report(), "fr")


def test_missing_and_odd_fields_do_not_crash() -> None:
    """Odd values in a signed record reach the page as the check builds them leniently
    (tem.scans.check): a rating that is no number has no stars, an event that cannot be
    read has its number and status only."""
    report = genuine_report()
    report["product"]["ocop"] = {"stars": None}
    report["product"]["shelf_life_days"] = None
    report["product"]["gtin"] = None
    report["product"]["standards"] = []
    report["producer"]["phone"] = None
    report["batch"]["origin"] = None
    report["history"].append(
        {"seq": 10, "trace_code": "MV-2026-011-11", "status": "invalid", "reasons": []}
    )
    html = render(report, "en")
    assert "Standards applied</dt><dd>\nNone" in html
    assert "Stage 11" in html
    assert "OCOP" not in _text_of(html[html.index('id="product"') : html.index('id="producer"')])


@pytest.mark.parametrize(
    ("where", "odd"),
    [
        ("product.ocop.stars", "many"),
        ("history", {"seq": 10}),
        ("history", "not an event"),
        ("verdict", "maybe"),
        ("checked_at", "yesterday"),
    ],
)
def test_odd_values_are_refused_by_the_contract(where: str, odd: object) -> None:
    """The page takes only a well-formed check; what the old dict page had to survive
    (a string of stars, an event without a trace code, junk in the journey) is refused
    by CheckOut itself, and the check never builds it (it drops odd record values)."""
    report = genuine_report()
    *path, last = where.split(".")
    target: Any = report
    for part in path:
        target = target[part]
    if isinstance(target[last], list):
        target[last].append(odd)
    else:
        target[last] = odd
    with pytest.raises(ValidationError):
        check_of(report)


# --- safety --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL_REPORTS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_script_and_nothing_from_other_hosts(name: str, lang: str) -> None:
    html = render(ALL_REPORTS[name](), lang)
    assert "<script" not in html.lower()
    refs = _parse(html)
    for tag, attrs in refs.elements:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if "src" in attrs:
            assert _is_relative(attrs["src"]), (tag, attrs)
        if tag == "link":
            assert _is_relative(attrs.get("href", "")), (tag, attrs)
        if tag == "a":
            scheme = urlsplit(attrs["href"]).scheme
            assert scheme in ("", "tel", "mailto", "geo"), (tag, attrs)
            if not scheme:
                assert _is_relative(attrs["href"]), (tag, attrs)
    assert ("meta", {"name": "robots", "content": "noindex"}) in refs.elements
    assert any(
        tag == "meta"
        and attrs.get("name") == "viewport"
        and "width=device-width" in attrs["content"]
        for tag, attrs in refs.elements
    )


def test_external_image_is_only_a_link() -> None:
    report = genuine_report()
    report["product"]["image_url"] = "https://cdn.example.com/mat-ong.jpg"
    html = render(report, "vi")
    refs = _parse(html)
    assert not [a for tag, a in refs.elements if tag == "img"]
    links = [a for tag, a in refs.elements if tag == "a" and a["href"].startswith("https:")]
    assert links == [
        {
            "class": "tap",
            "href": "https://cdn.example.com/mat-ong.jpg",
            "rel": "noopener noreferrer nofollow",
        }
    ]
    assert "Xem ảnh sản phẩm" in html


@pytest.mark.parametrize(
    "url",
    [
        "//evil.example/x.png",
        "/\\evil.example/x.png",
        "javascript:alert(1)",
        "http://plain.example/x.png",
        "data:image/png;base64,AAAA",
        "/media/x.png onerror=alert(1)",
    ],
)
def test_other_image_urls_are_neither_loaded_nor_linked(url: str) -> None:
    report = genuine_report()
    report["product"]["image_url"] = url
    refs = _parse(render(report, "vi"))
    for tag, attrs in refs.elements:
        assert url not in (attrs.get("src"), attrs.get("href")), (tag, attrs)
        assert tag != "img", attrs


def test_product_name_is_escaped() -> None:
    report = genuine_report()
    report["product"]["name"] = "<script>alert('x')</script> & Co"
    report["history"][0]["notes"] = '"><img src=//evil.example/x>'
    report["reasons"] = [{"code": "bad_signature", "message": "<b>bold</b>", "subject": "token"}]
    html = render(report, "vi")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert "&#34;&gt;&lt;img src=//evil.example/x&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert all(a.get("src") != "//evil.example/x" for _, a in _parse(html).elements)


def test_inline_style_matches_the_content_security_policy() -> None:
    refs = _parse(render(genuine_report(), "vi"))
    csp = next(
        a["content"] for tag, a in refs.elements if a.get("http-equiv") == "Content-Security-Policy"
    )
    digest = base64.b64encode(hashlib.sha256(refs.style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "img-src 'self'" in csp
    assert "script-src" not in csp


def test_ten_event_page_is_small() -> None:
    html = render(genuine_report(), "vi")
    assert len(html.encode()) < 100_000


# --- home and error pages --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_home_page(lang: str) -> None:
    html = pages.render_home_page(lang)
    assert f'<html lang="{lang}">' in html
    assert escape(t(lang, "home.how_1"), quote=True).replace("&#x27;", "&#39;") in html
    assert "<script" not in html


@pytest.mark.parametrize(
    ("status", "key"),
    [(404, "error.not_found"), (429, "error.rate_limited"), (500, "error.server")],
)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_error_pages(status: int, key: str, lang: str) -> None:
    html = pages.render_error_page(lang, status, key)
    assert t(lang, key) in html
    assert t(lang, "error.title", status=status) in html
    assert '<meta name="robots" content="noindex">' in html


def test_error_page_with_an_unknown_key_says_something_generic() -> None:
    html = pages.render_error_page("en", 418, "error.teapot")
    assert "Something went wrong. Please try again later." in html
    assert "error.teapot" not in html


# --- language and formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "vi"),
        (None, "", "vi"),
        ("en", "vi", "en"),
        ("vi", "en-US,en;q=0.9", "vi"),
        ("EN", None, "en"),
        ("fr", "en", "en"),
        ("", "en", "en"),
        (None, "en-US,en;q=0.9,vi;q=0.8", "en"),
        (None, "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
        (None, "fr, en;q=0.5", "en"),
        (None, "fr-FR, de;q=0.9", "vi"),
        (None, "en;q=0.5, vi;q=0.8", "vi"),
        (None, "en;q=0.8, vi", "vi"),
        (None, "en;q=0, vi;q=0.1", "vi"),
        (None, "en;q=0", "vi"),
        (None, "en;q=2, fr", "vi"),
        (None, "en;q=abc", "vi"),
        (None, "*", "vi"),
        (None, "fr, *;q=0.5", "vi"),
        (None, "EN-gb", "en"),
        (None, "garbage;;;,,,==", "vi"),
        (None, "<script>", "vi"),
        (None, "en;q=0.5;level=1", "en"),
        (None, "x" * 5000 + ",en", "vi"),
    ],
)
def test_pick_language(query: str | None, header: str | None, expected: str) -> None:
    assert pick_language(query, header) == expected


def test_supported_languages() -> None:
    assert i18n.SUPPORTED == ("vi", "en")


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2026-03-03", "vi", "03/03/2026"),
        ("2026-03-03", "en", "3 Mar 2026"),
        ("2026-12-31T23:59:00+07:00", "vi", "31/12/2026"),
        ("not a date", "vi", "not a date"),
        (None, "vi", ""),
    ],
)
def test_format_date(value: str | None, lang: str, expected: str) -> None:
    assert format_date(value, lang) == expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2026-03-03T08:30:00+07:00", "vi", "08:30, 03/03/2026 (UTC+07:00)"),
        ("2026-03-03T08:30:00+07:00", "en", "3 Mar 2026, 08:30 (UTC+07:00)"),
        ("2026-03-03T01:30:00Z", "en", "3 Mar 2026, 01:30 (UTC+00:00)"),
        ("2026-03-03T08:30:00-03:30", "vi", "08:30, 03/03/2026 (UTC-03:30)"),
        ("2026-03-03T08:30:00", "vi", "08:30, 03/03/2026"),
        ("yesterday", "en", "yesterday"),
    ],
)
def test_format_datetime(value: str, lang: str, expected: str) -> None:
    assert format_datetime(value, lang) == expected


def test_format_datetime_converts_to_a_given_zone() -> None:
    text = format_datetime("2026-11-29T20:00:00+00:00", "vi", tz=words.VIETNAM_TIME)
    assert text == "03:00, 30/11/2026 (UTC+07:00)"


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("1500", "vi", "1.500"),
        ("1500", "en", "1,500"),
        ("12.5", "vi", "12,5"),
        ("1234567.25", "en", "1,234,567.25"),
        ("500", "vi", "500"),
        ("n/a", "vi", "n/a"),
    ],
)
def test_format_number(value: str, lang: str, expected: str) -> None:
    assert format_number(value, lang) == expected


def test_t_fills_placeholders_and_falls_back() -> None:
    assert t("vi", "journey.stage", n=3) == "Bước 3"
    assert t("en", "journey.stage", n=3) == "Stage 3"
    assert t("xx", "journey.stage", n=3) == "Bước 3"
    assert t("en", "no.such.key") == "no.such.key"
