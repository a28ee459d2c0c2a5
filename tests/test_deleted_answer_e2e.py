"""An answer whose message its author deleted before the outbox copied it (Telegram: 400
"message to copy not found") is not left at "✅ Sent": she hears it was not sent, once, in
her language, and sends it again. It does not make the question answered meanwhile."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.scheduler.outbox import wake
from bot.services import refused_answers
from bot.services.availability import AvailabilityMap
from bot.services.refused_answers import Lost
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage, Person, QuestionMessage
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_broadcast_e2e import wait_until
from tests.test_escalation_held import brussels
from tests.test_outbox_refused_answers import answered, ayse_asked_fatma, notices
from tests.test_questions_e2e import question_rows

GONE_NL = ("⚠️ Je antwoord aan Ayşe is niet verstuurd: het bericht was gewist. Stuur het "
           "opnieuw, als antwoord op de vraag.")
GONE_TR = ("⚠️ Ayşe için cevabınız gönderilmedi: mesaj silinmişti. Soruyu yanıtlayarak tekrar "
           "gönderin.")


def test_telegrams_word_for_a_deleted_source_is_known() -> None:
    for description in ("Bad Request: message to copy not found", "message not found",
                        "Bad Request: MESSAGE TO COPY NOT FOUND", "message to forward not found"):
        assert refused_answers.source_gone(description), description
    for description in ("Bad Request: message to edit not found", "Bad Request: chat not found",
                        "Bad Request: message is too long", "Forbidden: bot was blocked"):
        assert not refused_answers.source_gone(description), description


async def answer_copies(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.contains(":answer:")).order_by(OutboxMessage.id)))


async def test_a_deleted_answer_is_told_once_per_answer_and_only_the_rest_counts(
    db: Database
) -> None:
    """Fatma answered twice; her first message was gone when the outbox copied it. She hears
    it once (the same failure again tells nobody), not under the message (it is gone), and
    the question's first answer is the one that is still on its way."""
    _team, question_id, keys = await answered(db, AvailabilityMap.default(),
                                              ("Fatma", 501), ("Fatma", 502))
    monday_11 = brussels(2026, 11, 23, 11, 0)
    async with db.session() as s:
        first, second = await answer_copies(db)
        await outbox_repo.mark_finished(s, [first.id], status=outbox_repo.FAILED,
                                        error="source_gone")
        # The second answer came a minute after the first (it is what counts now).
        await s.execute(update(QuestionMessage).where(QuestionMessage.message_id == 502)
                        .values(created_at=brussels(2026, 11, 23, 10, 6)))
        assert await refused_answers.answers_lost(s, [keys[0]], monday_11, Lost.DELETED) == 1
        assert await refused_answers.answers_lost(s, [keys[0]], monday_11, Lost.DELETED) == 0
        await s.commit()
    [told] = await notices(db)
    payload = outbox_repo._load(told.payload)
    assert payload["text"] == GONE_TR  # Fatma reads Turkish here
    assert "reply_to" not in payload and payload["always"] is True
    assert told.dedupe_key == f"q:{question_id}:refused:{keys[0].rsplit(':', 1)[1]}"
    [question] = await question_rows(db)
    assert question.first_answer_at == brussels(2026, 11, 23, 10, 6)  # the second answer's
    async with db.session() as s:  # the second one lost too: no answer at all any more
        await outbox_repo.mark_finished(s, [second.id], status=outbox_repo.FAILED,
                                        error="source_gone")
        assert await refused_answers.answers_lost(s, [keys[1]], monday_11, Lost.DELETED) == 1
        await s.commit()
    [question] = await question_rows(db)
    assert question.first_answer_at is None and question.taken_at is not None
    assert len(await notices(db)) == 2  # one per answer, each to be sent again


async def test_an_answer_deleted_before_its_button_sent_it_is_told_once_and_sent_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Fatma wrote her answer straight into the chat, deleted it, then tapped ➡️ Ayşe under
    "not sent" anyway: "✅ Sent", but Telegram cannot copy it. She hears so once, Ayşe gets
    nothing, the question is not answered; her answer sent again arrives."""
    _greet, fatma, ayse, copy = await ayse_asked_fatma(chat, fake, db, clock, 9701, 9711)
    [not_sent] = await fatma.says("Donderdag om 18 uur.")
    mine = not_sent["reply_to_message"]["message_id"]
    [(_label, data)] = fake.inline_buttons(not_sent)
    fake.delete_by_user(fatma.id, mine)
    await fatma.taps(data=data)
    assert fake.message(fatma.id, not_sent["message_id"])["text"] == "✅ Verstuurd naar Ayşe."
    await wait_for_notice(fake, fatma.id, GONE_NL)
    [copied] = fake.calls_of("copyMessage", ayse.id)
    assert copied.description == "Bad Request: message to copy not found"
    [row] = await answer_copies(db)
    assert (row.status, row.error) == ("failed", "source_gone")
    [question] = await question_rows(db)
    assert question.first_answer_at is None and question.taken_at is not None
    # Her inbox shows it waiting for an answer again, not answered.
    [listing] = [m for m in await fatma.says("/inbox") if m.get("text")]
    assert listing["text"].split("\n")[2].startswith("🆕 nog geen antwoord · #1 · Ayşe")

    # The same copy fails again (say a sender died before it wrote the outcome): no second
    # word to Fatma.
    async with db.session() as s:
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status=outbox_repo.PENDING, payload=f'{{"from_chat_id":{fatma.id},'
                                                f'"message_id":{mine},"always":true}}'))
        await s.commit()
    assert bot.app is not None
    wake(bot.app)
    await wait_until_calls(fake, "copyMessage", ayse.id, 2)
    await fake.wait_idle()
    assert fake.texts(fatma.id).count(GONE_NL) == 1
    assert not any(c.ok for c in fake.calls_of("copyMessage", ayse.id))
    assert "Donderdag om 18 uur." not in fake.texts(ayse.id)

    # Sent again as she is asked to: it arrives, and now the question is answered.
    [sent] = await fatma.says("Donderdag om 18 uur!", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_for_notice(fake, ayse.id, "Donderdag om 18 uur!")
    [question] = await question_rows(db)
    assert question.first_answer_at is not None


async def test_a_reply_telegram_cannot_copy_is_told_in_her_language_and_nothing_else_is(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma reads Turkish. Her reply to Ayşe's question is gone by the time it is copied
    (Telegram: 400 message to copy not found): she hears it in Turkish. Another 400 on an
    answer (not a deleted message) tells nobody: it is not hers to send again."""
    _greet, fatma, ayse, copy = await ayse_asked_fatma(chat, fake, db, clock, 9721, 9731)
    async with db.session() as s:
        await s.execute(update(Person).where(Person.telegram_id == fatma.id)
                        .values(locale="tr"))
        await s.commit()
    fake.fail_next("copyMessage", 400, "Bad Request: message to copy not found",
                   chat_id=ayse.id)
    await fatma.says("Perşembe saat 18.", reply_to=copy)
    await wait_for_notice(fake, fatma.id, GONE_TR)
    fake.fail_next("copyMessage", 400, "Bad Request: message is too long", chat_id=ayse.id)
    await fatma.says("Cuma saat 9.", reply_to=copy)
    await wait_until_calls(fake, "copyMessage", ayse.id, 2)
    await fake.wait_idle()
    assert fake.texts(fatma.id).count(GONE_TR) == 1
    assert len(await notices(db)) == 1
    assert [(r.status, r.error) for r in await answer_copies(db)] == [
        ("failed", "source_gone"), ("failed", "bad_request")]
    assert not [c for c in fake.calls_of("copyMessage", ayse.id) if c.ok]
    assert not [t for t in fake.texts(ayse.id) if "Perşembe" in t or "Cuma" in t]


async def wait_for_notice(fake: FakeTelegram, chat_id: int, text: str) -> None:
    await wait_until(lambda: text in fake.texts(chat_id), fake)


async def wait_until_calls(fake: FakeTelegram, method: str, chat_id: int, count: int) -> None:
    await wait_until(lambda: len(fake.calls_of(method, chat_id)) >= count, fake)
