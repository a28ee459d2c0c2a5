"""/settings: a parent's choices about how messages reach them, one button row per setting.

The Dutch original below every translated broadcast, and the hours without messages
(parents who work shifts sleep at other times). The screen is the list of rows
``settings_rows`` builds; a later setting adds its row there.
"""

from __future__ import annotations

import re
from datetime import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.door import BotContext, door
from bot.handlers.onboarding import ensure_onboarded
from bot.i18n import DEFAULT_LOCALE, _, format_time
from bot.scheduler.outbox import wake
from bot.services import people, reminders
from bot.services.people import PersonView
from bot.services.reminders import QuietHours

SETTINGS_DATA = r"^set:(nl:on|nl:off|q|q:def|q:\d\d-\d\d)$"
# The choices offered for quiet hours: the usual night, earlier or later nights, a day's
# sleep after a night shift, and none at all.
QUIET_CHOICES = ("20-07", "22-07", "23-06", "08-16", "00-00")


def quiet_label(quiet: QuietHours) -> str:
    """'21:00–08:00', or 'none' when the parent takes messages at any hour."""
    if quiet.none:
        return _("none")
    return f"{format_time(time(quiet.start))}–{format_time(time(quiet.end))}"


def settings_rows(person: PersonView,
                  default_quiet: QuietHours) -> list[list[InlineKeyboardButton]]:
    """The settings screen's buttons, one row per setting this person can change."""
    rows: list[list[InlineKeyboardButton]] = []
    if (person.locale or DEFAULT_LOCALE) != DEFAULT_LOCALE:
        on = person.dutch_below
        rows.append([InlineKeyboardButton(
            ("✅ " if on else "⬜ ") + _("Show the Dutch text below the translation"),
            callback_data="set:nl:off" if on else "set:nl:on")])
    quiet = QuietHours.parse(person.quiet_hours) or default_quiet
    # Without quiet hours, "No messages: none" would read as "no messages at all".
    label = (_("Messages at any hour") if quiet.none
             else _("No messages: {hours}").format(hours=quiet_label(quiet)))
    rows.append([InlineKeyboardButton("🌙 " + label, callback_data="set:q")])
    return rows


def quiet_rows(person: PersonView,
               default_quiet: QuietHours) -> list[list[InlineKeyboardButton]]:
    """The choices of quiet hours, the current one ticked."""
    current = person.quiet_hours
    rows = [[InlineKeyboardButton(
        ("✅ " if current is None else "") + _("The usual: {hours}").format(
            hours=quiet_label(default_quiet)), callback_data="set:q:def")]]
    for code in QUIET_CHOICES:
        quiet = QuietHours.parse(code)
        assert quiet is not None
        # "none" under "hours when messages wait" would read as "no messages": said plainly.
        label = _("Messages at any hour") if quiet.none else quiet_label(quiet)
        rows.append([InlineKeyboardButton(("✅ " if current == code else "") + label,
                                          callback_data=f"set:q:{code}")])
    return rows


def settings_text(person: PersonView) -> str:
    lines = [_("Settings")]
    lines.append(_("🌙 Between these hours, reminders and messages from the school wait. "
                   "Do you work shifts? Choose other hours."))
    return "\n\n".join(lines)


@door()
async def settings_command(update: Update, context: BotContext) -> None:
    """/settings: the settings screen."""
    if not await ensure_onboarded(update, context):
        return
    person = context.person
    assert person is not None and update.effective_chat is not None
    rows = settings_rows(person, await reminders.default_quiet(context.session))
    await update.effective_chat.send_message(settings_text(person),
                                             reply_markup=InlineKeyboardMarkup(rows))


@door()
async def settings_button(update: Update, context: BotContext) -> None:
    """A settings button: change that setting and redraw the buttons in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = context.person
    action = query.data.removeprefix("set:")
    dutch = action.startswith("nl:")
    if (person is None or person.step is not None or not re.match(SETTINGS_DATA, query.data)
            or (dutch and (person.locale or DEFAULT_LOCALE) == DEFAULT_LOCALE)
            or (action.startswith("q:") and action[2:] not in ("def", *QUIET_CHOICES))):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    default_quiet = await reminders.default_quiet(context.session)
    if action == "q":  # show the choices
        await query.answer()
        await query.edit_message_reply_markup(
            reply_markup=InlineKeyboardMarkup(quiet_rows(person, default_quiet)))
        return
    if dutch:
        await people.set_dutch_below(context.session, person.id, action == "nl:on")
    else:
        code = action[2:]
        if await people.set_quiet_hours(context.session, person.id,
                                        None if code == "def" else code):
            await context.commit()
            wake(context.application)  # what waited for her old hours may be due now
    person = await context.reload_person()
    assert person is not None
    await query.answer()
    await query.edit_message_reply_markup(
        reply_markup=InlineKeyboardMarkup(settings_rows(person, default_quiet)))
