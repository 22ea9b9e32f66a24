"""A small offline gazetteer of Vietnam's provinces, for coarse scan places.

Vietnam has 34 provincial-level units since 1 July 2025 (National Assembly Resolution
202/2025/QH15): 6 centrally run cities and 28 provinces. The 63 units they replaced are
kept too, because cooperatives, certificates and people still name them: each former unit
is its own :class:`Place` with its own centre and a ``now_part_of`` code, so "Yên Bái"
resolves to Lào Cai yet keeps Yên Bái's coordinates for distances.

Former units whose name vanished keep their plain code (``yen-bai``). Former units whose
name lives on in a current unit get the suffix ``-pre-2025`` (``lao-cai-pre-2025``): the
plain code and the name belong to the current unit. Thừa Thiên Huế, which became the city
of Huế in January 2025, is listed as a former unit of Huế.

Coordinates are the approximate seat of each unit's People's Committee, to two decimals
(about 1 km); they serve coarse distances and words, not navigation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from tem.validation import name_problem

# Mean Earth radius (IUGG), the usual choice for the haversine formula.
EARTH_RADIUS_KM = 6371.0088

# Coarse places are rounded to this many decimal places of a degree: 0.1° of latitude is
# about 11 km, enough to tell provinces apart and too coarse to find anybody's house.
COARSE_DECIMALS = 1

# Suffix of the code of a former unit whose name a current unit carries on.
FORMER_SUFFIX = "-pre-2025"


@dataclass(frozen=True)
class Place:
    """A provincial-level unit: ``now_part_of`` is None for the 34 current ones."""

    code: str
    name_vi: str
    name_en: str
    lat: float
    lon: float
    now_part_of: str | None = None

    @property
    def is_current(self) -> bool:
        """True for one of the 34 units in force since 1 July 2025."""
        return self.now_part_of is None

    @property
    def centre(self) -> tuple[float, float]:
        """``(lat, lon)`` of the unit's seat."""
        return (self.lat, self.lon)


# The 34 current units: code, Vietnamese name, English name, seat (lat, lon).
# Where a merger moved the seat, the comment names the former seat's town.
_CURRENT: tuple[tuple[str, str, str, float, float], ...] = (
    ("ha-noi", "Hà Nội", "Hanoi", 21.03, 105.85),
    ("hue", "Huế", "Hue", 16.46, 107.59),
    ("hai-phong", "Hải Phòng", "Hai Phong", 20.86, 106.68),
    ("da-nang", "Đà Nẵng", "Da Nang", 16.05, 108.22),
    ("ho-chi-minh", "Thành phố Hồ Chí Minh", "Ho Chi Minh City", 10.78, 106.70),
    ("can-tho", "Cần Thơ", "Can Tho", 10.03, 105.78),
    ("lai-chau", "Lai Châu", "Lai Chau", 22.40, 103.46),
    ("dien-bien", "Điện Biên", "Dien Bien", 21.39, 103.02),
    ("son-la", "Sơn La", "Son La", 21.33, 103.91),
    ("lang-son", "Lạng Sơn", "Lang Son", 21.85, 106.76),
    ("quang-ninh", "Quảng Ninh", "Quang Ninh", 20.95, 107.08),
    ("thanh-hoa", "Thanh Hóa", "Thanh Hoa", 19.81, 105.78),
    ("nghe-an", "Nghệ An", "Nghe An", 18.67, 105.69),
    ("ha-tinh", "Hà Tĩnh", "Ha Tinh", 18.34, 105.91),
    ("cao-bang", "Cao Bằng", "Cao Bang", 22.67, 106.26),
    ("tuyen-quang", "Tuyên Quang", "Tuyen Quang", 21.82, 105.21),
    ("lao-cai", "Lào Cai", "Lao Cai", 21.72, 104.91),  # seat moved to Yên Bái
    ("thai-nguyen", "Thái Nguyên", "Thai Nguyen", 21.59, 105.85),
    ("phu-tho", "Phú Thọ", "Phu Tho", 21.32, 105.40),
    ("bac-ninh", "Bắc Ninh", "Bac Ninh", 21.27, 106.19),  # seat moved to Bắc Giang
    ("hung-yen", "Hưng Yên", "Hung Yen", 20.65, 106.05),
    ("ninh-binh", "Ninh Bình", "Ninh Binh", 20.25, 105.97),
    ("quang-tri", "Quảng Trị", "Quang Tri", 17.47, 106.62),  # seat moved to Đồng Hới
    ("quang-ngai", "Quảng Ngãi", "Quang Ngai", 15.12, 108.80),
    ("gia-lai", "Gia Lai", "Gia Lai", 13.78, 109.22),  # seat moved to Quy Nhơn
    ("khanh-hoa", "Khánh Hòa", "Khanh Hoa", 12.24, 109.19),
    ("lam-dong", "Lâm Đồng", "Lam Dong", 11.94, 108.44),
    ("dak-lak", "Đắk Lắk", "Dak Lak", 12.67, 108.04),
    ("dong-nai", "Đồng Nai", "Dong Nai", 10.95, 106.82),
    ("tay-ninh", "Tây Ninh", "Tay Ninh", 10.54, 106.41),  # seat moved to Tân An
    ("vinh-long", "Vĩnh Long", "Vinh Long", 10.25, 105.97),
    ("dong-thap", "Đồng Tháp", "Dong Thap", 10.36, 106.36),  # seat moved to Mỹ Tho
    ("ca-mau", "Cà Mau", "Ca Mau", 9.18, 105.15),
    ("an-giang", "An Giang", "An Giang", 10.01, 105.08),  # seat moved to Rạch Giá
)

# The 63 units in force before 1 July 2025: code, Vietnamese name, English name, seat,
# the current unit it is now part of. A ``None`` code means "the current unit's code plus
# FORMER_SUFFIX" (the name lives on); the seat is the former one.
_FORMER: tuple[tuple[str | None, str, str, float, float, str], ...] = (
    # Units whose territory became a current unit on its own, or the core of a merger.
    (None, "Hà Nội", "Hanoi", 21.03, 105.85, "ha-noi"),
    ("thua-thien-hue", "Thừa Thiên Huế", "Thua Thien Hue", 16.46, 107.59, "hue"),
    (None, "Hải Phòng", "Hai Phong", 20.86, 106.68, "hai-phong"),
    (None, "Đà Nẵng", "Da Nang", 16.05, 108.22, "da-nang"),
    (None, "Thành phố Hồ Chí Minh", "Ho Chi Minh City", 10.78, 106.70, "ho-chi-minh"),
    (None, "Cần Thơ", "Can Tho", 10.03, 105.78, "can-tho"),
    (None, "Lai Châu", "Lai Chau", 22.40, 103.46, "lai-chau"),
    (None, "Điện Biên", "Dien Bien", 21.39, 103.02, "dien-bien"),
    (None, "Sơn La", "Son La", 21.33, 103.91, "son-la"),
    (None, "Lạng Sơn", "Lang Son", 21.85, 106.76, "lang-son"),
    (None, "Quảng Ninh", "Quang Ninh", 20.95, 107.08, "quang-ninh"),
    (None, "Thanh Hóa", "Thanh Hoa", 19.81, 105.78, "thanh-hoa"),
    (None, "Nghệ An", "Nghe An", 18.67, 105.69, "nghe-an"),
    (None, "Hà Tĩnh", "Ha Tinh", 18.34, 105.91, "ha-tinh"),
    (None, "Cao Bằng", "Cao Bang", 22.67, 106.26, "cao-bang"),
    (None, "Tuyên Quang", "Tuyen Quang", 21.82, 105.21, "tuyen-quang"),
    (None, "Lào Cai", "Lao Cai", 22.48, 103.97, "lao-cai"),
    (None, "Thái Nguyên", "Thai Nguyen", 21.59, 105.85, "thai-nguyen"),
    (None, "Phú Thọ", "Phu Tho", 21.32, 105.40, "phu-tho"),
    (None, "Bắc Ninh", "Bac Ninh", 21.19, 106.07, "bac-ninh"),
    (None, "Hưng Yên", "Hung Yen", 20.65, 106.05, "hung-yen"),
    (None, "Ninh Bình", "Ninh Binh", 20.25, 105.97, "ninh-binh"),
    (None, "Quảng Trị", "Quang Tri", 16.82, 107.10, "quang-tri"),
    (None, "Quảng Ngãi", "Quang Ngai", 15.12, 108.80, "quang-ngai"),
    (None, "Gia Lai", "Gia Lai", 13.98, 108.00, "gia-lai"),
    (None, "Khánh Hòa", "Khanh Hoa", 12.24, 109.19, "khanh-hoa"),
    (None, "Lâm Đồng", "Lam Dong", 11.94, 108.44, "lam-dong"),
    (None, "Đắk Lắk", "Dak Lak", 12.67, 108.04, "dak-lak"),
    (None, "Đồng Nai", "Dong Nai", 10.95, 106.82, "dong-nai"),
    (None, "Tây Ninh", "Tay Ninh", 11.31, 106.10, "tay-ninh"),
    (None, "Vĩnh Long", "Vinh Long", 10.25, 105.97, "vinh-long"),
    (None, "Đồng Tháp", "Dong Thap", 10.46, 105.63, "dong-thap"),
    (None, "Cà Mau", "Ca Mau", 9.18, 105.15, "ca-mau"),
    (None, "An Giang", "An Giang", 10.39, 105.43, "an-giang"),
    # Units whose name vanished into a merger.
    ("ha-giang", "Hà Giang", "Ha Giang", 22.82, 104.98, "tuyen-quang"),
    ("yen-bai", "Yên Bái", "Yen Bai", 21.72, 104.91, "lao-cai"),
    ("bac-kan", "Bắc Kạn", "Bac Kan", 22.15, 105.83, "thai-nguyen"),
    ("vinh-phuc", "Vĩnh Phúc", "Vinh Phuc", 21.31, 105.60, "phu-tho"),
    ("hoa-binh", "Hòa Bình", "Hoa Binh", 20.81, 105.34, "phu-tho"),
    ("bac-giang", "Bắc Giang", "Bac Giang", 21.27, 106.19, "bac-ninh"),
    ("thai-binh", "Thái Bình", "Thai Binh", 20.45, 106.34, "hung-yen"),
    ("hai-duong", "Hải Dương", "Hai Duong", 20.94, 106.32, "hai-phong"),
    ("ha-nam", "Hà Nam", "Ha Nam", 20.54, 105.91, "ninh-binh"),
    ("nam-dinh", "Nam Định", "Nam Dinh", 20.42, 106.17, "ninh-binh"),
    ("quang-binh", "Quảng Bình", "Quang Binh", 17.47, 106.62, "quang-tri"),
    ("quang-nam", "Quảng Nam", "Quang Nam", 15.57, 108.47, "da-nang"),
    ("kon-tum", "Kon Tum", "Kon Tum", 14.35, 108.00, "quang-ngai"),
    ("binh-dinh", "Bình Định", "Binh Dinh", 13.78, 109.22, "gia-lai"),
    ("ninh-thuan", "Ninh Thuận", "Ninh Thuan", 11.57, 108.99, "khanh-hoa"),
    ("dak-nong", "Đắk Nông", "Dak Nong", 12.00, 107.69, "lam-dong"),
    ("binh-thuan", "Bình Thuận", "Binh Thuan", 10.93, 108.10, "lam-dong"),
    ("phu-yen", "Phú Yên", "Phu Yen", 13.09, 109.30, "dak-lak"),
    ("binh-duong", "Bình Dương", "Binh Duong", 10.98, 106.65, "ho-chi-minh"),
    ("ba-ria-vung-tau", "Bà Rịa – Vũng Tàu", "Ba Ria-Vung Tau", 10.50, 107.17, "ho-chi-minh"),
    ("binh-phuoc", "Bình Phước", "Binh Phuoc", 11.54, 106.89, "dong-nai"),
    ("long-an", "Long An", "Long An", 10.54, 106.41, "tay-ninh"),
    ("soc-trang", "Sóc Trăng", "Soc Trang", 9.60, 105.97, "can-tho"),
    ("hau-giang", "Hậu Giang", "Hau Giang", 9.78, 105.47, "can-tho"),
    ("ben-tre", "Bến Tre", "Ben Tre", 10.24, 106.38, "vinh-long"),
    ("tra-vinh", "Trà Vinh", "Tra Vinh", 9.93, 106.35, "vinh-long"),
    ("tien-giang", "Tiền Giang", "Tien Giang", 10.36, 106.36, "dong-thap"),
    ("bac-lieu", "Bạc Liêu", "Bac Lieu", 9.29, 105.72, "ca-mau"),
    ("kien-giang", "Kiên Giang", "Kien Giang", 10.01, 105.08, "an-giang"),
)

# Other spellings people type, already in slug form (see _slug), and the code they mean.
_ALIASES: dict[str, str] = {
    "hcm": "ho-chi-minh",
    "hcmc": "ho-chi-minh",
    "tphcm": "ho-chi-minh",
    "sai-gon": "ho-chi-minh",
    "saigon": "ho-chi-minh",
    "haiphong": "hai-phong",
    "danang": "da-nang",
    "daklak": "dak-lak",
    "bac-can": "bac-kan",
    "brvt": "ba-ria-vung-tau",
    "vung-tau": "ba-ria-vung-tau",
    "tt-hue": "thua-thien-hue",
}

# Administrative words people put before or after a name: "Tỉnh Yên Bái", "TP. Huế",
# "Lao Cai Province". Matched on the slug, so "thành phố" is "thanh-pho".
_PREFIXES = ("thanh-pho-", "tp-", "tinh-")
_SUFFIXES = ("-province", "-city", "-tinh")

# Vietnamese alphabetical order (with f, j, w, z in their Latin places) and tone order
# (ngang, huyền, hỏi, ngã, sắc, nặng), as Vietnamese dictionaries sort.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A sort key giving Vietnamese dictionary order, case-insensitively.

    Letters compare first (``a < ă < â < b … d < đ``, a space before any letter), tones
    only to break ties (ngang, huyền, hỏi, ngã, sắc, nặng). Characters outside the
    alphabet sort after it by code point. Raises nothing.
    """
    letters: list[int] = []
    tones: list[int] = []
    for char in text.casefold():
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        tone = 0
        for mark in marks:
            if mark in _TONE_RANK:
                tone = _TONE_RANK[mark]
            else:
                base = _LETTER_MARKS.get((base, mark), base)
        if base.isspace():
            letters.append(-1)
        elif base in _LETTER_RANK:
            letters.append(_LETTER_RANK[base])
        else:
            letters.append(len(_ALPHABET) + ord(base))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def _build_places() -> tuple[Place, ...]:
    current = sorted(
        (Place(code, vi, en, lat, lon, None) for code, vi, en, lat, lon in _CURRENT),
        key=lambda place: (vietnamese_sort_key(place.name_vi), place.code),
    )
    former = sorted(
        (
            Place(code or f"{part_of}{FORMER_SUFFIX}", vi, en, lat, lon, part_of)
            for code, vi, en, lat, lon, part_of in _FORMER
        ),
        key=lambda place: (vietnamese_sort_key(place.name_vi), place.code),
    )
    return (*current, *former)


PLACES: tuple[Place, ...] = _build_places()
"""The 34 current units in Vietnamese alphabetical order, then the 63 former ones."""

CURRENT_PLACES: tuple[Place, ...] = tuple(place for place in PLACES if place.is_current)
"""Only the 34 units in force since 1 July 2025."""

_BY_CODE: dict[str, Place] = {place.code: place for place in PLACES}


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: "Tỉnh Đắk Lắk" -> "tinh-dak-lak"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")


def _build_index() -> dict[str, Place]:
    index: dict[str, Place] = {}
    # Current units first, so a name shared with a former unit means the current one.
    for place in sorted(PLACES, key=lambda place: not place.is_current):
        for key in (place.code, _slug(place.name_vi), _slug(place.name_en)):
            index.setdefault(key, place)
    for alias, code in _ALIASES.items():
        index.setdefault(alias, _BY_CODE[code])
    return index


_INDEX: dict[str, Place] = _build_index()


def find_place(code_or_name: str) -> Place | None:
    """The place with this code or name, or None when nothing matches.

    Accepts a code (``"yen-bai"``), a Vietnamese name with or without diacritics in any
    case (``"Yên Bái"``, ``"yen bai"``), an English name (``"Ho Chi Minh City"``), with or
    without "tỉnh", "thành phố", "TP." before it or "province"/"city" after it. A name
    shared by a current and a former unit means the current one. A name with a control,
    bidirectional or zero-width character (:func:`tem.validation.name_problem`) matches
    nothing. Raises nothing.
    """
    if name_problem(code_or_name[:200]) is not None:
        return None
    slug = _slug(code_or_name[:200])
    candidates = [slug]
    for prefix in _PREFIXES:
        if slug.startswith(prefix):
            candidates.append(slug.removeprefix(prefix))
    for candidate in list(candidates):
        for suffix in _SUFFIXES:
            if candidate.endswith(suffix):
                candidates.append(candidate.removesuffix(suffix))
    for candidate in candidates:
        if candidate in _INDEX:
            return _INDEX[candidate]
    return None


def current_unit(place: Place) -> Place:
    """The current unit a place is (or is now part of). Raises nothing."""
    if place.now_part_of is None:
        return place
    return _BY_CODE[place.now_part_of]


def _check_coordinates(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be a number from -90 to 90, not {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be a number from -180 to 180, not {lon!r}")


def valid_coordinates(lat: float, lon: float) -> bool:
    """True when ``lat`` is finite in [-90, 90] and ``lon`` finite in [-180, 180]."""
    try:
        _check_coordinates(lat, lon)
    except ValueError:
        return False
    return True


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two ``(lat, lon)`` points in degrees.

    The haversine formula on a sphere of radius 6371.0088 km (the IUGG mean radius);
    within 0.5 % of the ellipsoidal distance. Does not check its input: NaN in gives
    NaN out. Raises nothing for finite numbers.
    """
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    # Rounding can push h a hair past 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def coarse(lat: float, lon: float) -> tuple[float, float]:
    """``(lat, lon)`` rounded to 0.1° (about 11 km), the only precision a scan stores.

    Raises:
        ValueError: ``lat`` is not a finite number in [-90, 90] or ``lon`` not a finite
            number in [-180, 180].
    """
    _check_coordinates(lat, lon)
    # "+ 0.0" turns -0.0 into 0.0, so equal places compare and print equal.
    return (round(lat, COARSE_DECIMALS) + 0.0, round(lon, COARSE_DECIMALS) + 0.0)


def nearest_place(lat: float, lon: float) -> Place:
    """The current unit to name a coordinate by ("near Lào Cai").

    Compares the point with the seats of all units, current and former, and answers
    with the current unit the nearest seat belongs to: a point near the former seat of
    Yên Bái is "Lào Cai", a point near Pleiku is "Gia Lai" though the seat of today's
    Gia Lai is in Quy Nhơn. Points outside Vietnam get the nearest unit all the same.

    Raises:
        ValueError: the coordinates are out of range or not finite.
    """
    _check_coordinates(lat, lon)
    nearest = min(PLACES, key=lambda place: distance_km((lat, lon), place.centre))
    return current_unit(nearest)
