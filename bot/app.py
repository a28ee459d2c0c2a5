"""Builds the python-telegram-bot Application: one place wires every handler.

Usage::

    app = build_application(settings)   # database opened and migrated in post_init
    asyncio.run(poll_until_stopped(app))
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.bot_api import SchoolBot
from bot.config import Settings
from bot.handlers import (
    account,
    activities,
    announce,
    answers,
    broadcast,
    cancel,
    fallback,
    inbox,
    invite,
    notes,
    onboarding,
    programme,
    questions,
    reactions,
    reminder_settings,
    rsvp,
    team,
    team_translation,
)
from bot.handlers.activity_flow import ACTIVITY_FLOW_DATA, activity_command, flow_button
from bot.handlers.commands import register_menus
from bot.handlers.door import BotContext
from bot.handlers.keyboards import (
    FORGET_DATA,
    LANGUAGE_DATA,
    PRIVACY_OK_DATA,
    SCHOOL_DONE_DATA,
    SCHOOL_TOGGLE_DATA,
)
from bot.handlers.question_texts import CARD_DATA, TOPIC_DATA
from bot.handlers.settings import SETTINGS_DATA, settings_button, settings_command
from bot.scheduler import progress
from bot.scheduler import questions as question_jobs
from bot.scheduler import reminders as reminder_jobs
from bot.scheduler.leader import SenderLeadership
from bot.scheduler.outbox import OutboxSender
from bot.transport import AiohttpRequest
from bot.update_order import PerChatUpdateProcessor
from storage.db import (
    Database,
    FileInUse,
    SchemaTooNew,
    hold_sqlite_file,
    shown_url,
    sqlite_file,
)

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
# Edited messages and channel posts are ignored: only new messages are answered.
NEW_PRIVATE = PRIVATE & filters.UpdateType.MESSAGE


class DatabaseUnavailable(Exception):
    """The database could not be opened at start; the message is one sentence."""

    @classmethod
    def of(cls, database_url: str, problem: BaseException) -> DatabaseUnavailable:
        if isinstance(problem, SchemaTooNew):
            return cls(str(problem))
        if (path := sqlite_file(database_url)) is not None:
            # A file: no server to start; its folder, or the bot's right to write there.
            return cls(f"The database file {path} cannot be opened or written "
                       f"({type(problem).__name__}). Does its folder exist, may the bot write "
                       "there, and is DATABASE_URL right?")
        return cls(f"The database does not answer ({shown_url(database_url)}: "
                   f"{type(problem).__name__}). Is it running, and is DATABASE_URL right?")


class ButtonHandler(CallbackQueryHandler):
    """A button handler that never takes a button without data (PTB's own would take it)."""

    def check_update(self, update: object) -> bool | object | None:
        if isinstance(update, Update) and update.callback_query and not update.callback_query.data:
            return False
        found = super().check_update(update)
        # re.match's "$" also matches before a last newline: "forget:no\n" is no button of ours.
        if isinstance(found, re.Match) and found.end() != len(found.string):
            return False
        return found


def build_application(settings: Settings, *, db: Database | None = None) -> Application:
    """The Application, with the database opened (and migrated) in post_init."""
    requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1))
    bot = SchoolBot(settings.token, base_url=settings.api_base_url,
                    base_file_url=settings.api_file_url, request=requests[0],
                    get_updates_request=requests[1])
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatUpdateProcessor(settings.concurrent_updates()))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["requests"] = requests
    if db is not None:
        application.bot_data["db"] = db
    register(application, settings)
    return application


def register(app: Application, settings: Settings) -> None:
    """Every handler, in order: the first matching handler of group 0 wins."""
    # Groups and channels first: the bot works in private chats only.
    app.add_handler(MessageHandler(~PRIVATE & filters.UpdateType.MESSAGE, fallback.group_message))

    # Onboarding and the parent's own settings.
    app.add_handler(CommandHandler("start", onboarding.start, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("language", account.language_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("school", account.school_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("help", account.help_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("cancel", cancel.cancel_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("privacy", account.privacy_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("stop", account.stop_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("forget", account.forget_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("settings", settings_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(onboarding.choose_language, pattern=LANGUAGE_DATA))
    app.add_handler(ButtonHandler(account.toggle_school, pattern=SCHOOL_TOGGLE_DATA))
    app.add_handler(ButtonHandler(account.schools_done, pattern=SCHOOL_DONE_DATA))
    app.add_handler(ButtonHandler(onboarding.accept_privacy, pattern=PRIVACY_OK_DATA))
    app.add_handler(ButtonHandler(account.forget_answer, pattern=FORGET_DATA))
    app.add_handler(ButtonHandler(settings_button, pattern=SETTINGS_DATA))
    # The team: languages, availability, school contacts (bot/handlers/team.py).
    app.add_handler(CommandHandler("languages", team.languages_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("availability", team.availability_command,
                                   filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("staff", team.staff_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(team.languages_button, pattern=team.LANGUAGES_DATA))
    app.add_handler(ButtonHandler(team.availability_button, pattern=team.AVAILABILITY_DATA))
    app.add_handler(ButtonHandler(team.staff_button, pattern=team.STAFF_DATA))
    app.add_handler(ButtonHandler(team.match_button, pattern=team.MATCH_DATA))

    # The programme: /week for everyone; the coordinator's preview and file imports.
    app.add_handler(CommandHandler("week", programme.week_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("programme", programme.programme_command,
                                   filters=NEW_PRIVATE))
    # The coordinator's broadcast of the week's programme.
    app.add_handler(CommandHandler("broadcast", broadcast.broadcast_command,
                                   filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("broadcasts", broadcast.broadcasts_command,
                                   filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(broadcast.draft_button, pattern=broadcast.BROADCAST_DATA))
    app.add_handler(ButtonHandler(broadcast.show_dutch, pattern=broadcast.DUTCH_DATA))
    # The coordinator cancels an activity and may tell its parents.
    app.add_handler(CommandHandler("activities", activities.activities_command,
                                   filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(activities.activity_button, pattern=activities.ACTIVITY_DATA))
    app.add_handler(CommandHandler("activity", activity_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(flow_button, pattern=ACTIVITY_FLOW_DATA))
    app.add_handler(CommandHandler("announce", announce.announce_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(announce.draft_button, pattern=announce.ANNOUNCE_DATA))
    app.add_handler(ButtonHandler(announce.show_dutch, pattern=announce.DUTCH_DATA))
    # Reminders' RSVP buttons, and the team's overview of the answers.
    app.add_handler(ButtonHandler(rsvp.rsvp_button, pattern=rsvp.RSVP_DATA))
    app.add_handler(CommandHandler("rsvps", rsvp.rsvps_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(notes.note_button, pattern=notes.NOTE_DATA))
    app.add_handler(ButtonHandler(team_translation.ask_button, pattern=team_translation.ASK_DATA))
    app.add_handler(CommandHandler("reminders", reminder_settings.reminders_command,
                                   filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(reminder_settings.reminders_button,
                                  pattern=reminder_settings.REMINDER_SETTINGS_DATA))
    # Posters and reports (bot/handlers/poster.py, report.py).
    from bot.handlers import poster, report  # imported here: keeps this block in one place

    app.add_handler(CommandHandler("poster", poster.poster_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(poster.poster_button, pattern=poster.POSTER_DATA))
    app.add_handler(CommandHandler("report", report.report_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(report.report_button, pattern=report.REPORT_DATA))
    # Help questions: the parent asks, the brugfiguur answers by replying (bot/handlers/
    # questions.py, inbox.py, answers.py); a reply that is no answer goes on as any other
    # message, and a brugfiguur's message that replies to no question is not sent anywhere.
    app.add_handler(CommandHandler("ask", questions.ask_command, filters=NEW_PRIVATE))
    app.add_handler(ButtonHandler(questions.topic_button, pattern=TOPIC_DATA))
    app.add_handler(ButtonHandler(inbox.card_button, pattern=CARD_DATA))
    app.add_handler(ButtonHandler(answers.answer_button, pattern=answers.ANSWER_DATA))
    app.add_handler(CommandHandler("inbox", inbox.inbox_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("queue", inbox.queue_command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("invite", invite.invite_command, filters=NEW_PRIVATE))
    app.add_handler(MessageHandler(NEW_PRIVATE & filters.REPLY & ~filters.COMMAND,
                                   inbox.reply_message))
    if settings.coordinator_ids:
        # Only the coordinator's files are imports; anyone else's fall through to the rest.
        coordinator = filters.User(user_id=settings.coordinator_ids)
        # Their messages answer an /announce draft that awaits one, else go on as before.
        app.add_handler(MessageHandler(NEW_PRIVATE & coordinator & ~filters.COMMAND,
                                       announce.coordinator_message))
        app.add_handler(MessageHandler(NEW_PRIVATE & filters.Document.ALL & coordinator,
                                       programme.import_document))

    # An edit of something already passed on: its copies on the other side change too; an
    # edited typed answer to a reminder answers again.
    app.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE,
                                   fallback.edited_message))

    # Catch-alls last: any other private message, any button no handler above accepts.
    app.add_handler(MessageHandler(NEW_PRIVATE, fallback.private_message))
    app.add_handler(CallbackQueryHandler(fallback.expired_button))
    app.add_handler(MessageReactionHandler(reactions.reaction))
    app.add_error_handler(fallback.on_error)


@asynccontextmanager
async def running(app: Application, *, polling: bool = True,
                  poll_timeout: float = 1) -> AsyncIterator[Application]:
    """Run the application inside an event loop that already runs (``python -m bot``, tests,
    benchmarks): initialize, post_init, start, poll; and back down, also from a start that
    failed halfway (post_shutdown closes what post_init opened)."""
    try:
        async with app:
            assert app.post_init and app.post_stop and app.post_shutdown
            try:
                await app.post_init(app)
                await app.start()
                if polling:
                    assert app.updater is not None
                    await app.updater.start_polling(poll_interval=0, timeout=poll_timeout,
                                                    allowed_updates=ALLOWED_UPDATES)
                yield app
            finally:
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
                    await app.post_stop(app)
                await app.post_shutdown(app)
    finally:
        await close_requests(app)  # an initialize that failed (Telegram out of reach) leaves them


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: whatever the bot is doing then, it stops cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):  # not on Windows, not in a thread
            loop.add_signal_handler(sig, stop.set)


async def poll_until_stopped(app: Application) -> None:
    """``python -m bot``: long polling until SIGTERM or SIGINT. Not PTB's ``run_polling``: a
    signal landing just as it starts the poller stops its next step instead, and the bot
    exits 1 with a traceback (seen in CI)."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with running(app, poll_timeout=10):  # run_polling's long-poll timeout
        await stop.wait()


async def _post_init(app: Application) -> None:
    settings: Settings = app.bot_data["settings"]
    if "db" not in app.bot_data:
        try:
            # (create makes an SQLite file's folder: a file named "data" stops it.)
            db = Database.create(settings.database_url, pool_size=settings.pool_size(),
                                 max_overflow=settings.db_max_overflow)
        except OSError as problem:
            raise DatabaseUnavailable.of(settings.database_url, problem) from problem
        try:
            app.bot_data["file_lock"] = hold_sqlite_file(settings.database_url)
        except FileInUse as problem:
            await db.close()
            raise DatabaseUnavailable(str(problem)) from problem
        except OSError as problem:  # a folder the bot may not write
            await db.close()
            raise DatabaseUnavailable.of(settings.database_url, problem) from problem
        try:
            await db.prepare()
        except Exception as problem:  # whatever the driver raises: one sentence for the operator
            await db.close()
            raise DatabaseUnavailable.of(settings.database_url, problem) from problem
        app.bot_data["db"] = db
        app.bot_data["owns_db"] = True
    await register_menus(app.bot)
    if not settings.coordinator_ids:
        log.warning("COORDINATOR_IDS is empty: nobody can import the programme or broadcast, "
                    "and questions no brugfiguur can take wait in /queue for a coordinator")
    db: Database = app.bot_data["db"]
    # On PostgreSQL several instances may run: one of them sends (bot/scheduler/leader.py).
    # OUTBOX_* settings, then bot_data["outbox_options"]: a test or benchmark may set the
    # sender's rate and lease.
    options = {**settings.outbox_options(), **app.bot_data.get("outbox_options", {})}
    app.bot_data["outbox"] = SenderLeadership(
        db, lambda: OutboxSender(app.bot, db, clock=app.bot_data.get("clock"),
                                 coordinator_ids=settings.coordinator_ids, **options),
        **app.bot_data.get("leadership_options", {})).start()
    progress.schedule(app)
    question_jobs.schedule(app)
    reminder_jobs.schedule(app)
    from bot.scheduler import report as report_jobs  # issue 8: the monthly report

    report_jobs.schedule(app)
    log.info("bot @%s ready", app.bot.username)


async def _post_stop(app: Application) -> None:
    # Before shutdown: the sends in flight still have the bot's HTTP client to finish on.
    if (outbox := app.bot_data.pop("outbox", None)) is not None:
        await outbox.stop()


async def close_requests(app: Application) -> None:
    """PTB shuts its requests down only after a successful start; a start that failed
    (Telegram unreachable) would leave their sessions open, and aiohttp warn about it."""
    for request in app.bot_data.get("requests", ()):
        await request.shutdown()


async def _post_shutdown(app: Application) -> None:
    # A start that failed after post_init (Telegram out of reach at the first poll) skips
    # post_stop, and the outbox sender, started in post_init, would be left running.
    await _post_stop(app)
    await close_requests(app)
    if app.bot_data.get("owns_db"):
        await app.bot_data["db"].close()
    if (lock := app.bot_data.pop("file_lock", None)) is not None:
        lock.close()


# Only what the bot answers; edits and channel posts are also ignored by the handlers. A
# reaction on a question's copy reaches the message it copies (bot/handlers/reactions.py).
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY,
                   Update.MESSAGE_REACTION]
