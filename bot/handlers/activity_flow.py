"""/activity: the coordinator creates an activity step by step, with buttons where they help
(kind, schools, day) and typed answers elsewhere (hours, place, texts per language).

The conversation's state is the draft row (bot/services/activity_draft.py): its ``awaiting``
column says which question was asked; every button carries the draft's id and is checked
against the step the draft is at, so an old or forged button changes nothing. The
coordinator's typed answers reach the draft through announce.coordinator_message.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.handlers.door import BotContext, door
from bot.handlers.onboarding import ensure_onboarded
from bot.handlers.programme_text import KIND_LABELS, escape, item_text, kind_label
from bot.i18n import LANGUAGE_NAMES, _, format_date, format_number, format_time, use_locale
from bot.services import activity_draft as service
from bot.services import importer, people
from bot.services.activity_draft import DraftView
from bot.services.programme import DUTCH, Occurrence, programme_item
from bot.services.roles import Role

# ad:new | ad:<draft id>:<action> (see activity_draft.button_fits)
ACTIVITY_FLOW_DATA = (r"^ad:(?:new|\d{1,9}:(?:k:[a-z_]{1,16}|s:\d{1,6}|sa|sd|d:\d{8}"
                      r"|sk:[a-z:]{1,12}|save|x))$")
COORDINATOR_ONLY = {Role.COORDINATOR}


def question(step: str) -> str:
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
    }[step]


def problem_text(problem: str, text: str) -> str:
    return {
        service.USE_BUTTONS: _("Please tap one of the buttons."),
        service.BAD_DATE: _("“{value}” is not a date. Type it like 25/11/2026, or tap a day."),
        service.PAST_DATE: _("That day has already passed."),
        service.BAD_TIME: _("“{value}” is not a time. Type it like 14:00."),
        service.END_NOT_AFTER_START: _("The end must be after the start."),
    }.get(problem, "").format(value=text.strip()[:40])


def _button(draft: DraftView, label: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"ad:{draft.id}:{action}")


async def question_screen(context: BotContext,
                          draft: DraftView) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """The text, the buttons and the parse mode of the step the draft is at."""
    step = draft.awaiting or service.SUMMARY
    cancel = [_button(draft, "✖️ " + _("Cancel"), "x")]
    if step == service.SUMMARY:
        return await summary(context, draft)
    rows: list[list[InlineKeyboardButton]] = []
    if step == "kind":
        rows = [[_button(draft, kind_label(kind), f"k:{kind.value}")] for kind in KIND_LABELS]
    elif step == "schools":
        tick, data = "✅ ", draft.data
        rows = [[_button(draft, (tick if data.get("all_schools") else "") + _("All schools"),
                         "sa")]]
        rows += [[_button(draft, (tick if s.code in (data.get("schools") or []) else "")
                          + s.name, f"s:{s.id}")]
                 for s in await people.schools(context.session)]
        rows.append([_button(draft, "✔️ " + _("Done"), "sd")])
    elif step == "date":
        days = service.days_offered(context.now().date())
        labels = [_button(draft, format_date(day, "EEE d MMM"), f"d:{day:%Y%m%d}")
                  for day in days]
        rows = [labels[i:i + 2] for i in range(0, len(labels), 2)]
    elif step in ("title:tr", "title:pa"):
        rows = [[_button(draft, "🇧🇪 " + _("Dutch only"), f"sk:{step}")]]
    elif step in service.SKIPPABLE:
        rows = [[_button(draft, "⏭ " + _("Skip"), f"sk:{step}")]]
    return question(step), InlineKeyboardMarkup([*rows, cancel]), None


async def summary(context: BotContext,
                  draft: DraftView) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """The activity as a Dutch-speaking parent reads it, what is not translated, Save."""
    schools = await people.schools(context.session)
    data = service.to_activity(draft.data, service.external_id(draft.id),
                               {s.code: s.id for s in schools}, context.settings.timezone)
    with use_locale(DUTCH, context.settings.timezone):
        item = item_text(programme_item(data, Occurrence(data.starts_at, data.ends_at), DUTCH),
                         schools, show_schools=True)
    missing = service.missing_languages(draft.data)
    if missing:
        status = _("Not translated: {languages}").format(
            languages=", ".join(LANGUAGE_NAMES[code] for code in missing))
    else:
        status = _("Translated into every language.")
    text = "\n\n".join([escape(_("Is this right? Parents will read it like this:")), item,
                        escape(status)])
    markup = InlineKeyboardMarkup([[_button(draft, "💾 " + _("Save"), "save"),
                                    _button(draft, "✖️ " + _("Cancel"), "x")]])
    return text, markup, ParseMode.HTML


async def ask(update: Update, context: BotContext, draft: DraftView) -> None:
    assert update.effective_chat is not None
    text, markup, mode = await question_screen(context, draft)
    await update.effective_chat.send_message(text, reply_markup=markup, parse_mode=mode)


@door(roles=COORDINATOR_ONLY)
async def activity_command(update: Update, context: BotContext) -> None:
    """/activity: the button to start a new activity."""
    assert update.effective_chat is not None
    if not await ensure_onboarded(update, context):
        return
    await update.effective_chat.send_message(
        _("Add an activity to the programme, step by step."),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
            "➕ " + _("New activity"), callback_data="ad:new")]]))


@door(roles=COORDINATOR_ONLY)
async def take_input(update: Update, context: BotContext) -> None:
    """A typed answer: checked, kept, the next question; anything else: a hint and again."""
    message = update.message
    assert message is not None and context.person is not None
    draft = await service.awaiting_draft(context.session, context.person.id)
    if draft is None or draft.awaiting is None:
        return
    step = draft.awaiting
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
    draft = await service.store(context.session, draft.id, service.next_step(step), data)
    await ask(update, context, draft)


@door(roles=COORDINATOR_ONLY)
async def flow_button(update: Update, context: BotContext) -> None:
    """Every button of /activity; each must fit the presser's own draft at its current step."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if query.data == "ad:new":
        draft = await service.create(context.session, context.person.id)
        await query.answer()
        await query.edit_message_reply_markup(None)
        await ask(update, context, draft)
        return
    _prefix, raw_id, action = query.data.split(":", 2)
    draft = await service.get(context.session, int(raw_id))
    if (draft is None or draft.person_id != context.person.id
            or not service.button_fits(draft.awaiting, action, context.now().date())):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    step = draft.awaiting or service.SUMMARY
    data = draft.data
    if action == "x":
        await service.drop(context.session, draft.id)
        await query.answer()
        await query.edit_message_text(_("Cancelled. Nothing was saved."))
        return
    if action == "save":
        await save(update, context, draft)
        return
    if step == "schools" and action != "sd":
        if action == "sa":
            data = service.choose_all_schools(data)
        else:
            school_id = int(action[2:])
            school = next((s for s in await people.schools(context.session)
                           if s.id == school_id), None)
            if school is None:
                await query.answer(_("This button has expired."), show_alert=True)
                return
            data = service.toggle_school(data, school.code)
        draft = await service.store(context.session, draft.id, step, data)
        _text, markup, _mode = await question_screen(context, draft)
        await query.answer()
        await query.edit_message_reply_markup(markup)
        return
    if action == "sd" and not service.schools_chosen(data):
        await query.answer(_("Choose at least one school, or “All schools”."), show_alert=True)
        return
    if action.startswith("k:"):
        data = {**data, "kind": action[2:]}
    elif action.startswith("d:"):
        day = service.day_of(action[2:])
        assert day is not None
        data = {**data, "date": day.isoformat()}
    draft = await service.store(context.session, draft.id,
                                service.next_step(step, skipped=action.startswith("sk:")),
                                data)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await ask(update, context, draft)


async def save(update: Update, context: BotContext, draft: DraftView) -> None:
    """Save: the activity is created (or updated: the id is stable) and the draft is gone."""
    query = update.callback_query
    assert query is not None
    schools = await people.schools(context.session)
    data = service.to_activity(draft.data, service.external_id(draft.id),
                               {s.code: s.id for s in schools}, context.settings.timezone)
    await importer.apply(context.session, [data], context.settings.timezone)
    await service.drop(context.session, draft.id)
    await query.answer()
    await query.edit_message_reply_markup(None)
    assert update.effective_chat is not None
    when = f"{format_date(data.starts_at, 'EEE d MMM')} {format_time(data.starts_at)}"
    await update.effective_chat.send_message(_("Saved.") + f" ({when})")
