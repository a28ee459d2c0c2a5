"""The live progress line of each broadcast, and its delivery report when it is done.

A JobQueue job (every ``INTERVAL`` seconds) reads the broadcasts that are sending from the
database and edits each coordinator's status message in place; nothing lives in memory, so
after a restart the line simply carries on.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, Job

from bot.handlers.door import not_modified
from bot.i18n import _, ngettext, use_locale
from bot.scheduler.outbox import wake
from bot.services import broadcast as service
from bot.services import outbox
from bot.services.outbox import NewMessage, Progress
from storage.db import Database
from storage.models import Person

log = logging.getLogger(__name__)
INTERVAL = 2.0  # seconds between two edits: readable, and far below Telegram's edit limits


def progress_line(figures: Progress) -> str:
    line = _("📤 Sending: {sent} of {total} sent · {failed} failed · {blocked} blocked the bot"
             ).format(sent=figures.sent, total=figures.total, failed=figures.failed
                      + figures.dropped, blocked=figures.blocked)
    if figures.stopped:
        line += " · " + stopped_text(figures.stopped)
    if figures.quiet:
        # Sent in the evening, most of it waits for the morning: say so, or the line looks
        # stuck all night.
        line += "\n" + ngettext(
            "🌙 {count} parent has quiet hours now and gets it when they end.",
            "🌙 {count} parents have quiet hours now and get it when they end.",
            figures.quiet).format(count=figures.quiet)
    return line


def stopped_text(count: int) -> str:
    """Parents who used /stop while it was on its way: their choice, not a failure."""
    return ngettext("{count} parent used /stop", "{count} parents used /stop",
                    count).format(count=count)


def report(figures: Progress) -> str:
    text = _("✅ Broadcast done.\nSent: {sent} of {total}\nFailed: {failed}\n"
             "Parents who blocked the bot: {blocked}").format(
        sent=figures.sent, total=figures.total, failed=figures.failed + figures.dropped,
        blocked=figures.blocked)
    if figures.stopped:
        text += "\n" + stopped_text(figures.stopped)
    return text


async def update_progress(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One round: edit every sending broadcast's line; finish those with nothing pending.
    Every instance runs it: the one whose update marks a broadcast done writes its report
    (the others' rounds only redraw a line that did not change)."""
    db: Database = context.application.bot_data["db"]
    # The line each broadcast shows, as this instance last drew it: an unchanged line is not
    # sent again (a broadcast waiting all night for quiet hours to end would otherwise cost
    # an edit every INTERVAL until the morning).
    shown: dict[int, str] = context.application.bot_data.setdefault("progress_lines", {})
    async with db.session() as session:
        items = await service.sending(session)
        for gone in set(shown) - {item.id for item in items}:  # finished by another instance
            del shown[gone]
        for item in items:
            figures = await service.progress(session, item.id)
            owner = await session.get(Person, item.created_by) if item.created_by else None
            with use_locale(owner.locale if owner else None):
                if figures.done:
                    finished = await service.finish(session, item.id, figures)
                    await session.commit()
                    if not finished:
                        continue
                text = report(figures) if figures.done else progress_line(figures)
                if figures.done:
                    shown.pop(item.id, None)
                elif shown.get(item.id) == text:
                    continue
                else:
                    shown[item.id] = text
                edited = await _edit(context, item, text)
                if figures.done and item.status_chat_id is not None:
                    done = _("The broadcast is done. /broadcasts shows all of them.")
                    if edited:
                        await _say(context, item.status_chat_id, done)
                        continue
                    # The report is the coordinator's answer: when its edit fails (Telegram
                    # down a moment), it comes as a message of its own, with the line after
                    # it, through the outbox, which tries again.
                    await outbox.enqueue_many(session, [NewMessage(
                        dedupe_key=f"broadcast-report:{item.id}:{n}",
                        chat_id=item.status_chat_id, person_id=item.created_by, kind="text",
                        payload={"text": said, "always": True})
                        for n, said in enumerate((text, done))])
                    await session.commit()
                    wake(context.application)


async def _edit(context: ContextTypes.DEFAULT_TYPE, item: service.BroadcastView,
                text: str) -> bool:
    """Redraw the broadcast's line; False when Telegram failed to (a deleted line or one
    not modified counts as drawn: nothing to send again)."""
    if item.status_chat_id is None or item.status_message_id is None:
        return True
    try:
        await context.bot.edit_message_text(text, chat_id=item.status_chat_id,
                                            message_id=item.status_message_id)
    except BadRequest as problem:
        # "message is not modified": nothing moved since the last round.
        if not not_modified(problem):
            log.warning("progress line of broadcast %s not edited: %s", item.id,
                        type(problem).__name__)
    except TelegramError as problem:
        log.warning("progress line of broadcast %s not edited: %s", item.id,
                    type(problem).__name__)
        return False
    return True


async def _say(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as problem:
        log.warning("broadcast report not sent: %s", type(problem).__name__)


def schedule(app: Application) -> Job | None:
    """Start the job (post_init); the JobQueue stops with the application."""
    if app.job_queue is None:
        return None
    return app.job_queue.run_repeating(update_progress, interval=INTERVAL, first=INTERVAL,
                                       name="broadcast-progress")
