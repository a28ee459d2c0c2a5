"""A reaction on a copy the bot made of someone's message reaches that message: a
brugfiguur's 👍 on Ayşe's question (the quickest "seen, ok" on a phone) shows on Ayşe's own
message, and Ayşe's 🙏 on the answer shows on the brugfiguur's. A parent's 👍 or 👎 on a
reminder answers it (``rsvp.reaction_rsvp``). Reactions on anything else (the bot's own
words, a card) mean nothing to pass on: no answer, nothing changes.

Only the parent, or whoever may answer the question now (its holder, a coordinator), passes
one on: a 👍 from someone who handed it on or left the team would tell the parent "seen" while
nobody who handles it has read it.

A bot sets at most one reaction on a message: the newest one passes on; taking it away takes
it away there too. Nothing is logged of it.
"""

from __future__ import annotations

import contextlib

from telegram import ReactionTypeEmoji, Update
from telegram.error import BadRequest

from bot.handlers import rsvp
from bot.handlers.door import BotContext, door
from bot.services import questions
from bot.services.roles import STAFF, Role


@door()
async def reaction(update: Update, context: BotContext) -> None:
    changed = update.message_reaction
    if changed is None or context.person is None:
        return
    source = await questions.copied_from(context.session, changed.chat.id, changed.message_id)
    if source is None:
        # A parent's 👍 on a reminder answers it (bot/handlers/rsvp.py).
        await rsvp.reaction_rsvp(update, context)
        return
    if not await _may_pass_on(context, changed.chat.id, changed.message_id):
        return
    emoji = [r.emoji for r in changed.new_reaction if isinstance(r, ReactionTypeEmoji)]
    # An emoji a bot may not use (or a message gone since): Telegram says no, nothing lost.
    with contextlib.suppress(BadRequest):
        await context.bot.set_message_reaction(source[0], source[1], emoji[-1:] or None)


async def _may_pass_on(context: BotContext, chat_id: int, message_id: int) -> bool:
    """The parent of the question the copy belongs to, or one of the team who may answer it
    now: its holder (even once closed: a 👍 on the parent's thanks; the coordinator for one
    nobody else held), or a coordinator while it is open."""
    person = context.person
    assert person is not None
    question_id = await questions.question_of_reply(context.session, chat_id, message_id)
    question = (await questions.view(context.session, question_id)
                if question_id is not None else None)
    if question is None:
        return False
    if question.parent_id == person.id:
        return True
    if context.role not in STAFF:
        return False
    coordinator = context.role is Role.COORDINATOR
    # The holder, even once closed; the coordinator holds those with nobody as holder.
    holder = question.assignee_id == person.id or (coordinator and question.assignee_id is None)
    return holder or questions.may_act(question, person.id, coordinator=coordinator) is None
