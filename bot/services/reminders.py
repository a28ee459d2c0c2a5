"""Reminders: planned as rows ahead of time, handed to the outbox when due, never twice.

The planner (bot/scheduler/reminders.py) runs these two steps; the rows are the only record,
so after downtime it simply catches up: what fell due meanwhile is sent if the activity is
still ahead.

Usage::

    await plan(session, now)                          # rows for the next HORIZON
    result = await hand_over_due(session, now, render) # due rows -> outbox rows
    when = await next_due(session)                     # when to wake next
    await bring_back(session, activity_id, start, now) # a cancelled day goes ahead after all

The words are the handler's (``render``); nothing here commits.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, SUPPORTED_LOCALES
from bot.services import broadcast, outbox
from bot.services.broadcast import Audience, Recipient
from bot.services.importer.store import school_year_start
from bot.services.outbox import NewMessage
from bot.services.programme import (
    ActivityData,
    Kind,
    Occurrence,
    Place,
    ProgrammeItem,
    activity_data,
    next_occurrence,
    occurrence_at,
    occurrences,
    programme_item,
)
from storage import outbox as outbox_repo
from storage import programme as programme_repo
from storage.models import (
    OutboxMessage,
    Person,
    PersonSchool,
    Reminder,
    Rsvp,
    Setting,
    school_ids_text,
)

HORIZON = timedelta(days=8)  # rows are planned this far ahead (a week-ahead reminder fits)
# The occurrences the planner looks at (moves followed, answers kept), and an undo brings
# the reminders of back: a week past HORIZON.
LOOKS_AHEAD = HORIZON + timedelta(days=8)
BATCH = 2000  # due rows handed over per round
PLAN_SLICE = 5000  # planned rows built, inserted or read at a time
PLANNED, SENT, SKIPPED, DROPPED, OBSOLETE = "planned", "sent", "skipped", "dropped", "obsolete"
UNDELIVERED = outbox_repo.REMINDER_UNDELIVERED  # sent, but the outbox could not deliver it
GROUP_PREFIX = "reminder:"  # outbox group key: reminder:<activity>:<occurrence start, unix>
SUPERSEDED = "superseded"  # skipped: another reminder of that day says the same, late or soon


class ReminderKind(StrEnum):
    WEEK = "week"  # seven days before, at 18:00
    DAY = "day"  # the day before, at 18:00
    TWO_HOURS = "2h"  # on the day, two hours before


DEFAULT_KINDS: tuple[ReminderKind, ...] = (ReminderKind.DAY, ReminderKind.TWO_HOURS)
EVENING = time(18, 0)
# How late a two-hours reminder may go and still say "in two hours" (the round's own delay).
TWO_HOURS_SLACK = timedelta(minutes=10)


class When(StrEnum):
    """A reminder's heading: when the activity is, counted from the moment it is sent."""

    NEXT_WEEK = "next_week"
    ON_DAY = "on_day"  # "on Sunday": two to six days away (a week's reminder sent late)
    # "on Wednesday 9 December 2026": farther than next week, or a day it moved to (a word
    # counted from when it was sent would be untrue of the new day).
    ON_DATE = "on_date"
    TOMORROW = "tomorrow"
    TODAY = "today"  # "today at 09:30": a reminder that waited for quiet hours to end
    IN_TWO_HOURS = "in_two_hours"


def when_heading(kind: ReminderKind, starts_at: datetime, sent_at: datetime | None,
                 tz: ZoneInfo = BRUSSELS) -> When:
    """What the heading may truly say. Quiet hours move a reminder (the day-before one of
    18:00 to 08:00 on the day itself; a two-hours one to when they end): its kind's words
    would then be wrong."""
    if sent_at is None:  # not sent yet: as planned
        sent_at = due_at(kind, starts_at, tz)
    if kind is ReminderKind.TWO_HOURS and abs(starts_at - sent_at - timedelta(hours=2)) \
            <= TWO_HOURS_SLACK:
        return When.IN_TWO_HOURS
    days = (starts_at.astimezone(tz).date() - sent_at.astimezone(tz).date()).days
    if days <= 0:
        return When.TODAY
    if days == 1:
        return When.TOMORROW
    # A week's reminder held by quiet hours or caught up after a stop can be days late:
    # "next week" would be untrue for an activity this Sunday; and only next week's is.
    if days < 7:
        return When.ON_DAY
    weeks = _monday(starts_at.astimezone(tz).date()) - _monday(sent_at.astimezone(tz).date())
    return When.NEXT_WEEK if weeks == timedelta(days=7) else When.ON_DATE


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Answer(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


# --------------------------------------------------------------------------------------------
# rules


def due_at(kind: ReminderKind, start: datetime, tz: ZoneInfo = BRUSSELS) -> datetime:
    """When a reminder of this kind falls due for an occurrence starting at ``start``."""
    if kind is ReminderKind.TWO_HOURS:
        return start - timedelta(hours=2)
    days = 7 if kind is ReminderKind.WEEK else 1
    day = start.astimezone(tz).date() - timedelta(days=days)
    return datetime.combine(day, EVENING, tz).astimezone(UTC)


@dataclass(frozen=True)
class QuietHours:
    """No message between ``start`` and ``end`` o'clock, local time (start == end: none)."""

    start: int = 21
    end: int = 8

    def __post_init__(self) -> None:
        if not (0 <= self.start < 24 and 0 <= self.end < 24):
            raise ValueError("quiet hours are whole hours 0-23")

    @classmethod
    def parse(cls, text: str | None) -> QuietHours | None:
        if not text:
            return None
        try:
            start, end = (int(part) for part in text.split("-", 1))
            return cls(start, end)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.start:02d}-{self.end:02d}"

    @property
    def none(self) -> bool:
        """No quiet hours at all: messages at any hour."""
        return self.start == self.end

    def covers(self, moment: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
        hour = moment.astimezone(tz).hour
        if self.none:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def end_after(self, moment: datetime, tz: ZoneInfo = BRUSSELS) -> datetime:
        """The end of the quiet period ``moment`` falls in (call only when it does)."""
        local = moment.astimezone(tz)
        day = local.date() if local.hour < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, time(self.end), tz).astimezone(UTC)


DEFAULT_QUIET = QuietHours()


def delivery_time(due: datetime, quiet: QuietHours, tz: ZoneInfo = BRUSSELS) -> datetime:
    """``due``, or the end of the quiet hours it falls in."""
    return quiet.end_after(due, tz) if quiet.covers(due, tz) else due


# --------------------------------------------------------------------------------------------
# the coordinator's settings


async def _setting(session: AsyncSession, key: str) -> Any:
    row = await session.get(Setting, key)
    return json.loads(row.value) if row is not None else None


async def _set(session: AsyncSession, key: str, value: Any) -> None:
    """Write a setting in one statement: two writers at once (two coordinators, or two
    instances) never both insert the same key."""
    insert = pg_insert if outbox_repo.dialect_name(session) == "postgresql" else sqlite_insert
    statement = insert(Setting).values(key=key, value=json.dumps(value))
    await session.execute(statement.on_conflict_do_update(
        index_elements=["key"], set_={"value": statement.excluded.value}))
    row = await session.get(Setting, key)  # a copy this session read before is stale now
    if row is not None:
        await session.refresh(row)


KINDS_SETTING = "reminders"  # {activity kind: [reminder kinds]}; a kind absent: the default


def _kinds(stored: Any) -> dict[Kind, tuple[ReminderKind, ...]]:
    result: dict[Kind, tuple[ReminderKind, ...]] = {}
    for kind in Kind:
        names = (stored or {}).get(kind.value)
        result[kind] = (DEFAULT_KINDS if names is None else
                        tuple(r for r in ReminderKind if r.value in names))
    return result


async def kinds_by_activity_kind(session: AsyncSession) -> dict[Kind, tuple[ReminderKind, ...]]:
    return _kinds(await _setting(session, KINDS_SETTING))


SWAP_TRIES = 20


async def set_reminder_kind(session: AsyncSession, activity_kind: Kind,
                            reminder_kind: ReminderKind, on: bool) -> tuple[ReminderKind, ...]:
    """Turn one reminder of a kind of activity on or off (not a flip: an older screen's
    button, or a double tap, does what its label says), in the setting as it is now: the
    write holds only while the row has what was read, else it is read again (another
    coordinator's change at the same moment, to another kind, is kept)."""
    table = Setting.__table__
    for _attempt in range(SWAP_TRIES):
        old = await session.scalar(select(table.c.value).where(table.c.key == KINDS_SETTING))
        current = _kinds(json.loads(old) if old is not None else None)
        chosen = set(current[activity_kind]) | {reminder_kind} if on else (
            set(current[activity_kind]) - {reminder_kind})
        stored = {k.value: [r.value for r in v] for k, v in current.items()}
        stored[activity_kind.value] = [r.value for r in ReminderKind if r in chosen]
        new = json.dumps(stored)
        if old is None:  # the first change ever: whoever inserts first wins, the other retries
            insert = (pg_insert if outbox_repo.dialect_name(session) == "postgresql"
                      else sqlite_insert)
            written = (await session.execute(
                insert(table).values(key=KINDS_SETTING, value=new)
                .on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key))
            ).first() is not None
        else:
            written = bool((await session.execute(
                update(table).where(table.c.key == KINDS_SETTING, table.c.value == old)
                .values(value=new))).rowcount)
        if written:
            row = await session.get(Setting, KINDS_SETTING)
            if row is not None:
                await session.refresh(row)  # a copy this session read before is stale now
            return tuple(r for r in ReminderKind if r in chosen)
    raise RuntimeError("the reminder settings kept changing")


async def default_quiet(session: AsyncSession) -> QuietHours:
    return QuietHours.parse(await _setting(session, "quiet_hours")) or DEFAULT_QUIET


async def set_default_quiet(session: AsyncSession, quiet: QuietHours) -> int:
    """The usual quiet hours. What waits for the end of the old ones follows the new ones:
    returns how many messages are due now for the sender to look at again."""
    await _set(session, "quiet_hours", str(quiet))
    return await outbox_repo.quiet_hours_changed(session)


# --------------------------------------------------------------------------------------------
# planning


def eligible(data: ActivityData, parents: Iterable[Recipient]) -> list[Recipient]:
    return [p for p in parents if data.all_schools or set(data.school_ids) & p.school_ids]


@dataclass(frozen=True)
class Moved:
    """An occurrence a parent answered "yes" or "maybe" to, or got a reminder of, is no
    longer where it was."""

    person_id: int
    chat_id: int
    locale: str
    old_start: datetime
    item: ProgrammeItem | None  # at its new time; None: it no longer takes place then
    title: str = ""  # the activity's, in the reader's language (said either way)
    all_day: bool = False  # a whole-day event: its old day is said without "00:00"


RenderMoved = Callable[[Moved], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class NewPlace:
    """An occurrence a parent answered "yes" or "maybe" to, or got a reminder of and did not
    answer, is at another place now."""

    person_id: int
    chat_id: int
    locale: str
    item: ProgrammeItem  # at its new place


RenderNewPlace = Callable[[NewPlace], tuple[str, dict[str, Any]]]


async def plan(session: AsyncSession, now: datetime, tz: ZoneInfo = BRUSSELS,
               render_moved: RenderMoved | None = None,
               render_new_place: RenderNewPlace | None = None) -> int:
    """Rows for every reminder due in the next HORIZON (inserting only the missing ones),
    and stale rows of moved or cancelled occurrences made obsolete; parents who said they
    come (or maybe) to a moved occurrence, or got a reminder of it, are told; so are those
    who come (or maybe), or got a reminder and did not answer, when the place changes.
    Returns rows added."""
    kinds = await kinds_by_activity_kind(session)
    parents = await broadcast.recipients(session, Audience())
    until = now + HORIZON
    valid: dict[int, set[datetime]] = {}
    planned: list[tuple[ActivityData, list[datetime]]] = []
    for activity in await programme_repo.active_since(session, now):
        data = activity_data(activity)
        assert data.id is not None
        starts = [o.starts_at for o in occurrences(data, now, now + LOOKS_AHEAD, tz)]
        valid[data.id] = set(starts)
        planned.append((data, starts))
    await _obsolete_stale(session, valid, now)
    await _revive_returned(session, valid, now)
    await _drop_handed_over(session, valid)
    followed = await _follow_moves(session, valid, now, tz, render_moved)
    if render_new_place is not None:
        await _tell_new_places(session, [data for data, _starts in planned], now, tz,
                               render_new_place, followed)
    # Inserted a slice at a time: a week of activities for 10,000 parents is 100,000s of rows,
    # too many to hold in memory at once.
    added = 0
    rows: list[dict[str, Any]] = []
    for data, starts in planned:
        audience = eligible(data, parents)
        all_day = Occurrence(data.starts_at, data.ends_at).all_day(tz)
        for start in starts:
            for kind in kinds[data.kind]:
                due = due_at(kind, start, tz)
                if not now <= due <= until or (all_day and kind is ReminderKind.TWO_HOURS):
                    continue
                rows.extend({"activity_id": data.id, "occurrence_start": start,
                             "person_id": p.person_id, "kind": kind.value, "due_at": due,
                             "status": PLANNED} for p in audience)
                if len(rows) >= PLAN_SLICE:
                    added += await outbox_repo.insert_ignoring_duplicates(
                        session, rows, table=Reminder.__table__)
                    rows = []
    return added + await outbox_repo.insert_ignoring_duplicates(session, rows,
                                                                table=Reminder.__table__)


async def _obsolete_stale(session: AsyncSession, valid: dict[int, set[datetime]],
                          now: datetime) -> None:
    """Planned rows whose occurrence is gone (moved, cancelled) are never sent."""
    # Read a slice at a time: the planned rows are the parents times a week of reminders.
    planned = await session.stream(
        select(Reminder.id, Reminder.activity_id, Reminder.occurrence_start)
        .where(Reminder.status == PLANNED).execution_options(yield_per=PLAN_SLICE))
    stale = [rid async for rows in planned.partitions() for rid, activity_id, start in rows
             if start not in valid.get(activity_id, set())]
    for chunk in _chunks(stale, 500):
        await session.execute(update(Reminder).where(Reminder.id.in_(chunk))
                              .values(status=OBSOLETE, handled_at=now))


async def _revive_returned(session: AsyncSession, valid: dict[int, set[datetime]],
                           now: datetime) -> None:
    """An occurrence moved away and back (a mistake undone): its rows made obsolete are
    planned again. Inserting them anew would be ignored: the rows are still there."""
    returned = [rid for rid, activity_id, start in (await session.execute(
        select(Reminder.id, Reminder.activity_id, Reminder.occurrence_start)
        .where(Reminder.status == OBSOLETE, Reminder.due_at > now))).all()
        if start in valid.get(activity_id, set())]
    for chunk in _chunks(returned, 500):
        await session.execute(update(Reminder).where(Reminder.id.in_(chunk))
                              .values(status=PLANNED, handled_at=None, reason=None))


def group_key(activity_id: int, start: datetime) -> str:
    """The outbox group of an occurrence's reminders."""
    return f"{GROUP_PREFIX}{activity_id}:{int(start.timestamp())}"


async def _drop_handed_over(session: AsyncSession, valid: dict[int, set[datetime]]) -> None:
    """Reminders already in the outbox, not yet sent, of an occurrence that was moved,
    cancelled or has begun: never sent (their reminder rows become undelivered)."""
    starts = {group_key(activity_id, start) for activity_id, times in valid.items()
              for start in times}
    gone = [row_id for row_id, key in await outbox_repo.pending_groups(session, GROUP_PREFIX)
            if key not in starts]
    for chunk in _chunks(gone, 500):
        await outbox_repo.mark_finished(session, chunk, status=outbox_repo.DROPPED,
                                        error="gone")


async def drop_pending(session: AsyncSession, activity_id: int, start: datetime,
                       person_id: int, reason: str) -> None:
    """A parent's reminders of one occurrence that wait in the outbox are not sent (they
    said they cannot come)."""
    ids = await outbox_repo.pending_ids(session, group_key=group_key(activity_id, start),
                                        person_id=person_id)
    await outbox_repo.mark_finished(session, ids, status=outbox_repo.DROPPED, error=reason)


async def _follow_moves(session: AsyncSession, valid: dict[int, set[datetime]], now: datetime,
                        tz: ZoneInfo, render_moved: RenderMoved | None
                        ) -> set[tuple[int, int]]:
    """An answer ("yes", "maybe") for an occurrence that moved follows it (``_moved_to``);
    the parent is told either way. So is every parent a reminder of the old time was sent
    to, answer or not, but "no". Cancellations are told by /activities. Returns the
    (activity, parent) whose answer moved, or who were told a move this round (their notice
    shows the activity as it is now, its place too)."""
    followed: set[tuple[int, int]] = set()
    answers = list(await session.scalars(select(Rsvp).where(
        Rsvp.occurrence_start > now, Rsvp.answer.in_([Answer.YES.value, Answer.MAYBE.value]))))
    for rsvp in answers:
        starts = valid.get(rsvp.activity_id)
        if starts is None or rsvp.occurrence_start in starts:
            continue  # cancelled (not in valid at all), or still where it was
        row = await programme_repo.record_by_id(session, rsvp.activity_id)
        if row is None:
            continue
        data = activity_data(row)
        old_start = rsvp.occurrence_start
        if old_start in data.cancelled_starts or occurrence_at(data, old_start, tz):
            continue  # cancelled; or a one-off's new day, beyond the planner's window
        if moved_into_the_past(data, now, tz):
            continue
        new_start = _moved_to(data, old_start, starts, now, tz)
        person = await session.get(Person, rsvp.person_id)
        followed.add((rsvp.activity_id, rsvp.person_id))
        known = rsvp.place_mark  # the place they answered to (written after the notices)
        if new_start is not None and await _rsvp_at(session, rsvp, new_start) is None:
            rsvp.occurrence_start = new_start
        else:
            await session.delete(rsvp)
        if person is not None and render_moved is not None:
            await _tell_moved(session, data, person, old_start, new_start, tz, render_moved,
                              known)
    await session.flush()
    if render_moved is not None:
        followed |= await _tell_reminded(session, valid, now, tz, render_moved)
    return followed


def moved_into_the_past(data: ActivityData, now: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """An activity (not called off) with nothing ahead any more, though parents were
    reminded of it or answered for a day still ahead, by a date that cannot be meant: a
    one-off's day put in the past, or a series that now began before this school year (last
    year's sheet sent by mistake). The import's reply warns the coordinator ("changed to a
    day that is already over"); its parents are told nothing and keep their answers until
    the day is put right: a "no longer takes place" for a typo, and the answers gone, would
    not come back with the right file. A series of this year cut short (its UNTIL earlier)
    is meant: its parents hear which day no longer takes place. (Calling off is
    /activities' job, which tells them.)"""
    if data.cancelled or next_occurrence(data, now, tz) is not None:
        return False
    return data.rrule is None or data.starts_at < school_year_start(now, tz)


def _moved_to(data: ActivityData, old_start: datetime, starts: set[datetime], now: datetime,
              tz: ZoneInfo) -> datetime | None:
    """Where an occurrence that is no longer at ``old_start`` went, or None. A one-off
    activity has one day: wherever it went, however far, that is it (if still ahead). A
    recurring one: its nearest time within a week (``starts``, the planner's window); farther
    off, another week's occurrence, not this one."""
    if data.rrule is None:
        start = data.starts_at
        return start if start > now and occurrence_at(data, start, tz) else None
    near = [s for s in starts if abs(s - old_start) <= timedelta(days=7)]
    return min(near, key=lambda s: abs(s - old_start), default=None)


MOVED_PREFIX = "moved:"  # outbox group key: moved:<activity>


def moved_key(activity_id: int, old_start: datetime, new_start: datetime | None,
              person_id: int) -> str:
    """The outbox key of one move told to one parent (new start 0: no longer then)."""
    new_mark = int(new_start.timestamp()) if new_start else 0
    return f"{MOVED_PREFIX}{activity_id}:{int(old_start.timestamp())}:{new_mark}:{person_id}"


async def _tell_moved(session: AsyncSession, data: ActivityData, person: Person,
                      old_start: datetime, new_start: datetime | None, tz: ZoneInfo,
                      render_moved: RenderMoved, known: str | None) -> None:
    """The moved notice, once per move and parent (its key). ``known``: the mark of the
    place the parent was shown (``place_mark``; None: not kept): when the move takes it to
    another place too, the new place's map pin follows the notice (``with_pin``)."""
    assert data.id is not None
    occurrence = None
    if new_start is not None:
        occurrence = occurrence_at(data, new_start, tz)
        assert occurrence is not None  # where _moved_to found it
    all_day = Occurrence(data.starts_at, data.ends_at).all_day(tz)

    def moved_in(locale: str) -> tuple[str, dict[str, Any]]:
        item = None if occurrence is None else programme_item(data, occurrence, locale)
        title = programme_item(data, Occurrence(old_start, old_start), locale).title
        return render_moved(Moved(person.id, person.telegram_id, locale, old_start, item,
                                  title, all_day))

    kind, payload = rendered_in_each(moved_in, person.locale or "nl")
    notice = NewMessage(dedupe_key=moved_key(data.id, old_start, new_start, person.id),
                        chat_id=person.telegram_id, person_id=person.id, kind=kind,
                        payload=payload, group_key=f"{MOVED_PREFIX}{data.id}")
    new_place = (occurrence is not None and known is not None
                 and known != place_mark(data.place))
    notice, *pin = with_pin(notice, data.place) if new_place else [notice]
    # The pin only with its notice: a notice told before (its key taken) brings none now.
    if await outbox.enqueue_many(session, [notice]) and pin:
        await outbox.enqueue_many(session, pin)


def rendered_in_each(render: Callable[[str], tuple[str, dict[str, Any]]],
                     locale: str) -> tuple[str, dict[str, Any]]:
    """A notice rendered in ``locale``, carrying its words in each language when it is a
    text and nothing else differs (``outbox.IN_EACH``): a parent who changes language while
    it waits for her morning reads it in the new one."""
    kind, payload = render(locale)
    if kind != "text":
        return kind, payload
    texts = {locale: str(payload["text"])}
    for other in SUPPORTED_LOCALES:
        if other != locale:
            other_kind, other_payload = render(other)
            if other_kind != "text" or {**other_payload, "text": ""} != {**payload, "text": ""}:
                return kind, payload  # (its buttons would stay in the first language)
            texts[other] = str(other_payload["text"])
    return kind, {**payload, **outbox.in_each_language(texts, locale)}


PIN_PREFIX = "pin:"  # outbox key pin:<notice's key>: the map pin that follows a notice


def with_pin(notice: NewMessage, place: Place) -> list[NewMessage]:
    """A notice of a new place (or of a new time at a new place), then that place's map pin
    when it has coordinates, as a reminder brings one: a parent who reads little follows the
    last pin in the chat. Same chat, group and time; its key is the notice's with ``pin:``
    before it, as unique and stable (not ``moved:...``: a move is read back from its
    notice's key, ``parse_moved_key``)."""
    if place.latitude is None or place.longitude is None:
        return [notice]
    return [notice, replace(notice, dedupe_key=f"{PIN_PREFIX}{notice.dedupe_key}",
                            kind="location",
                            payload={"latitude": place.latitude,
                                     "longitude": place.longitude})]


# One move told: (outbox row id, old start, new start or None)
ToldMove = tuple[int, datetime, datetime | None]


@dataclass(frozen=True)
class MoveKey:
    """What a move notice's outbox key (``moved_key``) names."""

    activity_id: int
    old_start: datetime
    new_start: datetime | None  # None: told it no longer takes place then
    person_id: int


def parse_moved_key(key: str) -> MoveKey | None:
    """The move a notice's outbox key names; None for another key, or a later part of a
    long notice (``<key>#<n>``)."""
    if not key.startswith(MOVED_PREFIX):
        return None
    parts = key.removeprefix(MOVED_PREFIX).split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    activity_id, old, new, person_id = (int(p) for p in parts)
    return MoveKey(activity_id, datetime.fromtimestamp(old, UTC),
                   datetime.fromtimestamp(new, UTC) if new else None, person_id)


async def _told_moves(session: AsyncSession, activity_ids: Iterable[int],
                      person_id: int | None = None
                      ) -> dict[tuple[int, int], list[ToldMove]]:
    """(activity, parent) -> the moves told to them, oldest first, read back from the
    outbox keys (no other record of them: 30 days kept, more than a reminder's week).
    ``person_id``: to that parent only."""
    found: dict[tuple[int, int], list[ToldMove]] = {}
    groups = [f"{MOVED_PREFIX}{activity_id}" for activity_id in sorted(set(activity_ids))]
    for i in range(0, len(groups), 500):
        query = (select(OutboxMessage.id, OutboxMessage.dedupe_key)
                 .where(OutboxMessage.group_key.in_(groups[i:i + 500]))
                 .order_by(OutboxMessage.id))
        if person_id is not None:
            query = query.where(OutboxMessage.person_id == person_id)
        for row_id, key in await session.execute(query):
            move = parse_moved_key(key)
            if move is None or (person_id is not None and move.person_id != person_id):
                continue  # a later part of a long notice, or the bot's answer to a word
            found.setdefault((move.activity_id, move.person_id), []).append(
                (row_id, move.old_start, move.new_start))
    return found


async def told_moves(session: AsyncSession, activity_id: int, person_id: int
                     ) -> list[ToldMove]:
    """The moves of one activity told to one parent, oldest first."""
    return (await _told_moves(session, [activity_id], person_id)).get(
        (activity_id, person_id), [])


async def where_now(session: AsyncSession, data: ActivityData, start: datetime,
                    person_id: int, now: datetime, tz: ZoneInfo = BRUSSELS) -> datetime | None:
    """Where the occurrence a parent was reminded of at ``start`` is now, for them: followed
    through the moves told to them (``last_told``), then as the planner follows a move not
    told yet (``_moved_to``), if its time is still ahead. The old reminder's buttons answer
    for it. None: it no longer takes place (told so, or nowhere near); a cancelled day, or
    one gone by, is returned as it is."""
    assert data.id is not None
    at = last_told(start, await told_moves(session, data.id, person_id))
    if at is None or at in data.cancelled_starts or occurrence_at(data, at, tz) is not None:
        return at
    if at <= now:
        # Her day has gone by, and no move of it was told to her: a series given a new hour
        # since is not that day moved to next week's (returned as it is: no occurrence).
        return at
    starts = {o.starts_at for o in occurrences(data, now, now + LOOKS_AHEAD, tz)}
    return _moved_to(data, at, starts, now, tz)


def first_told(start: datetime, told: Sequence[ToldMove]) -> datetime:
    """The day a parent first knew an occurrence by that is at ``start`` now: ``start``
    followed back through the moves told to them (its calendar entry's identity)."""
    at = start
    for _row_id, old, new in reversed(told):
        if new == at:
            at = old
    return at


def last_told(start: datetime, told: Sequence[ToldMove]) -> datetime | None:
    """When a parent reminded of ``start`` thinks it is now: ``start`` followed through the
    moves told to them since, in order (a move undone is told back). None: told it no
    longer takes place then."""
    at: datetime | None = start
    after = 0
    for row_id, old, new in told:
        if row_id > after and old == at:
            at, after = new, row_id
            if at is None:
                break
    return at


async def _tell_reminded(session: AsyncSession, valid: dict[int, set[datetime]],
                         now: datetime, tz: ZoneInfo, render_moved: RenderMoved
                         ) -> set[tuple[int, int]]:
    """Parents who got a reminder of an occurrence that moved hear of it too, answer or not
    (answering is optional, most do not): else a late change (after the last reminder's
    time) never reaches them, and they come at the old time. Not one who said "no"; one
    told already (their "yes" followed it, this round or before) is not told again.
    Returns the (activity, parent) told."""
    pairs = (await session.execute(
        select(Reminder.activity_id, Reminder.occurrence_start)
        .where(Reminder.status == SENT, Reminder.occurrence_start > now).distinct())).all()
    pairs = [(a, s) for a, s in pairs if a in valid]  # not cancelled (/activities tells)
    reached: set[tuple[int, int]] = set()
    if not pairs:
        return reached
    told = await _told_moves(session, {a for a, _s in pairs})
    told_from = {(a, old) for (a, _p), moves in told.items() for _i, old, _n in moves}
    for activity_id, start in pairs:
        starts = valid[activity_id]
        if start in starts and (activity_id, start) not in told_from:
            continue  # where it was, and never told otherwise
        row = await programme_repo.record_by_id(session, activity_id)
        if row is None:
            continue
        data = activity_data(row)
        if moved_into_the_past(data, now, tz):
            continue
        this_day = (Reminder.activity_id == activity_id, Reminder.occurrence_start == start)
        # Each parent reminded, with the place their reminder showed (the newest one's).
        reminded = {person_id: mark for person_id, mark in await session.execute(
            select(Reminder.person_id, Reminder.place_mark)
            .where(*this_day, Reminder.status == SENT).order_by(Reminder.id))}
        said_no = set(await session.scalars(select(Rsvp.person_id).where(
            Rsvp.activity_id == activity_id, Rsvp.occurrence_start == start,
            Rsvp.answer == Answer.NO.value)))
        for person_id in sorted(reminded.keys() - said_no):
            thinks = last_told(start, told.get((activity_id, person_id), []))
            if thinks is None or thinks in data.cancelled_starts \
                    or occurrence_at(data, thinks, tz):
                continue
            person = await session.get(Person, person_id)
            if person is None:
                continue
            await _tell_moved(session, data, person, thinks,
                              _moved_to(data, thinks, starts, now, tz), tz, render_moved,
                              reminded[person_id])
            reached.add((activity_id, person_id))
    await session.flush()
    return reached


def place_mark(place: Place) -> str:
    """A short mark of a place (name and address) as a parent was shown it: kept with their
    answer, so that a new place is told to them once."""
    return format(zlib.crc32("\n".join((place.name, place.address)).encode()), "08x")


async def _tell_new_places(session: AsyncSession, active: Sequence[ActivityData],
                           now: datetime, tz: ZoneInfo, render: RenderNewPlace,
                           followed: set[tuple[int, int]]) -> None:
    """Parents who said "yes" or "maybe" to an occurrence ahead hear when the activity's
    place is no longer the one they answered to (``Rsvp.place_mark``, kept with the answer);
    so do parents who got a reminder of one and did not answer (``_reminded_new_places``).
    Once per parent and activity (their nearest occurrence). An answer without a mark (from
    before marks were kept) gets one, telling nobody; one whose place did not change is not
    written. ``followed``: told a move this round, with the activity as it is now."""
    by_id = {data.id: data for data in active}
    marks = {activity_id: place_mark(data.place) for activity_id, data in by_id.items()}
    told: set[tuple[int, int]] = set()
    messages: list[NewMessage] = []
    for rsvp in await session.scalars(select(Rsvp).where(
            Rsvp.occurrence_start > now, Rsvp.activity_id.in_(list(by_id)),
            Rsvp.answer.in_([Answer.YES.value, Answer.MAYBE.value]))
            .order_by(Rsvp.occurrence_start)):
        mark = marks[rsvp.activity_id]
        known = rsvp.place_mark
        if known == mark:
            continue
        pair = (rsvp.activity_id, rsvp.person_id)
        if known is not None and pair not in told and pair not in followed:
            data = by_id[rsvp.activity_id]
            found = occurrence_at(data, rsvp.occurrence_start, tz)
            if found is None:
                continue  # that day is cancelled: the mark waits, an undo tells it then
            person = await session.get(Person, rsvp.person_id)
            if person is not None:
                told.add(pair)
                messages += _new_place_message(data, found, person, known, mark, now,
                                               render)
        rsvp.place_mark = mark
    await session.flush()
    messages += await _reminded_new_places(session, by_id, marks, now, tz, render,
                                           told | followed)
    await outbox.enqueue_many(session, messages)  # one insert, however many are told


async def _reminded_new_places(session: AsyncSession, by_id: dict[int | None, ActivityData],
                               marks: dict[int | None, str], now: datetime, tz: ZoneInfo,
                               render: RenderNewPlace, told: set[tuple[int, int]]
                               ) -> list[NewMessage]:
    """Parents who got a reminder of an occurrence ahead and did not answer it hear of a new
    place too: most never tap, and would go to the place the reminder showed
    (``Reminder.place_mark``). Not one who said "no"; one who answered "yes" or "maybe"
    follows their answer's mark instead. ``told``: heard it already (an answer's notice
    this round, or a move's, which shows the activity as it is now). A reminder without a
    mark (handed over before marks were kept) gets one, telling nobody. Returns the
    notices."""
    if not marks:
        return []
    answered = select(Rsvp.id).where(
        Rsvp.activity_id == Reminder.activity_id, Rsvp.person_id == Reminder.person_id,
        Rsvp.occurrence_start == Reminder.occurrence_start)
    # One query: only the rows whose mark differs from the activity's place now (most rows
    # are unchanged), each with its parent.
    rows = (await session.execute(
        select(Reminder.id, Reminder.activity_id, Reminder.occurrence_start,
               Reminder.place_mark, Person)
        .join(Person, Person.id == Reminder.person_id)
        .where(Reminder.status == SENT, Reminder.occurrence_start > now,
               Reminder.activity_id.in_(list(marks)),
               Reminder.place_mark.is_distinct_from(case(marks, value=Reminder.activity_id)),
               ~answered.exists())
        .order_by(Reminder.occurrence_start, Reminder.id))).all()
    messages: list[NewMessage] = []
    gone: list[tuple[int, int, datetime, Person, str]] = []
    for row_id, activity_id, start, known, person in rows:
        pair = (activity_id, person.id)
        if known is None or pair in told:
            continue
        data = by_id[activity_id]
        found = occurrence_at(data, start, tz)
        if found is None:
            gone.append((row_id, activity_id, start, person, known))  # moved, or cancelled
            continue
        told.add(pair)
        messages += _new_place_message(data, found, person, known, marks[activity_id],
                                       now, render)
    waiting: set[int] = set()
    if gone:
        found_later, waiting = await _moved_new_places(session, gone, by_id, marks, now, tz,
                                                       render, told)
        messages += found_later
    by_activity: dict[int, list[int]] = {}
    for row_id, activity_id, *_rest in rows:
        if row_id not in waiting:  # a cancelled day's mark waits: an undo tells it then
            by_activity.setdefault(activity_id, []).append(row_id)
    for activity_id, ids in by_activity.items():
        for chunk in _chunks(ids, 500):
            await session.execute(update(Reminder).where(Reminder.id.in_(chunk))
                                  .values(place_mark=marks[activity_id]))
    return messages


async def _moved_new_places(session: AsyncSession,
                            gone: Sequence[tuple[int, int, datetime, Person, str]],
                            by_id: dict[int | None, ActivityData], marks: dict[int | None, str],
                            now: datetime, tz: ZoneInfo, render: RenderNewPlace,
                            told: set[tuple[int, int]]) -> tuple[list[NewMessage], set[int]]:
    """Reminded parents whose occurrence moved (told in an earlier round, at the place of
    then) hear a new place at the time they were told (``last_told``), unless they
    answered for that time (a "yes" keeps its own mark; a "no" hears nothing). Returns the
    notices, and the reminders whose day (as the parent knows it) is cancelled: their mark
    waits, so that an undo tells the new place."""
    moves = await _told_moves(session, {activity_id for _r, activity_id, *_rest in gone})
    answered = {tuple(row) for row in await session.execute(
        select(Rsvp.activity_id, Rsvp.occurrence_start, Rsvp.person_id).where(
            Rsvp.activity_id.in_({activity_id for _r, activity_id, *_rest in gone}),
            Rsvp.occurrence_start > now))}
    messages: list[NewMessage] = []
    waiting: set[int] = set()
    for row_id, activity_id, start, person, known in gone:
        pair = (activity_id, person.id)
        thinks = last_told(start, moves.get(pair, []))
        if pair in told or thinks is None or thinks <= now \
                or (activity_id, thinks, person.id) in answered:
            continue
        data = by_id[activity_id]
        found = occurrence_at(data, thinks, tz)
        if found is None:
            # Cancelled (a move since would be told this round, with the place: in ``told``).
            waiting.add(row_id)
            continue
        told.add(pair)
        messages += _new_place_message(data, found, person, known, marks[activity_id],
                                       now, render)
    return messages, waiting


def _new_place_message(data: ActivityData, found: Occurrence, person: Person, known: str,
                       mark: str, now: datetime, render: RenderNewPlace
                       ) -> list[NewMessage]:
    """The new-place notice, then the new place's map pin (``with_pin``). Its key names the
    places known and new, and the round: the marks, written in the same transaction, keep
    it once; a place changed back and forth (library, refter, library, refter) is told
    each time."""
    kind, payload = rendered_in_each(
        lambda locale: render(NewPlace(person.id, person.telegram_id, locale,
                                       programme_item(data, found, locale))),
        person.locale or "nl")
    key = f"place:{data.id}:{known}>{mark}:{person.id}:{int(now.timestamp())}"
    return with_pin(NewMessage(dedupe_key=key,
                               chat_id=person.telegram_id, person_id=person.id, kind=kind,
                               payload=payload, group_key=f"place:{data.id}"), data.place)


async def _rsvp_at(session: AsyncSession, rsvp: Rsvp, start: datetime) -> Rsvp | None:
    return await session.scalar(select(Rsvp).where(
        Rsvp.activity_id == rsvp.activity_id, Rsvp.person_id == rsvp.person_id,
        Rsvp.occurrence_start == start))


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --------------------------------------------------------------------------------------------
# handing over


@dataclass(frozen=True)
class ReminderView:
    """What a reminder says, for one parent, in their language."""

    reminder_id: int
    kind: ReminderKind
    item: ProgrammeItem
    locale: str
    answer: Answer | None = None
    children: int | None = None
    # The Dutch original, for a reader who asked for it below translations (/settings).
    dutch_item: ProgrammeItem | None = None
    # When it was handed to the outbox (its heading counts from then); None: as planned.
    sent_at: datetime | None = None
    # The day the reminder was sent for (None: ``item``'s): redrawn for the day its
    # occurrence moved to, the heading names that day.
    reminded_start: datetime | None = None

    @property
    def moved(self) -> bool:
        return self.reminded_start not in (None, self.item.starts_at)

    def when(self) -> When:
        if self.moved:
            return When.ON_DATE
        return when_heading(self.kind, self.item.starts_at, self.sent_at)


# (outbox kind, payload) messages of one reminder, in order
RenderReminder = Callable[[ReminderView], list[tuple[str, dict[str, Any]]]]


@dataclass
class HandOver:
    sent: int = 0
    skipped: int = 0
    dropped: int = 0
    deferred: int = 0
    obsolete: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def dedupe_key(row: Reminder) -> str:
    return (f"reminder:{row.activity_id}:{int(row.occurrence_start.timestamp())}:"
            f"{row.person_id}:{row.kind}")


async def hand_over_due(session: AsyncSession, now: datetime, render: RenderReminder,
                        tz: ZoneInfo = BRUSSELS) -> HandOver:
    """Every planned row due by ``now`` becomes outbox rows, or says why not."""
    due = list(await session.scalars(
        select(Reminder).where(Reminder.status == PLANNED, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id).limit(BATCH)))
    result = HandOver()
    if not due:
        return result
    activities = {a.row.id: activity_data(a) for a in await programme_repo.records_by_ids(
        session, [r.activity_id for r in due])}
    people = {p.id: p for p in await session.scalars(
        select(Person).where(Person.id.in_({r.person_id for r in due})))}
    schools: dict[int, set[int]] = {}
    for person_id, school_id in await session.execute(
            select(PersonSchool.person_id, PersonSchool.school_id)
            .where(PersonSchool.person_id.in_(people))):
        schools.setdefault(person_id, set()).add(school_id)
    answers = await _answers(session, due)
    quiet_default = await default_quiet(session)
    chosen = await kinds_by_activity_kind(session)
    left_out = await _late_left_out(session, due, people, quiet_default, now, tz)
    messages: list[NewMessage] = []
    for row in due:
        data = activities.get(row.activity_id)
        person = people.get(row.person_id)
        reason = _not_sent_reason(row, data, person, answers, now, tz)
        if reason is None and data is not None and not (
                data.all_schools or set(data.school_ids) & schools.get(row.person_id, set())):
            reason = "not_audience"  # the activity or the parent's schools changed
        if reason is None and data is not None and row.kind not in chosen[data.kind]:
            # The coordinator turned this reminder off (/reminders) after it was planned.
            reason = "not_chosen"
        if reason is not None:
            row.status = OBSOLETE if reason == "gone" else SKIPPED
            row.reason, row.handled_at = reason, now
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
            if reason == "gone":
                result.obsolete += 1
            else:
                result.skipped += 1
            continue
        if row.id in left_out:
            row.status, row.reason, row.handled_at = SKIPPED, SUPERSEDED, now
            result.reasons[SUPERSEDED] = result.reasons.get(SUPERSEDED, 0) + 1
            result.skipped += 1
            continue
        assert data is not None and person is not None
        occurrence = occurrence_at(data, row.occurrence_start, tz)
        assert occurrence is not None  # _not_sent_reason said it takes place
        quiet = QuietHours.parse(person.quiet_hours) or quiet_default
        if quiet.covers(now, tz):
            until = quiet.end_after(now, tz)
            if until >= occurrence.last_call(tz):
                row.status, row.reason, row.handled_at = DROPPED, "quiet", now
                result.dropped += 1
            else:
                row.due_at = until  # delivered when the quiet hours end
                result.deferred += 1
            continue
        locale = person.locale or "nl"
        answer, children = answers.get((row.activity_id, row.occurrence_start, row.person_id),
                                       (None, None))
        dutch = (programme_item(data, occurrence, "nl")
                 if person.dutch_below and locale != "nl" else None)
        view = ReminderView(row.id, ReminderKind(row.kind),
                            programme_item(data, occurrence, locale), locale, answer, children,
                            dutch, sent_at=now)
        key = dedupe_key(row)
        for n, (kind, payload) in enumerate(render(view)):
            messages.append(NewMessage(
                dedupe_key=key if n == 0 else f"{key}:{n}", chat_id=person.telegram_id,
                person_id=person.id, kind=kind, payload=payload,
                group_key=group_key(row.activity_id, row.occurrence_start),
                expires_at=occurrence.last_call(tz), reminder_id=row.id if n == 0 else None))
        row.status, row.handled_at = SENT, now
        row.place_mark = place_mark(data.place)  # what it showed: a new one is told once
        row.school_ids = school_ids_text(schools.get(row.person_id, ()))  # for the report
        row.locale = locale  # likewise
        result.sent += 1
    await outbox.enqueue_many(session, messages)
    await session.flush()
    return result


# A reminder handed over this long after its time is late (the bot was down): the planner
# hands each one over within a minute of it otherwise.
LATE_AFTER = timedelta(minutes=10)


async def _late_left_out(session: AsyncSession, due: Sequence[Reminder],
                         people: dict[int, Person], quiet_default: QuietHours, now: datetime,
                         tz: ZoneInfo) -> set[int]:
    """The ids of due rows left out because the bot was down when they were due: of one
    parent's reminders of one day that fell due meanwhile, only one goes, late (the latest
    kind); none when their next one of that day reaches them within LATE_GAP anyway
    (``late_kind``, as for a cancelled day brought back). Two reminders at once that say
    "today at 13:30" read as the same message twice."""
    days: dict[tuple[int, datetime, int], list[Reminder]] = {}
    for row in due:
        days.setdefault((row.activity_id, row.occurrence_start, row.person_id), []).append(row)
    late = {day: rows for day, rows in days.items()
            if len(rows) > 1 or rows[0].due_at <= now - LATE_AFTER}
    if not late:
        return set()
    handed = {row.id for rows in late.values() for row in rows}
    coming: dict[tuple[int, datetime, int], list[datetime]] = {}
    for activity_id, start, person_id, due_at in (await session.execute(
            select(Reminder.activity_id, Reminder.occurrence_start, Reminder.person_id,
                   Reminder.due_at)
            .where(Reminder.status == PLANNED, Reminder.due_at > now,
                   Reminder.activity_id.in_({day[0] for day in late}),
                   Reminder.person_id.in_({day[2] for day in late})))).all():
        coming.setdefault((activity_id, start, person_id), []).append(due_at)
    left_out: set[int] = set()
    for day, rows in late.items():
        person = people.get(day[2])
        quiet = (QuietHours.parse(person.quiet_hours) if person else None) or quiet_default
        # A whole-day day that has begun still takes its late reminder (it may be answered
        # until the day ends): as if it began now.
        start = max(day[1], now + timedelta(seconds=1))
        keep = late_kind([ReminderKind(r.kind) for r in rows], coming.get(day, []), start, now,
                         quiet, tz)
        left_out |= {r.id for r in rows if r.kind != keep and r.id in handed}
    return left_out


def _not_sent_reason(row: Reminder, data: ActivityData | None, person: Person | None,
                     answers: dict[tuple[int, datetime, int], tuple[Answer | None, int | None]],
                     now: datetime, tz: ZoneInfo) -> str | None:
    if data is None or data.cancelled or row.occurrence_start in data.cancelled_starts:
        return "gone"
    if (occurrence := occurrence_at(data, row.occurrence_start, tz)) is None:
        return "gone"  # moved: the planner plans the new time
    if occurrence.last_call(tz) <= now:
        return "started"
    if person is None or person.onboarded_at is None:
        return "gone"
    if person.stopped_at is not None:
        return "stopped"
    if person.blocked_at is not None:
        return "blocked"
    answer, _children = answers.get((row.activity_id, row.occurrence_start, row.person_id),
                                    (None, None))
    if answer is Answer.NO:
        return "not_coming"
    return None


async def _answers(session: AsyncSession, rows: Sequence[Reminder]
                   ) -> dict[tuple[int, datetime, int], tuple[Answer | None, int | None]]:
    people = {r.person_id for r in rows}
    activities = {r.activity_id for r in rows}
    found = await session.scalars(select(Rsvp).where(Rsvp.person_id.in_(people),
                                                     Rsvp.activity_id.in_(activities)))
    return {(r.activity_id, r.occurrence_start, r.person_id): (Answer(r.answer), r.children)
            for r in found}


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.min(Reminder.due_at))
                                 .where(Reminder.status == PLANNED))


# --------------------------------------------------------------------------------------------
# a cancelled day goes ahead after all

# A late reminder is left out when the parent's next one of that day reaches them this soon
# after it anyway: two reminders of one day within the hour read as the same message twice.
LATE_GAP = timedelta(hours=1)


def late_kind(passed: Iterable[ReminderKind], coming: Iterable[datetime], start: datetime,
              now: datetime, quiet: QuietHours, tz: ZoneInfo = BRUSSELS) -> ReminderKind | None:
    """Of one parent's reminders of an undone day whose time passed while it was cancelled
    (``passed``), the one sent late, or None. Only one: its heading counts from when it goes
    ("tomorrow", "today at 14:00"), so the others would say the same again; the latest kind,
    the one they would have had last. None once the day has begun, or when a reminder of
    theirs still to come (due at ``coming``) reaches them within LATE_GAP of it anyway
    (both after their quiet hours)."""
    kinds = list(passed)
    if not kinds or start <= now:
        return None
    goes = delivery_time(now, quiet, tz)
    if any(delivery_time(due, quiet, tz) - goes <= LATE_GAP for due in coming):
        return None
    return max(kinds, key=list(ReminderKind).index)


@dataclass
class BroughtBack:
    late: int = 0  # reminders whose time passed: the next round hands them over, late
    superseded: int = 0  # reminders whose time passed, left out: another one says it


async def bring_back(session: AsyncSession, activity_id: int, start: datetime, now: datetime,
                     tz: ZoneInfo = BRUSSELS) -> BroughtBack:
    """A cancelled day goes ahead after all (/activities' undo): its reminders are planned as
    if it had never been cancelled, before the next planner round (which hands over the due
    ones). Made obsolete, or dropped from the outbox while they waited there, they are
    planned again; those never planned (the day was cancelled before they came into view)
    are planned now. One whose time passed goes late, one per parent (``late_kind``), to
    parents who had joined by then; one already sent is never sent again (it stays "sent").
    The outbox's own rules still hold when it is handed over: /stop, blocked, "I can't
    come", the coordinator's choice of reminders, quiet hours, the start."""
    result = BroughtBack()
    if start <= now:
        return result
    record = await programme_repo.record_by_id(session, activity_id)
    if record is None:
        return result
    data = activity_data(record)
    if occurrence_at(data, start, tz) is None:
        return result  # still cancelled, or not a day it takes place
    group = group_key(activity_id, start)
    # The outbox rows the cancellation dropped keep their keys, which are the keys of the
    # reminder handed over anew: renamed out of the way (and set apart, "undone").
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.group_key == group,
                                    OutboxMessage.status == outbox_repo.DROPPED,
                                    OutboxMessage.error == "gone")
        .values(dedupe_key=OutboxMessage.dedupe_key + ":u" + cast(OutboxMessage.id, String),
                error="undone")
        .execution_options(synchronize_session=False))
    this_day = (Reminder.activity_id == activity_id, Reminder.occurrence_start == start)
    await session.execute(
        update(Reminder).where(*this_day, (Reminder.status == OBSOLETE)
                               | ((Reminder.status == UNDELIVERED) & (Reminder.reason == "gone")))
        .values(status=PLANNED, handled_at=None, reason=None)
        .execution_options(synchronize_session=False))
    kinds = (await kinds_by_activity_kind(session))[data.kind]
    await _plan_day(session, data, start, kinds, now, tz)
    # One late reminder per parent, the others of that day whose time passed left out.
    planned = list(await session.scalars(
        select(Reminder).where(*this_day, Reminder.status == PLANNED)
        .execution_options(populate_existing=True)))
    by_person: dict[int, list[Reminder]] = {}
    for row in planned:
        if row.kind in kinds:  # one turned off meanwhile is the hand-over's to skip
            by_person.setdefault(row.person_id, []).append(row)
    late = {p: rows for p, rows in by_person.items() if any(r.due_at <= now for r in rows)}
    quiet = await _quiet_hours(session, list(late))
    usual = await default_quiet(session)
    for person_id, rows in late.items():
        passed = [r for r in rows if r.due_at <= now]
        keep = late_kind([ReminderKind(r.kind) for r in passed],
                         [r.due_at for r in rows if r.due_at > now], start, now,
                         quiet.get(person_id) or usual, tz)
        for row in passed:
            if row.kind == keep:
                result.late += 1
            else:
                row.status, row.reason, row.handled_at = SKIPPED, SUPERSEDED, now
                result.superseded += 1
    await session.flush()
    return result


async def _plan_day(session: AsyncSession, data: ActivityData, start: datetime,
                    kinds: Sequence[ReminderKind], now: datetime, tz: ZoneInfo) -> None:
    """The rows of one day's chosen reminders due up to HORIZON ahead that are missing, as
    ``plan`` would have made them; one whose time passed only for a parent who had joined
    by then (a newcomer would not have had it)."""
    audience = eligible(data, await broadcast.recipients(session, Audience()))
    all_day = Occurrence(data.starts_at, data.ends_at).all_day(tz)
    due = {kind: due_at(kind, start, tz) for kind in kinds
           if not (all_day and kind is ReminderKind.TWO_HOURS)}
    joined: dict[int, datetime] = {}
    if any(when <= now for when in due.values()):
        joined = {person_id: at for person_id, at in (await session.execute(
            select(Person.id, Person.onboarded_at).where(Person.onboarded_at.is_not(None))))}
    rows = [{"activity_id": data.id, "occurrence_start": start, "person_id": p.person_id,
             "kind": kind.value, "due_at": when, "status": PLANNED}
            for kind, when in due.items() if when <= now + HORIZON
            for p in audience
            if when > now or joined.get(p.person_id, when + timedelta(seconds=1)) <= when]
    await outbox_repo.insert_ignoring_duplicates(session, rows, table=Reminder.__table__)


async def _quiet_hours(session: AsyncSession, person_ids: Sequence[int]
                       ) -> dict[int, QuietHours]:
    """The parents' own quiet hours (those who chose them)."""
    found: dict[int, QuietHours] = {}
    for chunk in _chunks(person_ids, 500):
        for person_id, text in await session.execute(
                select(Person.id, Person.quiet_hours).where(Person.id.in_(chunk),
                                                            Person.quiet_hours.is_not(None))):
            if (quiet := QuietHours.parse(text)) is not None:
                found[person_id] = quiet
    return found
