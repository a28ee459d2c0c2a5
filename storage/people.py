"""Queries about people and their schools. Callers own the transaction (services never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import flush_pending
from storage.models import (
    Broadcast,
    OutboxMessage,
    Person,
    PersonSchool,
    Question,
    QuestionMessage,
    Reminder,
    Rsvp,
    School,
    Setting,
    StaffInvite,
    StaffProfile,
)

PEOPLE = Person.__table__
LINKS = PersonSchool.__table__


@dataclass(frozen=True)
class PersonRecord:
    """A person as read for an update: the people columns by name, and their schools."""

    row: Row[Any]
    school_ids: tuple[int, ...]


# Every update reads its sender: one Core query, the schools joined in. (An ORM row with its
# schools cost about four times the CPU, and most updates change nothing about the sender.)
_SENDER = (select(PEOPLE, LINKS.c.school_id)
           .outerjoin(LINKS, LINKS.c.person_id == PEOPLE.c.id)
           .where(PEOPLE.c.telegram_id == bindparam("telegram_id"))
           .order_by(LINKS.c.school_id))


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> PersonRecord | None:
    await flush_pending(session)
    rows = (await session.execute(_SENDER, {"telegram_id": telegram_id})).all()
    if not rows:
        return None
    return PersonRecord(rows[0], tuple(r.school_id for r in rows if r.school_id is not None))


async def unblock(session: AsyncSession, person_id: int) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(blocked_at=None))


async def by_id(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def add(session: AsyncSession, telegram_id: int, first_name: str, role: str) -> Person:
    # PostgreSQL refuses a NUL in a text column; a Telegram name is no reason to fail.
    name = first_name.replace("\x00", "")[:64]
    person = Person(telegram_id=telegram_id, first_name=name, role=role, schools=[])
    session.add(person)
    await session.flush()
    return person


async def school_ids(session: AsyncSession, person_id: int) -> list[int]:
    """In the order the person chose them (a question goes to the first that fits)."""
    rows = await session.scalars(
        select(PersonSchool.school_id).where(PersonSchool.person_id == person_id)
        .order_by(PersonSchool.id)
    )
    return list(rows)


async def link_school(session: AsyncSession, person: Person, school_id: int) -> None:
    if all(link.school_id != school_id for link in person.schools):
        person.schools.append(PersonSchool(school_id=school_id))
        await session.flush()


async def unlink_school(session: AsyncSession, person: Person, school_id: int) -> None:
    person.schools[:] = [link for link in person.schools if link.school_id != school_id]
    await session.flush()


async def erase(session: AsyncSession, person_id: int) -> None:
    """Delete every row about this person. Later tables that name a person add their line here
    (foreign keys cascade too, but an explicit list is what a privacy review reads)."""
    telegram_id = await session.scalar(select(Person.telegram_id).where(Person.id == person_id))
    # A parent's questions go whole: their messages, the cards and copies sent to the team.
    asked = list(await session.scalars(select(Question.id).where(Question.parent_id == person_id)))
    if asked:
        keys = [f"q:{i}" for i in asked]
        # What was sent to the team stays as an empty trace (no content), so a late answer
        # to it is told "the parent erased their data"; the rest goes.
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.group_key.in_(keys), OutboxMessage.status == "sent",
            OutboxMessage.chat_id != telegram_id).values(payload="{}"))
        await session.execute(delete(OutboxMessage).where(
            OutboxMessage.group_key.in_(keys), OutboxMessage.status != "sent"))
        await session.execute(delete(QuestionMessage).where(
            QuestionMessage.question_id.in_(asked)))
        await session.execute(delete(Question).where(Question.id.in_(asked)))
    # A brugfiguur's trace in others' rows of the questions they held, answered or handed on:
    # a copy of their answer names their chat, a notice their name. What has not left goes;
    # the rest keeps no text (rows sent since keep none anyway: storage/outbox._SPENT_PAYLOAD).
    q_rows = OutboxMessage.group_key.like("q:%")
    from_their_chat = or_(  # a copy's payload names the chat it copies from
        OutboxMessage.payload.contains(f'"from_chat_id":{telegram_id},'),
        OutboxMessage.payload.contains(f'"from_chat_id":{telegram_id}}}'))
    copied_from_them = and_(q_rows, from_their_chat)
    their_questions = select(OutboxMessage.group_key).distinct().where(q_rows, or_(
        OutboxMessage.person_id == person_id, OutboxMessage.chat_id == telegram_id))
    await session.execute(delete(OutboxMessage).where(
        copied_from_them, OutboxMessage.status == "pending"))
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.status != "pending",
        or_(copied_from_them, OutboxMessage.group_key.in_(their_questions)))
        .values(payload="{}").execution_options(synchronize_session=False))
    # Notices to colleagues that name them ("🏫 Fatma is now the fixed contact…", "Question 1
    # (Ayşe) is now with Fatma"; their keys end in about<id> or to<id>): one that waits for
    # its reader's hours would name them and tell what is no longer true: it goes. One sent
    # keeps no text.
    about_them = or_(OutboxMessage.dedupe_key.like(f"contact:%:about{person_id}"),
                     OutboxMessage.dedupe_key.like(f"q:%:moved:%:to{person_id}"))
    await session.execute(delete(OutboxMessage).where(
        about_them, OutboxMessage.status.in_(("pending", "sending")))
        .execution_options(synchronize_session=False))
    await session.execute(update(OutboxMessage).where(about_them).values(payload="{}")
                          .execution_options(synchronize_session=False))
    # A brugfiguur's questions go back to the coordinator; their profile and contacts go.
    await session.execute(
        update(Question).where(Question.assignee_id == person_id).values(assignee_id=None))
    await session.execute(
        update(Question).where(Question.handed_by_id == person_id).values(handed_by_id=None))
    await session.execute(
        update(School).where(School.contact_id == person_id).values(contact_id=None))
    await session.execute(delete(QuestionMessage).where(
        QuestionMessage.chat_id == telegram_id, QuestionMessage.from_parent.is_(False)))
    await session.execute(delete(StaffProfile).where(StaffProfile.person_id == person_id))
    await session.execute(update(StaffInvite).where(StaffInvite.used_by == person_id)
                          .values(used_by=None))
    await session.execute(update(StaffInvite).where(StaffInvite.created_by == person_id)
                          .values(created_by=None))
    await session.execute(delete(OutboxMessage).where(
        (OutboxMessage.person_id == person_id) | (OutboxMessage.chat_id == telegram_id)))
    await session.execute(delete(Reminder).where(Reminder.person_id == person_id))
    await session.execute(delete(Rsvp).where(Rsvp.person_id == person_id))
    await session.execute(delete(PersonSchool).where(PersonSchool.person_id == person_id))
    await session.execute(
        update(Broadcast).where(Broadcast.created_by == person_id).values(created_by=None))
    # A coordinator's traces: where a broadcast's progress was shown, a note's question
    # waiting for its reply, the copies of a note sent (one not sent yet keeps its chat until
    # it leaves: the parents still get it, and it is blanked then).
    await session.execute(
        update(Broadcast).where(Broadcast.status_chat_id == telegram_id)
        .values(status_chat_id=None, status_message_id=None))
    await session.execute(delete(Setting).where(
        Setting.key.startswith(f"note:{telegram_id}:", autoescape=True)))
    # A coordinator's own switch of the monthly report, and the months it reached them
    # (bot/services/report.py): keyed by their chat.
    await session.execute(delete(Setting).where(
        (Setting.key == f"report:monthly:{telegram_id}")
        | (Setting.key.like("report:sent:%") & Setting.key.endswith(f":{telegram_id}"))))
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.group_key.like("note:%"), OutboxMessage.status != "pending",
        from_their_chat)
        .values(payload="{}").execution_options(synchronize_session=False))
    await session.execute(delete(Person).where(Person.id == person_id))


_SCHOOLS = select(School.__table__).order_by(School.__table__.c.id)


async def all_schools(session: AsyncSession) -> list[Row[Any]]:
    """Every school's columns (read for /week and every school picker: plain rows)."""
    await flush_pending(session)
    return list((await session.execute(_SCHOOLS)).all())


async def school_by_code(session: AsyncSession, code: str) -> School | None:
    return await session.scalar(select(School).where(School.code == code.lower()))
