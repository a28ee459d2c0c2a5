"""RSVPs: a parent's "I'm coming / maybe / I can't come" for one occurrence, and the figures.

The buttons under a reminder carry only the reminder's id (``rv:<id>:<answer>``): the row
names the occurrence and the parent, so a press can never name someone else's answer.

Usage::

    refusal, view = await record(session, reminder_id, person_id, Answer.YES, now)
    figures = await overview(session, now)             # /rsvps
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, exists, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services.programme import (
    ActivityData,
    Kind,
    Occurrence,
    activity_data,
    occurrence_at,
    occurrences,
    programme_item,
    title_in,
)
from bot.services.reminders import (
    SENT,
    Answer,
    ReminderKind,
    ReminderView,
    drop_pending,
    first_told,
    place_mark,
    told_moves,
    where_now,
)
from storage import people as people_repo
from storage import programme as programme_repo
from storage.db import flush_pending
from storage.models import (
    Activity,
    ActivityCancellation,
    Person,
    PersonSchool,
    Reminder,
    Rsvp,
    Setting,
    school_ids_text,
)

MAX_CHILDREN = 4  # "4+"


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # no such reminder (forged, or erased)
    NOT_YOURS = "not_yours"
    STARTED = "started"  # too late to change
    OVER = "over"  # it has ended
    GONE = "gone"  # the activity was deleted
    CANCELLED = "cancelled"
    # The reminder's occurrence no longer takes place, and no new time of it is known (an
    # occurrence that moved to a known time is answered there: ``_occurrence``).
    MOVED = "moved"


def counts_children(kind: Kind) -> bool:
    """Children's workshops ask how many children come."""
    return kind is Kind.WORKSHOP


# A press reads and writes with prebuilt Core statements, not ORM objects: every RSVP press
# runs them, and the ORM's objects cost several times the CPU (benchmarks/inbound.py).
REMINDERS = Reminder.__table__
RSVPS = Rsvp.__table__
PEOPLE = Person.__table__
_REMINDER = select(REMINDERS.c.id, REMINDERS.c.person_id, REMINDERS.c.activity_id,
                   REMINDERS.c.occurrence_start, REMINDERS.c.kind, REMINDERS.c.handled_at
                   ).where(REMINDERS.c.id == bindparam("id"))
_READER = select(PEOPLE.c.locale, PEOPLE.c.dutch_below).where(PEOPLE.c.id == bindparam("id"))
_RSVP = select(RSVPS.c.id, RSVPS.c.answer, RSVPS.c.children).where(
    RSVPS.c.activity_id == bindparam("activity_id"),
    RSVPS.c.occurrence_start == bindparam("occurrence_start"),
    RSVPS.c.person_id == bindparam("person_id"))
# Written only while the occurrence still takes place: a cancellation that came between the
# press's read and its write (the message is redrawn in between) is seen by the write itself,
# with no statement more.
_CANCELLATIONS = ActivityCancellation.__table__
_ACTIVITIES = Activity.__table__
_STILL_ON = and_(
    exists().where(_ACTIVITIES.c.id == bindparam("on_activity"),
                   _ACTIVITIES.c.cancelled_at.is_(None)),
    ~exists().where(_CANCELLATIONS.c.activity_id == bindparam("on_activity"),
                    _CANCELLATIONS.c.occurrence_start == bindparam(
                        "on_start", type_=_CANCELLATIONS.c.occurrence_start.type)))
_WRITTEN = ("activity_id", "occurrence_start", "person_id", "answer", "children", "updated_at",
            "place_mark", "school_ids", "locale")
_ADD_RSVP = insert(RSVPS).from_select(
    list(_WRITTEN),
    select(*(bindparam(f"v_{name}", type_=RSVPS.c[name].type) for name in _WRITTEN))
    .where(_STILL_ON))
_CHANGE_RSVP = update(RSVPS).where(RSVPS.c.id == bindparam("rsvp_id"), _STILL_ON)


async def _occurrence(session: AsyncSession, reminder: Row[Any], now: datetime,
                      tz: ZoneInfo = BRUSSELS) -> tuple[ActivityData, Occurrence] | Refusal:
    """The reminder's occurrence, or why there is none any more. One that moved is where
    the parent was told it went (or the planner will tell them, ``where_now``): a parent
    who reads little answers under the reminder she has, and the answer follows the move
    as a "yes" given before it does."""
    row = await programme_repo.record_by_id(session, reminder.activity_id)
    if row is None:
        return Refusal.GONE
    data = activity_data(row)
    start: datetime | None = reminder.occurrence_start
    if data.cancelled or start in data.cancelled_starts:
        return Refusal.CANCELLED
    found = occurrence_at(data, reminder.occurrence_start, tz)
    if found is None:
        start = await where_now(session, data, reminder.occurrence_start, reminder.person_id,
                                now, tz)
        if start is not None and start in data.cancelled_starts:
            return Refusal.CANCELLED
        found = occurrence_at(data, start, tz) if start is not None else None
        if found is None and start is not None and start <= now:
            return Refusal.OVER  # the day she was reminded of has gone by
    return (data, found) if found is not None else Refusal.MOVED


async def first_day(session: AsyncSession, reminder_id: int) -> datetime | None:
    """The day the parent first knew the reminder's occurrence by (before the moves told to
    her): what its calendar file is named by, so that added again after a move, under any
    of its reminders, it updates the entry she has."""
    reminder = (await session.execute(_REMINDER, {"id": reminder_id})).first()
    if reminder is None:
        return None
    return first_told(reminder.occurrence_start, await told_moves(
        session, reminder.activity_id, reminder.person_id))


async def kept_answer(session: AsyncSession, reminder_id: int, person_id: int) -> Answer | None:
    """The answer the parent gave to the reminder's own day, whatever its state now (started,
    over): a 👍 that says it again needs no word back."""
    reminder = (await session.execute(_REMINDER, {"id": reminder_id})).first()
    if reminder is None or reminder.person_id != person_id:
        return None
    rsvp = (await session.execute(_RSVP, {
        "activity_id": reminder.activity_id, "occurrence_start": reminder.occurrence_start,
        "person_id": person_id})).first()
    return Answer(rsvp.answer) if rsvp is not None else None


@dataclass(frozen=True)
class Reader:
    """What the reminder's text depends on of its parent (the door has read it already)."""

    locale: str | None
    dutch_below: bool


async def view(session: AsyncSession, reminder_id: int, person_id: int, now: datetime,
               *, with_dutch: bool = False, reader: Reader | None = None
               ) -> tuple[Refusal | None, ReminderView | None]:
    """The reminder as its parent sees it now, or why they may not act on it. ``with_dutch``:
    the Dutch original too (the 🇧🇪 button), whatever the parent's setting. ``reader``: the
    parent's language and setting, read here when not given."""
    refusal, current, _reminder, _rsvp_row = await _current(session, reminder_id, person_id, now,
                                                            with_dutch=with_dutch, reader=reader)
    return refusal, current


async def _current(session: AsyncSession, reminder_id: int, person_id: int, now: datetime,
                   *, with_dutch: bool = False, reader: Reader | None = None
                   ) -> tuple[Refusal | None, ReminderView | None, Row[Any] | None,
                              Row[Any] | None]:
    """``view``, with the rows it read (``decide`` builds its change from them, unread again)."""
    await flush_pending(session)
    reminder = (await session.execute(_REMINDER, {"id": reminder_id})).first()
    if reminder is None:
        return Refusal.UNKNOWN, None, None, None
    if reminder.person_id != person_id:
        return Refusal.NOT_YOURS, None, None, None
    if reader is None:
        row = (await session.execute(_READER, {"id": person_id})).first()
        reader = Reader(row.locale, bool(row.dutch_below)) if row else Reader(None, False)
    locale = reader.locale or "nl"
    found = await _occurrence(session, reminder, now)
    if isinstance(found, Refusal):
        return found, None, None, None
    data, occurrence = found
    if occurrence.ends_at <= now:
        return Refusal.OVER, None, None, None
    if occurrence.last_call() <= now:
        return Refusal.STARTED, None, None, None
    item = programme_item(data, occurrence, locale)
    # As the reminder was sent: with the Dutch original below for those who asked for it.
    wants_dutch = with_dutch or reader.dutch_below
    dutch = programme_item(data, occurrence, "nl") if wants_dutch and locale != "nl" else None
    rsvp = (await session.execute(_RSVP, {
        "activity_id": reminder.activity_id, "occurrence_start": occurrence.starts_at,
        "person_id": reminder.person_id})).first()
    # Redrawn with the heading it was sent with (handled_at: when it went to the outbox).
    return (None, ReminderView(reminder.id, ReminderKind(reminder.kind), item, locale,
                              Answer(rsvp.answer) if rsvp else None,
                              rsvp.children if rsvp else None, dutch,
                              reminder.handled_at,
                              reminded_start=reminder.occurrence_start),
            reminder, rsvp)


@dataclass(frozen=True)
class Change:
    """An answer decided but not yet written (``keep`` writes it)."""

    reminder: Row[Any]
    rsvp_id: int | None  # None: the parent's first answer for this occurrence
    answer: Answer
    children: int | None
    now: datetime
    place_mark: str | None = None  # the place they answer to (reminders.place_mark)
    start: datetime | None = None  # the occurrence answered; None: the reminder's own
    school_ids: str | None = None  # the parent's schools ("3,5"); None: read when kept
    locale: str | None = None  # the parent's language; None: read when kept

    @property
    def occurrence_start(self) -> datetime:
        return self.start or self.reminder.occurrence_start

    @property
    def followed(self) -> bool:
        """The reminder's occurrence moved: the answer is for its new time."""
        return self.occurrence_start != self.reminder.occurrence_start


async def decide(session: AsyncSession, reminder_id: int, person_id: int, answer: Answer,
                 now: datetime, children: int | None = None, *, reader: Reader | None = None,
                 school_ids: Collection[int] | None = None
                 ) -> tuple[Refusal | None, ReminderView | None, Change | None]:
    """The reminder as it will look with this answer, and the change to keep; only reads.
    ``school_ids``: the parent's schools (kept with the answer, for the monthly report;
    read when ``keep`` writes, if not given).

    Apart from ``record``, so that a press can redraw its message before it writes: on
    SQLite a write holds the database's one writer until the commit, and Telegram's round
    trips would keep every other writer (the outbox sender too) waiting."""
    refusal, current, reminder, rsvp = await _current(session, reminder_id, person_id, now,
                                                      reader=reader)
    if refusal is not None or current is None:
        return refusal, None, None
    assert reminder is not None
    if children is not None and not counts_children(current.item.kind):
        return Refusal.UNKNOWN, None, None  # no such button under this reminder: forged
    if answer is not Answer.YES:
        kept_children = None
    elif children is not None:
        kept_children = max(1, min(children, MAX_CHILDREN))
    else:
        kept_children = rsvp.children if rsvp else None
    return None, replace(current, answer=answer, children=kept_children), Change(
        reminder, rsvp.id if rsvp else None, answer, kept_children, now,
        place_mark(current.item.place), current.item.starts_at,
        school_ids_text(school_ids) if school_ids is not None else None,
        reader.locale if reader is not None else None)


async def keep(session: AsyncSession, change: Change) -> bool:
    """Write a decided answer (changeable until the start; a whole day's until its end:
    ``Occurrence.last_call``); children only with "yes". False, and nothing written, when
    the occurrence was cancelled since ``decide`` read it."""
    reminder, start = change.reminder, change.occurrence_start
    schools = change.school_ids
    if schools is None:
        schools = school_ids_text(await people_repo.school_ids(session, reminder.person_id))
    locale = change.locale or await session.scalar(
        select(Person.locale).where(Person.id == reminder.person_id))
    values = {"answer": change.answer.value, "children": change.children,
              "updated_at": change.now, "place_mark": change.place_mark,
              "school_ids": schools, "locale": locale}
    still_on = {"on_activity": reminder.activity_id, "on_start": start}
    if change.rsvp_id is None:
        row = {"activity_id": reminder.activity_id, "occurrence_start": start,
               "person_id": reminder.person_id, **values}
        written = await session.execute(
            _ADD_RSVP, {**{f"v_{name}": value for name, value in row.items()}, **still_on})
    else:
        written = await session.execute(
            _CHANGE_RSVP, {"rsvp_id": change.rsvp_id, **values, **still_on})
    if not getattr(written, "rowcount", 1):
        return False  # cancelled since it was read: nothing kept (the caller says so)
    if change.answer is Answer.NO:  # no more reminders of it, not even those in the outbox
        await drop_pending(session, reminder.activity_id, start, reminder.person_id,
                           "not_coming")
    return True


async def record(session: AsyncSession, reminder_id: int, person_id: int, answer: Answer,
                 now: datetime, children: int | None = None
                 ) -> tuple[Refusal | None, ReminderView | None]:
    """Keep the parent's answer (changeable until the start); children only with "yes"."""
    refusal, view, change = await decide(session, reminder_id, person_id, answer, now, children)
    if change is not None:
        await keep(session, change)
    return refusal, view


# --------------------------------------------------------------------------------------------
# figures for /rsvps


@dataclass(frozen=True)
class OccurrenceFigures:
    activity_id: int
    title_nl: str
    kind: Kind
    starts_at: datetime
    coming: int
    maybe: int
    not_coming: int
    children: int
    reached: int  # parents a reminder was handed to
    children_unsaid: int = 0  # parents who said yes without saying how many children
    all_day: bool = False  # a calendar's whole-day event: shown by its day alone


async def overview(session: AsyncSession, now: datetime, school_ids: Iterable[int] | None = None,
                   days: int = 14, tz: ZoneInfo = BRUSSELS) -> list[OccurrenceFigures]:
    """Every occurrence of the next ``days`` (for these schools, or all), soonest first.
    For some schools (a brugfiguur's), the answers and reminders counted are those of the
    parents of those schools: an activity for all schools counts only their own parents."""
    until = now + timedelta(days=days)
    if school_ids is None:
        rows = await programme_repo.active_since(session, now)
        answer_of, reminded = (), ()
    else:
        school_ids = list(school_ids)
        rows = await programme_repo.for_schools(session, school_ids, now, until)
        parents = select(PersonSchool.person_id).where(PersonSchool.school_id.in_(school_ids))
        answer_of, reminded = (Rsvp.person_id.in_(parents),), (Reminder.person_id.in_(parents),)
    answers = Counter(
        (a, s, answer) for a, s, answer in (await session.execute(
            select(Rsvp.activity_id, Rsvp.occurrence_start, Rsvp.answer)
            .where(Rsvp.occurrence_start >= now, Rsvp.occurrence_start < until,
                   *answer_of))).all())
    children = {(a, s): (int(n or 0), int(unsaid or 0)) for a, s, n, unsaid in (
        await session.execute(
            select(Rsvp.activity_id, Rsvp.occurrence_start, func.sum(Rsvp.children),
                   func.sum(case((Rsvp.children.is_(None), 1), else_=0)))
            .where(Rsvp.occurrence_start >= now, Rsvp.occurrence_start < until,
                   Rsvp.answer == Answer.YES.value, *answer_of)
            .group_by(Rsvp.activity_id, Rsvp.occurrence_start))).all()}
    reached = {(a, s): int(n) for a, s, n in (await session.execute(
        select(Reminder.activity_id, Reminder.occurrence_start,
               func.count(func.distinct(Reminder.person_id)))
        .where(Reminder.status == SENT, Reminder.occurrence_start >= now,
               Reminder.occurrence_start < until, *reminded)
        .group_by(Reminder.activity_id, Reminder.occurrence_start))).all()}
    found = []
    for row in rows:
        data = activity_data(row)
        dutch = data.texts.get("nl")
        title = dutch.title if dutch else data.external_id
        for occurrence in occurrences(data, now, until, tz):
            key = (row.row.id, occurrence.starts_at)
            said, unsaid = children.get(key, (0, 0))
            found.append(OccurrenceFigures(
                row.row.id, title, data.kind, occurrence.starts_at,
                answers[(*key, Answer.YES.value)], answers[(*key, Answer.MAYBE.value)],
                answers[(*key, Answer.NO.value)], said, reached.get(key, 0),
                children_unsaid=unsaid, all_day=occurrence.all_day(tz)))
    return sorted(found, key=lambda f: (f.starts_at, f.activity_id))


# --------------------------------------------------------------------------------------------
# the note after an activity


@dataclass(frozen=True)
class Attendee:
    person_id: int
    chat_id: int
    locale: str | None = None


def called_off(data: ActivityData, start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """The occurrence at ``start`` did not take place: its day was cancelled, or the whole
    activity was called off before it began (those before that took place). Its "yes"
    answers bring nobody: no note after it, nobody counted as coming in the report."""
    if data.cancelled and (data.cancelled_at is None or start >= data.cancelled_at):
        return True
    day = start.astimezone(tz).date()
    return any(moment.astimezone(tz).date() == day for moment in data.cancelled_starts)


async def note_audience(session: AsyncSession, activity_id: int, start: datetime,
                        tz: ZoneInfo = BRUSSELS) -> list[Attendee] | None:
    """Parents who said they come (not stopped, not blocked): the note after it is theirs.
    None for an occurrence that was called off (``called_off``): it did not take place."""
    row = await programme_repo.record_by_id(session, activity_id)
    if row is not None and called_off(activity_data(row), start, tz):
        return None
    rows = await session.execute(
        select(Person.id, Person.telegram_id, Person.locale)
        .join(Rsvp, Rsvp.person_id == Person.id).where(
            Rsvp.activity_id == activity_id, Rsvp.occurrence_start == start,
            Rsvp.answer == Answer.YES.value, Person.stopped_at.is_(None),
            Person.blocked_at.is_(None)).order_by(Person.id))
    return [Attendee(pid, chat, locale) for pid, chat, locale in rows.all()]


async def titles_of(session: AsyncSession, activity_id: int,
                    locales: Iterable[str]) -> dict[str, str]:
    """The activity's title in each of these languages (the Dutch one where it has none)."""
    row = await programme_repo.record_by_id(session, activity_id)
    texts = activity_data(row).texts if row is not None else {}
    return {locale: title_in(texts, locale) for locale in locales}


async def recent_with_attendees(session: AsyncSession, now: datetime, days: int = 7,
                                tz: ZoneInfo = BRUSSELS) -> list[OccurrenceFigures]:
    """Occurrences of the last ``days`` that someone said they would come to, newest first;
    not those called off (``called_off``)."""
    since = now - timedelta(days=days)
    counts = (await session.execute(
        select(Rsvp.activity_id, Rsvp.occurrence_start, func.count())
        .where(Rsvp.answer == Answer.YES.value, Rsvp.occurrence_start >= since,
               Rsvp.occurrence_start <= now)
        .group_by(Rsvp.activity_id, Rsvp.occurrence_start))).all()
    found = []
    for activity_id, start, coming in counts:
        row = await programme_repo.record_by_id(session, activity_id)
        if row is None:
            continue
        data = activity_data(row)
        if called_off(data, start, tz):
            continue
        dutch = data.texts.get("nl")
        found.append(OccurrenceFigures(activity_id, dutch.title if dutch else data.external_id,
                                       data.kind, start, int(coming), 0, 0, 0, 0))
    return sorted(found, key=lambda f: f.starts_at, reverse=True)


# The question "send the note as a reply to this message" is a row too (a restart between the
# question and the reply loses nothing): settings key note:<chat>:<message>.
def _prompt_key(chat_id: int, message_id: int) -> str:
    return f"note:{chat_id}:{message_id}"


async def remember_note_prompt(session: AsyncSession, chat_id: int, message_id: int,
                               activity_id: int, start: datetime) -> None:
    session.add(Setting(key=_prompt_key(chat_id, message_id),
                        value=json.dumps({"activity": activity_id,
                                          "start": int(start.timestamp())})))
    await session.flush()


async def take_note_prompt(session: AsyncSession, chat_id: int,
                           message_id: int) -> tuple[int, datetime] | None:
    """The occurrence a reply to this prompt is the note of (once: the prompt is used up)."""
    row = await session.get(Setting, _prompt_key(chat_id, message_id))
    if row is None:
        return None
    value = json.loads(row.value)
    await session.delete(row)
    return int(value["activity"]), datetime.fromtimestamp(int(value["start"]), UTC)
