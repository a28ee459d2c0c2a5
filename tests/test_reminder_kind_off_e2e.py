"""A reminder the coordinator turns off in /reminders is not sent, even when its rows were
already planned (the planner plans up to eight days ahead); the reminders still chosen are."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Reminder
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, import_csv, local, reminders_in, round_at


async def test_a_reminder_turned_off_after_planning_is_not_sent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9961, "Els", "nl", "vlindertje")
    await round_at(bot, clock, local(22, 10))  # the day before and two hours before: planned
    async with db.session() as session:
        assert sorted(await session.scalars(select(Reminder.kind))) == ["2h", "day"]

    # The coordinator turns "the day before" off for ouderbabbels.
    await greet.says("/reminders")
    await greet.taps(data="rm:k:ouderbabbel")
    await greet.taps(data="rm:t:ouderbabbel:day:off")

    result = await round_at(bot, clock, local(24, 18))
    assert result.sent == 0 and result.reasons == {"not_chosen": 1}
    async with db.session() as session:
        day = await session.scalar(select(Reminder).where(Reminder.kind == "day"))
        assert day is not None and (day.status, day.reason) == ("skipped", "not_chosen")

    # Two hours before, still chosen: sent.
    result = await round_at(bot, clock, local(25, 11, 30))
    assert result.sent == 1
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 1, fake)
    assert "🔔 Herinnering: over twee uur" in reminders_in(fake, els.id)[0]["text"]
