"""Sending a text of any length, or a list with a button per line, to the chat of an update.

Usage::

    await send_long(update, text, html=True, reply_markup=keyboard)
    await send_listed(update, text, rows)       # rows: one list of buttons per question

Telegram takes at most 4096 characters a message: a long programme, /rsvps or /queue is cut
at paragraphs (else lines, else words: an HTML tag is never cut in two, as tags never span
lines here) and sent as several messages, the keyboard under the last one.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode

from bot.i18n import ngettext
from bot.services.outbox import split_text

MAX_BUTTONS = 100  # Telegram's most inline buttons under one message


async def send_long(update: Update, text: str, *, html: bool = False, **kwargs: object) -> None:
    assert update.effective_chat is not None
    parts = split_text(text)
    options = {"parse_mode": ParseMode.HTML} if html else {}
    for index, part in enumerate(parts):
        extra = kwargs if index == len(parts) - 1 else {}
        await update.effective_chat.send_message(part, **options, **extra)


async def send_listed(update: Update, text: str, rows: list[list[InlineKeyboardButton]], *,
                      reply_parameters: ReplyParameters | None = None) -> None:
    """A list of questions with a button each: Telegram takes 100 under one message, so the
    buttons beyond (a holiday's backlog) come under messages of their own, and every
    question listed can be opened. ``reply_parameters``: every part replies to that message
    (a ➡️ prompt's buttons send only the message it replies to)."""
    assert update.effective_chat is not None
    await send_long(update, text,
                    reply_markup=InlineKeyboardMarkup(rows[:MAX_BUTTONS]) if rows else None,
                    reply_parameters=reply_parameters)
    for start in range(MAX_BUTTONS, len(rows), MAX_BUTTONS):
        page = rows[start:start + MAX_BUTTONS]
        await update.effective_chat.send_message(
            ngettext("And {count} more question:", "And {count} more questions:", len(page))
            .format(count=len(page)), reply_markup=InlineKeyboardMarkup(page),
            reply_parameters=reply_parameters)
