"""The coordinator's monthly report as plain data: counts only, never a name or an id.

Usage::

    month = Month.parse("2026-11")                      # ValueError when it is no month
    report = await build(session, month)                # figures of the month and the 5 before
    await note_erasure(session, person_row, now)        # from people.forget, before the rows go

What counts where (months and days are Brussels time):

- Reminders and RSVPs belong to the month their **occurrence** starts in. A parent is
  *reached* when a reminder of that occurrence was handed to the outbox and not refused or
  dropped there (status "sent"; a 403, a send given up or one that came too late makes it
  "undelivered").
- An occurrence called off (its day cancelled, or the whole activity before it began) counts
  nobody as coming: its answers are left out of every "coming", and the activities table
  marks it cancelled (its reminders and the parents they reached still count: they went out).
- Per school, a parent counts for each of their schools the activity was meant for (an
  activity for all schools: each of their schools); per language, by the language they chose.
- Questions belong to the month they were opened in; per school by the question's school. The
  times to a first answer are nearest-rank percentiles (bot/services/question_stats.py), in
  minutes; "escalated" counts the month's questions that went to the next candidate.
- Parents *joined* in the month they finished onboarding and *stopped* in the month of their
  /stop (a parent who came back no longer counts). /forget deletes every row about a parent,
  so it leaves counts in ``monthly_counts`` instead: "erased" in the month of the erasure,
  and "erased_joined"/"erased_stopped" in the months that parent had joined and stopped, so
  that past months keep those figures. Their reminders and answers are not kept, not even as
  counts (an erasure keeps no more than that it happened): a month's report made again after
  a /forget may count fewer parents reached or coming, and says how many parents it lacks
  ("erased_answers" in each month they had a reminder or an answer in).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.i18n import BRUSSELS, DEFAULT_LOCALE, SUPPORTED_LOCALES
from bot.services.programme import (
    DUTCH,
    ActivityData,
    Kind,
    Occurrence,
    activity_data,
    held_occurrences,
)
from bot.services.question_stats import QuestionFact, week_figures
from bot.services.reminders import SENT, Answer
from bot.services.roles import Role
from bot.services.rsvp import called_off, counts_children
from storage import claims
from storage.models import (
    Activity,
    MonthlyCount,
    Person,
    PersonSchool,
    Question,
    Reminder,
    Rsvp,
    School,
    Setting,
    school_ids_of,
)
from storage.outbox import dialect_name

MONTHS_SHOWN = 6  # the months table and the chart's trend: this month and the five before
ERASED, ERASED_JOINED, ERASED_STOPPED = "erased", "erased_joined", "erased_stopped"
# In a month: parents erased since whose reminders or answers of that month went with them.
ERASED_ANSWERS = "erased_answers"
# {"on": bool}; absent: on. With ":<chat id>": one coordinator's own switch (absent: this one).
MONTHLY_SETTING = "report:monthly"
# The automatic report of that month went out; with ":<chat id>": to that coordinator.
SENT_SETTING = "report:sent:{month}"


# --------------------------------------------------------------------------------------------
# months


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    _PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2026-11`` (or ``2026-1``); ValueError for anything else."""
        found = cls._PATTERN.match(text)
        if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo = BRUSSELS) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def previous(self) -> Month:
        return self.shifted(-1)

    def window(self, tz: ZoneInfo = BRUSSELS) -> tuple[datetime, datetime]:
        """Local midnight of the first day to that of the next month's, in aware UTC."""
        start = datetime.combine(self.first_day, time(), tz)
        end = datetime.combine(self.shifted(1).first_day, time(), tz)
        return start.astimezone(UTC), end.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# the figures


@dataclass(frozen=True)
class SchoolFigures:
    name: str
    parents_reached: int
    coming: int
    questions: int


@dataclass(frozen=True)
class LanguageFigures:
    locale: str
    parents_reached: int
    coming: int
    questions: int


@dataclass(frozen=True)
class OccurrenceFigures:
    starts_at: datetime  # aware UTC
    kind: Kind
    title_nl: str
    school_names: tuple[str, ...]  # empty when the activity is for all schools
    all_schools: bool
    reminders: int  # reminders handed to the outbox
    parents_reached: int
    coming: int
    maybe: int
    not_coming: int
    children: int  # announced with a "yes" (4+ counts as 4)
    all_day: bool = False  # whole days (a calendar's all-day event): no time to show
    # Called off (the day, or the whole activity before it): the answers above are 0.
    cancelled: bool = False
    # A "yes" without a number of children (yet): those children are not in ``children``.
    children_unsaid: int = 0
    # Moved to another day since its reminders went out: it was not held on this day, and
    # its answers went with it to the new one.
    moved: bool = False


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    parents_reached: int
    coming: int
    questions: int
    per_topic: Mapping[str, int] = field(hash=False)
    per_language: Mapping[str, int] = field(hash=False)
    answered: int = 0
    median_minutes: float | None = None  # None: nothing answered
    p90_minutes: float | None = None
    escalated: int = 0
    joined: int = 0
    stopped: int = 0
    erased: int = 0


@dataclass(frozen=True)
class Report:
    month: Month
    # Every school, for each of ``months`` (the same order): how each school went lately.
    school_months: list[list[SchoolFigures]]
    languages: list[LanguageFigures]
    occurrences: list[OccurrenceFigures]
    months: list[MonthFigures]  # oldest first; the last one is ``month``
    timezone: ZoneInfo = BRUSSELS  # of the months and the days above
    # Parents who erased their data (/forget) and had reminders or answers in ``month``:
    # those went with them, so a report made again counts fewer than the one made before.
    answers_erased: int = 0

    @property
    def this_month(self) -> MonthFigures:
        return self.months[-1]

    @property
    def schools(self) -> list[SchoolFigures]:
        """Every school, this month."""
        return self.school_months[-1]


# --------------------------------------------------------------------------------------------
# building it


@dataclass(frozen=True)
class _Sent:
    activity_id: int
    start: datetime
    person_id: int
    schools: set[int] | None = None  # the parent's then (None: a row from before 0022)
    locale: str | None = None  # the parent's language then (None: a row from before 0024)


@dataclass(frozen=True)
class _Answer:
    activity_id: int
    start: datetime
    person_id: int
    answer: str
    children: int
    schools: set[int] | None = None  # as _Sent's
    children_unsaid: bool = False  # a "yes" that did not say how many children
    locale: str | None = None  # as _Sent's


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def _schools_of(person_schools: set[int], data: ActivityData | None) -> set[int]:
    """The parent's schools the activity was meant for."""
    if data is None or data.all_schools:
        return set(person_schools)
    return person_schools & set(data.school_ids)


async def _activities(session: AsyncSession, start: datetime, end: datetime,
                      ids: Iterable[int]) -> dict[int, ActivityData]:
    """Activities that may occur in [start, end), and those named by reminders or RSVPs."""
    may_occur = and_(Activity.starts_at < end,
                     or_(Activity.rrule.is_not(None), Activity.starts_at >= start))
    # An activity moved since still owns the rows of its old occurrences.
    rows = await session.scalars(select(Activity).where(
        or_(may_occur, Activity.id.in_(sorted(set(ids))))))
    return {row.id: activity_data(row) for row in rows}


async def _parents(session: AsyncSession) -> tuple[dict[int, str], dict[int, set[int]]]:
    """Every person's language and schools (a few thousand rows at most)."""
    locales = {pid: locale or DEFAULT_LOCALE for pid, locale in
               (await session.execute(select(Person.id, Person.locale))).all()}
    schools: dict[int, set[int]] = defaultdict(set)
    for pid, sid in (await session.execute(
            select(PersonSchool.person_id, PersonSchool.school_id))).all():
        schools[pid].add(sid)
    return locales, schools


async def _counters(session: AsyncSession, months: list[Month]) -> Counter[tuple[str, str]]:
    rows = await session.execute(select(MonthlyCount.month, MonthlyCount.kind, MonthlyCount.count)
                                 .where(MonthlyCount.month.in_([str(m) for m in months])))
    return Counter({(month, kind): int(count) for month, kind, count in rows.all()})


async def _parents_per_month(session: AsyncSession, column: InstrumentedAttribute[Any],
                             start: datetime, end: datetime, tz: ZoneInfo) -> Counter[Month]:
    """Parents per month of a moment on their row (onboarded_at, stopped_at)."""
    moments = await session.scalars(select(column).where(
        Person.role == Role.PARENT.value, column >= start, column < end))
    return Counter(Month.of(moment, tz) for moment in moments)


async def build(session: AsyncSession, month: Month, tz: ZoneInfo = BRUSSELS,
                months_shown: int = MONTHS_SHOWN) -> Report:
    """The figures of ``month``, and the months table from ``months_shown - 1`` before it."""
    months = [month.shifted(i) for i in range(1 - months_shown, 1)]
    range_start, range_end = months[0].window(tz)[0], month.window(tz)[1]
    month_start, month_end = month.window(tz)

    reminders = [_Sent(a, s, p, school_ids_of(ids), loc) for a, s, p, ids, loc in (
        await session.execute(
        select(Reminder.activity_id, Reminder.occurrence_start, Reminder.person_id,
               Reminder.school_ids, Reminder.locale)
        .where(Reminder.status == SENT, Reminder.occurrence_start >= range_start,
               Reminder.occurrence_start < range_end))).all()]
    answers = [_Answer(a, s, p, answer, int(children or 0), school_ids_of(ids),
                       children is None, loc)
               for a, s, p, answer, children, ids, loc in (await session.execute(
                   select(Rsvp.activity_id, Rsvp.occurrence_start, Rsvp.person_id, Rsvp.answer,
                          Rsvp.children, Rsvp.school_ids, Rsvp.locale)
                   .where(Rsvp.occurrence_start >= range_start,
                          Rsvp.occurrence_start < range_end))).all()]
    questions = (await session.execute(
        select(Question.school_id, Question.locale, Question.topic, Question.opened_at,
               Question.first_answer_at, Question.escalated_at)
        .where(Question.opened_at.is_not(None), Question.opened_at >= range_start,
               Question.opened_at < range_end))).all()
    locales, person_schools = await _parents(session)
    activities = await _activities(session, month_start, month_end,
                                   [r.activity_id for r in reminders]
                                   + [a.activity_id for a in answers])
    schools = list(await session.scalars(select(School).order_by(School.id)))
    # Answers to an occurrence that did not take place bring nobody (see the module's notes).
    off = {(x.activity_id, x.start) for x in (*answers, *reminders)
           if (data := activities.get(x.activity_id)) is not None
           and called_off(data, x.start, tz)}
    held = [a for a in answers if (a.activity_id, a.start) not in off]

    def in_month(moment: datetime) -> bool:
        return month_start <= moment < month_end

    # Per language: this month only, in the language the parent had then (today's for rows
    # from before that was kept).
    reached_locale: dict[str, set[int]] = defaultdict(set)
    for r in reminders:
        if in_month(r.start):
            reached_locale[r.locale or locales.get(r.person_id, DEFAULT_LOCALE)].add(
                r.person_id)
    # Parents, as "reached": one who said yes to two sessions counts once.
    coming_locale: dict[str, set[int]] = defaultdict(set)
    for a in held:
        if in_month(a.start) and a.answer == Answer.YES.value:
            coming_locale[a.locale or locales.get(a.person_id, DEFAULT_LOCALE)].add(
                a.person_id)
    asked_locale = Counter(q.locale for q in questions if in_month(q.opened_at))
    seen_locales = set(reached_locale) | set(coming_locale) | set(asked_locale)
    locale_order = list(SUPPORTED_LOCALES) + sorted(seen_locales - set(SUPPORTED_LOCALES))
    language_figures = [LanguageFigures(loc, len(reached_locale[loc]), len(coming_locale[loc]),
                                        asked_locale[loc]) for loc in locale_order]

    return Report(
        month=month,
        school_months=[_school_figures(schools, m.window(tz), reminders, held, questions,
                                       person_schools, activities) for m in months],
        languages=language_figures,
        occurrences=_occurrence_figures(
            [r for r in reminders if in_month(r.start)], [a for a in answers if in_month(a.start)],
            activities, {s.id: s.name for s in schools}, month_start, month_end, tz,
            {key for key in off if in_month(key[1])}),
        months=await _month_figures(session, months, reminders, held, questions, tz),
        timezone=tz,
        answers_erased=int(await session.scalar(select(MonthlyCount.count).where(
            MonthlyCount.kind == ERASED_ANSWERS, MonthlyCount.month == str(month))) or 0),
    )


def _school_figures(schools: Sequence[School], window: tuple[datetime, datetime],
                    reminders: list[_Sent], answers: list[_Answer],
                    questions: Sequence[Row[Any]], person_schools: dict[int, set[int]],
                    activities: dict[int, ActivityData]) -> list[SchoolFigures]:
    """Per school, of the occurrences and questions in ``window``: the parents a reminder
    reached and those coming, counted for the schools of theirs the activity was for (their
    schools then, kept with the reminder and the answer: a child who changed school since
    does not change a past month; today's for rows from before they were kept), and the
    questions asked."""
    start, end = window
    reached: dict[int, set[int]] = defaultdict(set)
    for r in reminders:
        if start <= r.start < end:
            then = r.schools if r.schools is not None else person_schools.get(r.person_id, set())
            for school_id in _schools_of(then, activities.get(r.activity_id)):
                reached[school_id].add(r.person_id)
    coming: dict[int, set[int]] = defaultdict(set)
    for a in answers:
        if start <= a.start < end and a.answer == Answer.YES.value:
            then = a.schools if a.schools is not None else person_schools.get(a.person_id, set())
            for school_id in _schools_of(then, activities.get(a.activity_id)):
                coming[school_id].add(a.person_id)
    asked = Counter(q.school_id for q in questions
                    if start <= q.opened_at < end and q.school_id is not None)
    return [SchoolFigures(s.name, len(reached[s.id]), len(coming[s.id]), asked[s.id])
            for s in schools]


def _occurrence_figures(reminders: list[_Sent], answers: list[_Answer],
                        activities: dict[int, ActivityData], school_names: dict[int, str],
                        start: datetime, end: datetime, tz: ZoneInfo,
                        off: Collection[tuple[int, datetime]] = ()) -> list[OccurrenceFigures]:
    """Every occurrence of the month: those of the programme, and any other that reminders
    went out for or parents answered (moved or cancelled since), soonest first. Those in
    ``off`` were called off: marked cancelled, with nobody coming, maybe or not (their
    answers were to a day that did not take place)."""
    held = {(data_id, o.starts_at) for data_id, data in activities.items()
            for o in held_occurrences(data, start, end, tz)}
    keys = set(held)
    sent = Counter((r.activity_id, r.start) for r in reminders)
    reached: dict[tuple[int, datetime], set[int]] = defaultdict(set)
    for r in reminders:
        reached[(r.activity_id, r.start)].add(r.person_id)
    keys |= set(sent) | {(a.activity_id, a.start) for a in answers}
    answers = [a for a in answers if (a.activity_id, a.start) not in off]
    said = Counter((a.activity_id, a.start, a.answer) for a in answers)
    children: Counter[tuple[int, datetime]] = Counter()
    unsaid: Counter[tuple[int, datetime]] = Counter()
    for a in answers:
        if a.answer == Answer.YES.value:
            children[(a.activity_id, a.start)] += a.children
            unsaid[(a.activity_id, a.start)] += a.children_unsaid
    found = []
    for activity_id, starts_at in keys:
        data = activities.get(activity_id)
        if data is None:  # deleted since: its rows went with it
            continue
        dutch = data.texts.get(DUTCH)
        key = (activity_id, starts_at)
        found.append(OccurrenceFigures(
            starts_at=starts_at, kind=data.kind,
            title_nl=dutch.title if dutch else data.external_id,
            school_names=() if data.all_schools else tuple(
                school_names[i] for i in data.school_ids if i in school_names),
            all_schools=data.all_schools, reminders=sent[key],
            # Every occurrence keeps the first one's wall-clock hours: midnight to midnight.
            all_day=Occurrence(data.starts_at, data.ends_at).all_day(tz),
            parents_reached=len(reached[key]), coming=said[(*key, Answer.YES.value)],
            maybe=said[(*key, Answer.MAYBE.value)], not_coming=said[(*key, Answer.NO.value)],
            children=children[key], cancelled=key in off,
            children_unsaid=unsaid[key] if counts_children(data.kind) else 0,
            moved=key not in held and key not in off))
    return sorted(found, key=lambda f: (f.starts_at, f.title_nl))


async def _month_figures(session: AsyncSession, months: list[Month], reminders: list[_Sent],
                         answers: list[_Answer], questions: Sequence[Row[Any]],
                         tz: ZoneInfo) -> list[MonthFigures]:
    range_start, range_end = months[0].window(tz)[0], months[-1].window(tz)[1]
    reached: dict[Month, set[int]] = defaultdict(set)
    for r in reminders:
        reached[Month.of(r.start, tz)].add(r.person_id)
    coming: dict[Month, set[int]] = defaultdict(set)
    for a in answers:
        if a.answer == Answer.YES.value:
            coming[Month.of(a.start, tz)].add(a.person_id)
    facts: dict[Month, list[QuestionFact]] = defaultdict(list)
    escalated: Counter[Month] = Counter()
    for q in questions:
        opened = Month.of(q.opened_at, tz)
        facts[opened].append(QuestionFact(q.topic, q.locale, q.opened_at, q.first_answer_at))
        if q.escalated_at is not None:
            escalated[opened] += 1
    joined = await _parents_per_month(session, Person.onboarded_at, range_start, range_end, tz)
    stopped = await _parents_per_month(session, Person.stopped_at, range_start, range_end, tz)
    counts = await _counters(session, months)
    result = []
    for m in months:
        figures = week_figures(facts[m])
        result.append(MonthFigures(
            month=m, parents_reached=len(reached[m]), coming=len(coming[m]),
            questions=figures.total, per_topic=figures.per_topic,
            per_language=figures.per_language, answered=figures.answered,
            median_minutes=_minutes(figures.median_first_answer),
            p90_minutes=_minutes(figures.p90_first_answer), escalated=escalated[m],
            joined=joined[m] + counts[(str(m), ERASED_JOINED)],
            stopped=stopped[m] + counts[(str(m), ERASED_STOPPED)],
            erased=counts[(str(m), ERASED)]))
    return result


# --------------------------------------------------------------------------------------------
# counters (no ids: a month, a kind, a number)


async def increment(session: AsyncSession, month: Month, kind: str, by: int = 1) -> None:
    """Add to a counter in one statement (two erasures at once never lose one)."""
    insert = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    statement = insert(MonthlyCount).values(month=str(month), kind=kind, count=by)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["month", "kind"],
        set_={"count": MonthlyCount.count + statement.excluded.count}))


async def note_erasure(session: AsyncSession, person: Person, now: datetime,
                       tz: ZoneInfo = BRUSSELS) -> None:
    """A parent who had joined erases their data: count it, and keep the months they joined
    and stopped in, which their rows can no longer tell, and the months whose reminders or
    answers of theirs go (a report made again says how many parents it lacks)."""
    if person.role != Role.PARENT.value or person.onboarded_at is None:
        return
    await increment(session, Month.of(now, tz), ERASED)
    starts = set(await session.scalars(select(Reminder.occurrence_start).where(
        Reminder.person_id == person.id, Reminder.status == SENT)))
    starts |= set(await session.scalars(select(Rsvp.occurrence_start).where(
        Rsvp.person_id == person.id)))
    for month in sorted({Month.of(start, tz) for start in starts}):
        await increment(session, month, ERASED_ANSWERS)
    await increment(session, Month.of(person.onboarded_at, tz), ERASED_JOINED)
    if person.stopped_at is not None:
        await increment(session, Month.of(person.stopped_at, tz), ERASED_STOPPED)


# --------------------------------------------------------------------------------------------
# the automatic report on the first of the month


def _monthly_key(chat_id: int | None) -> str:
    return MONTHLY_SETTING if chat_id is None else f"{MONTHLY_SETTING}:{chat_id}"


async def monthly_enabled(session: AsyncSession, chat_id: int | None = None) -> bool:
    """Whether the coordinator in ``chat_id`` gets the report by itself: their own switch,
    else the one switch of before every coordinator had their own (None: that one)."""
    row = await session.get(Setting, _monthly_key(chat_id))
    if row is None:
        return True if chat_id is None else await monthly_enabled(session)
    return bool(json.loads(row.value).get("on", True))


async def set_monthly(session: AsyncSession, on: bool, chat_id: int | None = None) -> None:
    """The coordinator's own switch (None: the default of those who never used theirs)."""
    key = _monthly_key(chat_id)
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=json.dumps({"on": on})))
    else:
        row.value = json.dumps({"on": on})
    await session.flush()


def _sent_key(month: Month, chat_id: int | None) -> str:
    key = SENT_SETTING.format(month=month)
    return key if chat_id is None else f"{key}:{chat_id}"


async def release_monthly(session: AsyncSession, month: Month,
                          chat_id: int | None = None) -> None:
    """Give the claim back: the report did not reach them, the next round tries again."""
    await claims.release(session, _sent_key(month, chat_id))


async def claim_monthly(session: AsyncSession, month: Month, chat_id: int | None = None) -> bool:
    """True once per month and coordinator (``chat_id``), whichever instance asks first: the
    row is the claim. False for everyone when the month went out to all at once before each
    coordinator had their own claim (the claim without ``chat_id``)."""
    if chat_id is not None and await session.get(Setting, _sent_key(month, None)) is not None:
        return False
    return await claims.claim(session, _sent_key(month, chat_id))
