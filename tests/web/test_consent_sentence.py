"""The place form's consent sentence says what a scan keeps and for how long
(TEM_SCAN_DETAIL_DAYS, docs/privacy.md), in Vietnamese and English."""

from __future__ import annotations

import pytest

from tem.words import t
from tests.conftest import World
from tests.scans.test_scanning import issue, token_of
from tests.web.test_pages_stamps import genuine_stamp_report, parse, render, suspect_report


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", ["Sau 30 ngày chỉ còn giữ ngày quét, tỉnh/thành", "không bao giờ lưu địa chỉ IP"]),
        ("en", ["After 30 days only the day, the province", "never your IP address"]),
    ],
)
def test_the_consent_sentence_states_the_retention(lang: str, words: list[str]) -> None:
    page = parse(render(genuine_stamp_report(), lang, scan_detail_days=30))
    for part in words:
        assert part in page.text
    assert t(lang, "share.kept", days="30") in page.text
    assert t(lang, "share.optional") in page.text


@pytest.mark.parametrize(("lang", "days"), [("vi", "1.000"), ("en", "1,000")])
def test_the_number_of_days_is_written_the_readers_way(lang: str, days: str) -> None:
    page = parse(render(genuine_stamp_report(), lang, scan_detail_days=1000))
    assert t(lang, "share.kept", days=days) in page.text


def test_the_default_is_400_days() -> None:
    assert t("en", "share.kept", days="400") in parse(render(genuine_stamp_report(), "en")).text


def test_the_served_page_states_it(world: World) -> None:
    _, stamps = issue(world, count=1)
    page = world.client.get(f"/T/{token_of(stamps[0])}?lang=en")
    assert page.status_code == 200
    assert t("en", "share.kept", days="400") in parse(page.text).text


def test_the_served_page_states_the_setting(world: World) -> None:
    from fastapi.testclient import TestClient

    from tem.web.app import create_app

    _, stamps = issue(world, count=1)
    app = create_app(world.settings.model_copy(update={"scan_detail_days": 120}))
    with TestClient(app, headers={"Sec-Fetch-Dest": "document"}) as client:
        page = client.get(f"/T/{token_of(stamps[0])}?lang=en")
    app.state.tem.engine.dispose()
    assert t("en", "share.kept", days="120") in parse(page.text).text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", "sẽ bị xóa sau khi báo cáo được khép lại"),
        ("en", "it is erased after the report is closed"),
    ],
)
def test_the_report_form_says_the_contact_is_erased(lang: str, words: str) -> None:
    page = parse(render(suspect_report(), lang))
    assert words in page.text
