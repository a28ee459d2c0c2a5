"""One cell of a spreadsheet (or a calendar value) read as text, a day, a time, a number;
and the limits every format shares."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.programme import Kind
from storage.db import SCHOOLS_FILE

# The years an activity may fall in. A typo such as 0206 or 20026 is refused, not imported:
# a daily rule starting in the year 206 would be expanded from then on at every look at the
# week, and an activity in 2620 would never be seen.
FIRST_YEAR, LAST_YEAR = 2020, 2099

MAX_ID, MAX_TITLE, MAX_PLACE, MAX_ADDRESS = 100, 200, 200, 300

# A spreadsheet cell as csv or openpyxl gives it.
Cell = str | int | float | bool | date | time | datetime | None


_KINDS: dict[str, Kind] = {
    "ouderbabbel": Kind.OUDERBABBEL,
    "workshop": Kind.WORKSHOP,
    "openactivity": Kind.OPEN_ACTIVITY,
    "openactiviteit": Kind.OPEN_ACTIVITY,
    "holidayactivity": Kind.HOLIDAY_ACTIVITY,
    "vakantieactiviteit": Kind.HOLIDAY_ACTIVITY,
    "other": Kind.OTHER,
    "andere": Kind.OTHER,
    "ander": Kind.OTHER,
}
_ALL_SCHOOLS = {"all", "alle", "all schools", "alle scholen"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")
# 14:00, 14.30, and the Flemish "14.30 u" or "9.00 uur" (the hour word after the time).
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?:\s*(?:uur|u|h))?")
_FLEMISH_CLOCK = re.compile(r"(\d{1,2})\s*(?:uur|u|h)(?:\s*(\d{2}))?")  # 14u, 14u30, 14 uur
# What Excel (or Google Sheets, LibreOffice) shows in a cell whose formula failed: in the
# workbook's file in English, in a Dutch Excel's CSV in Dutch. Never a title or a time.
EXCEL_ERRORS = frozenset({
    "#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#n/a", "#getting_data",
    "#spill!", "#calc!", "#field!", "#blocked!", "#connect!", "#busy!", "#unknown!", "#error!",
    "#leeg!", "#deel/0!", "#waarde!", "#verw!", "#naam?", "#getal!", "#n/b", "#overloop!",
    "#berekenen!", "#veld!", "#geblokkeerd!", "#verbinden!", "#bezet!", "#onbekend!",
    "#fout!",
})  # fmt: skip


def excel_error(cell: object) -> bool:
    """Whether a cell holds the error of a failed formula (#N/A, #VERW!...)."""
    return isinstance(cell, str) and cell.strip().casefold() in EXCEL_ERRORS


def default_school_codes() -> frozenset[str]:
    """The codes of the schools shipped in storage/data/schools.json."""
    schools = json.loads(SCHOOLS_FILE.read_text(encoding="utf-8"))
    return frozenset(school["code"] for school in schools)


# A shorter form of a school's name is not a name of its own ("GO", "Velm"): codes are for
# those.
SHORTEST_NAME = 8


def _key(text: str) -> str:
    """A code or name as compared: without case, accents, spaces or punctuation
    ("Vrije basisschool Klim-op" is "vrijebasisschoolklimop", "Çocuk" "cocuk")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in plain if ch.isalnum() and not unicodedata.combining(ch))


def _name_forms(name: str) -> set[str]:
    """The forms of a school's name a calendar category may take: the whole name, without
    what stands between brackets ("Freinetschool Het Wijdeland" for "... (Brustem)"), and
    the part before its first comma (CATEGORIES splits at commas: "Vrije Kleuterschool
    Kabouterland, Sint-Rita" typed unescaped is two categories)."""
    unbracketed = re.sub(r"\s*\([^)]*\)", "", name)
    forms = {name, unbracketed, name.split(",")[0], unbracketed.split(",")[0]}
    return {key for form in forms if len(key := _key(form)) >= SHORTEST_NAME}


def names_of_schools(known_schools: Collection[str] | Mapping[str, str] | None
                     ) -> dict[str, str]:
    """Code to name: from a mapping of code to name (the database's schools), or the shipped
    schools.json when None; a bare collection of codes has no names."""
    if known_schools is None:
        schools = json.loads(SCHOOLS_FILE.read_text(encoding="utf-8"))
        return {school["code"]: school["name"] for school in schools}
    if isinstance(known_schools, Mapping):
        return {code: str(name) for code, name in known_schools.items()}
    return {}


def school_names(known_schools: Collection[str] | Mapping[str, str] | None) -> dict[str, str]:
    """A school's name, in each of its forms (``_name_forms``, as ``_key``), to its code
    (the names: ``names_of_schools``). A form two schools share names neither."""
    found: dict[str, str | None] = {}
    for code, name in names_of_schools(known_schools).items():
        for key in _name_forms(name):
            found[key] = code if found.get(key, code) == code else None
    return {key: code for key, code in found.items() if code is not None}


def kind_of(text: str) -> Kind | None:
    """``Open activiteit`` -> Kind.OPEN_ACTIVITY; None if unknown."""
    return _KINDS.get(re.sub(r"[\s_\-]+", "", text.lower()))




def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # Excel stores the id 12 as 12.0
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


def _date(cell: Cell) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _time(cell: Cell) -> time | None:
    if isinstance(cell, datetime):
        return cell.time()
    if isinstance(cell, time):
        return cell
    if isinstance(cell, float) and 0 <= cell < 1:  # Excel's fraction of a day
        # From 23:59:30 on the minute rounds to 24:00, which is no time of the day: the
        # day's last minute instead (an end "at midnight" typed as 23:59:59).
        minutes = min(round(cell * 24 * 60), 24 * 60 - 1)
        return time(minutes // 60, minutes % 60)
    text = _text(cell).lower()
    match = _CLOCK.fullmatch(text) or _FLEMISH_CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _end_time(cell: Cell) -> time | None:
    """An end: a time of the day, or "24:00" ("24u", "24.00"), which is midnight: 00:00 (the
    caller puts it on the next day, see ``end_moment``)."""
    found = _time(cell)
    if found is None and isinstance(cell, str):
        match = _CLOCK.fullmatch(cell.strip().lower()) or _FLEMISH_CLOCK.fullmatch(
            cell.strip().lower())
        if match is not None and int(match.group(1)) == 24 and int(match.group(2) or 0) == 0:
            return time(0)
    return found


# An end before the start is the next morning only after an evening start, and until noon:
# New Year's Eve 23:30 to 00:30, a sleep-over 19:00 to 09:00. "14:00 to 02:00" is more
# likely a typo than a twelve-hour afternoon, and stays refused.
EVENING = time(17)
MORNING_END = time(12)


def overnight(start: time, end: time) -> bool:
    """An end that falls on the next day: midnight (00:00) after any other start, or an
    end before an evening start, in the night or the morning."""
    if end == time(0):
        return start != time(0)
    return end < start and start >= EVENING and end <= MORNING_END


def end_moment(day: date, start: time, end: time, tz: ZoneInfo) -> datetime:
    """The end of an activity that starts on ``day`` at ``start``: that day at ``end``, or the
    next day's for an evening until the night (``overnight``)."""
    if overnight(start, end):
        return _local(day + timedelta(days=1), end, tz)
    return _local(day, end, tz)


def parse_date(text: str) -> date | None:
    """A typed day (2026-10-21, 21/10/2026), or None."""
    return _date(text.strip())


def parse_time(text: str) -> time | None:
    """A typed clock time (14:00, 14.00, 14u30), or None."""
    return _time(text.strip())


def parse_end(text: str) -> time | None:
    """A typed end: as ``parse_time``, and "24:00" for midnight (00:00)."""
    return _end_time(text.strip())


def _number(cell: Cell) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        try:
            value = float(_text(cell).replace(",", "."))  # Belgian decimal comma
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _dates(cell: Cell) -> list[Cell]:
    if isinstance(cell, date | datetime):
        return [cell]
    return [part for part in re.split(r"[\s,;]+", _text(cell)) if part]


def _external_id(uid: str) -> str:
    """A calendar UID as an id of at most 100 characters (Outlook's UIDs are longer)."""
    if len(uid) <= MAX_ID:
        return uid
    return "ics-" + hashlib.sha256(uid.encode()).hexdigest()[:60]


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tz).astimezone(UTC)
