"""✋ Take it and ✅ Close claim the question as the press read it: an escalation or hand-over
committed in between goes first, and the press changes nothing (bot/services/questions.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.i18n import BRUSSELS
from bot.services import questions
from bot.services.availability import AvailabilityMap
from storage.db import Database
from storage.models import Question
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_escalation_held import brussels, team_and_question
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team, question_rows, staff_id

MONDAY_10 = brussels(2026, 11, 23, 10, 0)


async def test_a_press_on_a_question_moved_meanwhile_changes_nothing(db: Database) -> None:
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_10)
        fatma, mehmet = team["Fatma"].id, team["Mehmet"].id
        # Escalated to Mehmet after Fatma's press read the question as hers.
        row = await s.get(Question, question_id)
        assert row is not None
        row.assignee_id = mehmet
        await s.commit()
        # As the handler's clock gives it: Brussels time, stored as UTC all the same.
        later = (MONDAY_10 + timedelta(hours=5)).astimezone(BRUSSELS)
        assert not await questions.take(s, question_id, later, fatma, fatma)
        assert await questions.close(s, question_id, later, fatma) is None
        await s.commit()
        stored = (await s.execute(select(Question.status, Question.taken_at, Question.closed_at)
                                  .where(Question.id == question_id))).one()
        assert tuple(stored) == ("open", None, None)

        # Mehmet's own presses go through; a second take keeps the first moment.
        assert await questions.take(s, question_id, later, mehmet, mehmet)
        assert await questions.take(s, question_id, later + timedelta(hours=1), mehmet,
                                     mehmet)
        assert await questions.close(s, question_id, later, mehmet) == "tr"
        await s.commit()
        stored = (await s.execute(select(Question.status, Question.taken_at, Question.closed_at)
                                  .where(Question.id == question_id))).one()
        assert tuple(stored) == ("closed", later, later)
        # Closed: nothing more to take or close.
        assert not await questions.take(s, question_id, later, mehmet, mehmet)
        assert await questions.close(s, question_id, later, mehmet) is None


async def test_a_coordinators_take_on_a_colleagues_card_points_to_hand_over(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """The coordinator held Ayşe's question and handed it to Fatma; a ✋ on the old card
    changes nothing (Fatma would be reminded of a take that was not hers), and the alert says
    how to take it back."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8701, "Fatma", {"nl"}, db)  # no Turkish: not routed
    ayse = await onboard(chat, 8711, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Okul yarın açık mı?")
    await wait_until(lambda: "Okul yarın açık mı?" in fake.texts(COORDINATOR_ID), fake)
    [question] = await question_rows(db)
    assert question.assignee_id is None
    await greet.taps(data=f"qs:{question.id}:hand")
    await greet.taps(data=f"qs:{question.id}:to:{await staff_id(db, fatma.id)}")
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, fatma.id)
    card = next(m for m in fake.transcript(COORDINATOR_ID)
                if m.get("text", "").startswith("❓"))  # its ✋, stale now
    assert await greet.presses(card, f"qs:{question.id}:take") == [
        "Deze vraag ligt bij Fatma: die neemt ze. Wil je ze zelf overnemen? Tik op "
        "↪️ Doorgeven."]
    [question] = await question_rows(db)
    assert question.taken_at is None
