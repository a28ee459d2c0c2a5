"""A reaction on a copy the bot made of someone's message reaches that message: a
brugfiguur's 👍 on Ayşe's question (the quickest "seen, ok" on a phone) shows on Ayşe's own
message, and Ayşe's 🙏 on the answer shows on the brugfiguur's. A parent's 👍 or 👎 on a
reminder answers it (``rsvp.reaction_rsvp``). Reactions on anything else (the bot's own
words, a card) mean nothing to pass on: no answer, nothing changes.

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
    emoji = [r.emoji for r in changed.new_reaction if isinstance(r, ReactionTypeEmoji)]
    # An emoji a bot may not use (or a message gone since): Telegram says no, nothing lost.
    with contextlib.suppress(BadRequest):
        await context.bot.set_message_reaction(source[0], source[1], emoji[-1:] or None)
