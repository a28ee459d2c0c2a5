"""The programme: activities, their recurrence, and the week's programme of a parent.

Usage::

    week = next_week_start(today)                        # the coming Monday
    items = await week_programme(session, parent.school_ids, parent.locale, week)
    for item in items:                                   # sorted by start, aware UTC times
        ... item.title, item.title_is_dutch_fallback, item.place.name ...

A recurring activity is entered once, with an RFC 5545 RRULE (without DTSTART) such as
``FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630``. It is expanded with dateutil in local time
(Europe/Brussels) from the activity's first start, so a weekly 14:00 workshop stays at 14:00
when summer time ends. An ``UNTIL`` written as a date includes that whole day.

A cancelled occurrence is remembered by its start; it cancels the occurrence on that local
day, so the cancellation still holds when the coordinator later moves the activity to
another hour.

Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, DEFAULT_LOCALE, SUPPORTED_LOCALES
from storage import programme as repo
from storage.models import Activity, ActivityCancellation, ActivitySchool, ActivityText, utcnow

DUTCH = DEFAULT_LOCALE  # the coordinator's language: every activity has a Dutch title


class Kind(StrEnum):
    OUDERBABBEL = "ouderbabbel"
    WORKSHOP = "workshop"
    OPEN_ACTIVITY = "open_activity"
    HOLIDAY_ACTIVITY = "holiday_activity"
    OTHER = "other"


@dataclass(frozen=True)
class Place:
    name: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class LocalText:
    """Title and description in one language; an empty field means "not translated"."""

    title: str = ""
    description: str = ""


# The external id of an activity made in the bot (/activity), never in a file: "bot-12".
MADE_IN_BOT = "bot-"


@dataclass(frozen=True)
class ActivityData:
    """An activity as plain data: what the importer produces and the recurrence reads."""

    external_id: str
    kind: Kind
    starts_at: datetime  # aware; the first occurrence
    ends_at: datetime
    rrule: str | None = None
    all_schools: bool = False
    school_codes: tuple[str, ...] = ()
    place: Place = Place()
    # locale -> text; only languages with some text are present.
    texts: Mapping[str, LocalText] = field(default_factory=dict, hash=False)
    # Starts (aware) of cancelled occurrences.
    cancelled_starts: frozenset[datetime] = frozenset()
    cancelled: bool = False  # the whole activity is off
    id: int | None = None
    school_ids: tuple[int, ...] = ()
    # locale -> Telegram file_id of a voice message in that language (parents who read little).
    voices: Mapping[str, str] = field(default_factory=dict, hash=False)
    # When the whole activity was called off: the occurrences before it took place (the
    # report counts them).
    cancelled_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Occurrence:
    starts_at: datetime  # aware UTC
    ends_at: datetime

    def last_call(self, tz: tzinfo = BRUSSELS) -> datetime:
        """Until when a reminder still makes sense and an answer may change: its start; for
        whole days, its end (a play day "starts" at midnight and runs all day: the reminder
        held by the night's quiet hours goes in the morning, and a parent may still say
        she comes)."""
        return self.ends_at if self.all_day(tz) else self.starts_at

    def all_day(self, tz: tzinfo = BRUSSELS) -> bool:
        """Whole days, midnight to midnight (a calendar's all-day event): no hours to show,
        no "in two hours" reminder (it would come at 22:00 the evening before)."""
        first, last = self.starts_at.astimezone(tz), self.ends_at.astimezone(tz)
        return first.time() == last.time() == time(0) and last > first


@dataclass(frozen=True)
class ProgrammeItem:
    """One occurrence of an activity, in the reader's language."""

    activity_id: int
    external_id: str
    kind: Kind
    starts_at: datetime  # aware UTC
    ends_at: datetime
    place: Place
    title: str
    description: str
    # True when the reader's language had no text and the Dutch one is shown instead.
    title_is_dutch_fallback: bool
    description_is_dutch_fallback: bool
    all_schools: bool
    school_ids: tuple[int, ...]
    # The voice message in the reader's own language, if any (never another language's).
    voice_file_id: str | None = None

    def all_day(self, tz: tzinfo = BRUSSELS) -> bool:
        """A calendar's whole-day event: said by its day alone, never "00:00"."""
        return Occurrence(self.starts_at, self.ends_at).all_day(tz)


@dataclass(frozen=True)
class MissingTranslation:
    activity_id: int
    external_id: str
    title_nl: str
    missing_locales: tuple[str, ...]
    next_start: datetime  # aware UTC: the overview shows the most urgent first


# Sub-daily rules would flood a parent's week; the programme has none.
_FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_UNTIL = re.compile(r"(?<![A-Z])UNTIL=([0-9TZ]+)")
_FREQ = re.compile(r"(?:^|;)FREQ=([A-Z]+)(?:;|$)")


def normalise_rrule(text: str) -> str:
    """``rrule:freq=weekly; byday=we`` -> ``FREQ=WEEKLY;BYDAY=WE``."""
    cleaned = re.sub(r"\s+", "", text).upper()
    return cleaned.removeprefix("RRULE:")


def _local_until(value: str, tz: ZoneInfo) -> str:
    """UNTIL as a naive local time: dateutil expands the rule in naive local time."""
    if len(value) == 8:  # a DATE: the whole day is included
        moment = datetime.strptime(value, "%Y%m%d") + timedelta(days=1, seconds=-1)
    elif value.endswith("Z"):
        utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        moment = utc.astimezone(tz).replace(tzinfo=None)
    else:
        moment = datetime.strptime(value, "%Y%m%dT%H%M%S")
    return moment.strftime("%Y%m%dT%H%M%S")


def until_whole_day(text: str, start: time, tz: ZoneInfo = BRUSSELS) -> str:
    """The rule of a series that now starts at ``start``: an UNTIL date-time earlier in its
    day than that becomes its local day (the whole day included). Outlook writes UNTIL as
    the last occurrence's start, so a series moved to a later hour would lose its last day.
    Other rules as they are."""
    def day(match: re.Match[str]) -> str:
        local = _local_until(match.group(1), tz)
        if local[9:13] >= start.strftime("%H%M"):
            return match.group(0)
        return "UNTIL=" + local[:8]

    return _UNTIL.sub(day, text)


@functools.lru_cache(maxsize=1024)
def recurrence_rule(text: str, first_start: datetime, tz: ZoneInfo = BRUSSELS) -> rrule:
    """The dateutil rule of an RRULE value, starting at ``first_start`` in local time.

    Raises ValueError for anything that is not a single daily, weekly, monthly or yearly rule.
    Remembered: parsing a rule costs more than expanding it, and every /week and reminder
    expands the same few rules (a rule is only read, never changed, so sharing is safe).
    """
    rule_text = normalise_rrule(text)
    if not rule_text or "DTSTART" in rule_text or ":" in rule_text:
        raise ValueError(f"not a bare RRULE value: {text!r}")
    freq = _FREQ.search(rule_text)
    if freq is None or freq.group(1) not in _FREQUENCIES:
        raise ValueError(f"FREQ must be one of {sorted(_FREQUENCIES)}: {text!r}")
    rule_text = _UNTIL.sub(lambda m: "UNTIL=" + _local_until(m.group(1), tz), rule_text)
    local_start = first_start.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(rule_text, dtstart=local_start, cache=False)
    if not isinstance(rule, rrule):
        raise ValueError(f"not a single rule: {text!r}")
    return rule


def _aware(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC)


def skipped_by_clocks(day: date, clock: time, tz: ZoneInfo = BRUSSELS) -> bool:
    """Whether no clock shows ``clock`` on ``day``: the night summer time starts, Brussels
    goes from 2:00 straight to 3:00. Such a start would be stored an hour late, and an end
    at 3:00 would come before it."""
    local = datetime.combine(day, clock, tz)
    return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(
        tzinfo=None)


def _starts_between(
    activity: ActivityData, lo: datetime, hi: datetime, tz: ZoneInfo
) -> list[datetime]:
    """Candidate starts (aware UTC) around [lo, hi); the caller makes the exact cut."""
    if activity.rrule is None:
        return [activity.starts_at.astimezone(UTC)]
    rule = recurrence_rule(activity.rrule, activity.starts_at, tz)
    # Naive local bounds, widened by a day so a DST shift never drops an occurrence.
    local_lo = lo.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    local_hi = hi.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    return [_aware(local, tz) for local in rule.between(local_lo, local_hi, inc=True)]


def occurrences(
    activity: ActivityData,
    window_start: datetime,
    window_end: datetime,
    tz: ZoneInfo = BRUSSELS,
) -> list[Occurrence]:
    """The occurrences starting in [window_start, window_end), each as long as the first on
    the wall clock: a sleep-over from 19:00 to 09:00 still ends at 09:00 the night the clocks
    change (an hour more or less of it).

    Cancelled occurrences are left out; a cancelled activity has none.
    """
    if activity.cancelled:
        return []
    cancelled_days = {moment.astimezone(tz).date() for moment in activity.cancelled_starts}
    return [
        Occurrence(start, _end_of(activity, start, tz))
        for start in _starts_between(activity, window_start, window_end, tz)
        if window_start <= start < window_end
        and start.astimezone(tz).date() not in cancelled_days
    ]


def occurrence_at(activity: ActivityData, start: datetime,
                  tz: ZoneInfo = BRUSSELS) -> Occurrence | None:
    """The occurrence that starts at ``start``, or None: the day was cancelled, or the
    activity no longer takes place then (moved, or never did)."""
    found = occurrences(activity, start, start + timedelta(seconds=1), tz)
    return found[0] if found else None


def _end_of(activity: ActivityData, start: datetime, tz: ZoneInfo) -> datetime:
    if start == activity.starts_at:
        return activity.ends_at
    duration = activity.ends_at - activity.starts_at
    wall = (activity.ends_at.astimezone(tz).replace(tzinfo=None)
            - activity.starts_at.astimezone(tz).replace(tzinfo=None))
    end = _aware(start.astimezone(tz).replace(tzinfo=None) + wall, tz)
    return end if end > start else start + duration  # an end the clocks skipped


def held_occurrences(activity: ActivityData, window_start: datetime, window_end: datetime,
                     tz: ZoneInfo = BRUSSELS) -> list[Occurrence]:
    """As ``occurrences``, but a whole activity called off keeps those that began before it
    was: they took place (the report counts them)."""
    if not activity.cancelled or activity.cancelled_at is None:
        return occurrences(activity, window_start, window_end, tz)
    return occurrences(replace(activity, cancelled=False), window_start,
                       min(window_end, activity.cancelled_at), tz)


def occurrence_on(activity: ActivityData, day: date, tz: ZoneInfo = BRUSSELS) -> datetime | None:
    """The start (aware UTC) of the activity's first occurrence on a local day, cancelled or not."""
    start = datetime.combine(day, time(), tz)
    found = occurrences(
        replace(activity, cancelled=False, cancelled_starts=frozenset()),
        start.astimezone(UTC),
        (start + timedelta(days=1)).astimezone(UTC),
        tz,
    )
    return found[0].starts_at if found else None


def next_occurrence(
    activity: ActivityData, since: datetime, tz: ZoneInfo = BRUSSELS
) -> Occurrence | None:
    """The first occurrence starting at or after ``since`` that is not cancelled."""
    if activity.cancelled:
        return None
    if activity.rrule is None:
        found = occurrences(activity, since, activity.starts_at + timedelta(seconds=1), tz)
        return found[0] if found else None
    rule = recurrence_rule(activity.rrule, activity.starts_at, tz)
    cancelled_days = {moment.astimezone(tz).date() for moment in activity.cancelled_starts}
    local_since = since.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    # Ends: only finitely many days are cancelled (or the rule itself ends).
    for local in rule.xafter(local_since, inc=True):
        start = _aware(local, tz)
        if start >= since and start.astimezone(tz).date() not in cancelled_days:
            # Its end on the wall clock, as occurrences() gives it (the night the clocks
            # change, the sleep-over still ends at 09:00).
            return Occurrence(start, _end_of(activity, start, tz))
    return None


def running_at(activity: ActivityData, moment: datetime,
               tz: ZoneInfo = BRUSSELS) -> list[Occurrence]:
    """The occurrences that began before ``moment`` and end after it: a camp of several days
    on its Wednesday, a weekly sleep-over on its Sunday morning."""
    span = activity.ends_at - activity.starts_at
    if span <= timedelta(0) or activity.starts_at >= moment:
        return []
    # Widened by the hour a clock change may add to one occurrence.
    return [found for found in occurrences(activity, moment - span - timedelta(hours=1),
                                           moment, tz)
            if found.starts_at < moment < found.ends_at]


def next_week_start(today: date) -> date:
    """The coming Monday (tomorrow on a Sunday; a week later on a Monday)."""
    return today + timedelta(days=7 - today.weekday())


def week_window(week_start: date, tz: ZoneInfo = BRUSSELS) -> tuple[datetime, datetime]:
    """Local midnight of ``week_start`` to the Monday after it, in aware UTC: seven days from
    a Monday, the rest of the week from another day (a broadcast of "this week")."""
    start = datetime.combine(week_start, time(), tz)
    end = datetime.combine(next_week_start(week_start), time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def week_monday(day: date) -> date:
    """The Monday of the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def _kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:  # a kind from a newer version of the bot
        return Kind.OTHER


def activity_data(activity: Activity | repo.ActivityRecord) -> ActivityData:
    """An activity as plain data: an ORM row (its relations loaded with it) or a record."""
    record = activity if isinstance(activity, repo.ActivityRecord) else repo.record_of(activity)
    row = record.row
    return ActivityData(
        id=row.id,
        external_id=row.external_id,
        kind=_kind(row.kind),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        rrule=row.rrule,
        all_schools=row.all_schools,
        school_codes=tuple(sorted(code for _id, code in record.schools)),
        school_ids=tuple(sorted(school_id for school_id, _code in record.schools)),
        place=Place(row.place_name, row.place_address, row.latitude, row.longitude),
        texts={t.locale: LocalText(t.title, t.description) for t in record.texts},
        cancelled_starts=frozenset(record.cancelled_starts),
        cancelled=row.cancelled_at is not None,
        voices={t.locale: t.voice_file_id for t in record.texts if t.voice_file_id},
        cancelled_at=row.cancelled_at,
    )


def _in_locale(
    texts: Mapping[str, LocalText], locale: str | None
) -> tuple[str, str, bool, bool]:
    """Title, description, and per field whether the Dutch text stands in."""
    locale = locale or DUTCH  # a parent who has not chosen yet reads Dutch
    dutch = texts.get(DUTCH, LocalText())
    own = texts.get(locale, LocalText())
    title_fallback = not own.title and bool(dutch.title) and locale != DUTCH
    description_fallback = (
        not own.description and bool(dutch.description) and locale != DUTCH
    )
    return (
        dutch.title if title_fallback else own.title,
        dutch.description if description_fallback else own.description,
        title_fallback,
        description_fallback,
    )


def title_in(texts: Mapping[str, LocalText], locale: str | None) -> str:
    """The title in the reader's language, the Dutch one where it has none."""
    return _in_locale(texts, locale)[0]


def programme_item(
    activity: ActivityData, occurrence: Occurrence, locale: str | None
) -> ProgrammeItem:
    title, description, title_fallback, description_fallback = _in_locale(activity.texts, locale)
    return ProgrammeItem(
        activity_id=activity.id or 0,
        external_id=activity.external_id,
        kind=activity.kind,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        place=activity.place,
        title=title,
        description=description,
        title_is_dutch_fallback=title_fallback,
        description_is_dutch_fallback=description_fallback,
        all_schools=activity.all_schools,
        school_ids=activity.school_ids,
        voice_file_id=activity.voices.get(locale or DUTCH),
    )


def voiced(items: Iterable[ProgrammeItem]) -> list[ProgrammeItem]:
    """The items whose activity has a voice message in the reader's language, in order;
    once per activity (a weekly workshop's voice is heard once, not every time)."""
    seen: set[int] = set()
    found = []
    for item in items:
        if item.voice_file_id and item.activity_id not in seen:
            seen.add(item.activity_id)
            found.append(item)
    return found


async def programme_between(
    session: AsyncSession,
    school_ids: Iterable[int],
    locale: str | None,
    start: datetime,
    end: datetime,
    tz: ZoneInfo = BRUSSELS,
    *,
    running: bool = False,
) -> list[ProgrammeItem]:
    """Occurrences starting in [start, end) for these schools (and all schools), by start.
    ``running``: also an activity of several days that began before ``start`` and still runs
    then (a play week, on its Wednesday)."""
    items = [
        programme_item(data, occurrence, locale)
        for row in await repo.for_schools(session, school_ids, start, end)
        for data in [activity_data(row)]
        for occurrence in [*occurrences(data, start, end, tz),
                           *(running_at(data, start, tz) if running else ())]
    ]
    return sorted(items, key=lambda item: (item.starts_at, item.activity_id))


async def week_programme(
    session: AsyncSession,
    school_ids: Iterable[int],
    locale: str | None,
    week_start: date,
    tz: ZoneInfo = BRUSSELS,
) -> list[ProgrammeItem]:
    """The week from ``week_start`` (a Monday, or a later day of that week: its rest) for a
    parent of these schools, in their language."""
    start, end = week_window(week_start, tz)
    return await programme_between(session, school_ids, locale, start, end, tz)


def missing_locales(texts: Mapping[str, LocalText]) -> tuple[str, ...]:
    """Languages lacking a title, or a description where the Dutch text has one."""
    dutch = texts.get(DUTCH, LocalText())
    missing = []
    for locale in SUPPORTED_LOCALES:
        own = texts.get(locale, LocalText())
        if locale != DUTCH and (not own.title or (dutch.description and not own.description)):
            missing.append(locale)
    return tuple(missing)


async def missing_translations(
    session: AsyncSession, from_date: date, tz: ZoneInfo = BRUSSELS
) -> list[MissingTranslation]:
    """Activities still to come from ``from_date`` on that lack a translation, soonest first."""
    since = datetime.combine(from_date, time(), tz).astimezone(UTC)
    found = []
    for row in await repo.active_since(session, since):
        data = activity_data(row)
        missing = missing_locales(data.texts)
        if not missing:
            continue
        upcoming = next_occurrence(data, since, tz)
        if upcoming is None:
            continue
        title_nl = data.texts.get(DUTCH, LocalText()).title
        found.append(
            MissingTranslation(data.id or 0, data.external_id, title_nl, missing,
                               upcoming.starts_at)
        )
    return sorted(found, key=lambda m: (m.next_start, m.activity_id))


async def upcoming(
    session: AsyncSession, now: datetime, tz: ZoneInfo = BRUSSELS
) -> list[tuple[ActivityData, Occurrence]]:
    """Activities that are not cancelled and still have an occurrence to come, each with its
    next one, soonest first."""
    found = []
    for row in await repo.active_since(session, now):
        data = activity_data(row)
        coming = next_occurrence(data, now, tz)
        if coming is not None:
            found.append((data, coming))
    return sorted(found, key=lambda pair: (pair[1].starts_at, pair[0].id or 0))


def write_texts(
    row: Activity, texts: Mapping[str, LocalText], voices: Mapping[str, str]
) -> None:
    """Make the row's titles, descriptions and voice messages exactly these. Each language
    keeps its row (a delete and re-insert would clash on the unique pair); a row left with
    nothing at all goes."""
    by_locale = {text.locale: text for text in row.texts}
    for locale in sorted(set(by_locale) | set(texts) | set(voices)):
        wanted, voice = texts.get(locale, LocalText()), voices.get(locale) or None
        found = by_locale.get(locale)
        if found is None:
            row.texts.append(ActivityText(locale=locale, title=wanted.title,
                                          description=wanted.description, voice_file_id=voice))
        else:
            found.title, found.description = wanted.title, wanted.description
            found.voice_file_id = voice
    row.texts[:] = [t for t in row.texts if t.title or t.description or t.voice_file_id]


async def set_voices(session: AsyncSession, external_id: str, voices: Mapping[str, str]) -> None:
    """Give an activity (just created by the importer) its voice messages."""
    row = (await repo.by_external_ids(session, [external_id]))[external_id]
    write_texts(row, {t.locale: LocalText(t.title, t.description) for t in row.texts}, voices)
    await session.flush()


async def update_activity(session: AsyncSession, activity_id: int, data: ActivityData) -> None:
    """Rewrite what /activity edits, in place: the id and external id stay, so a later file
    import with that id still updates this activity. Kind, times, schools, place, texts and
    voices change; the repeat rule, the cancelled days and (unless the place changed) the
    coordinates stay. Raises LookupError for an unknown activity."""
    row = await _row(session, activity_id)
    row.kind = data.kind.value
    row.starts_at, row.ends_at = data.starts_at, data.ends_at
    if (row.place_name, row.place_address) != (data.place.name, data.place.address):
        row.place_name, row.place_address = data.place.name, data.place.address
        row.latitude = row.longitude = None  # they were the old place's
    row.all_schools = data.all_schools
    schools = await repo.schools_by_code(session)
    wanted = set() if data.all_schools else {
        schools[code].id for code in data.school_codes if code in schools}
    current = {link.school_id for link in row.schools}
    if wanted != current:
        # Keep the links that stay: deleting and re-adding one would clash on the unique pair.
        row.schools[:] = [link for link in row.schools if link.school_id in wanted] + [
            ActivitySchool(school=school) for _code, school in sorted(schools.items())
            if school.id in wanted - current]
    write_texts(row, data.texts, data.voices)
    row.updated_at = utcnow()
    await session.flush()


async def _row(session: AsyncSession, activity_id: int) -> Activity:
    row = await repo.by_id(session, activity_id)
    if row is None:
        raise LookupError(activity_id)
    return row


async def cancel_occurrence(
    session: AsyncSession, activity_id: int, occurrence_start: datetime, tz: ZoneInfo = BRUSSELS
) -> bool:
    """Cancel the occurrence on ``occurrence_start``'s local day; False if it already was.

    Raises LookupError for an unknown activity, ValueError when it does not occur that day.
    """
    row = await _row(session, activity_id)
    data = activity_data(row)
    day = occurrence_start.astimezone(tz).date()
    start = occurrence_on(data, day, tz)
    if start is None:
        raise ValueError(f"activity {activity_id} does not occur on {day}")
    if any(c.astimezone(tz).date() == day for c in data.cancelled_starts):
        return False
    row.cancellations.append(ActivityCancellation(occurrence_start=start))
    # A change of the activity: an /activity edit opened before it must not save over it
    # (activity_draft.save compares updated_at).
    row.updated_at = utcnow()
    await session.flush()
    return True


async def uncancel_occurrence(
    session: AsyncSession, activity_id: int, occurrence_start: datetime, tz: ZoneInfo = BRUSSELS
) -> bool:
    """The occurrence on ``occurrence_start``'s local day takes place after all: its
    cancellation goes. False if it was not cancelled. Raises LookupError if unknown."""
    row = await _row(session, activity_id)
    day = occurrence_start.astimezone(tz).date()
    gone = [c.id for c in row.cancellations if c.occurrence_start.astimezone(tz).date() == day]
    if not gone:
        return False
    # A statement, not the relationship: of two coordinators undoing at once, the second
    # deletes nothing and is told so (an ORM delete would fail on the missing row).
    deleted = await repo.delete_cancellations(session, gone)
    session.expire(row, ["cancellations"])
    if deleted:
        row.updated_at = utcnow()  # as cancel_occurrence: an open /activity edit is stale
        await session.flush()
    return deleted > 0


async def cancel_activity(session: AsyncSession, activity_id: int) -> bool:
    """Cancel the whole activity; False if it already was. Raises LookupError if unknown."""
    row = await _row(session, activity_id)
    if row.cancelled_at is not None:
        return False
    # updated_at too (onupdate would set it anyway): an open /activity edit is stale.
    row.cancelled_at = row.updated_at = utcnow()
    await session.flush()
    return True
