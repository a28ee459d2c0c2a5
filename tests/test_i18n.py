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


def _literal_msgids() -> set[tuple[str, str | None]]:
    """Every string literal given to _, N_ or ngettext in bot/, f-strings included (pybabel's
    extractor does not look inside them)."""
    import ast
    from pathlib import Path

    found: set[tuple[str, str | None]] = set()
    for path in Path("bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    else None for a in node.args]
            if node.func.id in ("_", "N_") and args and args[0] is not None:
                found.add((args[0], None))
            elif node.func.id == "ngettext" and len(args) >= 2 and None not in args[:2]:
                found.add((args[0], args[1]))
    return found


def test_every_text_in_the_code_is_translated_in_every_catalog() -> None:
    from babel.messages.pofile import read_po

    from bot.i18n import LOCALES_DIR

    msgids = _literal_msgids()
    assert len(msgids) > 300  # the scan sees the code
    for locale in SUPPORTED_LOCALES:
        with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        missing = []
        for singular, _plural in sorted(msgids):
            message = catalog.get(singular)
            strings = (message.string if message is not None else None) or ""
            if not (strings if isinstance(strings, str) else all(strings)):
                missing.append(singular)
        assert not missing, f"{locale}: not in the catalog: {missing}"
