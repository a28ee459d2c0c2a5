"""A parent's reply (a swipe on a message of the bot) joins the question that message was
for: with two questions going, the answer they reply to says which one they mean."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.services import questions
from bot.services.reminders import GROUP_PREFIX
from storage.db import Database
from storage.models import OutboxMessage, QuestionMessage
from storage.outbox import SENT
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def messages_of(db: Database, question_id: int) -> list[int]:
    """The parent's messages (their message ids in their chat) a question holds."""
    async with db.session() as session:
        return list(await session.scalars(
            select(QuestionMessage.message_id).where(QuestionMessage.question_id == question_id,
                                                     QuestionMessage.from_parent.is_(True))
            .order_by(QuestionMessage.id)))


def last_with(fake: FakeTelegram, chat_id: int, text: str) -> dict[str, Any]:
    return [m for m in fake.transcript(chat_id) if m.get("text") == text][-1]


async def answer(fake: FakeTelegram, db: Database, holder: Talker, parent: Talker,
                 question_text: str, text: str) -> dict[str, Any]:
    """The holder replies to the parent's message; returns the answer as the parent has it."""
    await outbox_settled(db, holder.id)
    await holder.says(text, reply_to=last_with(fake, holder.id, question_text))
    await wait_until(lambda: text in fake.texts(parent.id), fake)
    await outbox_settled(db, parent.id)
    return last_with(fake, parent.id, text)


async def test_a_parents_reply_to_an_answer_reaches_the_brugfiguur_who_gave_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe's school question went to Fatma, who handed it to Mehmet. Ayşe later asks a
    second question (money), which goes to Fatma. Mehmet answers the first; Ayşe replies
    to his answer (swipe): her reply must reach Mehmet, in the first question, not land
    under Fatma's money question."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9706, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9707, "Mehmet", {"nl", "tr"}, db)
    mehmet_id = await staff_id(db, mehmet.id)
    ayse = await onboard(chat, 9716, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul gezisi ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    [first] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    await fatma.presses(card, f"qs:{first.id}:hand")
    await fatma.presses(card, f"qs:{first.id}:to:{mehmet_id}")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(mehmet.id), fake)

    await ayse.says("/ask")
    await ayse.picks_topic("money")
    await ayse.says("Elektrik faturası çok yüksek.")
    await wait_until(lambda: "Elektrik faturası çok yüksek." in fake.texts(fatma.id), fake)
    _first, second = await question_rows(db)
    assert second.assignee_id == await staff_id(db, fatma.id)

    await outbox_settled(db, mehmet.id)
    copy = [m for m in fake.transcript(mehmet.id) if m.get("text") == "Okul gezisi ne zaman?"][-1]
    await mehmet.says("Op vrijdag 12 december.", reply_to=copy)
    await wait_until(lambda: "Op vrijdag 12 december." in fake.texts(ayse.id), fake)
    await outbox_settled(db, ayse.id)
    answer = [m for m in fake.transcript(ayse.id) if m.get("text") == "Op vrijdag 12 december."][-1]
    await ayse.says("Para getirmem lazım mı?", reply_to=answer)
    await outbox_settled(db)
    await fake.wait_idle()
    assert "Para getirmem lazım mı?" in fake.texts(mehmet.id)
    assert "Para getirmem lazım mı?" not in fake.texts(fatma.id)


async def test_a_reply_to_who_has_the_question_joins_that_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Two questions with Fatma; Ayşe swipes the first one's "Fatma has your question" to
    add a photo's words: it joins the first, and its copy comes under that question's card.
    A message that replies to nothing still joins the newest."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9721, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9731, "Ayşe", "tr", "wijdeland")
    await ayse.says("Veli toplantısı ne zaman?")
    told = await ayse.picks_topic("school")
    confirmation = told[-1]
    assert "Fatma" in confirmation["text"]
    await ayse.says("/ask")
    await ayse.picks_topic("money")
    await ayse.says("Fatura çok yüksek.")
    first, second = await question_rows(db)
    await wait_until(lambda: "Fatura çok yüksek." in fake.texts(fatma.id), fake)

    [] = await ayse.says("Saat kaçta?", reply_to=confirmation)
    await wait_until(lambda: "Saat kaçta?" in fake.texts(fatma.id), fake)
    follow_up = last_with(fake, fatma.id, "Saat kaçta?")
    assert follow_up["reply_to_message"]["text"].startswith(f"❓ Vraag {first.id}")
    assert len(await messages_of(db, first.id)) == 2
    assert len(await messages_of(db, second.id)) == 1

    await ayse.says("Ödeme planı olur mu?")
    assert len(await messages_of(db, second.id)) == 2


async def test_a_reply_to_the_answer_of_a_closed_question_starts_a_new_one_as_any_message(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma answered and closed Ayşe's question. A reply to that answer is a new question
    (its topic asked), as a message replying to nothing is: the closed one stays closed."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9722, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9732, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul kaçta başlıyor?")
    await ayse.picks_topic("school")
    [first] = await question_rows(db)
    answered = await answer(fake, db, fatma, ayse, "Okul kaçta başlıyor?", "Om 8u30.")
    await fatma.taps(data=f"qs:{first.id}:close")
    [first] = await question_rows(db)
    assert first.status == "closed"

    replies = await ayse.says("Peki bitişi?", reply_to=answered)
    assert "Sorunuz ne hakkında?" in replies[-1]["text"]
    closed, new = await question_rows(db)
    assert (closed.status, new.status) == ("closed", "draft")
    assert len(await messages_of(db, closed.id)) == 1
    assert len(await messages_of(db, new.id)) == 1


async def test_a_reply_to_what_is_no_question_of_theirs_joins_the_newest_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """The service: a reply to a reminder, to an id the bot does not know, or to an id known
    in another parent's chat only joins the newest open question, as a message replying to
    nothing; a reply to one's own message of an open question joins that one. Another
    parent's question is never found, whatever the ids."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9723, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9733, "Ayşe", "tr", "wijdeland")
    hatice = await onboard(chat, 9734, "Hatice", "tr", "wijdeland")
    await ayse.says("Servis var mı?")
    await ayse.picks_topic("school")
    await ayse.says("/ask")
    await ayse.picks_topic("money")
    await ayse.says("Fatura yüksek.")
    await hatice.says("Kurs ne zaman?")
    await hatice.picks_topic("dutch")
    first, second, hatices = await question_rows(db)
    theirs = await answer(fake, db, fatma, hatice, "Kurs ne zaman?", "In januari.")
    own = [m for m in fake.history(ayse.id) if m.get("text") == "Servis var mı?"][-1]
    ayse_id, hatice_id = first.parent_id, hatices.parent_id

    async with db.session() as session:
        # Ids far above what either chat has: a reminder in Ayşe's chat, an id in Hatice's.
        session.add_all([
            OutboxMessage(dedupe_key=f"{GROUP_PREFIX}test:{ayse.id}", chat_id=ayse.id,
                          person_id=ayse_id, kind="text", payload="{}",
                          group_key=f"{GROUP_PREFIX}test", status=SENT, not_before=MONDAY_10,
                          created_at=MONDAY_10, telegram_message_id=7001),
            OutboxMessage(dedupe_key=f"q:{hatices.id}:test", chat_id=hatice.id,
                          person_id=hatice_id, kind="text", payload="{}",
                          group_key=f"q:{hatices.id}", status=SENT, not_before=MONDAY_10,
                          created_at=MONDAY_10, telegram_message_id=7002)])
        await session.flush()

        async def joins(replied_to: int | None) -> int:
            added, _message = await questions.add_parent_message(
                session, ayse_id, "tr", ayse.id, 9000 + (replied_to or 0), MONDAY_10,
                replied_to=replied_to)
            return added.id

        assert await joins(None) == second.id
        assert await joins(7001) == second.id  # the reminder
        assert await joins(123456) == second.id  # unknown
        assert await joins(7002) == second.id  # known in Hatice's chat only
        assert await joins(own["message_id"]) == first.id  # her own message of the first
        # Hatice's answer is found in her chat, by her; never by Ayşe, in either chat.
        found = await questions.replied_question(session, hatice_id, hatice.id,
                                                 theirs["message_id"])
        assert found is not None and found.id == hatices.id
        for chat_id in (ayse.id, hatice.id):
            assert await questions.replied_question(session, ayse_id, chat_id,
                                                    theirs["message_id"]) is None
        await session.rollback()
