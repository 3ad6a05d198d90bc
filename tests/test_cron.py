"""Five-field cron expressions: parsing, next firing times, time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scanner.cron import CronError, CronSchedule

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def _next(expr: str, after: datetime, zone: ZoneInfo = UTC_ZONE, count: int = 1) -> list[str]:
    schedule = CronSchedule.parse(expr)
    times = []
    moment = after
    for _ in range(count):
        fire = schedule.next_after(moment, zone)
        assert fire is not None
        times.append(fire.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
        moment = fire
    return times


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_steps_ranges_and_weekday_names() -> None:
    # Friday 2026-11-27 17:50 -> the next weekday 09:00 is Monday the 30th.
    assert _next("*/15 9-17 * * mon-fri", at("2026-11-27 17:40"), count=3) == [
        "2026-11-27 17:45",
        "2026-11-30 09:00",
        "2026-11-30 09:15",
    ]


def test_strictly_after_and_seconds_ignored() -> None:
    assert _next("30 * * * *", at("2026-01-01 10:30:00")) == ["2026-01-01 11:30"]
    assert _next("30 * * * *", at("2026-01-01 10:29:59")) == ["2026-01-01 10:30"]


def test_lists_month_names_and_sunday_as_7() -> None:
    assert _next("0 6 1 jan,jul *", at("2026-02-01 00:00"), count=2) == [
        "2026-07-01 06:00",
        "2027-01-01 06:00",
    ]
    assert _next("0 0 * * 7", at("2026-11-23 00:00")) == _next("0 0 * * sun", at("2026-11-23"))
    assert _next("0 0 * * 0", at("2026-11-23 00:00")) == ["2026-11-29 00:00"]


def test_day_of_month_or_day_of_week_when_both_restricted() -> None:
    # The 13th or any Friday, whichever comes first (Vixie cron).
    assert _next("0 0 13 * fri", at("2026-11-01 00:00"), count=3) == [
        "2026-11-06 00:00",
        "2026-11-13 00:00",
        "2026-11-20 00:00",
    ]
    # A starred day-of-month with a step still counts as unrestricted: both must match.
    assert _next("0 0 */2 * mon", at("2026-11-23 00:00")) == ["2026-12-07 00:00"]


@pytest.mark.parametrize(
    ("shorthand", "expected"),
    [
        ("@hourly", "2026-11-23 11:00"),
        ("@daily", "2026-11-24 00:00"),
        ("@midnight", "2026-11-24 00:00"),
        ("@weekly", "2026-11-29 00:00"),
        ("@monthly", "2026-12-01 00:00"),
        ("@yearly", "2027-01-01 00:00"),
        ("@annually", "2027-01-01 00:00"),
    ],
)
def test_shorthands(shorthand: str, expected: str) -> None:
    assert _next(shorthand, at("2026-11-23 10:15")) == [expected]


def test_leap_day_and_never() -> None:
    assert _next("0 0 29 2 *", at("2026-11-23 00:00")) == ["2028-02-29 00:00"]
    assert CronSchedule.parse("0 0 30 2 *").next_after(at("2026-01-01 00:00"), UTC_ZONE) is None


def test_time_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    assert _next("0 9 * * *", at("2026-11-23 00:00"), new_york) == ["2026-11-23 14:00"]
    assert _next("0 9 * * *", at("2026-07-01 00:00"), new_york) == ["2026-07-01 13:00"]


def test_daylight_saving_skipped_time_does_not_fire() -> None:
    # Berlin skips 02:00-03:00 local on 2026-03-29: 02:30 that day does not exist.
    assert _next("30 2 * * *", at("2026-03-28 00:00"), BERLIN, count=2) == [
        "2026-03-28 01:30",  # 02:30 CET
        "2026-03-30 00:30",  # 02:30 CEST
    ]


def test_daylight_saving_repeated_time_fires_once() -> None:
    # Berlin repeats 02:00-03:00 local on 2026-10-25: 00:00-01:00 UTC in CEST, then
    # 01:00-02:00 UTC in CET. A wall time fires at its first occurrence only.
    assert _next("30 2 * * *", at("2026-10-24 12:00"), BERLIN, count=2) == [
        "2026-10-25 00:30",
        "2026-10-26 01:30",
    ]
    assert _next("*/30 * * * *", at("2026-10-25 00:45"), BERLIN, count=3) == [
        "2026-10-25 02:00",  # 03:00 CET; 02:00 and 02:30 CET repeat fired wall times
        "2026-10-25 02:30",
        "2026-10-25 03:00",
    ]


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("* * * *", "5 fields"),
        ("* * * * * *", "5 fields"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("* 24 * * *", "hour: 24 is outside 0-23"),
        ("* * 0 * *", "day-of-month: 0 is outside 1-31"),
        ("* * * 13 *", "month: 13 is outside 1-12"),
        ("* * * * 8", "day-of-week: 8 is outside 0-7"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "bad step"),
        ("*/x * * * *", "bad step"),
        ("1,,2 * * * *", "empty item"),
        ("* * * foo *", "'foo' is not a number"),
        ("-1 * * * *", "not a number"),
    ],
)
def test_invalid(expr: str, words: str) -> None:
    with pytest.raises(CronError, match=words):
        CronSchedule.parse(expr)
