"""Sending a text of any length to the chat of an update.

Usage::

    await send_long(update, text, html=True, reply_markup=keyboard)

Telegram takes at most 4096 characters a message: a long programme, /rsvps or /queue is cut
at paragraphs (else lines, else words: an HTML tag is never cut in two, as tags never span
lines here) and sent as several messages, the keyboard under the last one.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.services.outbox import split_text


async def send_long(update: Update, text: str, *, html: bool = False, **kwargs: object) -> None:
    assert update.effective_chat is not None
    parts = split_text(text)
    options = {"parse_mode": ParseMode.HTML} if html else {}
    for index, part in enumerate(parts):
        extra = kwargs if index == len(parts) - 1 else {}
        await update.effective_chat.send_message(part, **options, **extra)
