"""An answer that never reaches its parent (they blocked the bot) is not left at "✅ Sent":
its author hears so, once, in their language and hours, under the answer itself. Whether
Telegram refused the answer's copy, or another message to that parent (which drops the
answer still waiting behind it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.scheduler.outbox import wake
from bot.services import outbox, questions, refused_answers
from bot.services.availability import AvailabilityMap, Level
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage, Person, QuestionMessage
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_escalation_held import brussels, team_and_question
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows

NOTICE_NL = "⚠️ Je antwoord is niet aangekomen: Ayşe heeft de bot geblokkeerd."


def test_the_answers_are_known_by_their_outbox_keys() -> None:
    assert refused_answers.answers_in([
        "q:7:answer:31", "q:7:to:100:1764:card", "q:7:m12", "broadcast:3:9", "q:7:answer:",
        "q:8:answer:40#2", "q:12:answer:44"]) == [(7, 31), (12, 44)]


async def answered(db: Database, hours: AvailabilityMap, *answers: tuple[str, int]
                   ) -> tuple[dict[str, Person], int, list[str]]:
    """Ayşe's question to Fatma (Turkish team, telegram ids 1, 2...) and the answers, each
    (author, message id in their chat); (team, question id, the copies' dedupe keys)."""
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"), hours,
                                                    brussels(2026, 11, 23, 10, 0))
        view = await questions.view(s, question_id)
        assert view is not None
        for author, message_id in answers:
            await questions.relay_answer(s, view, team[author].telegram_id, message_id,
                                         brussels(2026, 11, 23, 10, 5))
        await s.commit()
        keys = list(await s.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.contains(":answer:")).order_by(OutboxMessage.id)))
    return team, question_id, keys


async def notices(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.contains(":refused:")).order_by(OutboxMessage.id)))


async def test_the_author_is_told_once_in_her_language_under_her_first_lost_answer(
    db: Database
) -> None:
    """Fatma answered twice and Mehmet once (he helped): both lost. Fatma gets one word,
    under her first answer; Mehmet his own; the same answers again tell nobody twice."""
    team, question_id, keys = await answered(db, AvailabilityMap.default(),
                                             ("Fatma", 501), ("Fatma", 502), ("Mehmet", 601))
    monday_11 = brussels(2026, 11, 23, 11, 0)  # green for both
    async with db.session() as s:
        assert await refused_answers.tell_authors(s, keys, monday_11) == 2
        assert await refused_answers.tell_authors(s, keys, monday_11) == 0  # (a row retried)
        await s.commit()
    fatmas, mehmets = await notices(db)
    assert (fatmas.chat_id, fatmas.person_id) == (1, team["Fatma"].id)
    assert (mehmets.chat_id, mehmets.person_id) == (2, team["Mehmet"].id)
    for row, replied in ((fatmas, 501), (mehmets, 601)):
        payload = outbox_repo._load(row.payload)
        assert payload["text"] == "⚠️ Cevabınız ulaşmadı: Ayşe botu engelledi."
        assert payload["reply_to"] == replied and payload["always"] is True
        assert "disable_notification" not in payload
        assert row.group_key == f"q:{question_id}"


async def test_a_lost_answer_is_told_in_the_authors_hours(db: Database) -> None:
    """Fatma answered in her Monday afternoon; Telegram refuses the copy at 18:00, her red
    hour: the word waits for Tuesday 09:00. In an orange hour it comes without a sound."""
    hours = AvailabilityMap.default().with_level(0, 19, Level.ORANGE)
    _team, _question_id, keys = await answered(db, hours, ("Fatma", 501))
    async with db.session() as s:
        await refused_answers.tell_authors(s, keys, brussels(2026, 11, 23, 18, 0))
        await s.commit()
    [held] = await notices(db)
    assert held.not_before == brussels(2026, 11, 24, 9, 0)
    async with db.session() as s:
        await s.delete(await s.get(OutboxMessage, held.id))
        await refused_answers.tell_authors(s, keys, brussels(2026, 11, 23, 19, 30))
        await s.commit()
    [silent] = await notices(db)
    assert outbox_repo._load(silent.payload)["disable_notification"] is True


async def test_a_coordinators_lost_answer_is_told_at_once_and_nothing_else_tells_anyone(
    db: Database
) -> None:
    """The coordinator (no brugfiguur, no hours) answered: told at once. Keys of anything but
    an answer, and an answer whose author erased it (/forget), tell nobody."""
    _team, question_id, keys = await answered(db, AvailabilityMap.default(), ("Fatma", 501))
    async with db.session() as s:
        greet = Person(telegram_id=COORDINATOR_ID, first_name="Greet", locale="nl",
                       role="parent")
        s.add(greet)
        await s.flush()
        view = await questions.view(s, question_id)
        assert view is not None
        await questions.relay_answer(s, view, COORDINATOR_ID, 701, brussels(2026, 11, 23, 10, 9))
        theirs = await s.scalar(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.contains(":answer:")).order_by(OutboxMessage.id.desc()))
        assert theirs is not None
        await questions.forget_answers(s, 1)  # Fatma erased her answers
        sunday = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
        assert await refused_answers.tell_authors(
            s, [*keys, f"q:{question_id}:closed", "broadcast:1:5"], sunday) == 0
        assert await refused_answers.tell_authors(s, [theirs], sunday) == 1
        await s.commit()
        assert not list(await s.scalars(select(QuestionMessage.id).where(
            QuestionMessage.chat_id == 1)))
    [told] = await notices(db)
    assert (told.chat_id, told.person_id, told.not_before) == (COORDINATOR_ID, None,
                                                              told.created_at)
    payload = outbox_repo._load(told.payload)
    assert payload["text"] == NOTICE_NL and payload["reply_to"] == 701


async def ayse_asked_fatma(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                           fatma_id: int, ayse_id: int
                           ) -> tuple[Talker, Talker, Talker, dict[str, Any]]:
    """Monday 10:00: Ayşe's question reached Fatma, her school's contact. Returns the
    coordinator, Fatma, Ayşe and the copy of the question in Fatma's chat."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, fatma_id, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, ayse_id, "Ayşe", "tr", "wijdeland")
    await ayse.says("Veli toplantısı ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Veli toplantısı ne zaman?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id)
            if m.get("text") == "Veli toplantısı ne zaman?"][-1]
    return greet, fatma, ayse, copy


async def test_a_brugfiguur_whose_answer_a_blocked_parent_refused_is_told_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Telegram refuses the copy of Fatma's answer (403): she was told "✅ Sent", and now
    hears it did not arrive, under that answer; her next reply is refused at once."""
    greet, fatma, ayse, copy = await ayse_asked_fatma(chat, fake, db, clock, 9601, 9611)
    fake.block_chat(ayse.id)
    [sent] = await fatma.says("Donderdag om 18 uur.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."  # nobody knew yet: Telegram says so now
    await wait_until(lambda: NOTICE_NL in fake.texts(fatma.id), fake)
    [refused] = await fatma.says("Of vrijdag om 9 uur.", reply_to=copy)
    assert refused["text"].startswith("⚠️ Ayşe heeft de bot geblokkeerd")
    await fake.wait_idle()
    [told] = [m for m in fake.transcript(fatma.id) if m.get("text") == NOTICE_NL]
    answer = next(m for m in fake.history(fatma.id) if m.get("text") == "Donderdag om 18 uur.")
    assert told["reply_to_message"]["message_id"] == answer["message_id"]
    assert NOTICE_NL not in fake.texts(greet.id)
    assert not [c for c in fake.calls_of("copyMessage", ayse.id) if c.ok]


async def test_an_answer_dropped_behind_a_message_a_blocked_parent_refused_is_told_too(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A notice to Ayşe is on its way (flood control holds it a second) when Fatma answers:
    her answer waits behind it. Telegram refuses the notice (403), so the answer is dropped
    unsent, and Fatma hears it did not arrive."""
    _greet, fatma, ayse, copy = await ayse_asked_fatma(chat, fake, db, clock, 9621, 9631)
    [question] = await question_rows(db)
    mark = len(fake.calls)
    fake.block_chat(ayse.id)
    fake.fail_next("sendMessage", 429, retry_after=2, chat_id=ayse.id)
    async with db.session() as s:
        await outbox.enqueue(s, dedupe_key="broadcast:1:ayse", chat_id=ayse.id,
                             person_id=question.parent_id, kind="text",
                             payload={"text": "Morgen is er geen school."},
                             group_key="broadcast:1")
        await s.commit()
    assert bot.app is not None
    wake(bot.app)
    await wait_until(lambda: any(c.method == "sendMessage" and not c.ok
                                 for c in fake.calls[mark:]), fake)
    [sent] = await fatma.says("Donderdag om 18 uur.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: NOTICE_NL in fake.texts(fatma.id), fake)
    async with db.session() as s:
        [answer_copy] = list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.contains(":answer:"))))
    assert (answer_copy.status, answer_copy.error) == ("dropped", "blocked")
    assert not fake.calls_of("copyMessage", ayse.id)
    await fake.wait_idle()
    assert fake.texts(fatma.id).count(NOTICE_NL) == 1
