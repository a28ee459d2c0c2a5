"""A brugfiguur's availability map (flexibiliteitskaart): per weekday and hour green, orange or red.

Stored as 168 letters g/o/r, Monday 00:00–01:00 first and Sunday 23:00–24:00 last, in
Brussels local time (a brugfiguur thinks "Wednesday morning", whatever the UTC offset).

Brussels' offsets are whole hours (+01:00 in winter, +02:00 in summer), so every local hour
starts on a UTC hour. The searches below therefore walk real UTC hours and read each one in
local time: the hour skipped in March (02:00–03:00 on the last Sunday) is never visited, and
the hour repeated in October is visited twice (both read the same cell).

Usage::

    amap = AvailabilityMap.default()
    amap.level_at(now)                 # Level.GREEN
    amap.next_green(now)               # the next moment someone may be notified
    add_working_hours(start, 4)        # when an untaken question is escalated
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.i18n import BRUSSELS

HOURS = 7 * 24
SEARCH_DAYS = 8  # next_green looks this far ahead; a weekly map repeats within 7
_HOUR = timedelta(hours=1)


class Level(StrEnum):
    GREEN = "g"  # available: notify now
    ORANGE = "o"  # occasionally: deliver silently
    RED = "r"  # never: hold until green


def _week(day: str, weekend: str) -> str:
    return day * 5 + weekend * 2


@dataclass(frozen=True)
class AvailabilityMap:
    cells: str

    def __post_init__(self) -> None:
        if len(self.cells) != HOURS or set(self.cells) - {"g", "o", "r"}:
            raise ValueError("an availability map is 168 letters g, o or r")

    @classmethod
    def default(cls) -> AvailabilityMap:
        """A school day, the map a new brugfiguur starts from.

        Monday to Friday 09:00–12:00 and 13:00–17:00 green, the lunch hour 12:00–13:00
        orange; evenings, nights, Saturday and Sunday red. Each brugfiguur adjusts it
        with /availability.
        """
        day = "r" * 9 + "g" * 3 + "o" + "g" * 4 + "r" * 7
        return cls(_week(day, "r" * 24))

    @classmethod
    def all(cls, level: Level) -> AvailabilityMap:
        """Every hour of the week at one level."""
        return cls(Level(level).value * HOURS)

    def level(self, weekday: int, hour: int) -> Level:
        """The level of a local hour; weekday 0 is Monday."""
        return Level(self.cells[_index(weekday, hour)])

    def level_at(self, moment: datetime) -> Level:
        """The level at an aware moment (any zone), read in Brussels local time."""
        local = _local(moment)
        return self.level(local.weekday(), local.hour)

    def with_level(self, weekday: int, hour: int, level: Level) -> AvailabilityMap:
        i = _index(weekday, hour)
        return AvailabilityMap(self.cells[:i] + Level(level).value + self.cells[i + 1:])

    def cycled(self, weekday: int, hour: int) -> AvailabilityMap:
        """What a tap on an hour's button does: green → orange → red → green."""
        after = {Level.GREEN: Level.ORANGE, Level.ORANGE: Level.RED, Level.RED: Level.GREEN}
        return self.with_level(weekday, hour, after[self.level(weekday, hour)])

    def with_day(self, weekday: int, level: Level) -> AvailabilityMap:
        """The whole day (all 24 hours) at one level."""
        start = _index(weekday, 0)
        return AvailabilityMap(self.cells[:start] + Level(level).value * 24
                               + self.cells[start + 24:])

    def day(self, weekday: int) -> str:
        """The 24 letters of one day."""
        start = _index(weekday, 0)
        return self.cells[start:start + 24]

    def has_green(self) -> bool:
        return Level.GREEN.value in self.cells

    def next_green(self, after: datetime) -> datetime | None:
        """The first moment at or after ``after`` inside a green hour, in UTC, or None.

        ``after`` itself when it falls in a green hour, else the start of the next green
        local hour (at most eight days ahead); None when the map has no green at all.
        """
        moment = _local(after).astimezone(UTC)
        if self.level_at(moment) is Level.GREEN:
            return moment
        if not self.has_green():
            return None
        hour = moment.replace(minute=0, second=0, microsecond=0)
        for _step in range(SEARCH_DAYS * 24):
            hour += _HOUR
            if self.level_at(hour) is Level.GREEN:
                return hour
        return None  # pragma: no cover - a map with green has some within a week


WORKING_HOURS = AvailabilityMap(_week("r" * 9 + "g" * 8 + "r" * 7, "r" * 24))
"""Monday–Friday 09:00–17:00 green, everything else red: the clock for escalation."""


def add_working_hours(start: datetime, hours: float,
                      map: AvailabilityMap | None = None) -> datetime:
    """The moment (UTC) when ``hours`` of working time have passed after ``start``.

    Only time inside green hours of ``map`` counts (by default ``WORKING_HOURS``), in real
    elapsed time: a green hour repeated when summer time ends counts twice, the hour skipped
    when it starts does not exist. Zero hours is ``start`` itself; an end that falls exactly
    on the end of a green stretch is that end (Friday 15:00 + 2 h is Friday 17:00).
    Raises ValueError for a naive ``start``, negative or non-finite ``hours``, or a map
    without any green hour.
    """
    amap = WORKING_HOURS if map is None else map
    moment = _local(start).astimezone(UTC)
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"working hours must be a finite number ≥ 0, not {hours!r}")
    if not amap.has_green():
        raise ValueError("no working hours in this map")
    left = timedelta(hours=hours)
    if not left:
        return moment
    while True:
        green = amap.next_green(moment)
        if green is None:  # pragma: no cover - has_green() was checked
            raise ValueError("no working hours in this map")
        hour_end = green.replace(minute=0, second=0, microsecond=0) + _HOUR
        available = hour_end - green
        if available >= left:
            return green + left
        left -= available
        moment = hour_end


def _index(weekday: int, hour: int) -> int:
    if not (0 <= weekday < 7 and 0 <= hour < 24):
        raise ValueError(f"no such hour: day {weekday}, hour {hour}")
    return weekday * 24 + hour


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a time zone is needed to read {moment.isoformat()} in Brussels")
    # Through UTC: astimezone() to the zone a datetime already has returns it unchanged, so a
    # wall-clock time that does not exist (02:30 on the last Sunday of March) would stay 02:30.
    return moment.astimezone(UTC).astimezone(BRUSSELS)
