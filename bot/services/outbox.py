"""The outbox: everything the bot sends in bulk or later is a row first (ARCHITECTURE property 2).

Usage (plain values in, plain data out; the caller commits, then wakes the sender)::

    from bot.services import outbox

    await outbox.enqueue(
        session, dedupe_key=f"broadcast:{b.id}:{person.id}", chat_id=person.telegram_id,
        person_id=person.id, kind="text",
        payload={"text": text, "reply_markup": keyboard.to_dict()},
        group_key=f"broadcast:{b.id}",
    )
    await session.commit()
    application.bot_data["outbox"].wake()       # or bot.scheduler.outbox.wake(application)

    await outbox.enqueue_many(session, [NewMessage(...), ...])   # thousands at once
    await outbox.progress(session, f"broadcast:{b.id}")         # Progress(total=60, sent=57...)

Payload per kind (all optional keys besides the content; ``always: true`` sends even to a
person who used /stop, e.g. an answer they asked for):

* ``text``: text, parse_mode, reply_markup (an inline keyboard as a dict), disable_notification,
  protect_content. A text over 4096 UTF-16 units becomes parts ``<key>#1``, ``<key>#2``...
  sent in order, the reply_markup on the last part only. With parse_mode HTML the visible
  text counts (as Telegram counts it) and each part is whole HTML (:func:`split_html`).
* ``photo`` / ``document`` / ``voice``: file_id, caption, parse_mode, reply_markup...
* ``copy``: from_chat_id, message_id, caption, reply_markup...
* ``location``: latitude, longitude.

A text may also carry ``in_each`` (:data:`IN_EACH`): the same message in each language; the
sender sends the one of the person's language as it is when the row leaves, so a parent who
changes language while a notice waits for her morning reads it in the new one.

No Telegram types here: the sender (bot/scheduler/outbox.py) turns payloads into API calls.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox as repo
from storage.models import OutboxMessage, utcnow

KINDS = frozenset({"text", "photo", "document", "voice", "copy", "forward", "location"})
TEXT_LIMIT = 4096  # Telegram's limit for a message text, in UTF-16 code units
CAPTION_LIMIT = 1024
KEY_LIMIT = 160  # outbox.dedupe_key
PART_MARK = "#"  # <key>#<n>: the parts of a long text; not allowed in callers' keys
PART_ROOM = 4  # "#" and up to three digits
EXPIRES = "expires"  # payload key: the ISO moment from which the message is not sent
IN_EACH = "in_each"  # payload key of a text: {locale: the same text in that language}
# Payload key: sent in quiet hours too (an urgent announcement), yet, unlike ``always``, not
# to someone who used /stop since it was made.
URGENT = "urgent"
# Payload key: the schools a message was for (an announcement to some schools); the sender
# sends it only while the person still has one of them (a child who changed school).
FOR_SCHOOLS = "for_schools"


@dataclass(frozen=True)
class NewMessage:
    """One message to enqueue (see :func:`enqueue` for the fields)."""

    dedupe_key: str
    chat_id: int
    person_id: int | None
    kind: str
    payload: dict[str, Any]
    not_before: datetime | None = None
    group_key: str | None = None
    # Worthless from this moment on (a reminder once its activity has started): dropped,
    # never sent late, even when it waited for a parent's quiet hours to end.
    expires_at: datetime | None = None
    reminder_id: int | None = None  # the reminder it carries (see OutboxMessage.reminder_id)


@dataclass(frozen=True)
class Progress:
    """Where a group of messages (e.g. one broadcast) stands, per recipient: a parent who
    gets a text and two voice messages, or a long text in parts, counts once, by their least
    advanced message. ``blocked``: Telegram refused (403) or the person had blocked the bot;
    ``stopped``: not sent because the person used /stop meanwhile (their choice, no fault);
    ``dropped``: not sent for another reason."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    pending: int = 0
    dropped: int = 0
    stopped: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # reason code -> count
    quiet: int = 0  # of the pending: held until their quiet hours end (the morning)

    @property
    def done(self) -> bool:
        return self.pending == 0


# --------------------------------------------------------------------------------------------
# enqueue


async def enqueue(
    session: AsyncSession,
    *,
    dedupe_key: str,
    chat_id: int,
    person_id: int | None,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime | None = None,
    group_key: str | None = None,
) -> bool:
    """Add a message unless one with this dedupe_key exists; True when it was added."""
    message = NewMessage(dedupe_key, chat_id, person_id, kind, payload, not_before, group_key)
    return await enqueue_many(session, [message]) > 0


def note_sent(session: AsyncSession, *, dedupe_key: str, chat_id: int, person_id: int | None,
              group_key: str, telegram_message_id: int, now: datetime) -> None:
    """A message the bot sent itself, not through the outbox (a handler's direct answer),
    noted as a sent row of ``group_key``: a reply to it, or the parent's next message, is
    read as about that group (``typed_answers``, ``questions.replied_question``). Its
    payload is empty: never sent again."""
    session.add(OutboxMessage(
        dedupe_key=dedupe_key, chat_id=chat_id, person_id=person_id, kind="text",
        payload="{}", group_key=group_key, status=repo.SENT, not_before=now, created_at=now,
        sent_at=now, telegram_message_id=telegram_message_id))


async def drop_waiting_for(session: AsyncSession, person_id: int, reason: str, *,
                           team_only: bool = False) -> int:
    """Nothing more that waits for this person is sent, ``always`` rows included.
    ``team_only``: only what waits for them as one of the team (taken off it), not what they
    get as a parent (``repo.pending_team_ids``)."""
    ids = await (repo.pending_team_ids(session, person_id) if team_only
                 else repo.pending_ids(session, person_id=person_id))
    await repo.mark_finished(session, ids, status=repo.DROPPED, error=reason)
    return len(ids)


async def enqueue_many(session: AsyncSession, rows: list[NewMessage]) -> int:
    """Add many messages at once (a broadcast to every parent); returns how many rows were
    added. Existing dedupe_keys are skipped; a long text adds one row per part."""
    now = utcnow()
    values = [value for message in rows for value in _rows(message, now)]
    return await repo.insert_ignoring_duplicates(session, values)


def _rows(message: NewMessage, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows of one message (several for a long text), validated."""
    key, kind, payload = message.dedupe_key, message.kind, message.payload
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    if not key or PART_MARK in key or len(key) > KEY_LIMIT - PART_ROOM:
        raise ValueError(f"bad dedupe key {key!r}")
    if message.group_key is not None and len(message.group_key) > 64:
        raise ValueError("group key longer than 64 characters")
    not_before = message.not_before or now
    if not_before.tzinfo is None:
        raise ValueError("not_before must be an aware datetime")
    if message.expires_at is not None:
        if message.expires_at.tzinfo is None:
            raise ValueError("expires_at must be an aware datetime")
        payload = {**payload, EXPIRES: message.expires_at.isoformat()}
    caption = payload.get("caption")
    if caption is not None and visible_len(str(caption), html=is_html(payload)) > CAPTION_LIMIT:
        raise ValueError("caption longer than 1024 UTF-16 units")

    parts: list[tuple[str, dict[str, Any]]] = [(key, payload)]
    if kind == "text":
        text = str(payload.get("text") or "")
        if not text.strip():
            raise ValueError("empty text")
        pieces = text_pieces(payload)
        if len(pieces) > 1:
            common = {k: v for k, v in payload.items() if k != "reply_markup"}
            parts = [(f"{key}{PART_MARK}{n}", {**common, "text": piece})
                     for n, piece in enumerate(pieces, 1)]
            if "reply_markup" in payload:  # buttons belong under the whole text
                parts[-1][1]["reply_markup"] = payload["reply_markup"]
    return [
        {
            "dedupe_key": part_key,
            "chat_id": message.chat_id,
            "person_id": message.person_id,
            "kind": kind,
            "payload": json.dumps(part_payload, ensure_ascii=False, separators=(",", ":")),
            "group_key": message.group_key,
            "status": repo.PENDING,
            "attempts": 0,
            "not_before": not_before,
            "created_at": now,
            "claimed_at": None,
            "sent_at": None,
            "error": None,
            "telegram_message_id": None,
            "reminder_id": message.reminder_id,
        }
        for part_key, part_payload in parts
    ]


async def progress(session: AsyncSession, group_key: str) -> Progress:
    """Counts of a group's recipients by outcome: each by their least advanced message, so
    a parent is "sent" once everything for them is."""
    messages: dict[int, tuple[int, str, str | None]] = {}
    for chat_id, status, error in await repo.states(session, group_key):
        rank = _RANK.get(status, 0)
        if chat_id not in messages or rank < messages[chat_id][0]:
            messages[chat_id] = (rank, status, error)
    totals = {"sent": 0, "failed": 0, "blocked": 0, "pending": 0, "dropped": 0, "stopped": 0,
              "quiet": 0}
    errors: dict[str, int] = {}
    for _rank, status, error in messages.values():
        if status == repo.SENT:
            totals["sent"] += 1
        elif status in (repo.PENDING, repo.SENDING):
            totals["pending"] += 1
            if error == "quiet":  # set by the sender when it held the row for the morning
                totals["quiet"] += 1
        elif error == "blocked":
            totals["blocked"] += 1
        elif status == repo.FAILED:
            totals["failed"] += 1
        elif error == "stopped":
            totals["stopped"] += 1
        else:
            totals["dropped"] += 1
        if status in (repo.FAILED, repo.DROPPED) and error:
            errors[error] = errors.get(error, 0) + 1
    return Progress(total=len(messages), errors=errors, **totals)


# Which message speaks for a recipient: unfinished first, then failed, dropped, sent.
_RANK = {repo.PENDING: 0, repo.SENDING: 0, repo.FAILED: 1, repo.DROPPED: 2, repo.SENT: 3}


# --------------------------------------------------------------------------------------------
# rules


def drop_reason(*, stopped: bool, blocked: bool, always: bool) -> str | None:
    """Why a due message must not be sent ("stopped", "blocked"), or None to send it.

    A person who used /stop or blocked the bot gets nothing more, except a message marked
    ``always`` (an answer they asked for, the confirmation of /stop itself).
    """
    if always:
        return None
    if blocked:
        return "blocked"
    if stopped:
        return "stopped"
    return None


def expiry(payload: dict[str, Any]) -> datetime | None:
    """The moment from which a message is worthless (``NewMessage.expires_at``), if any."""
    value = payload.get(EXPIRES)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# --------------------------------------------------------------------------------------------
# splitting long texts


def in_each_language(texts: Mapping[str, str], locale: str) -> dict[str, Any]:
    """A text payload in ``locale`` that follows the person's language when it leaves (see
    :data:`IN_EACH`); only when each text fits one message, since a long one is cut in
    parts per language."""
    payload: dict[str, Any] = {"text": texts[locale]}
    if all(utf16_len(text) <= TEXT_LIMIT for text in texts.values()):
        payload[IN_EACH] = dict(texts)
    return payload


def text_in(payload: Mapping[str, Any], locale: str | None) -> str:
    """A text payload's words in ``locale`` when it has them, else as it was made."""
    return str(payload.get(IN_EACH, {}).get(locale) or payload["text"])


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# Where a text may be cut, best first: between paragraphs, between lines, between words.
# No-break spaces (U+00A0, U+2007, U+202F) are not word boundaries.
_BREAKS = (re.compile(r"\n[ \t]*\n\s*"), re.compile(r"\n\s*"),
           re.compile(r"[^\S\n\u00a0\u2007\u202f]+"))


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a text into parts of at most ``limit`` UTF-16 units, at paragraph, else line, else
    word boundaries; a word longer than the limit is cut between characters (never inside
    a surrogate pair, a combining mark or an emoji sequence). Whitespace at a cut is dropped.
    """
    return [text[start:end] for start, end in _spans(text, limit)]


def _spans(text: str, limit: int) -> list[tuple[int, int]]:
    """Where :func:`split_text` cuts: (start, end) of each part in ``text``."""
    if limit < 2:
        raise ValueError("limit too small")
    spans: list[tuple[int, int]] = []
    start, end = _stripped(text, 0, len(text))
    while utf16_len(rest := text[start:end]) > limit:
        fit = _fitting_prefix(rest, limit)  # characters that fit
        cut = _break_at(rest, fit)
        if cut is None:
            cut = (_grapheme_cut(rest, fit), _grapheme_cut(rest, fit))
        head_end, next_start = cut
        head = _stripped(text, start, start + head_end)
        if head[0] < head[1]:
            spans.append((start, head[1]))
        start = _stripped(text, start + next_start, end)[0]
    if start < end:
        spans.append((start, end))
    return spans


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` without whitespace at either end, as (start, end)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _break_at(text: str, fit: int) -> tuple[int, int] | None:
    """(end of this part, start of the next) at the best boundary within the first ``fit``
    characters, or None when there is none (one very long word)."""
    for pattern in _BREAKS:
        best = None
        # A boundary may start right at the end of what fits (the separator is dropped).
        for match in pattern.finditer(text, 0, min(len(text), fit + 2)):
            if 0 < match.start() <= fit:
                best = match
            elif match.start() > fit:
                break
        if best is not None:
            return best.start(), best.end()
    return None


_ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """A character that belongs to the one before it (combining mark, ZWJ, emoji modifier)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _grapheme_cut(text: str, fit: int) -> int:
    """The last position at or before ``fit`` that does not split a user-perceived
    character (for the rare word longer than a whole message)."""
    cut = fit
    while cut > 1 and (
        _extends(text[cut])
        or text[cut - 1] == _ZWJ
        or unicodedata.combining(text[cut - 1]) == 9  # after a virama (Gurmukhi ੍) a conjunct
        or (_regional(text[cut]) and _regional(text[cut - 1])
            and _odd_run_of_regionals(text, cut))
    ):
        cut -= 1
    return cut if cut > 0 else fit


def _odd_run_of_regionals(text: str, end: int) -> bool:
    """True when an odd number of regional indicators ends at ``end`` (a flag is cut)."""
    count = 0
    while end - count - 1 >= 0 and _regional(text[end - count - 1]):
        count += 1
    return count % 2 == 1


# --------------------------------------------------------------------------------------------
# formatted texts (parse_mode HTML)
#
# Telegram counts a formatted text's length after reading its tags: what the reader sees. A
# long one is cut there, and each part is whole HTML again (a tag open at a cut is closed
# before it and opened again after it: a link cut in two is two links to the same page).

HTML = "HTML"


def text_pieces(payload: dict[str, Any]) -> list[str]:
    """A text payload's text in the parts Telegram takes (``split_html`` for HTML)."""
    text = str(payload.get("text") or "")
    return split_html(text) if is_html(payload) else split_text(text)


def is_html(payload: dict[str, Any]) -> bool:
    """Whether a payload's text or caption is Telegram HTML."""
    return str(payload.get("parse_mode") or "").upper() == HTML


@dataclass(frozen=True)
class Tag:
    """A formatting tag around ``plain[start:end]`` of a read HTML text: its opening tag as
    written (``<a href="...">``) and its closing tag."""

    opening: str
    closing: str
    start: int
    end: int


class _Reader(HTMLParser):
    """The visible text of an HTML text and its tags (offsets in characters)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.open: list[tuple[str, str, int, int]] = []  # name, opening tag, start, order
        self.tags: list[tuple[int, Tag]] = []  # in the order they were opened
        self.broken = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((tag, self.get_starttag_text() or f"<{tag}>", self.length,
                          len(self.open) + len(self.tags)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.broken = True  # <br/> and the like: not Telegram's

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self.broken = True
            return
        _name, opening, start, order = self.open.pop()
        self.tags.append((order, Tag(opening, f"</{tag}>", start, self.length)))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += len(data)


def read_html(source: str) -> tuple[str, list[Tag]] | None:
    """The visible text of a Telegram HTML text and its tags, outer ones first; None when
    it is not well formed."""
    reader = _Reader()
    reader.feed(source)
    reader.close()
    if reader.broken or reader.open:
        return None
    ordered = sorted(reader.tags, key=lambda o: (o[1].start, -o[1].end, o[0]))
    return "".join(reader.parts), [tag for _order, tag in ordered]


def visible_text(source: str) -> str:
    """What a reader sees of an HTML text (the source itself when it is not well formed)."""
    found = read_html(source)
    return found[0] if found is not None else source


def visible_len(text: str, *, html: bool) -> int:
    """The length Telegram counts (UTF-16 units) of a text sent as HTML or as plain text."""
    return utf16_len(visible_text(text) if html else text)


def render_html(plain: str, tags: list[Tag], start: int = 0, end: int | None = None) -> str:
    """``plain[start:end]`` as HTML: escaped, with the tags that cover it (cut to it)."""
    end = len(plain) if end is None else end
    inside = [Tag(t.opening, t.closing, max(t.start, start), min(t.end, end)) for t in tags]
    inside = sorted((t for t in inside if t.start < t.end), key=lambda t: (t.start, -t.end))
    points = sorted({start, end, *(t.start for t in inside), *(t.end for t in inside)})
    out: list[str] = []
    stack: list[Tag] = []
    waiting = iter(inside)
    upcoming = next(waiting, None)
    at = start
    for point in points:
        out.append(html.escape(plain[at:point], quote=False))
        at = point
        while stack and stack[-1].end <= point:
            out.append(stack.pop().closing)
        while upcoming is not None and upcoming.start == point:
            stack.append(upcoming)
            out.append(upcoming.opening)
            upcoming = next(waiting, None)
    out.extend(tag.closing for tag in reversed(stack))
    return "".join(out)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """:func:`split_text` for an HTML text: its visible text is cut (at most ``limit``
    UTF-16 units a part), each part whole HTML. A text that is not well formed is cut as
    plain text (as before)."""
    found = read_html(text) if utf16_len(text) > limit else None
    if found is None:
        return split_text(text, limit)
    plain, tags = found
    spans = _spans(plain, limit)
    if len(spans) <= 1:
        return [text.strip()] if spans else []
    return [render_html(plain, tags, start, end) for start, end in spans]
