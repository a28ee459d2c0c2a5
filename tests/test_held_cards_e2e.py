"""What waits for a brugfiguur's green hour, end to end: a question she already opened from
/inbox and answered at night does not come again as new in the morning; a card held for an
hour she then makes red comes in her next green hour instead (and so does what the parent
adds meanwhile). Moved from tests/test_review_brugfiguur.py, where they failed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.i18n import BRUSSELS
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import OutboxMessage, StaffProfile
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team, question_rows, staff_id


def a_wednesday_night() -> datetime:
    """A Wednesday 22:00 in Brussels, three weeks after the real today: rows held for a
    green hour stay held while the test runs (the sender reads the real clock)."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 22, 0, tzinfo=BRUSSELS)


async def pending_to(db: Database, chat_id: int) -> list[OutboxMessage]:
    async with db.session() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id,
                                        OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)))


async def availability(db: Database, person_id: int) -> AvailabilityMap:
    async with db.session() as session:
        profile = await session.get(StaffProfile, person_id)
        assert profile is not None
        return AvailabilityMap(profile.availability)


async def test_a_card_held_for_tomorrow_does_not_ring_after_she_makes_tomorrow_red(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Wednesday 22:00: Ayşe's question waits for Fatma's Thursday 09:00. At home, Fatma
    learns she has a hospital appointment tomorrow and makes Thursday all red. Nobody is
    ever disturbed in a red hour: the card must not come on Thursday 09:00."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9701, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    fatma_id = await staff_id(db, fatma.id)
    ayse = await onboard(chat, 9711, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul var mı, grev mi var?")
    told = await ayse.picks_topic("school")
    assert "Fatma" in told[-1]["text"]
    held = await pending_to(db, fatma.id)
    assert held and all(r.not_before.astimezone(BRUSSELS).hour == 9 for r in held)

    await fatma.says("/availability")
    await fatma.taps(data=f"team:a:{fatma_id}:3")  # Thursday
    await fatma.taps(data=f"team:a:{fatma_id}:3:r")  # all red
    await fatma.taps(data=f"team:a:{fatma_id}")  # back to the week
    await fatma.taps(data=f"team:a:{fatma_id}:ok")
    amap = await availability(db, fatma_id)
    thursday_9 = clock.moment + timedelta(hours=11)
    assert amap.level_at(thursday_9) is Level.RED

    # What still waits for her must come in one of her green hours (or go to a colleague).
    for row in await pending_to(db, fatma.id):
        assert amap.level_at(row.not_before) is not Level.RED, (
            row.dedupe_key, row.not_before.astimezone(BRUSSELS))


async def test_what_the_parent_adds_after_the_change_waits_with_the_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma made Thursday red: the card now waits for Friday 09:00. Ayşe writes again at
    22:30: her message waits with the card (Friday), not for the old Thursday 09:00."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9721, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    fatma_id = await staff_id(db, fatma.id)
    ayse = await onboard(chat, 9731, "Ayşe", "tr", "wijdeland")
    await ayse.says("Cuma günü okul açık mı?")
    await ayse.picks_topic("school")
    await fatma.says("/availability")
    await fatma.taps(data=f"team:a:{fatma_id}:3")
    await fatma.taps(data=f"team:a:{fatma_id}:3:r")
    friday_9 = clock.moment + timedelta(days=1, hours=11)
    [question] = await question_rows(db)
    assert question.deliver_at == friday_9

    clock.moment += timedelta(minutes=30)
    await ayse.says("Bir de servis var mı?")
    waiting = await pending_to(db, fatma.id)
    assert len(waiting) == 3  # the card, her first message, the new one
    assert {r.not_before for r in waiting} == {friday_9}


async def test_a_question_answered_from_the_inbox_at_night_does_not_come_again_as_new(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Wednesday 22:00 (red for Fatma): Ayşe's card waits for Thursday 09:00. Fatma looks at
    /inbox anyway, taps the question, and answers it. On Thursday morning the same card, with
    "✋ Take it" and the parent's message, must not arrive as if nobody had seen it."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9702, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9712, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul kaçta başlıyor?")
    await ayse.picks_topic("school")
    [question] = await question_rows(db)
    assert question.deliver_at is not None

    [listing] = [m for m in await fatma.says("/inbox") if m.get("text")]
    await fatma.presses(listing, f"qs:{question.id}:show")
    await wait_until(lambda: "Yarın okul kaçta başlıyor?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id)
            if m.get("text") == "Yarın okul kaçta başlıyor?"][-1]
    [sent] = await fatma.says("Om 8u30, zoals altijd.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: "Om 8u30, zoals altijd." in fake.texts(ayse.id), fake)

    # Nothing of the question still waits to reach her in the morning as a fresh card.
    waiting = [r for r in await pending_to(db, fatma.id)
               if r.group_key == f"q:{question.id}"]
    assert [(r.dedupe_key, json.loads(r.payload).get("text", "")[:20]) for r in waiting] == []


async def test_a_further_message_at_night_still_comes_in_the_morning_after_an_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma opened Ayşe's question from /inbox at night; Ayşe writes again (held for the
    morning); Fatma, not having seen it, answers her first message. The new message was
    never in Fatma's chat: it still comes at 09:00, under the card she has."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9703, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9713, "Ayşe", "tr", "wijdeland")
    await ayse.says("Veli toplantısı ne zaman?")
    await ayse.picks_topic("school")
    [question] = await question_rows(db)
    [listing] = [m for m in await fatma.says("/inbox") if m.get("text")]
    await fatma.presses(listing, f"qs:{question.id}:show")
    await wait_until(lambda: "Veli toplantısı ne zaman?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id)
            if m.get("text") == "Veli toplantısı ne zaman?"][-1]

    clock.moment += timedelta(minutes=10)
    await ayse.says("Çocuğumu da getirebilir miyim?")
    [held] = [r for r in await pending_to(db, fatma.id) if r.group_key == f"q:{question.id}"]
    await fatma.says("Donderdag om 18u.", reply_to=copy)
    [still] = [r for r in await pending_to(db, fatma.id) if r.group_key == f"q:{question.id}"]
    assert still.id == held.id and still.not_before == question.deliver_at
    assert json.loads(still.payload).get("reply_to")  # under the card she has
