"""The parent's side of a help question: /ask, the topic, the messages, the confirmation."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

from telegram import (
    InputMedia,
    InputMediaAnimation,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.handlers import team_translation
from bot.handlers.bursts import first_of_burst
from bot.handlers.door import BotContext, door, not_modified
from bot.handlers.keyboards import main_keyboard
from bot.handlers.onboarding import ensure_onboarded
from bot.handlers.question_texts import (
    TOPIC_DATA,
    kinds_we_pass_on,
    render_about,
    render_card,
    send_your_question,
    topic_keyboard,
    topic_label,
    topic_question,
    topic_question_again,
    when_answered,
)
from bot.i18n import LANGUAGE_NAMES, _
from bot.scheduler.outbox import wake
from bot.services import acknowledgements, people, questions, staff, typed_answers
from bot.services.onboarding import may_be_a_question
from bot.services.questions import DRAFT, OPEN, Recipient, Topic
from bot.services.roles import STAFF, Role

# A voice message this soon after a reminder, and nothing else between, is about it (a
# parent who cannot read does not swipe); later, it may be about anything.
SPOKEN_UNDER = timedelta(hours=2)

# A follow-up goes on to the brugfiguur without words: this reaction on it says it arrived.
RECEIVED = "👍"


def relayable(message: Message) -> bool:
    """What a question may hold: text, voice, photos, documents, and videos (a round video
    message is one tap on Telegram's microphone away: sent by a parent who meant to talk),
    and a place shared ("where is it?", a pin of the school gate). Not a contact card: it
    would hand the team a phone number, which the privacy notice says we never see."""
    return bool(message.text or message.voice or message.photo or message.document
                or message.video or message.video_note or message.audio or message.location
                or message.venue)


@door()
async def ask_command(update: Update, context: BotContext) -> None:
    """/ask and the ❓ button: which topic?"""
    assert update.effective_chat is not None
    if not await ensure_onboarded(update, context):
        return
    if context.role is not Role.PARENT:
        await update.effective_chat.send_message(
            _("Questions are for parents. To answer one, reply to it in this chat."))
        return
    await update.effective_chat.send_message(topic_question(), reply_markup=topic_keyboard())


@door()
async def topic_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    person = context.person
    match = re.match(TOPIC_DATA, query.data)
    if person is None or person.step is not None or context.role is not Role.PARENT or not match:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    if match[2] is not None and not await questions.is_draft_of(context.session, person.id,
                                                               int(match[2])):
        # Asked about messages that became a question since (the parent wrote on and was
        # asked again, then tapped there): this older copy would start an empty second one.
        await query.answer(_("This button has expired."), show_alert=True)
        return
    topic = Topic(match[1])
    await query.answer()
    # The message first, the draft after: a press on a message that cannot be redrawn
    # changes nothing (the door), and the Telegram calls do not hold SQLite's one writer.
    await query.edit_message_text(f"{topic_question()}\n\n✅ {topic_label(topic)}")
    chosen = await questions.choose_topic(context.session, person.id, topic,
                                          person.locale or "nl", context.now())
    if chosen is None:
        return  # sent on a moment ago without a topic: the parent was told who has it
    draft, messages = chosen
    if messages:
        await _open(update, context, draft.id)
    else:
        await context.commit()
        await update.effective_chat.send_message(send_your_question())


def forwarded_from(message: Message) -> str | None:
    """Whose words a forwarded message carries (copyMessage drops Telegram's "Forwarded
    from" line, and the holder would take the teacher's note for the parent's own words):
    their name, "" when Telegram gives none; None for a message of the parent's own."""
    origin = message.forward_origin
    if origin is None:
        return None
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.full_name
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name
    if isinstance(origin, MessageOriginChat):
        return origin.sender_chat.title or ""
    if isinstance(origin, MessageOriginChannel):
        return origin.chat.title or ""
    return ""


# The album whose first photo was answered with the topic question: its other photos are kept
# without a word. (Only a hint: after a restart, one more question at worst.)
ALBUM_ASKED = "question_album_asked"
# Messages this close to each other are one burst (bursts.py): a sticker the bot cannot pass
# on is explained once per burst; the untapped topic is asked at most three times in one (a
# line, then two albums: each heard; the same photo sent ten times: not ten questions).
BURST = 30.0
TOPIC_ASKED_IN_A_BURST = 3
# An edit of a message passed on longer ago than this may go unnoticed on the other side.
QUIET_EDIT_AFTER = timedelta(minutes=15)


async def parent_message(update: Update, context: BotContext) -> None:
    """A parent's free message (inside the door): it is, or continues, a question; an "ok" or
    a thank-you with no question going on, or a 🙏 sticker, gets a 👍 and opens nothing."""
    message = update.message
    person = context.person
    assert message is not None and person is not None and update.effective_chat is not None
    if message.sticker is not None and acknowledgements.thanks_sticker(message.sticker.emoji):
        # A 🙏 or ❤️ sticker says thank you: a 👍 back, never "I can only pass on..." (a
        # sticker is not passed on, so it reaches no brugfiguur either).
        await received(message)
        return
    if not relayable(message):
        if first_of_burst(context.chat_data, "not_relayable", BURST):
            await update.effective_chat.send_message(kinds_we_pass_on(),
                                                     reply_markup=main_keyboard())
        return
    if (message.text is not None and (acknowledgements.is_acknowledgement(message.text)
                                      or acknowledgements.is_greeting(message.text))
            and not await questions.going_on(context.session, person.id)):
        # "Tamam teşekkürler" to "You are all set" or to "Your question is closed" asks
        # nothing: a 👍 back, and no question that would reach the team as "other". A lone
        # "Selam" neither: the question, if any, comes next (and a "yes" to a reminder after
        # it is still that, not words in a question). With a question going on, it goes to
        # the brugfiguur as any word.
        await received(message)
        return
    now = context.now()
    # A reply (a swipe on an answer, or on "Fatma has your question") joins the question it
    # replies to, when the parent has more than one going; else the newest, as a word typed.
    replied = message.reply_to_message.message_id if message.reply_to_message else None
    if replied is None and (message.voice or message.video_note or message.audio) and not (
            await questions.waiting_for_answer(context.session, person.id)):
        # Spoken right under a reminder, as a typed "ja" would answer it: about that
        # activity, and the card says so (a parent who cannot read does not swipe), also
        # with an older question going on that was answered; one still waiting for its
        # answer takes it (she says more about her letter).
        under = await typed_answers.reminder_answered(context.session, person.id,
                                                      message.chat_id, None, now,
                                                      recent=SPOKEN_UNDER)
        replied = under.message_id if under is not None else None
    question, added = await questions.add_parent_message(
        context.session, person.id, person.locale or "nl", message.chat_id, message.message_id,
        now, replied_to=replied, forwarded_from=forwarded_from(message))
    if question.status == OPEN:
        await questions.relay_follow_up(context.session, question.id, added.id, now,
                                        await coordinators(context), render_about)
        await context.commit()
        wake(context.application)
        await received(message)
    elif question.status == DRAFT and question.topic:
        await _open(update, context, question.id)
    elif (kept := await questions.parent_message_count(context.session, question.id)) == 1:
        # The first message of a question without a topic asks it. The message is kept
        # before we ask.
        await context.commit()
        context.chat_data[ALBUM_ASKED] = message.media_group_id
        first_of_burst(context.chat_data, "topic_again", BURST,
                       answered=TOPIC_ASKED_IN_A_BURST)  # its burst begins
        await update.effective_chat.send_message(topic_question(),
                                                 reply_markup=topic_keyboard(question.id))
    elif (message.media_group_id is None or context.chat_data.get(ALBUM_ASKED) != (
            message.media_group_id)) and first_of_burst(
                context.chat_data, "topic_again", BURST, answered=TOPIC_ASKED_IN_A_BURST):
        # More messages, the topic still untapped (a parent who reads little writes on):
        # each is kept, and the topic is asked again, so the question never waits unseen.
        # The other photos of an album that asked already stay quiet: one question, not five
        # (Telegram sends each photo of an album as a message of its own).
        await context.commit()
        context.chat_data[ALBUM_ASKED] = message.media_group_id
        await update.effective_chat.send_message(topic_question_again(kept),
                                                 reply_markup=topic_keyboard(question.id))


async def edited_copy(update: Update, context: BotContext) -> bool:
    """A parent's message or an answer, edited after it was passed on: the copies the other
    side has are changed too (a typo fixed on a phone between two school runs), and the
    editor is told so. What cannot be changed there (a copy that is gone, a voice message)
    is said once: send it again. False for an edit of anything else (a command, a sign-up
    answer, a typed answer to a reminder: see ``fallback.edited_message``)."""
    if await team_translation.edited(update, context):
        return True  # a translation corrected by its author
    message = update.edited_message
    if message is None:
        return False
    copies = await questions.copies_of(context.session, message.chat_id, message.message_id)
    if copies is None:
        return False
    if message.location is not None:
        # A live location moving (a stream of edits): its copy showed where it was shared;
        # nothing to say at each move.
        return True
    person = context.person
    if not copies.from_parent and (person is None or person.role not in STAFF):
        # Taken off the team since: no longer reaches parents, as a reply of theirs would not.
        await message.reply_text("🚪 " + _("You are no longer in the team. Nothing was sent to "
                                          "the parent."))
        return True
    delivered = copies.delivered
    if copies.from_parent:
        # Only whoever holds the question now reads what she adds: not a colleague or a
        # coordinator who handed it on.
        holders = ({copies.holder_chat} if copies.holder_chat is not None
                   else set(context.settings.coordinator_ids))
        delivered = [(chat_id, copy_id) for chat_id, copy_id in delivered if chat_id in holders]
    if delivered or copies.waiting:
        # The copies still waiting take the message as it is when they leave.
        changed = [await change_copy(context, message, chat_id, copy_id)
                   for chat_id, copy_id in delivered]
        if all(changed):
            if copies.passed_on_at is not None and (
                    context.now() - copies.passed_on_at > QUIET_EDIT_AFTER):
                # An edit rings nothing, and its small "edited" mark is easily missed: a
                # changed day in an answer of two hours ago may go unseen.
                told = await message.reply_text("✏️ " + _(
                    "Your change was passed on, but quietly: the message was sent a while ago, "
                    "so the change may go unnoticed. If it matters, send it again as a new "
                    "message."))
            else:
                told = await message.reply_text("✏️ " + _("Your change was passed on."))
            if not copies.from_parent and person is not None:
                # The last message on her screen: a reply to it adds to that answer, as a
                # reply to "✅ Sent to Els." does.
                questions.note_confirmation(context.session, copies.question_id,
                                            message.chat_id, person.id, told.message_id,
                                            context.now())
            return True
    await message.reply_text(_("I cannot pass on a change to a message that was already "
                               "passed on. Please send it again as a new message."))
    return True


async def change_copy(context: BotContext, message: Message, chat_id: int,
                      copy_id: int) -> bool:
    """Give a copy the edited message: its text, or a photo, video or file with its caption
    (the parent may have swapped the page they photographed, not only the words). False when
    Telegram will not (the copy was deleted, or the chat blocked the bot)."""
    try:
        if message.text is not None:
            await context.bot.edit_message_text(message.text, chat_id=chat_id,
                                                message_id=copy_id, entities=message.entities)
        elif (media := input_media(message)) is not None:
            await context.bot.edit_message_media(media, chat_id=chat_id, message_id=copy_id)
        else:
            return False
    except BadRequest as problem:
        return not_modified(problem)
    except Forbidden:
        return False
    return True


def input_media(message: Message) -> InputMedia | None:
    """A photo, video, animation, audio or file message as what editMessageMedia puts in a
    copy's place, with its caption; None for anything else (a voice message cannot be
    changed)."""
    caption = {"caption": message.caption or "", "caption_entities": message.caption_entities}
    if message.photo:
        return InputMediaPhoto(message.photo[-1].file_id, **caption)
    if message.video is not None:
        return InputMediaVideo(message.video.file_id, **caption)
    if message.animation is not None:  # before the document: Telegram sets both
        return InputMediaAnimation(message.animation.file_id, **caption)
    if message.audio is not None:
        return InputMediaAudio(message.audio.file_id, **caption)
    if message.document is not None:
        return InputMediaDocument(message.document.file_id, **caption)
    return None


async def received(message: Message) -> None:
    """👍 on a parent's follow-up, or on a thank-you that needs no answer: seen at a glance
    by a parent who reads little, and five photos are not answered with five messages. A
    chat that refuses reactions misses only this sign."""
    with contextlib.suppress(TelegramError):
        await message.set_reaction(RECEIVED)


async def keep_early_message(update: Update, context: BotContext) -> None:
    """A message sent before onboarding is done (often the very first: the photo of a letter)
    is kept as a question, whose topic is asked once the parent is set up (onboarding). A
    text only if it may be a question: not "Merhaba", not "Türkçe" typed for the button."""
    message, person = update.message, context.person
    if (message is None or person is None or not relayable(message)
            or context.role in STAFF):
        return
    if message.text is not None:
        answers = [*LANGUAGE_NAMES.values(),
                   *(school.name for school in await people.schools(context.session))]
        if not may_be_a_question(message.text, answers):
            return
    await questions.add_parent_message(context.session, person.id, person.locale or "nl",
                                       message.chat_id, message.message_id, context.now(),
                                       forwarded_from=forwarded_from(message))


async def _open(update: Update, context: BotContext, question_id: int) -> None:
    assert update.effective_chat is not None
    now = context.now()
    joined = await questions.join_recent(context.session, question_id, now,
                                         await coordinators(context), render_about)
    if joined is not None:
        # Asked again before anyone answered the last one: it joins that one, and the
        # parent hears who has it, as when it was asked.
        await context.commit()
        wake(context.application)
        holder = await staff.member(context.session, joined.assignee_id) if (
            joined.assignee_id is not None) else None
        await update.effective_chat.send_message(
            when_answered(holder.first_name if holder else None,
                          joined.deliver_at, now), reply_markup=main_keyboard())
        return
    opened = await questions.open_question(
        context.session, question_id, now, render_card, await coordinators(context),
        locale=context.person.locale if context.person is not None else None)
    await context.commit()
    wake(context.application)
    told = await update.effective_chat.send_message(
        when_answered(opened.holder_first_name, opened.route.answer_from, now),
        reply_markup=main_keyboard())
    # A reply to it is about this question (the door commits the note).
    await questions.record_confirmation(context.session, question_id, opened.question.parent_id,
                                        told.chat_id, told.message_id, now)


async def coordinators(context: BotContext) -> list[Recipient]:
    return await questions.coordinator_recipients(context.session,
                                                  context.settings.coordinator_ids)
