"""The offline gazetteer: the 2025 units, the former ones, lookups, distances, coarse places."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tem.scans.places import (
    CURRENT_PLACES,
    EARTH_RADIUS_KM,
    PLACES,
    Place,
    coarse,
    current_unit,
    distance_km,
    find_place,
    nearest_place,
    vietnamese_sort_key,
)

# Every former unit whose name vanished in 2025 (and Thừa Thiên Huế, renamed earlier in
# 2025), with the current unit it is now part of (Resolution 202/2025/QH15).
ABSORBED = {
    "Hà Giang": "tuyen-quang",
    "Yên Bái": "lao-cai",
    "Bắc Kạn": "thai-nguyen",
    "Vĩnh Phúc": "phu-tho",
    "Hòa Bình": "phu-tho",
    "Bắc Giang": "bac-ninh",
    "Thái Bình": "hung-yen",
    "Hải Dương": "hai-phong",
    "Hà Nam": "ninh-binh",
    "Nam Định": "ninh-binh",
    "Quảng Bình": "quang-tri",
    "Quảng Nam": "da-nang",
    "Kon Tum": "quang-ngai",
    "Bình Định": "gia-lai",
    "Ninh Thuận": "khanh-hoa",
    "Đắk Nông": "lam-dong",
    "Bình Thuận": "lam-dong",
    "Phú Yên": "dak-lak",
    "Bình Dương": "ho-chi-minh",
    "Bà Rịa – Vũng Tàu": "ho-chi-minh",
    "Bình Phước": "dong-nai",
    "Long An": "tay-ninh",
    "Sóc Trăng": "can-tho",
    "Hậu Giang": "can-tho",
    "Bến Tre": "vinh-long",
    "Trà Vinh": "vinh-long",
    "Tiền Giang": "dong-thap",
    "Bạc Liêu": "ca-mau",
    "Kiên Giang": "an-giang",
    "Thừa Thiên Huế": "hue",
}

CITIES = {"ha-noi", "hue", "hai-phong", "da-nang", "ho-chi-minh", "can-tho"}


def place(code: str) -> Place:
    found = find_place(code)
    assert found is not None, code
    return found


# ------------------------------------------------------------------------------ the data


def test_there_are_exactly_34_current_units() -> None:
    assert len(CURRENT_PLACES) == 34
    assert all(p.now_part_of is None for p in CURRENT_PLACES)
    assert {p.code for p in CURRENT_PLACES} >= CITIES


def test_the_63_former_units_each_point_at_a_current_unit() -> None:
    former = [p for p in PLACES if p.now_part_of is not None]
    assert len(former) == 63
    current_codes = {p.code for p in CURRENT_PLACES}
    assert all(p.now_part_of in current_codes for p in former)
    # Every current unit continues at least one former unit.
    assert {p.now_part_of for p in former} == current_codes


def test_codes_are_unique_ascii_slugs() -> None:
    codes = [p.code for p in PLACES]
    assert len(set(codes)) == len(codes) == 97
    assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)


@pytest.mark.parametrize(("name", "part_of"), sorted(ABSORBED.items()))
def test_absorbed_units_resolve_to_their_new_unit(name: str, part_of: str) -> None:
    found = place(name)
    assert found.name_vi == name
    assert found.now_part_of == part_of
    assert current_unit(found).code == part_of


def test_former_unit_keeps_its_own_seat() -> None:
    yen_bai, lao_cai_before = place("yen-bai"), place("lao-cai-pre-2025")
    assert yen_bai.now_part_of == lao_cai_before.now_part_of == "lao-cai"
    # The old Lào Cai seat (Lào Cai city) is over 100 km from the old Yên Bái seat.
    assert distance_km(yen_bai.centre, lao_cai_before.centre) > 100


def test_former_seats_lie_near_their_new_unit() -> None:
    # Catches a swapped or mistyped coordinate: no merger joined seats 250 km apart.
    for former in (p for p in PLACES if p.now_part_of is not None):
        assert distance_km(former.centre, current_unit(former).centre) < 250, former.code


def test_all_seats_lie_in_vietnam() -> None:
    for p in PLACES:
        assert 8.5 <= p.lat <= 23.4, p.code
        assert 102.1 <= p.lon <= 109.5, p.code
        assert (round(p.lat, 2), round(p.lon, 2)) == p.centre, p.code


def test_current_units_come_first_in_vietnamese_order() -> None:
    names = [p.name_vi for p in PLACES[:34]]
    assert names[0] == "An Giang"
    assert names == sorted(names, key=vietnamese_sort_key)
    # a < ă < â; a space sorts before any letter; d < đ.
    assert names.index("Cà Mau") < names.index("Cao Bằng") < names.index("Cần Thơ")
    assert names.index("Lai Châu") < names.index("Lạng Sơn") < names.index("Lào Cai")
    assert names.index("Lào Cai") < names.index("Lâm Đồng")
    assert names.index("Cần Thơ") < names.index("Đà Nẵng") < names.index("Gia Lai")
    assert all(p.now_part_of is not None for p in PLACES[34:])


def test_vietnamese_sort_key_orders_letters_then_tones() -> None:
    words = ["đa", "da", "ă", "a", "á", "à", "ạ", "â", "b"]
    assert sorted(words, key=vietnamese_sort_key) == ["a", "à", "á", "ạ", "ă", "â", "b", "da", "đa"]


# ---------------------------------------------------------------------------- find_place


@pytest.mark.parametrize(
    "query",
    [
        "Yên Bái",
        "yen bai",
        "YÊN BÁI",
        "yen-bai",
        "Tỉnh Yên Bái",
        "tinh yen bai",
        "Yen Bai Province",
    ],
)
def test_find_yen_bai_every_way(query: str) -> None:
    assert place(query).now_part_of == "lao-cai"


@pytest.mark.parametrize(
    "query",
    [
        "TP Hồ Chí Minh",
        "TP. Hồ Chí Minh",
        "Thành phố Hồ Chí Minh",
        "thanh pho ho chi minh",
        "Hồ Chí Minh",
        "ho-chi-minh",
        "Ho Chi Minh City",
        "TPHCM",
        "Sài Gòn",
    ],
)
def test_find_ho_chi_minh_city_every_way(query: str) -> None:
    assert place(query).code == "ho-chi-minh"


def test_shared_name_means_the_current_unit() -> None:
    assert place("Lào Cai").code == "lao-cai"
    assert place("Lào Cai").now_part_of is None
    assert place("lao-cai-pre-2025").now_part_of == "lao-cai"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Thừa Thiên - Huế", "thua-thien-hue"),
        ("Thành phố Huế", "hue"),
        ("Hoà Bình", "hoa-binh"),  # the older accent placement
        ("Đắk Lắk", "dak-lak"),
        ("Dak Lak", "dak-lak"),
        ("Bà Rịa - Vũng Tàu", "ba-ria-vung-tau"),
        ("Hanoi", "ha-noi"),
        ("  ha   noi  ", "ha-noi"),
    ],
)
def test_find_place_spellings(query: str, code: str) -> None:
    assert place(query).code == code


@pytest.mark.parametrize("query", ["", "   ", "Paris", "Tỉnh", "thanh pho", "ha-noi-x", "yen"])
def test_unknown_place_is_none(query: str) -> None:
    assert find_place(query) is None


@given(st.text())
def test_find_place_never_raises(text: str) -> None:
    found = find_place(text)
    assert found is None or found in PLACES


# ------------------------------------------------------------------------------ distance


def test_distance_hanoi_to_ho_chi_minh_city() -> None:
    assert distance_km(place("ha-noi").centre, place("ho-chi-minh").centre) == pytest.approx(
        1140, abs=60
    )


def test_distance_basics() -> None:
    hanoi, hue = place("ha-noi").centre, place("hue").centre
    assert distance_km(hanoi, hanoi) == 0.0
    assert distance_km(hanoi, hue) == pytest.approx(distance_km(hue, hanoi))
    # One degree of latitude, and half the globe.
    assert distance_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180)
    assert distance_km((0.0, 0.0), (0.0, 180.0)) == pytest.approx(EARTH_RADIUS_KM * math.pi)


# -------------------------------------------------------------------------------- coarse


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((21.0349, 105.8342), (21.0, 105.8)),
        ((10.7769, 106.7009), (10.8, 106.7)),
        ((22.48, 103.97), (22.5, 104.0)),
        ((90.0, -180.0), (90.0, -180.0)),
    ],
)
def test_coarse_rounds_to_a_tenth_of_a_degree(
    point: tuple[float, float], expected: tuple[float, float]
) -> None:
    assert coarse(*point) == expected


def test_coarse_has_no_negative_zero() -> None:
    lat, lon = coarse(-0.04, -0.01)
    assert (lat, lon) == (0.0, 0.0)
    assert math.copysign(1.0, lat) == 1.0
    assert math.copysign(1.0, lon) == 1.0


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (90.01, 0.0, "latitude"),
        (-91.0, 0.0, "latitude"),
        (math.nan, 0.0, "latitude"),
        (math.inf, 0.0, "latitude"),
        (0.0, 180.5, "longitude"),
        (0.0, -math.inf, "longitude"),
        (0.0, math.nan, "longitude"),
    ],
)
def test_coarse_rejects_out_of_range(lat: float, lon: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        coarse(lat, lon)
    with pytest.raises(ValueError, match=field):
        nearest_place(lat, lon)


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_coarse_is_close_and_idempotent(lat: float, lon: float) -> None:
    rounded = coarse(lat, lon)
    assert abs(rounded[0] - lat) <= 0.05 + 1e-9
    assert abs(rounded[1] - lon) <= 0.05 + 1e-9
    assert coarse(*rounded) == rounded


# ------------------------------------------------------------------------- nearest_place


@pytest.mark.parametrize(
    ("point", "code"),
    [
        (coarse(21.72, 104.91), "lao-cai"),  # the former Yên Bái seat, now Lào Cai's
        (coarse(22.48, 103.97), "lao-cai"),  # Lào Cai city
        (coarse(13.98, 108.00), "gia-lai"),  # Pleiku, though today's seat is Quy Nhơn
        (coarse(10.78, 106.70), "ho-chi-minh"),
        (coarse(10.35, 107.08), "ho-chi-minh"),  # Vũng Tàu
        (coarse(21.03, 105.85), "ha-noi"),
    ],
)
def test_nearest_place_names_the_current_unit(point: tuple[float, float], code: str) -> None:
    assert nearest_place(*point).code == code


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_nearest_place_is_always_current(lat: float, lon: float) -> None:
    assert nearest_place(lat, lon).is_current
