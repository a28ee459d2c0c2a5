"""Catalogs and Babel formatting in each reader's locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.i18n import (
    SUPPORTED_LOCALES,
    _,
    format_time,
    format_weekday_date,
    in_every_locale,
    ngettext,
    supported,
    use_locale,
)

GURMUKHI = re.compile(r"[\u0A00-\u0A7F]")


def test_each_locale_translates() -> None:
    texts = {}
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            texts[locale] = _("Which language do you want?")
    assert texts == {
        "nl": "Welke taal wil je?",
        "tr": "Hangi dili istersiniz?",
        "pa": "ਤੁਸੀਂ ਕਿਹੜੀ ਭਾਸ਼ਾ ਚਾਹੁੰਦੇ ਹੋ?",
    }


def test_unknown_locale_falls_back_to_dutch() -> None:
    with use_locale("fr") as chosen:
        assert chosen == "nl"
        assert _("Help") == "Hulp"


def test_supported_maps_telegram_codes() -> None:
    assert supported("tr-TR") == "tr"
    assert supported("pa_IN") == "pa"
    assert supported("en") is None
    assert supported(None) is None


def test_plural_forms() -> None:
    with use_locale("nl"):
        assert ngettext("Your school: {schools}", "Your schools: {schools}", 1).startswith(
            "Je school"
        )
        assert ngettext("Your school: {schools}", "Your schools: {schools}", 2).startswith(
            "Je scholen"
        )
    with use_locale("pa"):
        assert GURMUKHI.search(ngettext("Your school: {schools}", "Your schools: {schools}", 2))


def test_dates_in_the_readers_locale_and_brussels_time() -> None:
    # 17:30 UTC on 25 November 2026 is 18:30 in Brussels (winter time).
    moment = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    with use_locale("nl"):
        assert format_weekday_date(moment) == "woensdag 25 november 2026"
        assert format_time(moment) == "18:30"
    with use_locale("tr"):
        assert "Çarşamba" in format_weekday_date(moment) and "Kasım" in format_weekday_date(moment)
    with use_locale("pa"):
        assert "ਬੁੱਧਵਾਰ" in format_weekday_date(moment)
        assert "ਨਵੰਬਰ" in format_weekday_date(moment)


def test_summer_time_in_brussels() -> None:
    moment = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    with use_locale("nl"):
        assert format_time(moment) == "18:00"


def test_in_every_locale() -> None:
    assert in_every_locale("Help") == ["Hulp", "Yardım", "ਮਦਦ"]
