"""A second look at the day's changes that reach parents (a reviewer of the diff): a school
unticked by mistake and ticked back keeps the evening's announcement (its schools are
checked when it leaves); an urgent row is not pushed behind one held for the night; 📆 under
any reminder of a moved occurrence updates the same calendar entry; a failed poster tap can
be tapped again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from bot.scheduler.outbox import wake
from bot.services import outbox
from bot.services.outbox import URGENT, NewMessage
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_parent_settings_later_e2e import (
    CLOSED_KLIMOP,
    KLIMOP,
    MONDAY_2130,
    TUESDAY_0830,
    WIJDELAND,
    closed_in_the_evening,
)
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_red_zone_e2e import a_day_ahead
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)

MONDAY_2140 = MONDAY_2130 + timedelta(minutes=10)
MONDAY_2141 = MONDAY_2130 + timedelta(minutes=11)


# --------------------------------------------------------------------------------------------
# 🏫 My school and an announcement that waits for her morning


async def test_a_school_unticked_by_mistake_and_ticked_back_keeps_the_evening_announcement(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 9701, "Ayşe", "tr", "klimop")
    await ayse.says("/school")
    await ayse.taps(WIJDELAND)  # her second child's school

    clock.moment = MONDAY_2130
    await closed_in_the_evening(greet, ayse, fake, to=KLIMOP)

    # 21:40: in /school her thumb hits Klim-op instead of Het Wijdeland; she ticks it back.
    clock.moment = MONDAY_2140
    [question] = await ayse.says("/school")
    await ayse.taps(f"✅ {KLIMOP}")
    clock.moment = MONDAY_2141
    await ayse.taps(KLIMOP)
    redrawn = fake.message(ayse.id, question["message_id"])
    assert redrawn is not None
    assert sorted(label for label, _d in FakeTelegram.inline_buttons(redrawn)
                  if label.startswith("✅")) == sorted([f"✅ {KLIMOP}", f"✅ {WIJDELAND}"])

    clock.moment = TUESDAY_0830
    wake(bot.app)
    await wait_until(lambda: any(CLOSED_KLIMOP in t for t in fake.texts(ayse.id)), fake,
                     seconds=5)


# --------------------------------------------------------------------------------------------
# 📣 Urgent and a row held for the morning


async def test_an_urgent_announcement_is_not_pushed_behind_an_ordinary_row_held_for_the_night(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    await coordinator_of(chat)
    ayse = await onboard(chat, 9711, "Ayşe", "nl", "klimop")
    await outbox_settled(db, ayse.id)
    clock.moment = a_day_ahead(0, 22, 0)  # a night ahead of the wall clock: held, it stays
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == ayse.id))
        assert person is not None
        await outbox.enqueue_many(session, [
            NewMessage(f"broadcast:77:{person.id}", ayse.id, person.id, "text",
                       {"text": "Het programma van volgende week."}, group_key="broadcast:77"),
            NewMessage(f"announce:78:{person.id}", ayse.id, person.id, "text",
                       {"text": "Morgen is de school dicht!", URGENT: True},
                       group_key="announce:78"),
        ])
        await session.commit()
    wake(bot.app)
    for _attempt in range(100):  # until the programme's row is held for her morning
        rows = await rows_of(db, ayse.id)
        if rows[f"broadcast:77:{person.id}"][:2] == ("pending", "quiet"):
            break
        await asyncio.sleep(0.05)
    await fake.wait_idle(quiet=0.5)
    urgent = (await rows_of(db, ayse.id))[f"announce:78:{person.id}"]
    assert urgent[0] == "sent", urgent  # today: ('pending', None, <08:00 next morning>)
    assert any("dicht" in t for t in fake.texts(ayse.id))


async def rows_of(db: Database, chat_id: int) -> dict[str, tuple[str, str | None, datetime]]:
    async with db.session() as session:
        return {row.dedupe_key: (row.status, row.error, row.not_before)
                for row in await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.chat_id == chat_id))}


# --------------------------------------------------------------------------------------------
# 📆 Add to calendar after a move


def calendar_uid(fake: FakeTelegram, document: dict) -> str:
    content = fake.file_content(document["document"]["file_id"])
    return str(next(iter(Calendar.from_ical(content).walk("VEVENT")))["uid"])


async def test_add_to_calendar_under_the_reminder_of_the_new_time_updates_the_same_entry(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9721, "Ayşe", "tr", "kabouterland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    assert bot.app is not None
    [first] = await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:ics")
    before = calendar_uid(fake, first)

    # Tuesday 20:00: the babbel moves to Thursday 26 November, 14:00; she is told.
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-26;14:00;15:30"))
    await round_at(bot, clock, local(24, 20))
    await wait_until(lambda: any("⚠️" in t for t in fake.texts(ayse.id)), fake)

    # Thursday 12:00: the two-hours reminder of the new time; she taps 📆 under it.
    await round_at(bot, clock, local(26, 12))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 2, fake)
    await outbox_settled(db, ayse.id)
    later = reminders_in(fake, ayse.id)[1]
    bot.app.chat_data[ayse.id].pop("bursts", None)
    [second] = await ayse.taps(data=f"rv:{nl_reminder_id(later)}:ics")
    assert calendar_uid(fake, second) == before


# --------------------------------------------------------------------------------------------
# the poster buttons


async def test_a_tap_again_after_the_posters_failed_sends_them(
    chat: Chat, fake: FakeTelegram, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    [menu] = await greet.says("/poster")
    fake.fail_next("sendDocument", 400, "Bad Request: file is too big")
    await greet.presses(menu, "po:all")
    await fake.wait_idle()
    assert any("something went wrong" in t or "ging iets mis" in t
               for t in fake.texts(greet.id)), fake.texts(greet.id)[-1]
    assert not [c for c in fake.calls_of("sendDocument", greet.id) if c.ok]

    await greet.presses(menu, "po:all")
    await fake.wait_idle()
    assert [c for c in fake.calls_of("sendDocument", greet.id) if c.ok], \
        fake.texts(greet.id)[-1]
