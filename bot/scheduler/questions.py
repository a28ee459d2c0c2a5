"""Housekeeping of help questions, woken by the JobQueue; the rows are the only record.

Every ``INTERVAL`` seconds: questions nobody took within ESCALATE_AFTER_HOURS working hours
(4) go to the next candidate, the coordinator is told, and so is the previous holder (in
their hours, as after a coordinator's reassign); questions held by a brugfiguur who
blocked the bot go to the coordinator, who is told, and so do those held by one on leave
(their whole week red) whose parent has waited those working hours for an answer (they hear
it went on, for when they are back); a question whose topic the parent never
tapped goes out as "other" after half an hour; questions that came in before any
coordinator had started the bot are shown to the coordinators who have since; a holder whose
parent wrote again after an answer, and got no answer within those working hours, is reminded
(the coordinators, for a question they hold; again after a further message); closed
questions older than QUESTION_RETENTION_DAYS (180) are purged.
Every Monday at 09:00 the coordinators get the line of figures of the past seven days (a
bot down then sends it when it is back, until Wednesday 09:00).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, ContextTypes, Job

from bot.clock import Clock
from bot.config import Settings
from bot.handlers.door import BotContext
from bot.handlers.inbox import tell_previous_holder
from bot.handlers.question_texts import (
    card_keyboard,
    escalation_notice,
    follow_up_reminder,
    leave_notice,
    render_card,
    render_figures,
    rescue_notice,
    taken_reminder,
    when_answered,
)
from bot.i18n import BRUSSELS, use_locale
from bot.scheduler.outbox import wake
from bot.services import outbox, questions, retention
from bot.services.routing import BY_HOURS
from storage import claims
from storage.db import Database

log = logging.getLogger(__name__)
INTERVAL = 60.0


RETENTION_AT = "retention_at"  # bot_data: when the retention rules last ran
RETENTION_EVERY = timedelta(days=1)


async def housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    app = context.application
    db: Database = app.bot_data["db"]
    clock: Clock = app.bot_data.get("clock") or Clock()
    now = clock.now()
    settings: Settings = app.bot_data["settings"]
    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(session, settings.coordinator_ids)
        escalated = await questions.escalate_due(session, now, render_card, coordinators,
                                                 working_hours=settings.escalate_after_hours)
        for item in escalated:
            await _tell_coordinators(
                session, coordinators, item.question.id, "escalated",
                lambda item=item: escalation_notice(item, settings.escalate_after_hours))
            if item.previous_id is not None:
                await _tell_previous_holder(app, session, item.question, item.previous_id,
                                            item.new_holder_first_name, now)
        rescued = await questions.rescue_unreachable(session, now, render_card, coordinators)
        for lost in rescued:
            # A question can be rescued again later (from its next holder): a key per round.
            await _tell_coordinators(session, coordinators, lost.question.id,
                                     f"rescued:{int(now.timestamp())}",
                                     lambda lost=lost: rescue_notice(lost))
        away = await questions.rescue_on_leave(session, now, render_card, coordinators,
                                               working_hours=settings.escalate_after_hours)
        for left in away:
            await _tell_coordinators(session, coordinators, left.question.id,
                                     f"leave:{int(now.timestamp())}",
                                     lambda left=left: leave_notice(left))
            if left.holder_id is not None:  # read when they are back
                await _tell_previous_holder(app, session, left.question, left.holder_id,
                                            None, now)
        rescued = [*rescued, *away]
        reminded = 0
        for waiting in await questions.unanswered_follow_ups(
                session, now, coordinators, working_hours=settings.escalate_after_hours):
            with use_locale(waiting.holder.locale):
                text = (follow_up_reminder(waiting.question) if waiting.answered
                        else taken_reminder(waiting.question))
                markup = card_keyboard(waiting.question.id, taken=True).to_dict()
            reminded += await questions.remind_holder(session, waiting, text, markup)
        routed = await _route_untapped(session, now, coordinators)
        shown = await questions.deliver_unseen(session, now, render_card, coordinators)
        purged = await questions.purge_closed(
            session, now, retention=timedelta(days=settings.question_retention_days))
        last = app.bot_data.get(RETENTION_AT)
        if last is None or now - last >= RETENTION_EVERY:
            # Once a day (and at start): a year of reminders is a table worth not scanning
            # every minute.
            app.bot_data[RETENTION_AT] = now
            kept_no_longer = await retention.purge(
                session, now, timedelta(days=settings.question_retention_days),
                settings.coordinator_ids)
            if kept_no_longer:
                log.info("retention: %s", kept_no_longer)
        await session.commit()
    if escalated or purged or shown or rescued or routed or reminded:
        log.info("questions: %d escalated, %d purged, %d shown to a coordinator at last, "
                 "%d taken from someone unreachable or on leave, %d routed without a topic, "
                 "%d holders reminded of a parent's new message",
                 len(escalated), purged, shown, len(rescued), routed, reminded)
    if escalated or shown or rescued or routed or reminded:
        wake(app)


async def _tell_coordinators(session: AsyncSession, coordinators: list[questions.Recipient],
                             question_id: int, what: str, render: Callable[[], str]) -> None:
    """A notice about a question to every coordinator, each in their language and hours
    (the map she saved in /availability, as her cards), once per ``what`` (the dedupe key:
    ``q:<id>:<what>:<chat>``)."""
    for recipient in coordinators:
        with use_locale(recipient.locale):
            text = render()
        await outbox.enqueue(
            session, dedupe_key=f"q:{question_id}:{what}:{recipient.chat_id}",
            chat_id=recipient.chat_id, person_id=None, kind="text",
            payload={"text": text, "always": True, BY_HOURS: True},
            group_key=f"q:{question_id}")


async def _tell_previous_holder(app: Application, session: AsyncSession,
                                question: questions.QuestionView, holder_id: int,
                                new_holder: str | None, now: datetime) -> None:
    """The one who let it wait hears it went on (else a late reply of theirs is refused
    without a word why): the coordinator's reassign notice, in their language and hours
    (``new_holder`` None: the coordinator). A job has no update: a context of its own
    carries the session the notice needs."""
    context = BotContext(app)
    context.session = session
    await tell_previous_holder(context, question, holder_id, new_holder, now)


async def _route_untapped(session: AsyncSession, now: datetime,
                          coordinators: list[questions.Recipient]) -> int:
    """Questions whose topic the parent never tapped go out as "other"; the parent is told
    who has it, as if they had tapped: ``always``, as the tapped path answers at once, so
    neither /stop nor their quiet hours hold it back (the answer, ``always`` too, could
    otherwise reach them first). Returns how many."""
    routed = 0
    for draft_id in await questions.untapped(session, now):
        opened = await questions.open_untapped(session, draft_id, now, render_card,
                                               coordinators)
        if opened is None:
            continue
        routed += 1
        question = opened.question
        with use_locale(question.locale):  # the parent's, as open_untapped set it
            text = when_answered(opened.holder_first_name, opened.route.answer_from, now)
        await outbox.enqueue(session, dedupe_key=f"q:{question.id}:untapped",
                             chat_id=question.parent_chat_id, person_id=question.parent_id,
                             kind="text", payload={"text": text, "always": True},
                             group_key=f"q:{question.id}")
    return routed


# The figures of a week may come this long after Monday 09:00 (a bot down over the weekend,
# or restarted at nine): later, they would be news of last week.
FIGURES_LATE = timedelta(days=2)
FIGURES_INTERVAL = 15 * 60.0


def figures_due(now: datetime) -> datetime | None:
    """The Monday 09:00 (Brussels) whose figures are due now: this week's, from 09:00 and
    for ``FIGURES_LATE``; None otherwise."""
    local = now.astimezone(BRUSSELS)
    monday = local.date() - timedelta(days=local.weekday())
    due = datetime.combine(monday, time(9, 0), tzinfo=BRUSSELS)
    return due if due <= now < due + FIGURES_LATE else None


async def weekly_figures(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Monday morning: the coordinators get last week's line of figures about questions, the
    seven days before Monday 09:00 (also when it comes late: the bot was down at nine).
    The claim ``figures:sent:<week>`` makes it once, whatever restarts or instances do."""
    app = context.application
    db: Database = app.bot_data["db"]
    clock: Clock = app.bot_data.get("clock") or Clock()
    due = figures_due(clock.now())
    if due is None:
        return
    week = due.strftime("%G-W%V")
    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(
            session, app.bot_data["settings"].coordinator_ids)
        # Nobody to tell yet (no coordinator started the bot): the claim waits for one.
        if not coordinators or not await claims.claim(session, f"figures:sent:{week}"):
            return
        figures = await questions.week_figures(session, due)
        for recipient in coordinators:
            with use_locale(recipient.locale):
                text = render_figures(figures)
            await outbox.enqueue(session, dedupe_key=f"figures:{week}:{recipient.chat_id}",
                                 chat_id=recipient.chat_id, person_id=None, kind="text",
                                 payload={"text": text, "always": True, BY_HOURS: True})
        await session.commit()
    wake(app)


def schedule(app: Application) -> Job | None:
    if app.job_queue is None:
        return None
    # A look every quarter of an hour rather than one run at Monday 09:00: a bot that was
    # down then still sends them (figures_due), once (the claim).
    app.job_queue.run_repeating(weekly_figures, interval=FIGURES_INTERVAL, first=10.0,
                                name="question-figures")
    return app.job_queue.run_repeating(housekeeping, interval=INTERVAL, first=5.0,
                                       name="question-housekeeping")
