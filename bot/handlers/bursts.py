"""A burst: a child with the parent's phone, a slow network and an impatient thumb, a group
where children type /start. The same answer to each message of it would flood the chat (and
every parent reading a group): it is said once per burst. The messages themselves are kept
as always; only the bot's repeated words are left out.

A burst is a run of messages of one kind in one chat with less than ``seconds`` between
them: the answer comes to its first message (or first few), and again after a quiet while. Kept in
``chat_data``, a hint only (after a restart, said once more at worst).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackContext

BURSTS = "bursts"  # chat_data: kind -> (when a message of it last came (monotonic), how many)


def first_of_burst(chat_data: dict[Any, Any] | None, kind: str, seconds: float, *,
                   answered: int = 1) -> bool:
    """Whether a message of ``kind`` gets the bot's answer: the first ``answered`` ones of a
    burst do, the later ones do not (and each moves the burst's end on)."""
    if chat_data is None:
        return True
    now = time.monotonic()
    seen = chat_data.setdefault(BURSTS, {})
    last, count = seen.get(kind, (None, 0))
    count = 1 if last is None or now - last >= seconds else count + 1
    seen[kind] = (now, count)
    return count <= answered


def forget(chat_data: dict[Any, Any] | None, kind: str) -> None:
    """The burst's first message failed (Telegram down a moment): the next one is answered."""
    if chat_data is not None:
        chat_data.get(BURSTS, {}).pop(kind, None)


# A preview is several messages (one per language, voices too): the second tap of a double
# tap on a slow line would send them all again.
PREVIEW_SECONDS = 10.0


async def preview_once(update: Update, context: CallbackContext[Any, Any, Any, Any],
                       show: Callable[[], Awaitable[None]]) -> None:
    """Show a preview, unless the same button's preview was shown a moment ago."""
    query = update.callback_query
    await once_per_burst(context.chat_data, f"preview:{query.data if query is not None else ''}",
                         PREVIEW_SECONDS, show)


async def once_per_burst(chat_data: dict[Any, Any] | None, kind: str, seconds: float,
                         show: Callable[[], Awaitable[None]]) -> bool:
    """``show()`` unless the same ``kind`` was shown a moment ago (False then): a slow
    phone's or an impatient thumb's second tap. One that failed is forgotten: a tap again
    shows it."""
    if not first_of_burst(chat_data, kind, seconds):
        return False
    try:
        await show()
    except Exception:
        forget(chat_data, kind)  # a tap again shows it
        raise
    # From its end: one slower than the window (one chat's taps are handled one after the
    # other) still takes the second tap that waited for it.
    if chat_data is not None:
        chat_data.setdefault(BURSTS, {})[kind] = (time.monotonic(), 1)
    return True
