"""Broadcasts by the coordinator: the audience, who it reaches, and the outbox rows.

Usage::

    draft = await create_draft(session, created_by=coordinator.id, week_start=week)
    audience = toggle_school(draft.audience, school_id)       # plain rule, unit-tested
    await save_audience(session, draft.id, audience)
    reach = await week_reach(session, audience, week)           # who gets something that week
    per_locale(reach.getting)                                   # {"nl": 12, "tr": 7, "pa": 4}
    claim = await claim_send(session, draft, warned=False)      # None: a colleague sent it
    total = await start_programme(session, draft.id, render)    # parents; rows in the outbox
    await redo_all_waiting(session, render_for_week)            # the programme changed

``render(locale, school_ids, items)`` is given by the handler (it owns the words); the same text is
rendered once per language and set of schools, not once per parent. Right after the text, a
parent gets the voice message in their language of each activity of their week that has one
(``broadcast:<id>:<person>:voice:<activity>``). A parent whose schools have nothing on
the programme that week gets no message: a weekly "nothing this week" would teach them to
mute the bot. A copy still waiting (its parent's quiet hours hold it for the morning, or it
waits its turn) follows the programme and the parent: it is made again when the programme
changes, or the parent's language or schools do. No Telegram types here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, DEFAULT_LOCALE, LANGUAGE_NAMES, SUPPORTED_LOCALES
from bot.services import outbox
from bot.services import programme as programme_service
from bot.services.dutch_below import with_dutch_below
from bot.services.outbox import NewMessage, Progress
from bot.services.programme import ActivityData, ProgrammeItem
from bot.services.roles import Role
from storage import claims
from storage import outbox as outbox_repo
from storage import programme as programme_repo
from storage.models import Broadcast, OutboxMessage, Person, PersonSchool, utcnow

PROGRAMME = "programme"
DUTCH = DEFAULT_LOCALE
DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"
QUIET = outbox_repo.QUIET  # the sender's mark on a row it holds until quiet hours end
K = TypeVar("K")  # what a copy is known by: a person, or a broadcast's group key


@dataclass(frozen=True)
class Audience:
    """Who receives it: some schools (None: all) and some languages (None: all)."""

    schools: frozenset[int] | None = None
    locales: frozenset[str] | None = None

    def to_json(self) -> str:
        return json.dumps({
            "schools": sorted(self.schools) if self.schools is not None else None,
            "locales": sorted(self.locales) if self.locales is not None else None,
        })

    @classmethod
    def from_json(cls, raw: str | None) -> Audience:
        data = json.loads(raw or "{}")
        schools, locales = data.get("schools"), data.get("locales")
        return cls(
            frozenset(int(s) for s in schools) if schools is not None else None,
            frozenset(str(code) for code in locales) if locales is not None else None,
        )

    def takes(self, locale: str | None, school_ids: Iterable[int]) -> bool:
        if self.locales is not None and (locale or "nl") not in self.locales:
            return False
        return self.schools is None or bool(self.schools & set(school_ids))


def toggle_school(audience: Audience, school_id: int, all_ids: Iterable[int]) -> Audience:
    """Tap a school: from "all schools" to just that one, then add or remove schools (never
    none: removing the last one means all schools again)."""
    chosen = set(audience.schools) if audience.schools is not None else set()
    chosen ^= {school_id}
    if not chosen or chosen >= set(all_ids):
        return replace(audience, schools=None)
    return replace(audience, schools=frozenset(chosen))


def toggle_locale(audience: Audience, locale: str) -> Audience:
    """Tap a language: all three are ticked at first, a tap unticks or ticks one again (never
    none: unticking the last one means all languages again)."""
    chosen = set(audience.locales) if audience.locales is not None else set(SUPPORTED_LOCALES)
    chosen ^= {locale}
    if not chosen or chosen >= set(SUPPORTED_LOCALES):
        return replace(audience, locales=None)
    return replace(audience, locales=frozenset(chosen))


@dataclass(frozen=True)
class BroadcastView:
    id: int
    kind: str
    created_by: int | None
    audience: Audience
    week_start: date | None
    status: str
    status_chat_id: int | None
    status_message_id: int | None
    total: int
    sent: int
    failed: int
    blocked: int
    stopped: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _view(row: Broadcast) -> BroadcastView:
    return BroadcastView(
        row.id, row.kind, row.created_by, Audience.from_json(row.audience), row.week_start,
        row.status, row.status_chat_id, row.status_message_id, row.total, row.sent, row.failed,
        row.blocked, row.stopped, row.created_at, row.started_at, row.finished_at,
    )


@dataclass(frozen=True)
class Recipient:
    person_id: int
    telegram_id: int
    locale: str
    school_ids: frozenset[int]
    # /settings: the Dutch original below the translation.
    dutch_below: bool = False


async def create_draft(
    session: AsyncSession, *, created_by: int, week_start: date
) -> BroadcastView:
    row = Broadcast(kind=PROGRAMME, created_by=created_by, audience=Audience().to_json(),
                    week_start=week_start, status=DRAFT)
    session.add(row)
    await session.flush()
    return _view(row)


async def get(session: AsyncSession, broadcast_id: int) -> BroadcastView | None:
    row = await session.get(Broadcast, broadcast_id)
    return _view(row) if row else None


async def sent_before(session: AsyncSession, draft: BroadcastView) -> BroadcastView | None:
    """The latest programme broadcast of the same week that went out (or is going out), from
    its Monday or from a later day of it: a second one would bring parents days twice."""
    assert draft.week_start is not None
    monday = programme_service.week_monday(draft.week_start)
    row = await session.scalar(
        select(Broadcast).where(Broadcast.kind == PROGRAMME, Broadcast.id != draft.id,
                                Broadcast.week_start >= monday,
                                Broadcast.week_start < monday + timedelta(days=7),
                                Broadcast.status.in_((SENDING, DONE)))
        .order_by(Broadcast.id.desc()).limit(1))
    return _view(row) if row is not None else None


async def claim_send(session: AsyncSession, draft: BroadcastView, *,
                     warned: bool, after: int | None = None) -> str | None:
    """Claim the draft's send of its week, once whichever coordinator or instance asks: two
    ✅ tapped for the same week at the same moment send it once. The claim names the send
    it comes after (none, or for a coordinator warned it was sent already, the send the
    warning named: ``after``, else the latest), so that a send again on purpose stays
    possible, once per warning. None when a colleague's send took it."""
    assert draft.week_start is not None
    if after is None and warned:
        earlier = await sent_before(session, draft)
        after = earlier.id if earlier is not None else 0
    key = week_claim(programme_service.week_monday(draft.week_start), after or 0)
    return key if await claims.claim(session, key) else None


def week_claim(monday: date, after: int) -> str:
    """The claim's name: the send of the week of ``monday`` that follows broadcast ``after``
    (0: its first)."""
    return f"programme:{monday.isoformat()}:after:{after}"


async def give_back(session: AsyncSession, claim: str) -> None:
    """A send that found nobody to send to: the week is still to send, its claim goes."""
    await claims.release(session, claim)


async def save_audience(session: AsyncSession, broadcast_id: int, audience: Audience) -> None:
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    row.audience = audience.to_json()


async def save_week(session: AsyncSession, broadcast_id: int, week_start: date) -> None:
    """The draft's week: from a Monday, or the rest of this week from today."""
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    row.week_start = week_start


async def cancel_draft(session: AsyncSession, broadcast_id: int) -> None:
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    row.status = CANCELLED


async def recipients(session: AsyncSession, audience: Audience) -> list[Recipient]:
    """Onboarded parents who did not /stop and did not block the bot, in the audience. A
    brugfiguur who chose a child's school as a parent is one of them: brugfiguren are often
    parents of the schools, and joining the team does not end her child's reminders."""
    query = (
        select(Person.id, Person.telegram_id, Person.locale, Person.dutch_below,
               PersonSchool.school_id)
        .join(PersonSchool, PersonSchool.person_id == Person.id)
        .where(
            Person.role.in_((Role.PARENT.value, Role.BRUGFIGUUR.value)),
            Person.onboarded_at.is_not(None),
            Person.stopped_at.is_(None),
            Person.blocked_at.is_(None),
        )
        .order_by(Person.id)
    )
    people: dict[int, Recipient] = {}
    rows = (await session.execute(query)).all()
    for person_id, telegram_id, locale, dutch_below, school_id in rows:
        known = people.get(person_id)
        schools = (known.school_ids if known else frozenset()) | {school_id}
        people[person_id] = Recipient(person_id, telegram_id, locale or "nl", schools,
                                      bool(dutch_below))
    return [r for r in people.values() if audience.takes(r.locale, r.school_ids)]


async def reach(session: AsyncSession, audience: Audience) -> dict[str, int]:
    """How many parents it reaches, per language (an announcement: everyone in it)."""
    return per_locale(await recipients(session, audience))


def per_locale(people: Iterable[Recipient]) -> dict[str, int]:
    counts = dict.fromkeys(SUPPORTED_LOCALES, 0)
    for recipient in people:
        counts[recipient.locale] = counts.get(recipient.locale, 0) + 1
    return counts


@dataclass(frozen=True)
class WeekReach:
    """Who of an audience gets a week's programme, and what to know before it goes."""

    getting: list[Recipient]  # parents with at least one activity that week
    empty: int  # parents of the audience with nothing that week: they get no message
    read_in_dutch: int  # activities some of ``getting`` would read in Dutch (no translation)


Occurrences = list[tuple[ActivityData, programme_service.Occurrence]]
# What a parent reads of a week (given by the handler, which owns the words), and a week's
# text and items per language and set of schools.
Render = Callable[[str, frozenset[int], list[ProgrammeItem]], str]
Week = Callable[[str, frozenset[int]], tuple[str, list[ProgrammeItem]]]


async def week_activities(session: AsyncSession, school_ids: Iterable[int], week_start: date,
                          tz: ZoneInfo = BRUSSELS, now: datetime | None = None) -> Occurrences:
    """The occurrences of the week from ``week_start`` at any of these schools, those begun
    before it and still running included (a holiday camp, on the Tuesday "this week" is
    sent); with ``now``, only those not over by then (a "this week" sent on a Wednesday
    afternoon)."""
    start, end = programme_service.week_window(week_start, tz)
    return [
        (data, occurrence)
        for activity in await programme_repo.for_schools(session, set(school_ids), start, end)
        for data in [programme_service.activity_data(activity)]
        for occurrence in [*programme_service.running_at(data, start, tz),
                           *programme_service.occurrences(data, start, end, tz)]
        if now is None or occurrence.ends_at > now
    ]


async def week_reach(session: AsyncSession, audience: Audience, week_start: date,
                     tz: ZoneInfo = BRUSSELS, now: datetime | None = None) -> WeekReach:
    """Who of the audience has something that week (their own schools, within the chosen
    ones), how many have nothing, and how many of the week's activities some of them would
    read in Dutch: their language lacks a text. An untranslated activity nobody of that
    language gets is no reason to wait."""
    people = await recipients(session, audience)
    activities = await week_activities(
        session, {school_id for r in people for school_id in r.school_ids}, week_start, tz, now)
    has_some: dict[frozenset[int], bool] = {}
    getting = []
    for recipient in people:
        schools = own_schools(recipient, audience)
        if schools not in has_some:
            has_some[schools] = any(gets(data, schools) for data, _ in activities)
        if has_some[schools]:
            getting.append(recipient)
    untranslated = {data.id: data for data, _ in activities
                    if programme_service.missing_locales(data.texts)}
    read_in_dutch = sum(
        1 for data in untranslated.values()
        if any(r.locale in programme_service.missing_locales(data.texts)
               and gets(data, own_schools(r, audience)) for r in getting))
    return WeekReach(getting, len(people) - len(getting), read_in_dutch)


def own_schools(recipient: Recipient, audience: Audience) -> frozenset[int]:
    """The schools a parent hears about: their own, within the chosen ones."""
    return recipient.school_ids & (audience.schools or recipient.school_ids)


def gets(data: ActivityData, schools: frozenset[int]) -> bool:
    """Whether a parent of these schools gets this activity in their week."""
    return data.all_schools or bool(schools & set(data.school_ids))


async def start_programme(
    session: AsyncSession,
    broadcast_id: int,
    render: Render,
    *,
    status_chat_id: int,
    status_message_id: int,
    tz: ZoneInfo = BRUSSELS,
    originals: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> int:
    """Turn a draft into outbox rows: per parent their schools' week, in their language, then
    the voice messages of that week's activities in their language. Returns the number of
    parents who get it (those with something that week; with ``now``, something not over).

    The activities are read once; each (language, schools) text is rendered once.
    ``originals``: per language, the heading of the Dutch original that a parent who asked
    for it (/settings) reads below the translation.
    """
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None and row.status == DRAFT and row.week_start is not None
    audience = Audience.from_json(row.audience)
    people = await recipients(session, audience)
    activities = await week_activities(
        session, {school_id for r in people for school_id in r.school_ids}, row.week_start, tz,
        now)
    week = _weeks(activities, render)
    messages = [message for recipient in people
                for message in _copy(broadcast_id, recipient, audience, week, originals)]
    await outbox.enqueue_many(session, messages)
    mark_sending(row, messages, status_chat_id, status_message_id, now)
    return row.total


def _weeks(activities: Occurrences, render: Render) -> Week:
    """A language's and a set of schools' week: its text and items, each rendered once."""
    weeks: dict[tuple[str, frozenset[int]], tuple[str, list[ProgrammeItem]]] = {}

    def week(locale: str, schools: frozenset[int]) -> tuple[str, list[ProgrammeItem]]:
        key = (locale, schools)
        if key not in weeks:
            items = week_items(activities, locale, schools)
            weeks[key] = render(locale, schools, items), items
        return weeks[key]

    return week


def week_items(activities: Occurrences, locale: str,
               schools: frozenset[int]) -> list[ProgrammeItem]:
    """What a parent of these schools reads of a week, in their language, by start: the one
    selection of a copy, its 🇧🇪 Dutch original and the coordinator's 👁 preview."""
    return sorted(
        (programme_service.programme_item(data, occurrence, locale)
         for data, occurrence in activities if gets(data, schools)),
        key=lambda item: (item.starts_at, item.activity_id),
    )


async def programme_for(session: AsyncSession, school_ids: Iterable[int], locale: str,
                        week_start: date, tz: ZoneInfo = BRUSSELS,
                        now: datetime | None = None) -> list[ProgrammeItem]:
    """A week's items for these schools in a language, chosen as a parent's copy is (those
    begun before and still running included; with ``now``, only those not over by then)."""
    schools = frozenset(school_ids)
    return week_items(await week_activities(session, schools, week_start, tz, now), locale,
                      schools)


def _copy(broadcast_id: int, recipient: Recipient, audience: Audience, week: Week,
          originals: Mapping[str, str] | None) -> list[NewMessage]:
    """One parent's rows: their week's text in their language, then its voice messages; []
    when their schools have nothing that week."""
    schools = own_schools(recipient, audience)
    body, items = week(recipient.locale, schools)
    if not items:
        return []  # nothing for their schools that week: no message (see the docstring)
    same = recipient.locale == DUTCH
    if recipient.dutch_below and not same:
        body = with_dutch_below(body, week(DUTCH, schools)[0], wanted=True, same=same,
                                heading=(originals or {}).get(recipient.locale, ""))
    payload: dict[str, object] = {"text": body, "parse_mode": "HTML"}
    if recipient.locale != DUTCH:
        # Flemish services speak Dutch; the translation is an aid. One tap shows it.
        payload["reply_markup"] = {"inline_keyboard": [[{
            "text": f"🇧🇪 {LANGUAGE_NAMES[DUTCH]}",
            "callback_data": f"nl:b:{broadcast_id}:{'.'.join(map(str, sorted(schools)))}"
        }]]}
    common = {"chat_id": recipient.telegram_id, "person_id": recipient.person_id,
              "group_key": group_key(broadcast_id)}
    # After the text (the outbox keeps a chat's rows in order), one row per voice.
    return [NewMessage(dedupe_key=f"broadcast:{broadcast_id}:{recipient.person_id}",
                       kind="text", payload=payload, **common)] + [
        NewMessage(dedupe_key=f"broadcast:{broadcast_id}:{recipient.person_id}:voice:"
                              f"{item.activity_id}", kind="voice", payload=voice_payload(item),
                   **common)
        for item in programme_service.voiced(items)]


async def redo_waiting(session: AsyncSession, person_id: int,
                       render_for_week: Callable[[date], Render], *,
                       originals: Mapping[str, str] | None = None, tz: ZoneInfo = BRUSSELS,
                       now: datetime | None = None) -> int:
    """A parent changed language or schools while a programme's copy waits for them (their
    quiet hours, or its turn): it is made again for them now, as it would have been made
    had they chosen it before the coordinator sent it (none when their schools now have
    nothing that week). Returns how many copies were made again."""
    recipient = await recipient_now(session, person_id)
    if recipient is None:
        return 0
    redone = 0
    for row, when in await waiting_copies(session, person_id, PROGRAMME):
        if row.week_start is not None:
            redone += await _redo(session, row, [(recipient, when)],
                                  render_for_week(row.week_start), originals, tz, now)
    return redone


async def redo_all_waiting(session: AsyncSession, render_for_week: Callable[[date], Render], *,
                           originals: Mapping[str, str] | None = None,
                           tz: ZoneInfo = BRUSSELS, now: datetime | None = None) -> int:
    """The programme changed (a file, a day cancelled or brought back): every copy of a
    programme still waiting whole is made again from it, so that the parent whose quiet
    hours held Sunday evening's copy does not read on Monday a day since cancelled or an
    hour since moved. Parents who used /stop or blocked the bot meanwhile are left to the
    sender (it counts them). Returns how many copies were made again."""
    rows = (await session.scalars(select(Broadcast).where(
        Broadcast.kind == PROGRAMME, Broadcast.status == SENDING))).all()
    if not rows:
        return 0
    people = {r.person_id: r for r in await recipients(session, Audience())}
    redone = 0
    for row in rows:
        if row.week_start is None:
            continue
        waiting, left = await copies_state(session, row.id)
        # The parents of its audience then who have no row now (nothing for them when it
        # was made, or a change since emptied their copy: a day cancelled by mistake and
        # brought back at once): theirs is made too, due now, if the week has something.
        audience = Audience.from_json(row.audience)
        since = row.started_at or row.created_at
        then = set(await session.scalars(select(Person.id).where(
            Person.id.in_(list(people)), Person.onboarded_at <= since)))
        # Not one who has that week from another send (to other schools or languages).
        others = list(await session.scalars(select(Broadcast.id).where(
            Broadcast.kind == PROGRAMME, Broadcast.week_start == row.week_start,
            Broadcast.id != row.id)))
        covered = set(await session.scalars(select(OutboxMessage.person_id).where(
            OutboxMessage.group_key.in_([group_key(other) for other in others])))) \
            if others else set()
        rowless: list[tuple[Recipient, datetime | None]] = [
            (recipient, None) for person_id, recipient in people.items()
            if person_id in then and person_id not in waiting and person_id not in left
            and person_id not in covered
            and audience.takes(recipient.locale, recipient.school_ids)]
        redone += await _redo(session, row, [(people[person_id], when)
                                             for person_id, when in waiting.items()
                                             if person_id in people] + rowless,
                              render_for_week(row.week_start), originals, tz, now)
    return redone


async def _redo(session: AsyncSession, row: Broadcast,
                waiting: Sequence[tuple[Recipient, datetime | None]], render: Render,
                originals: Mapping[str, str] | None, tz: ZoneInfo,
                now: datetime | None) -> int:
    """These parents' copies of a programme broadcast made again from the programme as it
    is now, each due when its old one was (now, for one who had none)."""
    if not waiting:
        return 0
    assert row.week_start is not None
    audience = Audience.from_json(row.audience)
    week = _weeks(await week_activities(
        session, {school_id for recipient, _ in waiting
                  for school_id in own_schools(recipient, audience)},
        row.week_start, tz, now), render)
    return await replace_copies(session, row.id, {
        recipient.person_id: (_copy(row.id, recipient, audience, week, originals), when)
        for recipient, when in waiting})


async def waiting_people(session: AsyncSession, broadcast_id: int) -> dict[int, datetime]:
    """The people whose copy of the broadcast waits whole (none of its rows sent or being
    sent), each with when its first row is due."""
    return (await copies_state(session, broadcast_id))[0]


async def copies_state(session: AsyncSession,
                       broadcast_id: int) -> tuple[dict[int, datetime], set[int]]:
    """``waiting_people``, and the people of whose copy a row left (sent, being sent,
    failed or dropped)."""
    found = (await session.execute(
        select(OutboxMessage.person_id, OutboxMessage.status, OutboxMessage.not_before)
        .where(OutboxMessage.group_key == group_key(broadcast_id),
               OutboxMessage.person_id.is_not(None)))).all()
    waiting = whole_waiting((person_id, status, not_before)
                            for person_id, status, not_before in found)
    return waiting, {person_id for person_id, _status, _due in found
                     if person_id not in waiting}


def whole_waiting(rows: Iterable[tuple[K, str, datetime]]) -> dict[K, datetime]:
    """Of (copy, status, due) rows (a copy: a person's rows of one broadcast, keyed by the
    person or by the broadcast), the copies none of whose rows left (a copy of which a part
    went out stays as it is), with when their first row is due."""
    due: dict[K, datetime] = {}
    left: set[K] = set()
    for key, status, not_before in rows:
        if status != outbox_repo.PENDING:
            left.add(key)
        due[key] = min(not_before, due.get(key, not_before))
    return {key: when for key, when in due.items() if key not in left}


async def waiting_copies(session: AsyncSession, person_id: int,
                         kind: str) -> list[tuple[Broadcast, datetime]]:
    """The broadcasts of that kind going out whose copy for the person waits whole (none of
    its rows sent or being sent: a copy of which a part went out stays as it is), each with
    when its first row is due."""
    found = (await session.execute(
        select(OutboxMessage.group_key, OutboxMessage.status, OutboxMessage.not_before)
        .where(OutboxMessage.person_id == person_id,
               OutboxMessage.group_key.startswith("broadcast:", autoescape=True)))).all()
    waiting = []
    for group, when in whole_waiting(
            (group, status, not_before) for group, status, not_before in found).items():
        row = await session.get(Broadcast, int(group.split(":")[1]))
        if row is not None and row.kind == kind and row.status == SENDING:
            waiting.append((row, when))
    return waiting


async def replace_copy(session: AsyncSession, person_id: int, broadcast_id: int,
                       messages: Sequence[NewMessage], when: datetime) -> int:
    """The person's waiting rows of the broadcast give way to ``messages``, due at ``when``
    (the morning their quiet hours held them for). 1 when replaced; 0 when there is nothing
    to send them now (their waiting rows go all the same: no stale copy)."""
    return await replace_copies(session, broadcast_id, {person_id: (messages, when)})


# Rows deleted and added per statement: far below any database's limit of parameters.
BATCH = 500


async def replace_copies(session: AsyncSession, broadcast_id: int,
                         copies: Mapping[int, tuple[Sequence[NewMessage], datetime | None]]) -> int:
    """Per person, their waiting rows of the broadcast give way to their new ones, due at
    when the old ones were; a person with nothing now just loses theirs. Rows the sender
    held for the morning ("quiet") stay marked so: the 🌙 of the progress line keeps
    counting them. Returns how many copies were made again."""
    key = group_key(broadcast_id)
    people = list(copies)
    held: set[int] = set()
    for start in range(0, len(people), BATCH):
        some = people[start:start + BATCH]
        waiting = (OutboxMessage.group_key == key, OutboxMessage.person_id.in_(some),
                   OutboxMessage.status == outbox_repo.PENDING)
        held |= {person_id for person_id in await session.scalars(
            select(OutboxMessage.person_id).where(*waiting, OutboxMessage.error == QUIET))
                 if person_id is not None}
        # Only rows still waiting go (a sender that claimed one meanwhile keeps it, and its
        # key keeps its new twin out).
        await session.execute(delete(OutboxMessage).where(*waiting)
                              .execution_options(synchronize_session=False))
    await outbox.enqueue_many(session, [replace(message, not_before=when)
                                        for messages, when in copies.values()
                                        for message in messages])
    still_held = sorted(held)
    for start in range(0, len(still_held), BATCH):
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.group_key == key,
                                        OutboxMessage.person_id.in_(
                                            still_held[start:start + BATCH]),
                                        OutboxMessage.status == outbox_repo.PENDING)
            .values(error=QUIET).execution_options(synchronize_session=False))
    return sum(1 for messages, _ in copies.values() if messages)


async def recipient_now(session: AsyncSession, person_id: int) -> Recipient | None:
    """The parent as a recipient now (language, schools), whoever the audience was."""
    person = await session.get(Person, person_id)
    if person is None:
        return None
    schools = frozenset(await session.scalars(
        select(PersonSchool.school_id).where(PersonSchool.person_id == person_id)))
    return Recipient(person.id, person.telegram_id, person.locale or DUTCH, schools,
                     bool(person.dutch_below))


def voice_payload(item: ProgrammeItem) -> dict[str, Any]:
    """An activity's voice message, captioned with its title so a parent knows which one."""
    assert item.voice_file_id is not None
    return {"file_id": item.voice_file_id, "caption": f"🎙 {item.title}"}


def mark_sending(row: Broadcast, messages: Sequence[NewMessage], status_chat_id: int,
                 status_message_id: int, now: datetime | None = None) -> None:
    """The draft has left: its rows are in the outbox, its progress line is that message. Its
    total counts recipients, as its progress does (``outbox.progress``). With nothing to
    send (nobody matches, or they all left since the preview) it is cancelled, not sent: no
    "done" that rings, no "already sent" for its week later."""
    if not messages:
        row.status = CANCELLED
        row.total = 0
        return
    row.status = SENDING
    row.total = len({message.chat_id for message in messages})
    row.started_at = now or utcnow()
    row.status_chat_id = status_chat_id
    row.status_message_id = status_message_id


def group_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


async def sending(session: AsyncSession) -> list[BroadcastView]:
    rows = await session.scalars(select(Broadcast).where(Broadcast.status == SENDING))
    return [_view(row) for row in rows]


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    return await outbox.progress(session, group_key(broadcast_id))


async def finish(session: AsyncSession, broadcast_id: int, figures: Progress) -> bool:
    """Record the figures of a broadcast that is done; False when another instance's round
    did so first (then that one tells the coordinator, not this one)."""
    result = await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == SENDING)
        .values(status=DONE, finished_at=utcnow(), sent=figures.sent,
                failed=figures.failed + figures.dropped, blocked=figures.blocked,
                stopped=figures.stopped)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)


async def recent(session: AsyncSession, limit: int = 10) -> list[BroadcastView]:
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.status.in_((SENDING, DONE)))
        .order_by(Broadcast.id.desc()).limit(limit)
    )
    return [_view(row) for row in rows]
