"""Cancelling an activity (one time or every time), and who is told about it.

Usage::

    upcoming = await upcoming_occurrences(session, now, days=14)      # [Listed(...)]
    data = await load(session, activity_id)
    if data and is_open(data, start):                                   # a real, not cancelled one
        await programme.cancel_occurrence(session, data.id, start)
    people = await who_is_told(session, data)                           # onboarded parents
    messages = notices(data, start, people, render)                     # one outbox row each

    # A wrong tap undone: the day takes place after all.
    if can_undo(data, start, now):                                      # cancelled, to come
        heard = await heard_so_far(session, data, start)                # told it was off
        undone = await undo(session, data, start, now, render)          # heard.coming told now
    # "Tell them": everyone who heard of it, the same round's keys (nobody told twice).
    reached = await who_heard_of_it(session, data.id, start, undone.mark)
    messages = notices(data, start, reached, render, round_mark=undone.mark)  # "it goes ahead"

    # A whole activity called off by mistake: the same, from its first day to come.
    first = first_again(data, now)                                      # listed, marked ❌
    if first and can_undo(data, first.starts_at, now, which=EVERY):
        heard = await heard_so_far(session, data, first.starts_at, EVERY)
        undone = await undo(session, data, first.starts_at, now, render, which=EVERY)
        # Its notices' keys name the day they were keyed by: undone.told_about.
    # Either undo is remembered (ActivityRestoration): a file sent again that still lists the
    # day in cancelled_dates (or a calendar that still calls the activity off) does not
    # cancel it again; cancelling it again in /activities makes the usual rules hold again.

    # A calendar moved a day of a series to an activity of its own (ImportSummary.moved):
    # answers follow it, and it is told as a move, not a cancellation.
    messages = await notices_after_move(session, summary.moved, now, render_moved,
                                        render_new_place)

The rules live here as plain functions; the handler (bot/handlers/activities.py) owns the
words and the buttons. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, SUPPORTED_LOCALES
from bot.services import broadcast, outbox, reminders
from bot.services import programme as programme_service
from bot.services.broadcast import Audience, Recipient
from bot.services.outbox import NewMessage, in_each_language
from bot.services.programme import ActivityData, Occurrence, ProgrammeItem
from storage import outbox as outbox_repo
from storage import programme as programme_repo
from storage.models import (
    Activity,
    ActivityRestoration,
    OutboxMessage,
    Reminder,
    Rsvp,
    utcnow,
)

if TYPE_CHECKING:
    from bot.services.importer.results import MovedOccurrence

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


@dataclass(frozen=True)
class Listed:
    """One line of /activities: an occurrence, and whether that day is cancelled (or, for
    an activity called off as a whole, ``data.cancelled``: its first day to come)."""

    data: ActivityData
    occurrence: Occurrence
    cancelled: bool = False


def listed(data: ActivityData, now: datetime, end: datetime,
           tz: ZoneInfo = BRUSSELS) -> list[Listed]:
    """An activity's occurrences in [now, end), cancelled days too (a wrong tap can be
    undone); with none open in them, the later ones up to its next open one (within a
    year): the Christmas party in five weeks, or next month's ouderbabbel."""
    if data.cancelled:
        return []
    days = {moment.astimezone(tz).date() for moment in data.cancelled_starts}
    every = replace(data, cancelled_starts=frozenset())
    found = [Listed(data, o, o.starts_at.astimezone(tz).date() in days)
             for o in programme_service.occurrences(every, now, end, tz)]
    if all(line.cancelled for line in found):
        for o in programme_service.occurrences(every, end, now + LATER, tz):
            cancelled = o.starts_at.astimezone(tz).date() in days
            found.append(Listed(data, o, cancelled))
            if not cancelled:
                break
    return found


def first_again(data: ActivityData, now: datetime, tz: ZoneInfo = BRUSSELS
                ) -> Occurrence | None:
    """Of an activity called off as a whole: its first occurrence after ``now`` if it went
    ahead again (days cancelled one by one stay off). None when it is not off, or has none."""
    if not data.cancelled:
        return None
    # Strictly after: one that starts right now has begun, and cannot be undone any more.
    return programme_service.next_occurrence(replace(data, cancelled=False),
                                             now + timedelta(microseconds=1), tz)


async def called_off(session: AsyncSession, now: datetime, tz: ZoneInfo = BRUSSELS
                     ) -> list[Listed]:
    """Activities called off as a whole that would still take place (within a year): one
    line each, its first day to come, so a wrong "every time" can be undone."""
    ids = list(await session.scalars(select(Activity.id).where(
        Activity.cancelled_at.is_not(None),
        or_(Activity.rrule.is_not(None), Activity.starts_at >= now))))
    found = []
    for row in await programme_repo.records_by_ids(session, ids):
        data = programme_service.activity_data(row)
        first = first_again(data, now, tz)
        if first is not None and first.starts_at < now + LATER:
            found.append(Listed(data, first, cancelled=True))
    return found


async def upcoming_occurrences(
    session: AsyncSession, now: datetime, days: int = WINDOW_DAYS, tz: ZoneInfo = BRUSSELS,
) -> list[Listed]:
    """What /activities lists (see ``listed`` and ``called_off``), soonest first."""
    end = now + timedelta(days=days)
    found = await called_off(session, now, tz)
    for row in await programme_repo.active_since(session, now):
        found += listed(programme_service.activity_data(row), now, end, tz)
    found.sort(key=lambda line: (line.occurrence.starts_at, line.data.id or 0))
    return found


async def load(session: AsyncSession, activity_id: int) -> ActivityData | None:
    row = await programme_repo.record_by_id(session, activity_id)
    return programme_service.activity_data(row) if row is not None else None


def is_real(data: ActivityData, start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """The recurrence produces an occurrence starting exactly then (cancelled or not)."""
    return programme_service.occurrence_on(data, start.astimezone(tz).date(), tz) == start


def is_open(data: ActivityData, start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """A real occurrence that is not cancelled (nor its whole activity)."""
    return is_real(data, start, tz) and programme_service.occurrence_at(data, start, tz) \
        is not None


def is_cancelled(data: ActivityData, start: datetime, which: str,
                 tz: ZoneInfo = BRUSSELS) -> bool:
    """The occurrence was really cancelled that way: the one day, or the whole activity."""
    if not is_real(data, start, tz):
        return False
    if which == EVERY:
        return data.cancelled
    day = start.astimezone(tz).date()
    return any(c.astimezone(tz).date() == day for c in data.cancelled_starts)


def can_undo(data: ActivityData, start: datetime, now: datetime,
             tz: ZoneInfo = BRUSSELS, which: str = ONE) -> bool:
    """ONE: a day cancelled on its own, still to come, of an activity that is not off as a
    whole (undoing the day would bring nothing back). EVERY: an activity called off as a
    whole, ``start`` its first day to come (``first_again``: what the list showed)."""
    if which == EVERY:
        first = first_again(data, now, tz)
        return first is not None and first.starts_at == start > now
    return start > now and not data.cancelled and is_cancelled(data, start, ONE, tz)


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


async def not_told(session: AsyncSession, data: ActivityData, start: datetime
                   ) -> list[Recipient]:
    """Of the parents who would have received a cancelled day, those its notice has not
    reached and is not on its way to (the file cancelled it, or the coordinator said "no"
    at first): whom a "tell them" would still reach."""
    assert data.id is not None
    has_one = await _people_in(session, group_key(data.id, start))
    return [r for r in await who_is_told(session, data) if r.person_id not in has_one]


CANCEL = "cancel:"  # group key prefix of a day's cancellation notices


def group_key(activity_id: int, start: datetime) -> str:
    return f"{CANCEL}{activity_id}:{unix(start)}"


def dedupe_key(activity_id: int, start: datetime, person_id: int) -> str:
    return f"{group_key(activity_id, start)}:{person_id}"


# Undoing a cancellation. Its notices are set aside as a numbered round: renamed out of the
# way, so a later cancellation of the same day can tell the parents again (its dedupe keys
# are free), and the round names who heard of this one. "It goes ahead" notices carry the
# round too: after a second cancel and undo they are sent again.
UNDONE, AHEAD = "undone:", "ahead:"


def undone_group_key(activity_id: int, start: datetime, mark: int) -> str:
    return f"{UNDONE}{activity_id}:{unix(start)}:{mark}"


def ahead_group_key(activity_id: int, start: datetime, mark: int) -> str:
    return f"{AHEAD}{activity_id}:{unix(start)}:{mark}"


def round_of(group: str) -> int:
    """The round number that ends a group key (0 when there is none)."""
    last = group.rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _rounds(session: AsyncSession, prefix: str) -> list[int]:
    groups = await session.scalars(select(OutboxMessage.group_key).distinct().where(
        OutboxMessage.group_key.startswith(prefix, autoescape=True)))
    return [round_of(g) for g in groups if g is not None]


async def set_notices_aside(session: AsyncSession, activity_id: int,
                            start: datetime) -> int | None:
    """After an undo: the cancellation notices that wait are never sent (their parents never
    hear of it); all of them move to a new round. Returns its number, None when there were
    no notices at all."""
    cancel_group = group_key(activity_id, start)
    waiting = await outbox_repo.pending_ids(session, group_key=cancel_group)
    # A notice the sender holds may be on its way to Telegram right now (the sender marks
    # it sent after all): its parent counts as told, and hears it goes ahead.
    in_flight = set(await session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(waiting), OutboxMessage.status == outbox_repo.SENDING)))
    await outbox_repo.mark_finished(session, [i for i in waiting if i not in in_flight],
                                    status=outbox_repo.DROPPED, error="undone")
    await outbox_repo.mark_finished(session, in_flight, status=outbox_repo.DROPPED,
                                    error=outbox_repo.UNDONE_IN_FLIGHT)
    if not await session.scalar(select(OutboxMessage.id)
                                .where(OutboxMessage.group_key == cancel_group).limit(1)):
        return None
    tail = f"{activity_id}:{unix(start)}:"
    # Past rounds of "goes ahead" count too: their keys must never come back (a purge of
    # old rows may have taken the earlier rounds' notices away).
    mark = 1 + max([0, *await _rounds(session, UNDONE + tail),
                    *await _rounds(session, AHEAD + tail)])
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.group_key == cancel_group)
        .values(group_key=undone_group_key(activity_id, start, mark),
                dedupe_key=OutboxMessage.dedupe_key + f":u{mark}")
        .execution_options(synchronize_session=False))
    return mark


async def last_undone_round(session: AsyncSession, activity_id: int,
                            start: datetime) -> int | None:
    """The round of the occurrence's latest undone cancellation, if any notice was sent."""
    found = await _rounds(session, f"{UNDONE}{activity_id}:{unix(start)}:")
    return max(found) if found else None


async def who_heard_of_it(session: AsyncSession, activity_id: int, start: datetime,
                          mark: int | None) -> list[Recipient]:
    """The parents the round's cancellation notice reached (or is reaching right now), who
    can still be written to (onboarded, not stopped, not blocked)."""
    if mark is None:
        return []
    return await _reached(session, undone_group_key(activity_id, start, mark))


@dataclass(frozen=True)
class Heard:
    """Those a day's cancellation notice reached, split: who said they come (or maybe),
    told at once that it goes ahead after all, and the others, whom the coordinator may
    choose to tell. Symmetric to the cancellation itself."""

    coming: list[Recipient]
    others: list[Recipient]


def split_heard(reached: Iterable[Recipient], coming: Iterable[Recipient]) -> Heard:
    said = {r.person_id for r in coming}
    reached = list(reached)
    return Heard([r for r in reached if r.person_id in said],
                 [r for r in reached if r.person_id not in said])


async def every_notice_start(session: AsyncSession, data: ActivityData) -> datetime | None:
    """The start a whole activity's cancellation notices are keyed by (``group_key``): its
    first open day when it was called off, in /activities or by a file. Those notices are
    the ones written since it was called off: the notices of days cancelled on their own
    were written before (while it is off, no day of it is cancelled with a notice), even
    when a file cancels that same day since. None when no notice was written."""
    assert data.id is not None and data.cancelled_at is not None
    prefix = f"cancel:{data.id}:"
    groups = await session.scalars(select(OutboxMessage.group_key).distinct().where(
        OutboxMessage.group_key.startswith(prefix, autoescape=True),
        OutboxMessage.created_at >= data.cancelled_at))
    starts = [from_unix(int(tail)) for group in groups
              if group is not None and (tail := group.removeprefix(prefix)).isdigit()]
    # One in practice; the latest, should a stray one be left.
    return max((start for start in starts if start is not None), default=None)


async def heard_so_far(session: AsyncSession, data: ActivityData, start: datetime,
                       which: str = ONE, tz: ZoneInfo = BRUSSELS) -> Heard:
    """Of a day still cancelled (or a whole activity, ``start`` its first day to come): the
    parents its notice has reached (a notice still waiting is never sent once it is undone),
    split as an undo would tell them."""
    assert data.id is not None
    told_about = start if which == ONE else await every_notice_start(session, data)
    reached = ([] if told_about is None
               else await _reached(session, group_key(data.id, told_about)))
    return split_heard(reached, await who_said_they_come(session, data, start, which))


@dataclass(frozen=True)
class Undone:
    """A day (or a whole activity) that goes ahead again: the round its notices were set
    aside as (None: no parent had been told it was off), who heard of it, what became of its
    reminders, and the start its notices are keyed by (the round's, for "tell them")."""

    mark: int | None
    heard: Heard
    reminders: reminders.BroughtBack
    told_about: datetime | None = None


async def _uncancel_activity(session: AsyncSession, activity_id: int) -> bool:
    """The whole activity is on again; False if it was not off (any more). One statement:
    of two coordinators undoing at once, the second changes nothing and is told so."""
    result = await session.execute(
        update(Activity).where(Activity.id == activity_id, Activity.cancelled_at.is_not(None))
        .values(cancelled_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def _keep_missed_days_off(session: AsyncSession, data: ActivityData, now: datetime,
                                tz: ZoneInfo) -> None:
    """The days that began while the whole activity was off did not take place: they stay
    cancelled, one by one (the report counts the days held, ``held_occurrences``)."""
    assert data.id is not None
    if data.cancelled_at is None or data.cancelled_at >= now:
        return
    for missed in programme_service.occurrences(replace(data, cancelled=False),
                                                data.cancelled_at, now, tz):
        await programme_service.cancel_occurrence(session, data.id, missed.starts_at, tz)


async def remember_brought_back(session: AsyncSession, activity_id: int,
                                start: datetime | None, now: datetime,
                                tz: ZoneInfo = BRUSSELS) -> None:
    """The day on ``start``'s local day (None: the whole activity) goes ahead after all, by
    the coordinator's word: a file that still lists it as cancelled (cancelled_dates, EXDATE;
    a calendar's STATUS:CANCELLED for the whole activity) does not cancel it again
    (importer/store.py, which also forgets it once it is cancelled again). Replaces what
    was remembered of that day; the whole activity replaces everything: the days brought
    back before it was called off were forgotten by that."""
    query = delete(ActivityRestoration).where(ActivityRestoration.activity_id == activity_id)
    if start is not None:
        day = start.astimezone(tz).date()
        same_day = [row.id for row in await session.execute(
            select(ActivityRestoration.id, ActivityRestoration.occurrence_start).where(
                ActivityRestoration.activity_id == activity_id,
                ActivityRestoration.occurrence_start.is_not(None)))
            if row.occurrence_start.astimezone(tz).date() == day]
        query = query.where(ActivityRestoration.id.in_(same_day))
    await session.execute(query.execution_options(synchronize_session=False))
    session.add(ActivityRestoration(activity_id=activity_id, occurrence_start=start,
                                    restored_at=now))


async def undo(session: AsyncSession, data: ActivityData, start: datetime, now: datetime,
               render: Callable[[str, ProgrammeItem], str],
               tz: ZoneInfo = BRUSSELS, which: str = ONE) -> Undone | None:
    """The cancelled day goes ahead after all: its cancellation goes, its notices are set
    aside, its reminders come back (``reminders.bring_back``), and those who said they come
    and heard it was off are told at once, ``render``-ed in their language, with the
    round's keys (the coordinator's "tell them" later sends them nothing twice).
    EVERY: the whole activity called off, ``start`` its first day to come: it is on again
    from now on (days cancelled one by one stay off, and so do those that began while it
    was: they did not take place), the reminders of the days the planner
    looks at come back, and those who said they come to any day from ``start`` on and heard
    it was off are told, of ``start``. None when it was not cancelled (any more).
    Either is remembered (``remember_brought_back``): a file that still says it is off does
    not call it off again."""
    assert data.id is not None
    if which == EVERY:
        if not await _uncancel_activity(session, data.id):
            return None
        await remember_brought_back(session, data.id, None, now, tz)
        # Found before the missed days are cancelled: its day may be one of them.
        told_about = await every_notice_start(session, data)
        await _keep_missed_days_off(session, data, now, tz)
        data = replace(data, cancelled=False, cancelled_at=None)
        days = [o.starts_at for o in
                programme_service.occurrences(data, now, now + reminders.LOOKS_AHEAD, tz)]
    else:
        if not await programme_service.uncancel_occurrence(session, data.id, start, tz):
            return None
        await remember_brought_back(session, data.id, start, now, tz)
        told_about, days = start, [start]
    mark = (None if told_about is None
            else await set_notices_aside(session, data.id, told_about))
    back = reminders.BroughtBack()
    for day in days:
        brought = await reminders.bring_back(session, data.id, day, now, tz)
        back.late, back.superseded = back.late + brought.late, back.superseded + brought.superseded
    reached = ([] if told_about is None
               else await who_heard_of_it(session, data.id, told_about, mark))
    heard = split_heard(reached, await who_said_they_come(session, data, start, which))
    if heard.coming and told_about is not None:
        await outbox.enqueue_many(session, notices(data, told_about, heard.coming, render,
                                                   round_mark=mark, shown=start))
    return Undone(mark, heard, back, told_about)


async def told_it_goes_ahead(session: AsyncSession, activity_id: int, start: datetime,
                             mark: int | None) -> int:
    """How many parents the round's "it goes ahead" notices are for, so far."""
    if mark is None:
        return 0
    return len(await _people_in(session, ahead_group_key(activity_id, start, mark)))


async def _people_in(session: AsyncSession, group: str, *statuses: str) -> set[int]:
    """The people an outbox group has a row for (with one of ``statuses``, if given)."""
    query = select(OutboxMessage.person_id).where(OutboxMessage.group_key == group)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    return {person_id for person_id in await session.scalars(query) if person_id is not None}


async def _reached(session: AsyncSession, group: str) -> list[Recipient]:
    reached = await _people_in(session, group, outbox_repo.SENT, outbox_repo.SENDING)
    reached |= set(await session.scalars(select(OutboxMessage.person_id).where(
        OutboxMessage.group_key == group, OutboxMessage.status == outbox_repo.DROPPED,
        OutboxMessage.error == outbox_repo.UNDONE_IN_FLIGHT)))
    everyone = await broadcast.recipients(session, Audience())
    return [r for r in everyone if r.person_id in reached]


def notices(
    data: ActivityData,
    start: datetime,
    people: list[Recipient],
    render: Callable[[str, ProgrammeItem], str],
    round_mark: int | None = None,
    shown: datetime | None = None,
) -> list[NewMessage]:
    """One message per parent, rendered once per language by ``render(locale, item)``: the
    cancellation, or with ``round_mark`` that round's "it goes ahead after all". Keyed by
    ``start``; the text names ``shown`` (a whole activity on again: its next day), else
    ``start``."""
    assert data.id is not None
    group = (group_key(data.id, start) if round_mark is None
             else ahead_group_key(data.id, start, round_mark))
    named = shown or start
    occurrence = Occurrence(named, named + (data.ends_at - data.starts_at))
    texts: dict[str, str] = {}
    if people:  # in each language: it follows a parent who changes hers while it waits
        for locale in {*SUPPORTED_LOCALES, *(person.locale for person in people)}:
            item = programme_service.programme_item(data, occurrence, locale)
            texts[locale] = render(locale, item)
    return [NewMessage(
        dedupe_key=f"{group}:{person.person_id}",
        chat_id=person.telegram_id,
        person_id=person.person_id,
        kind="text",
        payload=in_each_language(texts, person.locale),
        group_key=group,
    ) for person in people]


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


COMING = (reminders.Answer.YES.value, reminders.Answer.MAYBE.value)


def moved_key(move: MovedOccurrence, person_id: int) -> str:
    """The outbox key of a calendar's move told to one parent: from the series' day to the
    activity of its own. Five numbers, where the planner's moves (``reminders.moved_key``,
    within one activity) have four: the planner does not read this one as a move of the
    series (it is not one: that day of the series is cancelled)."""
    return (f"{reminders.MOVED_PREFIX}{move.activity_id}:{unix(move.old_start)}:"
            f"{move.to_activity_id}:{unix(move.new_start)}:{person_id}")


def new_place_key(move: MovedOccurrence, known: str, mark: str, person_id: int) -> str:
    """The outbox key of a calendar's occurrence at the same time and a new place, told to
    one parent (the planner's new places: ``place:<activity>:<known>><mark>:...``)."""
    return (f"place:{move.to_activity_id}:{known}>{mark}:{person_id}:"
            f"{move.activity_id}:{unix(move.old_start)}")


async def notices_after_move(
    session: AsyncSession,
    moved: Iterable[MovedOccurrence],
    now: datetime,
    render_moved: reminders.RenderMoved,
    render_new_place: reminders.RenderNewPlace,
    tz: ZoneInfo = BRUSSELS,
) -> list[NewMessage]:
    """A calendar moved occurrences of a series to activities of their own
    (``ImportSummary.moved``; those days are not among its cancelled ones). Each answer
    "yes" or "maybe" to the old day follows it, children and all (unless the parent answered
    the new one already: that answer stands); those parents, and those who got a reminder
    of the old day and did not say "no", are told as the planner tells a move
    (``render_moved``), or a new place when only the place changed (``render_new_place``;
    a new title alone is told to nobody). Once: a file sent again finds no answer left to
    move, and the notices' keys are taken. Returns the notices not sent before."""
    messages: list[NewMessage] = []
    everyone: dict[int, Recipient] | None = None
    for move in moved:
        old, new = await load(session, move.activity_id), await load(session,
                                                                      move.to_activity_id)
        if old is None or new is None or move.new_start <= now:
            continue
        found = programme_service.occurrence_at(new, move.new_start, tz)
        if found is None:
            continue
        known, mark = reminders.place_mark(old.place), reminders.place_mark(new.place)
        answers = list(await session.scalars(select(Rsvp).where(
            Rsvp.activity_id == old.id, Rsvp.occurrence_start == move.old_start)))
        answered_new = set(await session.scalars(select(Rsvp.person_id).where(
            Rsvp.activity_id == new.id, Rsvp.occurrence_start == move.new_start)))
        told: set[int] = set()
        for rsvp in answers:
            if rsvp.answer not in COMING:
                continue
            if rsvp.person_id in answered_new:
                await session.delete(rsvp)  # as the planner does: the new day's answer stands
                continue
            # The place they will be told (a new one) is the one they know.
            rsvp.activity_id, rsvp.occurrence_start, rsvp.place_mark = (
                new.id, move.new_start, mark)
            told.add(rsvp.person_id)
        said_no = {rsvp.person_id for rsvp in answers if rsvp.answer not in COMING}
        reminded = set(await session.scalars(select(Reminder.person_id).distinct().where(
            Reminder.activity_id == old.id, Reminder.occurrence_start == move.old_start,
            Reminder.status == reminders.SENT)))
        told |= reminded - said_no - answered_new
        await session.flush()
        same_time = move.new_start == move.old_start
        if not told or (same_time and known == mark):
            continue
        if everyone is None:
            everyone = {r.person_id: r for r in await broadcast.recipients(session, Audience())}
        all_day = Occurrence(old.starts_at, old.ends_at).all_day(tz)
        for person_id in sorted(told):
            person = everyone.get(person_id)
            if person is None:
                continue
            if same_time:
                key = new_place_key(move, known, mark, person_id)
                group = f"place:{new.id}"
            else:
                key = moved_key(move, person_id)
                group = f"{reminders.MOVED_PREFIX}{old.id}"
            kind, payload = reminders.rendered_in_each(
                partial(_move_told, move, old, new, found, person, all_day,
                        render_new_place if same_time else None, render_moved),
                person.locale)
            notice = NewMessage(dedupe_key=key, chat_id=person.telegram_id,
                                person_id=person_id, kind=kind, payload=payload,
                                group_key=group)
            # At a new place, its map pin follows the words, as the planner's notices do.
            messages.extend(reminders.with_pin(notice, new.place) if known != mark
                            else [notice])
    fresh = await _not_sent_before(session, messages)
    # A pin only with its words (told before: neither goes again).
    told_now = {m.dedupe_key for m in fresh}
    return [m for m in fresh if not m.dedupe_key.startswith(reminders.PIN_PREFIX)
            or m.dedupe_key.removeprefix(reminders.PIN_PREFIX) in told_now]


def _move_told(move: MovedOccurrence, old: ActivityData, new: ActivityData, found: Occurrence,
               person: Recipient, all_day: bool, render_new_place: reminders.RenderNewPlace | None,
               render_moved: reminders.RenderMoved, locale: str) -> tuple[str, dict[str, Any]]:
    """A calendar's move told in ``locale``: a new place (``render_new_place`` given: the
    same time), else a new time."""
    item = programme_service.programme_item(new, found, locale)
    if render_new_place is not None:
        return render_new_place(reminders.NewPlace(person.person_id, person.telegram_id,
                                                   locale, item))
    title = programme_service.programme_item(
        old, Occurrence(move.old_start, move.old_start), locale).title
    return render_moved(reminders.Moved(person.person_id, person.telegram_id, locale,
                                        move.old_start, item, title, all_day))


async def _not_sent_before(session: AsyncSession,
                           messages: list[NewMessage]) -> list[NewMessage]:
    """The messages whose key (or first part's) no outbox row has yet."""
    keys = [m.dedupe_key for m in messages]
    taken: set[str] = set()
    for i in range(0, len(keys), 250):
        chunk = keys[i:i + 250]
        taken |= set(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_(chunk + [f"{k}{outbox.PART_MARK}1" for k in chunk]))))
    return [m for m in messages if m.dedupe_key not in taken
            and f"{m.dedupe_key}{outbox.PART_MARK}1" not in taken]
