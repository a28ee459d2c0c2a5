"""/report [YYYY-MM]: the coordinator's monthly picture: a chart, a workbook (XLSX) and a CSV
of a month's figures (counts only, bot/services/report.py), and the switch of the automatic
report on the first of each month (bot/scheduler/report.py), each coordinator's own.

Without a month: last month. Callback data: ``rp:auto:on`` | ``rp:auto:off`` (the state the
button asks for, so a second press changes nothing).
"""

from __future__ import annotations

import asyncio
import re

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction

from bot.handlers.door import BotContext, door
from bot.handlers.report_files import ReportFiles, month_label, report_files
from bot.i18n import _, ngettext
from bot.services import report as service
from bot.services.report import Month, Report
from bot.services.roles import Role

REPORT_DATA = r"^rp:auto:(on|off)$"


def summary(report: Report) -> str:
    """The chart's caption: the month and its three main figures."""
    figures = report.this_month
    lines = [
        "📊 " + _("Report of {month}").format(month=month_label(report.month.first_day)),
        f"{_('Parents reached')}: {figures.parents_reached} · {_('Coming')}: {figures.coming}"
        f" · {_('Questions')}: {figures.questions}",
        _("The figures are in the spreadsheet: counts only, no names."),
    ]
    if report.answers_erased:  # why a report made again may count fewer than the first one
        lines.append(ngettext(
            "{count} parent asked us later to erase their data. Their answers are no longer "
            "counted here.",
            "{count} parents asked us later to erase their data. Their answers are no longer "
            "counted here.", report.answers_erased).format(count=report.answers_erased))
    return "\n".join(lines)


async def send_report(bot: Bot, chat_id: int, report: Report, files: ReportFiles, *,
                      silent: bool = False) -> None:
    """The chart with its caption, then the XLSX and the CSV (``silent``: without a sound,
    the automatic report in the coordinator's orange hour)."""
    await bot.send_photo(chat_id, files.chart, caption=summary(report),
                         filename=files.chart_name, disable_notification=silent)
    await bot.send_document(chat_id, files.xlsx, filename=files.xlsx_name,
                            disable_notification=silent)
    await bot.send_document(chat_id, files.csv, filename=files.csv_name,
                            disable_notification=silent)


def automatic_screen(on: bool, example: Month) -> tuple[str, InlineKeyboardMarkup]:
    hint = _("Another month: /report {month}").format(month=example)
    if on:
        text = _("On the 1st of each month you get last month's report by itself.")
        button = InlineKeyboardButton("🔕 " + _("Turn it off"), callback_data="rp:auto:off")
    else:
        text = _("The monthly report is not sent by itself. Ask for it with /report.")
        button = InlineKeyboardButton("🔔 " + _("Turn it on"), callback_data="rp:auto:on")
    return f"{text}\n{hint}", InlineKeyboardMarkup([[button]])


# The oldest month a report can be made of: its every day less than a year ago.
REPORT_MONTHS_BACK = 11


def parse_month(args: list[str], now_month: Month) -> Month | str:
    """The month asked for (last month without an argument), or what is wrong with it."""
    if not args:
        return now_month.previous()
    try:
        month = Month.parse(args[0]) if len(args) == 1 else None
    except ValueError:
        month = None
    if month is None:
        return _("Write the month as year-month, for example: /report {month}").format(
            month=now_month.previous())
    if month > now_month:
        return _("That month has not begun yet.")
    if month < now_month.shifted(-REPORT_MONTHS_BACK):
        # Answers are kept a year after their day (bot/services/retention.py).
        return _("That month is more than a year ago. Its answers are erased after a year, so "
                 "its report would miss them.")
    return month


@door(roles=(Role.COORDINATOR,))
async def report_command(update: Update, context: BotContext) -> None:
    """/report [YYYY-MM]: the chart, the XLSX and the CSV, then the automatic switch."""
    chat = update.effective_chat
    assert chat is not None
    tz = context.settings.timezone
    now_month = Month.of(context.now(), tz)
    month = parse_month(list(context.args or []), now_month)
    if isinstance(month, str):
        await chat.send_message(month)
        return
    await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
    report = await service.build(context.session, month, tz=tz)
    files = await asyncio.to_thread(report_files, report)
    await send_report(context.bot, chat.id, report, files)
    enabled = await service.monthly_enabled(context.session, context.telegram_id)
    text, markup = automatic_screen(enabled, now_month.previous())
    await chat.send_message(text, reply_markup=markup)


@door(roles=(Role.COORDINATOR,))
async def report_button(update: Update, context: BotContext) -> None:
    """Turn the automatic monthly report on or off."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(REPORT_DATA, query.data)
    if match is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    on = match.group(1) == "on"
    await service.set_monthly(context.session, on, context.telegram_id)  # theirs alone
    await query.answer()
    text, markup = automatic_screen(on, Month.of(context.now(), context.settings.timezone)
                                    .previous())
    await query.edit_message_text(text, reply_markup=markup)
