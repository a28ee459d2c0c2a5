"""The availability map: 168 letters, read in Brussels local time, DST nights included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.i18n import BRUSSELS
from bot.services.availability import (
    HOURS,
    WORKING_HOURS,
    AvailabilityMap,
    Level,
    add_working_hours,
)

DEFAULT = AvailabilityMap.default()
RED = AvailabilityMap.all(Level.RED)
ORANGE = AvailabilityMap.all(Level.ORANGE)
GREEN = AvailabilityMap.all(Level.GREEN)
SUNDAY_2 = RED.with_level(6, 2, Level.GREEN)  # the hour that is skipped or repeated
SUNDAY_3 = RED.with_level(6, 3, Level.GREEN)  # the hour after it
TUESDAY_14 = RED.with_level(1, 14, Level.GREEN)  # once a week
MONDAY, TUESDAY, WEDNESDAY, FRIDAY, SATURDAY, SUNDAY = 0, 1, 2, 4, 5, 6


def bx(*args: int, fold: int = 0) -> datetime:
    """A Brussels wall-clock time."""
    return datetime(*args, tzinfo=BRUSSELS, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the 168 letters ---------------------------------------------------------------------

@pytest.mark.parametrize("cells", [
    "", "g" * 167, "g" * 169, "x" * 168, "G" * 168, "g " * 84, "g" * 167 + "\n",
    "gor" * 55 + "gox",
], ids=["empty", "short", "long", "unknown letter", "capitals", "spaces", "newline",
        "one bad letter"])
def test_a_broken_map_is_refused(cells: str) -> None:
    with pytest.raises(ValueError, match="168 letters"):
        AvailabilityMap(cells)


@pytest.mark.parametrize("cells", ["gor" * 56, "g" * 168, "r" * 168, "o" * 168])
def test_a_well_formed_map_is_kept_as_is(cells: str) -> None:
    assert AvailabilityMap(cells).cells == cells


def test_the_first_letter_is_monday_midnight_and_the_last_sunday_23() -> None:
    amap = AvailabilityMap("g" + "r" * 166 + "o")
    assert amap.level(MONDAY, 0) is Level.GREEN
    assert amap.level(MONDAY, 1) is Level.RED
    assert amap.level(SUNDAY, 23) is Level.ORANGE


@pytest.mark.parametrize(("weekday", "hour", "expected"), [
    (MONDAY, 0, Level.RED),
    (MONDAY, 8, Level.RED),
    (MONDAY, 9, Level.GREEN),
    (MONDAY, 11, Level.GREEN),
    (MONDAY, 12, Level.ORANGE),
    (MONDAY, 13, Level.GREEN),
    (WEDNESDAY, 12, Level.ORANGE),
    (FRIDAY, 16, Level.GREEN),
    (FRIDAY, 17, Level.RED),
    (FRIDAY, 23, Level.RED),
    (SATURDAY, 10, Level.RED),
    (SUNDAY, 10, Level.RED),
])
def test_the_default_is_a_school_day(weekday: int, hour: int, expected: Level) -> None:
    assert DEFAULT.level(weekday, hour) is expected


def test_the_default_counts() -> None:
    assert DEFAULT.cells.count("g") == 5 * 7
    assert DEFAULT.cells.count("o") == 5
    assert DEFAULT.cells.count("r") == HOURS - 40


def test_working_hours_are_monday_to_friday_nine_to_five() -> None:
    for weekday in range(7):
        expected = "r" * 9 + "g" * 8 + "r" * 7 if weekday < 5 else "r" * 24
        assert WORKING_HOURS.day(weekday) == expected


@pytest.mark.parametrize("level", list(Level))
def test_all_at_one_level(level: Level) -> None:
    amap = AvailabilityMap.all(level)
    assert amap.cells == level.value * HOURS
    assert {amap.level(d, h) for d in range(7) for h in range(24)} == {level}
    assert amap.has_green() is (level is Level.GREEN)


@pytest.mark.parametrize(("weekday", "hour"), [(-1, 0), (7, 0), (0, -1), (0, 24)])
def test_no_such_hour(weekday: int, hour: int) -> None:
    with pytest.raises(ValueError, match="no such hour"):
        DEFAULT.level(weekday, hour)
    with pytest.raises(ValueError, match="no such hour"):
        DEFAULT.with_level(weekday, hour, Level.GREEN)


# --- reading a moment in local time ---------------------------------------------------------

@pytest.mark.parametrize(("moment", "expected"), [
    # winter (UTC+1): 07:30 UTC is 08:30 local (red), 08:30 UTC is 09:30 (green)
    (utc(2026, 1, 12, 7, 30), Level.RED),
    (utc(2026, 1, 12, 8, 30), Level.GREEN),
    (utc(2026, 1, 12, 15, 30), Level.GREEN),  # 16:30
    (utc(2026, 1, 12, 11, 30), Level.ORANGE),  # 12:30, lunch
    # summer (UTC+2): 07:30 UTC is already 09:30 local, 15:30 UTC is 17:30 (red)
    (utc(2026, 7, 13, 7, 30), Level.GREEN),
    (utc(2026, 7, 13, 15, 30), Level.RED),
    (utc(2026, 7, 13, 10, 30), Level.ORANGE),  # 12:30, lunch
    # any zone: 18:00 in Tokyo is 10:00 in Brussels on Monday 23 November
    (datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=9))), Level.GREEN),
    # Brussels wall-clock input
    (bx(2026, 11, 23, 9, 0), Level.GREEN),
    (bx(2026, 11, 23, 8, 59, 59), Level.RED),
], ids=["winter 08:30", "winter 09:30", "winter 16:30", "winter lunch", "summer 09:30",
        "summer 17:30", "summer lunch", "tokyo", "brussels 09:00", "brussels 08:59:59"])
def test_level_at_reads_local_time(moment: datetime, expected: Level) -> None:
    assert DEFAULT.level_at(moment) is expected


def test_level_at_uses_the_local_weekday() -> None:
    monday_midnight = RED.with_level(MONDAY, 0, Level.GREEN)
    # Sunday 23:30 UTC is already Monday 00:30 in Brussels.
    assert monday_midnight.level_at(utc(2026, 11, 22, 23, 30)) is Level.GREEN
    assert monday_midnight.level_at(utc(2026, 11, 23, 0, 30)) is Level.RED  # Monday 01:30


@pytest.mark.parametrize("moment", [
    bx(2026, 10, 25, 2, 30, fold=0),  # first 02:30, summer time (00:30 UTC)
    bx(2026, 10, 25, 2, 30, fold=1),  # second 02:30, winter time (01:30 UTC)
    utc(2026, 10, 25, 0, 30),
    utc(2026, 10, 25, 1, 30),
])
def test_both_repeated_hours_read_the_same_cell(moment: datetime) -> None:
    assert SUNDAY_2.level_at(moment) is Level.GREEN


def test_a_wall_clock_time_that_does_not_exist_is_read_as_python_does() -> None:
    # 02:30 on 29 March 2026 never happens; Python takes it as 01:30 UTC, i.e. 03:30.
    ghost = bx(2026, 3, 29, 2, 30)
    assert SUNDAY_2.level_at(ghost) is Level.RED
    assert SUNDAY_3.level_at(ghost) is Level.GREEN
    assert SUNDAY_2.next_green(ghost) == utc(2026, 4, 5, 0, 0)


def test_a_naive_moment_is_refused() -> None:
    naive = datetime(2026, 7, 13, 7, 30)
    with pytest.raises(ValueError, match="time zone"):
        DEFAULT.level_at(naive)
    with pytest.raises(ValueError, match="time zone"):
        DEFAULT.next_green(naive)
    with pytest.raises(ValueError, match="time zone"):
        RED.next_green(naive)


# --- changing the map ------------------------------------------------------------------------

@pytest.mark.parametrize(("before", "after"), [
    (Level.GREEN, Level.ORANGE),
    (Level.ORANGE, Level.RED),
    (Level.RED, Level.GREEN),
])
def test_a_tap_cycles_one_hour(before: Level, after: Level) -> None:
    amap = DEFAULT.with_level(WEDNESDAY, 15, before)
    tapped = amap.cycled(WEDNESDAY, 15)
    assert tapped.level(WEDNESDAY, 15) is after
    assert sum(a != b for a, b in zip(amap.cells, tapped.cells, strict=True)) == 1
    assert amap.level(WEDNESDAY, 15) is before  # the original is untouched


def test_three_taps_come_back() -> None:
    assert DEFAULT.cycled(0, 9).cycled(0, 9).cycled(0, 9) == DEFAULT


@pytest.mark.parametrize(("weekday", "hour"), [(MONDAY, 0), (SUNDAY, 23), (TUESDAY, 14)])
def test_with_level_changes_one_hour_only(weekday: int, hour: int) -> None:
    changed = RED.with_level(weekday, hour, Level.ORANGE)
    assert changed.level(weekday, hour) is Level.ORANGE
    assert changed.cells.count("o") == 1 and len(changed.cells) == HOURS


@pytest.mark.parametrize("weekday", range(7))
def test_with_day_sets_a_whole_day(weekday: int) -> None:
    changed = DEFAULT.with_day(weekday, Level.GREEN)
    assert changed.day(weekday) == "g" * 24
    for other in set(range(7)) - {weekday}:
        assert changed.day(other) == DEFAULT.day(other)


def test_with_day_refuses_a_bad_day() -> None:
    with pytest.raises(ValueError):
        DEFAULT.with_day(7, Level.RED)


# --- the next green moment -------------------------------------------------------------------

@pytest.mark.parametrize(("amap", "after", "expected"), [
    # inside a green hour: that very moment
    (DEFAULT, bx(2026, 11, 23, 10, 15), bx(2026, 11, 23, 10, 15)),
    (DEFAULT, bx(2026, 11, 27, 16, 59, 59), bx(2026, 11, 27, 16, 59, 59)),
    # at the start of a green hour, and just before it
    (DEFAULT, bx(2026, 11, 23, 9, 0), bx(2026, 11, 23, 9, 0)),
    (DEFAULT, bx(2026, 11, 23, 8, 59, 59), bx(2026, 11, 23, 9, 0)),
    # lunch (orange): 13:00
    (DEFAULT, bx(2026, 11, 23, 12, 5), bx(2026, 11, 23, 13, 0)),
    # evening: the next morning
    (DEFAULT, bx(2026, 11, 24, 17, 0), bx(2026, 11, 25, 9, 0)),
    # over a weekend: Friday 17:00, Friday night, Saturday and Sunday give Monday 09:00
    (DEFAULT, bx(2026, 11, 27, 17, 0), bx(2026, 11, 30, 9, 0)),
    (DEFAULT, bx(2026, 11, 27, 22, 0), bx(2026, 11, 30, 9, 0)),
    (DEFAULT, bx(2026, 11, 28, 12, 0), bx(2026, 11, 30, 9, 0)),
    (DEFAULT, bx(2026, 11, 29, 23, 59), bx(2026, 11, 30, 9, 0)),
    # over the end of summer time (Sunday 25 October 2026): Monday 09:00 is 08:00 UTC
    (DEFAULT, bx(2026, 10, 23, 18, 0), utc(2026, 10, 26, 8, 0)),
    (DEFAULT, bx(2026, 10, 24, 20, 0), utc(2026, 10, 26, 8, 0)),
    # over the start of summer time (Sunday 29 March 2026): Monday 09:00 is 07:00 UTC
    (DEFAULT, bx(2026, 3, 27, 18, 0), utc(2026, 3, 30, 7, 0)),
    (DEFAULT, bx(2026, 3, 28, 20, 0), utc(2026, 3, 30, 7, 0)),
    # green once a week: almost seven days ahead
    (TUESDAY_14, bx(2026, 11, 24, 15, 0), bx(2026, 12, 1, 14, 0)),
    (TUESDAY_14, bx(2026, 11, 24, 14, 30), bx(2026, 11, 24, 14, 30)),
], ids=["inside", "last second", "on the hour", "just before", "lunch", "evening",
        "friday 17:00", "friday night", "saturday", "sunday night", "friday before oct dst",
        "saturday before oct dst", "friday before march dst", "saturday before march dst",
        "once a week", "once a week, inside"])
def test_next_green(amap: AvailabilityMap, after: datetime, expected: datetime) -> None:
    found = amap.next_green(after)
    assert found == expected
    assert found is not None and found.tzinfo is UTC


@pytest.mark.parametrize(("amap", "after", "expected"), [
    # 29 March 2026: 02:00 does not exist; 03:00 summer time is 01:00 UTC
    (SUNDAY_3, bx(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),
    (SUNDAY_3, bx(2026, 3, 29, 1, 59), utc(2026, 3, 29, 1, 0)),
    # a green 02:00 hour does not happen that night: the next Sunday's, 5 April
    (SUNDAY_2, bx(2026, 3, 29, 0, 30), utc(2026, 4, 5, 0, 0)),
    # 25 October 2026: 02:00 happens twice; the first one starts at 00:00 UTC...
    (SUNDAY_2, bx(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 0)),
    # ... and inside the second one (01:30 UTC) we are already green
    (SUNDAY_2, bx(2026, 10, 25, 2, 30, fold=1), utc(2026, 10, 25, 1, 30)),
    # 03:00 winter time is 02:00 UTC, from before or inside the repeated hour
    (SUNDAY_3, bx(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0)),
    (SUNDAY_3, bx(2026, 10, 25, 2, 30, fold=0), utc(2026, 10, 25, 2, 0)),
    (SUNDAY_3, bx(2026, 10, 25, 2, 30, fold=1), utc(2026, 10, 25, 2, 0)),
], ids=["march 03:00", "march 01:59", "march 02:00 skipped", "october first 02:00",
        "october second 02:00", "october 03:00", "october 03:00 from first 02:30",
        "october 03:00 from second 02:30"])
def test_next_green_on_the_daylight_saving_nights(amap: AvailabilityMap, after: datetime,
                                                  expected: datetime) -> None:
    assert amap.next_green(after) == expected


@pytest.mark.parametrize("amap", [RED, ORANGE, RED.with_day(SUNDAY, Level.ORANGE)])
def test_no_green_at_all(amap: AvailabilityMap) -> None:
    assert amap.next_green(utc(2026, 11, 23, 10, 0)) is None


def test_always_green_is_green_now() -> None:
    now = utc(2026, 3, 29, 1, 0)
    assert GREEN.next_green(now) == now


# --- working hours ---------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "hours", "expected"), [
    # the escalation clock: Friday 15:00 + 4 h is Monday 11:00
    (bx(2026, 11, 27, 15, 0), 4, bx(2026, 11, 30, 11, 0)),
    # ending exactly at 17:00 stays on Friday
    (bx(2026, 11, 27, 15, 0), 2, bx(2026, 11, 27, 17, 0)),
    (bx(2026, 11, 27, 15, 0), 2.5, bx(2026, 11, 30, 9, 30)),
    # from a weekend or a night: counting starts at 09:00
    (bx(2026, 11, 28, 12, 0), 0.5, bx(2026, 11, 30, 9, 30)),
    (bx(2026, 11, 23, 3, 0), 1, bx(2026, 11, 23, 10, 0)),
    # within one day; lunch is working time in this map
    (bx(2026, 11, 23, 10, 0), 4, bx(2026, 11, 23, 14, 0)),
    (bx(2026, 11, 23, 10, 15), 0.25, bx(2026, 11, 23, 10, 30)),
    (bx(2026, 11, 23, 10, 20), 1.5, bx(2026, 11, 23, 11, 50)),
    (bx(2026, 11, 23, 8, 0), 8, bx(2026, 11, 23, 17, 0)),
    # a working week is 40 hours
    (bx(2026, 11, 23, 9, 0), 40, bx(2026, 11, 27, 17, 0)),
    (bx(2026, 11, 23, 9, 0), 41, bx(2026, 11, 30, 10, 0)),
    # zero hours is the start itself, even outside working time
    (bx(2026, 11, 23, 18, 0), 0, bx(2026, 11, 23, 18, 0)),
    # over the end of summer time: Monday 11:00 winter time, 10:00 UTC
    (bx(2026, 10, 23, 15, 0), 4, utc(2026, 10, 26, 10, 0)),
    # over the start of summer time: Monday 11:00 summer time, 09:00 UTC
    (bx(2026, 3, 27, 15, 0), 4, utc(2026, 3, 30, 9, 0)),
], ids=["friday +4", "friday +2", "friday +2.5", "saturday +0.5", "night +1", "monday +4",
        "quarter", "ninety minutes", "full day", "week", "week +1", "zero", "october dst",
        "march dst"])
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    end = add_working_hours(start, hours)
    assert end == expected
    assert end.tzinfo is UTC


def test_add_working_hours_reads_any_zone() -> None:
    start = bx(2026, 11, 27, 15, 0)
    assert add_working_hours(start.astimezone(UTC), 4) == add_working_hours(start, 4)


@pytest.mark.parametrize(("amap", "start", "hours", "expected"), [
    # the default map counts its orange lunch hour out
    (DEFAULT, bx(2026, 11, 23, 11, 0), 2, bx(2026, 11, 23, 14, 0)),
    (GREEN, bx(2026, 11, 28, 12, 0), 24, bx(2026, 11, 29, 12, 0)),
    # the repeated 02:00 hour on 25 October is two real hours of green
    (SUNDAY_2, bx(2026, 10, 24, 12, 0), 1.5, utc(2026, 10, 25, 1, 30)),
    (SUNDAY_2, bx(2026, 10, 24, 12, 0), 2, utc(2026, 10, 25, 2, 0)),
    (SUNDAY_2, bx(2026, 10, 24, 12, 0), 2.5, utc(2026, 11, 1, 1, 30)),
    # the skipped 02:00 hour on 29 March counts for nothing: the next Sunday
    (SUNDAY_2, bx(2026, 3, 28, 12, 0), 0.5, utc(2026, 4, 5, 0, 30)),
    # all green across both nights: real elapsed time, whatever the clock shows
    (GREEN, bx(2026, 3, 29, 0, 0), 4, bx(2026, 3, 29, 5, 0)),
    (GREEN, bx(2026, 10, 25, 0, 0), 4, bx(2026, 10, 25, 3, 0)),
], ids=["default map lunch", "all green", "october 1.5", "october 2", "october 2.5",
        "march skipped", "march all green", "october all green"])
def test_add_working_hours_with_a_map(amap: AvailabilityMap, start: datetime, hours: float,
                                      expected: datetime) -> None:
    assert add_working_hours(start, hours, amap) == expected


@pytest.mark.parametrize(("start", "hours", "amap"), [
    (utc(2026, 11, 23, 10, 0), 4, RED),
    (utc(2026, 11, 23, 10, 0), 4, ORANGE),
    (utc(2026, 11, 23, 10, 0), -1, None),
    (utc(2026, 11, 23, 10, 0), float("nan"), None),
    (utc(2026, 11, 23, 10, 0), float("inf"), None),
    (datetime(2026, 11, 23, 10, 0), 4, None),
], ids=["all red", "all orange", "negative", "nan", "infinite", "naive"])
def test_add_working_hours_refuses(start: datetime, hours: float,
                                   amap: AvailabilityMap | None) -> None:
    with pytest.raises(ValueError):
        add_working_hours(start, hours, amap)
