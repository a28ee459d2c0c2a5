"""A brugfiguur's answer to a parent: a reply to the question's card or messages (or to their
own earlier answer), or, for a message that replied to none, the ➡️ button that sends it to
the question they meant. Nothing is sent to a parent otherwise."""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)

from bot.handlers.door import BotContext, door
from bot.handlers.question_texts import how_to_answer, topic_label
from bot.handlers.questions import parent_message, relayable
from bot.handlers.sending import send_listed
from bot.i18n import _
from bot.scheduler.outbox import wake
from bot.services import held_cards, people, questions, staff, team_translation
from bot.services.questions import QuestionView, Refusal
from bot.services.roles import STAFF, Role

# qa:<question id>:<message id>: send this message of mine (not a reply) to that question.
ANSWER_DATA = r"^qa:(\d{1,9}):(\d{1,10})$"


def refusal_text(refusal: Refusal, holder: str | None = None, *, sent: bool = True) -> str:
    """Why nothing was sent; ``holder``: who has the question now, when it is not theirs
    (None: the coordinator). ``sent=False``: a press on a card (✋, ✅), which sends nothing
    anyway: only where the question is."""
    if not sent:
        if refusal is Refusal.CLOSED:
            return _("This question is closed.")
        if refusal is Refusal.NOT_YOURS:
            return _("This question is now with {holder}.").format(
                holder=holder or _("the coordinator"))
        return _("This question no longer exists: the parent erased their data.")
    if refusal is Refusal.CLOSED:
        return _("This question is closed. Nothing was sent.")
    if refusal is Refusal.NOT_YOURS:
        return _("This question is now with {holder}. Nothing was sent.").format(
            holder=holder or _("the coordinator"))
    return _("This question no longer exists: the parent erased their data. Nothing was sent.")


async def taken_by_other(context: BotContext, taker_id: int) -> str:
    """Why a ✋ does nothing, or what an answer should know: a colleague (among several
    coordinators) has the question already."""
    name = await people.first_name(context.session, taker_id)
    return _("{name} took this question.").format(name=name or _("a colleague"))


@door()
async def answer_reply(update: Update, context: BotContext) -> bool:
    """A reply in a holder's chat to a question's card or message: the answer, relayed.
    False when the reply is not about a question this person holds (someone else's turn).
    From someone who left the team since, a reply to what they got as a holder is refused
    (``left_team_reply``)."""
    message = update.message
    person = context.person
    if message is None or message.reply_to_message is None or person is None:
        return False
    question_id = await questions.question_of_reply(
        context.session, message.chat_id, message.reply_to_message.message_id)
    if question_id is None:
        return False
    question = await questions.view(context.session, question_id)
    if context.role not in STAFF:
        return await left_team_reply(update, context, question)
    if question is not None and question.parent_id == person.id:
        # Their own question, asked as a parent before they joined the team: a parent's word
        # for whoever holds it, not an answer.
        await parent_message(update, context)
        return True
    refusal = questions.may_act(question, person.id, coordinator=context.role is Role.COORDINATOR)
    if refusal is not None or question is None:
        text = await refusal_for(context, refusal, question)
        newer = (await _open_one_of(context, question.parent_id)
                 if refusal is Refusal.CLOSED and question is not None else None)
        if newer is None:
            await message.reply_text(text)
            return True
        # An old message of the parent's closed question swiped, while they have a new one
        # open: one tap sends it there, rather than recording it again.
        await message.reply_text(
            text + "\n" + _("{name} has a new question open. Tap it to send this there.")
            .format(name=newer.parent_first_name),
            reply_markup=InlineKeyboardMarkup([[choice_button(newer, message.message_id)]]),
            # A reply to her message: its ➡️ sends only the message the prompt is about.
            reply_parameters=ReplyParameters(message.message_id,
                                             allow_sending_without_reply=True))
        return True
    if question.parent_blocked:
        await message.reply_text(blocked_text(question))
        return True
    quote = await questions.quoted_message(context.session, question, message.chat_id,
                                           message.reply_to_message.message_id)
    unseen_by = await relay(context, question, message.chat_id, message.message_id, quote)
    said = sent_text(question, unseen_by)
    if question.assignee_id is None and question.taken_by_id not in (None, person.id):
        # Two coordinators: the other one took it (✋) and may answer too; now he knows.
        said += "\n✋ " + await taken_by_other(context, question.taken_by_id)
    confirmation = await message.reply_text(said)
    questions.note_confirmation(context.session, question.id, message.chat_id, person.id,
                                confirmation.message_id, context.now())
    return True


async def left_team_reply(update: Update, context: BotContext,
                          question: QuestionView | None) -> bool:
    """A reply from someone no longer in the team (a parent now) to a card, a parent's
    message or an answer the bot brought them as a holder (``question``; None: erased since).
    It is no answer any more, nor a question of their own (it would open as a help question
    with their answer in it): nothing is sent, and they are told so and where the question
    is now. False for a reply to their own question's messages: a parent's word, routed as
    any other."""
    message, person = update.message, context.person
    assert message is not None and person is not None
    if question is not None and question.parent_id == person.id:
        return False
    refusal = questions.may_act(question, -1, coordinator=False)  # whoever's it is now
    where = await refusal_for(context, refusal or Refusal.NOT_YOURS, question, sent=False)
    await message.reply_text("🚪 " + _("You are no longer in the team. Nothing was sent to "
                                      "the parent.") + "\n" + where)
    return True


async def refusal_for(context: BotContext, refusal: Refusal | None,
                      question: QuestionView | None, *, sent: bool = True) -> str:
    """``refusal_text``, naming who holds the question now (a colleague, or the
    coordinator) when it was moved away from them."""
    if refusal is not Refusal.NOT_YOURS or question is None:
        return refusal_text(refusal or Refusal.UNKNOWN, sent=sent)
    member = (await staff.member(context.session, question.assignee_id)
              if question.assignee_id is not None else None)
    return refusal_text(refusal, member.first_name if member else _("the coordinator"),
                        sent=sent)


def blocked_text(question: QuestionView) -> str:
    # Telegram refused our last message to them: "sent" would be untrue.
    return "⚠️ " + _("{name} has blocked the bot: no message reaches them now. Nothing was "
                    "sent.").format(name=question.parent_first_name)


def sent_text(question: QuestionView, unseen_by: str | None = None) -> str:
    """``unseen_by``: the colleague who held it and had not seen it yet (it is now theirs
    who answered: the coordinator)."""
    text = "✅ " + _("Sent to {name}.").format(name=question.parent_first_name)
    if unseen_by is None:
        return text
    return text + "\n" + _("{name} had not seen this question yet: it is now with you.").format(
        name=unseen_by)


async def relay(context: BotContext, question: QuestionView, chat_id: int,
                message_id: int, quote: int | None = None) -> str | None:
    """The answer to the parent (quoting ``quote``, their message it answers, else their
    newest); what was held in this chat for a green hour and reached it since (card,
    copies) is not sent again as a new question. The coordinator's answer to a colleague's
    question whose card still waits for the colleague's green hour makes it the
    coordinator's, and the card is not sent (``held_cards.drop_unseen``): returns that
    colleague's name, else None."""
    assert context.person is not None
    now = context.now()
    await questions.relay_answer(context.session, question, chat_id, message_id, now, quote,
                                 answerer_id=context.person.id)
    await held_cards.drop_answered(context.session, question.id, chat_id, now)
    unseen_by = None
    holder = question.assignee_id
    if holder is not None and holder != context.person.id and await held_cards.drop_unseen(
            context.session, question.id, holder, now):
        member = await staff.member(context.session, holder)
        unseen_by = member.first_name if member else _("a colleague")
    await context.commit()
    wake(context.application)
    return unseen_by


async def not_sent(update: Update, context: BotContext) -> None:
    """A brugfiguur's message that replies to no question (a voice note recorded straight
    into the chat, a reply to the wrong message): nothing is sent, and they are told so
    plainly, with a button per question they hold to send it there after all."""
    message, person = update.message, context.person
    assert message is not None and person is not None
    mine = await questions.open_questions(context.session, person.id) if relayable(message) else []
    if mine and message.media_group_id is not None and not _first_of_album(context, message):
        return  # a later photo of an album: it goes with the first one's ➡️
    # A translation typed without swiping the request: it is not taken, say how.
    translating = "\n🙋 " + _("Is this a translation? Swipe my 🙋 request and reply to it, so "
                             "I know which text it is for.") if (
        await team_translation.open_announcement_request(context.session, message.chat_id)
    ) else ""
    if not mine:
        await message.reply_text("⚠️ " + _("This was not sent to anyone.") + "\n"
                                 + how_to_answer() + translating)
        return
    mine, _waiting = await questions.waiting_first(context.session, mine)
    # Every question she holds is offered (beyond 100, in more parts), each part a reply to
    # her message: a ➡️ sends only the message its prompt is about.
    await send_listed(
        update, "⚠️ " + _("This was not sent to anyone. Which parent is it for? Tap their name.")
        + "\n" + _("Next time, reply to their question: swipe it to the left.") + translating,
        [[choice_button(q, message.message_id)] for q in mine],
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True))


# chat_data: the team member's albums sent without a reply, each its messages' ids (the first
# one's ➡️ sends them all). A hint: after a restart, a tap sends the first photo only.
ALBUMS = "team_albums"
ALBUMS_KEPT = 20


def _first_of_album(context: BotContext, message: Message) -> bool:
    """Note an album's photo; True for its first (which gets the "which parent?" prompt)."""
    albums: dict[str, list[int]] = context.chat_data.setdefault(ALBUMS, {})
    album = albums.get(str(message.media_group_id))
    if album is not None:
        album.append(message.message_id)
        return False
    albums[str(message.media_group_id)] = [message.message_id]
    while len(albums) > ALBUMS_KEPT:
        albums.pop(next(iter(albums)))
    return True


def _album_of(context: BotContext, message_id: int) -> list[int]:
    """The messages an album's first photo stands for (itself alone when it is none)."""
    for album in (context.chat_data or {}).get(ALBUMS, {}).values():
        if album and album[0] == message_id:
            return list(album)
    return [message_id]


def choice_button(question: QuestionView, message_id: int) -> InlineKeyboardButton:
    """➡️ #12 Ayşe · topic: sends this message of theirs to that question."""
    return InlineKeyboardButton(
        f"➡️ #{question.id} {question.parent_first_name} · {topic_label(question.topic)}",
        callback_data=f"qa:{question.id}:{message_id}")


async def _open_one_of(context: BotContext, parent_id: int) -> QuestionView | None:
    """The parent's open question this person may answer, if any."""
    assert context.person is not None
    found = await questions.current(context.session, parent_id, questions.OPEN)
    view = await questions.view(context.session, found.id) if found is not None else None
    if view is None or questions.may_act(view, context.person.id,
                                         coordinator=context.role is Role.COORDINATOR):
        return None
    return view


@door(roles=STAFF)
async def answer_button(update: Update, context: BotContext) -> None:
    """➡️ under "not sent": this message of theirs goes to that question, as a reply would."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and context.person is not None
    match = re.match(ANSWER_DATA, query.data)
    if match is None or chat is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    message_id = int(match[2])
    prompt = query.message if isinstance(query.message, Message) else None
    asked_about = prompt.reply_to_message if prompt is not None else None
    if (asked_about is None or asked_about.message_id != message_id
            or asked_about.from_user is None or asked_about.from_user.id != query.from_user.id):
        # Only the message of theirs this prompt answers: a forged button naming another
        # message of the chat (a parent's letter copied there) sends nothing.
        await query.answer(_("This button has expired."), show_alert=True)
        return
    question = await questions.view(context.session, int(match[1]))
    sent_for = await questions.passed_on_in(context.session, chat.id, message_id)
    if sent_for is not None and question is not None and sent_for == question.id:
        await query.answer()  # a double tap: it went with the first
        return
    refusal = questions.may_act(question, context.person.id,
                                coordinator=context.role is Role.COORDINATOR)
    if refusal is not None or question is None:
        await query.answer(await refusal_for(context, refusal, question), show_alert=True)
        return
    if sent_for is not None:
        await query.answer(_("This message was already sent to another parent."),
                           show_alert=True)
        return
    if question.parent_blocked:
        await query.answer(blocked_text(question), show_alert=True)
        return
    unseen_by = None
    for each in _album_of(context, message_id):  # an album goes whole
        unseen_by = await relay(context, question, chat.id, each) or unseen_by
    await query.answer()
    await query.edit_message_text(sent_text(question, unseen_by))
    if query.message is not None:
        questions.note_confirmation(context.session, question.id, chat.id, context.person.id,
                                    query.message.message_id, context.now())
