"""An answer that never reached its parent (they blocked the bot): its author hears so, once.

The brugfiguur was told "✅ Sent to Ayşe" when the answer went into the outbox; only
Telegram's 403 on the copy (or on another message to that parent, which drops the copy
still waiting) shows it will never arrive. The outbox sender calls :func:`tell_authors` with
the dedupe keys of the refused row and of the rows it drops, in the transaction that marks
the parent blocked. The answers among them (``q:<question>:answer:<question_message id>``)
name their author: the ``QuestionMessage`` row's chat (``from_parent`` False).

Usage (the caller commits, then wakes the sender)::

    told = await tell_authors(session, [row.dedupe_key, *dropped_keys], now)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import outbox, staff
from bot.services.outbox import NewMessage
from storage.models import Person, Question, QuestionMessage

_ANSWER_KEY = re.compile(r"q:(\d+):answer:(\d+)")


def answers_in(keys: Iterable[str]) -> list[tuple[int, int]]:
    """(question id, question_message id) of the answers' copies among outbox dedupe keys
    (bot/services/questions.relay_answer names them so), in the order given."""
    found = []
    for key in keys:
        match = _ANSWER_KEY.fullmatch(key)
        if match is not None:
            found.append((int(match[1]), int(match[2])))
    return found


def notice_text(parent_first_name: str) -> str:
    """In the author's locale (the caller's ``use_locale``)."""
    return "⚠️ " + _("Your answer did not arrive: {name} has blocked the bot.").format(
        name=parent_first_name)


async def tell_authors(session: AsyncSession, keys: Iterable[str], now: datetime) -> int:
    """Each author of an answer among ``keys`` gets one notice per question, under their
    first answer that did not arrive, in their language and hours. Returns how many."""
    wanted = {row_id: question_id for question_id, row_id in answers_in(keys)}
    if not wanted:
        return 0
    rows = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.question_id, QuestionMessage.chat_id,
               QuestionMessage.message_id)
        .where(QuestionMessage.id.in_(list(wanted)), QuestionMessage.from_parent.is_(False))
        .order_by(QuestionMessage.id))).all()
    first: dict[tuple[int, int], tuple[int, int]] = {}  # (question, author chat) -> answer
    for row_id, question_id, chat_id, message_id in rows:
        if wanted[row_id] == question_id:  # the answer the key names, of that question
            first.setdefault((question_id, chat_id), (row_id, message_id))
    told: list[NewMessage] = []
    for (question_id, chat_id), (row_id, message_id) in first.items():
        parent_name = await session.scalar(
            select(Person.first_name).join(Question, Question.parent_id == Person.id)
            .where(Question.id == question_id))
        author = await session.scalar(select(Person).where(Person.telegram_id == chat_id))
        if parent_name is None or author is None:
            continue  # erased meanwhile (/forget): nobody to tell, or nobody to name
        with use_locale(author.locale):
            text = notice_text(parent_name)
        key = f"q:{question_id}:refused:{row_id}"
        member = await staff.member(session, author.id)
        # A brugfiguur in their hours like any word from the team; a coordinator (not in
        # the team's table) at once, as their notices about questions come.
        message = (staff.message_to(member, key, text, now, group_key=f"q:{question_id}")
                   if member is not None else
                   NewMessage(dedupe_key=key, chat_id=chat_id, person_id=None, kind="text",
                              payload={"text": text, "always": True},
                              group_key=f"q:{question_id}"))
        # Under the answer itself: which one did not arrive is plain to see.
        told.append(replace(message, payload={**message.payload, "reply_to": message_id}))
    return await outbox.enqueue_many(session, told)
