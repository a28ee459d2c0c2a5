"""/broadcast: the coordinator sends next week's programme to every parent, in their language.

The flow is a draft row (bot/services/broadcast.py): its buttons carry the draft's id, so a
restart or a second instance loses nothing. Sending is the outbox's job; the progress line
is kept up to date by bot/scheduler/progress.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.bursts import preview_once
from bot.handlers.door import BotContext, door
from bot.handlers.programme_text import programme_text, render_for, week_heading
from bot.handlers.sending import send_long
from bot.handlers.texts import original_headings
from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, _, format_date, ngettext, use_locale
from bot.scheduler.outbox import wake
from bot.scheduler.progress import stopped_text
from bot.services import broadcast as service
from bot.services import people
from bot.services import programme as programme_service
from bot.services.broadcast import Audience, BroadcastView
from bot.services.programme import ProgrammeItem
from bot.services.roles import Role

# nl:b:<broadcast>[:<school ids the copy was made for, "1.4">]: the Dutch original of a
# broadcast, under every translated copy (without the schools: a button from before they
# were written, read with the parent's schools of today).
DUTCH_DATA = r"^nl:b:(\d{1,9})(?::(\d{1,9}(?:\.\d{1,9}){0,8}))?$"
# bc:<draft id>:<action>; the draft must be the presser's own and still a draft.
# "yw": yes, under a question that warned the week was sent already.
# "yw:<id>": the same, naming the send the warning was about (two colleagues warned of the
# same send send it once more, not twice).
BROADCAST_DATA = (r"^bc:(\d{1,9}):(a|s:\d{1,6}|l:(?:nl|tr|pa)|w:[tn]|p|go|yes|yw(?::\d{1,9})?"
                  r"|back|x)$")
COORDINATOR_ONLY = {Role.COORDINATOR}


@door(roles=COORDINATOR_ONLY)
async def broadcast_command(update: Update, context: BotContext) -> None:
    """/broadcast: a new draft for next week's programme, with the audience buttons."""
    assert context.person is not None and update.effective_chat is not None
    week = programme_service.next_week_start(context.now().date())
    draft = await service.create_draft(context.session, created_by=context.person.id,
                                       week_start=week)
    text, markup = await draft_screen(context, draft)
    await update.effective_chat.send_message(text, reply_markup=markup)


def is_this_week(week_start: date, day: date) -> bool:
    """Whether a draft's week is the week ``day`` is in (sent from Monday, or from a later
    day: the rest of it)."""
    return week_start < programme_service.next_week_start(day)


async def draft_screen(context: BotContext,
                       draft: BroadcastView) -> tuple[str, InlineKeyboardMarkup]:
    """The draft: what is sent, to whom (with counts), and the buttons to change it."""
    assert draft.week_start is not None
    audience = draft.audience
    reach = await service.week_reach(context.session, audience, draft.week_start,
                                     context.settings.timezone, context.now())
    counts = service.per_locale(reach.getting)
    total = len(reach.getting)
    dates = {"start": format_date(draft.week_start),
             "end": format_date(programme_service.next_week_start(draft.week_start)
                                - timedelta(days=1))}
    this_week = is_this_week(draft.week_start, context.now().date())
    lines = [
        (_("📤 This week's programme, {start} to {end}.") if this_week
         else _("📤 Next week's programme, {start} to {end}.")).format(**dates),
        _("Who gets it? Tap schools and languages."),
        "",
        ngettext("It reaches {count} parent.", "It reaches {count} parents.", total).format(
            count=total)
        + " " + " · ".join(f"{LANGUAGE_NAMES[code]} {counts.get(code, 0)}"
                           for code in SUPPORTED_LOCALES),
    ]
    if reach.empty:
        lines.append(ngettext(
            "{count} parent has nothing on the programme that week: they get no message.",
            "{count} parents have nothing on the programme that week: they get no message.",
            reach.empty).format(count=reach.empty))
    # Only what these parents would read in Dutch: the week's, of their schools and languages.
    missing = reach.read_in_dutch
    if missing:
        lines.append(ngettext(
            "⚠️ {count} activity still lacks a Turkish or Punjabi text (see /programme).",
            "⚠️ {count} activities still lack a Turkish or Punjabi text (see /programme).",
            missing).format(count=missing))
    schools = await people.schools(context.session)
    tick = "✅ "
    rows = [[InlineKeyboardButton((tick if audience.schools is None else "") + _("All schools"),
                                  callback_data=f"bc:{draft.id}:a")]]
    rows += [[InlineKeyboardButton(
        (tick if audience.schools and s.id in audience.schools else "") + s.name,
        callback_data=f"bc:{draft.id}:s:{s.id}")] for s in schools]
    rows.append([InlineKeyboardButton(
        (tick if audience.locales is None or code in audience.locales else "")
        + LANGUAGE_NAMES[code], callback_data=f"bc:{draft.id}:l:{code}")
        for code in SUPPORTED_LOCALES])
    if context.now().date().weekday() < 6:
        # Monday to Saturday: this week (its rest, from today) or next week, so that a
        # coordinator who broadcasts on Monday morning can send the week just begun.
        rows.append([
            InlineKeyboardButton((tick if this_week else "") + "📅 " + _("This week"),
                                 callback_data=f"bc:{draft.id}:w:t"),
            InlineKeyboardButton((tick if not this_week else "") + "📅 " + _("Next week"),
                                 callback_data=f"bc:{draft.id}:w:n")])
    rows.append([InlineKeyboardButton("👁 " + _("Preview"), callback_data=f"bc:{draft.id}:p")])
    if total:
        rows.append([InlineKeyboardButton(
            "📤 " + ngettext("Send to {count} parent", "Send to {count} parents", total).format(
                count=total), callback_data=f"bc:{draft.id}:go")])
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=f"bc:{draft.id}:x")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


@door(roles=COORDINATOR_ONLY)
async def draft_button(update: Update, context: BotContext) -> None:
    """Every button of a draft: audience, preview, send, cancel."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _prefix, raw_id, action = query.data.split(":", 2)
    draft = await service.get(context.session, int(raw_id))
    if draft is None or draft.created_by != context.person.id or draft.status != service.DRAFT:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    if action in ("w:t", "w:n"):
        # A week chosen now, from today: also on an old draft, which it makes current again.
        day = context.now().date()
        week = day if action == "w:t" else programme_service.next_week_start(day)
        await service.save_week(context.session, draft.id, week)
        await _redraw(query, context, draft.id)
        return
    if draft.week_start is not None and draft.week_start < context.now().date():
        # An old draft scrolled back to: its week has begun, or is over. Sending it would
        # bring parents a programme of days gone by.
        await service.cancel_draft(context.session, draft.id)
        await query.answer()
        await query.edit_message_text(
            _("This draft was for the week of {start}, which has begun. Nothing was sent. "
              "Send /broadcast for next week's programme.").format(
                start=format_date(draft.week_start)))
        return
    audience = draft.audience
    if action == "x":
        await service.cancel_draft(context.session, draft.id)
        await query.answer()
        await query.edit_message_text(_("Cancelled. Nothing was sent."))
        return
    if action == "p":
        await query.answer()
        await preview_once(update, context, lambda: preview(update, context, draft))
        return
    if action == "go" or (action == "yes"
                          and await service.sent_before(context.session, draft) is not None):
        # "yes" under a question drawn before the week went out (from another draft, or by
        # a colleague): the question again, with the warning, rather than a second copy.
        await _confirm(query, context, draft)
        return
    if action == "yes" or action.startswith("yw"):
        after = int(action[3:]) if action.startswith("yw:") else None
        await send(update, context, draft, warned=action != "yes", after=after)
        return
    changed = await audience_after(context, audience, action)
    if changed is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await service.save_audience(context.session, draft.id, changed)
    await _redraw(query, context, draft.id)


async def _confirm(query: CallbackQuery, context: BotContext, draft: BroadcastView) -> None:
    """The last question before it leaves, in place of the draft's screen."""
    text, markup = await confirm_screen(context, draft)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def confirm_screen(context: BotContext,
                         draft: BroadcastView) -> tuple[str, InlineKeyboardMarkup]:
    """The last question before it leaves: to how many parents; ⚠️ when that week was sent
    already (its "yes" then says it was read: ``yw``)."""
    assert draft.week_start is not None
    total = len((await service.week_reach(context.session, draft.audience, draft.week_start,
                                          context.settings.timezone,
                                          context.now())).getting)
    if is_this_week(draft.week_start, context.now().date()):
        text = ngettext("Send this week's programme to {count} parent now?",
                        "Send this week's programme to {count} parents now?", total)
    else:
        text = ngettext("Send next week's programme to {count} parent now?",
                        "Send next week's programme to {count} parents now?", total)
    text = text.format(count=total)
    earlier = await service.sent_before(context.session, draft)
    if earlier is not None:
        # Sent already (from another draft, or by a colleague): said before it goes again.
        text = _("⚠️ The programme of the week of {start} was sent already, on {date}."
                 ).format(start=format_date(draft.week_start),
                          date=format_date(earlier.started_at or earlier.created_at)
                          ) + "\n" + text
    return text, confirm_markup("bc", draft.id, warned=earlier is not None,
                                after=earlier.id if earlier is not None else None)


async def _redraw(query: CallbackQuery, context: BotContext, draft_id: int) -> None:
    """The draft's screen again, after a change of its week or audience."""
    draft = await service.get(context.session, draft_id)
    assert draft is not None
    text, markup = await draft_screen(context, draft)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


def confirm_markup(prefix: str, draft_id: int, *, warned: bool = False,
                   after: int | None = None) -> InlineKeyboardMarkup:
    """'Yes, send now' / 'Back': the last question before a broadcast leaves. ``warned``:
    the question said it was sent already (its "yes" sends all the same), by the send
    ``after``."""
    data = f"{prefix}:{draft_id}"
    yes = "yes" if not warned else "yw" if after is None else f"yw:{after}"
    return InlineKeyboardMarkup([
        [InlineKeyboardButton("✅ " + _("Yes, send now"), callback_data=f"{data}:{yes}")],
        [InlineKeyboardButton("↩️ " + _("Back"), callback_data=f"{data}:back")],
    ])


async def audience_after(context: BotContext, audience: Audience, action: str) -> Audience | None:
    """The audience after an audience button ("a", "s:<school>", "l:<language>"); None for a
    school that does not exist (a forged button). Shared by every kind of broadcast."""
    if action == "a":
        return Audience(None, audience.locales)
    if action.startswith("s:"):
        school_id = int(action[2:])
        all_ids = [s.id for s in await people.schools(context.session)]
        if school_id not in all_ids:
            return None
        return service.toggle_school(audience, school_id, all_ids)
    if action.startswith("l:"):
        return service.toggle_locale(audience, action[2:])
    return audience  # "back": redraw as it is


async def preview(update: Update, context: BotContext, draft: BroadcastView) -> None:
    """The programme as each chosen language will receive it, for the chosen schools, voice
    messages included."""
    assert draft.week_start is not None
    tz = context.settings.timezone
    schools = await people.schools(context.session)
    school_ids = sorted(draft.audience.schools or [s.id for s in schools])
    now = context.now()
    for locale in sorted(draft.audience.locales or SUPPORTED_LOCALES,
                         key=SUPPORTED_LOCALES.index):
        # Chosen as the parents' copies are: a camp begun before the first day is in them.
        items = await service.programme_for(context.session, school_ids, locale,
                                            draft.week_start, tz, now)
        with use_locale(locale, tz):
            text = programme_text(week_heading(draft.week_start), items, schools,
                                  show_schools=True)
        await send_long(update, f"👁 <b>{LANGUAGE_NAMES[locale]}</b>\n\n{text}", html=True)
        await send_voices(update, context, items)


async def send_voices(update: Update, context: BotContext, items: list[ProgrammeItem]) -> None:
    """The voice messages of these activities (in the items' language), after their text."""
    assert update.effective_chat is not None
    for item in programme_service.voiced(items):
        payload = service.voice_payload(item)
        await context.bot.send_voice(update.effective_chat.id, payload["file_id"],
                                     caption=payload["caption"])


async def send(update: Update, context: BotContext, draft: BroadcastView, *,
               warned: bool, after: int | None = None) -> None:
    """Confirmed: one outbox row per parent, then the live progress line. ``warned``: the
    question said the week was sent already (by the send ``after``, when it names it)."""
    query = update.callback_query
    assert query is not None and query.message is not None and draft.week_start is not None
    await query.answer()
    await query.edit_message_text(_("📤 Preparing the messages…"))
    claim = await service.claim_send(context.session, draft, warned=warned, after=after)
    if claim is None:
        # A colleague's ✅ for this week went first, at the same moment: the question again,
        # saying it was sent already, rather than a second copy for every parent.
        text, markup = await confirm_screen(context, draft)
        await context.release_writer()  # before Telegram's call
        await query.edit_message_text(text, reply_markup=markup)
        return
    total = await service.start_programme(
        context.session, draft.id,
        render_for(draft.week_start, await people.schools(context.session),
                   context.settings.timezone),
        status_chat_id=query.message.chat.id, status_message_id=query.message.message_id,
        tz=context.settings.timezone, originals=original_headings(html_markup=True),
        now=context.now(),
    )
    if total == 0:
        await service.give_back(context.session, claim)  # nothing went out: still to send
    await context.commit()
    wake(context.application)
    if total == 0:
        await query.edit_message_text(_("Nobody to send to: no parent matches."))


async def redo_waiting_copies(context: BotContext, person_id: int | None = None) -> int:
    """Copies of the programme still waiting (quiet hours hold them for the morning, or they
    wait their turn) made again from the programme and the parents as they are now: every
    parent's after a file or a day cancelled or brought back; ``person_id``'s after they
    changed school. A copy is fixed only once it leaves."""
    schools = await people.schools(context.session)
    tz = context.settings.timezone
    originals = original_headings(html_markup=True)

    def render_for_week(week_start: date) -> service.Render:
        return render_for(week_start, schools, tz)

    if person_id is None:
        return await service.redo_all_waiting(context.session, render_for_week,
                                              originals=originals, tz=tz, now=context.now())
    return await service.redo_waiting(context.session, person_id, render_for_week,
                                      originals=originals, tz=tz, now=context.now())


@door(roles=COORDINATOR_ONLY)
async def broadcasts_command(update: Update, context: BotContext) -> None:
    """/broadcasts: the last broadcasts with their delivery figures."""
    assert update.effective_chat is not None
    past = await service.recent(context.session)
    if not past:
        await update.effective_chat.send_message(_("No broadcasts yet."))
        return
    lines = [_("The last broadcasts:")]
    for item in past:
        when = format_date(item.started_at or item.created_at, "short")
        # What it was: a week's programme (which week) or an announcement.
        what = (_("📅 Programme, week of {start}").format(start=format_date(item.week_start))
                if item.kind == service.PROGRAMME and item.week_start is not None
                else _("📣 Announcement"))
        if item.status == service.SENDING:
            figures = await service.progress(context.session, item.id)
            figures_line = _("{date}: sending, {sent} of {total} sent").format(
                date=when, sent=figures.sent, total=figures.total)
        else:
            figures_line = _("{date}: {sent} sent, {failed} failed, {blocked} blocked the bot"
                             ).format(date=when, sent=item.sent, failed=item.failed,
                                      blocked=item.blocked)
            if item.stopped:
                figures_line += ", " + stopped_text(item.stopped)
        lines.append(f"{what} · {figures_line}")
    await update.effective_chat.send_message("\n".join(lines))


@door()
async def show_dutch(update: Update, context: BotContext) -> None:
    """The 🇧🇪 Nederlands button: the same week for the same schools, in Dutch."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    match = re.match(DUTCH_DATA, query.data)
    assert match is not None  # the handler's pattern
    item = await service.get(context.session, int(match[1]))
    person = context.person
    if (item is None or item.status not in (service.SENDING, service.DONE)
            or item.week_start is None or person is None or not person.school_ids):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await query.answer()
    schools = await people.schools(context.session)
    # The schools their copy was made for: a school added or left since does not change it.
    made_for = (frozenset(int(i) for i in match[2].split(".")) if match[2]
                else frozenset(person.school_ids))
    own = made_for & (item.audience.schools or made_for)
    # The Dutch of the copy they have, chosen as it is: a camp begun before its first day
    # in, what was over when it was sent (a "this week" sent on a Wednesday afternoon) out.
    items = await service.programme_for(context.session, own or person.school_ids,
                                        service.DUTCH, item.week_start,
                                        context.settings.timezone, item.started_at)
    render = render_for(item.week_start, schools, context.settings.timezone)
    await send_long(update, render(service.DUTCH, own, items), html=True)
