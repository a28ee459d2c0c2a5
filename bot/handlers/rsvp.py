"""Reminders as a parent reads them, their RSVP buttons, and the team's /rsvps."""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import datetime
from io import BytesIO
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.handlers import questions
from bot.handlers.bursts import first_of_burst
from bot.handlers.door import BotContext, door, not_modified
from bot.handlers.programme_text import escape, item_text
from bot.handlers.sending import send_long
from bot.handlers.texts import original_headings
from bot.i18n import (
    N_,
    SUPPORTED_LOCALES,
    _,
    format_date,
    format_time,
    format_weekday_date,
    ngettext,
    use_locale,
)
from bot.services import rsvp as service
from bot.services import staff, typed_answers
from bot.services.calendar_file import occurrence_ics
from bot.services.outbox import split_text
from bot.services.reminders import Answer, Moved, NewPlace, ReminderView, When
from bot.services.roles import STAFF, Role
from bot.services.rsvp import Refusal

# rv:<reminder id>:<yes|maybe|no|c1..c4|ics|nl>: the row names the occurrence and the parent.
RSVP_DATA = r"^rv:(\d{1,9}):(yes|maybe|no|c[1-4]|ics|nl)$"

HEADINGS: dict[When, str] = {
    When.NEXT_WEEK: N_("🔔 Reminder: next week"),
    When.ON_DAY: N_("🔔 Reminder: on {weekday}"),
    When.ON_DATE: N_("🔔 Reminder: on {weekday}"),  # the weekday with its date
    When.TOMORROW: N_("🔔 Reminder: tomorrow"),
    When.TODAY: N_("🔔 Reminder: today at {time}"),
    When.IN_TWO_HOURS: N_("🔔 Reminder: in two hours"),
}
# A whole-day event has no hour to say: "today", not "today at 00:00".
ALL_DAY_TODAY = N_("🔔 Reminder: today")
ANSWERS: dict[Answer, tuple[str, str]] = {
    Answer.YES: ("✅", N_("I'm coming")),
    Answer.MAYBE: ("🤔", N_("Maybe")),
    Answer.NO: ("❌", N_("I can't come")),
}
# Taps on 📆 or 🇧🇪 this close to each other send the file or the original once.
SEND_AGAIN_AFTER = 10.0


def answer_label(answer: Answer) -> str:
    icon, label = ANSWERS[answer]
    return f"{icon} {_(label)}"


def children_count(count: int) -> str:
    """1, 2, 3 or "4+": as the 👧 buttons offer it."""
    return "4+" if count >= service.MAX_CHILDREN else str(count)


def answer_said(answer: Answer, children: int | None) -> str:
    """'You said: ✅ I'm coming. Children: 2.' (the children of a "yes" only)."""
    said = _("You said: {answer}.").format(answer=answer_label(answer))
    if answer is Answer.YES and children:
        said += " " + _("Children: {count}.").format(count=children_count(children))
    return said


def asks_children(view: ReminderView) -> bool:
    """A "yes" to a workshop: how many children come (the 👧 buttons, asked in words until
    one is tapped)."""
    return view.answer is Answer.YES and service.counts_children(view.item.kind)


def reminder_text(view: ReminderView) -> str:
    """HTML: what, when, where, and the answer given so far."""
    when = view.when()
    heading = _(ALL_DAY_TODAY if when is When.TODAY and view.item.all_day()
                else HEADINGS[when]).format(
        time=format_time(view.item.starts_at),
        weekday=format_weekday_date(view.item.starts_at) if when is When.ON_DATE
        else format_date(view.item.starts_at, "EEEE"))
    lines = [f"<b>{escape(heading)}</b>", "",
             item_text(view.item, [], show_schools=False)]
    if view.answer is None:
        lines += ["", escape(_("Will you come? Tap a button. You do not have to answer: "
                               "everyone is welcome."))]
    else:
        lines += ["", escape(answer_said(view.answer, view.children) + " " + _("Change?"))]
        if asks_children(view) and not view.children:
            lines.append(escape(_("How many children will come? Tap a number.")))
    if view.dutch_item is not None:
        with use_locale("nl"):
            original = item_text(view.dutch_item, [], show_schools=False)
        lines += ["", original_headings(html_markup=True)[view.locale], original]
    return "\n".join(lines)


def children_buttons(view: ReminderView) -> list[InlineKeyboardButton]:
    """👧 1, 2, 3, 4+ (the number given so far marked)."""
    return [InlineKeyboardButton(("• " if view.children == n else "") + "👧 "
                                 + children_count(n),
                                 callback_data=f"rv:{view.reminder_id}:c{n}")
            for n in range(1, 5)]


def reminder_keyboard(view: ReminderView) -> InlineKeyboardMarkup:
    rid = view.reminder_id
    rows = [[InlineKeyboardButton(("• " if view.answer is a else "") + answer_label(a),
                                  callback_data=f"rv:{rid}:{a.value}")] for a in Answer]
    if asks_children(view):
        rows.append(children_buttons(view))
    rows.append([InlineKeyboardButton("📆 " + _("Add to calendar"),
                                      callback_data=f"rv:{rid}:ics")])
    if view.locale != "nl":
        rows.append([InlineKeyboardButton("🇧🇪 Nederlands", callback_data=f"rv:{rid}:nl")])
    return InlineKeyboardMarkup(rows)


def render_reminder(view: ReminderView) -> list[tuple[str, dict[str, Any]]]:
    """For the outbox: the reminder, then a map pin when the place has coordinates."""
    with use_locale(view.locale):
        messages: list[tuple[str, dict[str, Any]]] = [("text", {
            "text": reminder_text(view), "parse_mode": ParseMode.HTML,
            "reply_markup": reminder_keyboard(view).to_dict()})]
    place = view.item.place
    if place.latitude is not None and place.longitude is not None:
        messages.append(("location", {"latitude": place.latitude, "longitude": place.longitude}))
    return messages


def day_and_time(start: datetime, *, all_day: bool) -> str:
    """'woensdag 25 november 2026, 13:30' (reader's locale); a whole day by its day alone."""
    day = format_weekday_date(start)
    return day if all_day else f"{day}, {format_time(start)}"


def render_moved(moved: Moved) -> tuple[str, dict[str, Any]]:
    """For the outbox: an activity a parent said they would come to, or was reminded of,
    has moved. Words only: when it moved to another place too, the planner sends that
    place's map pin right after them (``reminders.with_pin``)."""
    with use_locale(moved.locale):
        when = day_and_time(moved.old_start, all_day=moved.all_day)
        if moved.item is None:
            # Named: without its title the parent cannot tell which activity it is.
            text = escape(_("The activity of {when} does not take place then any more.")
                          .format(when=when))
            if moved.title:
                text = f"<b>{escape(moved.title)}</b>\n{text}"
        else:
            text = (escape(_("Changed: the activity of {when} has moved. Here is the new "
                             "time.").format(when=when))
                    + "\n\n" + item_text(moved.item, [], show_schools=False))
    return "text", {"text": "⚠️ " + text, "parse_mode": ParseMode.HTML}


def render_new_place(moved: NewPlace) -> tuple[str, dict[str, Any]]:
    """For the outbox: an activity a parent said they would come to, or was reminded of, is
    at another place. Words only: the planner sends the new place's map pin right after
    them, as a reminder brings one (``reminders.with_pin``)."""
    with use_locale(moved.locale):
        when = day_and_time(moved.item.starts_at, all_day=moved.item.all_day())
        said = _("Changed: the activity of {when} is at a new place. Here is the new place.")
        text = (escape(said.format(when=when))
                + "\n\n" + item_text(moved.item, [], show_schools=False))
    return "text", {"text": "⚠️ " + text, "parse_mode": ParseMode.HTML}


def new_time(view: ReminderView) -> str:
    """'New day and time: Thursday 26 November 2026, 14:00.': an answer under the reminder
    of a day that moved is for its new time, and says so."""
    return _("New day and time: {when}.").format(
        when=day_and_time(view.item.starts_at, all_day=view.item.all_day()))


def refusal_text(refusal: Refusal) -> str:
    if refusal is Refusal.STARTED:
        return _("This activity has already started. Your answer cannot change any more.")
    if refusal is Refusal.OVER:
        return _("This activity is over.")
    if refusal is Refusal.CANCELLED:
        return _("This activity was cancelled. We are sorry.")
    if refusal is Refusal.MOVED:
        return _("This activity no longer takes place at this time.")
    if refusal is Refusal.GONE:
        return _("This activity was moved or cancelled.")
    return _("This button has expired.")


@door()
async def rsvp_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(RSVP_DATA, query.data)
    if match is None or context.person is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    reminder_id, action = int(match[1]), match[2]
    now = context.now()
    change = None
    reader = service.Reader(context.person.locale, context.person.dutch_below)
    if action in ("ics", "nl"):
        refusal, view = await service.view(context.session, reminder_id, context.person.id, now,
                                           with_dutch=action == "nl", reader=reader)
    else:
        answer, children = ((Answer.YES, int(action[1:])) if action.startswith("c")
                            else (Answer(action), None))
        refusal, view, change = await service.decide(
            context.session, reminder_id, context.person.id, answer, now, children,
            reader=reader, school_ids=context.person.school_ids)
    if refusal is Refusal.STARTED and action in ("ics", "nl"):
        # Not an answer: "your answer cannot change" would puzzle.
        await query.answer(_("This activity has already started."), show_alert=True)
        return
    if refusal is not None or view is None:
        await query.answer(refusal_text(refusal or Refusal.UNKNOWN), show_alert=True)
        return
    chat = update.effective_chat
    assert chat is not None
    if action in ("ics", "nl") and not first_of_burst(
            context.chat_data, f"{action}:{reminder_id}", SEND_AGAIN_AFTER):
        await query.answer()  # a slow phone's taps: the file or the original came already
        return
    if action == "ics":
        await query.answer()
        ics = occurrence_ics(view.item, now=now, first_start=await service.first_day(
            context.session, reminder_id))
        await chat.send_document(BytesIO(ics), filename="activity.ics",
                                 caption="📆 " + _("Open this file to add it to your calendar."))
        return
    if action == "nl":
        await query.answer()
        with use_locale("nl"):
            original = item_text(view.dutch_item or view.item, [], show_schools=False)
        heading = original_headings(html_markup=True)[view.locale]
        await chat.send_message(f"{heading}\n{original}", parse_mode=ParseMode.HTML)
        return
    # The message first, the answer after: a press on a message that cannot be redrawn
    # changes nothing (the door), and the Telegram calls do not hold SQLite's one writer.
    # A reminder too long for one message was sent in parts, its buttons under the last:
    # that part is what is redrawn (the buttons' • shows the answer).
    try:
        await query.edit_message_text(split_text(reminder_text(view))[-1],
                                      parse_mode=ParseMode.HTML,
                                      reply_markup=reminder_keyboard(view))
    except BadRequest as problem:
        if not not_modified(problem):
            raise  # the door tells a stale button from a failure
        # A double tap: the message shows this answer already; it is kept all the same.
    assert change is not None
    if change.followed:
        # The reminder of a day that moved, now redrawn with the new one: the answer is for
        # that, said where she looks (an alert), with the answer kept.
        await query.answer("⚠️ " + new_time(view) + "\n"
                           + answer_said(change.answer, change.children), show_alert=True)
    else:
        await query.answer(_("Thank you!"))
    if not await service.keep(context.session, change):
        # Cancelled while the message was redrawn: nothing kept, its buttons go, and it is
        # said at once, under it (the writer's turn given back before Telegram's calls).
        await context.session.rollback()
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await chat.send_message("⚠️ " + refusal_text(Refusal.CANCELLED))


@functools.cache
def typed_labels() -> dict[Answer, tuple[str, ...]]:
    """The buttons' labels in every language, with and without their icon: a parent may
    type what a button says."""
    labels: dict[Answer, tuple[str, ...]] = {}
    for answer, (icon, label) in ANSWERS.items():
        found = []
        for locale in SUPPORTED_LOCALES:
            with use_locale(locale):
                found += [_(label), f"{icon} {_(label)}"]
        labels[answer] = tuple(found)
    return labels


async def typed_rsvp(update: Update, context: BotContext, *, edited: bool = False) -> bool:
    """A parent's answer to a reminder typed in words ("evet", "ja", "ਹਾਂ ਜੀ, ਆਵਾਂਗੇ", 👍, a 👍
    sticker), a workshop's "yes" with how many children ("Evet 2 çocuk"), or after a
    workshop's "yes" how many children ("2", "iki"), as a reply to it (or to the bot's answer
    about it, or to the ⚠️ notice of its move) or as their next message after it
    (bot/services/typed_answers.py): kept as the button would keep it, the reminder redrawn
    with its •, and a thank-you that says what was kept (and the new day, after a move). A
    word after the answer was kept does not answer again (``_acknowledge``).
    ``edited``: the parent corrected such a message ("evet" made "hayır"), as one corrects
    on a phone: it answers again, as a reply would.
    False: the message is no such answer; it goes on as a question."""
    message = update.edited_message if edited else update.message
    person, chat = context.person, update.effective_chat
    if message is None or person is None or chat is None:
        return False
    text = message.text or typed_answers.sticker_text(
        message.sticker.emoji if message.sticker else None)
    typed = typed_answers.read(text, typed_labels()) if text else None
    if typed is None:
        return False
    answer, children = typed.answer, typed.children
    now = context.now()
    replied = message.reply_to_message.message_id if message.reply_to_message else None
    found = await typed_answers.reminder_answered(
        context.session, person.id, chat.id, replied, now,
        before=message.message_id if edited else None)
    if found is None:
        return False
    reader = service.Reader(person.locale, person.dutch_below)
    shown = None  # the reminder as it shows now, before this message
    if children is not None:
        _refusal, shown = await service.view(context.session, found.reminder_id, person.id,
                                             now, reader=reader)
        if answer is None:
            # Only as the answer to "how many children?": a "yes" to a workshop.
            if shown is None or not asks_children(shown):
                return False
            answer = Answer.YES
        elif shown is None or not service.counts_children(shown.item.kind):
            children = None  # "ja 2" to an ouderbabbel: the yes (or why it cannot change)
    assert answer is not None
    refusal, view, change = await service.decide(context.session, found.reminder_id,
                                                 person.id, answer, now, children,
                                                 reader=reader, school_ids=person.school_ids)
    if refusal in (Refusal.UNKNOWN, Refusal.NOT_YOURS):
        return False  # not theirs to answer after all: a question, as any other message
    quoted = (ReplyParameters(found.message_id, allow_sending_without_reply=True)
              if found.message_id is not None else None)
    # The children of a "yes" given before, not said yet, are taken from the next message.
    children_asked = (children is not None and shown is not None
                      and shown.answer is Answer.YES and not shown.children)
    if (change is not None and change.rsvp_id is not None and not found.replied
            and not edited and not children_asked):
        # Answered already: a later "ok" or 👍 acknowledges, it does not answer.
        if shown is None:
            _refusal, shown = await service.view(context.session, found.reminder_id,
                                                 person.id, now, reader=reader)
        if shown is not None:
            await _acknowledge(context, message, person.id, found, shown, answer, children,
                               quoted)
            return True
    if refusal is not None or view is None or change is None:
        # Too late, or the activity was moved or cancelled: the words a press would get.
        await chat.send_message(refusal_text(refusal or Refusal.UNKNOWN),
                                reply_parameters=quoted)
        return True
    # As a press redraws it, before the answer is written (SQLite's writer is not held over
    # the round trip).
    await _redraw(context, chat.id, found, view)
    if not await service.keep(context.session, change):
        # Cancelled since it was read: said, and the words are not taken for a question.
        await context.session.rollback()
        await chat.send_message("⚠️ " + refusal_text(Refusal.CANCELLED), reply_parameters=quoted)
        return True
    await context.commit()
    said = _("Thank you!") + " " + (
        _("Children: {count}.").format(count=children_count(children))
        if children is not None and typed.answer is None else answer_said(answer, children))
    await _thank(context, chat.id, person.id, found, view, change, said, quoted)
    return True


async def _redraw(context: BotContext, chat_id: int, found: typed_answers.Answered,
                  view: ReminderView) -> None:
    """The reminder as the answer just given leaves it (its message with the buttons); a
    reminder the parent deleted, or one that shows this answer already, is left as it is:
    the answer is kept all the same."""
    if found.message_id is None:
        return
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_text(
            split_text(reminder_text(view))[-1], chat_id=chat_id, message_id=found.message_id,
            parse_mode=ParseMode.HTML, reply_markup=reminder_keyboard(view))


async def _thank(context: BotContext, chat_id: int, person_id: int,
                 found: typed_answers.Answered, view: ReminderView, change: service.Change,
                 said: str, quoted: ReplyParameters | None) -> None:
    """After an answer typed or given by a reaction was kept: ``said`` (what was kept), the
    new time of a day that moved, and how many children (a workshop's yes) or how to change
    it. The message is noted as the reminder's, so that a "2" swiped onto it answers it."""
    if change.followed:  # answered under the reminder, or the ⚠️ notice, of a day that moved
        said += "\n" + new_time(view)
    if asks_children(view) and not view.children:
        # The 👧 buttons here too: a press redraws this message as the reminder.
        sent = await context.bot.send_message(
            chat_id, said + "\n" + _("How many children will come? Tap a number."),
            reply_parameters=quoted, reply_markup=InlineKeyboardMarkup([children_buttons(view)]))
    else:
        sent = await context.bot.send_message(
            chat_id, said + "\n" + _("To change your answer, tap a button under the 🔔 "
                                      "reminder."), reply_parameters=quoted)
    await typed_answers.record_reply(context.session, person_id, chat_id, found,
                                     sent.message_id, context.now())


async def reaction_rsvp(update: Update, context: BotContext) -> bool:
    """A parent's 👍 (or 👎) reaction on a reminder, the quickest answer on a phone (a long
    press): kept as the button would keep it, the reminder redrawn, a thank-you quoting it.
    The same answer kept already changes nothing, without a word. False: no reminder of
    theirs, or an emoji that is no answer (❤️, 🙏: a thank-you, not a yes)."""
    changed, person = update.message_reaction, context.person
    if changed is None or person is None or context.role is not Role.PARENT:
        return False
    emoji = [r.emoji for r in changed.new_reaction if isinstance(r, ReactionTypeEmoji)]
    typed = typed_answers.read(emoji[-1], typed_labels()) if emoji else None
    if typed is None or typed.answer is None:
        return False
    now = context.now()
    found = await typed_answers.reminder_answered(
        context.session, person.id, changed.chat.id, changed.message_id, now)
    if found is None or not await typed_answers.is_reminder_message(
            context.session, changed.chat.id, changed.message_id):
        # Only on the reminder itself (any of its parts): a 👍 on the bot's thank-you for a
        # "no" means "ok".
        return False
    reader = service.Reader(person.locale, person.dutch_below)
    if await service.kept_answer(context.session, found.reminder_id, person.id) is typed.answer:
        return True  # kept already (the button; a 👍 again, even once the day began)
    refusal, view, change = await service.decide(context.session, found.reminder_id,
                                                 person.id, typed.answer, now, None,
                                                 reader=reader, school_ids=person.school_ids)
    if refusal in (Refusal.UNKNOWN, Refusal.NOT_YOURS):
        return False
    quoted = ReplyParameters(changed.message_id, allow_sending_without_reply=True)
    if refusal is not None or view is None or change is None:
        await context.bot.send_message(changed.chat.id, refusal_text(refusal or Refusal.UNKNOWN),
                                       reply_parameters=quoted)
        return True
    if not await service.keep(context.session, change):
        await context.session.rollback()
        await context.bot.send_message(changed.chat.id, "⚠️ " + refusal_text(Refusal.CANCELLED),
                                       reply_parameters=quoted)
        return True
    await context.commit()
    await _redraw(context, changed.chat.id, found, view)
    await _thank(context, changed.chat.id, person.id, found, view, change,
                 _("Thank you!") + " " + answer_said(typed.answer, view.children), quoted)
    return True


async def _acknowledge(context: BotContext, message: Message, person_id: int,
                       found: typed_answers.Answered, shown: ReminderView, answer: Answer,
                       children: int | None, quoted: ReplyParameters | None) -> None:
    """A typed word after the answer was kept, as the next message: nothing changes. The same
    answer ("ok" or 👍 after ✅, "evet 2" after ✅ with 2 children) gets the 👍 the bot puts on
    what it received, no words; another one (👍 after ❌, "3" after 2 children) is told what
    was kept and how to change it, as the reminder's buttons do (a person reads nothing else:
    it is no question)."""
    if shown.answer is answer and (children is None or shown.children == children):
        await questions.received(message)
        return
    said = answer_said(shown.answer or answer, shown.children)
    sent = await message.chat.send_message(
        said + "\n" + _("To change your answer, tap a button under the 🔔 reminder."),
        reply_parameters=quoted)
    await typed_answers.record_reply(context.session, person_id, message.chat.id, found,
                                     sent.message_id, context.now())


# Every activity of the last week gets its button (a busy week has forty): Telegram takes 100
# under one message.
MAX_NOTE_BUTTONS = 100


@door(roles=STAFF)
async def rsvps_command(update: Update, context: BotContext) -> None:
    """/rsvps: per upcoming activity, who comes, maybe, not; children; reached."""
    assert update.effective_chat is not None and context.person is not None
    schools = None
    if context.role is Role.BRUGFIGUUR:
        member = await staff.member(context.session, context.person.id)
        schools = list(member.contact_for) if member else []
    tz = context.settings.timezone
    figures = await service.overview(context.session, context.now(), schools, tz=tz)
    past = (await service.recent_with_attendees(context.session, context.now())
            if context.role is Role.COORDINATOR else [])
    notes = [[InlineKeyboardButton(
        "✉️ " + _("Note after: {title}, {day}").format(
            title=f.title_nl[:30], day=format_date(f.starts_at, "short")),
        callback_data=f"rn:{f.activity_id}:{int(f.starts_at.timestamp())}")]
        for f in past[:MAX_NOTE_BUTTONS]]
    markup = InlineKeyboardMarkup(notes) if notes else None
    if not figures:
        await update.effective_chat.send_message(_("No activities in the coming two weeks."),
                                                 reply_markup=markup)
        return
    heading = _("Answers for the coming two weeks")
    lines = [f"<b>{escape(heading)}</b>"]
    for f in figures:
        lines.append("")
        lines.append(f"<b>{escape(f.title_nl)}</b>")
        lines.append("🗓 " + day_and_time(f.starts_at, all_day=f.all_day))
        counts = _("✅ {yes} coming · 🤔 {maybe} maybe · ❌ {no} not coming").format(
            yes=f.coming, maybe=f.maybe, no=f.not_coming)
        if service.counts_children(f.kind) and (f.children or not f.children_unsaid):
            counts += " · " + ngettext("👧 {children} child", "👧 {children} children",
                                       f.children).format(children=f.children)
        if service.counts_children(f.kind) and f.children_unsaid:
            # Not "0 children": those parents come, they only did not say with how many.
            counts += " · " + ngettext(
                "{count} parent did not say how many children",
                "{count} parents did not say how many children",
                f.children_unsaid).format(count=f.children_unsaid)
        lines.append(escape(counts))
        lines.append(escape(ngettext("🔔 Reminder sent to {count} parent",
                                     "🔔 Reminder sent to {count} parents",
                                     f.reached).format(count=f.reached)))
    await send_long(update, "\n".join(lines), html=True, reply_markup=markup)
