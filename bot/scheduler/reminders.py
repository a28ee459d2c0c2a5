"""The reminder planner, woken by the JobQueue; the rows in `reminders` are the only record.

Every ``INTERVAL`` seconds, and exactly at the next due time: plan the rows of the coming
days (at most every ``PLAN_EVERY``, or at once after ``wake``), then hand the due ones to
the outbox. After downtime the first round catches up on everything that fell due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.ext import Application, ContextTypes, Job

from bot.clock import Clock
from bot.handlers.rsvp import render_moved, render_new_place, render_reminder
from bot.scheduler import outbox as outbox_sender
from bot.services import reminders
from storage.db import Database

log = logging.getLogger(__name__)
INTERVAL = 60.0
PLAN_EVERY = timedelta(minutes=10)
NAME = "reminders"


async def run_round(app: Application) -> reminders.HandOver:
    """Plan if it is time, then hand over what is due; schedules the next precise wake."""
    db: Database = app.bot_data["db"]
    clock: Clock = app.bot_data.get("clock") or Clock()
    now = clock.now()
    last: datetime | None = app.bot_data.get("reminders_planned_at")
    async with db.session() as session:
        if last is None or now - last >= PLAN_EVERY or app.bot_data.pop("replan", False):
            added = await reminders.plan(session, now, render_moved=render_moved,
                                         render_new_place=render_new_place)
            app.bot_data["reminders_planned_at"] = now
            if added:
                log.info("reminders: %d planned", added)
        result = await reminders.hand_over_due(session, now, render_reminder)
        await session.commit()
        upcoming = await reminders.next_due(session)
    if result.sent:
        outbox_sender.wake(app)
        log.info("reminders: %d handed to the outbox, %d skipped, %d dropped, %d deferred",
                 result.sent, result.skipped, result.dropped, result.deferred)
    # Measured after the round: a long planning round must not make the next wake late.
    _wake_at(app, upcoming, clock.now())
    return result


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_round(context.application)


def _wake_at(app: Application, due: datetime | None, now: datetime) -> None:
    """A one-off run at the next due time, when it comes before the next regular round."""
    if app.job_queue is None or due is None:
        return
    delay = max((due - now).total_seconds(), 0.0)
    if delay < INTERVAL:
        for job in app.job_queue.get_jobs_by_name(f"{NAME}-due"):
            job.schedule_removal()
        app.job_queue.run_once(_job, when=delay, name=f"{NAME}-due")


def wake(app: Application) -> None:
    """Something changed (an import, an edit, a cancellation): plan again now."""
    app.bot_data["replan"] = True
    if app.job_queue is not None:
        app.job_queue.run_once(_job, when=0, name=f"{NAME}-wake")


def schedule(app: Application) -> Job | None:
    if app.job_queue is None:
        return None
    return app.job_queue.run_repeating(_job, interval=INTERVAL, first=1.0, name=NAME)
