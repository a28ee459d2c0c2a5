"""The team's side of help questions: the card's buttons, answers by reply, /inbox, /queue."""

from __future__ import annotations

import re
from datetime import datetime

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers import announce, answers, fallback, notes, team_translation
from bot.handlers.answers import refusal_for, taken_by_other
from bot.handlers.door import BotContext, door
from bot.handlers.question_texts import (
    CARD_DATA,
    card_keyboard,
    close_unanswered_keyboard,
    render_card,
    render_figures,
    topic_label,
)
from bot.handlers.sending import send_listed
from bot.handlers.team import ICONS
from bot.i18n import (
    LANGUAGE_NAMES,
    _,
    format_duration,
    format_time,
    format_weekday_date,
    ngettext,
    use_locale,
)
from bot.scheduler.outbox import wake
from bot.services import held_cards, outbox, questions, staff
from bot.services.availability import Level
from bot.services.questions import QuestionView, Refusal
from bot.services.roles import STAFF, Role
from bot.services.routing import delivery_for

LEVEL_ORDER = (Level.GREEN, Level.ORANGE, Level.RED)  # the hand-over list: available first

async def reply_message(update: Update, context: BotContext) -> None:
    """Any reply in a private chat: an answer to a question, a translation for an activity,
    the coordinator's note after an activity, or else what any message is."""
    if await answers.answer_reply(update, context):
        return
    if await team_translation.translation_reply(update, context):
        return
    user = update.effective_user
    if user is not None and user.id in context.settings.coordinator_ids:
        if await notes.note_reply(update, context):
            return
        await announce.coordinator_message(update, context)
    else:
        await fallback.private_message(update, context)


async def taken_by_holder(context: BotContext, question: QuestionView) -> str:
    """Why a coordinator's ✋ on a colleague's question does nothing, and what does."""
    assert question.assignee_id is not None
    member = await staff.member(context.session, question.assignee_id)
    return _("This question is with {holder}: it is theirs to take. To take it over "
             "yourself, tap ↪️ Hand over.").format(
                 holder=member.first_name if member else _("a colleague"))


async def _moved_meanwhile(query: CallbackQuery, context: BotContext, question_id: int) -> None:
    """The question was closed, escalated or handed over between reading it and the press:
    nothing changed, and they are told where it is now."""
    question = await questions.view(context.session, question_id)
    refusal = questions.may_act(question, -1, coordinator=False)  # whoever's it is now
    await query.answer(await refusal_for(context, refusal or Refusal.NOT_YOURS, question,
                                         sent=False), show_alert=True)


@door(roles=STAFF)
async def card_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    match = re.match(CARD_DATA, query.data)
    if match is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    question = await questions.view(context.session, int(match[1]))
    refusal = questions.may_act(question, context.person.id,
                                coordinator=context.role is Role.COORDINATOR)
    if refusal is not None or question is None:
        await query.answer(await refusal_for(context, refusal, question, sent=False),
                           show_alert=True)
        return
    action = match[2]
    now = context.now()
    text = getattr(query.message, "text", None) or ""
    if action == "take":
        if question.assignee_id not in (None, context.person.id):
            # A coordinator's ✋ on a colleague's card (from /inbox): "yours" would be untrue,
            # and the colleague would be reminded of a take that was not theirs.
            await query.answer(await taken_by_holder(context, question), show_alert=True)
            return
        if question.taken_by_id not in (None, context.person.id):
            # Another coordinator took it (or answered it) first.
            await query.answer(await taken_by_other(context, question.taken_by_id),
                               show_alert=True)
            return
        if not await questions.take(context.session, question.id, now, question.assignee_id,
                                    context.person.id):
            again = await questions.view(context.session, question.id)
            if again is not None and again.taken_by_id not in (None, context.person.id):
                await query.answer(await taken_by_other(context, again.taken_by_id),
                                   show_alert=True)
                return
            await _moved_meanwhile(query, context, question.id)
            return
        await query.answer(_("It is yours."))
        await query.edit_message_text(
            text + "\n\n✋ " + _("{name} took this question.").format(
                name=context.person.first_name),
            reply_markup=card_keyboard(question.id, taken=True))
    elif action in ("close", "closeok") and await held_cards.bring_unread(
            context.session, question.id,
            questions.Recipient(context.person.id, query.from_user.id,
                                context.person.locale or "nl"),
            now, stamp=update.update_id):
        # The parent wrote again, and it waits for a green hour: closed now, nobody would
        # read it. It comes now, and the question stays open.
        await context.commit()
        wake(context.application)
        await query.answer(_("{name} wrote again, and you have not read it yet. It comes now. "
                             "The question stays open.").format(
                                 name=question.parent_first_name), show_alert=True)
    elif action == "close" and question.first_answer_at is None:
        # One tap next to "Take it" would close it unanswered: the parent would be told
        # "closed" and never get an answer. Asked once more.
        await query.answer(_("Nobody has answered this question yet."))
        await query.edit_message_reply_markup(
            reply_markup=close_unanswered_keyboard(question.id))
    elif action == "close" and query.message is not None and await questions.parent_spoke_after(
            context.session, question.id, query.from_user.id, query.message.message_id):
        # She asked something more after the answer, below the card pressed (higher up the
        # screen): closed now, she would read "closed" as the reply to it.
        await query.answer(_("{name} wrote again after the answer.").format(
            name=question.parent_first_name))
        await query.edit_message_reply_markup(
            reply_markup=close_unanswered_keyboard(question.id, answered=True))
    elif action in ("close", "closeok"):
        parent_locale = await questions.close(context.session, question.id, now,
                                              question.assignee_id)
        if parent_locale is None:
            await _moved_meanwhile(query, context, question.id)
            return
        with use_locale(parent_locale):
            goodbye = _("Your question is closed. Do you need more help? "
                        "Just send me a new message.")
        await outbox.enqueue(context.session, dedupe_key=f"q:{question.id}:closed",
                             chat_id=question.parent_chat_id, person_id=question.parent_id,
                             kind="text", payload={"text": goodbye, "always": True},
                             group_key=f"q:{question.id}")
        await context.commit()
        wake(context.application)
        await query.answer()
        await query.edit_message_text(text + "\n\n✅ " + _("Closed."))
    elif action == "hand":
        await query.answer()
        await query.edit_message_reply_markup(
            reply_markup=await hand_over_keyboard(context, question))
    elif action == "pick":
        # From /queue: the choice in a message of its own, so that the overview keeps its
        # buttons (and no "back" can turn it into one question's card).
        await query.answer()
        assert update.effective_chat is not None
        choices = await hand_over_keyboard(context, question, back=False)
        await update.effective_chat.send_message(
            f"↪️ {question_line(question, None, context)}\n\n"
            + (_("Who takes this question over?") if choices.inline_keyboard
               else _("Nobody in the team can take it over now.")),
            reply_markup=choices if choices.inline_keyboard else None)
    elif action == "card":
        await query.answer()
        await query.edit_message_reply_markup(
            reply_markup=card_keyboard(question.id, taken=question.taken_at is not None))
    elif action == "show":
        await query.answer()
        # All of it comes now: what was held for their green hour would come again as new.
        await held_cards.drop_shown(context.session, question.id, query.from_user.id, now)
        await questions.resend(context.session, question.id, query.from_user.id,
                               context.person.locale or "nl", now, render_card,
                               stamp=update.update_id)
        await context.commit()
        wake(context.application)
    else:  # "to:<person id>", 0 for the coordinator
        target = int(action.split(":", 1)[1]) or None
        if target == question.assignee_id:
            # A stale list (a colleague handed it to them, or to the coordinator, a moment
            # ago): the card and the parent's messages would reach them a second time.
            member = await staff.member(context.session, target) if target else None
            await query.answer(_("{name} has this question already.").format(
                name=member.first_name if member else _("The coordinator")),
                show_alert=True)
            return
        coordinators = await questions.coordinator_recipients(
            context.session, context.settings.coordinator_ids)
        if not await questions.reassign(context.session, question.id, target, now,
                                        render_card, coordinators,
                                        handed_by=context.person.id,
                                        held_by=question.assignee_id):
            await query.answer(_("This button has expired."), show_alert=True)
            return
        member = await staff.member(context.session, target) if target else None
        name = member.first_name if member else _("the coordinator")
        # The card's own rule (held until their next green hour, when red now).
        seen_from = delivery_for(member.availability, now)[1] if member else None
        if question.assignee_id not in (None, context.person.id, target):
            # The coordinator took it from a colleague's hands: they hear so, and stop typing.
            await tell_previous_holder(context, question, question.assignee_id,
                                       member.first_name if member else None, now)
        await context.commit()
        wake(context.application)
        await query.answer()
        said = "↪️ " + _("Handed over to {name}.").format(name=name)
        if member is not None and member.on_leave:
            # No hour on their map: nothing reaches them. Said first, the hand-over last:
            # unanswered, the question moves on without them (escalation, housekeeping).
            said = "⚠️ " + _("{name} is not available now: their whole week is red. If "
                             "nobody answers, the question goes on to someone else later."
                             ).format(name=name) + "\n" + said
        elif seen_from is not None:
            # Off now (red): the card waits for their next green hour. Said, so that the
            # one who handed it over can choose someone else if the parent cannot wait.
            said += " " + _("{name} is off now and sees it on {day} at {time}.").format(
                name=name, day=format_weekday_date(seen_from), time=format_time(seen_from))
        await query.edit_message_text(text + "\n\n" + said)


async def tell_previous_holder(context: BotContext, question: QuestionView, holder_id: int,
                               new_holder: str | None, now: datetime) -> None:
    """In their language and hours; ``new_holder`` None: the coordinator."""
    previous = await staff.member(context.session, holder_id)
    if (previous is None or not previous.reachable
            or previous.telegram_id not in await questions.delivered_cards(
                context.session, question.id)):
        return  # (who never saw it needs no word of it, nor the parent's name)
    with use_locale(previous.locale, context.settings.timezone):
        new_holder = new_holder or _("the coordinator")
        text = "↪️ " + _("Question {number} ({name}) is now with {holder}: you need not "
                         "answer it.").format(number=question.id,
                                               name=question.parent_first_name,
                                               holder=new_holder)
    # The key names whom it is with now: their /forget takes it while it waits.
    holder = await questions.holder_now(context.session, question.id)
    with_whom = f":to{holder}" if holder is not None else ""
    await outbox.enqueue_many(context.session, [staff.message_to(
        previous, f"q:{question.id}:moved:{holder_id}:{int(now.timestamp())}{with_whom}", text,
        now, group_key=f"q:{question.id}")])


async def hand_over_keyboard(context: BotContext, question: QuestionView, *,
                             back: bool = True) -> InlineKeyboardMarkup:
    """Colleagues who speak the parent's language first, then the others, then the
    coordinator; never the one who holds it now, nor the parent who asked it (a brugfiguur
    asking a question of her own). Each with their colour of this hour, the available ones
    first, so that a question does not go to someone who is off; one on leave (the whole
    week red) last of them."""
    assert context.person is not None
    now = context.now()
    team = [(m, m.availability.level_at(now)) for m in await staff.team(context.session)
            if m.reachable and m.id not in (context.person.id, question.assignee_id,
                                            question.parent_id)]
    team.sort(key=lambda ml: (not ml[0].speaks(question.locale), ml[0].on_leave,
                              LEVEL_ORDER.index(ml[1]), ml[0].first_name))
    # 🔴 alone may be off until tomorrow; "on leave" tells the whole week red before the tap.
    rows = [[InlineKeyboardButton(
        f"{ICONS[level]} {m.first_name} · "
        f"{', '.join(LANGUAGE_NAMES[c] for c in sorted(m.languages))}"
        + (" · " + _("on leave") if m.on_leave else ""),
        callback_data=f"qs:{question.id}:to:{m.id}")] for m, level in team[:12]]
    if question.assignee_id is not None:
        rows.append([InlineKeyboardButton("🧭 " + _("The coordinator"),
                                          callback_data=f"qs:{question.id}:to:0")])
    if back:  # to the card's own buttons
        rows.append([InlineKeyboardButton("↩️ " + _("Back"),
                                          callback_data=f"qs:{question.id}:card")])
    return InlineKeyboardMarkup(rows)


def question_line(question: QuestionView, now_holder: str | None, context: BotContext,
                  waiting: bool | None = None) -> str:
    """One open question in a line; ``waiting``: whether its last word is the parent's
    (shown as 🆕 never answered, or 💬 wrote again; None: not shown)."""
    age = format_duration(context.now() - (question.opened_at or question.created_at))
    parts = [f"#{question.id}", question.parent_first_name,
             LANGUAGE_NAMES.get(question.locale, question.locale)]
    if waiting is not None:
        parts.insert(0, ("🆕 " + _("no answer yet") if question.first_answer_at is None
                         else "💬 " + _("wrote again")) if waiting else "✅")
    if question.school_name:
        parts.append(question.school_name)
    parts.append(topic_label(question.topic))
    parts.append("⏱ " + age)
    if now_holder is not None:
        parts.append("→ " + now_holder)
    return " · ".join(parts)


@door(roles=STAFF)
async def inbox_command(update: Update, context: BotContext) -> None:
    """/inbox: my open questions, oldest first; a button sends one's card and messages again."""
    assert update.effective_chat is not None and context.person is not None
    mine = await questions.open_questions(
        context.session, None if context.role is Role.COORDINATOR else context.person.id)
    if not mine:
        await update.effective_chat.send_message(_("No open questions. Well done!"))
        return
    mine, waiting = await questions.waiting_first(context.session, mine)
    lines = [_("Your open questions: those waiting for your answer first, then the oldest."),
             ""]
    lines += [question_line(q, None, context, q.id in waiting) for q in mine]
    buttons = [[InlineKeyboardButton(f"📨 #{q.id} {q.parent_first_name}",
                                     callback_data=f"qs:{q.id}:show")] for q in mine]
    await send_listed(update, "\n".join(lines), buttons)


@door(roles=(Role.COORDINATOR,))
async def queue_command(update: Update, context: BotContext) -> None:
    """/queue: every open question, who holds it, and how long it waits; tap to reassign."""
    assert update.effective_chat is not None
    every = await questions.open_questions(context.session, everyone=True)
    names = {m.id: m.first_name for m in await staff.team(context.session)}
    lines = [ngettext("{count} open question", "{count} open questions", len(every))
             .format(count=len(every))]
    if every:
        lines.append("")
    lines += [question_line(q, names.get(q.assignee_id or 0, _("the coordinator")), context)
              for q in every]
    lines += ["", await figures_line(context)]
    buttons = [[InlineKeyboardButton(f"↪️ #{q.id} {q.parent_first_name}",
                                     callback_data=f"qs:{q.id}:pick")] for q in every]
    await send_listed(update, "\n".join(lines), buttons)


async def figures_line(context: BotContext) -> str:
    """The last seven days in one line: questions per topic and language, time to answer."""
    figures = await questions.week_figures(context.session, context.now())
    return render_figures(figures)
