"""The monthly report, sent by itself: on the 1st of each month from 08:00 (Brussels time) the
coordinators get last month's report, unless it was turned off under /report.

A JobQueue job checks every ``INTERVAL`` seconds whether one is due, rather than one exact
run a month: a bot that was down at 08:00 on the 1st, or restarted that day, still sends it
(until the ``CATCH_UP_DAYS``-th). Each coordinator has their own switch and their own claim
(the settings row ``report:sent:<month>:<chat>``), so it goes to each once, whatever restarts
or second instances do. It follows their map in /availability as the team's cards do: in a
red hour it waits for a later round, in an orange one it comes without a sound.

The files go straight to the coordinators with send_photo/send_document, not through the
outbox: the outbox carries documents as Telegram file_ids, and these files are made here and
now, for one or two chats. A failed send is logged, and that coordinator's claim is given
back: the next round tries again. /report always gives the same files.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Job

from bot.clock import Clock
from bot.config import Settings
from bot.handlers.report import send_report
from bot.handlers.report_files import ReportFiles, report_files
from bot.i18n import use_locale
from bot.services import questions
from bot.services import report as service
from bot.services.availability import AvailabilityMap
from bot.services.report import Month
from bot.services.routing import Delivery, delivery_for
from storage import outbox as outbox_repo
from storage.db import Database

log = logging.getLogger(__name__)
INTERVAL = 15 * 60.0
SEND_FROM = time(8, 0)
# A week: a server down over a long weekend or the New Year holidays still sends it.
CATCH_UP_DAYS = 7
NAME = "monthly-report"


def due_month(now: datetime, tz: ZoneInfo) -> Month | None:
    """The month whose report is due now (last month, on the first days from 08:00)."""
    local = now.astimezone(tz)
    if local.day > CATCH_UP_DAYS or (local.day == 1 and local.time() < SEND_FROM):
        return None
    return Month.of(local, tz).previous()


async def send_due(app: Application) -> int:
    """Send last month's report to each coordinator who has it on and has not got it yet, in
    a green hour (orange: without a sound; red: a later round); returns the chats sent to."""
    db: Database = app.bot_data["db"]
    settings: Settings = app.bot_data["settings"]
    clock: Clock = app.bot_data.get("clock") or Clock()
    now = clock.now()
    month = due_month(now, settings.timezone)
    if month is None:
        return 0
    claimed: list[tuple[questions.Recipient, bool]] = []  # (whom, without a sound)
    async with db.session() as session:
        recipients = await questions.coordinator_recipients(session, settings.coordinator_ids)
        maps = await outbox_repo.maps_of_chats(session, {r.chat_id for r in recipients})
        for recipient in recipients:
            if not await service.monthly_enabled(session, recipient.chat_id):
                continue
            team_map = maps.get(recipient.chat_id)
            delivery = (delivery_for(AvailabilityMap(team_map), now)[0] if team_map
                        else Delivery.NOW)
            if delivery is Delivery.HELD:
                continue  # a red hour: a later round (the job runs every INTERVAL)
            if await service.claim_monthly(session, month, recipient.chat_id):
                claimed.append((recipient, delivery is Delivery.SILENT))
        report = await service.build(session, month, tz=settings.timezone) if claimed else None
        await session.commit()
    if report is None:
        return 0
    sent = 0
    failed: list[int] = []
    files: dict[str, ReportFiles] = {}
    for recipient, silent in claimed:
        with use_locale(recipient.locale, settings.timezone) as locale:
            if locale not in files:
                files[locale] = await asyncio.to_thread(report_files, report)
            try:
                await send_report(app.bot, recipient.chat_id, report, files[locale],
                                  silent=silent)
                sent += 1
            except TelegramError as error:
                log.warning("monthly report %s to a coordinator failed: %s", month, error)
                failed.append(recipient.chat_id)
    if failed:
        # Telegram failed them: their claim is given back, the next round (every 15 minutes,
        # up to the CATCH_UP_DAYS-th) tries again. One who got it is never sent it twice.
        async with db.session() as session:
            for chat_id in failed:
                await service.release_monthly(session, month, chat_id)
            await session.commit()
    log.info("monthly report %s sent to %d coordinator(s)", month, sent)
    return sent


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_due(context.application)


def schedule(app: Application) -> Job | None:
    if app.job_queue is None:
        return None
    return app.job_queue.run_repeating(_job, interval=INTERVAL, first=30.0, name=NAME)
