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
from typing import Any

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
