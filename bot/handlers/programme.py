"""The programme: /week for parents; /programme and file imports for the coordinator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from telegram import Update

from bot.handlers import team_translation
from bot.handlers.activities import render_notice
from bot.handlers.broadcast import redo_waiting_copies
from bot.handlers.door import BotContext, door
from bot.handlers.keyboards import main_keyboard
from bot.handlers.onboarding import ensure_onboarded
from bot.handlers.programme_text import escape, programme_heading, programme_text
from bot.handlers.rsvp import render_moved, render_new_place
from bot.handlers.sending import send_long
from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED_LOCALES,
    _,
    format_date,
    format_time,
    ngettext,
    use_locale,
)
from bot.scheduler import reminders as reminder_jobs
from bot.scheduler.outbox import wake
from bot.services import cancellation, importer, outbox, people, staff
from bot.services import programme as service
from bot.services.broadcast import voice_payload
from bot.services.programme import MissingTranslation
from bot.services.questions import WEEK_VOICE, week_voice_group
from bot.services.roles import STAFF, Role

COORDINATOR_ONLY = {Role.COORDINATOR}
# Telegram refuses files over 20 MB to bots; a programme is a few kilobytes.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 25


@door()
async def week_command(update: Update, context: BotContext) -> None:
    """/week and the 📅 button: the coming seven days for the parent's schools, then the
    activities' voice messages in their language."""
    if not await ensure_onboarded(update, context):
        return
    person = context.person
    assert person is not None
    tz = context.settings.timezone
    now = context.now()
    start = datetime.combine(now.date(), time(), tz)
    end = start + timedelta(days=7)
    school_ids = list(person.school_ids)
    if not school_ids and context.role in STAFF:
        # The team without a school of their own: every school's week, not an empty one.
        school_ids = [s.id for s in await people.schools(context.session)]
    items = await service.programme_between(
        context.session, school_ids, person.locale, start, end, tz, running=True
    )
    # Today's activities that are over already are no news.
    items = [item for item in items if item.ends_at > now]
    # School names only for a reader of several schools: the others' items are all theirs.
    show_schools = len(school_ids) > 1
    schools = await people.schools(context.session) if show_schools else []
    text = programme_text(programme_heading(start.date()), items, schools,
                          show_schools=show_schools)
    await send_long(update, text, html=True, reply_markup=main_keyboard())
    # Then the voice messages in their language, for parents who read little.
    assert update.effective_chat is not None
    sent = []
    for item in service.voiced(items):
        payload = voice_payload(item)
        voice = await context.bot.send_voice(update.effective_chat.id, payload["file_id"],
                                             caption=payload["caption"])
        sent.append((item, voice.message_id))
    for item, message_id in sent:
        # Noted: a question swiped onto it is about that activity (questions._note_about).
        outbox.note_sent(context.session, dedupe_key=f"{WEEK_VOICE}{person.id}:{message_id}",
                         chat_id=update.effective_chat.id, person_id=person.id,
                         group_key=week_voice_group(item.activity_id, item.starts_at),
                         telegram_message_id=message_id, now=now)


@door(roles=COORDINATOR_ONLY)
async def programme_command(update: Update, context: BotContext) -> None:
    """/programme: next week's programme as each language will receive it, and what lacks."""
    tz = context.settings.timezone
    week = service.next_week_start(context.now().date())
    schools = await people.schools(context.session)
    school_ids = [s.id for s in schools]
    for locale in SUPPORTED_LOCALES:
        items = await service.week_programme(context.session, school_ids, locale, week, tz)
        with use_locale(locale, tz):
            text = programme_text(programme_heading(week), items, schools, show_schools=True)
        await send_long(update, f"👁 <b>{LANGUAGE_NAMES[locale]}</b>\n\n{text}", html=True)
    missing = await service.missing_translations(context.session, context.now().date(), tz)
    # The team can fill the gaps: a button asks the brugfiguren who speak a missing language
    # (none when nobody does).
    lacking = {code for entry in missing for code in entry.missing_locales}
    askable = any(member.can_be_asked_in(code) for member in await staff.team(context.session)
                  for code in lacking)
    await send_long(update, missing_text(missing), html=True,
                    **({"reply_markup": team_translation.ask_keyboard()} if askable else {}))


def night_line(items: str) -> str:
    """Starts in the night ("2u30" written for 14:30): said by the file import and /activity."""
    return _("⚠️ Starts in the night (is the hour right? Half past two in the afternoon is "
             "14:30): {items}.").format(items=items)


def lost_words(what: Sequence[str]) -> str:
    """("title:tr", "description:tr", "voice:tr", "voice:nl") as "Türkçe, 🎤 Türkçe,
    🎤 Nederlands": a language's text (its title, its description or both), its voice."""
    words: list[str] = []
    for item in what:
        field, _colon, locale = item.partition(":")
        word = ("🎤 " if field == "voice" else "") + LANGUAGE_NAMES.get(locale, locale)
        if word not in words:
            words.append(word)
    return ", ".join(words)


def missing_text(missing: Sequence[MissingTranslation]) -> str:
    """The coordinator's list of activities that still lack a Turkish or Punjabi text."""
    if not missing:
        return escape(_("Every activity has its Turkish and Punjabi text."))
    lines = [escape(_("Still without a translation:"))]
    for entry in missing[:30]:
        languages = ", ".join(LANGUAGE_NAMES[code] for code in entry.missing_locales)
        lines.append(f"• {escape(entry.title_nl)} ({escape(entry.external_id)}): {languages}")
    if len(missing) > 30:
        lines.append(escape(and_more(len(missing) - 30)))
    return "\n".join(lines)


@door(roles=COORDINATOR_ONLY)
async def import_document(update: Update, context: BotContext) -> None:
    """A CSV, XLSX or ICS file from the coordinator: import it, or list what is wrong."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or ""
    if (document.file_size or 0) > MAX_IMPORT_BYTES:
        await message.reply_text(_("This file is too big for a programme."))
        return
    if not importer.is_programme_file(name):
        await message.reply_text(_(importer.MSG_UNKNOWN_FILE_TYPE))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    outcome = await importer.import_file(context.session, name, data, context.settings.timezone,
                                         context.now())
    if outcome.errors:
        await context.session.rollback()
        await send_long(update, errors_text(outcome.errors, outcome.sheet), html=True)
        return
    assert outcome.summary is not None
    summary = outcome.summary
    tz = context.settings.timezone
    told = await cancellation.notices_after_import(
        context.session, summary.cancelled, context.now(),
        lambda which: render_notice(which, tz), tz)
    # A calendar's occurrence moved on its own: its answers follow it, and it is told as a
    # move (or a new place), never as a cancellation.
    told_moved = await cancellation.notices_after_move(
        context.session, summary.moved, context.now(), render_moved, render_new_place, tz)
    await outbox.enqueue_many(context.session, told + told_moved)
    # A week's programme still waiting for its parents' morning goes as the file has it now.
    await redo_waiting_copies(context)
    await context.commit()
    wake(context.application)
    reminder_jobs.wake(context.application)  # reminders follow moved or new activities
    lines = [_("Imported: {created} new, {updated} changed, {unchanged} unchanged.").format(
        created=summary.created, updated=summary.updated, unchanged=summary.unchanged)]
    # Which ones: a master file sent again may undo a change made in the bot since.
    if summary.created_titles:
        lines.append(_("New: {titles}.").format(titles=short_list(summary.created_titles)))
    if summary.updated_titles:
        lines.append(_("Changed: {titles}.").format(titles=short_list(summary.updated_titles)))
    if summary.sheet is not None:
        # A workbook of several sheets: which one was read, so that a term on a sheet of its
        # own is not missed without a word.
        lines.append(_("Read from the sheet “{sheet}”.").format(sheet=summary.sheet))
    if summary.other_sheets:
        lines.append(_("⚠️ Not read: {sheets}. I read one sheet only: put all activities on "
                       "one sheet, or send that sheet as a file of its own.").format(
            sheets=", ".join(f"“{name}”" for name in summary.other_sheets)))
    if summary.skipped_private:
        lines.append(ngettext(
            "{count} calendar event marked private: left out.",
            "{count} calendar events marked private: left out.",
            summary.skipped_private).format(count=summary.skipped_private))
    if summary.skipped_over:
        lines.append(ngettext(
            "{count} calendar event was over before this school year: left out.",
            "{count} calendar events were over before this school year: left out.",
            summary.skipped_over).format(count=summary.skipped_over))
    if told:
        lines.append(ngettext(
            "{count} parent who said they would come is told about the cancellation.",
            "{count} parents who said they would come are told about the cancellation.",
            len(told)).format(count=len(told)))
    if told_moved:
        moved_parents = len({message.person_id for message in told_moved})
        lines.append(ngettext(
            "{count} parent who said they would come, or got a reminder, is told about the "
            "new time or place.",
            "{count} parents who said they would come, or got a reminder, are told about the "
            "new time or place.",
            moved_parents).format(count=moved_parents))
    if any(start is None for _id, start in summary.cancelled):
        # Called off as a whole by the file: the same, from the activity's line.
        lines.append(_("To tell the other parents of a cancelled activity: /activities, tap "
                       "it (❌), then 📣."))
    if any(start is not None and start > context.now() for _id, start in summary.cancelled):
        # A file tells only those who said they come; the day itself offers the rest.
        lines.append(_("To tell the other parents of a cancelled day: /activities, tap the "
                       "day (❌), then 📣."))
    if summary.still_cancelled:
        lines.append(_("Still cancelled (a file does not bring an activity back): {titles}."
                       ).format(titles=short_list(summary.still_cancelled)))
        lines.append(_("To bring one back while it is still to come: /activities, tap it (❌), "
                       "then ✅."))
    if summary.moved_past:
        # The parents who said they come are not told of a move into the past.
        lines.append(_("⚠️ Changed to a day that is already over (is the date right?): "
                       "{titles}.").format(titles=short_list(summary.moved_past)))
    if summary.new_times:
        times = [f"{title} → {format_date(start, 'EEE dd/MM')} {format_time(start)}"
                 for title, start in summary.new_times]
        lines.append(_("New day or hour: {items}.").format(items=short_list(times)))
    if summary.at_night:
        starts = [f"{title} → {format_date(start, 'EEE dd/MM')} {format_time(start)}"
                  for title, start in summary.at_night]
        lines.append(night_line(short_list(starts)))
    if summary.translations_lost:
        lost = [f"{title} ({lost_words(what)})" for title, what in summary.translations_lost]
        lines.append(_("⚠️ The Dutch text changed, so these translations and voice messages "
                       "made in the bot no longer fit and are gone: {items}. /programme "
                       "shows what is missing.").format(items=short_list(lost)))
    if summary.over:
        lines.append(_("New, but from an earlier school year (is the year right?): {titles}."
                       ).format(titles=short_list(summary.over)))
    if summary.days_still_cancelled:
        days = [f"{title} {format_date(start, 'dd/MM')}"
                for title, start in summary.days_still_cancelled]
        # Cancelled in /activities or by an earlier file: either way the file does not undo it.
        lines.append(_("Still cancelled, though this file's cancelled_dates does not list it "
                       "(cancelled in /activities or by an earlier file; a file does not bring "
                       "a day back, /activities does): {days}.").format(days=short_list(days)))
    if summary.days_brought_back:
        days = [f"{title} {format_date(start, 'dd/MM')}"
                for title, start in summary.days_brought_back]
        # The other way round: brought back in /activities, the file does not cancel it again.
        lines.append(_("Not cancelled again, though this file still lists it as cancelled "
                       "(brought back in /activities; a file does not cancel it again): {days}. "
                       "If it is off after all, cancel it in /activities; if it goes ahead, "
                       "take it out of cancelled_dates (in a calendar: EXDATE)."
                       ).format(days=short_list(days)))
    if summary.brought_back:
        lines.append(_("Not called off again, though this calendar still marks it cancelled "
                       "(brought back in /activities; a file does not call it off again): "
                       "{titles}. If it is off after all, cancel it in /activities; if it goes "
                       "on, take STATUS:CANCELLED out of its event."
                       ).format(titles=short_list(summary.brought_back)))
    if summary.not_in_file:
        lines.append(_("Not in this file, and still planned: {titles}. To cancel one, use "
                       "/activities.").format(titles=short_list(summary.not_in_file)))
    lines.append(_("See /programme for the preview."))
    # Long titles make long lists: over Telegram's 4096 characters, the reply comes in parts.
    await send_long(update, "\n".join(lines))


def short_list(titles: Sequence[str], shown: int = 5) -> str:
    """'Yoga, Dans, Koken' or 'Yoga, Dans, … and 3 more.': one line of a reply. A title
    that comes more than once (the ouderbabbel of two schools) is named once: 'Ouderbabbel
    (2×)'."""
    counts: dict[str, int] = {}
    for title in titles:
        counts[title] = counts.get(title, 0) + 1
    items = [f"{title} ({count}×)" if count > 1 else title for title, count in counts.items()]
    listed = ", ".join(items[:shown])
    if len(items) <= shown:
        return listed
    return f"{listed} {and_more(len(items) - shown).rstrip('.')}"  # the line has its own stop


def and_more(count: int) -> str:
    return ngettext("… and {count} more.", "… and {count} more.", count).format(count=count)


def errors_text(errors: list[importer.RowError], sheet: str | None = None) -> str:
    """What is wrong, by row and column, in the coordinator's language; ``sheet``: the sheet
    of a workbook of several that the rows are of."""
    lines = [escape(_("Nothing was imported. Please fix these and send the file again:"))]
    if sheet is not None:
        lines.append(escape(_("In the sheet “{sheet}”:").format(sheet=sheet)))
    for error in errors[:MAX_ERRORS_SHOWN]:
        what = _(error.message_id).format(**error.params)
        if error.row == 0:
            lines.append(f"• {escape(what)}")
        else:
            where = (_("Row {row}, column {column}").format(row=error.row, column=error.column)
                     if error.column else _("Row {row}").format(row=error.row))
            lines.append(f"• <b>{escape(where)}</b>: {escape(what)}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(escape(and_more(len(errors) - MAX_ERRORS_SHOWN)))
    codes = next((e.params["codes"] for e in errors if "codes" in e.params), None)
    if codes is not None:
        lines += ["", escape(_("The school codes: {codes} (or “all”).").format(codes=codes))]
    return "\n".join(lines)
