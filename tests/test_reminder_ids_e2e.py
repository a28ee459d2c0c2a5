"""Reminder ids are never given again: a reminder's buttons carry its id (``rv:<id>:yes``),
and an old message's button must not answer a newer reminder that took a deleted one's id
(SQLite reuses ids without AUTOINCREMENT; storage/models.py Reminder, revision 0020)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)

# The same ouderbabbel a day later, with a title of its own: Thursday's "eating" babbel.
EATING = (BABBEL.replace("babbel-nov", "babbel-eten").replace("2026-11-25", "2026-11-26")
          .replace("Ouderbabbel: slapen", "Ouderbabbel: eten")
          .replace("Veli sohbeti: uyku", "Veli sohbeti: yemek"))


async def rsvps(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        return [(r.activity_id, r.answer) for r in await session.scalars(select(Rsvp))]


async def test_after_forget_and_a_new_sign_up_an_old_reminder_answers_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe gets Tuesday's reminder of Wednesday's babbel on sleep, and on Wednesday at 18:00
    the reminder of Thursday's babbel on eating. On Wednesday evening she erases everything
    with /forget and signs up again with the school's QR code. Then she scrolls up and taps
    ✅ under Tuesday's reminder (sleep: over since Wednesday afternoon).

    Her old reminder's id was not given to a new one (AUTOINCREMENT on SQLite, revision
    0020): the button does not answer Thursday's babbel, which she never said she would
    come to. She reads that the activity is over (or the button expired); nothing is kept."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL, EATING)
    ayse = await onboard(chat, 9402, "Ayşe", "tr", "wijdeland")
    sleep_reminder = await day_reminder_of(bot, clock, fake, ayse)
    assert "Veli sohbeti: uyku" in sleep_reminder["text"]
    await round_at(bot, clock, local(25, 18))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 2, fake)

    clock.moment = local(25, 19).astimezone(UTC)
    await ayse.says("/forget")
    await ayse.taps(data="forget:yes")
    await ayse.says("/start s_wijdeland")
    await ayse.taps("Türkçe")
    await ayse.taps(data="privacy:ok")
    await round_at(bot, clock, local(25, 19, 1))  # the planner plans her reminders again

    alerts = await ayse.presses(sleep_reminder, f"rv:{nl_reminder_id(sleep_reminder)}:yes")
    assert alerts in (["Bu etkinlik sona erdi."], ["Bu düğme artık çalışmıyor."]), alerts
    assert await rsvps(db) == []
    shown = fake.message(ayse.id, sleep_reminder["message_id"])
    assert shown is not None and "Veli sohbeti: yemek" not in shown["text"]
