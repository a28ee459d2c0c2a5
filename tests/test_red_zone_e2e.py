"""A review of "Nobody is ever disturbed in a red zone" (DOMAIN.md), across the ways the bot
writes to the team: a card sent late (a 429, a restart), a map changed while a card waits,
the coordinator's own map, and what the parent was promised.

The outbox sender claims rows by the wall clock, while the bot decides by the test's clock:
the days here lie three weeks after the real today, so that a row held for a green hour
stays held while the test runs, and a row due "now" is sent at once, read by the bot's
clock as the moment the test set.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from bot.config import Settings
from bot.i18n import BRUSSELS
from bot.scheduler.questions import weekly_figures
from bot.services.availability import Level
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import MESSAGE_METHODS, FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_held_cards_e2e import availability, pending_to
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team, question_rows, staff_id
from tests.test_restart_e2e import back, instance


def a_day_ahead(weekday: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """That weekday at that local hour, three weeks or more after the real today."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=BRUSSELS)


def delivered_to(fake: FakeTelegram, chat_id: int, since: int) -> list:
    """Messages that reached the chat (successful sends) after the fake's mark ``since``."""
    return [c for c in fake.calls[since:]
            if c.method in MESSAGE_METHODS | {"copyMessage", "forwardMessage"}
            and c.chat_id == chat_id and c.ok]


async def reached_within(fake: FakeTelegram, chat_id: int, since: int,
                         seconds: float) -> list:
    """What reaches the chat within ``seconds`` (or until the first message does)."""
    for _tick in range(int(seconds * 10)):
        if delivered_to(fake, chat_id, since):
            break
        await asyncio.sleep(0.1)
    return delivered_to(fake, chat_id, since)


async def rows_to(db: Database, chat_id: int) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.chat_id == chat_id)) or 0)


# ------------------------------------------------------------------------------------------
# sent late: the sender never looks at the map


async def test_a_card_retried_after_a_429_does_not_ring_once_the_hour_turned_red(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma's default map: Friday 16:00-17:00 green, from 17:00 red (she picks up her
    children). Ayşe's question comes at 16:59:58; Telegram answers the card with a 429 and
    "retry after 4". By the retry it is 17:00:02."""
    clock.moment = a_day_ahead(4, 16, 59, 58)
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9801, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9811, "Ayşe", "tr", "wijdeland")
    fake.fail_next("sendMessage", 429, retry_after=4, chat_id=fatma.id)
    await ayse.says("Okul servisi yarın var mı?")
    told = await ayse.picks_topic("school")
    assert "Fatma" in told[-1]["text"]
    await wait_until(lambda: any(c.error_code == 429 for c in fake.calls_of(
        "sendMessage", fatma.id)), fake)

    clock.moment += timedelta(seconds=4)  # 17:00:02: red for Fatma
    amap = await availability(db, await staff_id(db, fatma.id))
    assert amap.level_at(clock.moment) is Level.RED
    since = len(fake.calls)
    # The retry comes after 4 s; give it time to come (or, rightly, not).
    rang = [c.method for c in await reached_within(fake, fatma.id, since, 7)]
    assert rang == [], f"reached Fatma at 17:00 (red): {rang}"


async def test_a_card_left_in_the_outbox_over_a_restart_does_not_ring_in_a_red_hour(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    """Friday 16:55: Ayşe asks; Telegram answers Fatma's card with flood control, and the
    bot is redeployed meanwhile. It is back at 17:40: Fatma is at home with her children
    (red from 17:00). Her card, and the copy of Ayşe's message, must not come now."""
    clock.moment = a_day_ahead(4, 16, 55)
    async with instance(settings, db, fake, clock) as (chat, _handled):
        greet = await coordinator_of(chat)
        fatma = await join_team(chat, greet, 9802, "Fatma", {"nl", "tr"}, db,
                                contact_of="wijdeland")
        ayse = await onboard(chat, 9812, "Ayşe", "tr", "wijdeland")
        fake.fail_next("sendMessage", 429, retry_after=6, chat_id=fatma.id)
        await ayse.says("Okul servisi yarın var mı?")
        await ayse.picks_topic("school")
        await wait_until(lambda: any(c.error_code == 429 for c in fake.calls_of(
            "sendMessage", fatma.id)), fake)
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in await pending_to(db, fatma.id)] == [
        "card", "m1"]

    clock.moment = a_day_ahead(4, 17, 40)
    amap = await availability(db, await staff_id(db, fatma.id))
    assert amap.level_at(clock.moment) is Level.RED
    since = len(fake.calls)
    async with instance(settings, db, fake, clock) as (_chat, handled):
        back(fatma, handled)
        # (the flood control's 6 s run out meanwhile)
        rang = [c.method for c in await reached_within(fake, fatma.id, since, 10)]
    assert rang == [], f"reached Fatma at 17:40 (red): {rang}"


# ------------------------------------------------------------------------------------------
# a map changed while a card waits


async def test_a_card_waiting_for_a_brugfiguur_who_goes_on_leave_goes_to_a_colleague(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = a_day_ahead(2, 22)  # Wednesday 22:00
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9803, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9804, "Mehmet", {"nl", "tr"}, db)
    fatma_id, mehmet_id = await staff_id(db, fatma.id), await staff_id(db, mehmet.id)
    ayse = await onboard(chat, 9813, "Ayşe", "tr", "wijdeland")
    await ayse.says("Çocuğum yarın hasta, okula nasıl haber vereyim?")
    told = await ayse.picks_topic("school")
    assert "Fatma" in told[-1]["text"]  # "... tomorrow from 09:00"
    thursday_9 = clock.moment + timedelta(hours=11)

    # At home, Fatma learns she will be off for weeks: every day red.
    await fatma.says("/availability")
    for day in range(5):  # the weekend is red already
        await fatma.taps(data=f"team:a:{fatma_id}:{day}")
        await fatma.taps(data=f"team:a:{fatma_id}:{day}:r")
        await fatma.taps(data=f"team:a:{fatma_id}")  # back to the week
    await fatma.taps(data=f"team:a:{fatma_id}:ok")
    amap = await availability(db, fatma_id)
    assert Level.GREEN.value not in amap.cells and Level.ORANGE.value not in amap.cells

    [question] = await question_rows(db)
    waiting = [(r.dedupe_key, r.not_before.astimezone(BRUSSELS).isoformat())
               for r in await pending_to(db, fatma.id)
               if amap.level_at(r.not_before) is Level.RED]
    assert question.assignee_id == mehmet_id and (question.deliver_at or thursday_9) \
        <= thursday_9, (question.assignee_id, question.deliver_at, waiting)
    assert waiting == []


async def test_a_parent_promised_tomorrow_is_not_left_waiting_when_the_holder_makes_it_red(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = a_day_ahead(2, 22)  # Wednesday 22:00
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9805, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    await join_team(chat, greet, 9806, "Mehmet", {"nl", "tr"}, db)  # green Thursday 09:00
    fatma_id = await staff_id(db, fatma.id)
    ayse = await onboard(chat, 9815, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın veli toplantısı kaçta?")
    told = await ayse.picks_topic("school")
    assert "yarın" in told[-1]["text"] and "09:00" in told[-1]["text"], told[-1]["text"]
    thursday_9 = (clock.moment + timedelta(hours=11)).astimezone(UTC)
    to_ayse = await rows_to(db, ayse.id)

    await fatma.says("/availability")
    await fatma.taps(data=f"team:a:{fatma_id}:3")  # Thursday: a hospital appointment
    await fatma.taps(data=f"team:a:{fatma_id}:3:r")
    await fatma.taps(data=f"team:a:{fatma_id}")
    await fatma.taps(data=f"team:a:{fatma_id}:ok")

    [question] = await question_rows(db)
    answered_on_time = question.deliver_at is not None and question.deliver_at <= thursday_9
    told_again = await rows_to(db, ayse.id) > to_ayse
    assert answered_on_time or told_again, (
        f"the card now waits for {question.deliver_at.astimezone(BRUSSELS)}; Ayşe still "
        "believes Thursday 09:00" if question.deliver_at else "no time")


# ------------------------------------------------------------------------------------------
# the coordinator's own map


async def test_the_coordinators_own_red_day_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Greet works Monday, Tuesday, Thursday and Friday: she makes Wednesday red. On
    Wednesday at 14:00 Harpreet asks in Punjabi, which nobody in the team reads: the card
    is Greet's, and must not ring on her free day."""
    clock.moment = a_day_ahead(2, 14)  # Wednesday 14:00
    greet = await coordinator_of(chat)
    greet_id = await staff_id(db, COORDINATOR_ID)
    [week] = await greet.says("/availability")
    assert week.get("reply_markup"), week
    await greet.taps(data=f"team:a:{greet_id}:2")
    await greet.taps(data=f"team:a:{greet_id}:2:r")
    await greet.taps(data=f"team:a:{greet_id}")
    await greet.taps(data=f"team:a:{greet_id}:ok")
    amap = await availability(db, greet_id)
    assert amap.level_at(clock.moment) is Level.RED

    harpreet = await onboard(chat, 9821, "Harpreet", "pa", "klimop")
    since = len(fake.calls)
    await harpreet.says("ਸਕੂਲ ਦੀ ਚਿੱਠੀ ਸਮਝ ਨਹੀਂ ਆਈ")
    await harpreet.picks_topic("letter")
    rang = [c.params.get("text", c.method)[:30]
            for c in await reached_within(fake, COORDINATOR_ID, since, 3)
            if not c.params.get("disable_notification")]
    assert rang == [], f"rang on Greet's red Wednesday: {rang}"


async def test_mondays_figures_wait_for_the_coordinators_green_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Greet starts on Mondays at 13:00: her Monday morning is red. The week's line of
    figures, due at 09:00, waits for her 13:00, as her cards do (and her notices about
    questions: bot/scheduler/questions.py marks both ``BY_HOURS``)."""
    clock.moment = a_day_ahead(0, 9, 5)  # Monday 09:05
    greet = await coordinator_of(chat)
    greet_id = await staff_id(db, COORDINATOR_ID)
    await greet.says("/availability")
    await greet.taps(data=f"team:a:{greet_id}:0")
    for hour in range(8, 13):  # Monday 08:00 to 13:00 made red, hour by hour
        for _tap in range(3):  # a tap cycles the hour's colour
            if await availability_now(db, greet_id, clock.moment, hour) is Level.RED:
                break
            await greet.taps(data=f"team:a:{greet_id}:0:{hour}")
    await greet.taps(data=f"team:a:{greet_id}")  # back to the week
    await greet.taps(data=f"team:a:{greet_id}:ok")
    amap = await availability(db, greet_id)
    assert amap.level_at(clock.moment) is Level.RED
    assert amap.next_green(clock.moment) == clock.moment.replace(hour=13, minute=0)

    since = len(fake.calls)
    await weekly_figures(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]
    assert await reached_within(fake, COORDINATOR_ID, since, 2) == []
    [waiting] = [row for row in await pending_to(db, COORDINATOR_ID)
                 if row.dedupe_key.startswith("figures:")]
    assert waiting.not_before == clock.moment.replace(hour=13, minute=0).astimezone(UTC)


async def availability_now(db: Database, person_id: int, moment: datetime,
                           hour: int) -> Level:
    """The level of her map at ``hour`` on the day of ``moment``."""
    return (await availability(db, person_id)).level_at(moment.replace(hour=hour, minute=30))
