"""Onboarding: language, school(s), privacy notice. Each step is stored on the person's row."""

from __future__ import annotations

from datetime import timedelta

from telegram import CallbackQuery, Update

from bot.handlers import invite, team
from bot.handlers.commands import set_chat_menu
from bot.handlers.door import BotContext, door
from bot.handlers.keyboards import (
    language_keyboard,
    main_keyboard,
    privacy_keyboard,
    school_keyboard,
)
from bot.handlers.programme_text import render_for
from bot.handlers.question_texts import topic_keyboard, topic_question_again
from bot.handlers.texts import (
    dutch_marks,
    greeting_in_every_language,
    original_headings,
    privacy_notice,
    school_question,
    your_schools,
)
from bot.i18n import LANGUAGE_NAMES, _, use_locale
from bot.services import announcement, broadcast, people, questions
from bot.services.onboarding import (
    BAD_LINK,
    Press,
    StartLink,
    Step,
    after_start_link,
    bad_link_due,
    button_step,
    language_order,
    language_press,
    parse_start_payload,
    step_after_language,
    typed_language,
    typed_school,
)
from bot.services.people import PersonView
from bot.services.roles import STAFF, Role

# A second press of the privacy OK this soon after the first is the same thumb, not a stale
# button: it gets no "expired" alert.
DOUBLE_TAP = timedelta(seconds=30)


@door()
async def start(update: Update, context: BotContext) -> None:
    """/start, with or without a deep link (s_<schoolcode>)."""
    link = parse_start_payload(context.args[0] if context.args else None)
    if context.person is None:
        await begin(update, context, link)
    elif link.kind == "staff":
        assert update.effective_chat is not None
        joined = await invite.redeem(update, context, link)
        if context.person.step is not None:
            await ask_current_step(update, context)
        elif joined:
            # Signed up before (a parent who joins the team): the staff menu, and their
            # languages as a new brugfiguur is asked them, or they get only the bot's one.
            await set_chat_menu(context.bot, update.effective_chat.id,
                                context.person.locale or "nl", context.role)
            await team.send_languages_welcome(update, context)
    elif context.person.step is not None:
        # Half-way (a second QR code scanned): a good link adds its school; a bad one is
        # explained with the open question, asked again.
        found = await _apply_school_link(context, link)
        await people.set_step(context.session, context.person.id, context.person.step,
                              after_start_link(context.person.step_data, link, found))
        await context.reload_person()
        await ask_current_step(update, context)
    else:
        await welcome_back(update, context, link)


async def begin(update: Update, context: BotContext, link: StartLink) -> None:
    """A new person: keep the school from the link, then ask the language."""
    user = update.effective_user
    assert user is not None
    row = await people.register(context.session, user.id, user.first_name or "", context.role)
    await context.reload_person()
    await invite.redeem(update, context, link)
    bad_link = not await _apply_school_link(context, link)
    await people.set_step(context.session, row.id, Step.LANGUAGE,
                          {BAD_LINK: True} if bad_link else None)
    await context.reload_person()
    await ask_current_step(update, context)


async def welcome_back(update: Update, context: BotContext, link: StartLink) -> None:
    assert context.person is not None and update.effective_chat is not None
    resumed = await people.resume(context.session, context.person.id)
    lines = [_("Welcome back! You will get our messages again.") if resumed
             else _("Hello {name}! Use the buttons below.").format(
                 name=context.person.first_name)]
    school = (await people.school_by_code(context.session, link.value)
              if link.kind == "school" and not link.malformed else None)
    if school is not None and context.role in STAFF:
        # The team tests the posters they hang up: a scan adds no school of theirs (their
        # week, their parents' messages); one whose child goes there adds it with 🏫.
        lines.append(_("This is the parents' link of {school}: it works. You are in the "
                       "team, so nothing changed for you. Is it your child's school? Tap 🏫 "
                       "My school.").format(school=school.name))
    elif link.kind == "school" or link.malformed:
        before = set(context.person.school_ids)
        if await _apply_school_link(context, link):
            person = await context.reload_person()
            assert person is not None
            lines.append(your_schools(await people.schools(context.session), person.school_ids))
            if set(person.school_ids) - before and before:
                # The QR code of a new school: a child who changed school, or a sibling's.
                # The old school stays until the parent says otherwise.
                lines.append(_("Does a child no longer go to one of these schools? "
                               "Tap 🏫 My school to change it."))
        else:
            lines.append(_("I do not know the school in that link. Tap 🏫 My school to choose."))
    await update.effective_chat.send_message("\n\n".join(lines), reply_markup=main_keyboard())


async def _apply_school_link(context: BotContext, link: StartLink) -> bool:
    """Add the school a deep link names; False when the link was broken or unknown."""
    if link.malformed:
        return False
    if link.kind != "school":
        return True
    assert context.person is not None
    school = await people.school_by_code(context.session, link.value)
    if school is None:
        return False
    await people.add_school(context.session, context.person.id, school.id)
    if context.person.step is None:
        # Signed up already (a second child's school, by its QR code): a week's programme
        # still waiting for them holds it too, as after 🏫 My school.
        await redo_waiting_for(context, context.person.id)
    return True


def pressed_step(query: CallbackQuery) -> Step | None:
    """The sign-up question whose button was pressed (None: one of /language or /school)."""
    assert query.data is not None
    # A message too old for Telegram to show us has no keyboard: taken as a sign-up one.
    markup = getattr(query.message, "reply_markup", None)
    keyboard = [button.callback_data for row in markup.inline_keyboard for button in row
                if isinstance(button.callback_data, str)] if markup is not None else []
    return button_step(query.data, keyboard)


def signed_up(person: PersonView | None) -> bool:
    """Whether the person finished onboarding (no step left open)."""
    return person is not None and person.step is None


async def ensure_onboarded(update: Update, context: BotContext) -> bool:
    """True for a person who finished onboarding; anyone else is asked the open question."""
    if signed_up(context.person):
        return True
    if context.person is None:
        await begin(update, context, StartLink(kind=None))
    else:
        await ask_current_step(update, context, nudge=True)
    return False


async def ask_current_step(update: Update, context: BotContext, *, nudge: bool = False) -> None:
    """Ask (again) the question of the person's current onboarding step."""
    person = context.person
    chat = update.effective_chat
    assert person is not None and chat is not None
    step = person.step
    if step == Step.LANGUAGE or person.locale is None:
        user = update.effective_user
        order = language_order(user.language_code if user else None)
        await context.release_writer()  # before Telegram's calls
        await chat.send_message(greeting_in_every_language(order),
                                reply_markup=language_keyboard(order))
        return
    prefix = _("Please tap a button.") + "\n\n" if nudge else ""
    schools = await people.schools(context.session)
    bad_link = bad_link_due(step, person.step_data)
    if bad_link:
        # Said once: the question asked again later comes without it.
        await people.set_step(context.session, person.id, step,
                              {k: v for k, v in person.step_data.items() if k != BAD_LINK})
    await context.release_writer()  # before Telegram's calls
    if step == Step.SCHOOL:
        if bad_link:
            prefix += _("I do not know the school in that link. Please choose your school.")
            prefix += "\n\n"
        await chat.send_message(prefix + school_question(),
                                reply_markup=school_keyboard(schools, set(person.school_ids),
                                                             person.locale))
    elif step == Step.PRIVACY:
        if bad_link:
            prefix += _("I do not know the school in that link. "
                        "No problem, we go on where we were.") + "\n\n"
        if person.school_ids:
            prefix += your_schools(schools, person.school_ids) + "\n\n"
        notice = privacy_notice(context.settings.question_retention_days)
        await chat.send_message(prefix + notice,
                                reply_markup=privacy_keyboard(person.locale))


@door()
async def choose_language(update: Update, context: BotContext) -> None:
    """A language button, during onboarding or from /language."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    person = context.person
    if person is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    locale = query.data.split(":")[1]
    press = language_press(pressed_step(query), person.step, locale, person.locale)
    if press is Press.EXPIRED:
        # An older sign-up question's button: /language is the way to change it now.
        await query.answer(_("This button has expired."), show_alert=True)
        return
    if press is Press.SAME:
        await query.answer()
        return
    await people.set_locale(context.session, person.id, locale)
    if person.step is None:
        await redo_waiting_for(context, person.id)
    await context.release_writer()  # before Telegram's calls
    with use_locale(locale, context.settings.timezone):
        await query.answer()
        if person.step in (Step.SCHOOL, Step.PRIVACY):
            # The 🌐 row under a sign-up question: that question comes again, in this language.
            await query.edit_message_reply_markup(reply_markup=None)
        elif query.message is not None and getattr(query.message, "text", None):
            await query.edit_message_text(f"{query.message.text}\n\n✅ {LANGUAGE_NAMES[locale]}")
        if person.step == Step.LANGUAGE:
            await _past_the_language(update, context, person)
        elif person.step is not None:
            await context.reload_person()
            await ask_current_step(update, context)
        else:
            await update.effective_chat.send_message(
                _("From now on I will write to you in English."), reply_markup=main_keyboard()
            )
            await set_chat_menu(context.bot, update.effective_chat.id, locale, person.role)


async def take_typed_language(update: Update, context: BotContext) -> bool:
    """At the first question, a language's name typed ("Türkçe") instead of tapped is taken
    as the tap. After sign-up, another language's name typed alone changes the language, as
    /language would (a mother whose husband chose Dutch for her types "Türkçe"), unless a
    question of theirs is going on (then it may answer the brugfiguur). False when the text
    is no such name (or the question is another one)."""
    person, message = context.person, update.message
    if (person is None or person.step not in (Step.LANGUAGE, None) or message is None
            or not message.text or update.effective_chat is None):
        return False
    locale = typed_language(message.text)
    if locale is None or (person.step is None and (
            locale == person.locale or await questions.going_on(context.session, person.id))):
        return False
    await people.set_locale(context.session, person.id, locale)
    if person.step is None:
        await redo_waiting_for(context, person.id)
    with use_locale(locale, context.settings.timezone):
        if person.step == Step.LANGUAGE:
            await _past_the_language(update, context, person)
        else:
            await update.effective_chat.send_message(
                _("From now on I will write to you in English."), reply_markup=main_keyboard())
            await set_chat_menu(context.bot, update.effective_chat.id, locale, person.role)
    return True


async def take_typed_school(update: Update, context: BotContext) -> bool:
    """At the school question, a school's name typed ("Klim-op") instead of tapped is taken
    as its tap: ticked, and the question again with it ticked (more schools, or Done).
    False when the text names no one school (or the question is another one)."""
    person, message = context.person, update.message
    if (person is None or person.step != Step.SCHOOL or message is None or not message.text
            or len(message.text) > 80):
        return False
    schools = await people.schools(context.session)
    school_id = typed_school(message.text, [(s.id, s.code, s.name) for s in schools])
    if school_id is None:
        return False
    await people.toggle_school(context.session, person.id, school_id, keep_one=False,
                               wanted=True)
    await context.reload_person()
    await ask_current_step(update, context)
    return True


async def _past_the_language(update: Update, context: BotContext, person: PersonView) -> None:
    """The language is chosen (tapped or typed): on to the next sign-up question."""
    next_step = step_after_language(person.role, person.school_ids)
    await people.set_step(context.session, person.id, next_step, person.step_data)
    await context.reload_person()
    await ask_current_step(update, context)


@door()
async def accept_privacy(update: Update, context: BotContext) -> None:
    """The OK under the privacy notice: onboarding is done."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    person = context.person
    if (person is not None and signed_up(person) and person.onboarded_at is not None
            and context.now() - person.onboarded_at < DOUBLE_TAP):
        # The second of a double tap: the first signed them up, which is what it asked.
        await query.answer()
        return
    if person is None or person.step != Step.PRIVACY:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await people.finish_onboarding(context.session, person.id, context.now())
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    await update.effective_chat.send_message(
        _("Thank you, {name}! You are all set.\n"
          "From now on I will write to you in this language.\n"
          "Use the big buttons below.").format(name=person.first_name),
        reply_markup=main_keyboard(),
    )
    await set_chat_menu(context.bot, update.effective_chat.id, person.locale or "nl",
                        person.role)
    waiting = (await questions.waiting_for_topic(context.session, person.id)
               if person.role is Role.PARENT else None)
    if waiting is not None:
        # What they sent before they were set up (a photo of the letter) waits for its topic.
        draft_id, kept = waiting
        await update.effective_chat.send_message(topic_question_again(kept),
                                                 reply_markup=topic_keyboard(draft_id))
    if person.role is Role.BRUGFIGUUR:
        # A new brugfiguur (they came with an invite link): their languages next.
        await team.send_languages_welcome(update, context)


async def redo_waiting_for(context: BotContext, person_id: int) -> None:
    """A parent changed language or schools: a copy of the programme or of an announcement
    still waiting for them (their quiet hours held it, or it waits its turn) is made again
    for them as they are now. Notices wait in each language (``outbox.IN_EACH``), and an
    announcement for some schools is checked against hers when it leaves
    (``outbox.FOR_SCHOOLS``): they need nothing here."""
    schools = await people.schools(context.session)
    tz = context.settings.timezone
    await broadcast.redo_waiting(
        context.session, person_id, lambda week_start: render_for(week_start, schools, tz),
        originals=original_headings(html_markup=True), tz=tz, now=context.now())
    await announcement.redo_waiting(context.session, person_id, dutch_marks(),
                                    originals=original_headings(html_markup=False))
