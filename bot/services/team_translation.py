"""Translations by the team: an activity that lacks its Turkish or Punjabi text is sent to
the brugfiguren who speak that language; the first reply fills it.

A request is an outbox row per brugfiguur with ``group_key = "tr:<activity>:<locale>"``
(``td:`` when only the description is missing); a reply to it in their chat finds the
request by that row (as answers to questions do).

Usage::

    asked = await ask_team(session, missing, members, render)   # from /programme's button
    outcome = await take_reply(session, request, text=..., voice_file_id=...)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox
from bot.services.outbox import NewMessage
from bot.services.programme import MissingTranslation
from bot.services.staff import StaffMember, message_to
from storage import programme as programme_repo
from storage.models import ActivityText, OutboxMessage

TITLE_LIMIT = 200


@dataclass(frozen=True)
class Request:
    """What a reply answers: an activity's text (``tr:``) or an announcement draft's
    (``ta:``); ``activity_id`` is then the draft's id."""

    activity_id: int
    locale: str
    announcement: bool = False
    description_only: bool = False  # ``td:``: the whole reply is the description


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
                                 render: RenderRequest, now: datetime) -> int:
    """Ask the speakers of ``locale`` to translate an announcement draft's Dutch text."""
    rows = [message_to(member, f"{announcement_key(draft_id, locale)}:{member.id}",
                       render(ToTranslate(draft_id, locale, dutch_text, "", member.locale,
                                          announcement=True)), now,
                       group_key=announcement_key(draft_id, locale))
            for member in members if member.can_be_asked_in(locale)]
    await outbox.enqueue_many(session, rows)
    return len(rows)


async def ask_team(session: AsyncSession, missing: Sequence[MissingTranslation],
                   members: Sequence[StaffMember], render: RenderRequest,
                   stamp: int, now: datetime) -> int:
    """One request per missing language of each activity, to every brugfiguur who speaks
    it; returns how many messages were queued."""
    rows: list[NewMessage] = []
    for entry in missing:
        row = await programme_repo.by_id(session, entry.activity_id)
        if row is None:
            continue
        texts = {t.locale: t for t in row.texts}
        dutch = texts.get("nl")
        for locale in entry.missing_locales:
            has_title = bool(locale in texts and texts[locale].title)
            for member in members:
                if not member.can_be_asked_in(locale):
                    continue
                text = render(ToTranslate(entry.activity_id, locale, dutch.title if dutch else "",
                                          dutch.description if dutch else "", member.locale,
                                          has_title=has_title))
                key = group_key(entry.activity_id, locale, description_only=has_title)
                rows.append(message_to(member, f"{key}:{member.id}:{stamp}", text, now,
                                       group_key=key))
    await outbox.enqueue_many(session, rows)
    return len(rows)


async def request_of_reply(session: AsyncSession, chat_id: int,
                           replied_message_id: int) -> Request | None:
    key = await session.scalar(select(OutboxMessage.group_key).where(
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.telegram_message_id == replied_message_id,
        OutboxMessage.group_key.like("t_:%")).limit(1))
    if key is None or key[:3] not in ("tr:", "td:", "ta:"):
        return None
    prefix, target, locale = key.split(":", 2)
    if not target.isdigit():
        return None
    return Request(int(target), locale, announcement=prefix == "ta",
                   description_only=prefix == "td")


class Outcome(StrEnum):
    SAVED = "saved"
    VOICE_SAVED = "voice_saved"
    ALREADY_DONE = "already_done"  # a colleague was first
    VOICE_ALREADY_DONE = "voice_already_done"
    GONE = "gone"  # the activity was deleted
    EMPTY = "empty"


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


async def take_reply(session: AsyncSession, request: Request, *, text: str | None,
                     voice_file_id: str | None) -> Outcome:
    """Fill the language's text (if still empty) or voice from a brugfiguur's reply."""
    row = await programme_repo.by_id(session, request.activity_id)
    if row is None:
        return Outcome.GONE
    own = next((t for t in row.texts if t.locale == request.locale), None)
    if own is None:
        own = ActivityText(locale=request.locale, title="", description="")
        row.texts.append(own)
    if voice_file_id is not None:
        if own.voice_file_id:  # a colleague's voice message is never overwritten either
            return Outcome.VOICE_ALREADY_DONE
        own.voice_file_id = voice_file_id
        await session.flush()
        return Outcome.VOICE_SAVED
    if request.description_only:  # the request said the title is there: all of it
        title, description = "", (text or "").strip()
    else:
        title, description = split_reply(text or "")
    if not (title or description):
        return Outcome.EMPTY
    # Fill only what is still empty: a colleague's earlier words are never overwritten.
    changed = False
    if title and not own.title:
        own.title, changed = title, True
    if description and not own.description:
        own.description, changed = description, True
    if not changed:
        return Outcome.ALREADY_DONE
    await session.flush()
    return Outcome.SAVED

