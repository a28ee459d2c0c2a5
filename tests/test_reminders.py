"""Reminder rules as plain functions: when each kind falls due, quiet hours, DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import BRUSSELS
from bot.services.reminders import QuietHours, ReminderKind, delivery_time, due_at


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
