"""Escalation counts from the moment a question's card reaches its holder: a question held
for the holder's next green hour (the parent was told when) has not waited before that."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.handlers.question_texts import render_card
from bot.i18n import BRUSSELS
from bot.services import questions, staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.questions import Topic
from storage.db import Database
from storage.models import OutboxMessage, Person, PersonSchool, School, utcnow


def brussels(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BRUSSELS).astimezone(UTC)


async def test_a_held_question_escalates_four_working_hours_after_its_holder_got_it(
    db: Database
) -> None:
    async with db.session() as s:
        wijdeland = await s.scalar(select(School.id).where(School.code == "wijdeland"))
        fatma = Person(telegram_id=1, first_name="Fatma", locale="tr", role="brugfiguur",
                       onboarded_at=utcnow())
        mehmet = Person(telegram_id=2, first_name="Mehmet", locale="tr", role="brugfiguur",
                        onboarded_at=utcnow())
        ayse = Person(telegram_id=3, first_name="Ayşe", locale="tr", role="parent",
                      onboarded_at=utcnow(), schools=[PersonSchool(school_id=wijdeland)])
        s.add_all([fatma, mehmet, ayse])
        await s.flush()
        for member in (fatma, mehmet):
            await staff.toggle_language(s, member.id, "tr")
        # Fatma, the school's contact, works on Wednesday afternoons only.
        wednesday = AvailabilityMap.all(Level.RED)
        for hour in range(13, 17):
            wednesday = wednesday.with_level(2, hour, Level.GREEN)
        await staff.set_availability(s, fatma.id, wednesday)
        await staff.set_availability(s, mehmet.id, AvailabilityMap.default())
        await staff.set_contact(s, wijdeland, fatma.id)
        # Monday 20:00, everyone red: held for Fatma until Wednesday 13:00.
        asked = brussels(2026, 11, 23, 20, 0)
        await questions.choose_topic(s, ayse.id, Topic.MONEY, "tr", asked)
        draft, _message = await questions.add_parent_message(s, ayse.id, "tr", 3, 100, asked)
        opened = await questions.open_question(s, draft.id, asked, render_card, [])
        await s.commit()
        assert opened.route.assignee_id == fatma.id
        assert opened.route.deliver_at == brussels(2026, 11, 25, 13, 0)

        # Tuesday 13:00 is four working hours after Monday 20:00, but Fatma has not seen it.
        assert await questions.escalate_due(s, brussels(2026, 11, 24, 13, 0), render_card,
                                            []) == []
        # Wednesday 13:00 + four working hours (13-17) = Wednesday 17:00: to Mehmet.
        assert await questions.escalate_due(s, brussels(2026, 11, 25, 16, 59), render_card,
                                            []) == []
        [moved] = await questions.escalate_due(s, brussels(2026, 11, 25, 17, 0), render_card,
                                               [])
        await s.commit()
        assert moved.previous_id == fatma.id and moved.new_holder_first_name == "Mehmet"


async def test_a_held_card_of_the_previous_holder_is_not_sent_after_a_hand_over(
    db: Database
) -> None:
    """Held for Fatma's Wednesday; the coordinator hands it to Mehmet meanwhile: the card
    and copy waiting for Fatma's green hour are dropped, not delivered to her on Wednesday."""
    async with db.session() as s:
        wijdeland = await s.scalar(select(School.id).where(School.code == "wijdeland"))
        fatma = Person(telegram_id=1, first_name="Fatma", locale="tr", role="brugfiguur",
                       onboarded_at=utcnow())
        mehmet = Person(telegram_id=2, first_name="Mehmet", locale="tr", role="brugfiguur",
                        onboarded_at=utcnow())
        ayse = Person(telegram_id=3, first_name="Ayşe", locale="tr", role="parent",
                      onboarded_at=utcnow(), schools=[PersonSchool(school_id=wijdeland)])
        s.add_all([fatma, mehmet, ayse])
        await s.flush()
        for member in (fatma, mehmet):
            await staff.toggle_language(s, member.id, "tr")
        wednesday = AvailabilityMap.all(Level.RED).with_level(2, 13, Level.GREEN)
        await staff.set_availability(s, fatma.id, wednesday)
        await staff.set_contact(s, wijdeland, fatma.id)
        asked = brussels(2026, 11, 23, 20, 0)
        await questions.choose_topic(s, ayse.id, Topic.MONEY, "tr", asked)
        draft, _message = await questions.add_parent_message(s, ayse.id, "tr", 3, 100, asked)
        await questions.open_question(s, draft.id, asked, render_card, [])
        await s.commit()
        assert await questions.reassign(s, draft.id, mehmet.id, brussels(2026, 11, 24, 10, 0),
                                        render_card, [], handed_by=None)
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
        wijdeland = await s.scalar(select(School.id).where(School.code == "wijdeland"))
        fatma = Person(telegram_id=1, first_name="Fatma", locale="tr", role="brugfiguur",
                       onboarded_at=utcnow())
        mehmet = Person(telegram_id=2, first_name="Mehmet", locale="tr", role="brugfiguur",
                        onboarded_at=utcnow())
        zeynep = Person(telegram_id=4, first_name="Zeynep", locale="tr", role="brugfiguur",
                        onboarded_at=utcnow())
        ayse = Person(telegram_id=3, first_name="Ayşe", locale="tr", role="parent",
                      onboarded_at=utcnow(), schools=[PersonSchool(school_id=wijdeland)])
        s.add_all([fatma, mehmet, zeynep, ayse])
        await s.flush()
        for member in (fatma, mehmet, zeynep):
            await staff.toggle_language(s, member.id, "tr")
            await staff.set_availability(s, member.id, AvailabilityMap.default())
        await staff.set_contact(s, wijdeland, fatma.id)
        asked = brussels(2026, 11, 23, 10, 0)
        await questions.choose_topic(s, ayse.id, Topic.MONEY, "tr", asked)
        draft, _message = await questions.add_parent_message(s, ayse.id, "tr", 3, 100, asked)
        await questions.open_question(s, draft.id, asked, render_card, [])
        mehmet.blocked_at = utcnow()
        await s.commit()
        assert not await questions.reassign(s, draft.id, mehmet.id,
                                            brussels(2026, 11, 23, 13, 0), render_card, [],
                                            handed_by=fatma.id, held_by=fatma.id)
        await s.commit()  # as the door does after any press
        [moved] = await questions.escalate_due(s, brussels(2026, 11, 23, 14, 0), render_card,
                                               [])
    assert moved.previous_id == fatma.id and moved.new_holder_first_name == "Zeynep"
