"""A brugfiguur's availability map: per weekday and hour green, orange or red.

Stored as 168 letters g/o/r, Monday 00:00–01:00 first and Sunday 23:00–24:00 last, in
Brussels local time (a brugfiguur thinks "Wednesday morning", whatever the UTC offset).

Usage::

    amap = AvailabilityMap.default()
    amap.level_at(now)                 # Level.GREEN
    amap.next_green(now)               # the next moment someone may be notified
    add_working_hours(start, 4)        # when an untaken question is escalated
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.i18n import BRUSSELS

HOURS = 7 * 24


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
        """A school day: Monday to Friday 09–12 and 13–17 green, the lunch hour orange,
        evenings, nights and weekends red. Each brugfiguur adjusts it with /availability."""
        day = "r" * 9 + "g" * 3 + "o" + "g" * 4 + "r" * 7
        return cls(_week(day, "r" * 24))

    @classmethod
    def all(cls, level: Level) -> AvailabilityMap:
        return cls(level.value * HOURS)

    def level(self, weekday: int, hour: int) -> Level:
        return Level(self.cells[_index(weekday, hour)])

    def level_at(self, moment: datetime) -> Level:
        local = _local(moment)
        return self.level(local.weekday(), local.hour)

    def with_level(self, weekday: int, hour: int, level: Level) -> AvailabilityMap:
        i = _index(weekday, hour)
        return AvailabilityMap(self.cells[:i] + level.value + self.cells[i + 1:])

    def cycled(self, weekday: int, hour: int) -> AvailabilityMap:
        """What a tap on an hour's button does: green → orange → red → green."""
        after = {Level.GREEN: Level.ORANGE, Level.ORANGE: Level.RED, Level.RED: Level.GREEN}
        return self.with_level(weekday, hour, after[self.level(weekday, hour)])

    def with_day(self, weekday: int, level: Level) -> AvailabilityMap:
        start = _index(weekday, 0)
        return AvailabilityMap(self.cells[:start] + level.value * 24 + self.cells[start + 24:])

    def day(self, weekday: int) -> str:
        start = _index(weekday, 0)
        return self.cells[start:start + 24]

    def has_green(self) -> bool:
        return "g" in self.cells

    def next_green(self, after: datetime) -> datetime | None:
        """The first moment at or after ``after`` inside a green hour (UTC), or None."""
        if not self.has_green():
            return None
        if self.level_at(after) is Level.GREEN:
            return after.astimezone(UTC)
        # Walk local hour starts; converting each wall-clock hour on its own keeps the
        # daylight-saving days right (the skipped hour does not exist, the repeated one
        # is taken once).
        local = _local(after).replace(minute=0, second=0, microsecond=0)
        for step in range(1, 8 * 24 + 2):
            candidate = _wall_clock(local + timedelta(hours=step))
            if candidate > after and self.level_at(candidate) is Level.GREEN:
                return candidate.astimezone(UTC)
        return None


WORKING_HOURS = AvailabilityMap(_week("r" * 9 + "g" * 8 + "r" * 7, "r" * 24))


def add_working_hours(start: datetime, hours: float,
                      amap: AvailabilityMap | None = None) -> datetime:
    """When ``hours`` of working time (green hours of ``amap``, by default Monday–Friday
    09:00–17:00) have passed after ``start``."""
    amap = amap or WORKING_HOURS
    if not amap.has_green():
        raise ValueError("no working hours in this map")
    left = timedelta(hours=hours)
    moment = start.astimezone(UTC)
    while True:
        green = amap.next_green(moment)
        assert green is not None
        local = _local(green)
        hour_end = _wall_clock(local.replace(minute=0, second=0, microsecond=0)
                               + timedelta(hours=1)).astimezone(UTC)
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
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(BRUSSELS)


def _wall_clock(local: datetime) -> datetime:
    """A Brussels wall-clock time as a real instant (naive arithmetic, then re-zoned)."""
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=BRUSSELS).astimezone(BRUSSELS)
