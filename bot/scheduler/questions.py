"""Housekeeping of help questions, woken by the JobQueue; the rows are the only record.

Every ``INTERVAL`` seconds: questions nobody took within 4 working hours go to the next
candidate and the coordinator is told; closed questions past the retention are purged.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes, Job

from bot.clock import Clock
from bot.handlers.question_texts import escalation_notice, render_card
from bot.i18n import use_locale
from bot.scheduler.outbox import wake
from bot.services import outbox, questions
from storage.db import Database

log = logging.getLogger(__name__)
INTERVAL = 60.0


async def housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    app = context.application
    db: Database = app.bot_data["db"]
    clock: Clock = app.bot_data.get("clock") or Clock()
    now = clock.now()
    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(
            session, app.bot_data["settings"].coordinator_ids)
        escalated = await questions.escalate_due(session, now, render_card, coordinators)
        for item in escalated:
            for recipient in coordinators:
                with use_locale(recipient.locale):
                    text = escalation_notice(item)
                await outbox.enqueue(
                    session, dedupe_key=f"q:{item.question.id}:escalated:{recipient.chat_id}",
                    chat_id=recipient.chat_id, person_id=None, kind="text",
                    payload={"text": text, "always": True}, group_key=f"q:{item.question.id}")
        purged = await questions.purge_closed(session, now)
        await session.commit()
    if escalated or purged:
        log.info("questions: %d escalated, %d purged", len(escalated), purged)
    if escalated:
        wake(app)


def schedule(app: Application) -> Job | None:
    if app.job_queue is None:
        return None
    return app.job_queue.run_repeating(housekeeping, interval=INTERVAL, first=5.0,
                                       name="question-housekeeping")
