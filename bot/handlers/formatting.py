"""A message's formatting (bold, italics, a link to a form...) as Telegram HTML: how the
coordinator's announcement and a colleague's translation of it keep theirs."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import MessageEntity

from bot.services.outbox import Tag, render_html

# The sender's formatting, as the Telegram HTML tags parents get it with. Other entities
# (a bare address, a #tag, an @name) Telegram finds again in the words themselves; a custom
# emoji (not every bot may send one) and a mention of a user stay their plain words.
_TAGS = {
    MessageEntity.BOLD: ("<b>", "</b>"),
    MessageEntity.ITALIC: ("<i>", "</i>"),
    MessageEntity.UNDERLINE: ("<u>", "</u>"),
    MessageEntity.STRIKETHROUGH: ("<s>", "</s>"),
    MessageEntity.SPOILER: ("<tg-spoiler>", "</tg-spoiler>"),
    MessageEntity.CODE: ("<code>", "</code>"),
    MessageEntity.PRE: ("<pre>", "</pre>"),
    MessageEntity.BLOCKQUOTE: ("<blockquote>", "</blockquote>"),
    MessageEntity.EXPANDABLE_BLOCKQUOTE: ("<blockquote expandable>", "</blockquote>"),
}


def _tag_of(entity: MessageEntity) -> tuple[str, str] | None:
    if entity.type == MessageEntity.TEXT_LINK and entity.url:
        return f'<a href="{html.escape(entity.url)}">', "</a>"
    if entity.type == MessageEntity.PRE and entity.language:
        return f'<pre><code class="language-{html.escape(entity.language)}">', "</code></pre>"
    return _TAGS.get(entity.type)


def formatted(text: str, entities: Sequence[MessageEntity]) -> str | None:
    """``text`` as Telegram HTML with its formatting (bold, a link to a form...), its plain
    words escaped; None when it has no formatting (it is kept as plain text)."""
    index: dict[int, int] = {}  # UTF-16 offset (Telegram's) -> character
    units = 0
    for position, character in enumerate(text):
        index[units] = position
        units += 2 if ord(character) > 0xFFFF else 1
    index[units] = len(text)
    tags = []
    for entity in entities:
        pair = _tag_of(entity)
        start, end = index.get(entity.offset), index.get(entity.offset + entity.length)
        if pair is not None and start is not None and end is not None and start < end:
            tags.append(Tag(pair[0], pair[1], start, end))
    return render_html(text, tags) if tags else None
