"""A brugfiguur who sent /stop or blocked the bot gets no new questions: not by routing, not
by escalation, not by a hand-over; the coordinator's /staff still lists them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.handlers.question_texts import render_card
from bot.i18n import BRUSSELS
from bot.services import questions
from storage.db import Database
from storage.models import OutboxMessage, Person, utcnow
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_question_housekeeping_e2e import run_housekeeping
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def test_a_stopped_contact_gets_no_new_question_and_stays_on_the_staff_screen(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9401, "Fatma", {"tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9402, "Mehmet", {"tr"}, db)
    [stopped] = await fatma.says("/stop")
    assert stopped["text"].endswith("Vragen van ouders komen niet meer bij jou.")
    ayse = await onboard(chat, 9411, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul kaydı hakkında bir sorum var.")
    await ayse.picks_topic("school")
    await wait_until(lambda: any("kaydı" in t for t in fake.texts(mehmet.id)), fake)
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, 9402)
    assert not any("kaydı" in t for t in fake.texts(fatma.id))
    assert not any("Fatma" in t for t in fake.texts(ayse.id))
    [screen] = await greet.says("/staff")
    assert "Fatma" in screen["text"] and "Mehmet" in screen["text"]
    fatma_block = next(b for b in screen["text"].split("\n\n") if b.startswith("👤 Fatma"))
    assert fatma_block.endswith("⏸ Gestopt met de bot: krijgt geen nieuwe vragen.")
    assert "⏸" not in next(b for b in screen["text"].split("\n\n") if b.startswith("👤 Mehmet"))


async def test_a_brugfiguur_who_blocked_the_bot_gets_no_new_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9421, "Fatma", {"tr"}, db, contact_of="wijdeland")
    async with db.session() as session:
        await session.execute(update(Person).where(Person.id == await staff_id(db, 9421))
                              .values(blocked_at=utcnow()))
        await session.commit()
    ayse = await onboard(chat, 9431, "Ayşe", "tr", "wijdeland")
    await ayse.says("Elektrik faturası hakkında bir sorum var.")
    await ayse.picks_topic("money")
    await wait_until(lambda: any("Elektrik" in t for t in fake.texts(COORDINATOR_ID)), fake)
    [question] = await question_rows(db)
    assert question.assignee_id is None
    assert not any("Elektrik" in t for t in fake.texts(fatma.id))


async def test_a_stopped_colleague_is_neither_escalated_to_nor_handed_a_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9441, "Fatma", {"tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9442, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 9451, "Ayşe", "tr", "wijdeland")
    await ayse.says("Çocuk bakımı için yardım lazım.")
    await ayse.picks_topic("childcare")
    await wait_until(lambda: any("bakımı" in t for t in fake.texts(fatma.id)), fake)
    await mehmet.says("/stop")
    [question] = await question_rows(db)
    mehmet_id = await staff_id(db, 9442)

    # He is not offered for a hand-over, and a hand-over to him is refused.
    card = next(m for m in reversed(fake.transcript(fatma.id)) if "Vraag" in m.get("text", ""))
    await fatma.taps(data=f"qs:{question.id}:hand")
    shown = fake.message(fatma.id, card["message_id"])
    assert shown is not None
    assert not any("Mehmet" in label for label, _d in FakeTelegram.inline_buttons(shown))
    assert await fatma.presses(card, f"qs:{question.id}:to:{mehmet_id}") == [
        "Deze knop werkt niet meer."]
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, 9441)

    # Nobody took it in four working hours: it goes to the coordinator, not to him.
    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(session, {COORDINATOR_ID})
        [moved] = await questions.escalate_due(session, MONDAY_10 + timedelta(hours=5),
                                               render_card, coordinators)
        await session.commit()
    assert moved.new_holder_first_name is None
    [question] = await question_rows(db)
    assert question.assignee_id is None
    await fake.wait_idle()
    assert not any("bakımı" in t for t in fake.texts(mehmet.id))


async def test_the_questions_a_brugfiguur_holds_go_to_the_coordinator_when_they_stop(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Escalation moves only questions nobody took: a taken one would wait for nobody."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9461, "Fatma", {"tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9471, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul servisi hakkında bir sorum var.")
    await ayse.picks_topic("school")
    await wait_until(lambda: any("servisi" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)
    await fatma.taps(data=f"qs:{question.id}:take")

    [stopped] = await fatma.says("/stop")
    assert stopped["text"].endswith("Vragen van ouders komen niet meer bij jou. De 1 vraag die "
                                    "je had, ging naar de coördinator.")
    [question] = await question_rows(db)
    assert question.assignee_id is None and question.status == "open"
    await wait_until(lambda: any("servisi" in t for t in fake.texts(greet.id)), fake)


async def test_a_taken_question_of_a_brugfiguur_who_blocked_the_bot_goes_to_the_coordinator(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma took Ayşe's question, then blocked the bot. Ayşe's next message does not reach
    her (Telegram says 403): the housekeeping job brings the question, with both messages,
    to the coordinator, says why, and does it once."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9481, "Fatma", {"tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9491, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul gezisi hakkında bir sorum var.")
    await ayse.picks_topic("school")
    await wait_until(lambda: any("gezisi" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)
    await fatma.taps(data=f"qs:{question.id}:take")
    fake.block_chat(fatma.id)
    await ayse.says("Ücreti ne kadar?")
    await wait_until(lambda: any(c.method == "copyMessage" and not c.ok for c in fake.calls),
                     fake)
    await fake.wait_idle()

    await run_housekeeping(bot)
    await wait_until(lambda: "Ücreti ne kadar?" in fake.texts(COORDINATOR_ID), fake)
    [question] = await question_rows(db)
    assert question.assignee_id is None and question.handed_by_id == await staff_id(db, 9481)
    await wait_until(lambda: any(t.startswith("⚠️") for t in fake.texts(COORDINATOR_ID)), fake)
    notices = [t for t in fake.texts(COORDINATOR_ID) if t.startswith("⚠️")]
    assert notices == [f"⚠️ Fatma krijgt geen berichten meer van de bot. Vraag {question.id} "
                       "(Ayşe, Türkçe) ligt nu bij jou: beantwoord ze of geef ze door."]
    assert "Okul gezisi hakkında bir sorum var." in fake.texts(COORDINATOR_ID)

    clock.moment = MONDAY_10 + timedelta(hours=6)  # later runs: not again, not escalated
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert len([t for t in fake.texts(COORDINATOR_ID) if t.startswith("⚠️")]) == 1


async def test_a_request_held_for_a_brugfiguurs_morning_is_not_sent_after_their_stop(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    # A Monday 20:00 weeks after the real today (the outbox keeps real time): Simran is red,
    # the request is held for her morning.
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)
    while day.weekday() != 0:
        day += timedelta(days=1)
    clock.moment = datetime(day.year, day.month, day.day, 20, 0, tzinfo=BRUSSELS)
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 9521, "Simran", {"nl", "pa"}, db)
    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps("🇧🇪 Alleen Nederlands")  # Turkish: nobody in the team speaks it
    await greet.taps("🙋 Vraag het team om te vertalen")  # Punjabi: Simran, tomorrow
    assert await statuses(db, simran.id) == ["pending"]
    await simran.says("/stop")
    assert await statuses(db, simran.id) == ["dropped"]


async def statuses(db: Database, chat_id: int) -> list[str]:
    """The statuses of the outbox rows to this chat (the bot's direct answers are not queued)."""
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)))
