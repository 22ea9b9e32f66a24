"""Clone-detection rules: pure functions from a stamp's facts and scan history to findings.

A photocopied stamp carries a valid signature, so copies are caught from the scans of
its serial. Each rule is a small function ``(StampFacts, Thresholds) -> Finding | None``;
:func:`evaluate` runs them all and :func:`verdict_for` turns the findings into the verdict a
scan gets. Nothing here reads a database, the network or the clock: the caller passes the
facts, including ``now``. The rules, their defaults and what a shopper reads are written
up for cooperatives and inspectors in ``docs/clone-rules.md``; what a shopper reads is
worded by :mod:`tem.scans.wording` from the catalogue (:mod:`tem.words`).

Scans an inspector makes (``inspection=True``) are ignored by every rule: checking a stamp
must never make it look copied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any, Final, Literal

from tem.scans import wording
from tem.scans.places import EARTH_RADIUS_KM, distance_km, nearest_place

RuleName = Literal[
    "key_leak", "void", "recalled", "too_many_scans", "too_many_sessions", "impossible_travel"
]
Severity = Literal["critical", "high", "medium"]
ScanVerdict = Literal["invalid", "void", "recalled", "suspect"]

SEVERITY: Final[Mapping[RuleName, Severity]] = {
    "key_leak": "critical",
    "void": "high",
    "recalled": "high",
    "impossible_travel": "high",
    "too_many_scans": "medium",
    "too_many_sessions": "medium",
}

# The rules whose findings make a stamp "suspect" rather than settle its verdict outright.
SUSPECT_RULES: Final[frozenset[RuleName]] = frozenset(
    {"too_many_scans", "too_many_sessions", "impossible_travel"}
)

# Intervals longer than this (about 3,000 years) are treated as this long: the implied
# speed is then nil anyway, and the cap keeps float conversion of absurd inputs finite.
_MAX_INTERVAL_S: Final = 10**11

# Kilometres in one degree of a great circle.
_KM_PER_DEGREE: Final = EARTH_RADIUS_KM * math.pi / 180.0

_ENVIRONMENT_PREFIXES: Final = ("tem_clone_", "clone_")


@dataclass(frozen=True)
class Thresholds:
    """The tunable limits of the clone rules. Each default is explained beside it.

    Raises:
        ValueError: a limit is not a number, is not finite, or is out of range; the
            message names the field.
    """

    # A genuine unit is scanned by its buyer a few times (on the shelf, at home, when
    # showing it to family) and a gift box is passed around: 10-15 scans happen. A
    # stamp photocopied onto a run of jars soon passes 25.
    max_scans: int = 25
    # A browser session is one browser on one phone: the same phone counts twice if it
    # scans once from Zalo and once from the camera app's browser. A household and a
    # shop assistant rarely use more than three phones: six allows two browsers each.
    max_sessions: int = 6
    # Faster than any road or rail travel in Vietnam (expressways are limited to
    # 120 km/h, no line runs faster than about 90 km/h). A flight is faster: a jar
    # scanned at the departure gate and again on landing can exceed this, see the docs.
    max_speed_kmh: float = 300.0
    # Rounding to 0.1° moves each place by up to about 8 km, two places by up to 16 km,
    # and a phone's own fix from Wi-Fi or cell towers is often several km off. 30 km
    # covers both, so scans in neighbouring districts never count as travel.
    place_tolerance_km: float = 30.0
    # Two phones side by side can record scans in the same second. A floor on the
    # interval keeps a slightly wrong place from implying an infinite speed, while a copy
    # scanned 300 km away in the same minute still implies 16,200 km/h.
    min_interval_s: int = 60

    def __post_init__(self) -> None:
        _check_int("max_scans", self.max_scans, minimum=1)
        _check_int("max_sessions", self.max_sessions, minimum=1)
        _check_float("max_speed_kmh", self.max_speed_kmh, allow_zero=False)
        _check_float("place_tolerance_km", self.place_tolerance_km, allow_zero=True)
        _check_int("min_interval_s", self.min_interval_s, minimum=1)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Thresholds:
        """Thresholds from a mapping such as settings; absent keys keep their defaults.

        Keys are the field names, case-insensitive, optionally with the settings prefix
        ``TEM_CLONE_`` or ``clone_`` (``TEM_CLONE_MAX_SCANS``, ``clone_max_scans`` and
        ``max_scans`` are the same key). Values may be numbers or strings of numbers, as
        environment variables are. ``max_scans``, ``max_sessions`` and
        ``min_interval_s`` must be whole numbers of at least 1, ``max_speed_kmh`` a
        positive number and ``place_tolerance_km`` a number of at least 0.

        Raises:
            ValueError: an unknown or repeated key, or a value that is not a number or
                is out of range; the message names the field.
        """
        names = {field.name: field.type for field in fields(cls)}
        parsed: dict[str, Any] = {}
        for key, raw in values.items():
            name = _field_name(str(key))
            if name not in names:
                expected = ", ".join(names)
                raise ValueError(f"unknown clone threshold {key!r}; expected one of {expected}")
            if name in parsed:
                raise ValueError(f"clone threshold {name} is given twice")
            if names[name] in ("int", int):  # annotations are strings here, types elsewhere
                parsed[name] = _parse_int(name, raw)
            else:
                parsed[name] = _parse_float(name, raw)
        return cls(**parsed)


def _field_name(key: str) -> str:
    name = key.strip().lower()
    for prefix in _ENVIRONMENT_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def _check_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def _check_float(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "at least 0" if allow_zero else "greater than 0"
        raise ValueError(f"{name} must be {bound}, not {value}")


def _parse_int(name: str, raw: object) -> int:
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"{name} must be a whole number, not {raw!r}")
    return raw


def _parse_float(name: str, raw: object) -> float:
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"{name} must be a number, not {raw!r}")
    return float(raw)


DEFAULT_THRESHOLDS: Final = Thresholds()


@dataclass(frozen=True)
class ScanFact:
    """One recorded scan of a stamp.

    ``at`` is Unix seconds; ``session`` the anonymous per-browser session id; ``place``
    the coarse ``(lat, lon)`` when the shopper shared it, and ``place_name`` its name in
    words when the caller knows it; ``inspection`` marks an inspector's scan.
    """

    at: int
    session: str
    place: tuple[float, float] | None
    place_name: str | None
    inspection: bool = False
    network: str | None = None  # keyed hash of the client's /24 or /48; None if unknown
    place_verified: bool = True  # False: sent by an API client, kept but never counted

    @property
    def client(self) -> str:
        """Who scanned, as the rules count people: the network when known, so that one
        client rotating cookies counts once; else the browser session."""
        return f"n:{self.network}" if self.network else f"s:{self.session}"


@dataclass(frozen=True)
class StampFacts:
    """Everything the rules know about one stamp at the time of a scan.

    ``issued`` is False for a validly signed serial that was never issued. ``scans``
    holds every recorded scan including the current one, in any order, inspections
    included (the rules skip them). ``now`` is the time of evaluation in Unix seconds;
    no rule reads a clock, and none needs ``now`` today.
    """

    issued: bool
    void: bool
    voided_at: int | None
    void_reason: str | None
    batch_recalled: bool
    recall_reason: str | None
    recalled_at: int | None
    scans: Sequence[ScanFact]
    now: int
    reviewed_at: int | None = None  # an inspector's review: scans up to it are the baseline


@dataclass(frozen=True)
class Finding:
    """What one rule found: ``evidence`` is machine-readable (JSON-serialisable), and
    ``message`` the English sentence :func:`describe` builds from it (for logs and
    programs; readers get :func:`describe` in their language)."""

    rule: RuleName
    severity: Severity
    evidence: dict[str, Any]
    message: str


def _finding(rule: RuleName, evidence: dict[str, Any]) -> Finding:
    return Finding(rule, SEVERITY[rule], evidence, wording.sentence(rule, evidence, "en"))


# ---------------------------------------------------------------------------- helpers


def public_scans(facts: StampFacts) -> list[ScanFact]:
    """The scans the rules count: every scan that is not an inspector's, made after the
    last review of the stamp's history (if any). Raises nothing."""
    since = facts.reviewed_at
    return [
        scan for scan in facts.scans if not scan.inspection and (since is None or scan.at > since)
    ]


# A client's scans within one hour count as one towards too_many_scans: a bystander
# reloading a page (or a script calling the API) from one network adds one an hour.
SCAN_BUCKET_S: Final = 3600


def counted_scans(public: Sequence[ScanFact]) -> int:
    """Scans as too_many_scans counts them: one per client (network) per hour."""
    return len({(scan.client, scan.at // SCAN_BUCKET_S) for scan in public})


def counted_clients(public: Sequence[ScanFact]) -> int:
    """Distinct clients: networks where known, else browser sessions."""
    return len({scan.client for scan in public})


def _located(scan: ScanFact) -> bool:
    """True when the scan has a place with coordinates in range (NaN and infinity are not)."""
    place = scan.place
    return place is not None and -90.0 <= place[0] <= 90.0 and -180.0 <= place[1] <= 180.0


def _place_label(scan: ScanFact) -> str | None:
    """The scan's place in words: its own name, else the unit its coordinates fall near."""
    if scan.place_name and scan.place_name.strip():
        return scan.place_name.strip()
    if scan.place is not None and _located(scan):
        return nearest_place(scan.place[0], scan.place[1]).name_vi
    return None


def _history(public: Sequence[ScanFact]) -> dict[str, Any]:
    """Counts, the first scan's time and the first place any scan was seen at."""
    # Written out rather than calling _located per scan: this runs over every scan.
    placed = [
        scan
        for scan in public
        if (scan.place_name and not scan.place_name.isspace())
        or (
            (place := scan.place) is not None
            and -90.0 <= place[0] <= 90.0
            and -180.0 <= place[1] <= 180.0
        )
    ]
    first_placed_at = min((scan.at for scan in placed), default=None)
    # Ties on the time are broken on the place, so the answer does not depend on order.
    first_placed = min(
        (scan for scan in placed if scan.at == first_placed_at),
        key=lambda scan: (scan.place_name or "", scan.place or (0.0, 0.0)),
        default=None,
    )
    return {
        "scans": len(public),
        "sessions": counted_clients(public),
        "first_at": min((scan.at for scan in public), default=None),
        "first_place": _place_label(first_placed) if first_placed is not None else None,
    }


# ------------------------------------------------------------------------------ rules


def rule_key_leak(facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Finding | None:
    """A validly signed serial that was never issued: the signing key has leaked.

    Fires whenever ``facts.issued`` is False, however few the scans. Raises nothing.
    """
    if facts.issued:
        return None
    return _finding("key_leak", _history(public_scans(facts)))


def rule_void(facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Finding | None:
    """The stamp was voided (by its cooperative or an inspector).

    Fires whenever the stamp is void, so the shopper always sees it; the evidence counts
    the public scans strictly after ``voided_at`` (None when that time is unknown).
    Raises nothing.
    """
    if not facts.void:
        return None
    after: int | None = None
    if facts.voided_at is not None:
        voided_at = facts.voided_at
        after = sum(1 for scan in public_scans(facts) if scan.at > voided_at)
    return _finding(
        "void",
        {"voided_at": facts.voided_at, "reason": facts.void_reason, "scans_after_void": after},
    )


def rule_recalled(facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Finding | None:
    """The stamp's batch was recalled. Raises nothing."""
    if not facts.batch_recalled:
        return None
    return _finding("recalled", {"recalled_at": facts.recalled_at, "reason": facts.recall_reason})


def rule_too_many_scans(
    facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Finding | None:
    """More public scans than ``thresholds.max_scans`` (exactly the limit is fine).

    Raises nothing.
    """
    public = public_scans(facts)
    counted = counted_scans(public)
    if counted <= thresholds.max_scans:
        return None
    return _finding(
        "too_many_scans",
        {**_history(public), "counted": counted, "threshold": thresholds.max_scans},
    )


def rule_too_many_sessions(
    facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Finding | None:
    """More distinct browser sessions than ``thresholds.max_sessions`` (exactly is fine).

    Raises nothing.
    """
    public = public_scans(facts)
    if counted_clients(public) <= thresholds.max_sessions:
        return None
    return _finding("too_many_sessions", {**_history(public), "threshold": thresholds.max_sessions})


def rule_impossible_travel(
    facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Finding | None:
    """Two consecutive located scans too far apart for the time between them.

    Public scans with a valid place are sorted by time (one sort, O(n log n)); for each
    consecutive pair the implied speed is ``max(0, distance - place_tolerance_km)`` over
    ``max(interval, min_interval_s)``. The pair with the highest speed is reported when
    that speed exceeds ``max_speed_kmh`` (exactly the limit is fine). Raises nothing.
    """
    scans = facts.scans
    since = facts.reviewed_at
    # (time, lat, lon, name, index): sorting on everything but the index makes the answer
    # independent of the input's order; the index only tells identical scans apart. Only
    # places the shopper gave on the page's own form count (never an API client's).
    located = [
        (scan.at, place[0], place[1], scan.place_name or "", index)
        for index, scan in enumerate(scans)
        if not scan.inspection
        and scan.place_verified
        and (since is None or scan.at > since)
        and (place := scan.place) is not None
        and -90.0 <= place[0] <= 90.0
        and -180.0 <= place[1] <= 180.0
    ]
    located.sort()
    tolerance = thresholds.place_tolerance_km
    floor = thresholds.min_interval_s
    to_beat = thresholds.max_speed_kmh  # the speed a pair must exceed to be reported
    worst: tuple[float, float, int, int] | None = None
    for (at1, lat1, lon1, _, index1), (at2, lat2, lon2, _, index2) in pairwise(located):
        if lat1 == lat2 and lon1 == lon2:
            continue
        interval = at2 - at1
        if interval < floor:
            interval = floor
        elif interval > _MAX_INTERVAL_S:
            interval = _MAX_INTERVAL_S
        # A cheap upper bound on the distance skips pairs that cannot beat the worst so far:
        # the great circle is no longer than going along a meridian, then a parallel, and
        # a degree of either is at most _KM_PER_DEGREE. The factor absorbs float rounding.
        bound = (abs(lat2 - lat1) + abs(lon2 - lon1)) * _KM_PER_DEGREE * (1 + 1e-9)
        if bound <= to_beat * interval / 3600.0 + tolerance:
            continue
        distance = distance_km((lat1, lon1), (lat2, lon2))
        speed = (distance - tolerance) * 3600.0 / interval
        if speed > to_beat:
            worst, to_beat = (speed, distance, index1, index2), speed
    if worst is None:
        return None
    speed, distance, earlier_index, later_index = worst
    earlier, later = scans[earlier_index], scans[later_index]
    return _finding(
        "impossible_travel",
        {
            "from_at": earlier.at,
            "from_place": _place_label(earlier),
            "from_coords": list(earlier.place or ()),
            "to_at": later.at,
            "to_place": _place_label(later),
            "to_coords": list(later.place or ()),
            "distance_km": round(distance, 1),
            "interval_s": later.at - earlier.at,
            "speed_kmh": round(speed, 1),
            "threshold_kmh": thresholds.max_speed_kmh,
            "tolerance_km": thresholds.place_tolerance_km,
        },
    )


Rule = Callable[[StampFacts, Thresholds], Finding | None]

RULES: Final[tuple[Rule, ...]] = (
    rule_key_leak,
    rule_void,
    rule_recalled,
    rule_too_many_scans,
    rule_too_many_sessions,
    rule_impossible_travel,
)


def evaluate(facts: StampFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    """Every finding about a stamp, in the order of :data:`RULES`. Raises nothing."""
    return [finding for rule in RULES if (finding := rule(facts, thresholds)) is not None]


def verdict_for(findings: Iterable[Finding]) -> ScanVerdict | None:
    """The verdict a scan gets from its findings, or None when "genuine" stands.

    Precedence: ``invalid`` (key leak: the serial was never issued), then ``void``, then
    ``recalled``, then ``suspect`` (too many scans or sessions, impossible travel).
    Findings of unknown rules are ignored. Raises nothing.
    """
    rules = {finding.rule for finding in findings}
    if "key_leak" in rules:
        return "invalid"
    if "void" in rules:
        return "void"
    if "recalled" in rules:
        return "recalled"
    if rules & SUSPECT_RULES:
        return "suspect"
    return None


# ---------------------------------------------------------------------------- wording


def describe(finding: Finding, lang: str) -> str:
    """The finding in plain words for a shopper, from its evidence alone
    (:func:`tem.scans.wording.describe`).

    ``lang`` is ``"vi"`` (Vietnamese, with diacritics, dates as 03/03/2026) or ``"en"``
    (dates as 3 March 2026); a region such as ``"vi-VN"`` is accepted and ignored. Times
    are shown in Vietnam time (UTC+07:00).

    Raises:
        ValueError: the language is neither Vietnamese nor English, or the finding's rule
            is not one of the known rules.
    """
    return wording.describe(finding.rule, finding.evidence, lang)
