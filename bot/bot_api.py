"""The bot's Bot API client: python-telegram-bot's ExtBot, with one rule of our own.

Telegram takes the answer to a button press only for a short while (seconds). A press made
while the bot was down or restarting reaches it later, and its answer is refused: "query is
too old and response timeout expired or query ID is invalid". The press itself is still
good (a parent's "I'm coming", a language tapped at sign-up): it is handled as any other,
only the little answer (a "Thank you!" toast, an alert) cannot be shown any more. So such a
refusal is no error here: ``answer_callback_query`` returns False, and the handler goes on
(and the door commits what the press changed).
"""

from __future__ import annotations

from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot

TOO_OLD = "query is too old"


def too_old(problem: BadRequest) -> bool:
    """Whether Telegram refused a press's answer because the press is too old."""
    reason = str(problem).lower()
    return TOO_OLD in reason or "query id is invalid" in reason


class SchoolBot(ExtBot[None]):
    """ExtBot, with a too-old press's answer taken as done (False) rather than an error."""

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return await super().answer_callback_query(*args, **kwargs)
        except BadRequest as problem:
            if not too_old(problem):
                raise
            return False
