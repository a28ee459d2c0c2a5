"""The parent's "X will answer you today/tomorrow from 09:00": days in Brussels time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.handlers.question_texts import when_answered
from bot.i18n import use_locale


@pytest.mark.parametrize(("now", "answer_from", "expected"), [
    # 00:30 on Thursday in Brussels is still Wednesday in UTC: 09:00 is today.
    (datetime(2026, 12, 9, 23, 30, tzinfo=UTC), datetime(2026, 12, 10, 8, tzinfo=UTC),
     "Dankjewel! Fatma antwoordt je vandaag vanaf 09:00."),
    # 23:00 on Wednesday: Thursday's 09:00 is tomorrow.
    (datetime(2026, 12, 9, 22, tzinfo=UTC), datetime(2026, 12, 10, 8, tzinfo=UTC),
     "Dankjewel! Fatma antwoordt je morgen vanaf 09:00."),
    # Summer time (UTC+2): 01:30 on 1 July in Brussels, 23:30 on 30 June in UTC.
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), datetime(2026, 7, 1, 7, tzinfo=UTC),
     "Dankjewel! Fatma antwoordt je vandaag vanaf 09:00."),
])
def test_today_and_tomorrow_are_brussels_days(now: datetime, answer_from: datetime,
                                              expected: str) -> None:
    with use_locale("nl"):
        assert when_answered("Fatma", answer_from, now) == expected
