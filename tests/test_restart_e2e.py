"""Restarts and downtime. The bot is stopped and a new Application starts on the same
database, as after a deploy, a reboot, or a night or a weekend down; the clock is the test's.
After the downtime: one late reminder per parent and day, not all that fell due; a button
pressed meanwhile (which Telegram no longer lets us answer) still counts; the monthly report
and the weekly figures still come."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import build_application, running
from bot.config import Settings
from bot.i18n import BRUSSELS
from bot.scheduler.reminders import run_round
from bot.scheduler.report import send_due
from storage.db import Database
from storage.models import Rsvp
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, import_csv, nl_reminder_id, reminders_in


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


@asynccontextmanager
async def instance(settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock,
                   *, polling: bool = True) -> AsyncIterator[tuple[Chat, Handled]]:
    """One run of the bot, as ``python -m bot`` runs it, on the shared database."""
    app = build_application(settings, db=db)
    app.bot_data["clock"] = clock
    handled = Handled().watch(app)
    async with running(app, polling=polling):
        yield Chat(fake, handled), handled


def back(person: Person, handled: Handled) -> Person:
    """The same person talking to the instance that runs now."""
    person.handled = handled
    return person


async def plan_and_hand_over(handled: Handled, clock: FixedClock, moment: datetime) -> None:
    clock.moment = moment
    assert handled.app is not None
    handled.app.bot_data["replan"] = True
    await run_round(handled.app)


# ------------------------------------------------------------------------------------------
# reminders after downtime


async def test_down_over_two_reminders_of_a_day_sends_one_late_reminder(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    async with instance(settings, db, fake, clock) as (chat, handled):
        greet = await coordinator_of(chat)
        await import_csv(greet, BABBEL)
        els = await onboard(chat, 9601, "Els", "nl", "vlindertje")
        await plan_and_hand_over(handled, clock, local(2026, 11, 22, 10))
    # Down from Sunday until Wednesday 11:45 (the ouderbabbel is Wednesday at 13:30).
    clock.moment = local(2026, 11, 25, 11, 45)
    async with instance(settings, db, fake, clock, polling=False) as (_chat, handled):
        await plan_and_hand_over(handled, clock, local(2026, 11, 25, 11, 45))
        await wait_until(lambda: len(reminders_in(fake, els.id)) >= 1, fake)
        await outbox_settled(db)
    texts = [m["text"] for m in reminders_in(fake, els.id)]
    assert len(texts) == 1, texts




async def test_back_just_before_the_next_reminder_sends_no_late_one_first(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    """Down from Sunday until Wednesday 11:00: the day-before reminder fell due meanwhile, and
    the two-hours one comes at 11:30. A late one at 11:00 and the next half an hour later
    would say the same twice: only the one at 11:30 comes."""
    async with instance(settings, db, fake, clock) as (chat, handled):
        greet = await coordinator_of(chat)
        await import_csv(greet, BABBEL)
        els = await onboard(chat, 9602, "Els", "nl", "vlindertje")
        await plan_and_hand_over(handled, clock, local(2026, 11, 22, 10))
    clock.moment = local(2026, 11, 25, 11)
    async with instance(settings, db, fake, clock, polling=False) as (_chat, handled):
        await plan_and_hand_over(handled, clock, local(2026, 11, 25, 11))
        await outbox_settled(db)
        assert reminders_in(fake, els.id) == []
        await plan_and_hand_over(handled, clock, local(2026, 11, 25, 11, 30))
        await wait_until(lambda: len(reminders_in(fake, els.id)) >= 1, fake)
        await outbox_settled(db)
    assert len(reminders_in(fake, els.id)) == 1

# ------------------------------------------------------------------------------------------
# button presses that waited at Telegram while the bot was down

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_an_rsvp_tapped_while_the_bot_was_down_is_kept(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    async with instance(settings, db, fake, clock) as (chat, handled):
        greet = await coordinator_of(chat)
        await import_csv(greet, BABBEL)
        els = await onboard(chat, 9611, "Els", "nl", "vlindertje")
        await plan_and_hand_over(handled, clock, local(2026, 11, 22, 10))
        await plan_and_hand_over(handled, clock, local(2026, 11, 24, 18))
        await wait_until(lambda: len(reminders_in(fake, els.id)) == 1, fake)
        await outbox_settled(db)
    [reminder] = reminders_in(fake, els.id)
    # Down for the night; she taps "I'm coming" at 19:00. Back at 07:00.
    press = fake.press(els.user, reminder, f"rv:{nl_reminder_id(reminder)}:yes")
    fake.fail_next("answerCallbackQuery", 400, TOO_OLD, times=5)
    clock.moment = local(2026, 11, 25, 7)
    async with instance(settings, db, fake, clock) as (chat, handled):
        await handled.wait(press["update_id"])
        redrawn = fake.message(els.id, reminder["message_id"])
        assert redrawn is not None and "Je zei: ✅ Ik kom." in redrawn["text"]
        async with db.session() as session:
            answers = list(await session.scalars(select(Rsvp.answer)))
        assert answers == ["yes"]


async def test_a_language_tapped_during_sign_up_while_the_bot_was_down_goes_on(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    async with instance(settings, db, fake, clock) as (chat, handled):
        ayse = chat.person(9621, "Ayşe")
        await ayse.says("/start s_wijdeland")
    mark = len(fake.transcript(ayse.id))
    press = fake.press_button(ayse.user, "Türkçe")
    fake.fail_next("answerCallbackQuery", 400, TOO_OLD)
    async with instance(settings, db, fake, clock) as (chat, handled):
        await handled.wait(press["update_id"])
        await fake.wait_idle(quiet=0.3)
        new = [m.get("text", "") for m in fake.transcript(ayse.id)[mark:]]
        # Her language taken, the next sign-up question (the privacy notice) in Turkish.
        assert any("Bilgileriniz hakkında" in t for t in new), new


# ------------------------------------------------------------------------------------------
# the coordinator's weekly and monthly figures


async def test_down_over_a_long_weekend_on_the_first_the_report_still_comes(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    async with instance(settings, db, fake, clock) as (chat, _handled):
        await coordinator_of(chat)
    clock.moment = local(2027, 1, 4, 9)
    async with instance(settings, db, fake, clock, polling=False) as (_chat, handled):
        assert handled.app is not None
        await send_due(handled.app)
    assert [c for c in fake.calls_of("sendPhoto", COORDINATOR_ID) if c.ok]


async def test_down_on_monday_at_nine_the_weekly_figures_still_come(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    clock.moment = local(2026, 11, 23, 10)
    async with instance(settings, db, fake, clock) as (chat, _handled):
        await coordinator_of(chat)
        els = await onboard(chat, 9631, "Els", "nl", "vlindertje")
        await els.says("Waar vind ik het formulier?")
        await els.picks_topic("letter")
    # Down from Saturday until Monday 30 November, 10:00.
    clock.moment = local(2026, 11, 30, 10)
    async with instance(settings, db, fake, clock):
        with contextlib.suppress(AssertionError):
            await wait_until(lambda: any(t.startswith("📊") for t in
                                         fake.texts(COORDINATOR_ID)), fake, 10)
    assert any(t.startswith("📊") for t in fake.texts(COORDINATOR_ID))
