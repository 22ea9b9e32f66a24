"""Coarse browser and OS families from real User-Agent headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tem.scans.useragent import FAMILIES, MAX_LENGTH, OS_FAMILIES, family, os_family

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1"
)
FIREFOX_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15"
)
ZALO_ANDROID = (
    "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36 "
    "Zalo android/12100538 ZaloTheme/light ZaloLanguage/vi"
)
ZALO_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Zalo iOS/477 ZaloTheme/light ZaloLanguage/vi"
)
FACEBOOK_ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/442.0.0.33.113;]"
)
FACEBOOK_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/443.0.0.35.108;FBDV/iPhone14,5;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBLC/vi_VN;FBOP/5]"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"
)
COC_COC_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/117.0.208 Chrome/111.0.5563.208 Safari/537.36"
)
COC_COC_ANDROID = (
    "Mozilla/5.0 (Linux; Android 11; RMX2185) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/113.0.200 Mobile Chrome/107.0.5304.200 Mobile Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
)
EDGE_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64"
)
OPERA_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IOS_WEBVIEW = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_ANDROID, "Chrome"),
        (CHROME_IOS, "Chrome"),
        (SAFARI_IOS, "Safari"),
        (SAFARI_MAC, "Safari"),
        (FIREFOX_IOS, "Firefox"),
        (FIREFOX_WINDOWS, "Firefox"),
        (ZALO_ANDROID, "Zalo"),
        (ZALO_IOS, "Zalo"),
        (FACEBOOK_ANDROID, "Facebook"),
        (FACEBOOK_IOS, "Facebook"),
        (SAMSUNG, "Samsung Internet"),
        (COC_COC_WINDOWS, "Cốc Cốc"),
        (COC_COC_ANDROID, "Cốc Cốc"),
        (EDGE_WINDOWS, "Edge"),
        (EDGE_ANDROID, "Edge"),
        (OPERA_WINDOWS, "Opera"),
        (GOOGLEBOT_SMARTPHONE, "Bot"),
        (CUBOT_PHONE, "Chrome"),  # a phone brand, not a bot
        ("curl/8.5.0", "Bot"),
        ("Wget/1.21.4", "Bot"),
        ("python-requests/2.31.0", "Bot"),
        ("python-httpx/0.27.0", "Bot"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "Bot"),
        (IOS_WEBVIEW, "Other"),  # an app's web view without a browser token
        ("", "Other"),
        (None, "Other"),
        ("Mozilla/5.0", "Other"),
    ],
)
def test_family(user_agent: str | None, expected: str) -> None:
    assert family(user_agent) == expected


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_ANDROID, "Android"),
        (ZALO_ANDROID, "Android"),
        (SAFARI_IOS, "iOS"),
        (FACEBOOK_IOS, "iOS"),
        (CHROME_IOS, "iOS"),
        (COC_COC_WINDOWS, "Windows"),
        (SAFARI_MAC, "macOS"),
        (FIREFOX_LINUX, "Linux"),
        ("curl/8.5.0", "Other"),
        ("", "Other"),
        (None, "Other"),
    ],
)
def test_os_family(user_agent: str | None, expected: str) -> None:
    assert os_family(user_agent) == expected


def test_only_the_first_1000_characters_count() -> None:
    padding = "x" * (MAX_LENGTH - 1)
    assert family(padding + " Chrome/124.0") == "Other"
    assert family("Chrome/124.0 " + padding) == "Chrome"
    assert os_family(padding + " Android 14") == "Other"


@given(st.one_of(st.none(), st.text(max_size=1200)))
def test_family_is_always_a_known_family_and_never_the_header(user_agent: str | None) -> None:
    assert family(user_agent) in FAMILIES
    assert os_family(user_agent) in OS_FAMILIES
