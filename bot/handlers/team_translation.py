"""Translations by the team: the coordinator's button under /programme's list of missing
texts asks the brugfiguren; their replies fill the activity (text, or a voice message)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.handlers.door import BotContext, door
from bot.handlers.formatting import formatted
from bot.handlers.texts import dutch_marks, original_headings
from bot.i18n import _, format_number, language_word, ngettext, use_locale
from bot.scheduler.outbox import wake
from bot.services import announcement as announcements
from bot.services import programme as programme_service
from bot.services import staff, team_translation
from bot.services.announcement import CAPTION_MAX
from bot.services.broadcast import SENDING
from bot.services.roles import STAFF, Role
from bot.services.team_translation import Outcome, ToTranslate
from storage.models import Person

ASK_DATA = r"^tt:ask$"


def ask_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        "🙋 " + _("Ask the team to translate"), callback_data="tt:ask")]])


def render_request(request: ToTranslate) -> str:
    """What a brugfiguur reads, in their own chat language."""
    with use_locale(request.reader_locale):
        language = language_word(request.locale)
        lines = [
            "🙋 " + _("Can you write this announcement in {language}?").format(
                language=language),
            _("Reply to this message with the text."),
        ] if request.announcement else [
            "🙋 " + _("Can you write this activity in {language}?").format(language=language),
            _("The title is there already: reply to this message with a short description.")
            if request.has_title else
            _("Reply to this message: the title on the first line, a short description "
              "below it."),
        ]
        lines += [
            _("You can also reply with a voice message in {language}, for parents who read "
              "little.").format(language=language),
            "",
            f"🇧🇪 {request.title_nl}",
        ]
        if request.description_nl:
            lines.append(request.description_nl)
        return "\n".join(lines)


@door(roles=(Role.COORDINATOR,))
async def ask_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    missing = await programme_service.missing_translations(
        context.session, context.now().date(), context.settings.timezone)
    members = await staff.team(context.session)
    asked = await team_translation.ask_team(context.session, missing, members, render_request,
                                            stamp=update.update_id, now=context.now())
    await context.commit()
    wake(context.application)
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    if asked == 0:
        text = _("Nobody in the team speaks the missing languages yet. Add them with /staff.")
    else:
        text = ngettext("Asked: {count} message to the team. Their answers fill the "
                        "activities; /programme shows what is still missing.",
                        "Asked: {count} messages to the team. Their answers fill the "
                        "activities; /programme shows what is still missing.",
                        asked).format(count=asked)
    await update.effective_chat.send_message(text)


@door()
async def translation_reply(update: Update, context: BotContext) -> bool:
    """A brugfiguur's reply to a translation request; False for any other reply (and for
    anyone not on the team: their replies go on as ordinary messages)."""
    message = update.message
    if message is None:
        return False
    return await _take(message, context)


async def edited(update: Update, context: BotContext) -> bool:
    """An edit of a brugfiguur's reply to a translation request: it corrects their words
    while they are still in use. False for any other edit. Called at the top of
    questions.edited_copy, inside fallback.edited_message's door (so no door of its own)."""
    message = update.edited_message
    if message is None:
        return False
    return await _take(message, context, edit=True)


async def _take(message: Message, context: BotContext, *, edit: bool = False) -> bool:
    """A reply (or an edit of one) to a translation request fills or corrects the text.
    From someone taken off the team since, it fills nothing, and they are told so (else it
    would go on as a question of their own, with their translation in it)."""
    if message.reply_to_message is None or context.person is None:
        return False
    request = await team_translation.request_of_reply(
        context.session, message.chat_id, message.reply_to_message.message_id)
    if request is None:
        return False
    if context.role not in STAFF:
        await message.reply_text("🚪 " + _("You are no longer in the team. Nothing was "
                                          "saved."))
        return True
    if edit and message.voice is not None:
        return True  # only a voice message's caption can change: nothing to take
    voice = message.voice.file_id if message.voice else None
    if request.announcement:
        await announcement_reply(message, context, request, voice)
        return True
    outcome = await team_translation.take_reply(
        context.session, request, author_id=context.person.id, text=message.text,
        voice_file_id=voice)
    if outcome is Outcome.STALE:
        await stale_reply(message, context, request)
        return True
    await message.reply_text(outcome_text(outcome))
    return True


async def stale_reply(message: Message, context: BotContext,
                      request: team_translation.Request) -> None:
    """A reply (or an edit) made for a Dutch text that changed since: nothing was saved;
    its author gets the Dutch as it is now to translate, while it is still missing."""
    assert context.person is not None
    member = next((m for m in await staff.team(context.session)
                   if m.id == context.person.id), None)
    asked = member is not None and await team_translation.ask_again(
        context.session, request, member, render_request, context.now(),
        context.settings.timezone)
    await message.reply_text("✋ " + (
        _("The Dutch text has changed since, so I did not save this. You get the new text "
          "in a separate message: please reply to that one. Thank you!") if asked else
        _("The Dutch text has changed since, so I did not save this. Thank you anyway!")))
    if asked:  # after the note above: the new request comes below it
        await context.commit()
        wake(context.application)


def outcome_text(outcome: Outcome) -> str:
    """What the brugfiguur reads after their reply."""
    texts = {
        Outcome.SAVED: "✅ " + _("Thank you! Parents will read your words."),
        Outcome.VOICE_SAVED: "✅ " + _("Thank you! Parents will hear your voice message."),
        Outcome.UPDATED: "✏️ " + _("Updated, thank you! Parents will read your corrected "
                                   "words."),
        Outcome.VOICE_UPDATED: "✏️ " + _("Updated, thank you! Parents will hear your new "
                                         "voice message."),
        Outcome.ALREADY_DONE: _("A colleague has already written this one. Thank you anyway!"),
        Outcome.VOICE_ALREADY_DONE: _("A colleague has already recorded this one. Thank you "
                                      "anyway!"),
        Outcome.ALREADY_SENT: _("This announcement has already been sent. Thank you "
                                "anyway!"),
        Outcome.CANCELLED: _("The coordinator stopped this announcement, so it was not sent "
                             "and nothing was saved. Thank you anyway!"),
        Outcome.GONE: _("This activity no longer exists. Nothing was saved."),
        Outcome.EMPTY: _("Please reply with text (the title on the first line) or a voice "
                         "message."),
        Outcome.TOO_LONG: _("That is too long for a caption under a photo or a file: at most "
                            "{limit} characters. Nothing was saved. Please reply with a shorter "
                            "text.").format(limit=format_number(CAPTION_MAX)),
    }
    return texts[outcome]


async def announcement_reply(message: Message, context: BotContext,
                             request: team_translation.Request, voice: str | None) -> None:
    """A reply for an announcement draft: it fills (or, its author's, corrects) the
    language, and the draft's author hears so."""
    assert context.person is not None
    if voice is None and not (message.text or "").strip():
        await message.reply_text(_("Please reply with text or a voice message."))
        return
    # Their formatting kept, as the coordinator's: a link they made to the form stays a link.
    rich = formatted(message.text, message.entities) if message.text else None
    outcome, author_id = await team_translation.take_announcement_reply(
        context.session, request, author_id=context.person.id,
        text=rich if rich is not None else message.text, html=rich is not None,
        voice_file_id=voice, marks=dutch_marks(), originals=original_headings(html_markup=False))
    await message.reply_text(outcome_text(outcome))
    author = await context.session.get(Person, author_id) if author_id else None
    if author is None or outcome not in (Outcome.SAVED, Outcome.VOICE_SAVED, Outcome.UPDATED,
                                         Outcome.VOICE_UPDATED):
        return
    draft = await announcements.get(context.session, request.activity_id)
    sent = draft is not None and draft.status == SENDING
    with use_locale(author.locale):
        language = language_word(request.locale)
        name = context.person.first_name
        if outcome is Outcome.VOICE_SAVED:
            # Not the words: those who read it still get the text they would have got.
            note = "✅ " + (_("{name} recorded a voice message in {language}: the parents "
                              "still waiting for your announcement hear it.") if sent else
                            _("{name} recorded a voice message in {language} for your "
                              "announcement.")).format(name=name, language=language)
        elif outcome is Outcome.SAVED and sent:
            # Sent already: the copies quiet hours still held get the translation.
            note = "✅ " + _("{name} added the {language}: the parents still waiting for your "
                             "announcement get it in {language}.").format(
                name=name, language=language)
        elif outcome is Outcome.SAVED:
            note = "✅ " + _("{name} added the {language} to your announcement.").format(
                name=name, language=language)
        else:
            note = "✏️ " + _("{name} corrected the {language} of your announcement.").format(
                name=context.person.first_name, language=language)
    await context.bot.send_message(author.telegram_id, note)
