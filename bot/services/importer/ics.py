"""A calendar file (.ics): one activity per event (what is read: see the package's
docstring)."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from difflib import get_close_matches
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import BRUSSELS
from bot.services.importer.cells import (
    _ALL_SCHOOLS,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ADDRESS,
    MAX_PLACE,
    MAX_TITLE,
    _external_id,
    _key,
    default_school_codes,
    kind_of,
    school_names,
)
from bot.services.importer.messages import (
    MSG_ALL_EVENTS_OVER,
    MSG_BAD_CALENDAR_VALUE,
    MSG_BAD_EVENT,
    MSG_BAD_NUMBER,
    MSG_BAD_RRULE,
    MSG_DUPLICATE_ID,
    MSG_END_NOT_AFTER_START,
    MSG_LATITUDE_RANGE,
    MSG_LONGITUDE_RANGE,
    MSG_NO_ACTIVITIES,
    MSG_NOT_ICS,
    MSG_REQUIRED,
    MSG_RRULE_NO_DATES,
    MSG_TOO_LONG,
    MSG_UNKNOWN_CATEGORY,
    MSG_YEAR_RANGE,
)
from bot.services.importer.results import CalendarMove, ParseResult, RowError
from bot.services.importer.store import school_year_start
from bot.services.programme import (
    DUTCH,
    ActivityData,
    Kind,
    LocalText,
    Place,
    occurrence_on,
    recurrence_rule,
)

log = logging.getLogger(__name__)


def _moment(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A DTSTART/DTEND/EXDATE value as aware UTC; floating times and dates are Brussels time."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return aware.astimezone(UTC)
    return datetime.combine(value, time(), tz).astimezone(UTC)


def _end_after(start: datetime, duration: timedelta, tz: tzinfo) -> datetime:
    """A DURATION's end (aware UTC): its days are calendar days, as RFC 5545 says (P1D on the
    night the clocks change is a whole day, not 23 or 25 hours); the rest is exact time."""
    days = timedelta(days=duration.days)
    by_days = (start.astimezone(tz) + days).astimezone(UTC)  # wall-clock arithmetic
    return by_days + (duration - days)


def _listed(value: Any) -> list[Any]:
    """A property that may occur once or several times."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _raw(prop: Any) -> str:
    """A property's value as the file has it, for an error message (at most 40 characters)."""
    try:
        text = prop.to_ical().decode("utf-8", "replace")
    except Exception:  # a broken property may not even write itself back
        text = str(prop)
    return text if len(text) <= 40 else text[:39] + "…"


def _categories(event: Any) -> list[str]:
    return [str(cat).strip() for prop in _listed(event.get("CATEGORIES")) for cat in prop.cats]


@dataclass
class _Event:
    number: int
    uid: str
    data: ActivityData
    recurrence_id: datetime | None
    status_cancelled: bool


# How alike a category and a school's code or name must be to count as a mistyped one
# (difflib's ratio: "debrugg" and "debrug" 0.92, "wijdelnd" and "wijdeland" 0.94).
NEAR_MISS = 0.8
# Older than this is a broken value, not history (the year 1 or 0206): an error, as any year
# after LAST_YEAR. From this year to FIRST_YEAR an event is history, over or still repeating.
OLDEST_YEAR = 1970


class _Over:
    """An event that ended before the calendar is read from: left out, and counted."""


OVER = _Over()


def _ended_before(starts_at: datetime, ends_at: datetime, rule: str | None, since: datetime,
                  tz: ZoneInfo) -> bool:
    """Whether the event (every occurrence of its rule) ended before ``since``."""
    if rule is None:
        return ends_at <= since
    local_since = since.astimezone(tz).replace(tzinfo=None) - (ends_at - starts_at)
    # A rule without COUNT or UNTIL always has a next occurrence: only a finite one ends.
    return recurrence_rule(rule, starts_at, tz).after(local_since) is None


def _rebased(starts_at: datetime, ends_at: datetime, rule: str,
             tz: ZoneInfo) -> tuple[datetime, datetime, str] | None:
    """A series begun before FIRST_YEAR and still going (the weekly yoga set up in 2018): from
    its first occurrence in FIRST_YEAR on, with what is left of its COUNT. Always the same day
    for the same event, so sending the calendar again changes nothing."""
    dates = recurrence_rule(rule, starts_at, tz)
    floor = datetime(FIRST_YEAR, 1, 1)  # naive local time, as the rule's
    first = dates.after(floor, inc=True)
    if first is None:
        return None
    count = re.search(r"COUNT=(\d+)", rule)
    if count is not None:
        done = sum(1 for _ in itertools.takewhile(lambda moment: moment < floor, dates))
        rule = rule.replace(count.group(0), f"COUNT={int(count.group(1)) - done}")
    start = first.replace(tzinfo=tz).astimezone(UTC)
    return start, start + (ends_at - starts_at), rule


def _parse_event(
    number: int, event: Any, known: Collection[str], tz: ZoneInfo,
    since: datetime | None = None, names: Mapping[str, str] | None = None,
) -> tuple[_Event | _Over | None, list[RowError]]:
    """The event as an activity, or its errors; OVER if it ended before ``since``.
    ``names``: the schools' names, as ``school_names`` gives them."""
    errors: list[RowError] = []

    def error(column: str, message_id: str, **params: str | int) -> None:
        errors.append(RowError(number, column, message_id, params))

    uid = str(event.get("UID", "")).strip()
    if not uid:
        error("UID", MSG_REQUIRED)
    title = str(event.get("SUMMARY", "")).strip()
    if not title:
        error("SUMMARY", MSG_REQUIRED)
    elif len(title) > MAX_TITLE:
        error("SUMMARY", MSG_TOO_LONG, max=MAX_TITLE)
    description = str(event.get("DESCRIPTION", "")).strip()

    def when(name: str) -> date | timedelta | None:
        """A date or date-time (DURATION: a duration); None (and an error) when unreadable."""
        prop = event.get(name)
        if prop is None:
            return None
        try:
            value = prop.dt
        except Exception:  # icalendar raises its own errors on a broken value
            value = None
        if not isinstance(value, timedelta if name == "DURATION" else date):
            error(name, MSG_BAD_CALENDAR_VALUE, value=_raw(prop))
            return None
        if isinstance(value, date) and not OLDEST_YEAR <= value.year <= LAST_YEAR:
            error(name, MSG_YEAR_RANGE, value=_raw(prop), first=FIRST_YEAR, last=LAST_YEAR)
            return None
        return value  # before FIRST_YEAR: over (left out) or a series rebased below

    starts_at = ends_at = None
    start_value, end_value, duration = when("DTSTART"), when("DTEND"), when("DURATION")
    if event.get("DTSTART") is None:
        error("DTSTART", MSG_REQUIRED)
    elif isinstance(start_value, date):
        starts_at = _moment(start_value, tz)
        if isinstance(end_value, date):
            ends_at = _moment(end_value, tz)
        elif isinstance(duration, timedelta):
            # Its days are the DTSTART's zone's (UTC: 24 hours), a date's or a floating
            # time's Brussels days.
            zone = (start_value.tzinfo if isinstance(start_value, datetime)
                    and start_value.tzinfo is not None else tz)
            ends_at = _end_after(starts_at, duration, zone)
        elif not isinstance(start_value, datetime) and event.get("DURATION") is None:
            ends_at = _moment(start_value + timedelta(days=1), tz)  # all day, without end
        elif event.get("DTEND") is None and event.get("DURATION") is None:
            error("DTEND", MSG_REQUIRED)
        if ends_at is not None and ends_at <= starts_at:
            error("DTEND", MSG_END_NOT_AFTER_START)
    recurrence_id = when("RECURRENCE-ID")

    rule = None
    rrules = _listed(event.get("RRULE"))
    if rrules and starts_at is not None:
        rule = ";".join(r.to_ical().decode() for r in rrules)
        try:
            if len(rrules) > 1:
                raise ValueError("several RRULEs")
            if recurrence_rule(rule, starts_at, tz).after(datetime.min, inc=True) is None:
                error("RRULE", MSG_RRULE_NO_DATES)
        except ValueError:
            error("RRULE", MSG_BAD_RRULE, value=rule)

    if starts_at is not None and ends_at is not None and ends_at > starts_at:
        # A rule that cannot be read, or gives no day, is an error even in an old event.
        broken_rule = any(e.column == "RRULE" for e in errors)
        # Google exports every event the calendar ever had: what is over is no error of
        # this file, whatever else is wrong with it.
        if since is not None and not broken_rule and _ended_before(
                starts_at, ends_at, rule, since, tz):
            return OVER, []
        if starts_at.astimezone(tz).year < FIRST_YEAR:
            rebased = (_rebased(starts_at, ends_at, rule, tz)
                       if rule and not broken_rule else None)
            if rebased is None:
                error("DTSTART", MSG_YEAR_RANGE, value=_raw(event.get("DTSTART")),
                      first=FIRST_YEAR, last=LAST_YEAR)
            else:
                starts_at, ends_at, rule = rebased

    location = str(event.get("LOCATION", "")).strip()
    place_name, _, address = (part.strip() for part in location.partition(","))
    if len(place_name) > MAX_PLACE:
        error("LOCATION", MSG_TOO_LONG, max=MAX_PLACE)
    if len(address) > MAX_ADDRESS:
        error("LOCATION", MSG_TOO_LONG, max=MAX_ADDRESS)
    latitude = longitude = None
    geo = event.get("GEO")
    if geo is not None:
        try:
            latitude, longitude = float(geo.latitude), float(geo.longitude)
        except (AttributeError, TypeError, ValueError):
            error("GEO", MSG_BAD_NUMBER, value=_raw(geo))
            latitude = longitude = 0.0
        if not -90 <= latitude <= 90:
            error("GEO", MSG_LATITUDE_RANGE)
        if not -180 <= longitude <= 180:
            error("GEO", MSG_LONGITUDE_RANGE)

    kind = Kind.OTHER
    kinds = [k for k in map(kind_of, _categories(event)) if k is not None]
    if kinds:
        kind = kinds[0]
    # A category names the kind, a school (its code or its name, whatever their case,
    # accents, hyphens or spaces) or all schools; others are the calendar's own ("Rode
    # categorie") and are left alone. But one that is nearly a school's code or name is an
    # error: the mistyped school read as "all schools" would show one school's activity to
    # every parent.
    by_key = {_key(code): code for code in known}
    by_name = {key: code for key, code in (names or {}).items() if code in known}
    codes_found: set[str] = set()
    all_named = False
    for category in _categories(event):
        if kind_of(category) is not None:
            continue
        key = _key(category)
        if category.lower() in _ALL_SCHOOLS:
            all_named = True
        elif key in by_key:
            codes_found.add(by_key[key])
        elif key in by_name:
            codes_found.add(by_name[key])
        elif get_close_matches(key, [*by_key, *by_name], n=1, cutoff=NEAR_MISS):
            error("CATEGORIES", MSG_UNKNOWN_CATEGORY, value=category)
    codes = tuple(sorted(codes_found))
    all_schools = not codes or all_named

    if errors or starts_at is None or ends_at is None:
        return None, errors
    data = ActivityData(
        external_id=_external_id(uid),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        rrule=rule,
        all_schools=all_schools,
        school_codes=() if all_schools else codes,
        place=Place(place_name, address, latitude, longitude),
        texts={DUTCH: LocalText(title, description)},
    )
    cancelled: set[datetime] = set()
    for prop in _listed(event.get("EXDATE")):
        try:
            days = [value.dt for value in prop.dts]
        except Exception:  # icalendar raises its own errors on a broken value
            days = [None]
        for day in days:
            if not isinstance(day, date):
                error("EXDATE", MSG_BAD_CALENDAR_VALUE, value=_raw(prop))
                continue
            start = occurrence_on(data, _moment(day, tz).astimezone(tz).date(), tz)
            if start is not None:  # an EXDATE that hits no occurrence changes nothing
                cancelled.add(start)
    if errors:
        return None, errors
    return _Event(
        number=number,
        uid=uid,
        data=replace(data, cancelled_starts=frozenset(cancelled)),
        recurrence_id=_moment(recurrence_id, tz) if isinstance(recurrence_id, date) else None,
        status_cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
    ), []


def calendar_since(now: datetime | None, tz: ZoneInfo = BRUSSELS) -> datetime:
    """Events that ended before this are left out of a calendar: the start of the school
    year ``now`` is in (the year the programme is about; this year's past activities still
    come in, as a spreadsheet's would); without ``now``, only those before FIRST_YEAR."""
    if now is None:
        return datetime(FIRST_YEAR, 1, 1, tzinfo=tz)
    return school_year_start(now, tz)  # the same line as the reply's "earlier school year"


# An event its calendar marks as not to be shared (Outlook's and Google's "private").
PRIVATE_CLASSES = frozenset({"PRIVATE", "CONFIDENTIAL"})


def parse_ics(
    data: bytes, known_schools: Collection[str] | Mapping[str, str] | None = None,
    tz: ZoneInfo = BRUSSELS, now: datetime | None = None,
) -> ParseResult:
    """An iCalendar file: each VEVENT an activity (see the module docstring). Events that
    ended before ``calendar_since(now)`` are left out and counted (``skipped``).
    ``known_schools``: the school codes, or a mapping of code to name (a category may name a
    school either way); None: the shipped schools. A series' occurrence changed on its own
    (an override: RECURRENCE-ID) comes back as a row of its own and as a ``CalendarMove``."""
    from icalendar import Calendar  # only the importer needs it

    known = default_school_codes() if known_schools is None else frozenset(known_schools)
    names = school_names(known_schools)
    try:
        calendar = Calendar.from_ical(data.replace(b"\x00", b""))  # as in parse_csv
    except Exception:  # icalendar raises ValueError, KeyError, IndexError on broken input
        return ParseResult([], [RowError(0, "", MSG_NOT_ICS)])
    if isinstance(calendar, list):
        calendar = calendar[0] if calendar else None
    if calendar is None or calendar.name != "VCALENDAR":
        return ParseResult([], [RowError(0, "", MSG_NOT_ICS)])

    since = calendar_since(now, tz)
    errors: list[RowError] = []
    events: list[_Event] = []
    skipped = private = 0
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        if str(component.get("CLASS", "")).strip().upper() in PRIVATE_CLASSES:
            private += 1  # the coordinator's own appointment ("Tandarts"): not for parents
            continue
        try:
            event, event_errors = _parse_event(number, component, known, tz, since, names)
        except Exception as problem:  # a property icalendar cannot read; its kind is logged
            log.warning("calendar event %d unreadable: %s", number, type(problem).__name__)
            event, event_errors = None, [RowError(number, "", MSG_BAD_EVENT)]
        errors += event_errors
        if isinstance(event, _Over):
            skipped += 1
        elif event is not None:
            events.append(event)
    if not events and not errors:
        errors.append(RowError(0, "", MSG_ALL_EVENTS_OVER if skipped else MSG_NO_ACTIVITIES))

    series: dict[str, ActivityData] = {}
    first_event_of: dict[str, int] = {}
    for event in (e for e in events if e.recurrence_id is None):
        if event.uid in first_event_of:
            errors.append(RowError(event.number, "UID", MSG_DUPLICATE_ID,
                                   {"value": event.uid, "row": first_event_of[event.uid]}))
            continue
        first_event_of[event.uid] = event.number
        series[event.uid] = replace(event.data, cancelled=event.status_cancelled)

    # A changed occurrence: off in its series, and (unless cancelled) an activity of its own,
    # to which the occurrence moved (at another time, or only at another place or with
    # another title): the import tells those who expect it there (see CalendarMove).
    extra: dict[str, ActivityData] = {}
    first_override_of: dict[str, int] = {}
    moves: list[CalendarMove] = []
    for event in (e for e in events if e.recurrence_id is not None):
        assert event.recurrence_id is not None
        stamp = event.recurrence_id.strftime("%Y%m%dT%H%M%SZ")
        override_id = _external_id(f"{event.uid}#{stamp}")
        if override_id in first_override_of:  # the same occurrence changed twice
            changed = f"{event.uid} {event.recurrence_id.astimezone(tz):%Y-%m-%d %H:%M}"
            errors.append(RowError(event.number, "RECURRENCE-ID", MSG_DUPLICATE_ID,
                                   {"value": changed, "row": first_override_of[override_id]}))
            continue
        first_override_of[override_id] = event.number
        master = series.get(event.uid)
        start = None
        if master is not None:
            day = event.recurrence_id.astimezone(tz).date()
            start = occurrence_on(master, day, tz)
            if start is not None:
                series[event.uid] = replace(
                    master, cancelled_starts=master.cancelled_starts | {start}
                )
        if not event.status_cancelled:
            extra[override_id] = replace(event.data, external_id=override_id, rrule=None,
                                         cancelled_starts=frozenset())
            if master is not None and start is not None and not master.cancelled:
                moves.append(CalendarMove(master.external_id, start, override_id,
                                          event.data.starts_at))
    if errors:
        return ParseResult([], errors, skipped, private=private)
    return ParseResult([*series.values(), *extra.values()], [], skipped, tuple(moves),
                       private=private)
