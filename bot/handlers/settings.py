"""/settings: a parent's choices about how messages reach them, one button row per setting.

Today: the Dutch original below every translated broadcast. The screen is the list of rows
``settings_rows`` builds; a later setting adds its row there.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.door import BotContext, door
from bot.handlers.onboarding import ensure_onboarded
from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, _, use_locale
from bot.services import people
from bot.services.people import PersonView

SETTINGS_DATA = r"^set:nl:(on|off)$"


def original_headings(*, html_markup: bool) -> dict[str, str]:
    """Per language, the heading above the Dutch original below a translation."""
    headings = {}
    for code in SUPPORTED_LOCALES:
        with use_locale(code):
            words = _("Original (Dutch):")
        headings[code] = f"🇧🇪 <b>{html.escape(words)}</b>" if html_markup else f"🇧🇪 {words}"
    return headings


def settings_rows(person: PersonView) -> list[list[InlineKeyboardButton]]:
    """The settings screen's buttons, one row per setting this person can change."""
    rows: list[list[InlineKeyboardButton]] = []
    if (person.locale or DEFAULT_LOCALE) != DEFAULT_LOCALE:
        on = person.dutch_below
        rows.append([InlineKeyboardButton(
            ("✅ " if on else "☑️ ") + _("Show the Dutch text below the translation"),
            callback_data="set:nl:off" if on else "set:nl:on")])
    return rows


def settings_text(person: PersonView) -> str:
    lines = [_("Settings")]
    if (person.locale or DEFAULT_LOCALE) == DEFAULT_LOCALE:
        lines.append(_("Our messages already reach you in Dutch, the original language. "
                       "There is nothing to set for now."))
    return "\n\n".join(lines)


@door()
async def settings_command(update: Update, context: BotContext) -> None:
    """/settings: the settings screen."""
    if not await ensure_onboarded(update, context):
        return
    person = context.person
    assert person is not None and update.effective_chat is not None
    rows = settings_rows(person)
    await update.effective_chat.send_message(
        settings_text(person), reply_markup=InlineKeyboardMarkup(rows) if rows else None)


@door()
async def settings_button(update: Update, context: BotContext) -> None:
    """A settings button: change that setting and redraw the buttons in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = context.person
    if (person is None or person.step is not None
            or (person.locale or DEFAULT_LOCALE) == DEFAULT_LOCALE):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await people.set_dutch_below(context.session, person.id, query.data.endswith(":on"))
    person = await context.reload_person()
    assert person is not None
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(settings_rows(person)))
