"""A question whose card waits for Fatma's green hour, and someone else deals with it first, end
to end: the coordinator answers it, a colleague takes it over and answers, or the coordinator
closes it. In the morning Fatma gets nothing of it (she never saw it: nothing to tell), and the
parent has one answer, not a second one from Fatma, who would have read an untouched card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.scheduler.outbox import wake
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import OutboxMessage, utcnow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_held_cards_e2e import a_wednesday_night, pending_to
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team, question_rows, staff_id


async def morning_comes(db: Database, bot: Handled, clock: FixedClock) -> None:
    """Thursday 09:05, Fatma's green hour: what was held for it is due now (the sender
    claims by the real clock, three weeks before the test's), and the outbox drains."""
    clock.moment = a_wednesday_night() + timedelta(hours=11, minutes=5)
    async with db.session() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                              .values(not_before=utcnow()))
        await session.commit()
    assert bot.app is not None
    wake(bot.app)
    await outbox_settled(db)


async def question_rows_for(db: Database, chat_id: int, question_id: int) -> set[tuple[str, str]]:
    async with db.session() as session:
        return {(row.status, row.error or "") for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id,
                                        OutboxMessage.group_key == f"q:{question_id}"))}


async def handed_to_fatma_at_night(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, user_id: int
) -> tuple[Talker, Talker, Talker, int, dict[str, Any]]:
    """Wednesday 22:00. Ayşe's question came to the coordinator (nobody in the team spoke
    Turkish yet); Fatma has joined since, and Greet hands it to her from its card: it waits
    for Fatma's Thursday 09:00. Greet still has the card and Ayşe's message in her chat.
    Returns Greet, Fatma, Ayşe, the question's id and Greet's copy of Ayşe's message."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, user_id + 10, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul servisi var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Yarın okul servisi var mı?" in fake.texts(greet.id), fake)
    fatma = await join_team(chat, greet, user_id, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    [question] = await question_rows(db)
    card = next(m for m in reversed(fake.transcript(greet.id))
                if m.get("text", "").startswith("❓"))
    await greet.presses(card, f"qs:{question.id}:to:{await staff_id(db, fatma.id)}")
    handed = fake.message(greet.id, card["message_id"])
    assert handed is not None and "Fatma" in handed["text"] and "09:00" in handed["text"]
    held = [r for r in await pending_to(db, fatma.id) if r.group_key == f"q:{question.id}"]
    assert len(held) == 2  # the card and Ayşe's message, for the morning
    copy = [m for m in fake.transcript(greet.id)
            if m.get("text") == "Yarın okul servisi var mı?"][-1]
    return greet, fatma, ayse, question.id, copy


async def test_the_coordinators_answer_at_night_is_the_only_one_and_fatma_gets_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, fatma, ayse, question_id, copy = await handed_to_fatma_at_night(
        chat, fake, db, clock, 9801)
    fatma_had = len(fake.transcript(fatma.id))

    [sent] = await greet.says("Ja, om 7u45 zoals altijd.", reply_to=copy)
    assert sent["text"] == ("✅ Verstuurd naar Ayşe.\n"
                            "Fatma had deze vraag nog niet gezien: ze ligt nu bij jou.")
    await wait_until(lambda: "Ja, om 7u45 zoals altijd." in fake.texts(ayse.id), fake)
    [question] = await question_rows(db)
    assert question.assignee_id is None and question.deliver_at is None
    assert await question_rows_for(db, fatma.id, question_id) == {("dropped", "answered")}

    # Ayşe writes again: it reaches the one who answered her, now, not Fatma in the morning.
    clock.moment += timedelta(minutes=5)
    await ayse.says("Teşekkürler! Dönüşte de var mı?")
    await wait_until(lambda: "Teşekkürler! Dönüşte de var mı?" in fake.texts(greet.id), fake)

    await morning_comes(db, bot, clock)
    assert fake.transcript(fatma.id)[fatma_had:] == []
    assert fake.texts(ayse.id).count("Ja, om 7u45 zoals altijd.") == 1


async def test_a_colleague_takes_it_over_and_answers_and_fatma_gets_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Wednesday 22:00: Ayşe's question waits for Fatma, her school's contact ("Fatma has your
    question, tomorrow from 09:00"). Mehmet, who works evenings, joins; Greet hands it to him
    from /queue; he takes it (✋) and answers."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9811, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9821, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın veli toplantısı kaçta?")
    told = await ayse.picks_topic("school")
    assert "Fatma" in told[-1]["text"]
    [question] = await question_rows(db)
    assert question.deliver_at is not None
    fatma_had = len(fake.transcript(fatma.id))
    mehmet = await join_team(chat, greet, 9812, "Mehmet", {"nl", "tr"}, db,
                             availability=AvailabilityMap.all(Level.GREEN))
    [queue] = await greet.says("/queue")
    await greet.presses(queue, f"qs:{question.id}:to:{await staff_id(db, mehmet.id)}")
    await wait_until(lambda: "Yarın veli toplantısı kaçta?" in fake.texts(mehmet.id), fake)
    card = next(m for m in fake.transcript(mehmet.id) if m.get("text", "").startswith("❓"))
    await mehmet.presses(card, f"qs:{question.id}:take")
    assert mehmet.alerts() == ["Ze is van jou."]
    copy = [m for m in fake.transcript(mehmet.id)
            if m.get("text") == "Yarın veli toplantısı kaçta?"][-1]
    [sent] = await mehmet.says("Om 18u, in de refter.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: "Om 18u, in de refter." in fake.texts(ayse.id), fake)
    assert await question_rows_for(db, fatma.id, question.id) == {("dropped", "handed_over")}

    await morning_comes(db, bot, clock)
    assert fake.transcript(fatma.id)[fatma_had:] == []
    assert fake.texts(ayse.id).count("Om 18u, in de refter.") == 1
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, mehmet.id)


async def test_closed_by_the_coordinator_at_night_fatma_gets_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, fatma, ayse, question_id, _copy = await handed_to_fatma_at_night(
        chat, fake, db, clock, 9831)
    fatma_had = len(fake.transcript(fatma.id))
    card = next(m for m in reversed(fake.transcript(greet.id))
                if m.get("text", "").startswith("❓"))
    await greet.presses(card, f"qs:{question_id}:closeok")
    await wait_until(lambda: ayse.last_text().startswith("Sorunuz kapatıldı"), fake)
    assert await question_rows_for(db, fatma.id, question_id) == {("dropped", "closed")}

    await morning_comes(db, bot, clock)
    assert fake.transcript(fatma.id)[fatma_had:] == []
    [question] = await question_rows(db)
    assert question.status == "closed"


async def test_the_coordinators_answer_leaves_a_question_fatma_has_seen_with_her(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Fatma opened the handed-over question from /inbox at night: it is hers, seen. The
    coordinator's answer leaves it with her (nothing of it still waits for her morning)."""
    greet, fatma, ayse, question_id, copy = await handed_to_fatma_at_night(
        chat, fake, db, clock, 9841)
    await fatma.says("/inbox")
    await fatma.taps(data=f"qs:{question_id}:show")
    await wait_until(lambda: "Yarın okul servisi var mı?" in fake.texts(fatma.id), fake)
    [sent] = await greet.says("Ja, om 7u45.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, fatma.id)
    await wait_until(lambda: "Ja, om 7u45." in fake.texts(ayse.id), fake)
