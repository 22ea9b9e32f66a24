"""The clone-detection rules: boundaries, inspections, travel, verdicts, wording, thresholds."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.scans.places import PLACES, coarse, distance_km, find_place
from tem.scans.rules import (
    RULES,
    Finding,
    ScanFact,
    StampFacts,
    Thresholds,
    describe,
    evaluate,
    rule_impossible_travel,
    rule_key_leak,
    rule_recalled,
    rule_too_many_scans,
    rule_too_many_sessions,
    rule_void,
    verdict_for,
)

# 09:00 on 3 March 2026 in Vietnam (UTC+07:00) is 02:00 UTC.
T0 = int(datetime(2026, 3, 3, 2, 0, tzinfo=UTC).timestamp())
MINUTE, HOUR, DAY = 60, 3600, 86400


def centre(code: str) -> tuple[float, float]:
    found = find_place(code)
    assert found is not None
    return coarse(found.lat, found.lon)


LAO_CAI_CITY = centre("lao-cai-pre-2025")
CA_MAU = centre("ca-mau")
HA_NOI = centre("ha-noi")
BAC_NINH = centre("bac-ninh")


def scan(
    at: int = T0,
    session: str = "s1",
    place: tuple[float, float] | None = None,
    place_name: str | None = None,
    *,
    inspection: bool = False,
) -> ScanFact:
    return ScanFact(at, session, place, place_name, inspection)


def facts(scans: list[ScanFact] | None = None, **changes: Any) -> StampFacts:
    base = StampFacts(
        issued=True,
        void=False,
        voided_at=None,
        void_reason=None,
        batch_recalled=False,
        recall_reason=None,
        recalled_at=None,
        scans=scans or [],
        now=T0 + 30 * DAY,
    )
    return replace(base, **changes)


def rules_of(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def finding(rule: str, evidence: dict[str, Any]) -> Finding:
    return Finding(rule, "medium", evidence, "")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- a genuine stamp


def test_genuine_stamp_has_no_findings() -> None:
    history = [scan(T0, "a", HA_NOI, "Hà Nội"), scan(T0 + DAY, "b", HA_NOI, "Hà Nội")]
    assert evaluate(facts(history)) == []
    assert verdict_for([]) is None


# --------------------------------------------------------------------------- count rules


def test_scans_exactly_at_the_limit_are_not_suspect() -> None:
    history = [scan(T0 + i * MINUTE) for i in range(25)]
    assert rule_too_many_scans(facts(history)) is None
    assert evaluate(facts(history)) == []


def test_one_scan_over_the_limit_is_suspect() -> None:
    history = [scan(T0 + i * HOUR) for i in range(26)]  # one client counts once an hour
    found = rule_too_many_scans(facts(history))
    assert found is not None
    assert (found.rule, found.severity) == ("too_many_scans", "medium")
    assert found.evidence["scans"] == 26
    assert found.evidence["sessions"] == 1
    assert found.evidence["threshold"] == 25
    assert found.evidence["first_at"] == T0
    assert verdict_for([found]) == "suspect"


def test_sessions_exactly_at_the_limit_are_not_suspect() -> None:
    history = [scan(T0 + i, f"phone-{i}") for i in range(6)] * 2
    assert rule_too_many_sessions(facts(history)) is None


def test_one_session_over_the_limit_is_suspect() -> None:
    history = [scan(T0 + i, f"phone-{i}") for i in range(7)]
    found = rule_too_many_sessions(facts(history))
    assert found is not None
    assert (found.rule, found.severity) == ("too_many_sessions", "medium")
    assert found.evidence["sessions"] == 7
    assert found.evidence["threshold"] == 6


def test_thresholds_move_the_limits() -> None:
    history = [scan(T0 + i * HOUR, f"phone-{i % 3}") for i in range(10)]
    assert evaluate(facts(history), Thresholds(max_scans=10, max_sessions=3)) == []
    tight = Thresholds(max_scans=9, max_sessions=2)
    assert rules_of(evaluate(facts(history), tight)) == ["too_many_scans", "too_many_sessions"]


def test_first_place_is_the_earliest_scan_with_a_place() -> None:
    history = [
        scan(T0 + 5 * DAY, "c", CA_MAU, "Cà Mau"),
        scan(T0, "a"),  # the first scan shared no place
        scan(T0 + HOUR, "b", LAO_CAI_CITY, "Lào Cai"),
        *[scan(T0 + 2 * DAY + i * HOUR, "d") for i in range(30)],
    ]
    found = rule_too_many_scans(facts(history))
    assert found is not None
    assert found.evidence["first_at"] == T0
    assert found.evidence["first_place"] == "Lào Cai"


def test_a_place_without_a_name_is_named_from_the_gazetteer() -> None:
    history = [scan(T0, "a", LAO_CAI_CITY, None)] + [scan(T0 + i * DAY, "a") for i in range(30)]
    found = rule_too_many_scans(facts(history))
    assert found is not None
    assert found.evidence["first_place"] == "Lào Cai"


# --------------------------------------------------------------------------- inspections


def test_inspections_never_count() -> None:
    public = [scan(T0 + i * MINUTE, "shopper", HA_NOI, "Hà Nội") for i in range(25)]
    inspections = [
        scan(T0 + i, f"inspector-{i}", CA_MAU if i % 2 else LAO_CAI_CITY, inspection=True)
        for i in range(200)
    ]
    assert evaluate(facts(public + inspections)) == []


def test_inspections_are_not_scans_after_voiding() -> None:
    history = [scan(T0, "a"), scan(T0 + DAY, "inspector", inspection=True)]
    found = rule_void(facts(history, void=True, voided_at=T0 + HOUR))
    assert found is not None
    assert found.evidence["scans_after_void"] == 0


# -------------------------------------------------------------------------------- travel


def test_lao_cai_to_ca_mau_in_ten_minutes_is_impossible() -> None:
    history = [
        scan(T0, "a", LAO_CAI_CITY, "Lào Cai"),
        scan(T0 + 10 * MINUTE, "b", CA_MAU, "Cà Mau"),
    ]
    found = rule_impossible_travel(facts(history))
    assert found is not None
    assert (found.rule, found.severity) == ("impossible_travel", "high")
    evidence = found.evidence
    assert (evidence["from_place"], evidence["to_place"]) == ("Lào Cai", "Cà Mau")
    assert (evidence["from_at"], evidence["to_at"], evidence["interval_s"]) == (
        T0,
        T0 + 600,
        600,
    )
    assert evidence["distance_km"] == pytest.approx(1480, abs=30)
    assert evidence["speed_kmh"] == pytest.approx((evidence["distance_km"] - 30) * 6, rel=1e-3)
    assert verdict_for([found]) == "suspect"


def test_hanoi_to_bac_ninh_in_two_hours_is_fine() -> None:
    history = [scan(T0, "a", HA_NOI, "Hà Nội"), scan(T0 + 2 * HOUR, "b", BAC_NINH, "Bắc Ninh")]
    assert rule_impossible_travel(facts(history)) is None


def test_same_coarse_place_many_times_in_the_same_second_is_fine() -> None:
    history = [scan(T0, f"s{i}", HA_NOI) for i in range(100)]
    assert rule_impossible_travel(facts(history)) is None


def test_neighbouring_places_within_the_tolerance_are_fine() -> None:
    # 0.2° of latitude is 22 km: inside the 30 km tolerance even at the same second.
    history = [scan(T0, "a", (21.0, 105.8)), scan(T0, "b", (21.2, 105.8))]
    assert rule_impossible_travel(facts(history)) is None


def test_the_interval_floor_keeps_simultaneous_scans_finite() -> None:
    # 0.4° (44.5 km) apart in the same second: 14.5 km beyond the tolerance over the
    # 60 s floor is 870 km/h, reported with a finite speed.
    history = [scan(T0, "a", (21.0, 105.8)), scan(T0, "b", (21.4, 105.8))]
    found = rule_impossible_travel(facts(history))
    assert found is not None
    assert found.evidence["interval_s"] == 0
    assert found.evidence["speed_kmh"] == pytest.approx(870, abs=5)
    assert math.isfinite(found.evidence["speed_kmh"])


def test_speed_exactly_at_the_limit_is_not_suspect() -> None:
    a, b = (21.0, 105.8), (23.0, 105.8)
    history = [scan(T0, "a", a), scan(T0 + HOUR, "b", b)]
    # The documented formula: (distance - tolerance) / max(interval, floor).
    speed = (distance_km(a, b) - 30.0) * 3600.0 / HOUR
    assert rule_impossible_travel(facts(history), Thresholds(max_speed_kmh=speed)) is None
    just_below = Thresholds(max_speed_kmh=math.nextafter(speed, 0.0))
    assert rule_impossible_travel(facts(history), just_below) is not None


def test_the_worst_pair_is_reported() -> None:
    history = [
        scan(T0, "a", HA_NOI, "Hà Nội"),
        scan(T0 + 2 * HOUR, "b", centre("hue"), "Huế"),  # 540 km in 2 h: 255 km/h, fine
        scan(T0 + 3 * HOUR, "c", CA_MAU, "Cà Mau"),  # 900 km in 1 h: impossible
        scan(T0 + 4 * HOUR, "d", LAO_CAI_CITY, "Lào Cai"),  # 1,480 km in 1 h: the worst
        scan(T0 + 30 * DAY, "e", HA_NOI, "Hà Nội"),
    ]
    found = rule_impossible_travel(facts(history))
    assert found is not None
    assert (found.evidence["from_place"], found.evidence["to_place"]) == ("Cà Mau", "Lào Cai")


def test_travel_ignores_order_and_unusable_places() -> None:
    history = [
        scan(T0, "a", LAO_CAI_CITY, "Lào Cai"),
        scan(T0 + 5 * MINUTE, "x", (math.nan, 105.0)),
        scan(T0 + 6 * MINUTE, "y", (91.0, 105.0)),
        scan(T0 + 7 * MINUTE, "z", None, "Hà Nội"),
        scan(T0 + 10 * MINUTE, "b", CA_MAU, "Cà Mau"),
    ]
    expected = evaluate(facts(history))
    for seed in range(5):
        shuffled = history[:]
        random.Random(seed).shuffle(shuffled)
        assert evaluate(facts(shuffled)) == expected
    assert rules_of(expected) == ["impossible_travel"]


def test_ten_thousand_scans_of_a_copied_stamp() -> None:
    rng = random.Random(7)
    centres = [coarse(p.lat, p.lon) for p in PLACES]
    history = [
        scan(T0 + rng.randrange(30 * DAY), f"s{rng.randrange(900)}", rng.choice(centres))
        for _ in range(10_000)
    ]
    findings = evaluate(facts(history))
    assert rules_of(findings) == ["too_many_scans", "too_many_sessions", "impossible_travel"]
    assert findings[0].evidence["scans"] == 10_000


# ------------------------------------------------------------------- void, recall, leak


def test_void_stamp_counts_scans_strictly_after_voiding() -> None:
    voided_at = T0 + DAY
    history = [scan(T0), scan(voided_at), scan(voided_at + 1), scan(voided_at + DAY)]
    found = rule_void(facts(history, void=True, voided_at=voided_at, void_reason="stolen roll"))
    assert found is not None
    assert (found.rule, found.severity) == ("void", "high")
    assert found.evidence == {
        "voided_at": voided_at,
        "reason": "stolen roll",
        "scans_after_void": 2,
    }
    assert verdict_for([found]) == "void"


def test_void_fires_even_without_a_scan_after_it_or_a_time() -> None:
    found = rule_void(facts([scan(T0)], void=True, voided_at=T0 + DAY))
    assert found is not None
    assert found.evidence["scans_after_void"] == 0
    unknown_time = rule_void(facts([scan(T0)], void=True))
    assert unknown_time is not None
    assert unknown_time.evidence["scans_after_void"] is None
    assert rule_void(facts([scan(T0)], voided_at=T0)) is None  # not void: nothing to say


def test_recalled_batch() -> None:
    found = rule_recalled(
        facts([scan(T0)], batch_recalled=True, recalled_at=T0 + DAY, recall_reason="mould")
    )
    assert found is not None
    assert (found.rule, found.severity) == ("recalled", "high")
    assert found.evidence == {"recalled_at": T0 + DAY, "reason": "mould"}
    assert rule_recalled(facts([scan(T0)])) is None


def test_key_leak_is_critical_even_on_the_first_scan() -> None:
    found = rule_key_leak(facts([scan(T0, "a", LAO_CAI_CITY, "Lào Cai")], issued=False))
    assert found is not None
    assert (found.rule, found.severity) == ("key_leak", "critical")
    assert found.evidence["scans"] == 1
    assert found.evidence["first_place"] == "Lào Cai"
    assert rule_key_leak(facts([], issued=False)) is not None
    assert rule_key_leak(facts([scan(T0)])) is None


def test_evaluate_runs_every_rule_in_order() -> None:
    history = [scan(T0 + i, f"s{i}", LAO_CAI_CITY if i % 2 else CA_MAU) for i in range(40)]
    everything = facts(
        history, issued=False, void=True, voided_at=T0, batch_recalled=True, recalled_at=T0
    )
    assert rules_of(evaluate(everything)) == [rule.__name__.removeprefix("rule_") for rule in RULES]


def test_evidence_is_json() -> None:
    history = [scan(T0 + i, f"s{i}", LAO_CAI_CITY if i % 2 else CA_MAU) for i in range(40)]
    everything = facts(history, issued=False, void=True, voided_at=T0, batch_recalled=True)
    for found in evaluate(everything):
        assert json.loads(json.dumps(found.evidence)) == found.evidence


# -------------------------------------------------------------------------- verdict_for

PRECEDENCE = [
    (["key_leak", "void", "recalled", "too_many_scans"], "invalid"),
    (["too_many_scans", "recalled", "void"], "void"),
    (["impossible_travel", "recalled"], "recalled"),
    (["too_many_sessions", "too_many_scans"], "suspect"),
    (["impossible_travel"], "suspect"),
    (["too_many_sessions"], "suspect"),
    (["key_leak"], "invalid"),
    ([], None),
    (["some_future_rule"], None),
]


@pytest.mark.parametrize(("rules", "verdict"), PRECEDENCE)
def test_verdict_precedence(rules: list[str], verdict: str | None) -> None:
    findings = [finding(rule, {}) for rule in rules]
    assert verdict_for(findings) == verdict
    assert verdict_for(reversed(findings)) == verdict


# ------------------------------------------------------------------------------ describe


def test_describe_counts_in_both_languages() -> None:
    evidence = {
        "scans": 37,
        "sessions": 12,
        "first_at": T0,
        "first_place": "Lào Cai",
        "threshold": 25,
    }
    found = finding("too_many_scans", evidence)
    assert (
        describe(found, "en")
        == "Scanned 37 times by 12 phones since 3 March 2026; first near Lào Cai."
    )
    assert describe(found, "vi") == (
        "Đã được quét 37 lần bởi 12 điện thoại kể từ 03/03/2026; lần đầu ở Lào Cai."
    )
    sessions = finding("too_many_sessions", evidence)
    assert describe(sessions, "en") == (
        "Scanned by 12 different phones (37 scans in all) since 3 March 2026; first near Lào Cai."
    )
    assert describe(sessions, "vi") == (
        "Đã được quét bởi 12 điện thoại khác nhau (tổng cộng 37 lần) kể từ 03/03/2026; "
        "lần đầu ở Lào Cai."
    )


def test_message_is_the_english_description() -> None:
    history = [scan(T0 + i * HOUR, f"s{i % 12}", LAO_CAI_CITY, "Lào Cai") for i in range(37)]
    found = rule_too_many_scans(facts(history))
    assert found is not None
    assert found.message == describe(found, "en")
    assert found.message == "Scanned 37 times by 12 phones since 3 March 2026; first near Lào Cai."


def test_dates_are_in_vietnam_time() -> None:
    # 20:30 UTC on 2 March is 03:30 on 3 March in Vietnam.
    late = int(datetime(2026, 3, 2, 20, 30, tzinfo=UTC).timestamp())
    found = finding("recalled", {"recalled_at": late, "reason": None})
    assert "03/03/2026" in describe(found, "vi")
    assert "3 March 2026" in describe(found, "en")
    travel = finding(
        "impossible_travel",
        {"from_at": late, "from_place": "A", "to_place": "B", "interval_s": 60, "distance_km": 90},
    )
    assert "03:30 ngày 03/03/2026" in describe(travel, "vi")
    assert "03:30 on 3 March 2026" in describe(travel, "en")


def test_describe_travel() -> None:
    history = [
        scan(T0, "a", LAO_CAI_CITY, "Lào Cai"),
        scan(T0 + 10 * MINUTE, "b", CA_MAU, "Cà Mau"),
    ]
    found = rule_impossible_travel(facts(history))
    assert found is not None
    distance = round(found.evidence["distance_km"])
    en, vi = describe(found, "en"), describe(found, "vi")
    assert en.startswith("Scanned near Lào Cai at 09:00 on 3 March 2026, then near Cà Mau")
    assert "10 minutes later" in en
    assert f"{distance:,} km" in en
    assert vi.startswith("Được quét ở Lào Cai lúc 09:00 ngày 03/03/2026, rồi ở Cà Mau")
    assert "10 phút sau" in vi
    assert f"{distance:,} km".replace(",", ".") in vi


@pytest.mark.parametrize(
    ("seconds", "en", "vi"),
    [
        (0, "less than a minute later", "chưa đầy 1 phút sau"),
        (60, "1 minute later", "1 phút sau"),
        (119 * MINUTE, "119 minutes later", "119 phút sau"),
        (5 * HOUR, "5 hours later", "5 giờ sau"),
        (3 * DAY, "3 days later", "3 ngày sau"),
    ],
)
def test_describe_travel_intervals(seconds: int, en: str, vi: str) -> None:
    evidence = {
        "from_at": T0,
        "from_place": "Lào Cai",
        "to_place": "Cà Mau",
        "interval_s": seconds,
        "distance_km": 1484.2,
    }
    assert en in describe(finding("impossible_travel", evidence), "en")
    assert vi in describe(finding("impossible_travel", evidence), "vi")


def test_describe_void() -> None:
    found = finding("void", {"voided_at": T0, "reason": "reported stolen", "scans_after_void": 4})
    assert describe(found, "en") == (
        "This stamp was voided on 3 March 2026 (reason: reported stolen) "
        "and has been scanned 4 times since."
    )
    assert describe(found, "vi") == (
        "Tem này đã bị hủy ngày 03/03/2026 (lý do: reported stolen) và đã được quét 4 lần kể từ đó."
    )
    bare = finding("void", {"voided_at": None, "reason": None, "scans_after_void": None})
    assert describe(bare, "en") == "This stamp was voided."
    assert describe(bare, "vi") == "Tem này đã bị hủy."
    once = finding("void", {"voided_at": T0, "reason": "", "scans_after_void": 1})
    assert (
        describe(once, "en")
        == "This stamp was voided on 3 March 2026 and has been scanned once since."
    )


def test_describe_recalled() -> None:
    found = finding("recalled", {"recalled_at": T0, "reason": "nấm mốc"})
    assert describe(found, "en") == (
        "The batch this product belongs to was recalled on 3 March 2026 (reason: nấm mốc)."
    )
    assert describe(found, "vi") == (
        "Lô hàng chứa sản phẩm này đã bị thu hồi ngày 03/03/2026 (lý do: nấm mốc)."
    )


def test_describe_key_leak() -> None:
    evidence = {"scans": 3, "sessions": 2, "first_at": T0, "first_place": "Cà Mau"}
    en = describe(finding("key_leak", evidence), "en")
    vi = describe(finding("key_leak", evidence), "vi")
    assert "never issued" in en
    assert "counterfeit" in en
    assert en.endswith("Scanned 3 times by 2 phones since 3 March 2026; first near Cà Mau.")
    assert "chưa từng được phát hành" in vi
    assert "hàng giả" in vi
    assert vi.endswith("Đã được quét 3 lần bởi 2 điện thoại kể từ 03/03/2026; lần đầu ở Cà Mau.")
    unscanned = {"scans": 0, "sessions": 0, "first_at": None, "first_place": None}
    assert "Scanned" not in describe(finding("key_leak", unscanned), "en")


def test_vietnamese_numbers_group_thousands_with_dots() -> None:
    evidence = {"scans": 12345, "sessions": 1000, "first_at": T0, "first_place": None}
    assert describe(finding("too_many_scans", evidence), "vi") == (
        "Đã được quét 12.345 lần bởi 1.000 điện thoại kể từ 03/03/2026."
    )
    assert describe(finding("too_many_scans", evidence), "en") == (
        "Scanned 12,345 times by 1,000 phones since 3 March 2026."
    )


def test_describe_accepts_a_region() -> None:
    found = finding("recalled", {"recalled_at": None, "reason": None})
    assert describe(found, "vi-VN") == describe(found, "vi")
    assert describe(found, "en_GB") == describe(found, "en")


def test_describe_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        describe(finding("recalled", {}), "fr")


def test_describe_unknown_rule() -> None:
    with pytest.raises(ValueError, match="no wording for clone rule 'cloned_stamp'"):
        describe(finding("cloned_stamp", {}), "en")


# ---------------------------------------------------------------------------- thresholds


def test_threshold_defaults() -> None:
    assert Thresholds() == Thresholds(
        max_scans=25,
        max_sessions=6,
        max_speed_kmh=300.0,
        place_tolerance_km=30.0,
        min_interval_s=60,
    )
    assert Thresholds.from_mapping({}) == Thresholds()


def test_thresholds_from_settings_names_and_strings() -> None:
    thresholds = Thresholds.from_mapping(
        {
            "TEM_CLONE_MAX_SCANS": "40",
            "clone_max_sessions": 8,
            "TEM_CLONE_MAX_SPEED_KMH": " 250.5 ",
            "place_tolerance_km": 0,
            "MIN_INTERVAL_S": 30.0,
        }
    )
    assert thresholds == Thresholds(40, 8, 250.5, 0.0, 30)
    assert isinstance(thresholds.min_interval_s, int)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"max_scans": 0}, "max_scans must be at least 1", id="zero_max_scans"),
        pytest.param({"max_scans": -5}, "max_scans must be at least 1", id="negative_max_scans"),
        pytest.param(
            {"max_scans": 2.5}, "max_scans must be a whole number", id="fractional_max_scans"
        ),
        pytest.param(
            {"max_scans": "many"}, "max_scans must be a whole number", id="word_max_scans"
        ),
        pytest.param(
            {"max_scans": True}, "max_scans must be a whole number", id="boolean_max_scans"
        ),
        pytest.param(
            {"max_sessions": None}, "max_sessions must be a whole number", id="null_max_sessions"
        ),
        pytest.param(
            {"max_sessions": "0"}, "max_sessions must be at least 1", id="zero_string_max_sessions"
        ),
        pytest.param({"max_speed_kmh": 0}, "max_speed_kmh must be greater than 0", id="zero_speed"),
        pytest.param(
            {"max_speed_kmh": -1.0}, "max_speed_kmh must be greater than 0", id="negative_speed"
        ),
        pytest.param(
            {"max_speed_kmh": "nan"}, "max_speed_kmh must be a finite number", id="nan_speed"
        ),
        pytest.param(
            {"max_speed_kmh": math.inf},
            "max_speed_kmh must be a finite number",
            id="infinite_speed",
        ),
        pytest.param({"max_speed_kmh": "fast"}, "max_speed_kmh must be a number", id="word_speed"),
        pytest.param(
            {"place_tolerance_km": -0.1},
            "place_tolerance_km must be at least 0",
            id="negative_tolerance",
        ),
        pytest.param(
            {"min_interval_s": 0}, "min_interval_s must be at least 1", id="zero_interval"
        ),
        pytest.param({"max_scan": 10}, "unknown clone threshold 'max_scan'", id="misspelt_key"),
        pytest.param(
            {"max_scans": 10, "TEM_CLONE_MAX_SCANS": 20},
            "clone threshold max_scans is given twice",
            id="repeated_key",
        ),
    ],
)
def test_bad_thresholds_are_refused_by_name(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds.from_mapping(values)


def test_thresholds_refuse_bad_values_when_built_directly() -> None:
    with pytest.raises(ValueError, match="max_sessions must be at least 1"):
        Thresholds(max_sessions=0)
    with pytest.raises(ValueError, match="max_speed_kmh must be a finite number"):
        Thresholds(max_speed_kmh=math.nan)


# ---------------------------------------------------------------------------- properties

CENTRES = [coarse(p.lat, p.lon) for p in PLACES]

places = st.one_of(
    st.none(),
    st.sampled_from(CENTRES),
    st.tuples(st.floats(), st.floats()),
)
scan_facts = st.builds(
    ScanFact,
    at=st.one_of(st.integers(T0 - DAY, T0 + 30 * DAY), st.integers()),
    session=st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]) | st.text(max_size=3),
    place=places,
    place_name=st.none() | st.sampled_from(["Lào Cai", "Cà Mau", " "]) | st.text(max_size=5),
    inspection=st.booleans(),
)
stamp_facts = st.builds(
    StampFacts,
    issued=st.booleans(),
    void=st.booleans(),
    voided_at=st.none() | st.integers(),
    void_reason=st.none() | st.text(max_size=10),
    batch_recalled=st.booleans(),
    recall_reason=st.none() | st.text(max_size=10),
    recalled_at=st.none() | st.integers(),
    scans=st.lists(scan_facts, max_size=60),
    now=st.integers(),
)
small_thresholds = st.builds(
    Thresholds,
    max_scans=st.integers(1, 30),
    max_sessions=st.integers(1, 8),
    max_speed_kmh=st.floats(0.001, 2000),
    place_tolerance_km=st.floats(0, 100),
    min_interval_s=st.integers(1, 600),
)


@settings(max_examples=300)
@given(stamp_facts, small_thresholds)
def test_evaluate_never_raises_and_always_explains(
    stamp: StampFacts, thresholds: Thresholds
) -> None:
    findings = evaluate(stamp, thresholds)
    assert verdict_for(findings) in {None, "invalid", "void", "recalled", "suspect"}
    for found in findings:
        assert found.message == describe(found, "en")
        assert describe(found, "vi")
        json.dumps(found.evidence)


@settings(max_examples=300)
@given(stamp_facts, small_thresholds, st.lists(scan_facts, min_size=1, max_size=5))
def test_adding_inspections_never_changes_the_findings(
    stamp: StampFacts, thresholds: Thresholds, extra: list[ScanFact]
) -> None:
    inspections = [replace(extra_scan, inspection=True) for extra_scan in extra]
    with_inspections = replace(stamp, scans=[*stamp.scans, *inspections])
    assert evaluate(with_inspections, thresholds) == evaluate(stamp, thresholds)


@given(stamp_facts, st.randoms(use_true_random=False))
def test_the_order_of_scans_never_matters(stamp: StampFacts, rng: random.Random) -> None:
    shuffled = list(stamp.scans)
    rng.shuffle(shuffled)
    assert evaluate(replace(stamp, scans=shuffled)) == evaluate(stamp)


# -------------------------------------------------------------------------- the docs page

DOC = Path(__file__).resolve().parents[2] / "docs" / "clone-rules.md"


def quoted_examples() -> set[str]:
    """The block quotes of docs/clone-rules.md, each joined into one line."""
    quotes = set()
    for paragraph in DOC.read_text(encoding="utf-8").split("\n\n"):
        lines = paragraph.strip().splitlines()
        if lines and all(line.startswith(">") for line in lines):
            quotes.add(" ".join(line.removeprefix(">").strip() for line in lines))
    return quotes


def test_docs_examples_are_what_describe_says() -> None:
    counts = {"scans": 37, "sessions": 12, "first_at": T0, "first_place": "Lào Cai"}
    leak = {"scans": 3, "sessions": 2, "first_at": T0, "first_place": "Cà Mau"}
    travel = rule_impossible_travel(
        facts([scan(T0, "a", LAO_CAI_CITY, "Lào Cai"), scan(T0 + 600, "b", CA_MAU, "Cà Mau")])
    )
    assert travel is not None
    examples = [
        (finding("key_leak", leak), "vi"),
        (finding("key_leak", leak), "en"),
        (
            finding("void", {"voided_at": T0, "reason": "cuộn tem bị mất", "scans_after_void": 4}),
            "vi",
        ),
        (
            finding(
                "void", {"voided_at": T0, "reason": "roll of stamps lost", "scans_after_void": 4}
            ),
            "en",
        ),
        (
            finding(
                "recalled",
                {"recalled_at": T0 + 2 * DAY, "reason": "nhãn thiếu thành phần gây dị ứng"},
            ),
            "vi",
        ),
        (
            finding(
                "recalled",
                {"recalled_at": T0 + 2 * DAY, "reason": "allergen missing from the label"},
            ),
            "en",
        ),
        (finding("too_many_scans", counts), "vi"),
        (finding("too_many_scans", counts), "en"),
        (finding("too_many_sessions", counts), "vi"),
        (finding("too_many_sessions", counts), "en"),
        (travel, "vi"),
        (travel, "en"),
    ]
    quotes = quoted_examples()
    for example, lang in examples:
        assert describe(example, lang) in quotes


def test_docs_name_the_settings() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("TEM_CLONE_MAX_SCANS", "TEM_CLONE_MAX_SESSIONS", "TEM_CLONE_MAX_SPEED_KMH"):
        assert name in text
