"""Parsed activities into the database: created, updated or left alone by their id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services.importer.results import ImportSummary, UnknownSchoolCode
from bot.services.programme import (
    DUTCH,
    MADE_IN_BOT,
    ActivityData,
    LocalText,
    activity_data,
    next_occurrence,
)
from storage import programme as repo
from storage.models import (
    Activity,
    ActivityCancellation,
    ActivityRestoration,
    ActivitySchool,
    ActivityText,
    School,
    utcnow,
)


@dataclass(frozen=True)
class Kept:
    """Of one row in the file: the local days it lists as cancelled, and whether it calls the
    whole activity off, that were brought back in the bot and stay so."""

    days: frozenset[date] = frozenset()
    whole: bool = False


def still_translates(shown: LocalText, dutch: LocalText) -> tuple[bool, bool]:
    """Whether a title and a description written for the Dutch ``shown`` still translate
    the Dutch as it is now (``dutch``): each part goes only with the Dutch part it
    translates, so a typo fixed in the description keeps the translated title. The one rule
    for a file sent again (``_write``), a calendar's moved occurrence
    (``with_series_translations``) and the team's reply to an older request
    (``team_translation.take_reply``)."""
    return shown.title == dutch.title, shown.description == dutch.description


def voice_still_fits(shown: LocalText, dutch: LocalText) -> bool:
    """A voice message tells the whole activity: it fits while neither its Dutch title nor
    its Dutch description changed (``still_translates``)."""
    return all(still_translates(shown, dutch))


def _write(
    row: Activity, data: ActivityData, schools: Mapping[str, School], tz: ZoneInfo,
    keep_translations: bool = False, brought: Kept | None = None,
) -> bool:
    """Make the row say what ``data`` says; True if anything changed. ``keep_translations``:
    a title or description ``data`` leaves empty keeps the row's, while the Dutch one it
    translates is the same. ``brought``: what was brought back in the bot and stays so,
    though ``data`` says it is off (see ``brought_back``)."""
    brought = brought or Kept()
    changed = False
    values = {
        "kind": data.kind.value,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "rrule": data.rrule,
        "all_schools": data.all_schools,
        "place_name": data.place.name,
        "place_address": data.place.address,
        "latitude": data.place.latitude,
        "longitude": data.place.longitude,
    }
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if data.cancelled and row.cancelled_at is None and not brought.whole:
        row.cancelled_at = utcnow()
        changed = True

    wanted_schools = set() if data.all_schools else {schools[c].id for c in data.school_codes}
    current_schools = {link.school_id for link in row.schools}
    if wanted_schools != current_schools:
        # Keep the links that stay: deleting and re-adding one would clash on the unique pair.
        row.schools[:] = [link for link in row.schools if link.school_id in wanted_schools] + [
            ActivitySchool(school=school)
            for code, school in sorted(schools.items())
            if code in data.school_codes and school.id not in current_schools
        ]
        changed = True

    wanted_texts = {
        locale: (text.title, text.description)
        for locale, text in data.texts.items()
        if text.title or text.description
    }
    current_texts = {t.locale: (t.title, t.description) for t in row.texts
                     if t.title or t.description}
    old_dutch = LocalText(*current_texts.get(DUTCH, ("", "")))
    new_dutch = LocalText(*wanted_texts.get(DUTCH, ("", "")))
    if keep_translations:
        # Translations made in the bot (asked of the team, typed in /activity) are not in the
        # coordinator's file: sending it again must not erase them. Each goes only with the
        # Dutch field it translates, when that changes: a typo fixed in the description
        # keeps the translated title.
        title_fits, description_fits = still_translates(old_dutch, new_dutch)
        for locale, (title, description) in current_texts.items():
            if locale == DUTCH:
                continue
            file_title, file_description = wanted_texts.get(locale, ("", ""))
            kept = (file_title or (title if title_fits else ""),
                    file_description or (description if description_fits else ""))
            if any(kept):
                wanted_texts[locale] = kept
    if wanted_texts != current_texts:
        # A language's voice message (recorded in the bot, never in a file) stays while the
        # Dutch it tells is the same; once the Dutch title or description changed, every
        # language's voice goes (the Dutch one too), as the written translations do.
        voices_fit = voice_still_fits(old_dutch, new_dutch)
        kept = [t for t in row.texts
                if t.locale in wanted_texts or (t.voice_file_id and voices_fit)]
        for text in kept:
            text.title, text.description = wanted_texts.get(text.locale, ("", ""))
            if not voices_fit:
                text.voice_file_id = None
        have = {t.locale for t in kept}
        row.texts[:] = kept + [
            ActivityText(locale=locale, title=title, description=description)
            for locale, (title, description) in sorted(wanted_texts.items())
            if locale not in have
        ]
        changed = True

    cancelled_days = {c.occurrence_start.astimezone(tz).date() for c in row.cancellations}
    for start in sorted(data.cancelled_starts):
        day = start.astimezone(tz).date()
        if day not in cancelled_days and day not in brought.days:
            row.cancellations.append(ActivityCancellation(occurrence_start=start))
            cancelled_days.add(day)
            changed = True
    return changed


def brought_back(row: Activity, data: ActivityData, remembered: Sequence[ActivityRestoration],
                 tz: ZoneInfo = BRUSSELS) -> tuple[Kept, list[ActivityRestoration]]:
    """What the coordinator brought back in the bot (``remembered``: the row's
    ActivityRestoration rows) against what the file's row says: what stays brought back
    (a day it still lists in cancelled_dates or EXDATE, the whole activity a calendar still
    calls off), and what is forgotten, for the usual rules to hold again: all of it once the
    whole activity is off again (in the bot, or by this file), a day cancelled again (in
    /activities), and what the file no longer says is off (file and bot agree: should the
    file list it again later, it is cancelled as any day)."""
    whole = any(r.occurrence_start is None for r in remembered)
    if row.cancelled_at is not None or (data.cancelled and not whole):
        return Kept(), list(remembered)
    listed = {start.astimezone(tz).date() for start in data.cancelled_starts}
    cancelled = {c.occurrence_start.astimezone(tz).date() for c in row.cancellations}
    days: set[date] = set()
    forgotten: list[ActivityRestoration] = []
    for restoration in remembered:
        if restoration.occurrence_start is None:
            if not data.cancelled:
                forgotten.append(restoration)
            continue
        day = restoration.occurrence_start.astimezone(tz).date()
        if day in listed and day not in cancelled:
            days.add(day)
        else:
            forgotten.append(restoration)
    return Kept(frozenset(days), whole and data.cancelled), forgotten


async def _restorations(session: AsyncSession, activity_ids: Collection[int]
                        ) -> dict[int, list[ActivityRestoration]]:
    """The ActivityRestoration rows of these activities, by activity id."""
    found: dict[int, list[ActivityRestoration]] = defaultdict(list)
    ids = sorted(activity_ids)
    # In chunks: SQLite caps the number of bound parameters of one statement.
    for i in range(0, len(ids), 500):
        for restoration in await session.scalars(select(ActivityRestoration).where(
                ActivityRestoration.activity_id.in_(ids[i : i + 500]))):
            found[restoration.activity_id].append(restoration)
    return found


async def apply(
    session: AsyncSession, rows: Sequence[ActivityData], tz: ZoneInfo = BRUSSELS,
    *, keep_translations: bool = False, now: datetime | None = None,
) -> ImportSummary:
    """Create or update the activities by external id (capitals do not count); flushes,
    never commits.

    Call it only with the rows of a ParseResult without errors. Raises UnknownSchoolCode
    (before changing anything) if a school code is not in the database.
    ``keep_translations``: a file's empty translation keeps the one in the bot (see _write).
    ``now``: what is still planned is counted from then (``not_in_file``).
    """
    ids = [data.external_id for data in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("the same external id twice")
    schools = await repo.schools_by_code(session)
    unknown = sorted({code for data in rows for code in data.school_codes} - schools.keys())
    if unknown:
        raise UnknownSchoolCode(", ".join(unknown))

    # The file's "Yoga" is the stored "yoga" (which keeps its spelling): see
    # by_external_ids_any_case.
    existing = await repo.by_external_ids_any_case(session, ids)
    matched = {row.id for row in existing.values()}
    # Brought back in the bot: kept so (or forgotten) before the file is written.
    remembered = await _restorations(session, matched)
    kept: dict[str, Kept] = {}
    for data in rows:
        if (row := existing.get(data.external_id)) is not None and remembered.get(row.id):
            kept[data.external_id], forgotten = brought_back(row, data, remembered[row.id], tz)
            for restoration in forgotten:
                await session.delete(restoration)
    still_cancelled = tuple(_title(data) for data in rows
                            if (row := existing.get(data.external_id)) is not None
                            and row.cancelled_at is not None and not data.cancelled)
    now = now or utcnow()
    # Days cancelled before (by a file, or in the bot) that this file's row no longer lists:
    # still cancelled, and the coordinator who corrected a mistyped date should know.
    days_still_cancelled = tuple(sorted(
        (_title(data), cancellation.occurrence_start)
        for data in rows
        if (row := existing.get(data.external_id)) is not None and row.cancelled_at is None
        for listed in [{start.astimezone(tz).date() for start in data.cancelled_starts}]
        for cancellation in row.cancellations
        if cancellation.occurrence_start >= now
        and cancellation.occurrence_start.astimezone(tz).date() not in listed))
    # Brought back in the bot, still off in the file: not cancelled again, and said so.
    days_brought_back = tuple(sorted(
        (_title(data), start)
        for data in rows if (keep := kept.get(data.external_id)) is not None
        for start in data.cancelled_starts
        if start >= now and start.astimezone(tz).date() in keep.days))
    whole_brought_back = tuple(
        _title(data) for data in rows
        if (keep := kept.get(data.external_id)) is not None and keep.whole
        and next_occurrence(replace(data, cancelled=False), now, tz) is not None)
    not_in_file = tuple(
        _title(data) for record in await repo.active_since(session, now)
        if record.row.id not in matched
        and not record.row.external_id.startswith(MADE_IN_BOT)  # never in a file
        for data in [activity_data(record)]
        if next_occurrence(data, now, tz) is not None)
    created = updated = unchanged = 0
    over: list[str] = []
    moved_past: list[str] = []
    created_titles: list[str] = []
    updated_titles: list[str] = []
    new_times: list[tuple[str, datetime]] = []
    translations_lost: list[tuple[str, tuple[str, ...]]] = []
    at_night: list[tuple[str, datetime]] = []
    changed: list[tuple[Activity, tuple[bool, frozenset[datetime]]]] = []
    for data in rows:
        row = existing.get(data.external_id)
        if in_the_night(data.starts_at, tz) and (
                row is None or row.starts_at != data.starts_at):
            at_night.append((_title(data), data.starts_at))
        if row is None:
            row = Activity(external_id=data.external_id, schools=[], texts=[], cancellations=[])
            _write(row, data, schools, tz)
            session.add(row)
            created += 1
            created_titles.append(_title(data))
            if (not data.cancelled and next_occurrence(data, now, tz) is None
                    and data.starts_at < school_year_start(now, tz)):
                over.append(_title(data))  # a year mistyped, or last year's sheet
            continue
        before = _cancellations(row)
        # Still to come before, over now: a typo, most likely (checked only for a row
        # that has nothing ahead any more, the rare case).
        was_ahead = (not data.cancelled and next_occurrence(data, now, tz) is None
                     and next_occurrence(activity_data(row), now, tz) is not None)
        old_start = row.starts_at
        made_before = _translations(row)
        if _write(row, data, schools, tz, keep_translations, kept.get(data.external_id)):
            row.updated_at = utcnow()
            updated += 1
            updated_titles.append(_title(data))
            changed.append((row, before))
            if was_ahead:
                moved_past.append(_title(data))
            elif old_start != data.starts_at and not data.cancelled \
                    and (ahead := next_occurrence(data, now, tz)) is not None:
                new_times.append((_title(data), ahead.starts_at))
            if lost := sorted(made_before - _translations(row)):
                translations_lost.append((_title(data), tuple(lost)))
        else:
            unchanged += 1
    await session.flush()
    cancelled: list[tuple[int, datetime | None]] = []
    for row, (was_cancelled, was_days) in changed:
        now_cancelled, now_days = _cancellations(row)
        if now_cancelled and not was_cancelled:
            cancelled.append((row.id, None))
        elif not now_cancelled:
            cancelled += [(row.id, start) for start in sorted(now_days - was_days)]
    return ImportSummary(created, updated, unchanged, tuple(cancelled), still_cancelled,
                         not_in_file, days_still_cancelled, tuple(over),
                         tuple(created_titles), tuple(updated_titles),
                         moved_past=tuple(moved_past), days_brought_back=days_brought_back,
                         brought_back=whole_brought_back, new_times=tuple(new_times),
                         translations_lost=tuple(translations_lost),
                         at_night=tuple(at_night))


# A start after midnight and before six in the morning: no activity of a school network
# begins then, but "2u30" is easily typed for half past two in the afternoon. (Midnight
# itself is a calendar's all-day event.)
NIGHT = (time(0, 1), time(6))


def in_the_night(start: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """Whether ``start`` falls in ``NIGHT``, in local time."""
    return NIGHT[0] <= start.astimezone(tz).time() < NIGHT[1]


def _translations(row: Activity) -> set[str]:
    """What the row has beside its Dutch text: ``"title:tr"`` and ``"description:tr"`` for a
    Turkish title and description, ``"voice:tr"`` for a Turkish voice message (``"voice:nl"``
    too)."""
    found = {f"{field}:{t.locale}" for t in row.texts if t.locale != DUTCH
             for field in ("title", "description") if getattr(t, field)}
    return found | {f"voice:{t.locale}" for t in row.texts if t.voice_file_id}


def school_year_start(now: datetime, tz: ZoneInfo = BRUSSELS) -> datetime:
    """1 September 00:00 of the school year ``now`` is in (Flemish schools start then)."""
    local = now.astimezone(tz)
    year = local.year if local.month >= 9 else local.year - 1
    return datetime(year, 9, 1, tzinfo=tz)


def _title(data: ActivityData) -> str:
    return data.texts.get(DUTCH, LocalText()).title or data.external_id


def _cancellations(row: Activity) -> tuple[bool, frozenset[datetime]]:
    """Whether the whole activity is off, and its cancelled occurrences."""
    return row.cancelled_at is not None, frozenset(c.occurrence_start for c in row.cancellations)
