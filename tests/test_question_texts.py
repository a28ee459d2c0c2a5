"""The parent's "X will answer you today/tomorrow from 09:00": days in Brussels time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.handlers.question_texts import about_line, card_text, render_about, when_answered
from bot.i18n import use_locale
from bot.services.questions import About, Card


@pytest.mark.parametrize(("now", "answer_from", "expected"), [
    # 00:30 on Thursday in Brussels is still Wednesday in UTC: 09:00 is today.
    (datetime(2026, 12, 9, 23, 30, tzinfo=UTC), datetime(2026, 12, 10, 8, tzinfo=UTC),
     "✅ Dankjewel! Fatma antwoordt je vandaag vanaf 09:00."),
    # 23:00 on Wednesday: Thursday's 09:00 is tomorrow.
    (datetime(2026, 12, 9, 22, tzinfo=UTC), datetime(2026, 12, 10, 8, tzinfo=UTC),
     "✅ Dankjewel! Fatma antwoordt je morgen vanaf 09:00."),
    # Summer time (UTC+2): 01:30 on 1 July in Brussels, 23:30 on 30 June in UTC.
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), datetime(2026, 7, 1, 7, tzinfo=UTC),
     "✅ Dankjewel! Fatma antwoordt je vandaag vanaf 09:00."),
])
def test_today_and_tomorrow_are_brussels_days(now: datetime, answer_from: datetime,
                                              expected: str) -> None:
    with use_locale("nl"):
        assert when_answered("Fatma", answer_from, now) == expected


def _card(about: tuple[About, ...], reader: str = "nl") -> Card:
    asked = datetime(2026, 11, 24, 17, tzinfo=UTC)
    return Card(3, "Ayşe", "tr", None, "other", asked, asked, reader, about=about)


BABBEL = About("Ouderbabbel: slapen", datetime(2026, 11, 25, 12, 30, tzinfo=UTC))


def test_the_card_names_the_activity_a_reply_to_a_reminder_is_about() -> None:
    """Brussels time (13:30, not 12:30 UTC), the day in the reader's language; a whole-day
    activity without an hour."""
    with use_locale("nl"):
        lines = card_text(_card((BABBEL,))).splitlines()
        assert "📅 Over: Ouderbabbel: slapen, woensdag 25 november 2026, 13:30" in lines
        day = About("Schoolfeest", datetime(2026, 11, 28, 23, tzinfo=UTC), all_day=True)
        assert about_line(day) == "📅 Over: Schoolfeest, zondag 29 november 2026"
        assert not any(line.startswith("📅") for line in card_text(_card(())).splitlines())
    with use_locale("tr"):
        assert about_line(BABBEL).startswith("📅 Konusu: Ouderbabbel: slapen, ")
    assert render_about(BABBEL, "pa").startswith("📅 ਇਸ ਬਾਰੇ: Ouderbabbel: slapen, ")
