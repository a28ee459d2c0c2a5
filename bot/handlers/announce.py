"""/announce: the coordinator sends a free announcement (a text, a photo or a PDF) to parents,
translated or Dutch only, with a voice message per language for those who read little.

The conversation's state is the draft row (bot/services/announcement.py): its ``awaiting``
column says which question the bot asked, its buttons carry the draft's id. The coordinator's
free messages reach the draft only while it awaits one (:func:`coordinator_message`);
otherwise they go where they always went (file imports, the fallback).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)

from bot.handlers import activity_flow, fallback, programme
from bot.handlers.broadcast import audience_after, confirm_markup
from bot.handlers.bursts import preview_once
from bot.handlers.door import BotContext, door
from bot.handlers.formatting import formatted
from bot.handlers.keyboards import main_action_for
from bot.handlers.onboarding import ensure_onboarded
from bot.handlers.team_translation import render_request
from bot.handlers.texts import dutch_marks, original_headings
from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED_LOCALES,
    _,
    format_number,
    format_time,
    format_weekday_date,
    ngettext,
)
from bot.scheduler.outbox import wake
from bot.services import activity_draft as activity_drafts
from bot.services import announcement as service
from bot.services import broadcast as broadcasts
from bot.services import importer, people, staff, team_translation
from bot.services.announcement import AnnouncementView, Part
from bot.services.outbox import NewMessage, text_pieces
from bot.services.roles import Role
from bot.services.routing import on_leave

# an:<draft id>:<action>; d:xx "Dutch only" and k:xx "Skip" name the question they answer.
ANNOUNCE_DATA = (r"^an:(\d{1,9}):(d:(?:tr|pa)|k:(?:nl|tr|pa)|t:(?:tr|pa)|a|s:\d{1,6}"
                 r"|l:(?:nl|tr|pa)|p|go|yes|u|back|x)$")
# nl:a:<announcement id>: the Dutch original, under every translated copy.
DUTCH_DATA = r"^nl:a:(\d{1,9})$"
COORDINATOR_ONLY = {Role.COORDINATOR}


def question(step: str) -> str:
    """What the bot asks at each step (in the coordinator's language)."""
    return {
        "nl": _("Send me the announcement in Dutch: a text, a photo with a caption, or a PDF."),
        "tr": _("Now the Turkish text: send it, or tap “Dutch only”."),
        "pa": _("Now the Punjabi text: send it, or tap “Dutch only”."),
        "voice:tr": _("A voice message for parents who read little? "
                      "Send one in Turkish, or tap “Skip”."),
        "voice:pa": _("A voice message for parents who read little? "
                      "Send one in Punjabi, or tap “Skip”."),
        "voice:nl": _("A voice message for parents who read little? "
                      "Send one in Dutch, or tap “Skip”."),
    }[step]


def question_keyboard(draft_id: int, step: str, *,
                      team_speaks: bool = True) -> InlineKeyboardMarkup:
    """The buttons under a question; "Ask the team" only when someone in the team speaks
    the step's language (``team_speaks``)."""
    rows = []
    if service.is_voice_step(step):
        rows.append([InlineKeyboardButton(
            "⏭ " + _("Skip"), callback_data=f"an:{draft_id}:k:{service.step_locale(step)}")])
    elif step != service.DUTCH:
        rows.append([InlineKeyboardButton(
            "🇧🇪 " + _("Dutch only"), callback_data=f"an:{draft_id}:d:{step}")])
        if team_speaks:
            rows.append([InlineKeyboardButton(
                "🙋 " + _("Ask the team to translate"),
                callback_data=f"an:{draft_id}:t:{step}")])
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=f"an:{draft_id}:x")])
    return InlineKeyboardMarkup(rows)


async def ask(update: Update, context: BotContext, draft: AnnouncementView) -> None:
    """The question the draft waits for, or the audience screen once all are answered."""
    assert update.effective_chat is not None
    if draft.awaiting is None:
        text, markup = await audience_screen(context, draft)
    else:
        step = draft.awaiting
        # Only a translation step offers "Ask the team": the team is read for those alone.
        # And only with Dutch words to translate (a photo or PDF without a caption has none).
        dutch = draft.content.parts.get(service.DUTCH)
        asks = (not service.is_voice_step(step) and step != service.DUTCH
                and dutch is not None and bool(dutch.text))
        team_speaks = asks and any(member.can_be_asked_in(step)
                                   for member in await staff.team(context.session))
        text, markup = question(step), question_keyboard(draft.id, step,
                                                         team_speaks=team_speaks)
    await update.effective_chat.send_message(text, reply_markup=markup)


@door(roles=COORDINATOR_ONLY)
async def announce_command(update: Update, context: BotContext) -> None:
    """/announce: a new draft (an older one still waiting is cancelled); ask for the Dutch."""
    if context.person is None:
        await ensure_onboarded(update, context)
        return
    draft = await service.create_draft(context.session, created_by=context.person.id)
    await ask(update, context, draft)


# --------------------------------------------------------------------------------------------
# the coordinator's messages


async def coordinator_message(update: Update, context: BotContext) -> None:
    """Any message of the coordinator but a command: to the draft that awaits it, else where
    it always went (a file is an import, the rest goes to the fallback)."""
    message, user = update.message, update.effective_user
    if (message is not None and message.document is not None
            and importer.is_programme_file(message.document.file_name)):
        # A forgotten /announce or /activity draft waits a day: the programme still goes in.
        await programme.import_document(update, context)
        return
    if (message is not None and user is not None
            and not (message.text and main_action_for(message.text, exact=True))):
        answer = await draft_awaiting(context, user.id)
        if answer is not None:
            await answer(update, context)
            return
    if message is not None and message.document is not None:
        await programme.import_document(update, context)
        return
    await fallback.private_message(update, context)


Answer = Callable[[Update, BotContext], Awaitable[None]]


async def draft_awaiting(context: BotContext, telegram_id: int) -> Answer | None:
    """The flow whose draft waits for this message: when both wait, the one that asked last
    (a half-done /activity must not take the announcement typed after /announce, nor a
    half-done /announce the place typed after the activity's 📍 Place)."""
    async with context.db.session() as session:
        found = await people.load(session, telegram_id)
        if found is None:
            return None
        activity = await activity_drafts.awaiting_draft(session, found.row.id)
        announcement = await service.awaiting_draft(session, found.row.id)
    if activity is not None and (
            announcement is None
            or (activity.asked_at or activity.created_at or announcement.created_at)
            >= (announcement.asked_at or announcement.created_at)):
        return activity_flow.take_input
    return take_input if announcement is not None else None


# chat_data keys: the album whose first photo answered a step, and the album we said so of.
ALBUM_TAKEN, ALBUM_TOLD = "announce_album", "announce_album_told"
# chat_data key: (draft id, language, when) of the last text step taken, to join what
# Telegram split in two.
TEXT_AT = "announce_text_at"


def _part(kind: str, text: str, entities: Sequence[MessageEntity],
          file_id: str | None = None) -> Part:
    rich = formatted(text, entities)
    return Part(kind, rich if rich is not None else text, file_id, rich is not None)


def part_of(message: Message) -> Part | None:
    """A text, a photo with its caption or a file with its caption, with their formatting;
    None for anything else."""
    if message.text:
        return _part("text", message.text, message.entities)
    if message.photo:
        return _part("photo", message.caption or "", message.caption_entities,
                     message.photo[-1].file_id)
    if message.document is not None:
        return _part("document", message.caption or "", message.caption_entities,
                     message.document.file_id)
    return None


@door(roles=COORDINATOR_ONLY)
async def take_input(update: Update, context: BotContext) -> None:
    """The answer to the draft's question; anything of the wrong kind: the question again."""
    message = update.message
    assert message is not None and context.person is not None
    draft = await service.awaiting_draft(context.session, context.person.id)
    if draft is None or draft.awaiting is None:
        return
    step = draft.awaiting
    album = message.media_group_id
    if album is not None and context.chat_data.get(ALBUM_TAKEN) == album:
        # Telegram sends each photo of an album on its own: the first was this step's
        # answer; the others are not the next language's (said once per album).
        if context.chat_data.get(ALBUM_TOLD) != album:
            context.chat_data[ALBUM_TOLD] = album
            await message.reply_text(_(
                "I kept only the first photo of that album. Send one message for each "
                "language."))
        return
    if service.is_voice_step(step):
        if message.voice is None:
            await ask(update, context, draft)
            return
        await service.store_voice(context.session, draft.id, message.voice.file_id)
    else:
        part = part_of(message)
        if part is None:
            await ask(update, context, draft)
            return
        length = service.caption_problem(draft.content, step, part)
        if length is not None:
            await message.reply_text(_(
                "That is too long for a caption under a photo or a file: {length} characters, "
                "at most {limit}. Please send a shorter text.").format(
                length=format_number(length), limit=format_number(service.CAPTION_MAX)))
            return
        before = (service.TEXT_STEPS[service.TEXT_STEPS.index(step) - 1]
                  if step in service.TEXT_STEPS[1:] else None)
        if before is not None and service.continues_long_text(
                draft.content.parts.get(before), text_at(context, draft.id, before), part,
                message.date):
            # Telegram split a long text in two: its rest is not the next language's.
            await service.extend_text(context.session, draft.id, part, before)
            context.chat_data[TEXT_AT] = (draft.id, before, message.date)
            await message.reply_text(
                _("Your text was long, so Telegram sent it in two messages: I joined them "
                  "into one Dutch text.") if before == service.DUTCH else
                _("Your text was long, so Telegram sent it in two messages: I joined them "
                  "into one text."))
            await ask(update, context, draft)
            return
        if service.repeats_dutch(draft.content, step, part):
            await message.reply_text(_("That is the Dutch text again: I kept it once. Send the "
                                       "translation, or tap a button below."))
            await ask(update, context, draft)
            return
        await service.store_part(context.session, draft.id, part)
        context.chat_data[TEXT_AT] = (draft.id, step, message.date)
        if album is not None:
            context.chat_data[ALBUM_TAKEN] = album
    draft = await service.get(context.session, draft.id)
    assert draft is not None
    await ask(update, context, draft)


def text_at(context: BotContext, draft_id: int, locale: str) -> datetime | None:
    """When the draft's text in ``locale`` was sent, if it was the last one this process
    saw, else None."""
    found = context.chat_data.get(TEXT_AT)
    return (found[2] if isinstance(found, tuple) and len(found) == 3
            and found[:2] == (draft_id, locale) else None)


# --------------------------------------------------------------------------------------------
# the audience, preview and send


async def audience_screen(context: BotContext,
                          draft: AnnouncementView) -> tuple[str, InlineKeyboardMarkup]:
    """What is sent (kind, translations, voices), to whom (with counts), and the buttons."""
    audience, content = draft.audience, draft.content
    counts = await broadcasts.reach(context.session, audience)
    total = sum(counts.values())
    dutch = content.parts.get(service.DUTCH)
    kind = dutch.kind if dutch is not None else "text"
    lines = [{
        "text": _("📣 Your announcement: a text."),
        "photo": _("📣 Your announcement: a photo with a caption."),
        "document": _("📣 Your announcement: a file."),
    }.get(kind, "📣")]
    awaited = await awaited_languages(context, draft)
    for code in service.TEXT_STEPS[1:]:
        lines.append(f"{LANGUAGE_NAMES[code]}: " + (
            _("translated") if code in content.parts
            else _("asked of the team, not in yet") if code in awaited
            else _("Dutch only")))
    if content.voices:
        lines.append(_("Voice messages: {languages}").format(languages=", ".join(
            LANGUAGE_NAMES[code] for code in SUPPORTED_LOCALES if code in content.voices)))
    lines += [
        "",
        _("Who gets it? Tap schools and languages."),
        ngettext("It reaches {count} parent.", "It reaches {count} parents.", total).format(
            count=total)
        + " " + " · ".join(f"{LANGUAGE_NAMES[code]} {counts.get(code, 0)}"
                           for code in SUPPORTED_LOCALES),
    ]
    schools = await people.schools(context.session)
    tick = "✅ "
    rows = [[InlineKeyboardButton((tick if audience.schools is None else "") + _("All schools"),
                                  callback_data=f"an:{draft.id}:a")]]
    rows += [[InlineKeyboardButton(
        (tick if audience.schools and s.id in audience.schools else "") + s.name,
        callback_data=f"an:{draft.id}:s:{s.id}")] for s in schools]
    rows.append([InlineKeyboardButton(
        (tick if audience.locales is None or code in audience.locales else "")
        + LANGUAGE_NAMES[code], callback_data=f"an:{draft.id}:l:{code}")
        for code in SUPPORTED_LOCALES])
    rows.append([InlineKeyboardButton("👁 " + _("Preview"), callback_data=f"an:{draft.id}:p")])
    if total:
        rows.append([InlineKeyboardButton(
            "📤 " + ngettext("Send to {count} parent", "Send to {count} parents", total).format(
                count=total), callback_data=f"an:{draft.id}:go")])
    rows.append([InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=f"an:{draft.id}:x")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def awaited_languages(context: BotContext, draft: AnnouncementView) -> list[str]:
    """The languages of its audience asked of the team whose translation has not come yet."""
    asked = await team_translation.asked_locales(context.session, draft.id)
    wanted = draft.audience.locales
    return [code for code in service.TEXT_STEPS[1:]
            if code in asked and code not in draft.content.parts
            and (not wanted or code in wanted)]


async def confirm_question(context: BotContext, draft: AnnouncementView,
                           total: int) -> tuple[str, InlineKeyboardMarkup]:
    """The last question before sending: what is not in yet, who gets it only in the
    morning (their quiet hours), and then also 📣 Urgent, which sends to everyone now."""
    lines = [ngettext("Send this announcement to {count} parent now?",
                      "Send this announcement to {count} parents now?", total).format(
        count=total)]
    awaited = await awaited_languages(context, draft)
    if awaited:
        # (Said as it is: a translation that comes after the send reaches only the copies
        # still waiting for a parent's morning.)
        lines.append("⏳ " + _("Not in yet from the team: {languages}. Sent now, those parents "
                              "get it in Dutch.").format(
            languages=", ".join(LANGUAGE_NAMES[code] for code in awaited)))
    quiet, until = await service.quiet_now(context.session, draft.audience, context.now(),
                                           context.settings.timezone)
    markup = confirm_markup("an", draft.id)
    if quiet and until is not None:
        lines.append("🌙 " + ngettext(
            "{count} parent has quiet hours now and gets it at {time}.",
            "{count} parents have quiet hours now and get it by {time}.", quiet).format(
            count=quiet, time=format_time(until)) + " " + _(
            "Is it urgent? “📣 Urgent” sends it to everyone now, at night too."))
        rows = [list(row) for row in markup.inline_keyboard]
        rows.insert(1, [InlineKeyboardButton("📣 " + _("Urgent: now, also at night"),
                                             callback_data=f"an:{draft.id}:u")])
        markup = InlineKeyboardMarkup(rows)
    return "\n\n".join(lines), markup


@door(roles=COORDINATOR_ONLY)
async def draft_button(update: Update, context: BotContext) -> None:
    """Every button of an announcement draft: skip a question, audience, preview, send."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _prefix, raw_id, action = query.data.split(":", 2)
    draft = await service.get(context.session, int(raw_id))
    if (draft is None or draft.created_by != context.person.id
            or draft.status != broadcasts.DRAFT):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    audience = draft.audience
    if action == "x":
        await service.cancel(context.session, draft.id)
        await query.answer()
        await query.edit_message_text(_("Cancelled. Nothing was sent."))
        return
    if action[:2] in ("d:", "k:", "t:"):
        step = action[2:] if action[0] in "dt" else service.VOICE_PREFIX + action[2:]
        if draft.awaiting != step:
            await query.answer(_("This button has expired."), show_alert=True)
            return
        if action[0] == "t":
            await ask_the_team(update, context, draft, step)
        await service.skip(context.session, draft.id, step)
        await query.answer()
        await query.edit_message_reply_markup(None)
        draft = await service.get(context.session, draft.id)
        assert draft is not None
        await ask(update, context, draft)
        return
    if draft.awaiting is not None:  # the audience buttons come after the questions
        await query.answer(_("This button has expired."), show_alert=True)
        return
    if action == "p":
        await query.answer()
        await preview_once(update, context, lambda: preview(update, context, draft))
        return
    if action == "go":
        total = sum((await broadcasts.reach(context.session, audience)).values())
        text, markup = await confirm_question(context, draft, total)
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    if action in ("yes", "u"):
        if action == "u":
            await service.make_urgent(context.session, draft.id)
        await send(update, context, draft)
        return
    changed = await audience_after(context, audience, action)
    if changed is None:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await broadcasts.save_audience(context.session, draft.id, changed)
    draft = await service.get(context.session, draft.id)
    assert draft is not None
    text, markup = await audience_screen(context, draft)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def ask_the_team(update: Update, context: BotContext, draft: AnnouncementView,
                       locale: str) -> None:
    """The brugfiguren who speak ``locale`` are asked; their reply fills the draft (the
    audience screen shows whether it came before sending)."""
    assert update.effective_chat is not None
    dutch = draft.content.parts.get(service.DUTCH)
    members = await staff.team(context.session)
    requests = await team_translation.ask_team_announcement(
        context.session, draft.id, locale, service.words_to_translate(dutch) if dutch else "",
        members, render_request, context.now(),
        attachment=(dutch.kind, dutch.file_id) if dutch is not None and dutch.file_id else None)
    await context.commit()
    wake(context.application)
    asked = len(requests)
    if not asked:
        await update.effective_chat.send_message(
            _("Nobody in the team speaks the missing languages yet. Add them with /staff."))
        return
    text = ngettext("Asked {count} colleague. Their text is added when it comes.",
                    "Asked {count} colleagues. The first text is added when it comes.",
                    asked).format(count=asked)
    seen = when_seen(requests, context.now())
    asked_members = [m for m in members if m.id in {r.person_id for r in requests}]
    if asked_members and all(on_leave(m.availability) for m in asked_members):
        # No hour on their map (on leave): the request reaches them silently, and may never
        # be read. Said, so that the coordinator sends it without them, or asks someone else.
        text += " " + ngettext(
            "{names} is on leave now: the whole week is red.",
            "{names} are on leave now: the whole week is red.", len(asked_members)).format(
            names=", ".join(m.first_name for m in asked_members))
    elif seen is not None:
        # All off now (a red hour): said, so that an urgent text can go without them.
        text += " " + (_("{name} is off now and sees your request on {day} at {time}.").format(
            name=asked_members[0].first_name, day=format_weekday_date(seen),
            time=format_time(seen))
            if len(asked_members) == 1 else
            _("They are off now: the first sees your request on {day} at {time}.").format(
                day=format_weekday_date(seen), time=format_time(seen)))
    await update.effective_chat.send_message(text)


def when_seen(requests: Collection[NewMessage], now: datetime) -> datetime | None:
    """When the first colleague asked sees their request, if none sees it now (each waits
    for their next green hour); None when someone sees it now."""
    due = [r.not_before or now for r in requests]
    first = min(due, default=now)
    return first if first > now else None


async def send_payload(bot: Bot, chat_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Send one of :func:`service.payloads` directly (a preview, the Dutch original), its
    formatting included."""
    markup = payload.get("reply_markup")
    keyboard = InlineKeyboardMarkup.de_json(markup, bot) if markup else None
    caption = payload.get("caption")
    mode = payload.get("parse_mode")
    if kind == "text":
        pieces = text_pieces(payload)
        for n, piece in enumerate(pieces, 1):
            await bot.send_message(chat_id, piece, parse_mode=mode,
                                   reply_markup=keyboard if n == len(pieces) else None)
    elif kind == "photo":
        await bot.send_photo(chat_id, payload["file_id"], caption=caption, parse_mode=mode,
                             reply_markup=keyboard)
    elif kind == "document":
        await bot.send_document(chat_id, payload["file_id"], caption=caption, parse_mode=mode,
                                reply_markup=keyboard)
    elif kind == "voice":
        await bot.send_voice(chat_id, payload["file_id"], reply_markup=keyboard)


async def preview(update: Update, context: BotContext, draft: AnnouncementView) -> None:
    """The announcement as each chosen language will receive it, voice included."""
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    marks = dutch_marks()
    for locale in sorted(draft.audience.locales or SUPPORTED_LOCALES,
                         key=SUPPORTED_LOCALES.index):
        await update.effective_chat.send_message(f"👁 {LANGUAGE_NAMES[locale]}")
        for kind, payload in service.payloads(draft.content, locale, marks[locale]):
            await send_payload(context.bot, chat_id, kind, payload)


async def send(update: Update, context: BotContext, draft: AnnouncementView) -> None:
    """Confirmed: the outbox rows, then the live progress line (bot/scheduler/progress.py)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await query.edit_message_text(_("📤 Preparing the messages…"))
    total = await service.start(context.session, draft.id, dutch_marks(),
                                status_chat_id=query.message.chat.id,
                                status_message_id=query.message.message_id,
                                originals=original_headings(html_markup=False))
    await context.commit()
    wake(context.application)
    if total == 0:
        await query.edit_message_text(_("Nobody to send to: no parent matches."))


@door()
async def show_dutch(update: Update, context: BotContext) -> None:
    """The 🇧🇪 Nederlands button under a translated announcement: the Dutch original."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    item = await service.get(context.session, int(query.data.rsplit(":", 1)[1]))
    if (item is None or item.status not in (broadcasts.SENDING, broadcasts.DONE)
            or context.person is None):
        await query.answer(_("This button has expired."), show_alert=True)
        return
    await query.answer()
    for kind, payload in service.payloads(item.content, service.DUTCH, ""):
        await send_payload(context.bot, update.effective_chat.id, kind, payload)
