"""How long what names a person is kept, beyond /forget (the privacy notice says it).

- A sign-up never finished (no language, school or OK to the privacy notice) for 30 days
  since it began or its last step: the person is erased, as by /forget. They may /start
  again at any time.
- Answers to invitations (RSVPs) and the reminders sent, a year after their activity's day:
  the monthly report of that month was made long before.
- The empty traces an erased question left in the outbox (kept while a late answer to its
  card could still come), after the questions' retention.
- The update ids the webhook noted (storage/received_updates.py: ids and times only), after
  two days.

Closed questions have their own retention (``questions.purge_closed``), and sent outbox rows
theirs (``storage.outbox.purge_finished``). Run once a day by the questions' housekeeping.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from storage import outbox as outbox_repo
from storage import received_updates
from storage.models import OutboxMessage, Person, Question, Reminder, Rsvp

ABANDONED_AFTER = timedelta(days=30)
ANSWERS_KEPT = timedelta(days=365)


@dataclass(frozen=True)
class Purged:
    sign_ups: int
    answers: int
    reminders: int
    traces: int

    def __bool__(self) -> bool:
        return bool(self.sign_ups or self.answers or self.reminders or self.traces)


async def erase_abandoned_sign_ups(session: AsyncSession, now: datetime,
                                   coordinator_ids: Collection[int] = ()) -> int:
    """Parents who began signing up more than ``ABANDONED_AFTER`` ago and never finished
    (a step taken since starts the count again: ``people.set_step``). Never a
    coordinator (COORDINATOR_IDS), whose row may be a parent's from before the setting."""
    ids = list(await session.scalars(select(Person.id).where(
        Person.role == "parent", Person.onboarded_at.is_(None), Person.step.is_not(None),
        Person.created_at < now - ABANDONED_AFTER,
        Person.telegram_id.not_in(list(coordinator_ids)))))
    for person_id in ids:
        await people.forget(session, person_id)
    return len(ids)


async def purge_old_answers(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """RSVPs and reminders of days more than ``ANSWERS_KEPT`` ago: (answers, reminders)."""
    before = now - ANSWERS_KEPT
    answers = await session.execute(delete(Rsvp).where(Rsvp.occurrence_start < before)
                                    .execution_options(synchronize_session=False))
    sent = await session.execute(delete(Reminder).where(Reminder.occurrence_start < before)
                                 .execution_options(synchronize_session=False))
    return (int(getattr(answers, "rowcount", 0) or 0), int(getattr(sent, "rowcount", 0) or 0))


async def purge_question_traces(session: AsyncSession, before: datetime) -> int:
    """Finished outbox rows of questions that no longer exist (erased by /forget), made
    before ``before``."""
    groups = set(await session.scalars(select(OutboxMessage.group_key).distinct().where(
        OutboxMessage.group_key.startswith("q:", autoescape=True),
        OutboxMessage.status.in_(outbox_repo.FINISHED), OutboxMessage.created_at < before)))
    ids = {int(group.split(":")[1]) for group in groups
           if group is not None and group.split(":")[1].isdigit()}
    existing = set(await session.scalars(select(Question.id).where(Question.id.in_(ids))))
    gone = [f"q:{i}" for i in ids - existing]
    if not gone:
        return 0
    result = await session.execute(delete(OutboxMessage).where(
        OutboxMessage.group_key.in_(gone), OutboxMessage.status.in_(outbox_repo.FINISHED),
        OutboxMessage.created_at < before).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(session: AsyncSession, now: datetime, question_retention: timedelta,
                coordinator_ids: Collection[int] = ()) -> Purged:
    sign_ups = await erase_abandoned_sign_ups(session, now, coordinator_ids)
    answers, reminders = await purge_old_answers(session, now)
    traces = await purge_question_traces(session, now - question_retention)
    await received_updates.forget_before(session, now - received_updates.KEPT)
    return Purged(sign_ups, answers, reminders, traces)
