"""Counts, days, moments and durations inside sentences, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tem.words import format_count, format_day, format_duration, format_moment

# 02:00 UTC on 3 March 2026 is 09:00 in Vietnam; 20:30 UTC on 2 March is 03:30 on 3 March.
MORNING = int(datetime(2026, 3, 3, 2, 0, tzinfo=UTC).timestamp())
LATE = int(datetime(2026, 3, 2, 20, 30, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [(0, "0", "0"), (999, "999", "999"), (12345, "12.345", "12,345"), (1484.6, "1.485", "1,485")],
)
def test_format_count(value: float, vi: str, en: str) -> None:
    assert format_count(value, "vi") == vi
    assert format_count(value, "en") == en


def test_format_day_is_in_vietnam_time() -> None:
    assert format_day(LATE, "vi") == "03/03/2026"
    assert format_day(LATE, "en") == "3 March 2026"


def test_format_moment() -> None:
    assert format_moment(MORNING, "vi") == "09:00 ngày 03/03/2026"
    assert format_moment(MORNING, "en") == "09:00 on 3 March 2026"


def test_a_time_no_calendar_holds_is_named_by_its_number() -> None:
    huge = 10**20
    assert format_day(huge, "en") == f"Unix time {huge}"
    assert format_day(huge, "vi") == f"thời điểm Unix {huge}"
    assert format_moment(huge, "en") == f"Unix time {huge}"


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (0, "chưa đầy 1 phút", "less than a minute"),
        (59, "chưa đầy 1 phút", "less than a minute"),
        (60, "1 phút", "1 minute"),
        (119 * 60, "119 phút", "119 minutes"),
        (120 * 60, "2 giờ", "2 hours"),
        (47 * 3600, "47 giờ", "47 hours"),
        (48 * 3600, "2 ngày", "2 days"),
        (1500 * 86400, "1.500 ngày", "1,500 days"),
    ],
)
def test_format_duration(seconds: int, vi: str, en: str) -> None:
    assert format_duration(seconds, "vi") == vi
    assert format_duration(seconds, "en") == en
