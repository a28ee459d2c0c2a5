"""The /settings choice "Dutch below the translation", as one plain rule.

Usage::

    text = with_dutch_below(translated, dutch, wanted=person.dutch_below, same=is_dutch,
                            heading="🇧🇪 <b>Origineel (Nederlands):</b>", limit=1024)
"""

from __future__ import annotations

from bot.services.outbox import visible_len

# Telegram's limit for a caption (UTF-16 code units).
CAPTION_LIMIT = 1024


def with_dutch_below(translated: str, dutch: str, *, wanted: bool, same: bool, heading: str,
                     limit: int | None = None, html: bool = False) -> str:
    """``translated`` with the Dutch original below it, under ``heading``: only when the
    reader ``wanted`` it, the text is a translation (not ``same``, the Dutch itself) and there
    is Dutch text. With a ``limit`` (a caption's) a text that would not fit stays as it was
    (the 🇧🇪 button still shows the original). ``html``: all three are Telegram HTML, and the
    limit counts what the reader sees, not the tags."""
    if not wanted or same or not dutch.strip():
        return translated
    combined = f"{translated}\n\n{heading}\n{dutch}" if translated else f"{heading}\n{dutch}"
    if limit is not None and visible_len(combined, html=html) > limit:
        return translated
    return combined
