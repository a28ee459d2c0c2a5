"""bot/services/held_cards.py without Telegram: what is held for a brugfiguur's green hour is
dropped when she has seen it (📨 in /inbox, an answer) or the coordinator answered it before she
did, re-timed when her map changes, and routed again when she takes its language away."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.question_texts import render_card
from bot.services import held_cards, outbox, questions, staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.outbox import NewMessage
from bot.services.questions import Recipient
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage, Question, utcnow
from tests.test_escalation_held import brussels, team_and_question

MONDAY_20 = brussels(2026, 11, 23, 20, 0)  # red for a school day's map
TUESDAY_9 = brussels(2026, 11, 24, 9, 0)  # its next green hour
FATMA_CHAT = 1  # team_and_question's telegram ids: Fatma 1, Mehmet 2


async def rows_of(s: AsyncSession, chat_id: int) -> dict[str, OutboxMessage]:
    found = await s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
                            .order_by(OutboxMessage.id)
                            .execution_options(populate_existing=True))
    return {row.dedupe_key: row for row in found}


def parts(rows: dict[str, OutboxMessage], status: str) -> list[str]:
    return sorted(key.rsplit(":", 1)[1] for key, row in rows.items() if row.status == status)


# --- plain rules ------------------------------------------------------------------------------

def test_part_of_names_the_card_and_the_messages_of_a_question_in_a_chat() -> None:
    assert held_cards.part_of("q:7:to:1:1700000000:card", 7, 1) == "card"
    assert held_cards.part_of("q:7:to:1:1700000000:card#2", 7, 1) == "card"  # a long card
    assert held_cards.part_of("q:7:to:1:1700000000:m12", 7, 1) == "m12"
    assert held_cards.part_of("q:7:to:1:m13", 7, 1) == "m13"  # a further message
    assert held_cards.part_of("q:7:show:1:55:m12", 7, 1) == "m12"  # again from /inbox
    assert held_cards.part_of("q:7:show:1:55:m12", 7, 1, held_only=True) is None
    # Not a copy: a reminder to answer, a notice, another chat, another question.
    assert held_cards.part_of("q:7:nudge:1:m12", 7, 1) is None
    assert held_cards.part_of("q:7:moved:4:1700000000", 7, 1) is None
    assert held_cards.part_of("q:7:to:11:1700000000:card", 7, 1) is None
    assert held_cards.part_of("q:70:to:1:1700000000:card", 7, 1) is None
    assert held_cards.part_of("q:7:answer:12", 7, 1) is None


def test_held_until_is_the_next_green_hour_and_silently_now_without_any() -> None:
    school_day = AvailabilityMap.default()
    assert held_cards.held_until(school_day, MONDAY_20) == (TUESDAY_9, False)
    assert held_cards.held_until(school_day, TUESDAY_9 + timedelta(minutes=5)) == (
        TUESDAY_9 + timedelta(minutes=5), False)  # green now: now
    # The lunch hour is orange: what was held for green does not ring in it either.
    lunch = brussels(2026, 11, 24, 12, 10)
    assert held_cards.held_until(school_day, lunch) == (brussels(2026, 11, 24, 13, 0), False)
    assert held_cards.held_until(AvailabilityMap.all(Level.RED), MONDAY_20) == (
        MONDAY_20.astimezone(UTC), True)


def test_only_a_pending_row_for_the_team_never_tried_and_still_ahead_is_held() -> None:
    later = MONDAY_20 + timedelta(hours=1)
    assert held_cards.is_held("pending", later, None, {"always": True}, MONDAY_20)
    assert not held_cards.is_held("pending", MONDAY_20, None, {"always": True}, MONDAY_20)
    assert not held_cards.is_held("sending", later, None, {"always": True}, MONDAY_20)
    assert not held_cards.is_held("pending", later, "rate_limited", {"always": True},
                                  MONDAY_20)
    assert not held_cards.is_held("pending", later, None, {"text": "a reminder"}, MONDAY_20)


# --- 📨 and answers ------------------------------------------------------------------------------

async def test_opening_a_held_question_from_the_inbox_drops_what_waits_for_the_morning(
    db: Database
) -> None:
    async with db.session() as s:
        _team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                     AvailabilityMap.default(), MONDAY_20)
        before = await rows_of(s, FATMA_CHAT)
        assert parts(before, "pending") == ["card", "m1"]
        assert {row.not_before for row in before.values()} == {TUESDAY_9}

        now = MONDAY_20 + timedelta(minutes=30)
        assert await held_cards.drop_shown(s, question_id, FATMA_CHAT, now) == 2
        await questions.resend(s, question_id, FATMA_CHAT, "nl", now, render_card, stamp=5)
        await s.commit()
        after = await rows_of(s, FATMA_CHAT)
        assert await held_cards.drop_shown(s, question_id, 2, now) == 0  # Mehmet's: nothing
    assert {key: row.error for key, row in after.items() if row.status == "dropped"} == {
        key: "shown" for key in before}
    assert sorted(key for key, row in after.items() if row.status == "pending") == [
        f"q:{question_id}:show:{FATMA_CHAT}:5:card", f"q:{question_id}:show:{FATMA_CHAT}:5:m1"]


async def test_an_answer_drops_what_reached_her_and_keeps_a_message_she_never_saw(
    db: Database
) -> None:
    """Held for her morning: the card and the parent's messages 1 and 2. Only the card and
    message 1 reached her chat (an earlier card); she answers: those two are not sent again,
    message 2 still comes in the morning, under the card she has."""
    now = MONDAY_20 + timedelta(hours=1)
    key = f"q:7:to:{FATMA_CHAT}:1700000000"

    def row(dedupe_key: str, kind: str, not_before: datetime | None) -> NewMessage:
        payload = ({"text": "❓ card", "always": True} if kind == "text"
                   else {"from_chat_id": 100, "message_id": 1, "always": True})
        return NewMessage(dedupe_key, FATMA_CHAT, None, kind, payload, not_before, "q:7")

    async with db.session() as s:
        await outbox.enqueue_many(s, [
            row("q:7:to:1:1600000000:card", "text", MONDAY_20),
            row("q:7:to:1:1600000000:m1", "copy", MONDAY_20),
            row(f"{key}:card", "text", TUESDAY_9),
            row(f"{key}:m1", "copy", TUESDAY_9),
            row(f"{key}:m2", "copy", TUESDAY_9),
            row("q:7:nudge:1:m2", "text", MONDAY_20),  # names message 2, but is no copy
        ])
        earlier = await rows_of(s, FATMA_CHAT)
        for n, old in enumerate(("q:7:to:1:1600000000:card", "q:7:to:1:1600000000:m1",
                                 "q:7:nudge:1:m2"), start=50):
            await outbox_repo.mark_sent(s, earlier[old].id, telegram_message_id=n, now=now)
        assert await held_cards.drop_answered(s, 7, FATMA_CHAT, now) == 2
        await s.commit()
        after = await rows_of(s, FATMA_CHAT)
    assert {k: r.error for k, r in after.items() if r.status == "dropped"} == {
        f"{key}:card": "answered", f"{key}:m1": "answered"}
    kept = after[f"{key}:m2"]
    assert kept.status == "pending" and kept.not_before == TUESDAY_9
    assert json.loads(kept.payload)["reply_to"] == 50  # the card she has


async def test_an_answer_to_a_question_whose_card_never_reached_her_drops_nothing(
    db: Database
) -> None:
    async with db.session() as s:
        _team, question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                     MONDAY_20)
        assert await held_cards.drop_answered(s, question_id, FATMA_CHAT,
                                              MONDAY_20 + timedelta(hours=1)) == 0
        assert parts(await rows_of(s, FATMA_CHAT), "pending") == ["card", "m1"]


# --- the coordinator answered first ----------------------------------------------------------

async def test_the_coordinators_answer_to_a_card_she_never_saw_drops_it_and_takes_the_question(
    db: Database
) -> None:
    now = MONDAY_20 + timedelta(minutes=20)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_20)
        assert await held_cards.drop_unseen(s, question_id, team["Fatma"].id, now) == 2
        await s.commit()
        rows = await rows_of(s, FATMA_CHAT)
        question = await s.get(Question, question_id)
        assert question is not None
        await s.refresh(question)
    assert {key.rsplit(":", 1)[1]: (r.status, r.error) for key, r in rows.items()} == {
        "card": ("dropped", "answered"), "m1": ("dropped", "answered")}
    assert (question.assignee_id, question.deliver_at) == (None, None)
    assert question.assigned_at == now


async def test_a_card_she_opened_stays_hers_after_the_coordinators_answer(db: Database) -> None:
    now = MONDAY_20 + timedelta(minutes=20)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                    MONDAY_20)
        await held_cards.drop_shown(s, question_id, FATMA_CHAT, now)
        await questions.resend(s, question_id, FATMA_CHAT, "nl", now, render_card, stamp=5)
        assert await held_cards.drop_unseen(s, question_id, team["Fatma"].id, now) == 0
        await s.commit()
        question = await s.get(Question, question_id)
    assert question is not None and question.assignee_id == team["Fatma"].id


async def test_a_question_no_longer_hers_is_left_as_it_is(db: Database) -> None:
    """Handed to Mehmet a moment ago (as read: Fatma): the claim fails, nothing changes."""
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_20)
        await s.execute(update(Question).where(Question.id == question_id)
                        .values(assignee_id=team["Mehmet"].id))
        assert await held_cards.drop_unseen(s, question_id, team["Fatma"].id,
                                            MONDAY_20 + timedelta(minutes=20)) == 0
        await s.commit()
        assert parts(await rows_of(s, FATMA_CHAT), "pending") == ["card", "m1"]
        question = await s.get(Question, question_id)
    assert question is not None and question.assignee_id == team["Mehmet"].id


# --- a map changed ------------------------------------------------------------------------------

async def test_a_map_change_moves_what_waits_to_her_new_next_green_hour(db: Database) -> None:
    """Monday 20:00: held for Tuesday 09:00. She makes Tuesday red: Wednesday 09:00, for the
    card, the copy and the question's deliver_at; what was not held for her stays."""
    wednesday_9 = brussels(2026, 11, 25, 9, 0)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                    MONDAY_20)
        fatma = team["Fatma"]
        retry = NewMessage("a:retry", FATMA_CHAT, fatma.id, "text",
                           {"text": "x", "always": True}, TUESDAY_9)
        reminder = NewMessage("a:reminder", FATMA_CHAT, fatma.id, "text", {"text": "y"},
                              TUESDAY_9)
        await outbox.enqueue_many(s, [retry, reminder])
        await s.execute(OutboxMessage.__table__.update()
                        .where(OutboxMessage.dedupe_key == "a:retry").values(error="network"))
        now = MONDAY_20 + timedelta(minutes=15)
        tuesday_off = AvailabilityMap.default().with_day(1, Level.RED)
        moved = await held_cards.retime(s, fatma.id, tuesday_off, now)
        await s.commit()
        rows = await rows_of(s, FATMA_CHAT)
        question = await s.get(Question, question_id)
    assert moved == held_cards.Retimed(rows=2, questions=1, at=wednesday_9)
    assert {k.rsplit(":", 1)[1]: r.not_before for k, r in rows.items()} == {
        "card": wednesday_9, "m1": wednesday_9, "retry": TUESDAY_9, "reminder": TUESDAY_9}
    assert question is not None and question.deliver_at == wednesday_9
    assert all("disable_notification" not in json.loads(r.payload) for r in rows.values())


async def test_an_unchanged_green_hour_moves_nothing(db: Database) -> None:
    async with db.session() as s:
        team, _question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                     MONDAY_20)
        friday_off = AvailabilityMap.default().with_day(4, Level.RED)
        moved = await held_cards.retime(s, team["Fatma"].id, friday_off,
                                        MONDAY_20 + timedelta(minutes=15))
    assert moved == held_cards.Retimed(rows=0, questions=0, at=None)


async def test_an_hour_made_green_now_brings_it_now(db: Database) -> None:
    async with db.session() as s:
        team, _question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                    MONDAY_20)
        now = MONDAY_20 + timedelta(minutes=15)
        evening = AvailabilityMap.default().with_level(0, 20, Level.GREEN)
        moved = await held_cards.retime(s, team["Fatma"].id, evening, now)
        await s.commit()
        rows = await rows_of(s, FATMA_CHAT)
    assert moved.rows == 2 and moved.at == now
    # Due now, by the wall clock (the outbox claims by it, as a message enqueued now).
    assert all(r.not_before <= utcnow() for r in rows.values())


async def test_a_map_without_green_brings_it_now_without_a_sound(db: Database) -> None:
    """Nothing green at all: as delivery_for brings anything to her, now and silently (routing
    would give a new question to a colleague who has a green hour)."""
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                     MONDAY_20)
        now = MONDAY_20 + timedelta(minutes=15)
        moved = await held_cards.retime(s, team["Fatma"].id, AvailabilityMap.all(Level.RED), now)
        await s.commit()
        rows = await rows_of(s, FATMA_CHAT)
        question = await s.get(Question, question_id)
    assert moved == held_cards.Retimed(rows=2, questions=1, at=now.astimezone(UTC),
                                       silently=True)
    assert all(r.not_before <= utcnow() and json.loads(r.payload)["disable_notification"]
               for r in rows.values())
    assert question is not None and question.deliver_at == now


# --- a language taken away ----------------------------------------------------------------------

GREET = Recipient(None, 900, "nl")  # the coordinator's chat


async def test_a_language_taken_away_sends_the_card_she_never_saw_to_a_colleague_who_reads_it(
    db: Database
) -> None:
    """Monday 20:00: Ayşe's Turkish question waits for Fatma's Tuesday 09:00. At 20:30 Fatma
    says she does not read Turkish: it goes to Mehmet (held for his 09:00), and nothing of
    it comes to her."""
    now = MONDAY_20 + timedelta(minutes=30)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_20)
        await staff.toggle_language(s, team["Fatma"].id, "tr")
        assert await held_cards.reroute_unread(s, team["Fatma"].id, "tr", now, render_card,
                                               [GREET]) == [question_id]
        await s.commit()
        fatma, mehmet = await rows_of(s, FATMA_CHAT), await rows_of(s, 2)
        question = await s.get(Question, question_id)
    assert {key.rsplit(":", 1)[1]: (r.status, r.error) for key, r in fatma.items()} == {
        "card": ("dropped", "handed_over"), "m1": ("dropped", "handed_over")}
    assert parts(mehmet, "pending") == ["card", "m1"]
    assert {row.not_before for row in mehmet.values()} == {TUESDAY_9}
    assert question is not None and question.assignee_id == team["Mehmet"].id
    assert question.deliver_at == TUESDAY_9


async def test_with_nobody_else_who_reads_it_the_coordinator_gets_it(db: Database) -> None:
    now = MONDAY_20 + timedelta(minutes=30)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma",), AvailabilityMap.default(),
                                                    MONDAY_20)
        await staff.toggle_language(s, team["Fatma"].id, "tr")
        assert await held_cards.reroute_unread(s, team["Fatma"].id, "tr", now, render_card,
                                               [GREET]) == [question_id]
        await s.commit()
        question = await s.get(Question, question_id)
        greet = await rows_of(s, GREET.chat_id)
    assert question is not None and question.assignee_id is None
    assert question.deliver_at is None  # now, not held
    assert parts(greet, "pending") == ["card", "m1"]


async def test_a_card_she_opened_or_another_language_stays_hers(db: Database) -> None:
    """She saw the card (📨 in /inbox): hers, she may hand it over herself. Punjabi taken
    away: her Turkish question is not touched."""
    now = MONDAY_20 + timedelta(minutes=30)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_20)
        fatma = team["Fatma"].id
        assert await held_cards.reroute_unread(s, fatma, "pa", now, render_card, [GREET]) == []
        await held_cards.drop_shown(s, question_id, FATMA_CHAT, now)
        await questions.resend(s, question_id, FATMA_CHAT, "nl", now, render_card, stamp=5)
        await staff.toggle_language(s, fatma, "tr")
        assert await held_cards.reroute_unread(s, fatma, "tr", now, render_card, [GREET]) == []
        await s.commit()
        question = await s.get(Question, question_id)
    assert question is not None and question.assignee_id == fatma


async def test_a_question_handed_on_meanwhile_is_left_as_it_is(db: Database) -> None:
    now = MONDAY_20 + timedelta(minutes=30)
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    AvailabilityMap.default(), MONDAY_20)
        await s.execute(update(Question).where(Question.id == question_id)
                        .values(assignee_id=team["Mehmet"].id))
        await staff.toggle_language(s, team["Fatma"].id, "tr")
        assert await held_cards.reroute_unread(s, team["Fatma"].id, "tr", now, render_card,
                                               [GREET]) == []
