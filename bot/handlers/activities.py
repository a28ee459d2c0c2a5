"""/activities: the coordinator cancels an occurrence (or the whole activity) and may tell the
parents who would have received it, each in their own language. A day cancelled by mistake
is listed with ❌ and can be undone: it goes ahead after all, and those who heard of the
cancellation may be told so. So can a whole activity called off ("every time"): listed once,
by its first day to come, it goes ahead again from then on.

Buttons carry the activity id and the occurrence's start (unix seconds); every press checks
again that the occurrence is real and in the state the button expects
(bot/services/cancellation.py). Cancelling asks once more first: parents who said they come
are told at once, and a tap on a phone is easily a wrong one. Undoing asks once more too, and
tells them at once again (that it goes ahead after all).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.handlers.broadcast import redo_waiting_copies
from bot.handlers.door import BotContext, door
from bot.handlers.programme_text import item_text
from bot.i18n import _, format_date, format_time, format_weekday_date, ngettext, use_locale
from bot.scheduler import reminders as reminder_jobs
from bot.scheduler.outbox import wake
from bot.services import cancellation as service
from bot.services import outbox, people
from bot.services import programme as programme_service
from bot.services.programme import DUTCH, ActivityData, Occurrence, ProgrammeItem
from bot.services.roles import Role

# act:list[:<page>] | act:<activity id>:<unix start>[:<action>]. Actions, the last letter "o"
# for this occurrence and "a" for every one: c = are you sure?, x = cancel, y / n = tell;
# b = back to the page of the list that holds this occurrence. Undoing a cancelled day:
# ro = are you sure?, uo = undo, go / ko = tell that it goes ahead, or not. Undoing a whole
# activity called off, the last letter "w": rw, uw on its first day to come; gw / kw on the
# day its cancellation notices were keyed by (Undone.told_about), maybe past.
ACTIVITY_DATA = (r"^act:(?:list(?::\d{1,3})?"
                 r"|\d{1,9}:\d{1,11}(?::(?:co|ca|xo|xa|yo|ya|no|na|ro|uo|go|ko|rw|uw|gw|kw|b))?)$")
COORDINATOR_ONLY = {Role.COORDINATOR}
TITLE_CHARS = 28


def _data(activity_id: int, start: datetime, action: str = "") -> str:
    return f"act:{activity_id}:{service.unix(start)}" + (f":{action}" if action else "")


def button_label(data: ActivityData, occurrence: Occurrence, every: bool = False) -> str:
    """'Kinderyoga · wo 25/11 14:00': the Dutch title, short, and when (reader's locale; a
    whole day without its midnight). ``every``: called off as a whole, 'Kinderyoga · elke
    keer vanaf wo 25/11'."""
    title = data.texts.get(DUTCH, programme_service.LocalText()).title or data.external_id
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    when = format_date(occurrence.starts_at, 'EEE dd/MM')
    if every:
        when = _("every time from {date}").format(date=when)
    elif not occurrence.all_day():
        when += f" {format_time(occurrence.starts_at)}"
    return f"{title} · {when}"


def whole(data: ActivityData) -> bool:
    """Called off "every time": a recurring activity off as a whole (a one-off that a file
    called off reads as its one day)."""
    return data.cancelled and service.recurs(data)


async def list_screen(context: BotContext, page: int = 0,
                      around: tuple[int, datetime] | None = None
                      ) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the coming two weeks' occurrences (and each later activity's next one),
    soonest first, with ◀️ ▶️ between pages;
    ``around`` (activity id, start): the page that holds this occurrence."""
    found = await service.upcoming_occurrences(context.session, context.now(),
                                               tz=context.settings.timezone)
    if not found:
        return _("Nothing is planned in the next two weeks. Enjoy the quiet!"), None
    if around is not None:
        page = next((n // service.PAGE for n, line in enumerate(found)
                     if (line.data.id, line.occurrence.starts_at) == around), 0)
    pages = (len(found) + service.PAGE - 1) // service.PAGE
    page = min(page, pages - 1)
    shown = found[page * service.PAGE:(page + 1) * service.PAGE]
    rows = [[InlineKeyboardButton(("❌ " if line.cancelled else "")
                                  + button_label(line.data, line.occurrence, whole(line.data)),
                                  callback_data=_data(line.data.id or 0,
                                                      line.occurrence.starts_at))]
            for line in shown]
    turns = ([InlineKeyboardButton("◀️", callback_data=f"act:list:{page - 1}")] if page else [])
    if page + 1 < pages:
        turns.append(InlineKeyboardButton("▶️", callback_data=f"act:list:{page + 1}"))
    if turns:
        rows.append(turns)
    text = _("Which activity? Tap one to see it or cancel it.")
    if any(line.cancelled for line in shown):
        text += "\n\n" + _("❌ = cancelled. Tap it if it goes ahead after all.")
    return text, InlineKeyboardMarkup(rows)


@door(roles=COORDINATOR_ONLY)
async def activities_command(update: Update, context: BotContext) -> None:
    """/activities: a button per occurrence of the coming two weeks."""
    assert update.effective_chat is not None
    text, markup = await list_screen(context)
    await update.effective_chat.send_message(text, reply_markup=markup)


@door(roles=COORDINATOR_ONLY)
async def activity_button(update: Update, context: BotContext) -> None:
    """Every button of /activities: show, cancel, tell the parents (or not), back."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if query.data.startswith("act:list"):
        page = int(query.data.removeprefix("act:list").removeprefix(":") or 0)
        text, markup = await list_screen(context, page)
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    parts = query.data.split(":")
    action = parts[3] if len(parts) > 3 else ""
    if action == "b":
        at = service.from_unix(int(parts[2]))
        text, markup = await list_screen(
            context, around=(int(parts[1]), at) if at is not None else None)
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    data = await service.load(context.session, int(parts[1]))
    start = service.from_unix(int(parts[2]))
    tz = context.settings.timezone
    which = service.EVERY if action.endswith(("a", "w")) else service.ONE
    if action in ("yo", "ya", "no", "na"):
        valid = data is not None and start is not None and service.is_cancelled(
            data, start, which, tz)
    elif action in ("ro", "uo", "rw", "uw"):
        valid = data is not None and start is not None and service.can_undo(
            data, start, context.now(), tz, which)
    elif action in ("go", "ko"):
        # Undone already: the day is open again (a cancel since then makes these stale).
        valid = (data is not None and data.id is not None and start is not None
                 and start > context.now() and service.is_open(data, start, tz)
                 and await service.last_undone_round(context.session, data.id, start)
                 is not None)
    elif action in ("gw", "kw"):
        # Undone already: the activity is on again and has a day to come (called off again
        # since then makes these stale); ``start``, the notices' day, may be past, or no
        # day of the activity any more (moved to Thursdays while it was off): its round of
        # notices proves it.
        valid = (data is not None and data.id is not None and start is not None
                 and not data.cancelled
                 and programme_service.next_occurrence(data, context.now(), tz) is not None
                 and await service.last_undone_round(context.session, data.id, start)
                 is not None)
    elif action == "" and data is not None and start is not None and (
            service.can_undo(data, start, context.now(), tz)
            or service.can_undo(data, start, context.now(), tz, service.EVERY)):
        valid = True  # a cancelled day (or whole activity) still to come: shown, to undo
    else:
        valid = (data is not None and start is not None and service.is_open(data, start, tz)
                 and (action not in ("xa", "ca") or service.recurs(data)))
    if not valid:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    assert data is not None and data.id is not None and start is not None
    tapped = start  # "No, keep it" goes back to this one
    if action in ("ca", "xa"):
        # Every time means from now on, whichever occurrence was tapped: earlier ones go too,
        # and those who said they come to them are told. (As a file's cancellation does.)
        first = programme_service.next_occurrence(data, context.now(), tz)
        start = first.starts_at if first is not None else start
    if action == "":
        await query.answer()
        await show(update, context, data, start)
    elif action in ("co", "ca"):
        await query.answer()
        await confirm(update, context, data, start, which, tapped)
    elif action in ("xo", "xa"):
        await cancel(update, context, data, start, which)
    elif action in ("yo", "ya"):
        await tell(update, context, data, start, which)
    elif action in ("ro", "rw"):
        await query.answer()
        await confirm_undo(update, context, data, start, which)
    elif action in ("uo", "uw"):
        await undo(update, context, data, start, which)
    elif action in ("go", "gw"):
        await tell_it_goes_ahead(update, context, data, start, which)
    elif action in ("ko", "kw"):
        # Those who said they come were told at the undo already.
        told = await service.told_it_goes_ahead(
            context.session, data.id, start,
            await service.last_undone_round(context.session, data.id, start))
        await query.answer()
        await query.edit_message_text(ngettext(
            "It goes ahead again. Only the {count} parent who said they would come was told.",
            "It goes ahead again. Only the {count} parents who said they would come were told.",
            told).format(count=told) if told
            else _("It goes ahead again. The parents were not told."))
    else:
        coming = len(await service.who_said_they_come(context.session, data, start, which))
        await query.answer()
        await query.edit_message_text(ngettext(
            "Cancelled. Only the {count} parent who said they would come was told.",
            "Cancelled. Only the {count} parents who said they would come were told.",
            coming).format(count=coming) if coming else _("Cancelled. The parents were not told."))


def _item(context: BotContext, data: ActivityData, start: datetime) -> ProgrammeItem:
    occurrence = Occurrence(start, start + (data.ends_at - data.starts_at))
    locale = context.person.locale if context.person else DUTCH
    return programme_service.programme_item(data, occurrence, locale)


async def show(update: Update, context: BotContext, data: ActivityData, start: datetime) -> None:
    """The occurrence: what, when, where, for which schools; and how to cancel it (or, for a
    cancelled day, how to undo that)."""
    query = update.callback_query
    assert query is not None and data.id is not None
    schools = await people.schools(context.session)
    text = item_text(_item(context, data, start), schools, show_schools=True)
    if data.cancelled:
        # Called off as a whole: shown by its first day to come, undone from there.
        text += "\n\n" + (_("❌ Cancelled every time.") if whole(data) else _("❌ Cancelled."))
        rows = [[InlineKeyboardButton("✅ " + _("Not cancelled after all"),
                                      callback_data=_data(data.id, start, "rw"))]]
        # Called off by a file (only those who said they come are told then), or a first
        # "no, do not tell them": the others can still be told, under the notices' day.
        tz = context.settings.timezone
        keyed = await service.every_notice_start(context.session, data) or start
        untold = len(await service.not_told(context.session, data, keyed))
        if untold and service.is_cancelled(data, keyed, service.EVERY, tz):
            rows.insert(0, [InlineKeyboardButton(ngettext(
                "📣 Tell {count} more parent", "📣 Tell {count} more parents", untold
            ).format(count=untold), callback_data=_data(data.id, keyed, "ya"))])
    elif not service.is_open(data, start, context.settings.timezone):
        text += "\n\n" + _("❌ Cancelled.")
        rows = [[InlineKeyboardButton("✅ " + _("Not cancelled after all"),
                                      callback_data=_data(data.id, start, "ro"))]]
        # A day cancelled by a file (only those who said they come are told then), or a
        # first "no, do not tell them": the others can still be told from here.
        untold = len(await service.not_told(context.session, data, start))
        if untold and service.is_cancelled(data, start, service.ONE,
                                           context.settings.timezone):
            rows.insert(0, [InlineKeyboardButton(ngettext(
                "📣 Tell {count} more parent", "📣 Tell {count} more parents", untold
            ).format(count=untold), callback_data=_data(data.id, start, "yo"))])
    elif service.recurs(data):
        rows = [[InlineKeyboardButton("❌ " + _("Cancel this time"),
                                      callback_data=_data(data.id, start, "co"))],
                [InlineKeyboardButton("❌ " + _("Cancel every time"),
                                      callback_data=_data(data.id, start, "ca"))]]
    else:
        rows = [[InlineKeyboardButton("❌ " + _("Cancel this activity"),
                                      callback_data=_data(data.id, start, "co"))]]
    rows.append([InlineKeyboardButton("↩️ " + _("Back"), callback_data=_data(data.id, start, "b"))])
    await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                  reply_markup=InlineKeyboardMarkup(rows))


async def confirm(update: Update, context: BotContext, data: ActivityData, start: datetime,
                  which: str, tapped: datetime) -> None:
    """Are you sure? What is cancelled (from ``start``), and who hears of it at once;
    "no" goes back to the occurrence ``tapped``."""
    query = update.callback_query
    assert query is not None and data.id is not None
    item = _item(context, data, start)
    if which == service.EVERY:
        lines = [_("Cancel {title} every time, from {date} on?").format(
            title=item.title, date=format_weekday_date(start))]
    else:
        lines = [(_("Cancel {title} on {date}?") if item.all_day(context.settings.timezone)
                  else _("Cancel {title} on {date} at {time}?")).format(
            title=item.title, date=format_weekday_date(start), time=format_time(start))]
    coming = len(await service.who_said_they_come(context.session, data, start, which))
    if coming:
        lines.append(ngettext("{count} parent said they will come. They are told at once.",
                              "{count} parents said they will come. They are told at once.",
                              coming).format(count=coming))
    suffix = "a" if which == service.EVERY else "o"
    await query.edit_message_text("\n\n".join(lines), reply_markup=InlineKeyboardMarkup([
        [InlineKeyboardButton("❌ " + _("Yes, cancel it"),
                              callback_data=_data(data.id, start, "x" + suffix))],
        [InlineKeyboardButton("↩️ " + _("No, keep it"), callback_data=_data(data.id, tapped))],
    ]))


async def cancel(update: Update, context: BotContext, data: ActivityData, start: datetime,
                 which: str) -> None:
    """Record the cancellation, then offer to tell the parents."""
    query = update.callback_query
    assert query is not None and data.id is not None
    if which == service.EVERY:
        await programme_service.cancel_activity(context.session, data.id)
    else:
        await programme_service.cancel_occurrence(context.session, data.id, start,
                                                  context.settings.timezone)
    # Those who said they would come (or maybe) are told at once; the others if the
    # coordinator says so (the same dedupe keys: nobody is told twice).
    coming = await service.who_said_they_come(context.session, data, start, which)
    if coming:
        await outbox.enqueue_many(context.session, service.notices(
            data, start, coming, render_notice(which, context.settings.timezone)))
    await redo_waiting_copies(context)  # a week's programme still waiting leaves it out
    await context.commit()
    wake(context.application)
    reminder_jobs.wake(context.application)  # its planned reminders become obsolete
    # Those told already are not counted again: the question is about the others.
    told = {p.person_id for p in coming}
    count = sum(1 for p in await service.who_is_told(context.session, data)
                if p.person_id not in told)
    await query.answer()
    if count == 0:
        await query.edit_message_text(ngettext(
            "Cancelled. The {count} parent who said they would come was told.",
            "Cancelled. The {count} parents who said they would come were told.",
            len(told)).format(count=len(told)) if told
            else _("Cancelled. No parent needs to be told."))
        return
    suffix = "a" if which == service.EVERY else "o"
    await query.edit_message_text(
        ngettext("Cancelled. Tell the {count} other parent who would have received it?",
                 "Cancelled. Tell the {count} other parents who would have received it?",
                 count).format(count=count) if told else
        ngettext("Cancelled. Tell the {count} parent who would have received it?",
                 "Cancelled. Tell the {count} parents who would have received it?",
                 count).format(count=count),
        reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton("✅ " + _("Yes, tell them"),
                                 callback_data=_data(data.id, start, "y" + suffix)),
            InlineKeyboardButton(_("No, do not tell them"),
                                 callback_data=_data(data.id, start, "n" + suffix)),
        ]]))


async def confirm_undo(update: Update, context: BotContext, data: ActivityData,
                       start: datetime, which: str = service.ONE) -> None:
    """Are you sure it goes ahead? And how many parents heard it was cancelled. EVERY: the
    whole activity, from ``start``, its first day to come."""
    query = update.callback_query
    assert query is not None and data.id is not None
    tz = context.settings.timezone
    item = _item(context, data, start)
    if which == service.EVERY and whole(data):
        lines = [_("Let {title} go ahead again every time, from {date} on?").format(
            title=item.title, date=format_weekday_date(start))]
        if any(moment > context.now() for moment in data.cancelled_starts):
            lines.append(_("Days cancelled one by one stay cancelled."))
    else:
        lines = [(_("Let {title} on {date} go ahead after all?") if item.all_day(tz)
                  else _("Let {title} on {date} at {time} go ahead after all?")).format(
            title=item.title, date=format_weekday_date(start), time=format_time(start))]
    # The notices still waiting are never sent: only those already told count. Of them,
    # those who said they come are told at once, as when it was cancelled.
    heard = await service.heard_so_far(context.session, data, start, which, tz)
    told = len(heard.coming) + len(heard.others)
    if told:
        lines.append(ngettext("{count} parent was told it was cancelled.",
                              "{count} parents were told it was cancelled.",
                              told).format(count=told))
    if heard.coming:
        lines.append(ngettext("{count} parent said they will come. They are told at once.",
                              "{count} parents said they will come. They are told at once.",
                              len(heard.coming)).format(count=len(heard.coming)))
    await query.edit_message_text("\n\n".join(lines), reply_markup=InlineKeyboardMarkup([
        [InlineKeyboardButton("✅ " + _("Yes, it goes ahead"),
                              callback_data=_data(data.id, start, "uw" if which == service.EVERY
                                                  else "uo"))],
        [InlineKeyboardButton("↩️ " + _("No, keep it cancelled"),
                              callback_data=_data(data.id, start))],
    ]))


async def undo(update: Update, context: BotContext, data: ActivityData, start: datetime,
               which: str = service.ONE) -> None:
    """The day goes ahead: its cancellation goes, its reminders come back (those whose time
    passed go late), those who said they come hear it at once; then offer to tell the other
    parents who heard it was cancelled. EVERY: the whole activity, from ``start`` on."""
    query = update.callback_query
    assert query is not None and data.id is not None
    tz = context.settings.timezone
    undone = await service.undo(context.session, data, start, context.now(),
                                render_goes_ahead(tz, _goes_ahead_of(which, data)), tz, which)
    if undone is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await redo_waiting_copies(context)  # a week's programme still waiting has it again
    await context.commit()
    if undone.heard.coming:
        wake(context.application)
    # The planner hands over the reminders brought back whose time has come.
    reminder_jobs.wake(context.application)
    await query.answer()
    told, count = len(undone.heard.coming), len(undone.heard.others)
    if count == 0:
        await query.edit_message_text(ngettext(
            "It goes ahead again. The {count} parent who said they would come was told.",
            "It goes ahead again. The {count} parents who said they would come were told.",
            told).format(count=told) if told
            else _("It goes ahead again. No parent had heard it was cancelled."))
        return
    # Some heard of it, so its notices were keyed by a day: the "tell them" buttons carry it.
    assert undone.told_about is not None
    keyed, suffix = undone.told_about, "w" if which == service.EVERY else "o"
    await query.edit_message_text(
        ngettext("It goes ahead again. Tell the {count} other parent who heard it was "
                 "cancelled?",
                 "It goes ahead again. Tell the {count} other parents who heard it was "
                 "cancelled?", count).format(count=count) if told else
        ngettext("It goes ahead again. Tell the {count} parent who heard it was cancelled?",
                 "It goes ahead again. Tell the {count} parents who heard it was cancelled?",
                 count).format(count=count),
        reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton("✅ " + _("Yes, tell them"),
                                 callback_data=_data(data.id, keyed, "g" + suffix)),
            InlineKeyboardButton(_("No, do not tell them"),
                                 callback_data=_data(data.id, keyed, "k" + suffix)),
        ]]))


def _goes_ahead_of(which: str, data: ActivityData) -> str:
    """What the good news names: a recurring activity on again (EVERY), its next day;
    a one-off called off as a whole, like a day (ONE), its day."""
    return service.EVERY if which == service.EVERY and service.recurs(data) else service.ONE


def render_goes_ahead(tz: ZoneInfo, which: str = service.ONE
                      ) -> Callable[[str, ProgrammeItem], str]:
    """"It goes ahead after all": of one day, or (EVERY) of a recurring activity that is on
    again, naming its next day (the parent heard it "will not take place any more")."""
    def render(locale: str, item: ProgrammeItem) -> str:
        with use_locale(locale, tz):
            title = item.title
            if item.title_is_dutch_fallback:
                title += " " + _("(in Dutch)")
            if which == service.EVERY:
                text = (_("✅ Good news: {title} goes on after all, as usual. Next time: "
                          "{date}. Sorry for the confusion. See you there!")
                        if item.all_day(tz) else
                        _("✅ Good news: {title} goes on after all, as usual. Next time: "
                          "{date}, {time}. Sorry for the confusion. See you there!"))
            elif item.all_day(tz):
                text = _("✅ Good news: {title}, {date} goes ahead after all. Sorry for the "
                         "confusion. See you there!")
            else:
                text = _("✅ Good news: {title}, {date}, {time} goes ahead after all. "
                         "Sorry for the confusion. See you there!")
            return text.format(title=title, date=format_weekday_date(item.starts_at),
                               time=format_time(item.starts_at))

    return render


async def tell_it_goes_ahead(update: Update, context: BotContext, data: ActivityData,
                             start: datetime, which: str = service.ONE) -> None:
    """Yes: one outbox row per parent who heard of the cancellation, in their language (a
    second press adds nothing: the same round, the same keys). EVERY: ``start`` is the day
    the notices were keyed by; the text names the activity's next day."""
    query = update.callback_query
    assert query is not None and data.id is not None
    tz = context.settings.timezone
    shown = None
    if which == service.EVERY:
        following = programme_service.next_occurrence(data, context.now(), tz)
        assert following is not None  # checked with the button
        shown = following.starts_at
    mark = await service.last_undone_round(context.session, data.id, start)
    recipients = await service.who_heard_of_it(context.session, data.id, start, mark)
    await outbox.enqueue_many(context.session, service.notices(
        data, start, recipients,
        render_goes_ahead(tz, _goes_ahead_of(which, data)),
        round_mark=mark, shown=shown))
    await context.commit()
    wake(context.application)
    await query.answer()
    await query.edit_message_text(_("The parents are being told."))


def render_notice(which: str, tz: ZoneInfo) -> Callable[[str, ProgrammeItem], str]:
    def render(locale: str, item: ProgrammeItem) -> str:
        with use_locale(locale, tz):
            title = item.title
            if item.title_is_dutch_fallback:
                title += " " + _("(in Dutch)")
            if which == service.EVERY:
                return _("❌ {title} will not take place any more. We are sorry.").format(
                    title=title)
            if item.all_day(tz):
                text = _("❌ Cancelled: {title}, {date}. We are sorry. See you next time!")
            else:
                text = _("❌ Cancelled: {title}, {date}, {time}. We are sorry. "
                         "See you next time!")
            return text.format(title=title, date=format_weekday_date(item.starts_at),
                               time=format_time(item.starts_at))

    return render


async def tell(update: Update, context: BotContext, data: ActivityData, start: datetime,
               which: str) -> None:
    """Yes: one outbox row per parent, in their language (a second press adds nothing)."""
    query = update.callback_query
    assert query is not None
    recipients = await service.who_is_told(context.session, data)
    messages = service.notices(data, start, recipients,
                               render_notice(which, context.settings.timezone))
    await outbox.enqueue_many(context.session, messages)
    await context.commit()
    wake(context.application)
    await query.answer()
    await query.edit_message_text(_("The parents are being told."))
