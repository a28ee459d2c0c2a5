"""/activity: the coordinator creates an activity step by step, or changes one still to come,
with buttons where they help (kind, schools, day, the parts to change) and typed answers
elsewhere (hours, place, texts per language), and a voice message per language.

The conversation's state is the draft row (bot/services/activity_draft.py): its ``awaiting``
column says which question was asked; every button carries the draft's id and is checked
against the step the draft is at, so an old or forged button changes nothing. The activity
itself changes only on Save. The coordinator's typed answers and voice messages reach the
draft through announce.coordinator_message.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.handlers.activities import button_label
from bot.handlers.broadcast import redo_waiting_copies
from bot.handlers.door import BotContext, door
from bot.handlers.onboarding import ensure_onboarded
from bot.handlers.programme import lost_words, night_line
from bot.handlers.programme_text import KIND_LABELS, escape, item_text, kind_label
from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED_LOCALES,
    _,
    format_date,
    format_number,
    format_time,
    use_locale,
)
from bot.scheduler import reminders as reminder_jobs
from bot.services import activity_draft as service
from bot.services import people
from bot.services import programme as programme_service
from bot.services.activity_draft import DraftView
from bot.services.programme import DUTCH, ActivityData, Occurrence, programme_item
from bot.services.roles import Role
from storage.models import utcnow

# A new draft begun this recently, untouched: a second tap of "➕ New activity" is the same one.
DOUBLE_TAP = timedelta(seconds=10)

# ad:new | ad:e:<activity id> (edit it) | ad:p:<page> (the list of activities to edit)
# | ad:<draft id>:<action> (see activity_draft.button_fits)
ACTIVITY_FLOW_DATA = (r"^ad:(?:new|e:\d{1,9}|p:\d{1,3}|\d{1,9}:(?:k:[a-z_]{1,16}|s:\d{1,6}"
                      r"|sa|sd|d:\d{8}|sk:[a-z:]{1,12}|rm:[a-z:]{1,12}|e:[a-z]{1,8}|save|x:[a-z:]{1,12}))$")
COORDINATOR_ONLY = {Role.COORDINATOR}
PAGE_SIZE = 8  # activities per page of /activity's list
TICK = "✅ "


def question(step: str, review: bool = False) -> str:
    if step == "kind" and review:
        return _("What kind of activity is it?")
    return {
        "kind": _("New activity. What kind of activity is it?"),
        "schools": _("For which schools? Tap one or more, then “Done”."),
        "date": _("Which day? Tap one, or type a date like 25/11/2026."),
        "start": _("What time does it start? Type it like 14:00."),
        "end": _("What time does it end? Type it like 15:30."),
        "place": _("Where does it take place? Type the name of the place."),
        "address": _("The address of the place? Type it, or tap “Skip”."),
        "title:nl": _("The title in Dutch? Type it (at most 200 characters)."),
        "desc:nl": _("A short description in Dutch? Type it, or tap “Skip”."),
        "title:tr": _("The title in Turkish? Type it, or tap “Dutch only”."),
        "desc:tr": _("A short description in Turkish? Type it, or tap “Skip”."),
        "title:pa": _("The title in Punjabi? Type it, or tap “Dutch only”."),
        "desc:pa": _("A short description in Punjabi? Type it, or tap “Skip”."),
        "voice:tr": _("A voice message in Turkish about this activity, for parents who read "
                      "little? Record it and send it here."),
        "voice:pa": _("A voice message in Punjabi about this activity, for parents who read "
                      "little? Record it and send it here."),
        "voice:nl": _("A voice message in Dutch about this activity, for parents who read "
                      "little? Record it and send it here."),
    }[step]


def problem_text(problem: str, text: str) -> str:
    return {
        service.USE_BUTTONS: _("Please tap one of the buttons."),
        service.BAD_DATE: _("“{value}” is not a date. Type it like 25/11/2026, or tap a day."),
        service.PAST_DATE: _("That day has already passed."),
        service.BAD_TIME: _("“{value}” is not a time. Type it like 14:00."),
        service.END_NOT_AFTER_START: _("The end must be after the start."),
        service.CLOCKS_SKIP: _("That night the clocks go forward from 2:00 to 3:00, so this "
                               "time does not exist on that day. Choose another one."),
    }.get(problem, "").format(value=text.strip()[:40])


def _button(draft: DraftView, label: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"ad:{draft.id}:{action}")


def current_line(data: Mapping[str, Any], step: str) -> str | None:
    """'Now: …' under a question whose answer the draft already holds (when changing it)."""
    if step in service.BUTTON_STEPS or not service.has_value(data, step):
        return None
    value = service.value_of(data, step)
    if service.is_voice_step(step):
        value = _("a voice message")
    elif step == "date":
        value = format_date(date.fromisoformat(value), "EEE d MMM y")
    return _("Now: {value}").format(value=value)


def skip_buttons(draft: DraftView, step: str) -> list[InlineKeyboardButton]:
    """Skip the question (an answer the draft holds stays as it is), and remove the answer.
    The labels match the questions' words: "Skip", "Dutch only"."""
    data, row = draft.data, []
    if service.can_skip(data, step):
        if step not in service.SKIPPABLE:  # a required answer, when changing it
            label = "↩️ " + _("Keep as it is")
        elif step in ("title:tr", "title:pa") and not service.has_value(data, step):
            label = "🇧🇪 " + _("Dutch only")
        else:
            label = "⏭ " + _("Skip")
        row.append(_button(draft, label, f"sk:{step}"))
    if service.can_remove(data, step):
        row.append(_button(draft, "🇧🇪 " + _("Dutch only") if step.startswith("title:")
                           else "🗑 " + _("Remove"), f"rm:{step}"))
    return row


async def question_screen(context: BotContext,
                          draft: DraftView) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """The text, the buttons and the parse mode of the step the draft is at."""
    step = draft.awaiting or service.SUMMARY
    if step == service.SUMMARY:
        return await summary(context, draft)
    data = draft.data
    rows: list[list[InlineKeyboardButton]] = []
    if step == "kind":
        rows = [[_button(draft, (TICK if data.get("kind") == kind.value else "")
                         + kind_label(kind), f"k:{kind.value}")] for kind in KIND_LABELS]
    elif step == "schools":
        rows = [[_button(draft, (TICK if data.get("all_schools") else "") + _("All schools"),
                         "sa")]]
        rows += [[_button(draft, (TICK if s.code in (data.get("schools") or []) else "")
                          + s.name, f"s:{s.id}")]
                 for s in await people.schools(context.session)]
        rows.append([_button(draft, "✔️ " + _("Done"), "sd")])
    elif step == "date":
        days = service.days_offered(context.now().date())
        labels = [_button(draft, format_date(day, "EEE d MMM"), f"d:{day:%Y%m%d}")
                  for day in days]
        rows = [labels[i:i + 2] for i in range(0, len(labels), 2)]
    if skips := skip_buttons(draft, step):
        rows.append(skips)
    text = question(step, service.reviewing(data))
    if (now := current_line(data, step)) is not None:
        text += "\n" + now
    cancel = [_button(draft, "✖️ " + _("Cancel"), f"x:{step}")]
    return text, InlineKeyboardMarkup([*rows, cancel]), None


def part_labels() -> dict[str, str]:
    return {
        # Translators: a button on the summary of an activity: change its kind (workshop...).
        "kind": "🗂 " + _("Kind"),
        "schools": "🏫 " + _("Schools"),
        # Translators: a button: change the day of an activity.
        "date": "📅 " + _("Day"),
        # Translators: a button: change the start and end time of an activity.
        "time": "🕒 " + _("Hours"),
        "place": "📍 " + _("Place"),
        "voice": "🎙 " + _("Voice messages"),
        **{code: "✏️ " + LANGUAGE_NAMES[code] for code in SUPPORTED_LOCALES},
    }


def summary_markup(draft: DraftView) -> InlineKeyboardMarkup:
    """A button per part to change (two a row, the languages together), then Save, Cancel."""
    labels = part_labels()
    parts = [_button(draft, labels[part], f"e:{part}")
             for part in service.parts_offered(draft.data) if part not in SUPPORTED_LOCALES]
    rows = [parts[i:i + 2] for i in range(0, len(parts), 2)]
    rows.append([_button(draft, labels[code], f"e:{code}") for code in SUPPORTED_LOCALES])
    rows.append([_button(draft, "💾 " + _("Save"), "save"),
                 _button(draft, "✖️ " + _("Cancel"), f"x:{service.SUMMARY}")])
    return InlineKeyboardMarkup(rows)


async def summary(context: BotContext,
                  draft: DraftView) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """The activity as a Dutch-speaking parent reads it, the translations and voices, what is
    not translated; a button per part to change, and Save."""
    schools = await people.schools(context.session)
    tz = context.settings.timezone
    data = service.to_activity(draft.data, service.external_id(draft.id),
                               {s.code: s.id for s in schools}, tz)
    with use_locale(DUTCH, tz):
        item = item_text(programme_item(data, shown_occurrence(context, data), DUTCH),
                         schools, show_schools=True)
    heading = (_("Is this right? Parents will read it like this:") if draft.activity_id is None
               else _("You are changing this activity. Parents will read it like this:"))
    lines = [escape(heading), "", item, ""]
    stale = service.stale_parts(draft.data)
    # As typed (``data`` leaves out what was made for the old Dutch); ⚠️: it goes at Save.
    lines += [f"{LANGUAGE_NAMES[code]}: <b>{escape(title)}</b>"
              + (" ⚠️" if f"title:{code}" in stale else "")
              for code in SUPPORTED_LOCALES if code != DUTCH
              for title in [service.value_of(draft.data, f"title:{code}")] if title]
    if service.starts_in_the_night(draft.data, tz):
        lines.append(escape(night_text(data.starts_at)))
    if voices := service.voice_languages(draft.data):
        lines.append(escape(_("Voice messages: {languages}").format(
            languages=", ".join(LANGUAGE_NAMES[code] for code in voices))))
    if data.rrule:
        lines.append(escape(_("🔁 This activity repeats: new hours apply every time. Change "
                              "its days in your programme file.")))
    missing = service.missing_languages(draft.data)
    if missing:
        lines.append(escape(_("Not translated: {languages}").format(
            languages=", ".join(LANGUAGE_NAMES[code] for code in missing))))
    else:
        lines.append(escape(_("Translated into every language.")))
    if stale:
        # As a file that changes the Dutch does, but said before it happens.
        lines.append(escape(_(
            "⚠️ The Dutch text changed, so these were made for the old one and go when you "
            "save: {items}. To keep one after all, tap its button, then “Skip”.").format(
            items=lost_words(stale))))
    lines += ["", escape(_("Tap a part to change it, or “Save”."))]
    return "\n".join(lines), summary_markup(draft), ParseMode.HTML


def night_text(start: datetime) -> str:
    """The file import's words for a start in the night (``service.starts_in_the_night``)."""
    return night_line(format_time(start))


def begun_text(data: Mapping[str, Any], tz: ZoneInfo) -> str:
    start = datetime.combine(date.fromisoformat(data["date"]),
                             dt_time.fromisoformat(data["start"]), tz)
    return _("⚠️ This would already have begun ({when}), so parents would never see it. "
             "Change the 📅 Day or the 🕒 Hours before you save.").format(
        when=f"{format_date(start, 'EEE d MMM')} {format_time(start)}")


def shown_occurrence(context: BotContext, data: ActivityData) -> Occurrence:
    """The occurrence a summary shows: a repeating activity's next one, else its only one."""
    only = Occurrence(data.starts_at, data.ends_at)
    if data.rrule is None:
        return only
    return programme_service.next_occurrence(data, context.now(),
                                             context.settings.timezone) or only


async def ask(update: Update, context: BotContext, draft: DraftView) -> None:
    assert update.effective_chat is not None
    text, markup, mode = await question_screen(context, draft)
    await update.effective_chat.send_message(text, reply_markup=markup, parse_mode=mode)


# --------------------------------------------------------------------------------------------
# the start: a new activity, or one of the activities still to come


async def picker(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup] | None:
    """"New activity" and a page of the activities still to come, each to tap and change;
    None for a page that does not exist (any more)."""
    found = await programme_service.upcoming(context.session, context.now(),
                                             context.settings.timezone)
    if page > 0 and page * PAGE_SIZE >= len(found):
        return None
    rows = [[InlineKeyboardButton("➕ " + _("New activity"), callback_data="ad:new")]]
    rows += [[InlineKeyboardButton("✏️ " + button_label(data, occurrence),
                                   callback_data=f"ad:e:{data.id}")]
             for data, occurrence in found[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton("◀️", callback_data=f"ad:p:{page - 1}"))
    if (page + 1) * PAGE_SIZE < len(found):
        paging.append(InlineKeyboardButton("▶️", callback_data=f"ad:p:{page + 1}"))
    if paging:
        rows.append(paging)
    text = _("Add an activity to the programme, step by step.")
    if found:
        text += "\n" + _("Or tap an activity to change it.")
    return text, InlineKeyboardMarkup(rows)


@door(roles=COORDINATOR_ONLY)
async def activity_command(update: Update, context: BotContext) -> None:
    """/activity: a new activity, or one of those still to come to change."""
    assert update.effective_chat is not None
    if not await ensure_onboarded(update, context):
        return
    screen = await picker(context, 0)
    assert screen is not None
    text, markup = screen
    await update.effective_chat.send_message(text, reply_markup=markup)


async def start_button(update: Update, context: BotContext) -> None:
    """ad:new, ad:e:<activity>, ad:p:<page>: a new draft, an edit, another page."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if query.data == "ad:new":
        fresh = await service.awaiting_draft(context.session, context.person.id)
        if (fresh is not None and fresh.activity_id is None and not fresh.data
                and fresh.created_at is not None
                and utcnow() - fresh.created_at < DOUBLE_TAP):  # (real time, as created_at)
            # The same button tapped twice before the first answer showed: its question is
            # on the screen already, for this draft (a second one would make it expire).
            await query.answer()
            return
        draft = await service.create(context.session, context.person.id)
    elif query.data.startswith("ad:p:"):
        screen = await picker(context, int(query.data[5:]))
        if screen is None:
            await query.answer(_("This button has expired."), show_alert=True)
            return
        await query.answer()
        await query.edit_message_reply_markup(screen[1])
        return
    else:
        found = await service.start_edit(context.session, context.person.id,
                                         int(query.data[5:]), context.now(),
                                         context.settings.timezone)
        if found is None:  # unknown, cancelled or past: nothing changes
            await query.answer(_("This button has expired."), show_alert=True)
            return
        draft = found
    await query.answer()
    await query.edit_message_reply_markup(None)
    await ask(update, context, draft)


# --------------------------------------------------------------------------------------------
# answers: typed, voice, buttons


@door(roles=COORDINATOR_ONLY)
async def take_input(update: Update, context: BotContext) -> None:
    """A typed answer or a voice message: checked, kept, the next question; anything else:
    a hint and the question again."""
    message = update.message
    assert message is not None and context.person is not None
    draft = await service.awaiting_draft(context.session, context.person.id)
    if draft is None or draft.awaiting is None:
        return
    step = draft.awaiting
    if service.is_voice_step(step):
        if message.voice is None:
            # A text, or a recording sent as a file: say why the question comes again.
            await message.reply_text(_("Please record a voice message here: hold the 🎤 "
                                       "button while you speak. Or tap “Skip”."))
            await ask(update, context, draft)
            return
        following, data = service.advance(
            service.with_voice(draft.data, step, message.voice.file_id), step)
        draft = await service.store(context.session, draft.id, following, data)
        await ask(update, context, draft)
        return
    if not message.text:
        await message.reply_text(_("Please answer with a text message.")
                                 if step not in service.BUTTON_STEPS
                                 else _("Please tap one of the buttons."))
        await ask(update, context, draft)
        return
    data, problem = service.answer(draft.data, step, message.text,
                                   today=context.now().date())
    if problem == service.TOO_LONG:
        await message.reply_text(_("Too long: at most {max} characters.").format(
            max=format_number(service.max_length(step))))
        await ask(update, context, draft)
        return
    if problem is not None:
        await message.reply_text(problem_text(problem, message.text))
        await ask(update, context, draft)
        return
    tz = context.settings.timezone
    if step == "start" and service.starts_in_the_night(data, tz):
        # Taken, but said at once, as the file import does: "2u30" meant 14:30.
        await message.reply_text(night_text(datetime.combine(
            date.fromisoformat(data["date"]), dt_time.fromisoformat(data["start"]), tz)))
    elif step == "start" and service.already_begun(data, context.now(), tz):
        await message.reply_text(begun_text(data, tz))  # today, but the hour is over
    following, data = service.advance(data, step)
    draft = await service.store(context.session, draft.id, following, data)
    await ask(update, context, draft)


# A press that fitted, kept a moment in chat_data: its twin of a double tap finds the draft
# a step further, and is answered without the "expired" alert that would make her wonder.
LAST_PRESS = "activity_last_press"
DOUBLE_TAP_SECONDS = 30.0


@door(roles=COORDINATOR_ONLY)
async def flow_button(update: Update, context: BotContext) -> None:
    """Every button of /activity; each must fit the presser's own draft at its current step."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if query.data == "ad:new" or query.data.startswith(("ad:e:", "ad:p:")):
        await start_button(update, context)
        return
    _prefix, raw_id, action = query.data.split(":", 2)
    draft = await service.get(context.session, int(raw_id))
    if (draft is None or draft.person_id != context.person.id
            or not service.button_fits(draft.awaiting, action, context.now().date(),
                                       draft.data)):
        last = context.chat_data.get(LAST_PRESS) if context.chat_data is not None else None
        if last is not None and last[0] == query.data and (
                time.monotonic() - last[1] < DOUBLE_TAP_SECONDS):
            # The second tap of a double tap on a slow line: the first one took it.
            await query.answer()
            return
        await query.answer(_("This button has expired."), show_alert=True)
        return
    if context.chat_data is not None:
        context.chat_data[LAST_PRESS] = (query.data, time.monotonic())
    if action.startswith("x:"):
        await service.drop(context.session, draft.id)
        await query.answer()
        await query.edit_message_text(_("Cancelled. Nothing was saved."))
        if draft.activity_id is not None:
            await back_to_new_activity(update, context)
        return
    if action == "save":
        await save(update, context, draft)
        return
    if draft.awaiting == "schools" and action != "sd":
        await school_button(update, context, draft, action)
        return
    await next_question(update, context, draft, action)


async def school_button(update: Update, context: BotContext, draft: DraftView,
                        action: str) -> None:
    """"All schools" or a school: ticked or unticked in place."""
    query = update.callback_query
    assert query is not None
    if action == "sa":
        data = service.choose_all_schools(draft.data)
    else:
        school_id = int(action[2:])
        school = next((s for s in await people.schools(context.session)
                       if s.id == school_id), None)
        if school is None:
            await query.answer(_("This button has expired."), show_alert=True)
            return
        data = service.toggle_school(draft.data, school.code)
    draft = await service.store(context.session, draft.id, "schools", data)
    _text, markup, _mode = await question_screen(context, draft)
    await query.answer()
    await query.edit_message_reply_markup(markup)


async def next_question(update: Update, context: BotContext, draft: DraftView,
                        action: str) -> None:
    """A button that answers the question (or picks a part to change): on to the next."""
    query = update.callback_query
    assert query is not None and draft.awaiting is not None
    step, data = draft.awaiting, draft.data
    if action == "sd" and not service.schools_chosen(data):
        await query.answer(_("Choose at least one school, or “All schools”."), show_alert=True)
        return
    if action.startswith("e:"):
        following = service.PARTS[action[2:]][0]
    elif action.startswith("sk:"):
        if (problem := service.skip_problem(data, step)) is not None:
            await query.answer(problem_text(problem, ""), show_alert=True)
            return
        following, data = service.after_skip(data, step)
    elif action.startswith("rm:"):
        following, data = service.after_remove(data, step)
    else:
        if action.startswith("k:"):
            data = {**data, "kind": action[2:]}
        elif action.startswith("d:"):
            day = service.day_of(action[2:])
            assert day is not None
            data = {**data, "date": day.isoformat()}
            if service.skips_clock(data):
                await query.answer(problem_text(service.CLOCKS_SKIP, ""), show_alert=True)
                return
        following, data = service.advance(data, step)
    draft = await service.store(context.session, draft.id, following, data)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await ask(update, context, draft)


async def back_to_new_activity(update: Update, context: BotContext) -> None:
    """After an edit ends: the new activity she was making before she looked at it, if
    any, where she left it (its question is far up the chat by now)."""
    assert update.effective_chat is not None and context.person is not None
    waiting = await service.new_draft(context.session, context.person.id)
    if waiting is None:
        return
    await update.effective_chat.send_message(_("Your new activity is still waiting:"))
    await ask(update, context, waiting)


async def save(update: Update, context: BotContext, draft: DraftView) -> None:
    """Save: the activity is created, or changed in place; the draft is gone."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    tz = context.settings.timezone
    if service.already_begun(draft.data, context.now(), tz):
        # Nothing is written; the summary and its buttons stay to change the day or hours.
        await query.answer()
        await update.effective_chat.send_message(begun_text(draft.data, tz))
        return
    data, problem = await service.save(context.session, draft, tz)
    if data is not None and problem is None:
        # A week's programme still waiting for its parents' morning goes as it is now.
        await redo_waiting_copies(context)
        await context.commit()
        reminder_jobs.wake(context.application)  # reminders follow the new time at once
    await context.release_writer()  # before Telegram's calls
    if data is None or problem is not None:
        context.kept = False  # only the stale draft went: nothing of hers was saved
    await query.answer()
    await query.edit_message_reply_markup(None)
    if data is None or problem is not None:
        await update.effective_chat.send_message(_(
            "This activity was changed in the meantime (by a file or a cancellation). "
            "Nothing was saved: please start again with /activity."))
        await back_to_new_activity(update, context)
        return
    start = shown_occurrence(context, data).starts_at
    when = f"{format_date(start, 'EEE d MMM')} {format_time(start)}"
    await update.effective_chat.send_message(_("Saved.") + f" ({when})")
    if draft.activity_id is not None:
        await back_to_new_activity(update, context)
