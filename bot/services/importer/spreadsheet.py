"""A CSV file or the programme sheet of an .xlsx workbook, one activity per row (the columns:
see the package's docstring)."""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from bot.i18n import BRUSSELS, N_, SUPPORTED_LOCALES
from bot.services.importer.cells import (
    _ALL_SCHOOLS,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ADDRESS,
    MAX_ID,
    MAX_PLACE,
    MAX_TITLE,
    Cell,
    _date,
    _dates,
    _end_time,
    _key,
    _local,
    _number,
    _text,
    _time,
    default_school_codes,
    end_moment,
    excel_error,
    kind_of,
    names_of_schools,
    overnight,
    school_names,
)
from bot.services.importer.messages import (
    MSG_BAD_DATE,
    MSG_BAD_NUMBER,
    MSG_BAD_RRULE,
    MSG_BAD_TIME,
    MSG_CLOCKS_SKIP,
    MSG_DUPLICATE_COLUMN,
    MSG_DUPLICATE_ID,
    MSG_EMPTY_FILE,
    MSG_END_NOT_AFTER_START,
    MSG_EXCEL_ERROR,
    MSG_EXTRA_CELLS,
    MSG_LAT_LON_PAIR,
    MSG_LATITUDE_RANGE,
    MSG_LONGITUDE_RANGE,
    MSG_MISSING_COLUMN,
    MSG_NO_ACTIVITIES,
    MSG_NOT_AN_OCCURRENCE,
    MSG_NOT_UTF8,
    MSG_NOT_XLSX,
    MSG_REQUIRED,
    MSG_RRULE_NO_DATES,
    MSG_TOO_LONG,
    MSG_UNKNOWN_KIND,
    MSG_UNKNOWN_SCHOOL,
    MSG_YEAR_RANGE,
)
from bot.services.importer.results import ParseResult, RowError
from bot.services.programme import (
    DUTCH,
    ActivityData,
    LocalText,
    Place,
    occurrence_on,
    recurrence_rule,
    skipped_by_clocks,
)

REQUIRED_COLUMNS = ("id", "kind", "schools", "date", "start", "end", "title_nl")
# Every column the importer reads, in the order of examples/programme.csv.
COLUMNS = (
    "id", "kind", "schools", "date", "start", "end", "repeat", "place", "address", "lat", "lon",
    "title_nl", "description_nl", "title_tr", "description_tr", "title_pa", "description_pa",
    "cancelled_dates",
)  # fmt: skip
# Other names a coordinator gives a column, read as that column: the calendar's names (RRULE,
# EXDATE), the American spelling, the long names of the coordinates.
SYNONYMS = {
    "rrule": "repeat", "exdate": "cancelled_dates", "canceled_dates": "cancelled_dates",
    "latitude": "lat", "longitude": "lon",
}  # fmt: skip
# A header this much like a column the sheet lacks (difflib's ratio, 0 to 1) is that column
# misspelt: "cancelled_date", "adres", "titel_nl"; a note column's name ("notes",
# "opmerking", "contact", "prijs") is far from all of them.
NEAR_MISS = 0.7
# A title or description in a language the bot does not speak yet (title_en, description_ar)
# is the coordinator's own column, like a note: not a misspelt title_nl.
_OTHER_LANGUAGE = re.compile(r"(title|description)_[a-z]{2}")

MSG_NO_HEADING = N_(
    "“{value}” stands in a column without a heading. Put it in its column (two cancelled "
    "days in one cell, with a space between them), or give that column a heading."
)
MSG_NEAR_COLUMN = N_(
    "I do not know the column “{header}”. Did you mean “{column}”? Then give it that name. "
    "If it holds your own notes, give it another name, such as “notes”."
)
MSG_SAME_COLUMN = N_(
    "The columns “{header}” and “{column}” are the same column. Keep only one of the two."
)


class _Row:
    """One data row: reads cells by column name and collects what is wrong with them."""

    def __init__(self, number: int, cells: Mapping[str, Cell]) -> None:
        self.number = number
        self.errors: list[RowError] = []
        # A failed formula (#N/A of a lookup) is said once, and read as an empty cell.
        self.broken = {name for name, cell in cells.items()
                       if name in COLUMNS and excel_error(cell)}  # (a note column's: hers)
        for name in self.broken:
            self.errors.append(RowError(number, name, MSG_EXCEL_ERROR,
                                        {"value": str(cells[name]).strip()}))
        self.cells = {name: None if name in self.broken else cell
                      for name, cell in cells.items()}

    def error(self, column: str, message_id: str, **params: str | int) -> None:
        if column not in self.broken:
            self.errors.append(RowError(self.number, column, message_id, params))

    def text(self, column: str, max_length: int | None = None, required: bool = False) -> str:
        value = _text(self.cells.get(column))
        if required and not value:
            self.error(column, MSG_REQUIRED)
        elif max_length is not None and len(value) > max_length:
            self.error(column, MSG_TOO_LONG, max=max_length)
        return value

    def parsed(self, column: str, parse: Callable[[Cell], Any], message_id: str) -> Any:
        """A required cell through ``parse``; None (and an error) if empty or unreadable."""
        cell = self.cells.get(column)
        if not _text(cell):
            self.error(column, MSG_REQUIRED)
            return None
        value = parse(cell)
        if value is None:
            self.error(column, message_id, value=_text(cell))
        return value

    def coordinate(self, column: str, limit: float, range_message: str) -> float | None:
        cell = self.cells.get(column)
        if not _text(cell):
            return None
        value = _number(cell)
        if value is None:
            self.error(column, MSG_BAD_NUMBER, value=_text(cell))
        elif not -limit <= value <= limit:
            self.error(column, range_message)
            return None
        return value


# A part of a school's name shorter than this names no school on its own ("Brug", "Sint").
SHORTEST_PART = 5


def _school_of(text: str, by_key: Mapping[str, str], by_name: Mapping[str, str],
               names: Mapping[str, str]) -> str | None:
    """The code of the one school ``text`` names: its code or its name as a calendar's
    category may give it (``_key``: capitals, hyphens and spaces do not count: "Klim-op"),
    or a part of one school's name only ("'t Vlindertje", "Het Wijdeland")."""
    key = _key(text)
    if key in by_key:
        return by_key[key]
    if key in by_name:
        return by_name[key]
    if len(key) < SHORTEST_PART:
        return None
    # Not what stands between brackets: "(Nieuw Sint-Truiden)" names the town, not a school.
    found = {code for code, name in names.items()
             if key in _key(re.sub(r"\([^)]*\)", "", name))}
    return found.pop() if len(found) == 1 else None


def _schools(row: _Row, known: Collection[str],
             names: Mapping[str, str]) -> tuple[bool, tuple[str, ...]]:
    """Codes separated by spaces, commas or slashes ("klimop debrug"), or each school as
    the coordinator writes it ("Klim-op, 't Vlindertje"); "all" for every school."""
    text = row.text("schools", required=True)
    if text.lower() in _ALL_SCHOOLS:
        return True, ()
    by_key = {_key(code): code for code in known}
    by_name = {key: code for key, code in school_names(names).items() if code in known}
    named = {code: name for code, name in names.items() if code in known}
    whole = _school_of(text, by_key, by_name, named)
    if whole is not None:  # one school's name with its comma: "Kabouterland, Sint-Rita"
        return False, (whole,)
    codes: list[str] = []
    unknown: list[str] = []
    for part in (part.strip() for part in re.split(r"[,;/\n]+", text) if part.strip()):
        if part.lower() in _ALL_SCHOOLS:
            return True, ()
        code = _school_of(part, by_key, by_name, named)
        if code is not None:
            codes.append(code)
            continue
        for word in part.split():  # codes separated by spaces
            if word.lower() in _ALL_SCHOOLS:
                return True, ()
            code = _school_of(word, by_key, by_name, named)
            if code is not None:
                codes.append(code)
            else:
                unknown.append(word.lower())
    if unknown:
        # One error for the cell (a school's name written out is one mistake, not five);
        # ``codes``: the reply lists the right ones once.
        row.error("schools", MSG_UNKNOWN_SCHOOL, value=" ".join(unknown),
                  codes=", ".join(sorted(known)))
    return False, tuple(sorted(set(codes)))


def _parse_row(row: _Row, known: Collection[str], names: Mapping[str, str],
               tz: ZoneInfo) -> ActivityData | None:
    external_id = row.text("id", MAX_ID, required=True)
    kind_text = row.text("kind", required=True)
    kind = kind_of(kind_text) if kind_text else None
    if kind_text and kind is None:
        row.error("kind", MSG_UNKNOWN_KIND, value=kind_text)
    all_schools, codes = _schools(row, known, names)

    day = row.parsed("date", _date, MSG_BAD_DATE)
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        row.error("date", MSG_YEAR_RANGE, value=_text(row.cells.get("date")),
                  first=FIRST_YEAR, last=LAST_YEAR)
        day = None
    start = row.parsed("start", _time, MSG_BAD_TIME)
    end = row.parsed("end", _end_time, MSG_BAD_TIME)
    starts_at = ends_at = None
    if day and start and end:
        end_day = day + timedelta(days=1) if overnight(start, end) else day
        skipped = [(column, clock) for column, clock, on in (("start", start, day),
                                                              ("end", end, end_day))
                   if skipped_by_clocks(on, clock, tz)]
        for column, clock in skipped:
            row.error(column, MSG_CLOCKS_SKIP, value=f"{clock:%H:%M}")
        if not skipped:
            starts_at, ends_at = _local(day, start, tz), end_moment(day, start, end, tz)
            if ends_at <= starts_at:
                row.error("end", MSG_END_NOT_AFTER_START)

    rule = row.text("repeat") or None
    if rule and starts_at:
        try:
            if recurrence_rule(rule, starts_at, tz).after(datetime.min, inc=True) is None:
                row.error("repeat", MSG_RRULE_NO_DATES)
        except ValueError:
            row.error("repeat", MSG_BAD_RRULE, value=rule)

    latitude = row.coordinate("lat", 90, MSG_LATITUDE_RANGE)
    longitude = row.coordinate("lon", 180, MSG_LONGITUDE_RANGE)
    for column, other in (("lat", "lon"), ("lon", "lat")):
        if not _text(row.cells.get(column)) and _text(row.cells.get(other)):
            row.error(column, MSG_LAT_LON_PAIR)
    place = Place(
        row.text("place", MAX_PLACE), row.text("address", MAX_ADDRESS), latitude, longitude
    )

    texts = {}
    for locale in SUPPORTED_LOCALES:
        title = row.text(f"title_{locale}", MAX_TITLE, required=locale == DUTCH)
        description = row.text(f"description_{locale}")
        if title or description:
            texts[locale] = LocalText(title, description)

    cancelled_days = [(cell, _date(cell)) for cell in _dates(row.cells.get("cancelled_dates"))]
    for cell, cancelled_day in cancelled_days:
        if cancelled_day is None:
            row.error("cancelled_dates", MSG_BAD_DATE, value=_text(cell))

    if row.errors or kind is None or starts_at is None or ends_at is None:
        return None
    data = ActivityData(
        external_id=external_id,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        rrule=rule,
        all_schools=all_schools,
        school_codes=codes,
        place=place,
        texts=texts,
    )
    cancelled: set[datetime] = set()
    for _cell, cancelled_day in cancelled_days:
        assert cancelled_day is not None  # checked above
        occurrence = occurrence_on(data, cancelled_day, tz)
        if occurrence is None:
            row.error("cancelled_dates", MSG_NOT_AN_OCCURRENCE, value=cancelled_day.isoformat())
        else:
            cancelled.add(occurrence)
    return None if row.errors else replace(data, cancelled_starts=frozenset(cancelled))


def _name(cell: Cell) -> str:
    """A header cell as a column name: small letters, "_" for spaces and hyphens."""
    return re.sub(r"[\s\-]+", "_", _text(cell).lower())


def _header(cells: Sequence[Cell]) -> list[str]:
    """The columns' names, a synonym as the column it stands for."""
    return [SYNONYMS.get(name, name) for name in map(_name, cells)]


def _meant(name: str, header: Collection[str]) -> str | None:
    """The column that ``name``, a header the importer does not read, is most like (or the
    column of the synonym it is most like), if it is near enough and the sheet lacks that
    column; else None: "description" beside description_nl is a note column."""
    if not name or name in COLUMNS or (
            _OTHER_LANGUAGE.fullmatch(name) and name[-2:] not in SUPPORTED_LOCALES):
        return None
    matcher = difflib.SequenceMatcher(b=name)

    def likeness(candidate: str) -> float:
        matcher.set_seq1(candidate)
        return matcher.ratio()

    # The first of equals, in COLUMNS' order: "description" is description_nl.
    best = max((*COLUMNS, *SYNONYMS), key=likeness)
    column = SYNONYMS.get(best, best)
    return column if likeness(best) >= NEAR_MISS and column not in header else None


def _header_errors(row: int, cells: Sequence[Cell]) -> list[RowError]:
    """What is wrong with the header: a column the importer reads twice (under one name or
    two), a header that is nearly one of its columns (misspelt, it would be read as a note
    and its values lost), a required column missing."""
    written = [_text(cell) for cell in cells]
    header = _header(cells)
    errors: list[RowError] = []
    # Only a column we read is ambiguous twice; two "notes" columns are the coordinator's.
    for column in COLUMNS:
        places = [index for index, name in enumerate(header) if name == column]
        if len(places) < 2:
            continue
        spellings: dict[str, str] = {}  # each name as first written
        for index in places:
            spellings.setdefault(_name(cells[index]), written[index])
        if len(spellings) == 1:
            errors.append(RowError(row, column, MSG_DUPLICATE_COLUMN, {"column": column}))
        else:  # "repeat" and "rrule"
            first, other = list(spellings.values())[:2]
            errors.append(RowError(row, other, MSG_SAME_COLUMN,
                                   {"header": other, "column": first}))
    meant: set[str] = set()
    for text, name in zip(written, header, strict=True):
        column = _meant(name, header)
        if column is not None:
            meant.add(column)
            errors.append(RowError(row, text, MSG_NEAR_COLUMN, {"header": text,
                                                                "column": column}))
    errors += [RowError(row, column, MSG_MISSING_COLUMN, {"column": column})
               for column in REQUIRED_COLUMNS if column not in header and column not in meant]
    return errors


# How far down the header may be: a title ("Programma najaar 2026") or a note may stand
# above it, but a table lower than this is not a programme sheet.
HEADER_SEARCH_ROWS = 10


def _find_header(records: Sequence[Sequence[Cell]]) -> int | None:
    """The index of the header among the first rows: the first that names most of the
    required columns; else the first row with anything in it (its missing columns are then
    named). Empty rows above the table (Excel's blank top row) are skipped; None if all are
    empty."""
    filled = [index for index, cells in enumerate(records[:HEADER_SEARCH_ROWS])
              if any(_text(cell) for cell in cells)]
    for index in filled:
        named = set(_header(records[index])) & set(REQUIRED_COLUMNS)
        if len(named) * 2 > len(REQUIRED_COLUMNS):  # a title row names none of them
            return index
    return filled[0] if filled else None


def parse_table(
    records: Iterable[Sequence[Cell]],
    known_schools: Collection[str] | Mapping[str, str] | None = None,
    tz: ZoneInfo = BRUSSELS,
    *,
    notes_beside: bool = False,
) -> ParseResult:
    """Rows of a spreadsheet, in order from row 1; the header is the first row that names
    the columns (rows above it are empty or a title). Errors name the sheet's row numbers;
    empty columns left of the table are ignored like any unnamed column. ``known_schools``:
    the codes, or a mapping of code to name (a school may be named as the coordinator writes
    it). ``notes_beside``: a cell right of the table is a note (a workbook's cells stay in
    their columns); in a CSV it is a value whose separator was not quoted, an error."""
    known = default_school_codes() if known_schools is None else frozenset(known_schools)
    names = names_of_schools(known_schools)
    lines = iter(records)
    top = [record for _, record in zip(range(HEADER_SEARCH_ROWS), lines, strict=False)]
    found = _find_header(top)
    if found is None:
        return ParseResult([], [RowError(0, "", MSG_EMPTY_FILE)])
    header_row = found + 1
    header = _header(top[found])
    errors = _header_errors(header_row, top[found])
    if errors:
        return ParseResult([], errors)
    lines = itertools.chain(top[found + 1:], lines)

    rows: list[ActivityData] = []
    first_row_of: dict[str, int] = {}
    read = [name in COLUMNS for name in header]
    for number, cells in enumerate(lines, start=header_row + 1):
        # Nothing in a column the importer reads (empty, or only a note: "Data onder
        # voorbehoud"): skipped. A cell past the header is not a note (see below).
        extra = [cell for cell in cells[len(header):] if _text(cell)]
        # A cell right of the table: in a CSV a value whose separator was not quoted; in a
        # workbook a note, unless it is a day (a second cancelled date typed in the next
        # cell: dropped without a word, the day would stay on).
        beyond = bool(extra) and (not notes_beside
                                  or any(_date(cell) is not None for cell in extra))
        if not any(_text(cell) for cell, wanted in zip(cells, read, strict=False) if wanted) \
                and not beyond:
            continue
        # Rows may be shorter or longer than the header (trailing empty cells).
        named = zip(header, cells, strict=False)
        row = _Row(number, {name: cell for name, cell in named if name})
        data = _parse_row(row, known, names, tz)
        if beyond and notes_beside:
            row.error("", MSG_NO_HEADING, value=next(
                _text(cell) for cell in extra if _date(cell) is not None))
        elif beyond:
            # A value with the separator in it, not quoted: every cell after it moved one
            # column on (a repeat rule read as the place...).
            row.error("", MSG_EXTRA_CELLS)
        # Capitals do not count: Excel's AutoComplete writes "Yoga" for "yoga" (store.apply
        # matches the activities alike).
        external_id = _text(row.cells.get("id"))
        key = external_id.lower()
        if key in first_row_of:
            row.error("id", MSG_DUPLICATE_ID, value=external_id, row=first_row_of[key])
        elif key:
            first_row_of[key] = number
        errors += row.errors
        if data is not None and not row.errors:
            rows.append(data)
    if not rows and not errors:
        errors.append(RowError(0, "", MSG_NO_ACTIVITIES))
    return ParseResult(rows if not errors else [], errors)


def _delimiter(text: str) -> str:
    """The separator under which the header names the most required columns (an empty line
    or a title may come first); without a header, the one the first filled line has most."""
    def named(separator: str) -> int:
        top = itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=separator),
                               HEADER_SEARCH_ROWS)
        return max((len(set(_header(row)) & set(REQUIRED_COLUMNS)) for row in top), default=0)

    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=lambda separator: (named(separator),
                                                          first_line.count(separator)))


def parse_csv(
    data: bytes, known_schools: Collection[str] | Mapping[str, str] | None = None,
    tz: ZoneInfo = BRUSSELS,
) -> ParseResult:
    """A CSV file: UTF-8 with or without BOM, semicolons or commas (seen in the header)."""
    try:
        # A NUL is never part of a cell, and PostgreSQL refuses it in a text column.
        text = data.decode("utf-8-sig").replace("\x00", "")
    except UnicodeDecodeError:
        # Excel's plain "CSV" is Windows-1252: Turkish and Punjabi letters are already lost.
        return ParseResult([], [RowError(0, "", MSG_NOT_UTF8)])
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return parse_table(reader, known_schools, tz)


def parse_xlsx(
    data: bytes, known_schools: Collection[str] | Mapping[str, str] | None = None,
    tz: ZoneInfo = BRUSSELS,
) -> ParseResult:
    """The programme sheet of an Excel workbook (``_programme_sheet``); cells may be real
    dates and times. In a workbook of several sheets, the result names the sheet read and
    the other sheets that hold a programme too (``ParseResult.sheet``, ``other_sheets``)."""
    from openpyxl import load_workbook  # only the importer needs it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, XML and key errors alike on a broken file
        return ParseResult([], [RowError(0, "", MSG_NOT_XLSX)])
    try:
        sheets = workbook.worksheets
        for sheet in sheets:
            # Read-only mode trusts the size the file states, and some programs write a
            # wrong one (the first cell only): the rows as they are, whatever it says.
            sheet.reset_dimensions()
        # Which sheet: by the top rows of each (a big notes sheet is not read whole).
        index, others = _programme_sheet(
            [(sheet.sheet_state == "visible",
              [list(values) for values in sheet.iter_rows(values_only=True,
                                                         max_row=HEADER_SEARCH_ROWS)])
             for sheet in sheets])
        sheet = sheets[index]
        records = [list(values) for values in sheet.iter_rows(values_only=True)]
        # openpyxl keeps the sheet's path in the archive private: without it, no merges.
        merged = _merged_ranges(data, getattr(sheet, "_worksheet_path", ""))
        several = len(sheets) > 1
        names = [sheets[i].title for i in others]
    finally:
        workbook.close()
    _fill_merged_down(records, merged)
    result = parse_table(records, known_schools, tz, notes_beside=True)
    return replace(result, sheet=sheet.title, other_sheets=tuple(names)) if several else result


def _programme_rows(records: Sequence[Sequence[Cell]]) -> bool | None:
    """Of a sheet's top rows: None when no header names most of the required columns (not a
    programme sheet); else whether a row below the header has anything in it."""
    found = _find_header(records[:HEADER_SEARCH_ROWS])
    named = set(_header(records[found])) & set(REQUIRED_COLUMNS) if found is not None else ()
    if found is None or len(named) * 2 <= len(REQUIRED_COLUMNS):
        return None
    return any(_text(cell) for row in records[found + 1:] for cell in row)


def _programme_sheet(sheets: Sequence[tuple[bool, Sequence[Sequence[Cell]]]]
                     ) -> tuple[int, list[int]]:
    """Of (visible, rows) per sheet: the index of the sheet to read, and those of the other
    visible sheets with a programme table that has rows. The first visible sheet with a
    programme table with rows: a hidden list behind a dropdown, a notes sheet, or next
    month's sheet with only its header typed yet, before it is passed over. Without rows
    anywhere, the first with a table (it holds no activities); none has one: the first
    visible sheet (its errors say what it lacks)."""
    visible = [i for i, (shown, _rows) in enumerate(sheets) if shown] or [0]
    found = {i: _programme_rows(sheets[i][1]) for i in visible}
    filled = [i for i in visible if found[i]]
    if filled:
        return filled[0], filled[1:]
    tables = [i for i in visible if found[i] is not None]
    return (tables or visible)[0], []


def _merged_ranges(data: bytes, sheet_path: str) -> list[tuple[int, int, int]]:
    """The sheet's merged cells that span rows, as (column, first row, last row), 0-based:
    read-only openpyxl does not read them, and gives their lower cells as empty."""
    from openpyxl.utils.cell import range_boundaries

    found: list[tuple[int, int, int]] = []
    if not sheet_path:
        return found
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet_path) as xml:
            for _event, element in ElementTree.iterparse(xml):
                if element.tag.endswith("}mergeCell"):
                    first_column, first_row, _last_column, last_row = range_boundaries(
                        element.get("ref", ""))
                    if last_row > first_row:
                        found.append((first_column - 1, first_row - 1, last_row - 1))
                element.clear()  # a sheet may be large: keep no cells in memory
    except Exception:  # openpyxl read the sheet: a merge we cannot read leaves it as it was
        return []
    return found


def _fill_merged_down(records: list[list[Cell]], merged: list[tuple[int, int, int]]) -> None:
    """A cell merged over several rows (one day over that day's activities) counts for each
    of them: its value in the rows below it, in its first column only (a title merged
    across columns is not copied into the next column). A row empty but for the merge stays
    empty (the day merged down past the day's last activity)."""
    for column, first_row, last_row in merged:
        if first_row >= len(records) or column >= len(records[first_row]):
            continue
        value = records[first_row][column]
        for row in records[first_row + 1:last_row + 1]:
            if not any(_text(cell) for cell in row):
                continue
            if len(row) <= column:
                row.extend([None] * (column + 1 - len(row)))
            row[column] = value
