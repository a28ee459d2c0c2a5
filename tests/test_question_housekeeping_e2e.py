"""The questions' housekeeping job, as the JobQueue runs it: escalation after the working
hours (once, even when two instances run it at the same moment), the coordinator's flag and
the new holder's card; closed questions erased after the retention, and the team's copies of
a question kept as long as the question (a reply to them is an answer)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from bot.scheduler.questions import housekeeping
from bot.services import questions
from bot.services.availability import AvailabilityMap, Level
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage, Question, QuestionMessage, utcnow
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def run_housekeeping(bot: Any) -> None:
    await housekeeping(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]


async def asked_answered_and_again(fake: FakeTelegram, parent: Talker, holder: Talker,
                                   asked: str, answer: str, again: str) -> dict[str, Any]:
    """The parent asks (topic: school), the holder answers by replying to it, the parent
    writes again: that last message's copy in the holder's chat."""
    await parent.says("/ask")
    await parent.picks_topic("school")
    await parent.says(asked)
    await wait_until(lambda: fake.texts(holder.id)[-1:] == [asked], fake)
    await holder.says(answer, reply_to=fake.transcript(holder.id)[-1])
    await wait_until(lambda: fake.texts(parent.id)[-1:] == [answer], fake)
    await parent.says(again)
    await wait_until(lambda: fake.texts(holder.id)[-1:] == [again], fake)
    return fake.transcript(holder.id)[-1]


async def reminders_made(db: Database) -> int:
    """The holders' reminders in the outbox, sent or not (the sender may still hold one back
    for the chat's one-message-a-second limit: the transcript can't tell "none" yet)."""
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key.contains(":nudge:"))) or 0)


async def test_a_question_nobody_takes_is_escalated_once_and_the_coordinator_is_told(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9301, "Fatma", {"tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9302, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 9311, "Ayşe", "tr", "wijdeland")
    await ayse.says("Elektrik faturası hakkında bir sorum var.")
    await ayse.picks_topic("money")
    await wait_until(lambda: any("Elektrik" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)

    clock.moment = MONDAY_10 + timedelta(hours=3)  # not yet: three working hours
    await run_housekeeping(bot)
    [question] = await question_rows(db)
    assert question.escalated_at is None

    # Five working hours later two instances run the job at the same moment.
    clock.moment = MONDAY_10 + timedelta(hours=5)
    await asyncio.gather(run_housekeeping(bot), run_housekeeping(bot))
    await wait_until(lambda: any("Elektrik" in t for t in fake.texts(mehmet.id)), fake)
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, 9302) and question.escalated_at
    await wait_until(lambda: any(t.startswith("⚠️ Vraag") for t in fake.texts(COORDINATOR_ID)),
                     fake)
    await run_housekeeping(bot)  # and again later: nothing new
    await outbox_settled(db)  # a second notice would wait for the chat's next second
    notices = [t for t in fake.texts(COORDINATOR_ID) if t.startswith("⚠️ Vraag")]
    assert notices == [f"⚠️ Vraag {question.id} (Ayşe, Türkçe) wachtte 4 werkuren zonder "
                       "antwoord. Ze ligt nu bij Mehmet."]
    cards = [t for t in fake.texts(mehmet.id) if f"❓ Vraag {question.id}" in t]
    assert len(cards) == 1, cards  # the escalated card, once
    # Mehmet answers by replying to the copy of Ayşe's message: it reaches her.
    copy = next(m for m in fake.transcript(mehmet.id) if "Elektrik" in m.get("text", ""))
    await mehmet.says("Stuur me een foto van de factuur.", reply_to=copy)
    await wait_until(lambda: "Stuur me een foto van de factuur." in fake.texts(ayse.id), fake)


async def test_closed_questions_go_after_the_retention_and_their_copies_stay_until_then(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9321, "Fatma", {"tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9331, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul kaydı nasıl yapılır?")
    await ayse.picks_topic("school")
    await wait_until(lambda: any("kaydı" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)
    # Months later the sent rows of the outbox are purged, but not the question's copies: a
    # reply to them must still be known as an answer.
    async with db.session() as session:
        await outbox_repo.purge_finished(session, before=utcnow() + timedelta(days=400))
        await session.commit()
        kept = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.group_key == f"q:{question.id}"))
    assert kept and kept >= 2  # the card and the copy
    await fatma.taps(data=f"qs:{question.id}:close")
    await fatma.taps(data=f"qs:{question.id}:closeok")  # closed without an answer, sure
    [question] = await question_rows(db)
    assert question.closed_at is not None

    clock.moment = question.closed_at + timedelta(days=179)
    await run_housekeeping(bot)
    assert len(await question_rows(db)) == 1
    clock.moment = question.closed_at + timedelta(days=181)
    await run_housekeeping(bot)
    assert await question_rows(db) == []
    async with db.session() as session:
        for model in (QuestionMessage, Question):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        assert not await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.group_key == f"q:{question.id}"))


async def test_a_question_that_came_before_any_coordinator_reaches_the_first_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """No brugfiguur yet, and the coordinator has not started the bot: the question waits,
    and reaches them once they have (nothing is lost, nothing is shown twice)."""
    clock.moment = MONDAY_10
    els = await onboard(chat, 9321, "Els", "nl", "vlindertje")
    await els.says("Wanneer is het oudercontact?")
    await els.picks_topic("school")
    await run_housekeeping(bot)
    assert fake.transcript(COORDINATOR_ID) == []

    greet = await coordinator_of(chat)
    await run_housekeeping(bot)
    await wait_until(lambda: "Wanneer is het oudercontact?" in fake.texts(COORDINATOR_ID), fake)
    card = fake.transcript(COORDINATOR_ID)[-2]
    assert "Els" in card["text"] and FakeTelegram.inline_buttons(card)
    [sent] = await greet.says("Donderdag om 16 uur.", reply_to=fake.transcript(COORDINATOR_ID)[-1])
    assert sent["text"] == "✅ Verstuurd naar Els."
    await run_housekeeping(bot)  # shown once: the card is not sent again
    await outbox_settled(db)
    assert fake.texts(COORDINATOR_ID).count("Wanneer is het oudercontact?") == 1


async def test_a_question_handed_to_the_coordinator_is_not_escalated_back(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma hands a question to the coordinator on purpose: four working hours later it
    stays with the coordinator, and does not come back to her as "nobody took it"."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9341, "Fatma", {"tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9351, "Ayşe", "tr", "wijdeland")
    await ayse.says("Sözleşmem hakkında bir sorum var.")
    await ayse.picks_topic("work")
    await wait_until(lambda: any("Sözleşmem" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)
    await fatma.taps(data=f"qs:{question.id}:hand")
    await fatma.taps(data=f"qs:{question.id}:to:0")
    await wait_until(lambda: any("Sözleşmem" in t for t in fake.texts(COORDINATOR_ID)), fake)
    cards_of_fatma = len([t for t in fake.texts(fatma.id) if f"Vraag {question.id}" in t])

    clock.moment = MONDAY_10 + timedelta(hours=5)
    await run_housekeeping(bot)
    await fake.wait_idle()
    [question] = await question_rows(db)
    assert question.assignee_id is None and question.escalated_at is None
    assert not [t for t in fake.texts(COORDINATOR_ID) if t.startswith("⚠️ Vraag")]
    assert len([t for t in fake.texts(fatma.id)
                if f"Vraag {question.id}" in t]) == cards_of_fatma


async def test_a_question_the_coordinator_got_by_routing_is_still_escalated(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Nobody spoke Dutch when Els asked: the coordinator holds it by routing. Jan, who
    speaks Dutch, joins meanwhile: four working hours later the question goes to him."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9361, "Fatma", {"tr"}, db, contact_of="vlindertje")
    els = await onboard(chat, 9371, "Els", "nl", "vlindertje")
    await els.says("Wanneer is de schoolfotograaf?")
    await els.picks_topic("school")
    await wait_until(lambda: "Wanneer is de schoolfotograaf?" in fake.texts(COORDINATOR_ID),
                     fake)
    jan = await join_team(chat, greet, 9362, "Jan", {"nl"}, db)

    clock.moment = MONDAY_10 + timedelta(hours=5)
    await run_housekeeping(bot)
    await wait_until(lambda: "Wanneer is de schoolfotograaf?" in fake.texts(jan.id), fake)
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, 9362) and question.escalated_at


async def test_a_question_handed_to_a_colleague_is_not_escalated_back_to_the_one_who_handed_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma, the school's contact, hands a question to Mehmet, who lets it wait: escalation
    passes both of them by and brings it to Zeynep, not back to Fatma."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9381, "Fatma", {"tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9382, "Mehmet", {"tr"}, db)
    zeynep = await join_team(chat, greet, 9383, "Zeynep", {"tr"}, db)
    ayse = await onboard(chat, 9391, "Ayşe", "tr", "wijdeland")
    await ayse.says("Kira yardımı hakkında bir sorum var.")
    await ayse.picks_topic("money")
    await wait_until(lambda: any("Kira" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)
    await fatma.taps(data=f"qs:{question.id}:hand")
    await fatma.taps(data=f"qs:{question.id}:to:{await staff_id(db, 9382)}")
    await wait_until(lambda: any("Kira" in t for t in fake.texts(mehmet.id)), fake)
    [question] = await question_rows(db)
    assert question.handed_by_id is not None
    seen_by_fatma = fake.texts(fatma.id).count("Kira yardımı hakkında bir sorum var.")

    clock.moment = MONDAY_10 + timedelta(hours=5)
    await run_housekeeping(bot)
    await wait_until(lambda: any("Kira" in t for t in fake.texts(zeynep.id)), fake)
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, 9383) and question.escalated_at
    await fake.wait_idle()
    assert fake.texts(fatma.id).count("Kira yardımı hakkında bir sorum var.") == seen_by_fatma


async def test_a_photo_whose_topic_is_never_tapped_reaches_the_brugfiguur_after_half_an_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Ayşe sends the photo of a letter and does not tap a topic (she cannot read them): half
    an hour later the question goes to Fatma as "other", and Ayşe is told who has it."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9501, "Fatma", {"tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9511, "Ayşe", "tr", "wijdeland")
    [asked] = await ayse.sends("photo")
    assert asked["text"] == "Sorunuz ne hakkında? Bir düğmeye dokunun."

    clock.moment = MONDAY_10 + timedelta(minutes=20)  # not yet
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert not [m for m in fake.transcript(fatma.id) if "photo" in m]
    clock.moment = MONDAY_10 + timedelta(minutes=31)
    await run_housekeeping(bot)
    await run_housekeeping(bot)  # once, however often the job runs
    await wait_until(lambda: any("photo" in m for m in fake.transcript(fatma.id)), fake)
    await wait_until(lambda: ayse.last_text().startswith("✅ Teşekkürler!"), fake)
    await outbox_settled(db)  # a second card would wait for the chat's next second
    [question] = await question_rows(db)
    assert question.status == "open" and question.topic == "other"
    assert question.assignee_id == await staff_id(db, 9501)
    assert len([t for t in fake.texts(fatma.id) if f"Vraag {question.id}" in t]) == 1
    assert [t for t in fake.texts(ayse.id) if t.startswith("✅ Teşekkürler!")] == [
        "✅ Teşekkürler! Fatma sorunuzu aldı ve size yakında cevap verecek."]
    # The topic keyboard she did not tap is stale now.
    assert await ayse.presses(asked, f"ask:school:{question.id}") == ["Bu düğme artık çalışmıyor."]


async def test_a_photo_sent_before_sign_up_waits_half_an_hour_after_it_and_goes_in_her_language(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Ayşe sends a photo before choosing a language and signs up 45 minutes later: she has
    half an hour from then to tap a topic. Untapped, it goes out in Turkish, to Fatma (Jan,
    the school's contact, speaks no Turkish)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9601, "Jan", {"nl"}, db, contact_of="wijdeland")
    fatma = await join_team(chat, greet, 9602, "Fatma", {"tr"}, db)
    ayse = chat.person(9611, "Ayşe")
    await ayse.says("/start s_wijdeland")
    await ayse.sends("photo")  # before choosing a language
    clock.moment = MONDAY_10 + timedelta(minutes=45)
    await ayse.taps("Türkçe")
    *_, asked = await ayse.taps(data="privacy:ok")
    assert asked["text"] == "Mesajınızı kaydettim. Sorunuz ne hakkında? Bir düğmeye dokunun."

    await run_housekeeping(bot)  # just asked: not yet
    [question] = await question_rows(db)
    assert question.status == "draft"
    clock.moment = MONDAY_10 + timedelta(minutes=45 + 31)
    await run_housekeeping(bot)
    await wait_until(lambda: any("photo" in m for m in fake.transcript(fatma.id)), fake)
    [question] = await question_rows(db)
    assert question.locale == "tr" and question.assignee_id == await staff_id(db, 9602)


async def test_a_parent_who_writes_again_after_an_answer_is_not_forgotten(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma answered; Ayşe writes again in the afternoon. Four working hours later (the
    next morning) Fatma is reminded once, under Ayşe's message, with the card's buttons, not in
    her red hour but in the green one after it; a question whose last word is the answer
    waits for nobody. The coordinator is not told."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9401, "Fatma", {"tr"}, db, contact_of="wijdeland",
                            availability=AvailabilityMap.all(Level.GREEN).with_level(
                                1, 12, Level.RED))  # Tuesday 12:00–13:00: school run
    ayse = await onboard(chat, 9411, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Yarın okul açık mı?")
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Yarın okul açık mı?"], fake)
    await fatma.says("Ja, gewoon open.", reply_to=fake.transcript(fatma.id)[-1])
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Ja, gewoon open."], fake)
    [question] = await question_rows(db)
    coordinator_before = len(fake.transcript(COORDINATOR_ID))

    clock.moment = MONDAY_10 + timedelta(hours=5)  # answered, and nothing since: no reminder
    await run_housekeeping(bot)
    assert await ayse.says("Peki öğle yemeği var mı?") == []  # 15:00
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Peki öğle yemeği var mı?"], fake)
    copy = fake.transcript(fatma.id)[-1]
    await ayse.says("Bir de spor çantası?")  # the clock runs from her first message since

    clock.moment = MONDAY_10 + timedelta(days=1)  # Tuesday 10:00: 15–17 and 9–10, three hours
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 0

    clock.moment = MONDAY_10 + timedelta(days=1, hours=2)  # five working hours, a red hour
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 0
    clock.moment = MONDAY_10 + timedelta(days=1, hours=3)  # green again
    await run_housekeeping(bot)
    await run_housekeeping(bot)  # once, however often the job runs
    await wait_until(lambda: any("💬" in t for t in fake.texts(fatma.id)), fake)
    await fake.wait_idle()
    [reminder] = [m for m in fake.transcript(fatma.id) if "💬" in m.get("text", "")]
    assert reminder["text"] == (
        f"💬 Ayşe schreef opnieuw (vraag {question.id}). Er is nog geen antwoord.\n"
        "Reageer op het bericht om te antwoorden. Niets meer te doen? Tik op ✅ Afsluiten.")
    assert reminder["reply_to_message"]["message_id"] == copy["message_id"]
    assert [t for t, _d in FakeTelegram.inline_buttons(reminder)] == [
        "↪️ Doorgeven", "✅ Afsluiten"]
    assert len(fake.transcript(COORDINATOR_ID)) == coordinator_before
    [question] = await question_rows(db)
    assert question.escalated_at is None and question.assignee_id == await staff_id(db, 9401)

    # Ayşe asks again after the reminder: a new run, with its own four working hours.
    await ayse.says("Cevap?")  # Tuesday 13:00
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Cevap?"], fake)
    again = fake.transcript(fatma.id)[-1]
    clock.moment = MONDAY_10 + timedelta(days=1, hours=6)  # 16:00: three working hours
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 1
    clock.moment = MONDAY_10 + timedelta(days=1, hours=7, minutes=1)  # 17:01
    await run_housekeeping(bot)
    await run_housekeeping(bot)
    await wait_until(lambda: len([t for t in fake.texts(fatma.id) if "💬" in t]) == 2, fake)
    await fake.wait_idle()
    reminders = [m for m in fake.transcript(fatma.id) if "💬" in m.get("text", "")]
    assert len(reminders) == 2
    assert reminders[1]["reply_to_message"]["message_id"] == again["message_id"]

    # A "thank you" needs nothing more: one tap on the newest reminder, under her words,
    # closes the question (the first one, above "Cevap?", would ask once more).
    await fatma.presses(reminders[1], f"qs:{question.id}:close")
    await wait_until(lambda: "kapatıldı" in fake.texts(ayse.id)[-1], fake)
    assert (await question_rows(db))[0].status == "closed"


async def test_the_coordinators_are_reminded_of_a_question_they_hold(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Nobody in the team speaks Punjabi: Harpreet's question is Greet's. Greet answered;
    Harpreet writes again, and four working hours later Greet is reminded under it."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    harpreet = await onboard(chat, 9451, "Harpreet", "pa", "kabouterland")
    copy = await asked_answered_and_again(fake, harpreet, greet, "ਸਕੂਲ ਕਦੋਂ ਖੁੱਲ੍ਹਦਾ ਹੈ?",
                                          "Om 8.30 uur.", "ਅਤੇ ਬੁੱਧਵਾਰ?")
    [question] = await question_rows(db)
    assert question.assignee_id is None

    clock.moment = MONDAY_10 + timedelta(hours=3)
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 0
    clock.moment = MONDAY_10 + timedelta(hours=4, minutes=1)
    await run_housekeeping(bot)
    await run_housekeeping(bot)
    await wait_until(lambda: any("💬" in t for t in fake.texts(COORDINATOR_ID)), fake)
    await fake.wait_idle()
    [reminder] = [m for m in fake.transcript(COORDINATOR_ID) if "💬" in m.get("text", "")]
    assert reminder["text"].startswith(f"💬 Harpreet schreef opnieuw (vraag {question.id}).")
    assert reminder["reply_to_message"]["message_id"] == copy["message_id"]


async def test_no_reminder_for_a_question_closed_while_the_job_looked(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """The job found Harpreet waiting; Greet closed the question before its reminder was
    written: the reminder's claim finds it closed, and nothing is sent."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    harpreet = await onboard(chat, 9481, "Harpreet", "pa", "kabouterland")
    await asked_answered_and_again(fake, harpreet, greet, "ਸਕੂਲ ਕਦੋਂ ਖੁੱਲ੍ਹਦਾ ਹੈ?",
                                   "Om 8.30 uur.", "ਧੰਨਵਾਦ!")
    [question] = await question_rows(db)
    await outbox_settled(db)  # the copy's row knows its message id (the reminder's anchor)
    clock.moment = MONDAY_10 + timedelta(hours=5)
    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(session, [COORDINATOR_ID])
        [waiting] = await questions.unanswered_follow_ups(session, clock.moment, coordinators)
    await greet.taps(data=f"qs:{question.id}:close")  # the card, above his "thank you":
    await greet.taps(data=f"qs:{question.id}:closeok")  # closed all the same
    assert (await question_rows(db))[0].status == "closed"
    async with db.session() as session:
        assert not await questions.remind_holder(session, waiting, "💬", {})
        await session.commit()
    assert await reminders_made(db) == 0


async def test_nobody_is_reminded_in_a_red_hour_even_without_a_green_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma's week is all orange but for a red Monday afternoon, with no green hour to wait
    for: the reminder due in the red hour waits for the orange one, and comes silently."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    week = AvailabilityMap.all(Level.ORANGE)
    for hour in range(12, 18):
        week = week.with_level(0, hour, Level.RED)
    fatma = await join_team(chat, greet, 9461, "Fatma", {"tr"}, db, contact_of="wijdeland",
                            availability=week)
    ayse = await onboard(chat, 9471, "Ayşe", "tr", "wijdeland")
    # "Saat kaçta?" on Monday 10:00
    await asked_answered_and_again(fake, ayse, fatma, "Yarın okul açık mı?", "Ja.", "Saat kaçta?")
    await outbox_settled(db)

    clock.moment = MONDAY_10 + timedelta(hours=5)  # 15:00, red
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 0
    clock.moment = MONDAY_10 + timedelta(hours=8)  # 18:00, orange
    await run_housekeeping(bot)
    await wait_until(lambda: any("💬" in t for t in fake.texts(fatma.id)), fake)
    [sent] = [c for c in fake.calls_of("sendMessage", fatma.id)
              if c.ok and "💬" in c.params.get("text", "")]
    assert sent.params.get("disable_notification") in (True, "true", "True")


async def test_the_holder_a_question_is_escalated_from_hears_who_has_it_now(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma let Ayşe's question wait 4 working hours: it goes to Mehmet, and Fatma hears so
    (the words of a coordinator's reassign), once, rather than finding out from a refusal."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9501, "Fatma", {"tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9502, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 9511, "Ayşe", "tr", "wijdeland")
    await ayse.says("Kreş için nereye başvurmalıyım?")
    await ayse.picks_topic("childcare")
    await wait_until(lambda: any("Kreş" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)

    clock.moment = MONDAY_10 + timedelta(hours=5)  # 15:00, green for both
    await asyncio.gather(run_housekeeping(bot), run_housekeeping(bot))  # two instances
    moved = (f"↪️ Vraag {question.id} (Ayşe) ligt nu bij Mehmet: je hoeft ze niet te "
             "beantwoorden.")
    await wait_until(lambda: moved in fake.texts(fatma.id), fake)
    await run_housekeeping(bot)
    await outbox_settled(db)
    assert [t for t in fake.texts(fatma.id) if t.startswith("↪️")] == [moved]
    assert not [t for t in fake.texts(mehmet.id) if t.startswith("↪️")]
    [sent] = [c for c in fake.calls_of("sendMessage", fatma.id)
              if c.ok and c.params.get("text") == moved]
    assert not sent.params.get("disable_notification")  # a green hour: with its sound


async def test_a_previous_holder_in_a_red_hour_hears_of_the_escalation_in_her_next_green_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma works Monday mornings only. The question she got at 10:00 goes to Mehmet at
    15:00, in her red hour: the word waits for Tuesday 09:00, as any team message would."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    mornings = AvailabilityMap.all(Level.RED)
    for weekday in range(5):
        for hour in range(9, 12):
            mornings = mornings.with_level(weekday, hour, Level.GREEN)
    fatma = await join_team(chat, greet, 9521, "Fatma", {"tr"}, db, contact_of="wijdeland",
                            availability=mornings)
    mehmet = await join_team(chat, greet, 9522, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 9531, "Ayşe", "tr", "wijdeland")
    await ayse.says("Kreş için nereye başvurmalıyım?")
    await ayse.picks_topic("childcare")
    await wait_until(lambda: any("Kreş" in t for t in fake.texts(fatma.id)), fake)
    [question] = await question_rows(db)

    clock.moment = MONDAY_10 + timedelta(hours=5)  # 15:00: Fatma red, Mehmet green
    await run_housekeeping(bot)
    await wait_until(lambda: any("Kreş" in t for t in fake.texts(mehmet.id)), fake)
    async with db.session() as session:
        [waiting] = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.startswith(f"q:{question.id}:moved:"))))
    # (The outbox reads the wall clock, past this test's Monday: only the row can tell.)
    assert waiting.chat_id == fatma.id
    assert waiting.not_before == MONDAY_10 + timedelta(hours=23)  # Tuesday 09:00 in Brussels


async def test_a_question_taken_and_never_answered_is_not_forgotten(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma taps ✋ Take it and then forgets. Escalation no longer looks at a taken question,
    so four working hours later she is reminded once, under Ayşe's message; her answer ends
    it. Nobody else is told, and the question stays hers."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9402, "Fatma", {"tr"}, db, contact_of="wijdeland",
                            availability=AvailabilityMap.all(Level.GREEN))
    ayse = await onboard(chat, 9412, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Okul servisi var mı?")
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Okul servisi var mı?"], fake)
    copy = fake.transcript(fatma.id)[-1]
    [question] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if f"qs:{question.id}:take" in
                [d for _t, d in FakeTelegram.inline_buttons(m)])
    assert await fatma.presses(card, f"qs:{question.id}:take") == ["Ze is van jou."]
    coordinator_before = len(fake.transcript(COORDINATOR_ID))

    clock.moment = MONDAY_10 + timedelta(hours=3, minutes=59)
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 0
    clock.moment = MONDAY_10 + timedelta(hours=4, minutes=1)
    await run_housekeeping(bot)
    await run_housekeeping(bot)  # once, however often the job runs
    await wait_until(lambda: any("✋ Je nam" in t for t in fake.texts(fatma.id)), fake)
    await fake.wait_idle()
    [reminder] = [m for m in fake.transcript(fatma.id) if "✋ Je nam" in m.get("text", "")]
    assert reminder["text"] == (
        f"✋ Je nam de vraag van Ayşe (vraag {question.id}). Er is nog geen antwoord.\n"
        "Reageer op het bericht om te antwoorden. Kan een collega helpen? Tik op ↪️ Doorgeven.")
    assert reminder["reply_to_message"]["message_id"] == copy["message_id"]
    [question] = await question_rows(db)
    assert question.escalated_at is None and question.assignee_id == await staff_id(db, 9402)
    assert len(fake.transcript(COORDINATOR_ID)) == coordinator_before

    # Her answer ends it: the next days bring nothing more.
    await fatma.says("Evet, sabah 8'de.", reply_to=copy)
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Evet, sabah 8'de."], fake)
    clock.moment = MONDAY_10 + timedelta(days=2)
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert await reminders_made(db) == 1
