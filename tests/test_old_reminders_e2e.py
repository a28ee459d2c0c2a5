"""Old reminders and the days they were for (found by a reviewer): last week's reminder,
tapped after the series got a new hour, answers for no other week; a reminder redrawn for
the day its activity moved to names that day, never "next week"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
)

# A weekly children's workshop at Het Wijdeland, Wednesdays 14:00–15:00 from 25 November.
YOGA = ('yoga-wijdeland;workshop;wijdeland;2026-11-25;14:00;15:00;"FREQ=WEEKLY;BYDAY=WE";'
        "Turnzaal;;;;Kinderyoga;;Çocuk yogası;;ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ;;")


async def answers_kept(db: Database) -> list[tuple[str, datetime]]:
    async with db.session() as session:
        return [(r.answer, r.occurrence_start) for r in await session.scalars(select(Rsvp))]


async def test_last_weeks_reminder_does_not_answer_for_next_week_after_a_new_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    harpreet = await onboard(chat, 9801, "Harpreet", "pa", "wijdeland")
    # Tuesday 24 November 18:00: the reminder of Wednesday 25 November's workshop.
    reminder = await day_reminder_of(bot, clock, fake, harpreet)
    rid = nl_reminder_id(reminder)

    # Friday, after that workshop: from now on it starts at 13:30 (the file says so).
    clock.moment = local(27, 10).astimezone(UTC)
    await import_csv(greet, YOGA.replace("14:00;15:00", "13:30;15:00"))

    # Sunday evening, scrolling up, she taps the biggest button under last week's reminder.
    clock.moment = local(29, 20).astimezone(UTC)
    alerts = await harpreet.presses(reminder, f"rv:{rid}:no")
    assert alerts == ["ਇਹ ਗਤੀਵਿਧੀ ਖ਼ਤਮ ਹੋ ਗਈ ਹੈ।"], alerts
    assert await answers_kept(db) == []


async def test_a_reminder_redrawn_for_a_day_two_weeks_away_does_not_say_next_week(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9802, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    assert reminder["text"].startswith("🔔 Hatırlatma: yarın")

    # That evening the guest cancels: the babbel is postponed to Wednesday 9 December.
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-12-09"))
    await ayse.presses(reminder, f"rv:{nl_reminder_id(reminder)}:yes")
    redrawn = fake.message(ayse.id, reminder["message_id"])
    assert redrawn is not None and "9 Aralık 2026 Çarşamba" in redrawn["text"], redrawn
    assert "gelecek hafta" not in redrawn["text"], redrawn["text"]

