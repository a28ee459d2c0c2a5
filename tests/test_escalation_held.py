"""Escalation counts from the moment a question's card reaches its holder: a question held
for the holder's next green hour (the parent was told when) has not waited before that; a
hand-over that fails leaves the clock alone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.question_texts import render_card
from bot.i18n import BRUSSELS
from bot.services import questions, staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.questions import Topic
from storage.db import Database
from storage.models import OutboxMessage, Person, PersonSchool, School, utcnow


def brussels(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BRUSSELS).astimezone(UTC)


async def team_and_question(s: AsyncSession, names: tuple[str, ...], fatma_hours: AvailabilityMap,
                            asked: datetime) -> tuple[dict[str, Person], int]:
    """Turkish-speaking brugfiguren (telegram ids 1, 2, ...; Fatma first, Wijdeland's contact,
    with ``fatma_hours``, the others a school day) and Ayşe's question, asked and routed at
    ``asked``; (name -> person, question id)."""
    wijdeland = await s.scalar(select(School.id).where(School.code == "wijdeland"))
    team = {name: Person(telegram_id=n, first_name=name, locale="tr", role="brugfiguur",
                         onboarded_at=utcnow()) for n, name in enumerate(names, start=1)}
    ayse = Person(telegram_id=100, first_name="Ayşe", locale="tr", role="parent",
                  onboarded_at=utcnow(), schools=[PersonSchool(school_id=wijdeland)])
    s.add_all([*team.values(), ayse])
    await s.flush()
    for name, member in team.items():
        await staff.toggle_language(s, member.id, "tr")
        await staff.set_availability(s, member.id, fatma_hours if name == "Fatma"
                                     else AvailabilityMap.default())
    await staff.set_contact(s, wijdeland, team["Fatma"].id)
    await questions.choose_topic(s, ayse.id, Topic.MONEY, "tr", asked)
    draft, _message = await questions.add_parent_message(s, ayse.id, "tr", 100, 100, asked)
    opened = await questions.open_question(s, draft.id, asked, render_card, [])
    await s.commit()
    assert opened.route.assignee_id == team["Fatma"].id
    return team, draft.id


def wednesday_afternoons() -> AvailabilityMap:
    hours = AvailabilityMap.all(Level.RED)
    for hour in range(13, 17):
        hours = hours.with_level(2, hour, Level.GREEN)
    return hours


async def test_a_held_question_escalates_four_working_hours_after_its_holder_got_it(
    db: Database
) -> None:
    async with db.session() as s:
        # Monday 20:00, everyone red: held for Fatma (Wednesday afternoons) until 13:00 then.
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet"),
                                                    wednesday_afternoons(),
                                                    brussels(2026, 11, 23, 20, 0))
        view = await questions.view(s, question_id)
        assert view is not None and view.deliver_at == brussels(2026, 11, 25, 13, 0)
        # Tuesday 13:00 is four working hours after Monday 20:00, but Fatma has not seen it.
        assert await questions.escalate_due(s, brussels(2026, 11, 24, 13, 0), render_card,
                                            []) == []
        # Wednesday 13:00 + four working hours (13-17) = Wednesday 17:00: to Mehmet.
        assert await questions.escalate_due(s, brussels(2026, 11, 25, 16, 59), render_card,
                                            []) == []
        [moved] = await questions.escalate_due(s, brussels(2026, 11, 25, 17, 0), render_card,
                                               [])
        await s.commit()
    assert moved.previous_id == team["Fatma"].id and moved.new_holder_first_name == "Mehmet"


async def test_a_held_card_of_the_previous_holder_is_not_sent_after_a_hand_over(
    db: Database
) -> None:
    """Held for Fatma's Wednesday; it is handed to Mehmet meanwhile: the card and copy
    waiting for Fatma's green hour are dropped, not delivered to her on Wednesday."""
    async with db.session() as s:
        team, question_id = await team_and_question(
            s, ("Fatma", "Mehmet"), AvailabilityMap.all(Level.RED).with_level(2, 13, Level.GREEN),
            brussels(2026, 11, 23, 20, 0))
        assert await questions.reassign(s, question_id, team["Mehmet"].id,
                                        brussels(2026, 11, 24, 10, 0), render_card, [])
        await s.commit()
        fatmas = list(await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.chat_id == 1)))
        mehmets = list(await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.chat_id == 2)))
    assert fatmas and set(fatmas) == {"dropped"}
    assert mehmets and set(mehmets) == {"pending"}


async def test_a_hand_over_that_fails_leaves_the_escalation_clock_alone(db: Database) -> None:
    """Fatma's hand-over to Mehmet fails (he blocked the bot since): the question still
    counts from 10:00, and escalates at 14:00 as if nothing happened."""
    async with db.session() as s:
        team, question_id = await team_and_question(s, ("Fatma", "Mehmet", "Zeynep"),
                                                    AvailabilityMap.default(),
                                                    brussels(2026, 11, 23, 10, 0))
        fatma, mehmet = team["Fatma"], team["Mehmet"]
        mehmet.blocked_at = utcnow()
        await s.commit()
        assert not await questions.reassign(s, question_id, mehmet.id,
                                            brussels(2026, 11, 23, 13, 0), render_card, [],
                                            handed_by=fatma.id, held_by=fatma.id)
        await s.commit()  # as the door does after any press
        [moved] = await questions.escalate_due(s, brussels(2026, 11, 23, 14, 0), render_card,
                                               [])
    assert moved.previous_id == fatma.id and moved.new_holder_first_name == "Zeynep"
