"""Message bodies shared by several flows, rendered in the current locale."""

from __future__ import annotations

import html
import math
from collections.abc import Callable

from bot.handlers.commands import staff_commands
from bot.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    _,
    current_locale,
    format_date,
    ngettext,
    use_locale,
)
from bot.services.people import PersonView, SchoolView
from bot.services.roles import STAFF, Role


def in_every_language(text: Callable[[], str], order: list[str] | None = None) -> str:
    """``text()`` once per language, in ``order`` (Telegram's guess first): for someone who
    has not chosen a language yet, who may read none of our guess."""
    lines = []
    for code in order if order else SUPPORTED_LOCALES:
        with use_locale(code):
            lines.append(text())
    return "\n\n".join(lines)


def greeting_in_every_language(order: list[str]) -> str:
    """The first message, before anyone chose a language: one line per language."""
    return in_every_language(
        lambda: _("Welcome! I am the bot of the Brede School. Which language do you want?"),
        order)


def school_question() -> str:
    return _(
        "Which school do your children go to?\n"
        "Tap your school. More than one school? Tap them all.\n"
        "Then tap “Done”."
    )


def school_names(schools: list[SchoolView], chosen: tuple[int, ...] | list[int]) -> str:
    return ", ".join(s.name for s in schools if s.id in chosen)


def your_schools(schools: list[SchoolView], chosen: tuple[int, ...] | list[int]) -> str:
    names = school_names(schools, chosen)
    count = len([s for s in schools if s.id in chosen])
    return ngettext("Your school: {schools}", "Your schools: {schools}", count).format(
        schools=names
    )


def privacy_notice(question_retention_days: int) -> str:
    """The notice, with how long things are kept (``bot/services/retention.py``; closed
    questions: QUESTION_RETENTION_DAYS, said in months)."""
    months = max(1, math.ceil(question_retention_days / 30))  # never less than kept
    return _(
        "About your data\n\n"
        "We keep only: your Telegram account number, your first name, your language, your "
        "schools, your answers to our invitations and your questions.\n"
        "Only the Brede School team sees this: the brugfiguren and the coordinator.\n"
        "We never see your phone number.\n"
        "You can erase everything at any moment with /forget."
    ) + "\n" + ngettext(
        "We erase a question {months} month after it is closed, and your answers to "
        "invitations a year after the activity.",
        "We erase a question {months} months after it is closed, and your answers to "
        "invitations a year after the activity.", months).format(months=months)


def what_we_keep(person: PersonView, schools: list[SchoolView], language: str) -> str:
    return _(
        "What we keep about you:\n"
        "Name: {name}\n"
        "Language: {language}\n"
        "Schools: {schools}\n"
        "With us since: {date}"
    ).format(
        name=person.first_name,
        language=language,
        schools=school_names(schools, person.school_ids) or "–",
        date=format_date(person.created_at),
    )


def help_text(role: Role = Role.PARENT) -> str:
    """The parent's help; for the team, how to answer instead of how to ask (/ask is the
    parents'), and their commands."""
    first = (_("💬 To answer a parent: swipe their message or the card to the left (reply), "
               "then write, speak or send a photo. Without a swipe I ask which parent it is "
               "for.") if role in STAFF else
             _("❓ Ask a question: write it, say it in a voice message, or send a photo of a "
               "letter. Someone from the team answers you."))
    lines = [_("What can I do for you?"), "", first, _help_lines()]
    if role in STAFF:
        # The team's own commands, as their menu words them.
        lines += ["", _("For the team:"),
                  *(f"/{name}: {_(words)}" for name, words in staff_commands(role))]
    return "\n".join(lines)


def _help_lines() -> str:
    return "\n".join([
        _("📅 This week: the activities of your school in the coming days.\n"
          "🏫 My school: add or remove a school.\n"
          "🌐 Language: choose another language."),
        # A Dutch reader has no translation to show the Dutch below (settings_rows).
        _("/settings: hours without messages.") if current_locale() == DEFAULT_LOCALE
        else _("/settings: hours without messages, the Dutch text below."),
        _("/privacy: what we keep about you.\n"
          "/stop: no more messages from us.\n"
          "/forget: erase everything about you."),
    ])


def original_headings(*, html_markup: bool) -> dict[str, str]:
    """Per language, the heading above the Dutch original below a translation."""
    headings = {}
    for code in SUPPORTED_LOCALES:
        with use_locale(code):
            words = _("Original (Dutch):")
        headings[code] = f"🇧🇪 <b>{html.escape(words)}</b>" if html_markup else f"🇧🇪 {words}"
    return headings


def dutch_marks() -> dict[str, str]:
    """The mark above the Dutch original for a parent whose language has no translation."""
    marks = {}
    for code in SUPPORTED_LOCALES:
        with use_locale(code):
            marks[code] = "🇧🇪 " + _("(in Dutch)")
    return marks
