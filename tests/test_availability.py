"""The availability map: 168 letters, read in Brussels local time, DST included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import BRUSSELS
from bot.services.availability import AvailabilityMap, Level, add_working_hours

DEFAULT = AvailabilityMap.default()


@pytest.mark.parametrize("cells", ["", "g" * 167, "x" * 168, "G" * 168])
def test_a_broken_map_is_refused(cells: str) -> None:
    with pytest.raises(ValueError):
        AvailabilityMap(cells)


def test_the_default_is_a_school_day() -> None:
    assert DEFAULT.level(0, 9) is Level.GREEN
    assert DEFAULT.level(0, 12) is Level.ORANGE
    assert DEFAULT.level(4, 16) is Level.GREEN
    assert DEFAULT.level(4, 17) is Level.RED
    assert DEFAULT.level(5, 10) is Level.RED


def test_level_at_reads_local_time_in_winter_and_summer() -> None:
    # 08:30 UTC is 09:30 in winter (green) but 10:30 in summer (green); 07:30 UTC differs.
    assert DEFAULT.level_at(datetime(2026, 1, 12, 7, 30, tzinfo=UTC)) is Level.RED  # 08:30
    assert DEFAULT.level_at(datetime(2026, 7, 13, 7, 30, tzinfo=UTC)) is Level.GREEN  # 09:30
    with pytest.raises(ValueError):
        DEFAULT.level_at(datetime(2026, 7, 13, 7, 30))


def test_cycling_an_hour_and_setting_a_day() -> None:
    once = DEFAULT.cycled(0, 9)
    assert once.level(0, 9) is Level.ORANGE
    assert once.cycled(0, 9).level(0, 9) is Level.RED
    assert once.cycled(0, 9).cycled(0, 9).level(0, 9) is Level.GREEN
    assert sum(a != b for a, b in zip(DEFAULT.cells, once.cells, strict=True)) == 1
    sunday = DEFAULT.with_day(6, Level.GREEN)
    assert sunday.day(6) == "g" * 24 and sunday.day(5) == DEFAULT.day(5)


@pytest.mark.parametrize(("after", "expected"), [
    # inside a green hour: now
    (datetime(2026, 11, 23, 10, 15, tzinfo=BRUSSELS), datetime(2026, 11, 23, 10, 15,
                                                              tzinfo=BRUSSELS)),
    # Friday evening: Monday 09:00
    (datetime(2026, 11, 27, 18, 0, tzinfo=BRUSSELS), datetime(2026, 11, 30, 9, 0,
                                                             tzinfo=BRUSSELS)),
    # lunch (orange): 13:00
    (datetime(2026, 11, 23, 12, 5, tzinfo=BRUSSELS), datetime(2026, 11, 23, 13, 0,
                                                             tzinfo=BRUSSELS)),
    # over the end of summer time (25 October 2026)
    (datetime(2026, 10, 24, 20, 0, tzinfo=BRUSSELS), datetime(2026, 10, 26, 9, 0,
                                                             tzinfo=BRUSSELS)),
    # over the start of summer time (29 March 2026)
    (datetime(2026, 3, 28, 20, 0, tzinfo=BRUSSELS), datetime(2026, 3, 30, 9, 0,
                                                            tzinfo=BRUSSELS)),
])
def test_next_green(after: datetime, expected: datetime) -> None:
    assert DEFAULT.next_green(after) == expected.astimezone(UTC)


def test_next_green_on_the_daylight_saving_nights_themselves() -> None:
    # Green only on Sunday 03:00–04:00: on 29 March 2026 02:00 does not exist.
    amap = AvailabilityMap.all(Level.RED).with_level(6, 3, Level.GREEN)
    assert amap.next_green(datetime(2026, 3, 29, 0, 30, tzinfo=BRUSSELS)) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC)
    # On 25 October 2026 the hour 02:00–03:00 happens twice; 03:00 local is 02:00 UTC.
    assert amap.next_green(datetime(2026, 10, 25, 0, 30, tzinfo=BRUSSELS)) == datetime(
        2026, 10, 25, 2, 0, tzinfo=UTC)


def test_no_green_at_all() -> None:
    assert AvailabilityMap.all(Level.ORANGE).next_green(datetime.now(UTC)) is None
    with pytest.raises(ValueError):
        add_working_hours(datetime.now(UTC), 4, AvailabilityMap.all(Level.RED))


def test_working_hours_skip_evenings_and_weekends() -> None:
    friday_15 = datetime(2026, 11, 27, 15, 0, tzinfo=BRUSSELS)
    assert add_working_hours(friday_15, 4) == datetime(2026, 11, 30, 11, 0, tzinfo=BRUSSELS)
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=BRUSSELS)
    assert add_working_hours(saturday, 0.5) == datetime(2026, 11, 30, 9, 30, tzinfo=BRUSSELS)
    assert add_working_hours(friday_15, 2) == datetime(2026, 11, 27, 17, 0, tzinfo=BRUSSELS)
