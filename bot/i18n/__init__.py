"""Translation helpers: gettext catalogs for nl, tr and pa, and Babel formatting.

Usage::

    from bot.i18n import _, N_, ngettext, use_locale

    with use_locale("pa"):
        text = _("Welcome!")            # from locales/pa/LC_MESSAGES/messages.po
        when = format_datetime(moment)  # Gurmukhi weekday and month, Brussels time

msgids are the English source text. The current locale lives in a ContextVar, set once per
update by the door (bot/handlers/door.py) and by scheduled jobs around each send.
Catalogs are read from the .po files on first use (no compiled .mo files to keep in step).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SUPPORTED_LOCALES: tuple[str, ...] = ("nl", "tr", "pa")
DEFAULT_LOCALE = "nl"
# Each language named in its own script, as on the language buttons.
LANGUAGE_NAMES: dict[str, str] = {"nl": "Nederlands", "tr": "Türkçe", "pa": "ਪੰਜਾਬੀ"}
BRUSSELS = ZoneInfo("Europe/Brussels")

_current_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)
_timezone: ContextVar[ZoneInfo] = ContextVar("timezone", default=BRUSSELS)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of one locale, compiled in memory from its .po file."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def supported(locale: str | None) -> str | None:
    """The shipped locale matching a Telegram ``language_code`` like ``tr-TR``, else None."""
    if not locale:
        return None
    base = locale.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def current_locale() -> str:
    return _current_locale.get()


@contextmanager
def use_locale(locale: str | None, timezone: ZoneInfo | None = None) -> Iterator[str]:
    """Speak ``locale`` (and show times in ``timezone``) inside the block."""
    chosen = supported(locale) or DEFAULT_LOCALE
    token = _current_locale.set(chosen)
    tz_token = _timezone.set(timezone) if timezone is not None else None
    try:
        yield chosen
    finally:
        _current_locale.reset(token)
        if tz_token is not None:
            _timezone.reset(tz_token)


def _(message: str) -> str:
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a module-level label for extraction; translate it with ``_`` when rendered."""
    return message


def in_every_locale(message: str, order: Sequence[str] | None = None) -> list[str]:
    """One message in every shipped locale (to recognise a reply-keyboard label), or in the
    locales of ``order``, in that order."""
    return [translations(locale).gettext(message) for locale in order or SUPPORTED_LOCALES]


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_timezone.get())


def local_moment(moment: datetime) -> datetime:
    """The moment in the reader's time zone (Brussels unless told otherwise)."""
    return _local(moment)


# A language named in the reader's language ("Turks" in Dutch), where LANGUAGE_NAMES names
# each in its own ("Türkçe").
LANGUAGE_WORDS: dict[str, str] = {"nl": N_("Dutch"), "tr": N_("Turkish"), "pa": N_("Punjabi")}


def language_word(code: str) -> str:
    return _(LANGUAGE_WORDS[code]) if code in LANGUAGE_WORDS else code


def format_date(day: date | datetime, fmt: str = "long") -> str:
    if isinstance(day, datetime):
        day = _local(day).date()
    return babel_dates.format_date(day, fmt, locale=current_locale())


# Every reader gets the 24-hour clock of Belgian schools, their letters and the team's own
# messages: Babel's Punjabi "short" time is 12-hour, with a Latin "PM" in Gurmukhi text.
CLOCK = "HH:mm"


def format_time(moment: datetime | time, fmt: str = CLOCK) -> str:
    if isinstance(moment, datetime):
        moment = _local(moment)
    return babel_dates.format_time(moment, fmt, locale=current_locale())


def format_datetime(moment: datetime, fmt: str = "medium") -> str:
    return babel_dates.format_datetime(_local(moment), fmt, locale=current_locale())


def format_weekday_date(moment: datetime | date) -> str:
    """'woensdag 25 november 2026', '25 Kasım 2026 Çarşamba', 'ਬੁੱਧਵਾਰ, 25 ਨਵੰਬਰ 2026'."""
    return format_date(moment, "full")


def format_duration(delta: timedelta) -> str:
    """'3 uur', '5 dakika', rounded to the largest unit, as people say it."""
    return babel_dates.format_timedelta(delta, threshold=1.5, locale=current_locale())


def format_number(number: int | float) -> str:
    return babel_numbers.format_decimal(number, locale=current_locale())
