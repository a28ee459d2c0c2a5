"""Translations by the team: an activity that lacks its Turkish or Punjabi text is sent to
the brugfiguren who speak that language; the first reply fills it.

A request is an outbox row per brugfiguur with ``group_key = "tr:<activity>:<locale>"``
(``td:`` when only the description is missing); a reply to it in their chat finds the
request by that row (as answers to questions do). The row's payload keeps the Dutch title and
description the request showed: a reply made for a Dutch text that changed since (a file
sent again) is not put under the new one (``importer.still_translates``), and its author gets
the new text to translate. Who wrote each part is kept in
``team_translations``: its author may correct it (a new reply, or an edit of theirs) while it
still reads as they wrote it.

Usage::

    asked = await ask_team(session, missing, members, render)   # from /programme's button
    outcome = await take_reply(session, request, author_id=..., text=..., voice_file_id=...)
    if outcome is Outcome.STALE:
        asked_again = await ask_again(session, request, member, render, now, tz)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services import announcement, outbox
from bot.services import programme as programme_service
from bot.services.announcement import Content, TeamOutcome
from bot.services.broadcast import DRAFT, SENDING
from bot.services.importer.store import still_translates, voice_still_fits
from bot.services.outbox import NewMessage
from bot.services.programme import DUTCH, LocalText, MissingTranslation
from bot.services.staff import StaffMember, message_to
from storage import programme as programme_repo
from storage.models import ActivityText, Broadcast, OutboxMessage, TeamTranslation, utcnow

TITLE_LIMIT = 200
# The parts a reply writes, each with its author: an activity's title and description, an
# announcement's text; a voice message for both.
TITLE, DESCRIPTION, TEXT, VOICE = "title", "description", "text", "voice"
# In a request's outbox payload: the Dutch [title, description] it showed (never sent).
SHOWN = "dutch"


@dataclass(frozen=True)
class Request:
    """What a reply answers: an activity's text (``tr:``) or an announcement draft's
    (``ta:``); ``activity_id`` is then the draft's id."""

    activity_id: int
    locale: str
    announcement: bool = False
    description_only: bool = False  # ``td:``: the whole reply is the description
    # The Dutch the request showed (None: an announcement's, or a request from before this
    # was kept): a reply translates that text, not a newer one.
    dutch: LocalText | None = None


@dataclass(frozen=True)
class ToTranslate:
    """What a brugfiguur is asked to translate, in their chat's language."""

    activity_id: int
    locale: str  # the language to write
    title_nl: str
    description_nl: str
    reader_locale: str
    announcement: bool = False  # an announcement's text, not an activity's title
    has_title: bool = False  # the language has its title: only the description is missing


RenderRequest = Callable[[ToTranslate], str]


def group_key(activity_id: int, locale: str, description_only: bool = False) -> str:
    return f"{'td' if description_only else 'tr'}:{activity_id}:{locale}"


def announcement_key(draft_id: int, locale: str) -> str:
    return f"ta:{draft_id}:{locale}"


async def ask_team_announcement(session: AsyncSession, draft_id: int, locale: str,
                                 dutch_text: str, members: Sequence[StaffMember],
                                 render: RenderRequest, now: datetime, *,
                                 attachment: tuple[str, str] | None = None) -> list[NewMessage]:
    """Ask the speakers of ``locale`` to translate an announcement draft's Dutch text.
    ``attachment``: the (kind, file_id) of its photo or PDF, sent right before the request
    (a caption says little of a letter); a reply to either is a reply to the request.
    Returns the requests queued (``not_before``: when each colleague sees theirs)."""
    key = announcement_key(draft_id, locale)
    rows: list[NewMessage] = []
    for member in members:
        if not member.can_be_asked_in(locale):
            continue
        request = message_to(member, f"{key}:{member.id}",
                             render(ToTranslate(draft_id, locale, dutch_text, "", member.locale,
                                                announcement=True)), now, group_key=key)
        if attachment is not None:
            kind, file_id = attachment
            payload = {k: v for k, v in request.payload.items() if k != "text"}
            rows.append(replace(request, dedupe_key=f"{key}:{member.id}:file", kind=kind,
                                payload={**payload, "file_id": file_id}))
        rows.append(request)
    await outbox.enqueue_many(session, rows)
    return [row for row in rows if row.kind == "text"]


async def asked_locales(session: AsyncSession, draft_id: int) -> set[str]:
    """The languages the team was asked to write for this announcement draft."""
    keys = await session.scalars(select(OutboxMessage.group_key).where(
        OutboxMessage.group_key.startswith(f"ta:{draft_id}:", autoescape=True)).distinct())
    return {key.rsplit(":", 1)[1] for key in keys if key}


async def open_announcement_request(session: AsyncSession,
                                    chat_id: int) -> tuple[int, str] | None:
    """The newest announcement translation request this colleague got whose draft still
    waits for that language (being written, or sent with copies in that language still
    waiting for the parents' morning): (draft id, language). For a colleague who typed
    their translation without replying to the request (it is not taken: say how to)."""
    keys = await session.scalars(
        select(OutboxMessage.group_key).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.kind == "text",
            OutboxMessage.telegram_message_id.is_not(None),
            OutboxMessage.group_key.startswith("ta:", autoescape=True))
        .order_by(OutboxMessage.id.desc()).limit(20))
    for key in keys:
        _prefix, target, locale = (key or "::").split(":", 2)
        draft = await session.get(Broadcast, int(target)) if target.isdigit() else None
        if (draft is not None and draft.status in (DRAFT, SENDING)
                and locale not in Content.from_json(draft.content).parts
                and (draft.status == DRAFT
                     or await announcement.waiting_readers(session, draft.id, locale))):
            return draft.id, locale
    return None


async def ask_team(session: AsyncSession, missing: Sequence[MissingTranslation],
                   members: Sequence[StaffMember], render: RenderRequest,
                   stamp: int | str, now: datetime) -> int:
    """One request per missing language of each activity, to every brugfiguur who speaks
    it; returns how many messages were queued (a ``stamp`` used before for the same request
    and colleague queues nothing again)."""
    rows: list[NewMessage] = []
    for entry in missing:
        row = await programme_repo.by_id(session, entry.activity_id)
        if row is None:
            continue
        texts = {t.locale: t for t in row.texts}
        dutch = texts.get(DUTCH)
        shown = [dutch.title, dutch.description] if dutch else ["", ""]
        for locale in entry.missing_locales:
            has_title = bool(locale in texts and texts[locale].title)
            for member in members:
                if not member.can_be_asked_in(locale):
                    continue
                text = render(ToTranslate(entry.activity_id, locale, dutch.title if dutch else "",
                                          dutch.description if dutch else "", member.locale,
                                          has_title=has_title))
                key = group_key(entry.activity_id, locale, description_only=has_title)
                message = message_to(member, f"{key}:{member.id}:{stamp}", text, now,
                                     group_key=key)
                rows.append(replace(message, payload={**message.payload, SHOWN: shown}))
    await outbox.enqueue_many(session, rows)
    return len(rows)


async def request_of_reply(session: AsyncSession, chat_id: int,
                           replied_message_id: int) -> Request | None:
    found = (await session.execute(select(OutboxMessage.group_key, OutboxMessage.payload).where(
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.telegram_message_id == replied_message_id,
        OutboxMessage.group_key.like("t_:%")).limit(1))).first()
    if found is None or found[0] is None or found[0][:3] not in ("tr:", "td:", "ta:"):
        return None
    prefix, target, locale = found[0].split(":", 2)
    if not target.isdigit():
        return None
    return Request(int(target), locale, announcement=prefix == "ta",
                   description_only=prefix == "td", dutch=shown_dutch(found[1]))


def shown_dutch(payload: str) -> LocalText | None:
    """The Dutch title and description a request's outbox payload kept (``SHOWN``)."""
    try:
        value: Any = json.loads(payload).get(SHOWN)
    except (ValueError, AttributeError):
        return None
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(part, str) for part in value)):
        return None
    return LocalText(value[0], value[1])


class Outcome(StrEnum):
    SAVED = "saved"
    VOICE_SAVED = "voice_saved"
    UPDATED = "updated"  # the author corrected their own words
    VOICE_UPDATED = "voice_updated"
    ALREADY_DONE = "already_done"  # a colleague was first
    VOICE_ALREADY_DONE = "voice_already_done"
    ALREADY_SENT = "already_sent"  # an announcement that went out: parents have it
    CANCELLED = "cancelled"  # an announcement the coordinator stopped: nothing went out
    GONE = "gone"  # the activity was deleted
    STALE = "stale"  # made for a Dutch text that changed since: nothing saved
    EMPTY = "empty"
    TOO_LONG = "too_long"  # a caption under a photo or file: nothing saved, never cut


def split_reply(text: str) -> tuple[str, str]:
    """The title on the first line, the description below it. A first line too long for a
    title (all written as one paragraph): its first sentence is the title, if short enough,
    else its first words; the rest is the description. No word is dropped."""
    lines = text.strip().splitlines()
    if not lines:
        return "", ""
    first, below = lines[0].strip(), "\n".join(lines[1:]).strip()
    if len(first) <= TITLE_LIMIT:
        return first, below
    sentence = re.match(r"(.+?[.!?।])\s+", first)
    if sentence and len(sentence[1]) <= TITLE_LIMIT:
        title, rest = sentence[1], first[sentence.end():]
    else:
        title, rest = first[:TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…", first
    return title, "\n".join(part for part in (rest, below) if part)


def merge(current: Mapping[str, str], reply: Mapping[str, str],
          mine: Set[str]) -> tuple[dict[str, str], Outcome]:
    """What a reply writes, part by part (title, description): an empty part is filled, the
    replier's own part (still as they wrote it) is replaced, a colleague's is never touched.
    A part the reply leaves empty stays as it is: no word is lost."""
    written = {part: words for part, words in reply.items()
               if words and (not current.get(part) or part in mine)}
    if not written:
        return written, Outcome.ALREADY_DONE
    replaced = any(current.get(part) for part in written)
    return written, Outcome.UPDATED if replaced else Outcome.SAVED


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def target_of(request: Request) -> str:
    """Whose words these are is kept per language of an activity or of a draft (``td:`` and
    ``tr:`` requests fill the same text)."""
    return f"{'ta' if request.announcement else 'tr'}:{request.activity_id}:{request.locale}"


async def own_parts(session: AsyncSession, target: str, person_id: int,
                    current: Mapping[str, str]) -> set[str]:
    """The parts ``person_id`` wrote that still read as they left them."""
    rows = await session.scalars(select(TeamTranslation).where(
        TeamTranslation.target == target, TeamTranslation.person_id == person_id))
    return {row.part for row in rows
            if current.get(row.part) and row.digest == digest(current[row.part])}


async def remember(session: AsyncSession, target: str, person_id: int,
                   written: Mapping[str, str]) -> None:
    """Record who wrote these parts (a part has one author: the last to write it)."""
    for part, value in written.items():
        row = await session.scalar(select(TeamTranslation).where(
            TeamTranslation.target == target, TeamTranslation.part == part))
        if row is None:
            session.add(TeamTranslation(target=target, part=part, person_id=person_id,
                                        digest=digest(value)))
        else:
            row.person_id, row.digest = person_id, digest(value)


def still_fits(request: Request, dutch: LocalText, *, title: bool, description: bool,
               voice: bool) -> bool:
    """Whether the parts a reply writes (its title, description, voice) still translate the
    Dutch as it is now: the importer's rule (``still_translates``) against the Dutch the
    request showed. A request that kept no Dutch is taken as it is."""
    if request.dutch is None:
        return True
    if voice:
        return voice_still_fits(request.dutch, dutch)
    title_fits, description_fits = still_translates(request.dutch, dutch)
    return (title_fits or not title) and (description_fits or not description)


async def take_reply(session: AsyncSession, request: Request, *, author_id: int,
                     text: str | None, voice_file_id: str | None) -> Outcome:
    """Fill the language's empty text or voice from a brugfiguur's reply; their own earlier
    words or voice (still in use) are replaced: a new reply or an edit corrects them. Words
    or a voice made for a Dutch text that changed since are not saved (``Outcome.STALE``)."""
    row = await programme_repo.by_id(session, request.activity_id)
    if row is None:
        return Outcome.GONE
    nl = next((t for t in row.texts if t.locale == DUTCH), None)
    dutch = LocalText(nl.title, nl.description) if nl else LocalText()
    if voice_file_id is not None:
        reply = {VOICE: voice_file_id}
        fits = still_fits(request, dutch, title=False, description=False, voice=True)
    else:
        if request.description_only:  # the request said the title is there: all of it
            title, description = "", (text or "").strip()
        else:
            title, description = split_reply(text or "")
        if not (title or description):
            return Outcome.EMPTY
        reply = {TITLE: title, DESCRIPTION: description}
        fits = still_fits(request, dutch, title=bool(title), description=bool(description),
                          voice=False)
    if not fits:
        return Outcome.STALE
    own = next((t for t in row.texts if t.locale == request.locale), None)
    target = target_of(request)
    current = {TITLE: own.title, DESCRIPTION: own.description,
               VOICE: own.voice_file_id or ""} if own else {}
    mine = await own_parts(session, target, author_id, current)
    written, outcome = merge(current, reply, mine)
    if not written:  # a colleague's words or voice are never overwritten
        return Outcome.VOICE_ALREADY_DONE if VOICE in reply else outcome
    if own is None:  # written only now: nothing saved leaves no empty row behind
        own = ActivityText(locale=request.locale, title="", description="")
        row.texts.append(own)
    own.title = written.get(TITLE, own.title)
    own.description = written.get(DESCRIPTION, own.description)
    own.voice_file_id = written.get(VOICE, own.voice_file_id)
    # A change of the activity: an /activity edit opened before must not save over it
    # (activity_draft.save compares updated_at).
    row.updated_at = utcnow()
    await remember(session, target, author_id, written)
    await session.flush()
    if VOICE in reply:
        return Outcome.VOICE_UPDATED if outcome is Outcome.UPDATED else Outcome.VOICE_SAVED
    return outcome


async def ask_again(session: AsyncSession, request: Request, member: StaffMember,
                    render: RenderRequest, now: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """After a reply made for an older Dutch text: its author is asked the text as it is
    now, while the activity is still to come and the language still lacks it. The same
    new Dutch is asked of them once, however often they answer the old request. False when
    nothing is asked (nothing is missing any more, or the activity is over)."""
    missing = next((entry for entry in await programme_service.missing_translations(
        session, now.astimezone(tz).date(), tz) if entry.activity_id == request.activity_id
        and request.locale in entry.missing_locales), None)
    if missing is None or not member.can_be_asked_in(request.locale):
        return False
    row = await programme_repo.by_id(session, request.activity_id)
    nl = next((t for t in row.texts if t.locale == DUTCH), None) if row else None
    stamp = "again-" + digest(f"{nl.title}\n{nl.description}" if nl else "")[:16]
    await ask_team(session, [replace(missing, missing_locales=(request.locale,))], [member],
                   render, stamp, now)
    return True


async def take_announcement_reply(session: AsyncSession, request: Request, *, author_id: int,
                                  text: str | None, voice_file_id: str | None,
                                  html: bool = False, marks: Mapping[str, str] | None = None,
                                  originals: Mapping[str, str] | None = None,
                                  ) -> tuple[Outcome, int | None]:
    """The same for an announcement draft; returns the outcome and the draft's author. Once
    the announcement went out, parents keep what they got: a first reply still fills the
    copies that wait whole for the morning (``marks``, ``originals``: as for
    ``announcement.start``), a correction changes nothing. ``html``: the text is Telegram
    HTML (the reply's formatting)."""
    part = VOICE if voice_file_id is not None else TEXT
    current: dict[str, str] = {}
    draft = await session.get(Broadcast, request.activity_id)
    if draft is not None and draft.kind == announcement.ANNOUNCEMENT \
            and draft.status in (DRAFT, SENDING):
        content = Content.from_json(draft.content)
        if part == TEXT and announcement.caption_problem(
                content, request.locale, announcement.Part("text", (text or "").strip(),
                                                           None, html)) is not None:
            # Cut, the parents would read half a sentence: said, and the old one kept.
            return Outcome.TOO_LONG, draft.created_by
        current = _announcement_parts(content, request.locale)
        target = target_of(request)
        if part in await own_parts(session, target, author_id, current):
            if draft.status != DRAFT:  # some parents may have read their first words
                return Outcome.ALREADY_SENT, draft.created_by
            # Their own: taken out, so the reply fills it again exactly as a first one does.
            parts = {code: p for code, p in content.parts.items()
                     if part == VOICE or code != request.locale}
            voices = {code: v for code, v in content.voices.items()
                      if part == TEXT or code != request.locale}
            draft.content = Content(parts, voices, content.urgent).to_json()
    outcome, author = await announcement.take_team_translation(
        session, request.activity_id, request.locale, text=text, voice_file_id=voice_file_id,
        html=html, marks=marks, originals=originals)
    if outcome not in (TeamOutcome.SAVED, TeamOutcome.VOICE_SAVED):
        return ANNOUNCEMENT_OUTCOMES[outcome], author
    assert draft is not None
    written = _announcement_parts(Content.from_json(draft.content), request.locale)
    await remember(session, target_of(request), author_id, {part: written[part]})
    replaced = bool(current.get(part))
    await session.flush()
    if part == VOICE:
        return (Outcome.VOICE_UPDATED if replaced else Outcome.VOICE_SAVED), author
    return (Outcome.UPDATED if replaced else Outcome.SAVED), author


def _announcement_parts(content: Content, locale: str) -> dict[str, str]:
    """A draft's language as the parts a reply writes: its text (or caption), its voice."""
    found = content.parts.get(locale)
    text = json.dumps([found.kind, found.text, found.file_id]) if found else ""
    return {TEXT: text, VOICE: content.voices.get(locale, "")}


ANNOUNCEMENT_OUTCOMES = {
    TeamOutcome.SAVED: Outcome.SAVED,
    TeamOutcome.VOICE_SAVED: Outcome.VOICE_SAVED,
    TeamOutcome.ALREADY_DONE: Outcome.ALREADY_DONE,
    TeamOutcome.VOICE_ALREADY_DONE: Outcome.VOICE_ALREADY_DONE,
    TeamOutcome.ALREADY_SENT: Outcome.ALREADY_SENT,
    TeamOutcome.CANCELLED: Outcome.CANCELLED,
}
