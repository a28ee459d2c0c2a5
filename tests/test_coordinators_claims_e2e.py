"""Among several coordinators (COORDINATOR_IDS may name more than one), a question they
hold is taken by the first ✋ or the first answer: the others read who has it, and the
parent does not get two answers (bot/services/questions.py take, Question.taken_by_id)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.services import questions
from storage.db import Database
from storage.models import Person, Question
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, question_rows

SECOND_COORDINATOR_ID = 900_002  # Koen; only counts once he has started the bot
LETTER = "ਇਹ ਚਿੱਠੀ ਕੀ ਕਹਿੰਦੀ ਹੈ?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, coordinator_ids=frozenset({COORDINATOR_ID, SECOND_COORDINATOR_ID}))


async def person_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


async def two_coordinators_and_a_question(
    chat: Chat, fake: FakeTelegram, db: Database
) -> tuple[Talker, Talker, Talker, Any]:
    """Greet and Koen (both started the bot); Harpreet's question in Punjabi, which nobody
    in the team reads: it comes to both coordinators."""
    greet = await coordinator_of(chat)
    koen = chat.person(SECOND_COORDINATOR_ID, "Koen", language_code="nl")
    await koen.says("/start")
    await koen.taps("Nederlands")
    await koen.taps(data="privacy:ok")
    harpreet = await onboard(chat, 9901, "Harpreet", "pa", "kabouterland")
    await harpreet.says("/ask")
    await harpreet.picks_topic("letter")
    await harpreet.says(LETTER)
    await wait_until(lambda: LETTER in fake.texts(koen.id) and LETTER in fake.texts(greet.id),
                     fake)
    [question] = await question_rows(db)
    return greet, koen, harpreet, question


async def test_the_second_coordinator_is_told_the_first_took_the_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Nobody in the team reads Punjabi: Harpreet's photo of a letter goes to both
    coordinators, Greet and Koen, each a card with ✋ Take it. Greet taps ✋ and reads "It is
    yours."; her card says "✋ Greet took this question." A minute later Koen, on his phone,
    taps ✋ on his own card: he too reads "It is yours.", and his card does not say Greet has
    it. Koen should read
    that Greet took it already (``questions.take`` records who took it)."""
    clock.moment = MONDAY_10
    greet, koen, _harpreet, question = await two_coordinators_and_a_question(chat, fake, db)
    greets_card = next(m for m in fake.transcript(greet.id) if m.get("text", "").startswith("❓"))
    koens_card = next(m for m in fake.transcript(koen.id) if m.get("text", "").startswith("❓"))
    assert await greet.presses(greets_card, f"qs:{question.id}:take") == ["Ze is van jou."]

    clock.moment = MONDAY_10 + timedelta(minutes=1)
    [alert] = await koen.presses(koens_card, f"qs:{question.id}:take")
    assert alert == "Greet heeft deze vraag opgenomen."
    async with db.session() as session:
        taken_by = await session.scalar(select(Question.taken_by_id))
    assert taken_by == await person_id(db, greet.id)


async def test_the_second_coordinator_is_told_who_answered_first(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Greet answers Harpreet's question without ✋ (a swipe on the copy); Koen's ✋ a minute
    later reads that Greet has it. Once nobody has it (a hand-over clears who took it), his
    ✋ takes it."""
    clock.moment = MONDAY_10
    greet, koen, harpreet, question = await two_coordinators_and_a_question(chat, fake, db)
    copy = [m for m in fake.transcript(greet.id) if m.get("text") == LETTER][-1]
    await greet.says("Ik bel je morgen even.", reply_to=copy)
    await wait_until(lambda: "Ik bel je morgen even." in fake.texts(harpreet.id), fake)
    koens_card = next(m for m in fake.transcript(koen.id) if m.get("text", "").startswith("❓"))
    assert await koen.presses(koens_card, f"qs:{question.id}:take") == [
        "Greet heeft deze vraag opgenomen."]

    # Who took it cleared, as questions.reassign does when it is handed on: free again.
    async with db.session() as session:
        row = await session.get(Question, question.id)
        assert row is not None and row.taken_by_id == await person_id(db, greet.id)
        assert await questions.take(session, question.id, MONDAY_10, None,
                                    await person_id(db, koen.id)) is False
        row.taken_by_id = None
        await session.commit()
    assert await koen.presses(koens_card, f"qs:{question.id}:take") == ["Ze is van jou."]
