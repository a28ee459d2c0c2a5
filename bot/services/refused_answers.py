"""An answer that never reached its parent: its author hears so, once, and it is no answer.

The brugfiguur was told "✅ Sent to Ayşe" when the answer went into the outbox; only
Telegram's answer to the copy shows it will never arrive:

* ``Lost.BLOCKED``: 403 on the copy (or on another message to that parent, which drops the
  copy still waiting): the parent blocked the bot. One notice per question and author, under
  their first answer that did not arrive.
* ``Lost.DELETED``: 400 "message to copy not found": the author deleted her message before
  the outbox copied it. One notice per answer, asking her to send it again.

The outbox sender calls :func:`answers_lost` with the dedupe keys of the rows concerned, in
the transaction that fails them (told once, or not at all). The answers among them
(``q:<question>:answer:<question_message id>``) name their author: the ``QuestionMessage``
row's chat (``from_parent`` False). A question whose every answer was lost so is no longer
"answered" (``first_answer_at``): closing it asks "close without an answer?" again, and the
figures do not count it.

Usage (the caller commits, then wakes the sender)::

    told = await answers_lost(session, [row.dedupe_key, *dropped_keys], now, Lost.BLOCKED)
    if refused_answers.source_gone(exc.message): ...   # Telegram's description of a 400
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import outbox, staff
from bot.services.outbox import NewMessage
from bot.services.questions import answer_key
from storage import outbox as outbox_repo
from storage.models import Person, Question, QuestionMessage


class Lost(Enum):
    """Why an answer's copy will never reach its parent."""

    BLOCKED = "blocked"  # 403: the parent blocked the bot
    DELETED = "deleted"  # 400: the author's message was gone before it was copied


_ANSWER_KEY = re.compile(r"q:(\d+):answer:(\d+)")
# Telegram's description of a copy (or forward) whose source message no longer exists.
_SOURCE_GONE = re.compile(r"message (?:to (?:copy|forward) )?not found", re.IGNORECASE)


def source_gone(description: str) -> bool:
    """True for Telegram's 400 on a copy of a message that was deleted ("Bad Request:
    message to copy not found")."""
    return _SOURCE_GONE.search(description) is not None


def answers_in(keys: Iterable[str]) -> list[tuple[int, int]]:
    """(question id, question_message id) of the answers' copies among outbox dedupe keys
    (bot/services/questions.relay_answer names them so), in the order given."""
    found = []
    for key in keys:
        match = _ANSWER_KEY.fullmatch(key)
        if match is not None:
            found.append((int(match[1]), int(match[2])))
    return found


def notice_text(parent_first_name: str, why: Lost = Lost.BLOCKED) -> str:
    """In the author's locale (the caller's ``use_locale``)."""
    if why is Lost.DELETED:
        return "⚠️ " + _("Your answer to {name} was not sent: the message was deleted. Send it "
                        "again, as a reply to the question.").format(name=parent_first_name)
    return "⚠️ " + _("Your answer did not arrive: {name} has blocked the bot.").format(
        name=parent_first_name)


async def answers_lost(session: AsyncSession, keys: Iterable[str], now: datetime,
                       why: Lost) -> int:
    """The answers among ``keys`` (their outbox rows already failed or dropped) will never
    arrive: their authors are told (:func:`tell_authors`) and their questions count only
    the answers still on their way or delivered. Returns how many authors were told."""
    keys = list(keys)
    told = await tell_authors(session, keys, now, why)
    await recount_first_answers(session, {q for q, _row in answers_in(keys)})
    return told


async def tell_authors(session: AsyncSession, keys: Iterable[str], now: datetime,
                       why: Lost = Lost.BLOCKED) -> int:
    """The authors of the answers among ``keys`` hear it, in their language and hours:
    blocked, once per question, under their first answer that did not arrive; deleted, once
    per answer (each one has to be sent again). Returns how many notices were added."""
    wanted = {row_id: question_id for question_id, row_id in answers_in(keys)}
    if not wanted:
        return 0
    rows = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.question_id, QuestionMessage.chat_id,
               QuestionMessage.message_id)
        .where(QuestionMessage.id.in_(list(wanted)), QuestionMessage.from_parent.is_(False))
        .order_by(QuestionMessage.id))).all()
    # (question, author chat, the answer when each is told apart) -> the answer
    first: dict[tuple[int, int, int], tuple[int, int]] = {}
    for row_id, question_id, chat_id, message_id in rows:
        if wanted[row_id] == question_id:  # the answer the key names, of that question
            apart = row_id if why is Lost.DELETED else 0
            first.setdefault((question_id, chat_id, apart), (row_id, message_id))
    told: list[NewMessage] = []
    for (question_id, chat_id, _apart), (row_id, message_id) in first.items():
        parent_name = await session.scalar(
            select(Person.first_name).join(Question, Question.parent_id == Person.id)
            .where(Question.id == question_id))
        author = await session.scalar(select(Person).where(Person.telegram_id == chat_id))
        if parent_name is None or author is None:
            continue  # erased meanwhile (/forget): nobody to tell, or nobody to name
        with use_locale(author.locale):
            text = notice_text(parent_name, why)
        key = f"q:{question_id}:refused:{row_id}"  # one notice per answer, whatever befell it
        member = await staff.member(session, author.id)
        # A brugfiguur in their hours like any word from the team; a coordinator (not in
        # the team's table) at once, as their notices about questions come.
        message = (staff.message_to(member, key, text, now, group_key=f"q:{question_id}")
                   if member is not None else
                   NewMessage(dedupe_key=key, chat_id=chat_id, person_id=None, kind="text",
                              payload={"text": text, "always": True},
                              group_key=f"q:{question_id}"))
        if why is Lost.BLOCKED:  # under the answer itself: which one is plain to see
            message = replace(message, payload={**message.payload, "reply_to": message_id})
        told.append(message)  # (a deleted answer is no longer there to reply to)
    return await outbox.enqueue_many(session, told)


async def recount_first_answers(session: AsyncSession, question_ids: Iterable[int]) -> None:
    """A question's first answer is its first one that was not lost (copy failed or dropped):
    an answer that never arrived does not make the question answered. ``taken_at`` stays:
    she is on it, so escalation does not take it from her while she sends it again."""
    ids = sorted(set(question_ids))
    if not ids:
        return
    answers = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.question_id, QuestionMessage.created_at)
        .where(QuestionMessage.question_id.in_(ids), QuestionMessage.from_parent.is_(False))
    )).all()
    lost = await outbox_repo.failed_keys(
        session, (answer_key(question_id, row_id) for row_id, question_id, _at in answers))
    first: dict[int, datetime | None] = dict.fromkeys(ids)
    for row_id, question_id, created_at in answers:
        if answer_key(question_id, row_id) not in lost:  # sent, on its way, or no row
            at = first[question_id]
            first[question_id] = created_at if at is None else min(at, created_at)
    for question_id, at in first.items():
        await session.execute(
            update(Question).where(Question.id == question_id).values(first_answer_at=at)
            .execution_options(synchronize_session=False))
