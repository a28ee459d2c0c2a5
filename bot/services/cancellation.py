"""Cancelling an activity (one time or every time), and who is told about it.

Usage::

    upcoming = await upcoming_occurrences(session, now, days=14)      # [(data, occurrence)]
    data = await load(session, activity_id)
    if data and is_open(data, start):                                   # a real, not cancelled one
        await programme.cancel_occurrence(session, data.id, start)
    people = await who_is_told(session, data)                           # onboarded parents
    messages = notices(data, start, people, render)                     # one outbox row each

The rules live here as plain functions; the handler (bot/handlers/activities.py) owns the
words and the buttons. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services import broadcast
from bot.services import programme as programme_service
from bot.services.broadcast import Audience, Recipient
from bot.services.outbox import NewMessage
from bot.services.programme import ActivityData, Occurrence, ProgrammeItem
from storage import programme as programme_repo
from storage.models import Rsvp

WINDOW_DAYS = 14
LATER = timedelta(days=366)  # how far /activities looks for an activity's next occurrence
PAGE = 20  # occurrences per /activities screen
ONE, EVERY = "one", "every"  # which cancellation: this occurrence, or the whole activity


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(value: int) -> datetime | None:
    """The aware UTC moment of a button's number; None when it is out of range."""
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


async def upcoming_occurrences(
    session: AsyncSession, now: datetime, days: int = WINDOW_DAYS, tz: ZoneInfo = BRUSSELS,
) -> list[tuple[ActivityData, Occurrence]]:
    """The occurrences that are not cancelled and start in [now, now + days), soonest first;
    and of an activity with none in them, its next one (within a year): the Christmas party
    in five weeks, or next month's ouderbabbel, can be cancelled now too."""
    end = now + timedelta(days=days)
    found: list[tuple[ActivityData, Occurrence]] = []
    for row in await programme_repo.active_since(session, now):
        data = programme_service.activity_data(row)
        soon = programme_service.occurrences(data, now, end, tz)
        if not soon:
            later = programme_service.occurrences(data, end, now + LATER, tz)
            soon = later[:1]
        found.extend((data, occurrence) for occurrence in soon)
    found.sort(key=lambda pair: (pair[1].starts_at, pair[0].id or 0))
    return found


async def load(session: AsyncSession, activity_id: int) -> ActivityData | None:
    row = await programme_repo.record_by_id(session, activity_id)
    return programme_service.activity_data(row) if row is not None else None


def is_real(data: ActivityData, start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """The recurrence produces an occurrence starting exactly then (cancelled or not)."""
    return programme_service.occurrence_on(data, start.astimezone(tz).date(), tz) == start


def is_open(data: ActivityData, start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """A real occurrence that is not cancelled (nor its whole activity)."""
    return is_real(data, start, tz) and any(
        o.starts_at == start
        for o in programme_service.occurrences(data, start, start + timedelta(seconds=1), tz))


def is_cancelled(data: ActivityData, start: datetime, which: str,
                 tz: ZoneInfo = BRUSSELS) -> bool:
    """The occurrence was really cancelled that way: the one day, or the whole activity."""
    if not is_real(data, start, tz):
        return False
    if which == EVERY:
        return data.cancelled
    day = start.astimezone(tz).date()
    return any(c.astimezone(tz).date() == day for c in data.cancelled_starts)


def recurs(data: ActivityData) -> bool:
    return data.rrule is not None


def audience(data: ActivityData) -> Audience:
    """The parents who would have received it: its schools', or everyone's."""
    return Audience(None if data.all_schools else frozenset(data.school_ids))


async def who_is_told(session: AsyncSession, data: ActivityData) -> list[Recipient]:
    """Onboarded parents (not stopped, not blocked) of one of the activity's schools."""
    if not data.all_schools and not data.school_ids:
        return []
    return await broadcast.recipients(session, audience(data))


def group_key(activity_id: int, start: datetime) -> str:
    return f"cancel:{activity_id}:{unix(start)}"


def dedupe_key(activity_id: int, start: datetime, person_id: int) -> str:
    return f"{group_key(activity_id, start)}:{person_id}"


def notices(
    data: ActivityData,
    start: datetime,
    people: list[Recipient],
    render: Callable[[str, ProgrammeItem], str],
) -> list[NewMessage]:
    """One message per parent, rendered once per language by ``render(locale, item)``."""
    assert data.id is not None
    occurrence = Occurrence(start, start + (data.ends_at - data.starts_at))
    texts: dict[str, str] = {}
    messages = []
    for person in people:
        if person.locale not in texts:
            item = programme_service.programme_item(data, occurrence, person.locale)
            texts[person.locale] = render(person.locale, item)
        messages.append(NewMessage(
            dedupe_key=dedupe_key(data.id, start, person.person_id),
            chat_id=person.telegram_id,
            person_id=person.person_id,
            kind="text",
            payload={"text": texts[person.locale]},
            group_key=group_key(data.id, start),
        ))
    return messages


async def who_said_they_come(session: AsyncSession, data: ActivityData, start: datetime,
                             which: str) -> list[Recipient]:
    """Parents who answered "yes" or "maybe" to this occurrence (or to any coming one, when
    the whole activity is off): they are always told, whatever the coordinator chooses."""
    assert data.id is not None
    query = (select(Rsvp.person_id).where(Rsvp.activity_id == data.id,
                                          Rsvp.answer.in_(("yes", "maybe"))))
    query = (query.where(Rsvp.occurrence_start >= start) if which == EVERY
             else query.where(Rsvp.occurrence_start == start))
    answered = set(await session.scalars(query))
    everyone = await broadcast.recipients(session, Audience())
    return [r for r in everyone if r.person_id in answered]


async def notices_after_import(
    session: AsyncSession,
    cancelled: Iterable[tuple[int, datetime | None]],
    now: datetime,
    render: Callable[[str], Callable[[str, ProgrammeItem], str]],
    tz: ZoneInfo = BRUSSELS,
) -> list[NewMessage]:
    """A file cancelled occurrences (``cancelled_dates``, EXDATE, a cancelled event): those
    who said they would come, or maybe, are told as when the coordinator cancels in
    /activities, with the same dedupe keys. ``render(which)`` is the handler's wording."""
    messages: list[NewMessage] = []
    for activity_id, start in cancelled:
        data = await load(session, activity_id)
        if data is None:
            continue
        which = EVERY if start is None else ONE
        if start is None:
            # The whole activity: told once, about its next occurrence (as in /activities).
            upcoming = programme_service.occurrences(replace(data, cancelled=False), now,
                                                     now + timedelta(days=366), tz)
            if not upcoming:
                continue
            start = upcoming[0].starts_at
        elif start <= now:
            continue
        coming = await who_said_they_come(session, data, start, which)
        messages += notices(data, start, coming, render(which))
    return messages
