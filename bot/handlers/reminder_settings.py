"""/reminders: the coordinator chooses which reminders each kind of activity gets, and the
usual quiet hours. Callback data: rm:home, rm:k:<kind>, rm:t:<kind>:<reminder>:on|off (what the
button asks for, so an older screen's press or a double tap changes nothing unasked),
rm:q[:HH-HH]."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.door import BotContext, door
from bot.handlers.programme_text import kind_label
from bot.handlers.settings import quiet_label
from bot.i18n import N_, _
from bot.scheduler.outbox import wake
from bot.services import reminders
from bot.services.programme import Kind
from bot.services.reminders import QuietHours, ReminderKind
from bot.services.roles import Role

KINDS = "|".join(k.value for k in Kind)
REMINDERS = "|".join(r.value for r in ReminderKind)
# The usual quiet hours the coordinator may choose from (a parent may still pick their own).
USUAL_CHOICES = ("21-08", "20-08", "22-08", "21-07", "22-07")
REMINDER_SETTINGS_DATA = (
    rf"^rm:(home|k:({KINDS})|t:({KINDS}):({REMINDERS}):(on|off)|q|q:\d\d-\d\d)$")

REMINDER_LABELS: dict[ReminderKind, str] = {
    ReminderKind.WEEK: N_("A week before, at 18:00"),
    ReminderKind.DAY: N_("The day before, at 18:00"),
    ReminderKind.TWO_HOURS: N_("Two hours before"),
}


def short(chosen: tuple[ReminderKind, ...]) -> str:
    # " · ": each label is a phrase of its own, with its own capital and comma.
    return " · ".join(_(REMINDER_LABELS[r]) for r in chosen) or _("no reminders")


def home_screen(kinds: dict[Kind, tuple[ReminderKind, ...]],
                quiet: QuietHours) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("Reminders for each kind of activity. Tap one to change it."), ""]
    lines += [f"{kind_label(k)}: {short(kinds[k])}" for k in Kind]
    lines += ["", "🌙 " + _("Quiet hours for everyone: {hours}").format(hours=quiet_label(quiet))]
    rows = [[InlineKeyboardButton(kind_label(k), callback_data=f"rm:k:{k.value}")] for k in Kind]
    rows.append([InlineKeyboardButton("🌙 " + _("Quiet hours"), callback_data="rm:q")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def kind_screen(kind: Kind, chosen: tuple[ReminderKind, ...]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(
        ("✅ " if r in chosen else "☑️ ") + _(REMINDER_LABELS[r]),
        callback_data=f"rm:t:{kind.value}:{r.value}:{'off' if r in chosen else 'on'}")]
        for r in ReminderKind]
    rows.append([InlineKeyboardButton("↩️ " + _("Back"), callback_data="rm:home")])
    return InlineKeyboardMarkup(rows)


def quiet_screen(quiet: QuietHours) -> InlineKeyboardMarkup:
    rows = []
    for code in USUAL_CHOICES:
        option = QuietHours.parse(code)
        assert option is not None
        rows.append([InlineKeyboardButton(("✅ " if option == quiet else "") + quiet_label(option),
                                          callback_data=f"rm:q:{code}")])
    rows.append([InlineKeyboardButton("↩️ " + _("Back"), callback_data="rm:home")])
    return InlineKeyboardMarkup(rows)


@door(roles=(Role.COORDINATOR,))
async def reminders_command(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None
    text, markup = home_screen(await reminders.kinds_by_activity_kind(context.session),
                               await reminders.default_quiet(context.session))
    await update.effective_chat.send_message(text, reply_markup=markup)


@door(roles=(Role.COORDINATOR,))
async def reminders_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(REMINDER_SETTINGS_DATA, query.data)
    parts = query.data.split(":")
    if match is None or (parts[1] == "q" and len(parts) == 3
                         and parts[2] not in USUAL_CHOICES):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    session = context.session
    await query.answer()
    if parts[1] == "k":
        kind = Kind(parts[2])
        chosen = (await reminders.kinds_by_activity_kind(session))[kind]
        await query.edit_message_text(
            f"{kind_label(kind)}\n\n" + _("Which reminders do parents get?"),
            reply_markup=kind_screen(kind, chosen))
    elif parts[1] == "t":
        kind = Kind(parts[2])
        chosen = await reminders.set_reminder_kind(session, kind, ReminderKind(parts[3]),
                                                   on=parts[4] == "on")
        await query.edit_message_reply_markup(reply_markup=kind_screen(kind, chosen))
    elif parts[1] == "q" and len(parts) == 2:
        await query.edit_message_reply_markup(
            reply_markup=quiet_screen(await reminders.default_quiet(session)))
    else:
        if parts[1] == "q":
            chosen_quiet = QuietHours.parse(parts[2])
            assert chosen_quiet is not None
            if await reminders.set_default_quiet(session, chosen_quiet):
                await context.commit()
                wake(context.application)  # what waited for the old hours may be due now
        text, markup = home_screen(await reminders.kinds_by_activity_kind(session),
                                   await reminders.default_quiet(session))
        await query.edit_message_text(text, reply_markup=markup)

