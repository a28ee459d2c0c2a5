"""Reminder rules as plain functions: when each kind falls due, quiet hours, DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import BRUSSELS
from bot.services.reminders import (
    MoveKey,
    QuietHours,
    ReminderKind,
    When,
    delivery_time,
    due_at,
    moved_key,
    parse_moved_key,
    when_heading,
)


@pytest.mark.parametrize(("kind", "start", "expected"), [
    # Wednesday 25 November 2026 13:30: the day before at 18:00, two hours before, a week.
    (ReminderKind.DAY, datetime(2026, 11, 25, 13, 30, tzinfo=BRUSSELS),
     datetime(2026, 11, 24, 18, 0, tzinfo=BRUSSELS)),
    (ReminderKind.TWO_HOURS, datetime(2026, 11, 25, 13, 30, tzinfo=BRUSSELS),
     datetime(2026, 11, 25, 11, 30, tzinfo=BRUSSELS)),
    (ReminderKind.WEEK, datetime(2026, 11, 25, 13, 30, tzinfo=BRUSSELS),
     datetime(2026, 11, 18, 18, 0, tzinfo=BRUSSELS)),
    # Monday 26 October 2026, the day after summer time ends: Sunday 18:00 is 17:00 UTC.
    (ReminderKind.DAY, datetime(2026, 10, 26, 10, 0, tzinfo=BRUSSELS),
     datetime(2026, 10, 25, 17, 0, tzinfo=UTC)),
    # Sunday 25 October 2026 10:00 (winter time since 03:00): two hours before is 08:00 local.
    (ReminderKind.TWO_HOURS, datetime(2026, 10, 25, 10, 0, tzinfo=BRUSSELS),
     datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    # Monday 30 March 2026, after summer time began: Sunday 18:00 is 16:00 UTC.
    (ReminderKind.DAY, datetime(2026, 3, 30, 10, 0, tzinfo=BRUSSELS),
     datetime(2026, 3, 29, 16, 0, tzinfo=UTC)),
])
def test_due_at(kind: ReminderKind, start: datetime, expected: datetime) -> None:
    assert due_at(kind, start) == expected


def test_quiet_hours_over_midnight() -> None:
    quiet = QuietHours(21, 8)
    assert quiet.covers(datetime(2026, 11, 24, 21, 0, tzinfo=BRUSSELS))
    assert quiet.covers(datetime(2026, 11, 25, 7, 59, tzinfo=BRUSSELS))
    assert not quiet.covers(datetime(2026, 11, 25, 8, 0, tzinfo=BRUSSELS))
    assert not quiet.covers(datetime(2026, 11, 24, 20, 59, tzinfo=BRUSSELS))
    assert delivery_time(datetime(2026, 11, 24, 22, 30, tzinfo=BRUSSELS), quiet) == datetime(
        2026, 11, 25, 8, 0, tzinfo=BRUSSELS)
    assert delivery_time(datetime(2026, 11, 25, 6, 0, tzinfo=BRUSSELS), quiet) == datetime(
        2026, 11, 25, 8, 0, tzinfo=BRUSSELS)
    same = datetime(2026, 11, 25, 12, 0, tzinfo=BRUSSELS)
    assert delivery_time(same, quiet) == same


def test_quiet_hours_of_a_shift_worker_and_none() -> None:
    day_sleeper = QuietHours(9, 16)
    assert day_sleeper.covers(datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS))
    assert not day_sleeper.covers(datetime(2026, 11, 25, 22, 0, tzinfo=BRUSSELS))
    assert not QuietHours(0, 0).covers(datetime(2026, 11, 25, 3, 0, tzinfo=BRUSSELS))
    assert QuietHours.parse("23-06") == QuietHours(23, 6)
    assert QuietHours.parse("nonsense") is None
    assert str(QuietHours(7, 9)) == "07-09"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS)


@pytest.mark.parametrize(("kind", "start", "sent", "expected"), [
    # As planned.
    (ReminderKind.WEEK, local(25, 14), local(18, 18), When.NEXT_WEEK),
    (ReminderKind.DAY, local(25, 14), local(24, 18), When.TOMORROW),
    (ReminderKind.TWO_HOURS, local(25, 14), local(25, 12), When.IN_TWO_HOURS),
    (ReminderKind.TWO_HOURS, local(25, 14), local(25, 12, 8), When.IN_TWO_HOURS),  # a late round
    (ReminderKind.DAY, local(25, 14), None, When.TOMORROW),  # not sent yet: as its kind says
    # Moved by quiet hours: the day-before one to the morning itself; the two-hours one to
    # 08:00 for a 09:30 activity. Across midnight: days count on the calendar.
    (ReminderKind.DAY, local(25, 14), local(25, 8), When.TODAY),
    (ReminderKind.TWO_HOURS, local(25, 9, 30), local(25, 8), When.TODAY),
    (ReminderKind.TWO_HOURS, local(26, 0, 30), local(25, 22, 30), When.IN_TWO_HOURS),
    (ReminderKind.TWO_HOURS, local(26, 0, 30), local(25, 21), When.TOMORROW),
    # A week's reminder days late (quiet hours until Monday 09:00 for Sunday the 29th; a bot
    # that was down): "next week" would be untrue, the weekday is said instead.
    (ReminderKind.WEEK, local(29, 14), local(23, 9), When.ON_DAY),
    (ReminderKind.WEEK, local(28, 10), local(26, 9), When.ON_DAY),
])
def test_the_heading_says_when_counted_from_the_sending(
        kind: ReminderKind, start: datetime, sent: datetime | None, expected: When) -> None:
    assert when_heading(kind, start.astimezone(UTC),
                        sent.astimezone(UTC) if sent else None) is expected


def test_a_move_notices_key_read_back() -> None:
    old, new = local(25, 13, 30).astimezone(UTC), local(26, 14).astimezone(UTC)
    assert parse_moved_key(moved_key(7, old, new, 42)) == MoveKey(7, old, new, 42)
    # Told it no longer takes place then.
    assert parse_moved_key(moved_key(7, old, None, 42)) == MoveKey(7, old, None, 42)
    # A later part of a long notice, the bot's answer to a word in its group, another key.
    assert parse_moved_key(moved_key(7, old, new, 42) + "#2") is None
    assert parse_moved_key("typed-reply:8800:91") is None
    assert parse_moved_key("reminder:7:1795000000:42:day") is None
