"""Import the programme from the coordinator's CSV, Excel (.xlsx) or calendar (.ics) file.

Usage::

    outcome = await import_file(session, "programma.xlsx", data)
    if outcome.errors:      # nothing was imported: show the list (row, column, message)
        ...
    else:                   # outcome.summary: created / updated / unchanged
        await session.commit()

or step by step: ``parse_csv`` / ``parse_xlsx`` / ``parse_ics`` (or ``parse_file`` by file
name) give a ``ParseResult``; only when it has no errors, ``apply(session, result.rows)``
creates or updates the activities. A file with any error imports nothing. Every activity
has a stable id, so importing the same file again changes nothing.

Errors carry an English msgid (translate it with ``_()`` and ``.format(**params)``), the
row as the spreadsheet shows it (for a calendar, the event's number),
and the column (for a calendar, the property such as ``DTSTART``). Row 0 with an empty
column means the file as a whole.

Spreadsheet columns (CSV, or the first visible sheet of an .xlsx workbook that has them)
------------------------------------------------------------------

A CSV file is UTF-8 (with or without BOM: Excel's "CSV UTF-8"), separated by semicolons
(as Excel writes it in Belgium) or commas; the separator is recognised from the header row.
The header row names the columns, in any order: the first of the top ten rows that names
most of the required columns (empty rows or a title may stand above it; empty columns may
stand left of the table). Unknown columns are ignored (keep notes there), unless a name is
nearly that of a column the sheet lacks (``cancelled_date``, ``adres``): an error naming the
column it probably meant. ``rrule``, ``exdate``, ``canceled_dates``, ``latitude`` and
``longitude`` are read as ``repeat``, ``cancelled_dates``, ``lat`` and ``lon``. A left-out
optional column counts as empty. Capitals do not count in an id. Empty rows are skipped, and
so are rows with only a note (nothing in a column the importer reads). A
repeat rule holds semicolons: Excel puts it in double quotes in a semicolon file; do so too
when you type the file by hand.

=================  =========  ===========================================================
column             required   what to write
=================  =========  ===========================================================
id                 yes        a stable id of your own, at most 100 characters
                              (``yoga-wijdeland-2026``); the same id updates the activity
kind               yes        ouderbabbel, workshop, open_activity (open activiteit),
                              holiday_activity (vakantieactiviteit), other (andere)
schools            yes        school codes separated by spaces or commas
                              (``klimop debrug``), or ``all`` / ``alle``; or names as
                              written on the school's sign (``Klim-op, 't Vlindertje``)
date               yes        the (first) day: 2026-10-21 or 21/10/2026
start, end         yes        local Brussels time on that day: 14:00 (also 14.00, 14u30,
                              14.30 u); a start in the night is pointed out
repeat             no         an RFC 5545 rule without DTSTART, e.g.
                              ``FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630`` (every Wednesday
                              until 30 June 2027) or ``FREQ=MONTHLY;BYDAY=1TU`` (every
                              first Tuesday); daily, weekly, monthly or yearly
place, address     no         where: ``Bibliotheek``, ``Kazernestraat 13, 3800 Sint-Truiden``
lat, lon           no         map coordinates, both or neither: 50.8167 (or 50,8167)
title_nl           yes        the Dutch title, at most 200 characters
description_nl     no         the Dutch description
title_tr, description_tr      no   Turkish; left empty, parents get the Dutch text
title_pa, description_pa      no   Punjabi (Gurmukhi); likewise
cancelled_dates    no         days on which a recurring activity does not take place,
                              separated by spaces: ``2026-10-28 2026-11-04``
=================  =========  ===========================================================

A failed formula's cell (``#N/A``) is an error. In an .xlsx sheet, a cell right of the
table is a note; dates and times may be real date and time cells (a time as a fraction
of a day from 23:59:30 on is 23:59), and a cell merged over several rows counts for each of
them (in its first column).

Calendar files (.ics)
---------------------

Each event (VEVENT) becomes an activity: UID is the id, SUMMARY the Dutch title,
DESCRIPTION the Dutch description, LOCATION the place (the text before the first comma is
the place's name, the rest its address), GEO the coordinates, DTSTART and DTEND (or
DURATION) the times (with their TZID; times without a zone are Brussels time), RRULE the
repeat rule and EXDATE the cancelled occurrences. CATEGORIES may name the kind (as in the
``kind`` column) and schools, by code or by name as in the schools list (``klimop`` or
``Vrije basisschool Klim-op``; also without what stands between brackets, and a name cut at
its comma; capitals, accents, spaces and punctuation do not count), or ``all``; without a
kind the activity is ``other``, without a school it is for all schools; a category that is
nearly a school's code or name (a mistyped one) is an error, any other is the calendar's own
and left alone. An event with STATUS:CANCELLED is cancelled. A changed single occurrence
(RECURRENCE-ID, "change only this one" in Outlook or Google) becomes an activity of its own
(id ``<UID>#<RECURRENCE-ID in UTC>``) and is off in its series; unless it is cancelled, it
is a move (``ParseResult.moves``): when both days are still to come, the summary lists it
in ``moved``, not in ``cancelled``, and the import tells those who said they would come (or
maybe), or got a reminder of the old day, of its new time (or new place, when only that
changed), never that it is cancelled; their answers follow it (see
``cancellation.notices_after_move``). It takes the translations made in the bot for its
series, where its Dutch text is the series' (``with_series_translations``). The same file
sent again tells nobody again. The same
occurrence changed twice is an error. RDATE is not supported.

A calendar export holds every event the calendar ever had: an event (every occurrence of
its series) over before the school year of ``now`` (1 September) is left out, whatever else
is wrong with it, and counted (``ParseResult.skipped``, the summary's ``skipped_over``).
Without ``now`` only those over before FIRST_YEAR are. A series begun before FIRST_YEAR and
still going starts at its first occurrence in FIRST_YEAR (what is left of its COUNT). An
event marked private (CLASS:PRIVATE or CONFIDENTIAL: the coordinator's own appointment) is
left out and counted (``ParseResult.private``, the summary's ``skipped_private``).

What an import does not do
--------------------------

It never deletes an activity that is missing from the file (a file may cover one school),
it only adds cancelled occurrences (a cancellation made in the bot stays), and it never
un-cancels a whole activity. The summary names both, for the reply: the planned activities
the file does not hold (``not_in_file``, those made in the bot left out) and its rows of
activities called off in the bot (``still_cancelled``). Nor does it undo what the
coordinator brought back in the bot (/activities: ✅ Not cancelled after all): a day still
listed in ``cancelled_dates`` (or EXDATE), or a whole activity a calendar still calls off
(STATUS:CANCELLED), is not cancelled again and nobody is told again; the summary names them
(``days_brought_back``, coming days only, and ``brought_back``), each import again while the
file still says so. What was brought back is remembered (``ActivityRestoration``) until it
is cancelled again (that day in /activities, or the whole activity, in the bot or by a file)
or the file no longer says it is off: then the usual rules hold again (a file that lists
the day later cancels it). A calendar's move from a day brought back is no move (the day
takes place): nobody is told of it, and no answer follows it.

The modules: ``cells`` (one cell as text, day, time, number), ``spreadsheet`` (CSV and
XLSX rows), ``ics`` (calendar events), ``store`` (into the database), ``messages`` (what can
be wrong) and ``results`` (what comes back); this one picks the format and runs it all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import PurePath
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services.importer.cells import (
    FIRST_YEAR,
    LAST_YEAR,
    default_school_codes,
    kind_of,
    overnight,
    parse_date,
    parse_end,
    parse_time,
)
from bot.services.importer.ics import parse_ics
from bot.services.importer.messages import *  # noqa: F403 - every msgid, as importer.MSG_...
from bot.services.importer.messages import MSG_EMPTY_FILE, MSG_UNKNOWN_FILE_TYPE
from bot.services.importer.results import (
    CalendarMove,
    ImportOutcome,
    ImportSummary,
    MovedOccurrence,
    ParseResult,
    RowError,
    UnknownSchoolCode,
)
from bot.services.importer.spreadsheet import COLUMNS, REQUIRED_COLUMNS, parse_csv, parse_xlsx
from bot.services.importer.store import apply, still_translates, voice_still_fits
from bot.services.programme import (
    DUTCH,
    ActivityData,
    LocalText,
    activity_data,
    occurrence_at,
)
from storage import programme as repo
from storage.models import utcnow

__all__ = [
    "COLUMNS", "FIRST_YEAR", "LAST_YEAR", "REQUIRED_COLUMNS", "CalendarMove", "ImportOutcome",
    "ImportSummary", "MovedOccurrence", "ParseResult", "RowError", "UnknownSchoolCode",
    "apply", "default_school_codes", "import_file", "kind_of", "overnight", "parse_csv",
    "parse_date",
    "parse_end", "parse_file", "parse_ics", "parse_time", "parse_xlsx", "still_translates",
    "voice_still_fits",
]


_PARSERS: dict[str, Callable[..., ParseResult]] = {
    ".csv": parse_csv,
    ".txt": parse_csv,
    ".xlsx": parse_xlsx,
    ".ics": parse_ics,
    ".ical": parse_ics,
}


def is_programme_file(filename: str | None) -> bool:
    """A spreadsheet or calendar, by its name (a file we can read): meant as the programme,
    whatever else waits for the coordinator's next message (an announcement is a text, a
    photo or a PDF)."""
    return PurePath(filename or "").suffix.lower() in _PARSERS


def parse_file(
    filename: str,
    data: bytes,
    known_schools: Collection[str] | Mapping[str, str] | None = None,
    tz: ZoneInfo = BRUSSELS,
    now: datetime | None = None,
) -> ParseResult:
    """Any of the three formats, chosen by the file name's extension. ``known_schools``: the
    school codes, or a mapping of code to name (a calendar's category may name a school by
    its name). ``now``: a calendar's events over before its school year are left out (see
    ``parse_ics``)."""
    parser = _PARSERS.get(PurePath(filename).suffix.lower())
    if parser is None:
        return ParseResult([], [RowError(0, "", MSG_UNKNOWN_FILE_TYPE)])
    if not data.strip():
        return ParseResult([], [RowError(0, "", MSG_EMPTY_FILE)])
    if parser is parse_ics:
        return parse_ics(data, known_schools, tz, now=now)
    return parser(data, known_schools, tz)


async def import_file(
    session: AsyncSession, filename: str, data: bytes, tz: ZoneInfo = BRUSSELS,
    now: datetime | None = None,
) -> ImportOutcome:
    """Parse the file and, only if it has no error at all, apply it (the caller commits).
    ``now``: what is still planned is counted from then (the summary's ``not_in_file``).
    A calendar's occurrences moved to an activity of their own are the summary's ``moved``,
    not its ``cancelled``."""
    schools = await repo.schools_by_code(session)
    names = {code: school.name for code, school in schools.items()}
    # In a thread: a big spreadsheet takes seconds to read, and the parents' taps and
    # messages must not wait for it.
    parsed = await asyncio.to_thread(parse_file, filename, data, names, tz, now)
    if parsed.errors:
        return ImportOutcome(parsed.errors, None, sheet=parsed.sheet)
    rows = await with_series_translations(session, parsed.rows, parsed.moves)
    summary = await apply(session, rows, tz, keep_translations=True, now=now)
    moved = await moves_ahead(session, parsed.moves, now or utcnow(), tz)
    taken = {(move.activity_id, move.old_start) for move in moved}
    return ImportOutcome([], replace(
        summary, skipped_over=parsed.skipped, skipped_private=parsed.private, moved=moved,
        sheet=parsed.sheet, other_sheets=parsed.other_sheets,
        cancelled=tuple(item for item in summary.cancelled if item not in taken)))


async def with_series_translations(
    session: AsyncSession, rows: Sequence[ActivityData], moves: Sequence[CalendarMove],
) -> list[ActivityData]:
    """A calendar's occurrence changed on its own is an activity of its own, with only the
    calendar's Dutch text: the translations made in the bot for its series go with it
    (title and description each, where its Dutch one is the series'), so a parent who reads
    Turkish or Punjabi is told the move in their language. A file's own translation wins."""
    if not moves:
        return list(rows)
    series = await repo.by_external_ids_any_case(session, {move.series_id for move in moves})
    series_of = {move.override_id: series.get(move.series_id) for move in moves}
    found: list[ActivityData] = []
    for data in rows:
        row = series_of.get(data.external_id)
        stored = {text.locale: text for text in row.texts} if row is not None else {}
        dutch, series_dutch = data.texts.get(DUTCH, LocalText()), stored.get(DUTCH)
        if series_dutch is None:
            found.append(data)
            continue
        texts = dict(data.texts)
        for locale, text in stored.items():
            if locale == DUTCH:
                continue
            own = texts.get(locale, LocalText())
            title_fits, description_fits = still_translates(
                LocalText(series_dutch.title, series_dutch.description), dutch)
            title = own.title or (text.title if title_fits else "")
            description = own.description or (text.description if description_fits else "")
            if title or description:
                texts[locale] = LocalText(title, description)
        found.append(replace(data, texts=texts))
    return found


async def moves_ahead(
    session: AsyncSession, moves: Sequence[CalendarMove], now: datetime,
    tz: ZoneInfo = BRUSSELS,
) -> tuple[MovedOccurrence, ...]:
    """The applied file's moves that parents are told of as moves: from a day still to
    come of a series that goes on, to a day still to come of an activity that is not called
    off (not as a whole, not that day). The others stay what the series says: a cancelled
    day (a move into the past is one, for those who expect the old day), or one that takes
    place (brought back in the bot: ``ImportSummary.days_brought_back``)."""
    if not moves:
        return ()
    rows = await repo.by_external_ids_any_case(
        session, {move.series_id for move in moves} | {move.override_id for move in moves})
    found: list[MovedOccurrence] = []
    for move in moves:
        series, override = rows.get(move.series_id), rows.get(move.override_id)
        if (series is None or override is None or series.cancelled_at is not None
                or move.old_start <= now or move.new_start <= now):
            continue
        day = move.old_start.astimezone(tz).date()
        if not any(c.occurrence_start.astimezone(tz).date() == day for c in series.cancellations):
            continue  # that day was brought back in the bot: it is not off, so not moved
        record = await repo.record_by_id(session, override.id)
        if record is None or occurrence_at(activity_data(record), move.new_start, tz) is None:
            continue
        found.append(MovedOccurrence(series.id, move.old_start, override.id, move.new_start))
    return tuple(found)
