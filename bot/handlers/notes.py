"""The note after an activity: the coordinator sends it (text, photo, a PDF...) to the parents
who said they would come. The bot asks for it with a message the coordinator replies to."""

from __future__ import annotations

import re

from telegram import ForceReply, Update

from bot.handlers.door import BotContext, door
from bot.i18n import _, format_weekday_date, ngettext, use_locale
from bot.scheduler.outbox import wake
from bot.services import outbox, rsvp
from bot.services.cancellation import from_unix
from bot.services.outbox import NewMessage
from bot.services.roles import Role

NOTE_DATA = r"^rn:(\d{1,9}):(\d{1,12})$"  # rn:<activity id>:<start, unix seconds>


@door(roles=(Role.COORDINATOR,))
async def note_button(update: Update, context: BotContext) -> None:
    """"✉️ Note after ...": ask for the note as a reply."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    match = re.match(NOTE_DATA, query.data)
    start = from_unix(int(match[2])) if match else None
    if match is None or start is None or start > context.now():
        await query.answer(_("This button has expired."), show_alert=True)
        return
    activity_id = int(match[1])
    coming = await rsvp.note_audience(context.session, activity_id, start,
                                      context.settings.timezone)
    if coming is None:
        # A button from before it was cancelled (or a forged one): it did not take place.
        await query.answer(_("That day was cancelled, so there is no note to send after it."),
                           show_alert=True)
        return
    if not coming:
        await query.answer(_("Nobody said they would come."), show_alert=True)
        return
    await query.answer()
    prompt = await update.effective_chat.send_message(
        ngettext("Send the note for {day} as a reply to this message: text, a photo or a "
                 "document. It goes to the {count} parent who said they would come.",
                 "Send the note for {day} as a reply to this message: text, a photo or a "
                 "document. It goes to the {count} parents who said they would come.",
                 len(coming)).format(day=format_weekday_date(start), count=len(coming)),
        reply_markup=ForceReply(selective=True))
    await rsvp.remember_note_prompt(context.session, prompt.chat_id, prompt.message_id,
                                    activity_id, start)


@door(roles=(Role.COORDINATOR,))
async def note_reply(update: Update, context: BotContext) -> bool:
    """The coordinator's reply to a note prompt: copied to each parent who said yes. False
    when the reply is to something else."""
    message = update.message
    if message is None or message.reply_to_message is None:
        return False
    found = await rsvp.take_note_prompt(context.session, message.chat_id,
                                        message.reply_to_message.message_id)
    if found is None:
        return False
    activity_id, start = found
    coming = await rsvp.note_audience(context.session, activity_id, start,
                                      context.settings.timezone)
    if coming is None:
        await message.reply_text(_("That day was cancelled, so your note was not sent."))
        return True
    key = f"note:{activity_id}:{int(start.timestamp())}:{message.message_id}"
    titles = await rsvp.titles_of(context.session, activity_id,
                                  {a.locale or "nl" for a in coming})
    # First a line in the parent's own language saying what comes (the note itself is as the
    # coordinator wrote it, most often in Dutch), then the note.
    heads = {}
    for locale, title in titles.items():
        with use_locale(locale, context.settings.timezone):
            heads[locale] = "📝 " + _("A message from the Brede School after “{activity}” on "
                                     "{day}:").format(activity=title,
                                                      day=format_weekday_date(start))
    await outbox.enqueue_many(context.session, [
        new for a in coming for new in (
            NewMessage(dedupe_key=f"{key}:{a.person_id}:head", chat_id=a.chat_id,
                       person_id=a.person_id, kind="text",
                       payload={"text": heads[a.locale or "nl"]}, group_key=key[:64]),
            NewMessage(dedupe_key=f"{key}:{a.person_id}", chat_id=a.chat_id,
                       person_id=a.person_id, kind="copy",
                       payload={"from_chat_id": message.chat_id,
                                "message_id": message.message_id},
                       group_key=key[:64]))])
    await context.commit()
    wake(context.application)
    await message.reply_text("✅ " + ngettext("Sent to {count} parent.", "Sent to {count} parents.",
                                             len(coming)).format(count=len(coming)))
    return True
