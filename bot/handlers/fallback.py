"""What is left: free messages, group chats, buttons nobody recognises, and errors."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.ext import ContextTypes

from bot.handlers import account, answers, programme, questions, rsvp
from bot.handlers.bursts import first_of_burst
from bot.handlers.door import BotContext, door
from bot.handlers.keyboards import main_action_for, main_keyboard
from bot.handlers.onboarding import (
    ensure_onboarded,
    signed_up,
    take_typed_language,
    take_typed_school,
)
from bot.handlers.texts import help_text
from bot.i18n import _, supported, use_locale
from bot.services import people, typed_commands
from bot.services import questions as question_store
from bot.services.roles import Role
from storage.db import Database

log = logging.getLogger(__name__)
READ_LOCALE_TIMEOUT = 2.0  # seconds; a database that does not answer gets no longer
ALBUM_ASKED = "sign_up_asked_for_album"  # chat_data: the album whose first photo was answered
GROUP_POINTED = "group_pointed_at"  # chat_data: when a group's message last got the pointer
GROUP_POINTER_AGAIN = timedelta(days=1)  # a group that shows the bot every message
GROUP_BURST = 10 * 60.0  # seconds: commands and mentions of one person, a burst

# The big buttons of the main keyboard, by their key (see keyboards.MAIN_ACTIONS).
MAIN_ACTION_HANDLERS = {
    "ask": questions.ask_command,
    "week": programme.week_command,
    "school": account.school_command,
    "language": account.language_command,
    "help": account.help_command,
}


@door()
async def edited_message(update: Update, context: BotContext) -> None:
    """An edited private message: copies passed on change with it (``questions.edited_copy``);
    a parent's typed answer to a reminder, corrected ("evet" made "hayır"), answers again.
    A team member's other edit is answered: it changed nothing. A parent's is left alone."""
    if await questions.edited_copy(update, context):
        return
    if context.role is Role.PARENT:
        await rsvp.typed_rsvp(update, context, edited=True)
    elif context.role in (Role.BRUGFIGUUR, Role.COORDINATOR) and update.edited_message and (
            update.edited_message.text or update.edited_message.caption):
        # (A live location is a stream of edits: not answered.)
        # An announcement's text fixed while it is sent, a title of /activity corrected:
        # the team must know the fix reached nobody.
        await update.edited_message.reply_text(_(
            "I do not take changes to a message I already have: I keep it as it was. To "
            "change something, send it as a new message."))


async def private_message(update: Update, context: BotContext) -> None:
    """Any other message in a private chat: a big button, or else a gentle pointer."""
    message = update.message
    if message is not None and message.text:
        action = main_action_for(message.text)
        if action is not None and action.key in MAIN_ACTION_HANDLERS:
            await MAIN_ACTION_HANDLERS[action.key](update, context)
            return
    await _other_message(update, context)


@door()
async def _other_message(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None
    if not signed_up(context.person):
        await _before_sign_up_is_done(update, context)
        return
    if context.role is Role.PARENT:
        if await _typed_help(update, context):
            return  # "Yardım", "menü", "ਮਦਦ", "/menu" alone: what /help shows, no question
        text = update.message.text if update.message is not None else None
        if text is not None and text.startswith("/") and len(text.split()) == 1:
            # A command we do not have ("/ayarlar", "/settngs"): no question for the team.
            await update.effective_chat.send_message(
                _("I do not know this command. Tap a big button below, or send /help."),
                reply_markup=main_keyboard())
            return
        if await take_typed_language(update, context):
            return  # "Türkçe" typed after sign-up: the language changes
        if not await rsvp.typed_rsvp(update, context):
            await questions.parent_message(update, context)
    elif context.role is Role.BRUGFIGUUR:
        message = update.message
        text = message.text if message is not None else None
        if message is not None and message.reply_to_message is None:
            if text is not None and text.startswith("/") and len(text.split()) == 1:
                # "/inbx": a command mistyped, not an answer for a parent.
                await update.effective_chat.send_message(
                    _("I do not know this command. Tap a big button below, or send /help."),
                    reply_markup=main_keyboard())
                return
            if typed_commands.typed_command(text) not in (None, typed_commands.Asked.PUZZLED):
                # "Help", "menu" alone: what /help shows her (a "?" may be for a parent).
                await update.effective_chat.send_message(help_text(context.role),
                                                         reply_markup=main_keyboard())
                return
        if message is not None and message.reply_to_message is not None and (
                await rsvp.typed_rsvp(update, context)):
            return  # she is a parent too: "Ja, ik kom" swiped onto her own reminder
        await answers.not_sent(update, context)
    else:
        await update.effective_chat.send_message(
            _("Sorry, I did not understand that. Please use the buttons below."),
            reply_markup=main_keyboard(),
        )


async def _typed_help(update: Update, context: BotContext) -> bool:
    """A signed-up parent's lone "Yardım", "menü", "Help!", "ਮਦਦ" or "?"
    (``typed_commands``): what /help shows (the big buttons, a word on each), and nothing
    kept or passed on, as for /help itself, even with a question going on (a draft would
    open as the question "Yardım"). In a conversation with a brugfiguur (a question of
    theirs open) a lone "?" asks "any news?", and a word swiped as a reply to a message
    answers it, and one swiped onto a reminder asks about its activity: those go on as any
    word. False when the text is no such word."""
    message, person, chat = update.message, context.person, update.effective_chat
    assert person is not None and chat is not None
    asked = typed_commands.typed_command(message.text if message is not None else None)
    if asked is None or message is None:
        return False
    if (asked is typed_commands.Asked.PUZZLED or message.reply_to_message is not None) and (
            await question_store.current(context.session, person.id, question_store.OPEN)
            is not None):
        return False
    if message.reply_to_message is not None and await question_store.replied_activity(
            context.session, chat.id, message.reply_to_message.message_id) is not None:
        # "Info?" swiped onto a reminder asks about its activity: a question for the team
        # (its card names the activity), not the menu.
        return False
    await chat.send_message(help_text(context.role), reply_markup=main_keyboard())
    return True


async def _before_sign_up_is_done(update: Update, context: BotContext) -> None:
    """The open sign-up question is asked again (once per album: Telegram sends each photo
    on its own), and what may be a question is kept for after sign-up: a photo, a voice
    message, a document, or a text of a few words that is not a button's answer typed out
    (``onboarding.may_be_a_question``)."""
    if await take_typed_language(update, context) or await take_typed_school(update, context):
        return
    message = update.message
    album = message.media_group_id if message is not None else None
    if album is None or context.chat_data.get(ALBUM_ASKED) != album:
        await ensure_onboarded(update, context)
        if album is not None:
            context.chat_data[ALBUM_ASKED] = album
    await questions.keep_early_message(update, context)


async def reader_locale(context: ContextTypes.DEFAULT_TYPE, user: User | None) -> str:
    """The language the person chose, else Telegram's guess: for the replies made outside
    the door (a group chat, an update that failed), which has not read the person."""
    if user is None:
        return supported(None)
    db: Database | None = context.application.bot_data.get("db")
    if db is not None:
        try:
            async with asyncio.timeout(READ_LOCALE_TIMEOUT), db.session() as session:
                found = await people.load(session, user.id)
            if found is not None and found.row.locale:
                return str(found.row.locale)
        except Exception:  # the database may be what failed: Telegram's guess then
            log.warning("could not read the person's language for a reply")
    return supported(user.language_code)


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot in a group: it works in private chats only, and says so to whoever writes to
    it there (in privacy mode a group sends it only commands, mentions and replies), and once
    when it is added. The group's other comings and goings (members joining, a pinned
    message) reach a bot too: it stays quiet, or a school's parent group would fill up.
    In a group that shows it every message (it is an admin there, or its privacy mode is off)
    the parents talk to each other: a reply to someone else's message gets nothing, and a
    message that is not for the bot gets the pointer once a day, not after every message."""
    message = update.effective_message
    if message is None:
        return
    added = any(member.id == context.bot.id for member in message.new_chat_members or ())
    if not (message.text or message.caption) and not added and not (
            (replied := _replied(message)) is not None and replied.from_user is not None
            and replied.from_user.id == context.bot.id):
        # A wordless message (a sticker, a voice, a photo) is for the bot only as a reply to
        # it: a parent who reads little answers the pointer with a voice message.
        return
    if not added and not _for_the_bot(message, context.bot.id, context.bot.username):
        if _replied(message) is not None:
            return  # one parent answering another
        kept = context.chat_data if context.chat_data is not None else {}
        pointed = kept.get(GROUP_POINTED)
        if pointed is not None and message.date - pointed < GROUP_POINTER_AGAIN:
            return
        kept[GROUP_POINTED] = message.date
    elif not added and not first_of_burst(
            context.chat_data, f"group_pointer:{message.from_user.id if message.from_user else 0}",
            GROUP_BURST, answered=2):
        # A child typing /start twenty times: the group reads the pointer twice (a parent's
        # "How?" to the first one gets it again), not twenty times.
        return
    with use_locale(await reader_locale(context, update.effective_user)):
        # A button that opens the private chat: a parent who reads little need not find
        # the bot's name.
        button = (InlineKeyboardMarkup([[InlineKeyboardButton(
            "💬 " + _("Write to me"), url=f"https://t.me/{context.bot.username}")]])
            if context.bot.username else None)
        await message.reply_text(
            _("I only work in a private chat. Tap 💬 below and write to me there, or send a "
              "voice message."),
            reply_markup=button)


def _replied(message: Message) -> Message | None:
    """The message this one replies to; in a forum, not the topic's first message (every
    message of a topic points to it)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None or (
            message.is_topic_message and replied.message_id == message.message_thread_id):
        return None
    return replied


def _for_the_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """A command, a mention of the bot, or a reply to one of its messages."""
    entities = message.parse_entities() or message.parse_caption_entities()
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            _command, _at, addressed = text.partition("@")  # "/start@another_bot": not ours
            return not addressed or addressed.casefold() == (username or "").casefold()
        if entity.type == MessageEntity.MENTION and username and (
                text.casefold() == f"@{username}".casefold()):
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and (
                entity.user.id == bot_id):
            return True
    replied = _replied(message)
    return replied is not None and replied.from_user is not None and (
        replied.from_user.id == bot_id)


@door()
async def expired_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler accepts: forged, or from an old version."""
    assert update.callback_query is not None
    await update.callback_query.answer(_("This button has expired."), show_alert=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (never the message text) and tell the person, in their language."""
    error = context.error
    log.error("update failed: %s", type(error).__name__, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    with use_locale(await reader_locale(context, update.effective_user)):
        try:
            await update.effective_chat.send_message(
                _("Sorry, something went wrong. Please try again later.")
            )
        except Exception:  # the network may be what failed; nothing more to do
            log.warning("could not tell the user about the failure")
