"""A parent's own settings: /language, /school, /help, /privacy, /stop, /forget."""

from __future__ import annotations

import contextlib

from telegram import ReplyKeyboardRemove, Update
from telegram.error import BadRequest, TelegramError

from bot.handlers.commands import clear_chat_menu
from bot.handlers.door import BotContext, door, not_modified
from bot.handlers.keyboards import (
    forget_keyboard,
    language_keyboard,
    main_keyboard,
    school_keyboard,
)
from bot.handlers.onboarding import (
    ask_current_step,
    ensure_onboarded,
    pressed_step,
    redo_waiting_for,
    signed_up,
)
from bot.handlers.question_texts import render_card
from bot.handlers.texts import (
    help_text,
    in_every_language,
    privacy_notice,
    school_question,
    what_we_keep,
    your_schools,
)
from bot.i18n import LANGUAGE_NAMES, _, ngettext, use_locale
from bot.scheduler.outbox import wake
from bot.services import outbox, people, questions
from bot.services.onboarding import Press, Step, language_order, school_press
from bot.services.people import LastSchool, UnknownSchool
from bot.services.roles import Role


@door()
async def language_command(update: Update, context: BotContext) -> None:
    """/language: the language buttons."""
    if not await ensure_onboarded(update, context):
        return
    user = update.effective_user
    assert update.effective_chat is not None and user is not None
    await update.effective_chat.send_message(
        _("Which language do you want?"),
        reply_markup=language_keyboard(language_order(context.person.locale if context.person
                                                      else user.language_code), setting=True),
    )


@door()
async def school_command(update: Update, context: BotContext) -> None:
    """/school: tap schools to add or remove them."""
    if not await ensure_onboarded(update, context):
        return
    assert context.person is not None and update.effective_chat is not None
    schools = await people.schools(context.session)
    await update.effective_chat.send_message(
        school_question(), reply_markup=school_keyboard(schools, set(context.person.school_ids))
    )


@door()
async def toggle_school(update: Update, context: BotContext) -> None:
    """A school button: add or remove that school, and redraw the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = context.person
    if person is None or school_press(pressed_step(query), person.step) is not Press.ACT:
        # Also a sign-up question's school after sign-up: /school is the way now.
        await query.answer(_("This button has expired."), show_alert=True)
        return
    action, school_id = query.data.split(":")[1:3]
    try:
        await people.toggle_school(context.session, person.id, int(school_id),
                                   keep_one=person.step is None,
                                   wanted={"+": True, "-": False}.get(action))
    except UnknownSchool:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    except LastSchool:
        await query.answer(_("You need at least one school. Tap your other school first, "
                             "then this one."), show_alert=True)
        return
    if person.step is None:
        # A week's programme or an announcement still waiting for them goes with their
        # schools of now.
        await redo_waiting_for(context, person.id)
    chosen = set(await people.school_ids(context.session, person.id))
    schools = await people.schools(context.session)
    await context.release_writer()  # before Telegram's calls
    await query.answer()
    signing_up_in = person.locale if person.step is not None else None
    try:
        await query.edit_message_reply_markup(reply_markup=school_keyboard(
            schools, chosen, signing_up_in))
    except BadRequest as problem:
        if not not_modified(problem):
            raise
        # A double tap: the buttons show it already.


@door()
async def schools_done(update: Update, context: BotContext) -> None:
    """“Done” under the schools: at least one school, then on to the privacy notice."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    person = context.person
    press = school_press(pressed_step(query), person.step, done=True) if person else None
    if press is Press.SAME:
        await query.answer()  # a double tap: the privacy notice came with the first
        return
    if person is None or press is not Press.ACT:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    chosen = await people.school_ids(context.session, person.id)
    if not chosen:
        await query.answer(_("Tap at least one school."), show_alert=True)
        return
    await query.answer()
    if person.step == Step.SCHOOL:
        # Onboarding goes on: the next message (the privacy notice) names the schools.
        await query.edit_message_reply_markup(reply_markup=None)
        await people.set_step(context.session, person.id, Step.PRIVACY)
        await context.reload_person()
        await ask_current_step(update, context)
        return
    await query.edit_message_text(your_schools(await people.schools(context.session), chosen))


@door()
async def help_command(update: Update, context: BotContext) -> None:
    """/help and the Help button."""
    if not await ensure_onboarded(update, context):
        return
    assert update.effective_chat is not None
    await update.effective_chat.send_message(help_text(context.role), reply_markup=main_keyboard())


@door()
async def privacy_command(update: Update, context: BotContext) -> None:
    """/privacy: the notice, and what we keep about this person."""
    if not await ensure_onboarded(update, context):
        return
    person = context.person
    assert person is not None and update.effective_chat is not None
    language = LANGUAGE_NAMES.get(person.locale or "nl", "")
    body = what_we_keep(person, await people.schools(context.session), language)
    notice = privacy_notice(context.settings.question_retention_days)
    await update.effective_chat.send_message(f"{notice}\n\n{body}")


@door()
async def stop_command(update: Update, context: BotContext) -> None:
    """/stop: no more messages from us; the data stays until /forget."""
    if context.person is not None and not signed_up(context.person):
        # Half signed up: we send them nothing anyway; say so, and how to erase the rest.
        assert update.effective_chat is not None
        def unfinished() -> str:
            return _("You have not finished signing up, so we send you no messages.\n"
                     "Send /forget to erase what you told us.")

        await update.effective_chat.send_message(
            unfinished() if context.person.locale
            else in_every_language(unfinished, _order(update)))
        return
    if not await ensure_onboarded(update, context):
        return
    assert context.person is not None and update.effective_chat is not None
    await people.stop(context.session, context.person.id)
    text = _("You will get no more messages from us.\n"
             "We keep your data until you send /forget.\n"
             "Do you want our messages again? Send /start.")
    if context.role is Role.BRUGFIGUUR:
        # Routing passes them by from now on; what they hold goes to the coordinator.
        coordinators = await questions.coordinator_recipients(context.session,
                                                              context.settings.coordinator_ids)
        moved = await questions.hand_back(context.session, context.person.id, context.now(),
                                          render_card, coordinators)
        # A translation request held for their green hour would still reach them.
        await outbox.drop_waiting_for(context.session, context.person.id, "stopped")
        await context.commit()
        wake(context.application)
        text += "\n\n" + _("Parents' questions no longer come to you.")
        if moved:
            text += " " + ngettext("The {count} question you held went to the coordinator.",
                                   "The {count} questions you held went to the coordinator.",
                                   moved).format(count=moved)
    await update.effective_chat.send_message(text)


def _order(update: Update) -> list[str]:
    """The languages, Telegram's guess first."""
    user = update.effective_user
    return language_order(user.language_code if user else None)


@door()
async def forget_command(update: Update, context: BotContext) -> None:
    """/forget: ask first; the button does the erasing."""
    assert update.effective_chat is not None
    if context.person is None:
        await update.effective_chat.send_message(_("We have no data about you."))
        return
    def text() -> str:
        return _("Do you want us to erase everything we know about you?\n"
                 "Your name, language, schools, answers and questions will be gone. "
                 "This cannot be undone.")

    if context.person.locale:
        await update.effective_chat.send_message(text(), reply_markup=forget_keyboard())
        return
    # No language chosen yet: a question that cannot be undone, in every language.
    order = _order(update)
    await update.effective_chat.send_message(in_every_language(text, order),
                                             reply_markup=forget_keyboard(order))


@door()
async def forget_answer(update: Update, context: BotContext) -> None:
    """The buttons under /forget."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    person = context.person
    if person is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await query.answer()
    if query.data.endswith(":no"):
        await query.edit_message_text(_("Good. Nothing was erased."))
        return
    if context.role is Role.BRUGFIGUUR:
        # As with /stop, what they hold goes to the coordinator (who is shown it now), but
        # without their answers: those are theirs, and go.
        coordinators = await questions.coordinator_recipients(context.session,
                                                              context.settings.coordinator_ids)
        await questions.forget_answers(context.session, person.telegram_id)
        await questions.hand_back(context.session, person.id, context.now(), render_card,
                                  coordinators)
    cards = await questions.cards_of_parent(context.session, person.id)
    await people.forget(context.session, person.id)
    # Erased for real before we say so.
    await context.commit()
    wake(context.application)
    await query.edit_message_reply_markup(reply_markup=None)
    await update.effective_chat.send_message(
        _("Done. We erased everything about you.\n"
          "Goodbye! You can always come back with /start."),
        reply_markup=ReplyKeyboardRemove(),
    )
    await clear_chat_menu(context.bot, update.effective_chat.id)
    await _erase_cards(context, cards)


async def _erase_cards(context: BotContext, cards: list[questions.ShownCard]) -> None:
    """The cards of an erased parent's questions in the team's chats: redrawn without her
    name and words (the copies of her messages there cannot be changed by the bot)."""
    for card in cards:
        with use_locale(card.locale, context.settings.timezone):
            text = "🗑 " + _("Question {number}: the parent erased their data.").format(
                number=card.question_id)
        with contextlib.suppress(TelegramError):  # a card deleted, or Telegram away
            await context.bot.edit_message_text(text, chat_id=card.chat_id,
                                                message_id=card.message_id, reply_markup=None)
