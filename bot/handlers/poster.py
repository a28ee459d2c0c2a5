"""/poster: the coordinator gets a school's poster, a PDF to print on A4 and the same as a PNG
for a newsletter or a screen; or every school's at once, in a ZIP (bot/services/poster.py).

Callback data: ``po:s:<school id>`` (one school) | ``po:all`` (the ZIP).
"""

from __future__ import annotations

import asyncio
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction

from bot.handlers.bursts import once_per_burst
from bot.handlers.door import BotContext, door
from bot.i18n import _
from bot.services import people
from bot.services import poster as service
from bot.services.people import SchoolView
from bot.services.roles import Role

POSTER_DATA = r"^po:(?:s:(\d{1,9})|all)$"
ZIP_NAME = "posters-brede-school.zip"
# Taps on the same button this close to each other send its posters once (the nine take a few
# seconds to make, and a coordinator taps again when nothing seems to happen).
SEND_AGAIN_AFTER = 30.0


def schools_keyboard(schools: list[SchoolView]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(school.name, callback_data=f"po:s:{school.id}")]
            for school in schools]
    rows.append([InlineKeyboardButton("🗂 " + _("All schools (ZIP)"), callback_data="po:all")])
    return InlineKeyboardMarkup(rows)


@door(roles=(Role.COORDINATOR,))
async def poster_command(update: Update, context: BotContext) -> None:
    """/poster: a button per school, and one for all of them."""
    assert update.effective_chat is not None
    schools = await people.schools(context.session)
    await update.effective_chat.send_message(
        _("A poster with a QR code: parents scan it and the bot starts with their school "
          "already chosen. Which school?"),
        reply_markup=schools_keyboard(schools))


@door(roles=(Role.COORDINATOR,))
async def poster_button(update: Update, context: BotContext) -> None:
    """A school's poster (PDF and PNG), or every school's in a ZIP."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    match = re.match(POSTER_DATA, query.data)
    schools = await people.schools(context.session)
    chosen = [s for s in schools if match and match.group(1) and s.id == int(match.group(1))]
    if match is None or (match.group(1) and not chosen):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    chat = update.effective_chat
    username = context.bot.username

    async def send() -> None:
        await query.answer(_("One moment, I am making the posters…") if not chosen else None)
        await chat.send_chat_action(ChatAction.UPLOAD_DOCUMENT)
        if not chosen:
            archive = await asyncio.to_thread(service.posters_zip, schools, username)
            await chat.send_document(archive, filename=ZIP_NAME, caption=_(
                "The posters of every school: a PDF to print on A4 and a PNG picture for "
                "each."))
            return
        school = chosen[0]
        poster = await asyncio.to_thread(service.make_poster, school, username)
        await chat.send_document(poster.pdf, filename=poster.pdf_name, caption=(
            f"{school.name}\n{poster.link}\n\n" + _("Print it on A4.")))
        await chat.send_document(poster.png, filename=poster.png_name, caption=_(
            "The same poster as a picture, for a newsletter, an e-mail or a screen."))

    # A second tap while they are made: they come once (a failed try is forgotten).
    if not await once_per_burst(context.chat_data, f"poster:{match.group(1) or 'all'}",
                                SEND_AGAIN_AFTER, send):
        await query.answer()
