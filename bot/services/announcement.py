"""Free announcements by the coordinator: a text, a photo or a PDF, translated or Dutch only,
with a voice message per language for parents who read little.

Usage::

    draft = await create_draft(session, created_by=coordinator.id)   # awaits "nl" first
    draft = await awaiting_draft(session, coordinator.id)            # None: not asking
    await store_part(session, draft.id, Part("photo", "Caption", file_id))  # then "tr"...
    await store_voice(session, draft.id, file_id)                     # on a "voice:xx" step
    await skip(session, draft.id)                                     # "Dutch only" / "Skip"
    total = await start(session, draft.id, marks, status_chat_id=..., status_message_id=...)

The draft row (table ``broadcasts``, kind "announcement") is the conversation's state: its
``awaiting`` column says what the bot asks for next, ``content`` holds what was given.
The audience is the broadcast's (bot.services.broadcast.Audience). No Telegram types here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, DEFAULT_LOCALE, LANGUAGE_NAMES
from bot.services import outbox
from bot.services.broadcast import (
    CANCELLED,
    DRAFT,
    SENDING,
    Audience,
    Recipient,
    group_key,
    mark_sending,
    recipient_now,
    recipients,
    replace_copies,
    replace_copy,
    waiting_copies,
    waiting_people,
)
from bot.services.dutch_below import CAPTION_LIMIT, with_dutch_below
from bot.services.outbox import (
    FOR_SCHOOLS,
    HTML,
    URGENT,
    NewMessage,
    read_html,
    utf16_len,
    visible_text,
)
from bot.services.reminders import QuietHours, default_quiet
from storage.models import Broadcast, Person, utcnow

ANNOUNCEMENT = "announcement"
DUTCH = DEFAULT_LOCALE
# What the bot asks for, in order: the Dutch original, the translations, then the voices.
TEXT_STEPS = ("nl", "tr", "pa")
VOICE_PREFIX = "voice:"
VOICE_STEPS = tuple(VOICE_PREFIX + code for code in ("tr", "pa", "nl"))
STEPS = TEXT_STEPS + VOICE_STEPS
MEDIA_KINDS = ("photo", "document")
# Telegram allows 1024 for a caption; some room is kept for the "(in Dutch)" mark.
CAPTION_MAX = 1000
# A draft left waiting longer than this no longer takes the coordinator's messages.
AWAIT_FOR = timedelta(hours=24)
# Telegram's apps split a text longer than 4096 characters into messages sent one right
# after the other (at a word, so the first may be a little shorter).
SPLIT_NEAR = 3800
SPLIT_WITHIN = timedelta(seconds=5)
SPLIT_SHARE = 0.5  # of its words in the Dutch: the same language
# A rest at most a quarter as long as the first part: no translation of it is that short.
SPLIT_TAIL = 4
_WORD = re.compile(r"\w{3,}")


@dataclass(frozen=True)
class Part:
    """One language's content: kind "text", "photo" or "document"; the text or caption; the
    Telegram file_id of a photo or document. ``html``: the text is Telegram HTML (the
    coordinator's bold, links... kept as written); else plain text, as a team member's reply
    and every part stored before formatting was kept."""

    kind: str
    text: str = ""
    file_id: str | None = None
    html: bool = False

    @property
    def visible(self) -> str:
        """The words a parent reads (what Telegram's limits count)."""
        return visible_text(self.text) if self.html else self.text

    @property
    def as_html(self) -> str:
        return self.text if self.html else html.escape(self.text, quote=False)


@dataclass(frozen=True)
class Content:
    parts: Mapping[str, Part] = field(default_factory=dict)  # locale -> part
    voices: Mapping[str, str] = field(default_factory=dict)  # locale -> voice file_id
    # Sent as urgent: to everyone at once, quiet hours or not (copies made again keep it).
    urgent: bool = False

    def to_json(self) -> str:
        return json.dumps({
            "parts": {code: {"kind": p.kind, "text": p.text, "file_id": p.file_id,
                             **({"format": HTML} if p.html else {})}
                      for code, p in self.parts.items()},
            "voices": dict(self.voices),
            **({"urgent": True} if self.urgent else {}),
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> Content:
        """A part without ``"format": "HTML"`` is plain text (a draft stored before
        formatting was kept reads, and is sent, as it was)."""
        data = json.loads(raw or "{}")
        parts = {code: Part(str(p["kind"]), str(p.get("text") or ""), p.get("file_id"),
                            p.get("format") == HTML)
                 for code, p in (data.get("parts") or {}).items()}
        return cls(parts, {str(k): str(v) for k, v in (data.get("voices") or {}).items()},
                   bool(data.get("urgent")))


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    created_by: int | None
    status: str
    awaiting: str | None
    content: Content
    audience: Audience
    created_at: datetime
    asked_at: datetime | None = None  # its last question (None: when created)


def _view(row: Broadcast) -> AnnouncementView:
    return AnnouncementView(row.id, row.created_by, row.status, row.awaiting,
                            Content.from_json(row.content), Audience.from_json(row.audience),
                            row.created_at, row.asked_at)


# --------------------------------------------------------------------------------------------
# plain rules


def next_step(step: str | None) -> str | None:
    """The question after ``step`` (None: all asked, on to the audience)."""
    if step is None or step not in STEPS:
        return None
    index = STEPS.index(step) + 1
    return STEPS[index] if index < len(STEPS) else None


def is_voice_step(step: str | None) -> bool:
    return step is not None and step.startswith(VOICE_PREFIX)


def step_locale(step: str) -> str:
    return step.removeprefix(VOICE_PREFIX)


def effective(content: Content, locale: str) -> tuple[Part, bool] | None:
    """What a parent of ``locale`` reads and whether it is the Dutch original (their language
    has no translation). A text translation of a photo or file becomes its caption: the same
    file, the caption in their language. None before the Dutch original is given."""
    dutch = content.parts.get(DUTCH)
    if dutch is None:
        return None
    own = content.parts.get(locale)
    if own is None:
        return dutch, locale != DUTCH
    if own.kind == "text" and dutch.kind in MEDIA_KINDS:
        return Part(dutch.kind, own.text, dutch.file_id, own.html), False
    return own, False


def caption_problem(content: Content, step: str, part: Part) -> int | None:
    """The length of a caption that is too long for this step (None: fine). What a parent
    reads counts, not the formatting's tags (a link's address is not read)."""
    kind = part.kind
    if kind == "text" and step != DUTCH and (dutch := content.parts.get(DUTCH)) is not None:
        kind = dutch.kind  # a translation of a photo or file is its caption
    length = utf16_len(part.visible)
    return length if kind in MEDIA_KINDS and length > CAPTION_MAX else None


def repeats_dutch(content: Content, step: str, part: Part) -> bool:
    """A translation that is the Dutch text again (sent twice when nothing seemed to
    happen): it would reach that language's parents in Dutch, unmarked."""
    dutch = content.parts.get(DUTCH)
    return (step != DUTCH and dutch is not None and bool(part.visible.strip())
            and part.visible.split() == dutch.visible.split())


def continues_long_text(dutch: Part | None, dutch_at: datetime | None, part: Part,
                        at: datetime) -> bool:
    """Whether ``part`` is the rest of a long Dutch text that Telegram's app split in two
    (sent within seconds of a first part near the limit), not the Turkish translation."""
    return (dutch is not None and dutch.kind == "text" and part.kind == "text"
            and dutch_at is not None and timedelta(0) <= at - dutch_at <= SPLIT_WITHIN
            and utf16_len(dutch.visible) >= SPLIT_NEAR
            # A tail far shorter than any translation of the first part (a letter's closing
            # lines and names), or one that shares its words.
            and (utf16_len(part.visible) * SPLIT_TAIL <= utf16_len(dutch.visible)
                 or dutch_share(dutch, part) >= SPLIT_SHARE))


def dutch_share(dutch: Part, part: Part) -> float:
    """The share of ``part``'s words found in the Dutch text: high for the rest of the same
    letter, low for a translation pasted right after it (only names and links recur)."""
    known = set(_WORD.findall(dutch.visible.lower()))
    found = _WORD.findall(part.visible.lower())
    return sum(word in known for word in found) / len(found) if found else 0.0


def joined(first: Part, rest: Part) -> Part:
    """Two halves of one text as one part, formatted if either half is."""
    if first.html or rest.html:
        return Part("text", f"{first.as_html}\n{rest.as_html}", None, True)
    return Part("text", f"{first.text}\n{rest.text}")


def payloads(content: Content, locale: str, dutch_mark: str,
             reply_markup: dict[str, Any] | None = None, *,
             original: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The outbox messages (kind, payload) for a parent of ``locale``, in order: the content
    (marked with ``dutch_mark`` when it is the Dutch original for someone else), then their
    language's voice message if there is one. ``reply_markup`` goes under the content.
    ``original``: the parent asked for the Dutch original below a translation (/settings),
    under this heading (a caption that would grow too long keeps only the button).
    Formatted parts go as Telegram HTML (parse_mode), the plain words around them (the mark,
    the heading, a plain translation) escaped; all-plain content goes as plain text."""
    found = effective(content, locale)
    if found is None:
        return []
    part, marked = found
    dutch = content.parts.get(DUTCH)
    below = original is not None and dutch is not None and not (marked or locale == DUTCH)
    as_html = part.html or (below and dutch is not None and dutch.html)

    def words(value: str) -> str:
        return html.escape(value, quote=False) if as_html else value

    own = part.as_html if as_html else part.text
    text = f"{words(dutch_mark)}\n\n{own}" if marked and part.text else own
    if marked and not part.text:
        text = words(dutch_mark)
    if original is not None and dutch is not None:
        text = with_dutch_below(text, dutch.as_html if as_html else dutch.text, wanted=True,
                                same=marked or locale == DUTCH, heading=words(original),
                                limit=CAPTION_LIMIT if part.kind in MEDIA_KINDS else None,
                                html=as_html)
    payload: dict[str, Any] = {}
    if part.kind == "text":
        payload["text"] = text
    else:
        payload["file_id"] = part.file_id
        if text:
            payload["caption"] = text
    if as_html and text:
        payload["parse_mode"] = HTML
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    messages: list[tuple[str, dict[str, Any]]] = [(part.kind, payload)]
    if (voice := content.voices.get(locale)) is not None:
        messages.append(("voice", {"file_id": voice}))
    return messages


_HREF = re.compile(r'\shref="([^"]*)"')


def words_to_translate(part: Part) -> str:
    """A part's words as a colleague is asked to translate them: plain text, each link's
    address written after its words (in their plain reply an address is a link again)."""
    if not part.html or (found := read_html(part.text)) is None:
        return part.visible
    plain, tags = found
    pieces, at = [], 0
    for tag in sorted(tags, key=lambda t: t.end):
        href = _HREF.search(tag.opening) if tag.opening.startswith("<a") else None
        url = html.unescape(href[1]) if href else ""
        if url and url != plain[tag.start:tag.end].strip():
            pieces += [plain[at:tag.end], f" ({url})"]
            at = tag.end
    return "".join(pieces) + plain[at:]


def dutch_button(announcement_id: int) -> dict[str, Any]:
    """The 🇧🇪 Nederlands button under a translation: one tap shows the Dutch original."""
    return {"inline_keyboard": [[{"text": f"🇧🇪 {LANGUAGE_NAMES[DUTCH]}",
                                  "callback_data": f"nl:a:{announcement_id}"}]]}


# --------------------------------------------------------------------------------------------
# the draft


async def create_draft(session: AsyncSession, *, created_by: int) -> AnnouncementView:
    """A new draft that first asks for the Dutch original; the author's older announcement
    drafts are cancelled (one conversation at a time)."""
    older = await session.scalars(select(Broadcast).where(
        Broadcast.kind == ANNOUNCEMENT, Broadcast.created_by == created_by,
        Broadcast.status == DRAFT))
    for row in older:
        row.status = CANCELLED
        row.awaiting = None
    row = Broadcast(kind=ANNOUNCEMENT, created_by=created_by, audience=Audience().to_json(),
                    status=DRAFT, awaiting=TEXT_STEPS[0], content=Content().to_json())
    session.add(row)
    await session.flush()
    return _view(row)


async def get(session: AsyncSession, announcement_id: int) -> AnnouncementView | None:
    row = await session.get(Broadcast, announcement_id)
    return _view(row) if row is not None and row.kind == ANNOUNCEMENT else None


async def awaiting_draft(session: AsyncSession, created_by: int,
                         now: datetime | None = None) -> AnnouncementView | None:
    """The author's draft that waits for a message from them, if any (and not stale)."""
    since = (now or utcnow()) - AWAIT_FOR
    row = await session.scalar(
        select(Broadcast).where(
            Broadcast.kind == ANNOUNCEMENT, Broadcast.created_by == created_by,
            Broadcast.status == DRAFT, Broadcast.awaiting.is_not(None),
            Broadcast.created_at >= since,
        ).order_by(Broadcast.id.desc()).limit(1)
    )
    return _view(row) if row is not None else None


async def _draft_row(session: AsyncSession, announcement_id: int) -> Broadcast:
    row = await session.get(Broadcast, announcement_id)
    assert row is not None and row.kind == ANNOUNCEMENT and row.status == DRAFT
    return row


async def store_part(session: AsyncSession, announcement_id: int, part: Part) -> str | None:
    """Keep the content for the awaited language; returns the next step."""
    row = await _draft_row(session, announcement_id)
    assert row.awaiting in TEXT_STEPS
    content = Content.from_json(row.content)
    row.content = Content({**content.parts, row.awaiting: part}, content.voices).to_json()
    row.awaiting, row.asked_at = next_step(row.awaiting), utcnow()
    return row.awaiting


async def extend_text(session: AsyncSession, announcement_id: int, rest: Part,
                       locale: str = DUTCH) -> None:
    """The rest of a long text split by Telegram joins its first part (the Dutch, or the
    translation of ``locale`` asked before); the question (the next language) stays as it
    was."""
    row = await _draft_row(session, announcement_id)
    content = Content.from_json(row.content)
    parts = {**content.parts, locale: joined(content.parts[locale], rest)}
    row.content = Content(parts, content.voices, content.urgent).to_json()


async def store_voice(session: AsyncSession, announcement_id: int, file_id: str) -> str | None:
    """Keep the voice message for the awaited language; returns the next step."""
    row = await _draft_row(session, announcement_id)
    assert is_voice_step(row.awaiting) and row.awaiting is not None
    content = Content.from_json(row.content)
    voices = {**content.voices, step_locale(row.awaiting): file_id}
    row.content = Content(content.parts, voices).to_json()
    row.awaiting, row.asked_at = next_step(row.awaiting), utcnow()
    return row.awaiting


async def skip(session: AsyncSession, announcement_id: int, step: str) -> str | None:
    """"Dutch only" or "Skip" for ``step`` (the step the button was shown for; a button of an
    earlier question changes nothing). Returns the step now awaited."""
    row = await _draft_row(session, announcement_id)
    if row.awaiting == step and step != TEXT_STEPS[0]:
        row.awaiting, row.asked_at = next_step(step), utcnow()
    return row.awaiting


async def cancel(session: AsyncSession, announcement_id: int) -> None:
    """Cancelled: nothing is sent and nothing more is awaited."""
    row = await _draft_row(session, announcement_id)
    row.status = CANCELLED
    row.awaiting = None


async def start(
    session: AsyncSession,
    announcement_id: int,
    marks: Mapping[str, str],
    *,
    status_chat_id: int,
    status_message_id: int,
    originals: Mapping[str, str] | None = None,
) -> int:
    """Turn a finished draft into outbox rows: per parent the content in their language and
    right after it their language's voice message. ``marks``: the "(in Dutch)" mark per
    language; ``originals``: per language, the heading of the Dutch original below a
    translation, for parents who asked for it (/settings). Returns the number of parents."""
    row = await _draft_row(session, announcement_id)
    assert row.awaiting is None
    content = Content.from_json(row.content)
    audience = Audience.from_json(row.audience)
    people = await recipients(session, audience)
    messages = [message for recipient in people for message in _copy(
        announcement_id, content, recipient, marks, originals, audience.schools)]
    await outbox.enqueue_many(session, messages)
    mark_sending(row, messages, status_chat_id, status_message_id)
    return len(people)


async def quiet_now(session: AsyncSession, audience: Audience, now: datetime,
                    tz: ZoneInfo = BRUSSELS) -> tuple[int, datetime | None]:
    """How many parents of the audience have quiet hours now (a normal send reaches them
    only when these end), and when the last of those ends: said before sending, so that
    "tomorrow" written at 21:30 is not read as the day after."""
    people = await recipients(session, audience)
    usual = await default_quiet(session)
    own = dict((await session.execute(select(Person.id, Person.quiet_hours).where(
        Person.quiet_hours.is_not(None)))).all())
    ends = [quiet.end_after(now, tz) for person in people
            for quiet in [QuietHours.parse(own.get(person.person_id)) or usual]
            if quiet.covers(now, tz)]
    return len(ends), max(ends, default=None)


async def make_urgent(session: AsyncSession, announcement_id: int) -> None:
    """📣 Urgent: every copy goes now, quiet hours or not (before :func:`start`)."""
    row = await _draft_row(session, announcement_id)
    content = Content.from_json(row.content)
    row.content = Content(content.parts, content.voices, urgent=True).to_json()


def _copy(announcement_id: int, content: Content, recipient: Recipient,
          marks: Mapping[str, str], originals: Mapping[str, str] | None,
          schools: frozenset[int] | None) -> list[NewMessage]:
    """One parent's rows: the content in their language, then their language's voice.
    ``schools``: the audience's (None: all), which the sender checks when a row leaves."""
    locale = recipient.locale
    translated = locale != DUTCH and locale in content.parts
    markup = dutch_button(announcement_id) if translated else None
    key = f"announce:{announcement_id}:{recipient.person_id}"
    # An urgent one is not held by quiet hours (the sender's mark for that); a parent who
    # uses /stop while it goes out still gets nothing. One for some schools reaches her only
    # if she still has one of them when it leaves (a child who changed school that evening;
    # ticked again by mistake and back, it still comes).
    marked = {**({URGENT: True} if content.urgent else {}),
              **({FOR_SCHOOLS: sorted(schools)} if schools is not None else {})}
    return [NewMessage(dedupe_key=key if index == 0 else f"{key}:{kind}",
                       chat_id=recipient.telegram_id, person_id=recipient.person_id, kind=kind,
                       payload={**payload, **marked}, group_key=group_key(announcement_id))
            for index, (kind, payload) in enumerate(
                payloads(content, locale, marks.get(locale, ""), markup,
                         original=(originals or {}).get(locale) if recipient.dutch_below
                         else None))]


async def redo_waiting(session: AsyncSession, person_id: int, marks: Mapping[str, str], *,
                       originals: Mapping[str, str] | None = None) -> int:
    """A parent changed language while an announcement's copy waits for them (their quiet
    hours, or its turn): it is made again in their language now. Returns how many copies
    were made again (``broadcast.redo_waiting`` does the same for the programme). Her
    schools are the sender's to check when it leaves (``outbox.FOR_SCHOOLS``)."""
    redone = 0
    for row, when in await waiting_copies(session, person_id, ANNOUNCEMENT):
        recipient = await recipient_now(session, person_id)
        if recipient is not None:
            redone += await replace_copy(
                session, person_id, row.id,
                _copy(row.id, Content.from_json(row.content), recipient, marks, originals,
                      Audience.from_json(row.audience).schools), when)
    return redone


# --------------------------------------------------------------------------------------------
# translations by the team


class TeamOutcome(StrEnum):
    SAVED = "saved"
    VOICE_SAVED = "voice_saved"
    ALREADY_DONE = "already_done"
    VOICE_ALREADY_DONE = "voice_already_done"
    ALREADY_SENT = "already_sent"  # too late: the announcement went out
    CANCELLED = "cancelled"  # the coordinator stopped it (or started over): nothing went out


async def take_team_translation(session: AsyncSession, announcement_id: int, locale: str, *,
                                text: str | None, voice_file_id: str | None,
                                html: bool = False, marks: Mapping[str, str] | None = None,
                                originals: Mapping[str, str] | None = None,
                                ) -> tuple[TeamOutcome, int | None]:
    """A brugfiguur's reply fills the draft's language (a photo or file keeps the Dutch one,
    with the reply as its caption). ``html``: the text is Telegram HTML, their formatting.
    Once sent, it is still taken while copies for that language wait whole (quiet hours
    hold them for the morning): those are made again with it (``marks``, ``originals`` as
    for :func:`start`). Of two replies at once the first wins. Returns the outcome and the
    draft's author."""
    row = await session.get(Broadcast, announcement_id)
    if row is not None and row.kind == ANNOUNCEMENT and row.status == CANCELLED:
        return TeamOutcome.CANCELLED, row.created_by
    if row is None or row.kind != ANNOUNCEMENT or row.status not in (DRAFT, SENDING):
        return TeamOutcome.ALREADY_SENT, None
    waiting = await waiting_readers(session, row.id, locale) if row.status == SENDING else {}
    if row.status == SENDING and not waiting:
        return TeamOutcome.ALREADY_SENT, None  # every copy of that language has left
    for _attempt in range(SWAP_TRIES):
        content = Content.from_json(row.content)
        outcome, filled = with_translation(content, locale, text, voice_file_id, html)
        if filled is None:
            # A colleague's reply in this language came first (two at once): theirs stays.
            return outcome, row.created_by
        if await _swap(session, row, filled):
            break
        # Something else changed meanwhile (another language's reply, the coordinator):
        # read again and add this one to it.
        if row.status not in (DRAFT, SENDING):
            return TeamOutcome.ALREADY_SENT, None
    else:
        return (TeamOutcome.VOICE_ALREADY_DONE if voice_file_id is not None
                else TeamOutcome.ALREADY_DONE), row.created_by
    if waiting:
        await replace_copies(session, row.id, {
            recipient.person_id: (_copy(row.id, filled, recipient, marks or {}, originals,
                                        Audience.from_json(row.audience).schools),
                                  when) for recipient, when in waiting.values()})
    return outcome, row.created_by


def with_translation(content: Content, locale: str, text: str | None,
                     voice_file_id: str | None, html: bool) -> tuple[TeamOutcome, Content | None]:
    """The content with a colleague's reply in ``locale``; None when that language already
    has it (a text or a voice is never overwritten here)."""
    if voice_file_id is not None:
        if locale in content.voices:
            return TeamOutcome.VOICE_ALREADY_DONE, None
        return TeamOutcome.VOICE_SAVED, Content(
            content.parts, {**content.voices, locale: voice_file_id}, content.urgent)
    if locale in content.parts:
        return TeamOutcome.ALREADY_DONE, None
    dutch = content.parts.get(DUTCH)
    part = Part("text", (text or "").strip(), None, html)
    if dutch is not None and dutch.kind in MEDIA_KINDS:
        if part.html and utf16_len(part.visible) > CAPTION_MAX:
            part = Part("text", part.visible.strip())  # cut below: a tag is never cut in two
        part = Part(dutch.kind, part.text if part.html else part.text[:CAPTION_MAX],
                    dutch.file_id, part.html)
    return TeamOutcome.SAVED, Content({**content.parts, locale: part}, content.voices,
                                      content.urgent)


# Replies that change the same draft at once (a Turkish and a Punjabi one): each tries again
# on what the other wrote, a few times.
SWAP_TRIES = 5


async def _swap(session: AsyncSession, row: Broadcast, content: Content) -> bool:
    """Write the new content only if the row still holds what was read (and is in the same
    state): False when another reply or the coordinator changed it first."""
    await session.flush()
    done = await session.execute(
        update(Broadcast).where(Broadcast.id == row.id, Broadcast.content == row.content,
                                Broadcast.status == row.status)
        .values(content=content.to_json()).execution_options(synchronize_session=False))
    await session.refresh(row)
    return bool(getattr(done, "rowcount", 0))


async def waiting_readers(session: AsyncSession, announcement_id: int,
                          locale: str) -> dict[int, tuple[Recipient, datetime]]:
    """The parents reading ``locale`` whose copy of a sent announcement still waits whole,
    each with when it is due (parents who /stop or block meanwhile are left to the sender,
    as ``broadcast.redo_all_waiting`` leaves them)."""
    waiting = await waiting_people(session, announcement_id)
    if not waiting:
        return {}
    readers = {r.person_id: r for r in await recipients(
        session, Audience(locales=frozenset({locale})))}
    return {person_id: (readers[person_id], when) for person_id, when in waiting.items()
            if person_id in readers}
