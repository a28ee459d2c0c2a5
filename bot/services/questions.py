"""Parents' help questions: drafted, routed, relayed, answered, handed over, closed.

A question goes ``draft`` (the parent chose a topic or sent a first message) -> ``open``
(routed to a brugfiguur, or to the coordinator when ``assignee_id`` is None) -> ``closed``.
Every message is relayed through the outbox as a copy, so nobody sees anybody's phone
number or username; ``group_key = "q:<id>"`` lets a brugfiguur's reply find its question.

Usage (the caller commits, then wakes the outbox)::

    draft = await add_parent_message(session, parent, chat_id, message_id, now)
    if draft.topic:                                  # else: ask the topic (buttons)
        opened = await open_question(session, draft.id, now, render_card, coordinators)

Nothing here knows Telegram; the handlers own the words of the card (``render_card``) and
of the line about a reminder (``render_about``). The two short lines before the copy of a
forwarded message or a replied letter (``_context_rows``) are written here: every path that
sends a card sends them, and none has to remember to pass their words.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import cancellation, outbox, staff
from bot.services import question_stats as stats
from bot.services.availability import Level
from bot.services.outbox import PART_MARK, NewMessage
from bot.services.programme import DUTCH, Occurrence
from bot.services.question_stats import QuestionFact, WeekFigures
from bot.services.reminders import GROUP_PREFIX, MOVED_PREFIX, parse_moved_key
from bot.services.routing import (
    Candidate,
    Delivery,
    Route,
    delivery_for,
    escalation_due,
    office_hours_from,
    quietly,
    route,
)
from storage import outbox as outbox_repo
from storage import people as people_repo
from storage.models import (
    Activity,
    ActivityText,
    OutboxMessage,
    Person,
    Question,
    QuestionMessage,
    School,
)

log = logging.getLogger(__name__)

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
RETENTION = timedelta(days=180)


class Topic(StrEnum):
    SCHOOL = "school"
    CHILDCARE = "childcare"
    ALLOWANCE = "allowance"  # schooltoelage
    LETTER = "letter"  # a letter or form I don't understand
    MONEY = "money"  # money and bills (electricity...)
    WORK = "work"
    DUTCH = "dutch"  # learning Dutch
    OTHER = "other"


class Unset(Enum):
    """No value given (None means the coordinator)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class Recipient:
    """Who holds a question: a brugfiguur, or (``person_id`` None) a coordinator's chat."""

    person_id: int | None
    chat_id: int
    locale: str


@dataclass(frozen=True)
class About:
    """The activity a parent's message replied to (its reminder, or the notice of its move),
    in the reader's language: the holder sees what "may I bring my little one?" is about."""

    title: str
    starts_at: datetime  # the occurrence the reminder was about (aware UTC)
    all_day: bool = False


@dataclass(frozen=True)
class Card:
    """What the card in the holder's chat says; ``render_card`` turns it into words."""

    question_id: int
    parent_first_name: str
    locale: str
    school_name: str | None
    topic: str
    opened_at: datetime
    now: datetime
    reader_locale: str
    escalated: bool = False
    answers: int = 0  # answered before (the card then comes with the answers, forwarded)
    about: tuple[About, ...] = ()  # activities the parent's messages replied to


# A line for a holder: the activity a parent's further message replied to, in the locale.
RenderAbout = Callable[[About, str], str]


# (text, inline keyboard as a dict) in the reader's locale
RenderCard = Callable[[Card], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class QuestionView:
    id: int
    parent_id: int
    parent_first_name: str
    parent_chat_id: int
    locale: str
    topic: str
    school_id: int | None
    school_name: str | None
    status: str
    assignee_id: int | None
    created_at: datetime
    opened_at: datetime | None
    taken_at: datetime | None
    first_answer_at: datetime | None
    deliver_at: datetime | None
    parent_blocked: bool = False  # Telegram refused a message to them (403): nothing reaches
    taken_by_id: int | None = None  # who took it (✋, or answered it first) since it came


@dataclass(frozen=True)
class Opened:
    """A question just routed: who holds it, and from when they answer (None: now)."""

    question: QuestionView
    route: Route
    holder_first_name: str | None


# --------------------------------------------------------------------------------------------
# reading


async def view(session: AsyncSession, question_id: int) -> QuestionView | None:
    # The parent's columns, not their ORM row: that would load their schools too.
    row = (await session.execute(
        select(Question, Person.first_name, Person.telegram_id, Person.blocked_at, School.name)
        .join(Person, Person.id == Question.parent_id)
        .outerjoin(School, School.id == Question.school_id)
        .where(Question.id == question_id)
    )).first()
    if row is None:
        return None
    q, first_name, chat_id, blocked_at, school_name = row
    return QuestionView(
        id=q.id, parent_id=q.parent_id, parent_first_name=first_name,
        parent_chat_id=chat_id, locale=q.locale, topic=q.topic,
        school_id=q.school_id, school_name=school_name, status=q.status,
        assignee_id=q.assignee_id, created_at=q.created_at, opened_at=q.opened_at,
        taken_at=q.taken_at, first_answer_at=q.first_answer_at, deliver_at=q.deliver_at,
        parent_blocked=blocked_at is not None, taken_by_id=q.taken_by_id,
    )


async def current(session: AsyncSession, parent_id: int, status: str) -> Question | None:
    """The parent's newest question in that status."""
    return await session.scalar(
        select(Question).where(Question.parent_id == parent_id, Question.status == status)
        .order_by(Question.id.desc()).limit(1))


async def open_questions(session: AsyncSession, assignee_id: int | None = None,
                         *, everyone: bool = False) -> list[QuestionView]:
    """Open questions, oldest first: one holder's (None: the coordinator's), or everyone's."""
    query = select(Question.id).where(Question.status == OPEN)
    if not everyone:
        query = query.where(_held_by(assignee_id))
    ids = list(await session.scalars(query.order_by(Question.opened_at, Question.id)))
    return [v for i in ids if (v := await view(session, i)) is not None]


# --------------------------------------------------------------------------------------------
# the parent's side


async def is_draft_of(session: AsyncSession, parent_id: int, question_id: int) -> bool:
    """Whether the question is this parent's draft still (not opened, not someone else's)."""
    draft = await current(session, parent_id, DRAFT)
    return draft is not None and draft.id == question_id


async def drop_empty_draft(session: AsyncSession, parent_id: int) -> bool:
    """The parent's draft with nothing written in it (a ❓ and a topic tapped) goes; True
    when there was one. A draft with a message stays: what they sent is never lost."""
    written = select(QuestionMessage.id).where(QuestionMessage.question_id == Question.id)
    gone = await session.execute(
        delete(Question).where(Question.parent_id == parent_id, Question.status == DRAFT,
                               ~written.exists()).execution_options(synchronize_session=False))
    return bool(getattr(gone, "rowcount", 0))


async def going_on(session: AsyncSession, parent_id: int) -> bool:
    """Whether the parent has a question open, or being written: a draft with a message of
    theirs (a ❓ and a topic tapped and left, with nothing written, is no conversation: a
    "thank you" days later asks nothing)."""
    written = select(QuestionMessage.id).where(QuestionMessage.question_id == Question.id,
                                               QuestionMessage.from_parent.is_(True))
    return await session.scalar(
        select(Question.id).where(
            Question.parent_id == parent_id,
            or_(Question.status == OPEN,
                and_(Question.status == DRAFT, written.exists()))).limit(1)) is not None


async def waiting_for_answer(session: AsyncSession, parent_id: int) -> bool:
    """Whether a question of the parent's is going on with her newest word in it not
    answered yet (open, or a draft she wrote in): what she says next goes on with it. One
    answered already leaves her next word free to be about something else (a reminder)."""
    newest = (select(QuestionMessage.from_parent)
              .where(QuestionMessage.question_id == Question.id)
              .order_by(QuestionMessage.id.desc()).limit(1).scalar_subquery())
    return await session.scalar(
        select(Question.id).where(Question.parent_id == parent_id,
                                  Question.status.in_((OPEN, DRAFT)),
                                  newest.is_(True)).limit(1)) is not None


async def choose_topic(session: AsyncSession, parent_id: int, topic: Topic, locale: str,
                       now: datetime) -> tuple[Question, int] | None:
    """The parent picked a topic: their draft gets it (messages sent before it are kept).
    Returns the draft and how many messages of the parent it holds; None when the draft was
    sent on meanwhile, without a topic (housekeeping: ``open_untapped``)."""
    draft = await current(session, parent_id, DRAFT)
    if draft is None:
        draft = Question(parent_id=parent_id, locale=locale, topic=topic.value, status=DRAFT,
                         school_id=await _first_school(session, parent_id), created_at=now)
        session.add(draft)
        await session.flush()
        return draft, 0  # new: nothing to count
    # The claim: the draft read above may have been routed since by another transaction.
    claimed = await session.execute(
        update(Question).where(Question.id == draft.id, Question.status == DRAFT)
        .values(topic=topic.value, locale=locale).execution_options(synchronize_session=False))
    await session.refresh(draft)
    if not claimed.rowcount:
        return None
    if draft.school_id is None:  # drafted before the parent chose a school (onboarding)
        draft.school_id = await _first_school(session, parent_id)
    await session.flush()
    return draft, await parent_message_count(session, draft.id)


async def add_parent_message(session: AsyncSession, parent_id: int, locale: str,
                             chat_id: int, message_id: int, now: datetime, *,
                             replied_to: int | None = None,
                             forwarded_from: str | None = None
                             ) -> tuple[Question, QuestionMessage]:
    """A parent's message joins the question it replies to while that is a draft or open
    (``replied_question``: a parent with two questions going swipes the answer they answer),
    else their draft, else their newest open question, else a new draft (whose topic the
    parent is asked next). ``forwarded_from``: the message is a forward, of someone of that
    name ("" when Telegram gives none): its copy comes with a line saying so."""
    question = (await replied_question(session, parent_id, chat_id, replied_to)
                or await current(session, parent_id, DRAFT)
                or await current(session, parent_id, OPEN))
    if question is None:
        question = Question(parent_id=parent_id, locale=locale, topic="", status=DRAFT,
                            school_id=await _first_school(session, parent_id), created_at=now)
        session.add(question)
        await session.flush()
    message = QuestionMessage(question_id=question.id, from_parent=True, chat_id=chat_id,
                              message_id=message_id, created_at=now)
    session.add(message)
    await session.flush()
    if replied_to is not None:
        await _note_about(session, question.id, message.id, parent_id, chat_id, replied_to, now)
    if forwarded_from is not None:
        _note(session, question.id, f"q:{question.id}:fwd:m{message.id}", parent_id, chat_id,
              now, {"from": forwarded_from[:128]})  # a channel's title has up to 128
        await session.flush()
    return question, message


# A parent's message that replied to a reminder (or to the notice of a move): a note in the
# question's outbox group, sent and empty, whose key names the message's row, the activity
# and the occurrence's start (``about_key``). Never sent, no Telegram id: no reply matches it.
_ABOUT = re.compile(r"^q:(\d+):about:m(\d+):(\d+):(\d+)$")


def about_key(question_id: int, message_row_id: int, activity_id: int,
              starts_at: datetime) -> str:
    return f"q:{question_id}:about:m{message_row_id}:{activity_id}:{int(starts_at.timestamp())}"


def _note(session: AsyncSession, question_id: int, key: str, parent_id: int, chat_id: int,
          now: datetime, payload: dict[str, Any] | None = None,
          telegram_message_id: int | None = None) -> None:
    """A note of the question's group (``key``): "sent" and empty; without a Telegram id no
    reply ever matches it."""
    session.add(OutboxMessage(
        dedupe_key=key, chat_id=chat_id, person_id=parent_id, kind="text",
        payload=json.dumps(payload or {}), group_key=f"q:{question_id}",
        status=outbox_repo.SENT, not_before=now, created_at=now, sent_at=now,
        telegram_message_id=telegram_message_id))


def note_confirmation(session: AsyncSession, question_id: int, chat_id: int, person_id: int,
                      message_id: int, now: datetime) -> None:
    """The bot's "✅ Sent to Ayşe." in a holder's chat (``message_id``), kept in the
    question's group with its Telegram id: a reply to it, the last message on her screen,
    adds to that answer and reaches that parent (``question_of_reply``)."""
    _note(session, question_id, f"q:{question_id}:sent:{chat_id}:{message_id}", person_id,
          chat_id, now, telegram_message_id=message_id)


# The bot's messages that a holder has never seen and a parent may ask about by replying:
# broadcasts (announcements, the week's programme) and the note after an activity.
_LETTER_GROUPS = ("broadcast:", "note:")
# What names one day of an activity as <prefix><activity>:<start, unix>[:<round>]: a day's
# cancellation notices (bot/services/cancellation.py) and an activity's voice message after
# /week: a word swiped onto one is about that day, as onto its reminder.
WEEK_VOICE = "weekvoice:"
_DAY_NOTICES = (cancellation.CANCEL, cancellation.UNDONE, cancellation.AHEAD, WEEK_VOICE)


def week_voice_group(activity_id: int, starts_at: datetime) -> str:
    return f"{WEEK_VOICE}{activity_id}:{int(starts_at.timestamp())}"


async def _note_about(session: AsyncSession, question_id: int, message_row_id: int,
                      parent_id: int, chat_id: int, replied_to: int, now: datetime) -> None:
    """Note what the parent's message replied to: the activity of a reminder (the card, and
    a further message's copy, say so, for copyMessage drops the reply), or another message
    of the bot that the holder cannot know (an announcement, the note after an activity:
    its copy comes before theirs)."""
    row = await _replied_row(session, chat_id, replied_to,
                             (GROUP_PREFIX, MOVED_PREFIX, *_DAY_NOTICES, *_LETTER_GROUPS))
    if row is None:
        return
    if str(row.group_key).startswith(_LETTER_GROUPS):
        _note(session, question_id, f"q:{question_id}:re:m{message_row_id}:{replied_to}",
              parent_id, chat_id, now)
    elif (found := await _activity_of(session, chat_id, row)) is not None:
        activity_id, starts_at = found
        _note(session, question_id,
              about_key(question_id, message_row_id, activity_id, starts_at), parent_id,
              chat_id, now)
    await session.flush()


_CONTEXT = re.compile(r"^q:(\d+):(re|fwd):m(\d+)(?::(\d+))?$")


@dataclass(frozen=True)
class Context:
    """What goes with a parent's message for its holder: the bot's message it replied to
    (its id in the parent's chat), or whose words it forwards ("" when Telegram gives no
    name)."""

    replied_to: int | None = None
    forwarded_from: str | None = None


async def notes(session: AsyncSession, question_id: int) -> list[tuple[str, str]]:
    """The question's notes, oldest first, as (key, payload): what its parent's messages
    replied to (``about``, ``re``) and forwarded (``fwd``). Read once for ``abouts`` and
    ``contexts``."""
    prefix = f"q:{question_id}:"
    rows = await session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.payload)
        .where(OutboxMessage.group_key == f"q:{question_id}",
               or_(*(OutboxMessage.dedupe_key.startswith(prefix + kind, autoescape=True)
                     for kind in ("about:", "re:", "fwd:"))))
        .order_by(OutboxMessage.id))
    return [(key, payload) for key, payload in rows.all()]


def contexts(found_notes: Sequence[tuple[str, str]],
             message_row_id: int | None = None) -> dict[int, Context]:
    """By message row: the contexts of the question's messages (``message_row_id``: that
    one's only), from its ``notes``."""
    found: dict[int, Context] = {}
    for key, payload in found_notes:
        match = _CONTEXT.match(key)
        if match is None or (message_row_id is not None and int(match[3]) != message_row_id):
            continue
        row_id = int(match[3])
        known = found.get(row_id, Context())
        if match[2] == "re" and match[4]:
            found[row_id] = Context(int(match[4]), known.forwarded_from)
        elif match[2] == "fwd":
            origin = json.loads(payload or "{}").get("from", "")
            found[row_id] = Context(known.replied_to, str(origin))
    return found


def _context_rows(key: str, recipient: Recipient, question: Question, chosen: Route,
                  message: QuestionMessage, context: Context | None, first_name: str,
                  under: dict[str, Any]) -> list[NewMessage]:
    """The rows before a parent message's copy (``key``: the copy's, ending in its part
    ``m<id>``, so that these are held, moved and dropped with it): whose words it forwards;
    the bot's message it replied to, copied from the parent's chat."""
    if context is None:
        return []
    head, part = key.rsplit(":", 1)
    rows = []
    with use_locale(recipient.locale):
        if context.forwarded_from is not None:
            text = ("↪️ " + _("{name} forwarded this message from {origin}:").format(
                name=first_name, origin=context.forwarded_from) if context.forwarded_from
                else "↪️ " + _("{name} forwarded this message:").format(name=first_name))
            rows.append(_to_holder(f"{head}:fwd:{part}", recipient, question, chosen, "text",
                                   {"text": text, **under}))
        if context.replied_to is not None:
            text = "↩️ " + _("{name} replied to this message of the bot:").format(
                name=first_name)
            rows.append(_to_holder(f"{head}:rehead:{part}", recipient, question, chosen,
                                   "text", {"text": text, **under}))
            rows.append(_to_holder(f"{head}:re:{part}", recipient, question, chosen, "copy",
                                   {"from_chat_id": message.chat_id,
                                    "message_id": context.replied_to}))
    return rows


async def _replied_row(session: AsyncSession, chat_id: int, replied_to: int,
                       prefixes: Sequence[str]) -> Row[Any] | None:
    """The outbox row (id, group_key) of the bot's message ``replied_to`` in the chat, of a
    group with one of these prefixes (the newest, for a message sent again)."""
    return (await session.execute(
        select(OutboxMessage.id, OutboxMessage.group_key)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.telegram_message_id == replied_to,
               or_(*(OutboxMessage.group_key.startswith(p, autoescape=True)
                     for p in prefixes)))
        .order_by(OutboxMessage.id.desc()).limit(1))).first()


async def replied_activity(session: AsyncSession, chat_id: int,
                           replied_to: int) -> tuple[int, datetime] | None:
    """The activity and occurrence start of the bot's message ``replied_to`` in the chat: a
    reminder (any of its parts, its map pin, the bot's answer to a word about it) or the
    ⚠️ notice of a move (its new start; the old one when it no longer takes place). None for
    any other message."""
    row = await _replied_row(session, chat_id, replied_to, (GROUP_PREFIX, MOVED_PREFIX))
    return await _activity_of(session, chat_id, row) if row is not None else None


async def _activity_of(session: AsyncSession, chat_id: int,
                       row: Row[Any]) -> tuple[int, datetime] | None:
    """``replied_activity`` of the row found."""
    group = str(row.group_key)
    prefix = next((p for p in (GROUP_PREFIX, *_DAY_NOTICES) if group.startswith(p)), None)
    if prefix is not None:  # reminder:<activity>:<start, unix>, cancel:... the same
        parts = group.removeprefix(prefix).split(":")
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or (
                prefix == GROUP_PREFIX and len(parts) != 2):
            return None
        return int(parts[0]), datetime.fromtimestamp(int(parts[1]), UTC)
    if not group.startswith(MOVED_PREFIX):
        return None
    # moved:<activity>: the newest notice of the group up to that message names the move.
    keys = await session.scalars(
        select(OutboxMessage.dedupe_key)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.group_key == group,
               OutboxMessage.id <= row.id)
        .order_by(OutboxMessage.id.desc()))
    for key in keys:
        move = parse_moved_key(key.split(PART_MARK, 1)[0])
        if move is not None:
            return move.activity_id, move.new_start or move.old_start
    return None


async def abouts(session: AsyncSession, question_id: int, locale: str,
                 message_row_id: int | None = None, *,
                 found_notes: Sequence[tuple[str, str]] | None = None) -> tuple[About, ...]:
    """The activities the parent's messages in the question replied to (``message_row_id``:
    that message's only), oldest first, titled in ``locale`` (else Dutch). An activity since
    removed from the programme is left out. ``found_notes``: the question's ``notes``, when
    read already."""
    if found_notes is None:
        found_notes = await notes(session, question_id)
    wanted: list[tuple[int, datetime]] = []
    for key, _payload in found_notes:
        found = _ABOUT.match(key)
        if found is None or (message_row_id is not None and int(found[2]) != message_row_id):
            continue
        item = (int(found[3]), datetime.fromtimestamp(int(found[4]), UTC))
        if item not in wanted:
            wanted.append(item)
    if not wanted:
        return ()
    ids = {activity_id for activity_id, _start in wanted}
    lengths = {row.id: row.ends_at - row.starts_at for row in (await session.execute(
        select(Activity.id, Activity.starts_at, Activity.ends_at)
        .where(Activity.id.in_(ids)))).all()}
    titles = {(row.activity_id, row.locale): row.title for row in (await session.execute(
        select(ActivityText.activity_id, ActivityText.locale, ActivityText.title)
        .where(ActivityText.activity_id.in_(ids),
               ActivityText.locale.in_((locale, DUTCH))))).all()}
    found_abouts: list[About] = []
    for activity_id, starts_at in wanted:
        title = titles.get((activity_id, locale)) or titles.get((activity_id, DUTCH))
        if activity_id not in lengths or not title:
            continue
        length = lengths[activity_id]
        found_abouts.append(About(title, starts_at,
                                  Occurrence(starts_at, starts_at + length).all_day()))
    return tuple(found_abouts)


async def replied_question(session: AsyncSession, parent_id: int, chat_id: int,
                           replied_to: int | None) -> Question | None:
    """The parent's draft or open question that the message they replied to, in their own
    chat, belongs to: a message the bot sent them for it (an answer relayed, "Fatma has your
    question", any outbox row of the group ``q:<id>``), or one of their own messages in it.
    None for a reply to anything else (a reminder, a message the bot does not know, another
    chat's id) or to a question closed or gone: the message then goes where any other does."""
    if replied_to is None:
        return None
    found: list[int] = []
    key = await session.scalar(
        select(OutboxMessage.group_key).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.telegram_message_id == replied_to,
            OutboxMessage.group_key.startswith("q:", autoescape=True)).limit(1))
    if key is not None and key.removeprefix("q:").isdigit():
        found.append(int(key.removeprefix("q:")))
    found.extend(await session.scalars(
        select(QuestionMessage.question_id).where(
            QuestionMessage.chat_id == chat_id, QuestionMessage.message_id == replied_to,
            QuestionMessage.from_parent.is_(True))))
    if not found:
        return None
    return await session.scalar(
        select(Question).where(Question.id.in_(found), Question.parent_id == parent_id,
                               Question.status.in_((DRAFT, OPEN)))
        .order_by(Question.id.desc()).limit(1))


async def record_confirmation(session: AsyncSession, question_id: int, parent_id: int,
                              chat_id: int, telegram_message_id: int, now: datetime) -> None:
    """Note the bot's direct "Fatma has your question" (the handler sends it, not the outbox)
    as a sent outbox row of the question's group, so that a reply to it joins that question
    (``replied_question``)."""
    outbox.note_sent(session, dedupe_key=f"q:{question_id}:opened:{telegram_message_id}",
                     chat_id=chat_id, person_id=parent_id, group_key=f"q:{question_id}",
                     telegram_message_id=telegram_message_id, now=now)


# A parent who reads little may never tap a topic: after this long without a new message,
# the question goes out with the topic "other" rather than wait unseen.
TOPIC_WAIT = timedelta(minutes=30)


async def untapped(session: AsyncSession, now: datetime,
                   wait: timedelta = TOPIC_WAIT) -> list[int]:
    """Drafts of signed-up parents that hold messages but no topic, for ``wait`` since the
    topic was last asked: at their last message, or at the end of sign-up for messages sent
    before it."""
    return list(await session.scalars(
        select(Question.id)
        .join(QuestionMessage, QuestionMessage.question_id == Question.id)
        .join(Person, Person.id == Question.parent_id)
        .where(Question.status == DRAFT, Question.topic == "",
               Person.onboarded_at.is_not(None), Person.onboarded_at <= now - wait,
               QuestionMessage.from_parent.is_(True))
        .group_by(Question.id)
        .having(func.max(QuestionMessage.created_at) <= now - wait)
        .order_by(Question.id)))


# A new question about the same topic this soon after the parent's last one, while nobody
# has answered that yet, joins it: a child tapping ❓ again and again, or a parent who asks
# again, impatient, does not ring the brugfiguur with a pile of cards. Another topic is
# another question.
JOIN_WITHIN = timedelta(minutes=10)


async def join_recent(session: AsyncSession, draft_id: int, now: datetime,
                      coordinators: Sequence[Recipient],
                      render_about: RenderAbout | None = None) -> QuestionView | None:
    """A draft about to be routed joins the parent's open question about the same topic,
    opened less than ``JOIN_WITHIN`` ago and not answered yet: its messages become that
    question's further messages (relayed as any follow-up) and the draft goes. Returns the
    question joined; None when there is none (the draft is routed as a new question). A
    draft with notes (a reply to a reminder or a letter, a forward) is routed on its own:
    its notes stay with it."""
    draft = await session.get(Question, draft_id)
    if draft is None or draft.status != DRAFT:
        return None
    recent = await session.scalar(
        select(Question).where(Question.parent_id == draft.parent_id, Question.status == OPEN,
                               Question.topic == draft.topic, Question.first_answer_at.is_(None),
                               Question.opened_at >= now - JOIN_WITHIN)
        .order_by(Question.id.desc()).limit(1))
    if recent is None or await notes(session, draft_id):
        return None
    moved = list(await session.scalars(
        select(QuestionMessage.id).where(QuestionMessage.question_id == draft_id)
        .order_by(QuestionMessage.id)))
    await session.execute(
        update(QuestionMessage).where(QuestionMessage.question_id == draft_id)
        .values(question_id=recent.id).execution_options(synchronize_session=False))
    await session.execute(delete(Question).where(Question.id == draft_id))
    for message_id in moved:
        await relay_follow_up(session, recent.id, message_id, now, coordinators, render_about)
    return await view(session, recent.id)


async def open_untapped(session: AsyncSession, question_id: int, now: datetime,
                        render_card: RenderCard,
                        coordinators: Sequence[Recipient]) -> Opened | None:
    """Route a draft whose topic was never tapped, as "other". None when it changed meanwhile
    (the parent tapped, or another instance routed it)."""
    claimed = await session.execute(
        update(Question).where(Question.id == question_id, Question.status == DRAFT,
                               Question.topic == "")
        .values(topic=Topic.OTHER.value).execution_options(synchronize_session=False))
    if not claimed.rowcount:
        return None
    question = await session.get(Question, question_id)
    assert question is not None
    await session.refresh(question)
    # Drafted before sign-up, it has no language or school yet: the parent's, as a tap on a
    # topic would have given it (choose_topic).
    parent = await session.get(Person, question.parent_id)
    if parent is not None and parent.locale:
        question.locale = parent.locale
    if question.school_id is None:
        question.school_id = await _first_school(session, question.parent_id)
    # She asked with her first message, not when the topic's wait ran out.
    first = await session.scalar(select(func.min(QuestionMessage.created_at)).where(
        QuestionMessage.question_id == question_id, QuestionMessage.from_parent.is_(True)))
    return await open_question(session, question_id, now, render_card, coordinators,
                               asked_at=first)


async def waiting_for_topic(session: AsyncSession, parent_id: int) -> tuple[int, int] | None:
    """The parent's draft without a topic (they wrote before onboarding was done): its id and
    how many messages it holds; None when none wait."""
    draft = await current(session, parent_id, DRAFT)
    if draft is None or draft.topic:
        return None
    count = await parent_message_count(session, draft.id)
    return (draft.id, count) if count else None


async def parent_spoke_after(session: AsyncSession, question_id: int, chat_id: int,
                             message_id: int) -> bool:
    """Whether the newest message of the question is the parent's, and reached this chat
    after ``message_id`` (the message whose button was pressed: a card higher up the
    screen) or not yet: she asked something more that the one pressing may not have read,
    and a close now would answer it with "closed"."""
    newest = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.from_parent)
        .where(QuestionMessage.question_id == question_id)
        .order_by(QuestionMessage.created_at.desc(), QuestionMessage.id.desc())
        .limit(1))).first()
    if newest is None or not newest.from_parent:
        return False
    copy = await session.scalar(
        select(func.max(OutboxMessage.telegram_message_id)).where(
            OutboxMessage.group_key == f"q:{question_id}", OutboxMessage.chat_id == chat_id,
            OutboxMessage.kind == "copy", OutboxMessage.dedupe_key.endswith(f":m{newest.id}")))
    return copy is None or int(copy) > message_id


async def parent_message_count(session: AsyncSession, question_id: int) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(QuestionMessage)
        .where(QuestionMessage.question_id == question_id,
               QuestionMessage.from_parent.is_(True))) or 0)


async def coordinator_recipients(session: AsyncSession,
                                 telegram_ids: Collection[int]) -> list[Recipient]:
    """The coordinators' chats (those who ever talked to the bot, and did not /stop it or
    block it): they hold what nobody else can take."""
    if not telegram_ids:
        return []
    rows = await session.scalars(select(Person).where(
        Person.telegram_id.in_(telegram_ids), Person.stopped_at.is_(None),
        Person.blocked_at.is_(None)).order_by(Person.id))  # /stop: nothing more, cards neither
    return [Recipient(None, p.telegram_id, p.locale or "nl") for p in rows]


async def _first_school(session: AsyncSession, parent_id: int) -> int | None:
    return next(iter(await people_repo.school_ids(session, parent_id)), None)


# --------------------------------------------------------------------------------------------
# routing and relaying


def candidates(members: Sequence[staff.StaffMember]) -> list[Candidate]:
    """Who may be routed a question: not someone who sent /stop or blocked the bot (the card
    would reach nobody, while the parent is told they have it)."""
    return [Candidate(person_id=m.id, languages=m.languages, availability=m.availability,
                      open_questions=m.open_questions) for m in members if m.reachable]


def school_for(school_ids: Sequence[int], locale: str,
               members: Sequence[staff.StaffMember]) -> int | None:
    """The school a parent's question goes to: of their schools, in the order they chose
    them, the first whose fixed contact speaks their language and can be reached (children
    at two schools: the contact who can talk with them), and is not on leave (the whole week
    red: routing passes them by); else the first school."""
    for school_id in school_ids:
        contact = next((m for m in members if school_id in m.contact_for), None)
        if contact is not None and contact.reachable and contact.speaks(locale) \
                and not contact.on_leave:
            return school_id
    return school_ids[0] if school_ids else None


def choose_holder(question: Question, members: Sequence[staff.StaffMember], now: datetime, *,
                  leaving: int | None = None) -> Route:
    """Who answers the question now (``routing.route``): never the parent who asked it (a
    brugfiguur may ask one of her own), nor, when it moves on, the holder it leaves
    (``leaving``) or the one who handed it to them."""
    exclude = [i for i in (question.parent_id, leaving, question.handed_by_id) if i is not None]
    return route(question.locale, staff.contact_of(members, question.school_id),
                 candidates(members), now, exclude=exclude)


async def open_question(session: AsyncSession, question_id: int, now: datetime,
                        render_card: RenderCard, coordinators: Sequence[Recipient], *,
                        locale: str | None = None, asked_at: datetime | None = None) -> Opened:
    """Route a draft that has a topic and a message, and send the card and the messages.
    ``locale``: the parent's language now, if the caller knows it (else read here): a
    parent may have switched (🌐) between the topic and the words. ``asked_at``: when the
    parent asked, if not now (the card says it, and how long she has waited)."""
    question = await session.get(Question, question_id)
    assert question is not None and question.status == DRAFT and question.topic
    if locale is None:
        locale = await session.scalar(
            select(Person.locale).where(Person.id == question.parent_id))
    question.locale = locale or question.locale
    members = await staff.team(session)
    schools = await people_repo.school_ids(session, question.parent_id)
    question.school_id = school_for(schools, question.locale, members) or question.school_id
    chosen = choose_holder(question, members, now)
    question.status = OPEN
    question.opened_at = min(asked_at or now, now)
    await _assign(session, question, chosen, now, members, render_card, coordinators)
    holder = next((m.first_name for m in members if m.id == chosen.assignee_id), None)
    result = await view(session, question.id)
    assert result is not None
    return Opened(result, chosen, holder)


async def reassign(session: AsyncSession, question_id: int, assignee_id: int | None,
                   now: datetime, render_card: RenderCard, coordinators: Sequence[Recipient],
                   *, handed_by: int | None = None, escalated: bool = False,
                   held_by: int | Unset | None = UNSET) -> bool:
    """Hand an open question to a colleague (None: the coordinator); they get the card and
    every message of the parent so far. ``handed_by``: the person who hands it on by hand
    (escalation keeps it away from them). ``held_by``: whom the one handing it over saw
    holding it; someone else was quicker (two taps at once) when that changed. False when
    the question is no longer open, or someone else was quicker, or the colleague cannot
    take it (not in the team, or stopped or blocked the bot), or asked it (a brugfiguur's
    own question, asked as a parent)."""
    question = await session.get(Question, question_id)
    if question is None or question.status != OPEN or assignee_id == question.parent_id:
        return False
    members = await staff.team(session)
    if assignee_id is not None and not any(m.id == assignee_id and m.reachable
                                           for m in members):
        return False  # no (longer a) brugfiguur, or stopped or blocked the bot
    if not isinstance(held_by, Unset):
        # The claim, in the database: of two hand-overs at once, the second finds the
        # holder changed (SQLite's writers take turns; PostgreSQL re-reads the locked row).
        # It changes nothing itself: the row is locked, and what follows writes.
        claimed = await session.execute(
            update(Question).where(_still_held_by(question_id, held_by))
            .values(assignee_id=Question.assignee_id)
            .execution_options(synchronize_session=False))
        if not claimed.rowcount:
            return False
    chosen = _route_to(assignee_id, members, now)
    if question.assignee_id is not None and question.assignee_id != chosen.assignee_id:
        # What still waits for the previous holder's green hour is no longer theirs.
        waiting = await outbox_repo.pending_ids(session, group_key=f"q:{question.id}",
                                                person_id=question.assignee_id)
        await outbox_repo.mark_finished(session, waiting, status=outbox_repo.DROPPED,
                                        error="handed_over")
    question.taken_at = question.taken_by_id = None
    if escalated:
        question.escalated_at = now
    else:
        question.handed_by_id = handed_by
    await _assign(session, question, chosen, now, members, render_card, coordinators,
                  escalated=escalated)
    return True


def _route_to(assignee_id: int | None, members: Sequence[staff.StaffMember],
              now: datetime) -> Route:
    member = next((m for m in members if m.id == assignee_id), None)
    if member is None:
        return Route(assignee_id=None, rule=5, delivery=Delivery.NOW, deliver_at=None,
                     answer_from=office_hours_from(now))
    delivery, deliver_at = delivery_for(member.availability, now)
    return Route(assignee_id=member.id, rule=0, delivery=delivery, deliver_at=deliver_at,
                 answer_from=deliver_at)


async def _assign(session: AsyncSession, question: Question, chosen: Route, now: datetime,
                  members: Sequence[staff.StaffMember], render_card: RenderCard,
                  coordinators: Sequence[Recipient], *, escalated: bool = False) -> None:
    question.assignee_id = chosen.assignee_id
    question.assigned_at = now
    question.deliver_at = chosen.deliver_at if chosen.delivery is Delivery.HELD else None
    member = next((m for m in members if m.id == chosen.assignee_id), None)
    recipients = ([Recipient(member.id, member.telegram_id, member.locale)] if member
                  else list(coordinators))
    if not recipients:
        # No coordinator has talked to the bot yet: the housekeeping job shows it to the
        # first one who does (deliver_unseen); /queue lists it meanwhile.
        log.warning("question %d: nobody to show it to yet (no coordinator started the bot)",
                    question.id)
    for recipient in recipients:
        await _send_card(session, question, recipient, now, render_card, chosen,
                         f"q:{question.id}:to:{recipient.chat_id}:{int(now.timestamp())}",
                         escalated=escalated)


async def deliver_unseen(session: AsyncSession, now: datetime, render_card: RenderCard,
                         coordinators: Sequence[Recipient]) -> int:
    """Open questions for the coordinator that nobody was shown (none had started the bot
    when they came in): their cards and messages go to the coordinators now. Returns how
    many."""
    if not coordinators:
        return 0
    waiting = list(await session.scalars(select(Question).where(
        Question.status == OPEN, Question.assignee_id.is_(None))))
    if not waiting:
        return 0
    # One look for all of them: a question's cards are its rows "q:<id>:to:<chat>:...".
    seen = set(await session.scalars(select(OutboxMessage.group_key).distinct().where(
        OutboxMessage.group_key.in_([f"q:{q.id}" for q in waiting]),
        OutboxMessage.dedupe_key.contains(":to:", autoescape=True))))
    unseen = [q for q in waiting if f"q:{q.id}" not in seen]
    for question in unseen:
        await _assign(session, question, _route_to(None, [], now), now, [], render_card,
                      coordinators)
    return len(unseen)


async def _send_card(session: AsyncSession, question: Question, recipient: Recipient,
                     now: datetime, render_card: RenderCard, chosen: Route, key: str,
                     *, escalated: bool = False) -> None:
    """The card, then the conversation so far: a copy of each of the parent's messages, and
    each answer forwarded, so a colleague who takes it over sees who said what."""
    messages = list(await session.scalars(
        select(QuestionMessage).where(QuestionMessage.question_id == question.id)
        .order_by(QuestionMessage.id)))
    names = (await session.execute(
        select(Person.first_name, School.name)
        .outerjoin(School, School.id == question.school_id)
        .where(Person.id == question.parent_id))).first()
    assert names is not None
    first_name, school_name = names
    found_notes = await notes(session, question.id)
    card = Card(question.id, first_name, question.locale, school_name,
                question.topic, question.opened_at or now, now, recipient.locale, escalated,
                answers=sum(not m.from_parent for m in messages),
                about=await abouts(session, question.id, recipient.locale,
                                   found_notes=found_notes))
    text, markup = render_card(card)
    rows = [_to_holder(f"{key}:card", recipient, question, chosen, "text",
                       {"text": text, "reply_markup": markup})]
    context = contexts(found_notes)
    for m in messages:
        rows += _message_rows(f"{key}:m{m.id}", recipient, question, chosen, m,
                              context.get(m.id), first_name, {})
    await outbox.enqueue_many(session, rows)


def _message_rows(key: str, recipient: Recipient, question: Question, chosen: Route,
                  message: QuestionMessage, context: Context | None, first_name: str,
                  under: dict[str, Any]) -> list[NewMessage]:
    """A message of the question in the recipient's chat (``key`` ends in its part
    ``m<id>``): its context lines, then its copy (a parent's) or forward (an answer)."""
    return [*_context_rows(key, recipient, question, chosen, message, context, first_name,
                           under),
            _to_holder(key, recipient, question, chosen,
                       "copy" if message.from_parent else "forward",
                       {"from_chat_id": message.chat_id, "message_id": message.message_id,
                        **under})]


def _to_holder(key: str, recipient: Recipient, question: Question, chosen: Route, kind: str,
               payload: dict[str, Any]) -> NewMessage:
    not_before = chosen.deliver_at if chosen.delivery is Delivery.HELD else None
    return NewMessage(dedupe_key=key, chat_id=recipient.chat_id, person_id=recipient.person_id,
                      kind=kind, payload=quietly({**payload, "always": True}, chosen.delivery),
                      not_before=not_before, group_key=f"q:{question.id}")


# A parent's messages to a question within BURST_WINDOW: beyond BURST_RINGS of them, the
# holder's copies come without a sound.
BURST_WINDOW = timedelta(minutes=2)
BURST_RINGS = 3


async def _in_a_burst(session: AsyncSession, question_id: int, now: datetime) -> bool:
    recent = await session.scalar(
        select(func.count()).select_from(QuestionMessage).where(
            QuestionMessage.question_id == question_id, QuestionMessage.from_parent.is_(True),
            QuestionMessage.created_at > now - BURST_WINDOW))
    return (recent or 0) > BURST_RINGS


async def relay_follow_up(session: AsyncSession, question_id: int, message_row_id: int,
                          now: datetime, coordinators: Sequence[Recipient],
                          render_about: RenderAbout | None = None) -> None:
    """A parent's further message reaches whoever holds the question (same delivery rule).
    One that replied to a reminder comes after a line naming its activity
    (``render_about``), as the card names those of the messages before it."""
    question = await session.get(Question, question_id)
    message = await session.get(QuestionMessage, message_row_id)
    assert question is not None and message is not None
    members = await staff.team(session)
    member = next((m for m in members if m.id == question.assignee_id), None)
    recipients = ([Recipient(member.id, member.telegram_id, member.locale)] if member
                  else list(coordinators))
    chosen = _route_to(question.assignee_id, members, now)
    if question.deliver_at is not None and question.deliver_at > now:
        # Held: follow-ups wait with the card, so they arrive after it.
        chosen = Route(chosen.assignee_id, chosen.rule, Delivery.HELD, question.deliver_at,
                       question.deliver_at)
    elif chosen.delivery is Delivery.NOW and await _in_a_burst(session, question.id, now):
        # Twenty short messages in a minute (a child with the phone): the first few ring,
        # the rest come silently.
        chosen = Route(chosen.assignee_id, chosen.rule, Delivery.SILENT, None,
                       chosen.answer_from)
    # Each copy is a reply to the holder's card: under another parent's newer card, it
    # still shows whose it is (an answer to it then reaches the right parent).
    cards = await delivered_cards(session, question.id)
    found_notes = await notes(session, question.id)
    context = contexts(found_notes, message.id).get(message.id)
    first_name = await session.scalar(
        select(Person.first_name).where(Person.id == question.parent_id)) if context else ""
    rows: list[NewMessage] = []
    for r in recipients:
        under = {"reply_to": cards[r.chat_id]} if cards.get(r.chat_id) else {}
        about = (await abouts(session, question.id, r.locale, message.id,
                              found_notes=found_notes)
                 if render_about is not None else ())
        if render_about is not None and about:
            # Its key ends in the message's part: held, moved and dropped with its copy.
            rows.append(_to_holder(f"q:{question.id}:to:{r.chat_id}:about:m{message.id}", r,
                                   question, chosen, "text",
                                   {"text": render_about(about[0], r.locale), **under}))
        rows += _message_rows(f"q:{question.id}:to:{r.chat_id}:m{message.id}", r, question,
                              chosen, message, context, first_name or "", under)
    await outbox.enqueue_many(session, rows)


# --------------------------------------------------------------------------------------------
# the brugfiguur's side


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # not a question's message, or the parent erased their data
    CLOSED = "closed"
    NOT_YOURS = "not_yours"


async def holder_now(session: AsyncSession, question_id: int) -> int | None:
    """Who holds the question now (None: the coordinator, or no such question)."""
    return await session.scalar(select(Question.assignee_id).where(Question.id == question_id))


# An outbox row that is a question's card, and reached its chat (it has a message id there).
_DELIVERED_CARD = (OutboxMessage.dedupe_key.endswith(":card", autoescape=True),
                   OutboxMessage.telegram_message_id.is_not(None))


@dataclass(frozen=True)
class ShownCard:
    """A card of a parent's question in a team member's chat, and the reader's language."""

    question_id: int
    chat_id: int
    message_id: int
    locale: str | None


async def cards_of_parent(session: AsyncSession, parent_id: int) -> list[ShownCard]:
    """Every message of the bot about the parent's questions that the team got: the cards,
    "✅ Sent to Ayşe.", "Question 1 (Ayşe) is now with Mehmet", "Ayşe wrote again"... (for a
    /forget: they are redrawn without her name). Not the copies of her messages (her words
    as she sent them, not the bot's), nor what reached her own chat."""
    asked = list(await session.scalars(select(Question.id).where(
        Question.parent_id == parent_id)))
    if not asked:
        return []
    own_chat = select(Person.telegram_id).where(Person.id == parent_id).scalar_subquery()
    # Every card, not only each chat's newest: one reopened from /inbox left the first up.
    cards = (await session.execute(
        select(OutboxMessage.group_key, OutboxMessage.chat_id, OutboxMessage.telegram_message_id)
        .where(OutboxMessage.group_key.in_([f"q:{i}" for i in asked]),
               OutboxMessage.telegram_message_id.is_not(None), OutboxMessage.kind != "copy",
               OutboxMessage.chat_id != own_chat))).all()
    readers = dict((await session.execute(select(Person.telegram_id, Person.locale).where(
        Person.telegram_id.in_({chat_id for _g, chat_id, _m in cards})))).all())
    return [ShownCard(int(group.split(":")[1]), chat_id, message_id, readers.get(chat_id))
            for group, chat_id, message_id in cards]


async def delivered_cards(session: AsyncSession, question_id: int) -> dict[int, int]:
    """The chats a card of this question reached, each with its newest card's message id
    (a card held for a green hour and dropped by a hand-over never did)."""
    return dict((await session.execute(
        select(OutboxMessage.chat_id, func.max(OutboxMessage.telegram_message_id))
        .where(OutboxMessage.group_key == f"q:{question_id}", *_DELIVERED_CARD)
        .group_by(OutboxMessage.chat_id))).all())


@dataclass(frozen=True)
class Copies:
    """Where a relayed message was copied to: the copies delivered (chat, message id), and
    whether some still wait in the outbox (they will carry the message as it is then)."""

    delivered: list[tuple[int, int]]
    waiting: bool
    passed_on_at: datetime | None = None  # when the message was passed on
    from_parent: bool = True  # the parent's message (else an answer)
    question_id: int = 0
    # The chat of whoever holds the question now (None: the coordinators): a parent's edit
    # reaches only them, not someone who handed it on (need to know).
    holder_chat: int | None = None


async def copies_of(session: AsyncSession, chat_id: int, message_id: int) -> Copies | None:
    """The copies of a question's message (a parent's, or an answer) in the other side's
    chats, for passing on an edit; None when the message was not passed on as part of a
    question. Forwards (a conversation shown to a new holder) cannot be edited: left out."""
    holder = select(Person.telegram_id).where(Person.id == Question.assignee_id) \
        .scalar_subquery()
    found = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.question_id, QuestionMessage.created_at,
               QuestionMessage.from_parent, holder.label("holder_chat"))
        .join(Question, Question.id == QuestionMessage.question_id)
        .where(QuestionMessage.chat_id == chat_id, QuestionMessage.message_id == message_id,
               Question.status != DRAFT).limit(1))).first()
    if found is None:
        return None
    rows = (await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id, OutboxMessage.status)
        .where(OutboxMessage.group_key == f"q:{found.question_id}",
               OutboxMessage.kind == "copy",
               OutboxMessage.dedupe_key.endswith(f":answer:{found.id}")
               | OutboxMessage.dedupe_key.endswith(f":m{found.id}"),
               # (Not the copy of the bot's message it replied to: a letter stays a letter.)
               ~OutboxMessage.dedupe_key.endswith(f":re:m{found.id}")))).all()
    return Copies(
        delivered=[(int(r.chat_id), int(r.telegram_message_id)) for r in rows
                   if r.status == outbox_repo.SENT and r.telegram_message_id is not None],
        waiting=any(r.status in (outbox_repo.PENDING, outbox_repo.SENDING) for r in rows),
        passed_on_at=found.created_at, from_parent=bool(found.from_parent),
        question_id=int(found.question_id),
        holder_chat=None if found.holder_chat is None else int(found.holder_chat))


async def question_of_reply(session: AsyncSession, chat_id: int,
                            replied_message_id: int) -> int | None:
    """The question a message in a holder's chat belongs to: a card or a relayed message,
    or their own answer passed on (a reply to it adds to that answer)."""
    key = await session.scalar(
        select(OutboxMessage.group_key).where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == replied_message_id,
            OutboxMessage.group_key.like("q:%")).limit(1))
    if key is None:
        return await passed_on_in(session, chat_id, replied_message_id)
    try:
        return int(key.split(":", 1)[1])
    except ValueError:
        return None


# The key of a question's copy ends in the question_messages row it copies: a parent's
# message (":m<id>", not the ":re:m<id>" copy of what it replied to) or an answer.
_COPY_OF = re.compile(r"(?<!:re):m(\d+)$|:answer:(\d+)$")


async def copied_from(session: AsyncSession, chat_id: int,
                      message_id: int) -> tuple[int, int] | None:
    """The message (chat, message id) that the bot's message ``message_id`` in ``chat_id``
    is a copy of, when it is a question's copy: a parent's message in a holder's chat, or
    an answer in the parent's chat. None for anything else."""
    key = await session.scalar(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.telegram_message_id == message_id,
            OutboxMessage.kind == "copy", OutboxMessage.group_key.like("q:%")).limit(1))
    found = _COPY_OF.search((key or "").split(PART_MARK, 1)[0])
    if found is None:
        return None
    source = (await session.execute(
        select(QuestionMessage.chat_id, QuestionMessage.message_id)
        .where(QuestionMessage.id == int(found[1] or found[2])))).first()
    return (int(source.chat_id), int(source.message_id)) if source is not None else None


def may_act(question: QuestionView | None, person_id: int, *, coordinator: bool) -> Refusal | None:
    """A holder acts on their own open question; a coordinator on any open one."""
    if question is None:
        return Refusal.UNKNOWN
    if question.status != OPEN:
        return Refusal.CLOSED
    if coordinator or question.assignee_id == person_id:
        return None
    return Refusal.NOT_YOURS


def answer_key(question_id: int, answer_id: int) -> str:
    """The outbox dedupe key of an answer's copy to the parent (``answer_id``: its
    question_messages row)."""
    return f"q:{question_id}:answer:{answer_id}"


async def relay_answer(session: AsyncSession, question: QuestionView, chat_id: int,
                       message_id: int, now: datetime, quote: int | None = None,
                       answerer_id: int | None = None) -> None:
    """The holder's reply, whatever its kind, is copied to the parent, as a reply to
    ``quote`` (the parent's message the holder replied to, ``quoted_message``), else to the
    parent's newest message of the question: among reminders and broadcasts it shows what it
    answers (a message the parent deleted since: sent all the same, see the outbox)."""
    row = await session.get(Question, question.id)
    assert row is not None
    asked = quote or await newest_parent_message(session, row.id, question.parent_chat_id)
    answer = QuestionMessage(question_id=row.id, from_parent=False, chat_id=chat_id,
                             message_id=message_id, created_at=now)
    session.add(answer)
    await session.flush()
    row.first_answer_at = row.first_answer_at or now
    row.taken_at = row.taken_at or now
    row.taken_by_id = row.taken_by_id or answerer_id
    await outbox.enqueue(session, dedupe_key=answer_key(row.id, answer.id),
                         chat_id=question.parent_chat_id, person_id=question.parent_id,
                         kind="copy", payload={"from_chat_id": chat_id, "message_id": message_id,
                                               "always": True,
                                               **({"reply_to": asked} if asked else {})},
                         group_key=f"q:{row.id}")


# A row that brings a parent's message to the team (its copy, or the reminder under it) ends
# with the message's row id: q:<question>:to:<chat>:m<id>, ...:nudge:<chat>:m<id>.
_MESSAGE_ROW = re.compile(r":m(\d+)$")


async def quoted_message(session: AsyncSession, question: QuestionView, chat_id: int,
                         replied_message_id: int) -> int | None:
    """The parent's message a holder's reply is about: the one whose copy in ``chat_id``
    (or the reminder under it) they replied to, as its Telegram id in the parent's chat;
    None for the card or anything else (the answer then quotes the newest)."""
    keys = await session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.telegram_message_id == replied_message_id,
        OutboxMessage.group_key == f"q:{question.id}"))
    for key in keys:
        found = _MESSAGE_ROW.search(key.split(PART_MARK, 1)[0])
        if found is None:
            continue
        quoted = await session.scalar(select(QuestionMessage.message_id).where(
            QuestionMessage.id == int(found[1]), QuestionMessage.question_id == question.id,
            QuestionMessage.from_parent.is_(True),
            QuestionMessage.chat_id == question.parent_chat_id))
        if quoted is not None:
            return int(quoted)
    return None


async def newest_parent_message(session: AsyncSession, question_id: int,
                                chat_id: int) -> int | None:
    """The Telegram id of the parent's newest message in the question, in their chat (the
    ids of a chat only grow); None when none is known."""
    return await session.scalar(
        select(func.max(QuestionMessage.message_id))
        .where(QuestionMessage.question_id == question_id,
               QuestionMessage.from_parent.is_(True), QuestionMessage.chat_id == chat_id))


def _held_by(holder_id: int | None) -> Any:
    """The question is with ``holder_id`` (None: the coordinators)."""
    return (Question.assignee_id.is_(None) if holder_id is None
            else Question.assignee_id == holder_id)


def _still_held_by(question_id: int, holder_id: int | None) -> Any:
    """The claim of a press, a hand-over or a reminder: the question is open and still with
    ``holder_id``, as it was read. An escalation or hand-over committed in between goes
    first, and the action is refused, not applied to someone else's question."""
    return (Question.id == question_id) & (Question.status == OPEN) & _held_by(holder_id)


async def take(session: AsyncSession, question_id: int, now: datetime,
               holder_id: int | None, taker_id: int) -> bool:
    """✋ Take it: whether the question was still open, with ``holder_id`` and not taken by
    someone else (among several coordinators, the first ✋ has it)."""
    claimed = await session.execute(
        update(Question).where(_still_held_by(question_id, holder_id),
                               Question.taken_by_id.is_(None)
                               | (Question.taken_by_id == taker_id))
        .values(taken_at=func.coalesce(Question.taken_at,
                                        literal(now, type_=Question.taken_at.type)),
                taken_by_id=taker_id)
        .execution_options(synchronize_session=False))
    return bool(claimed.rowcount)


async def close(session: AsyncSession, question_id: int, now: datetime,
                holder_id: int | None) -> str | None:
    """Close the question; what still waits for the team (a card held for a green hour) is
    not sent. Returns the parent's language now (they may have changed it since asking);
    None when it was no longer open and with ``holder_id`` (nothing changed)."""
    claimed = await session.execute(
        update(Question).where(_still_held_by(question_id, holder_id))
        .values(status=CLOSED, closed_at=now).execution_options(synchronize_session=False))
    if not claimed.rowcount:
        return None
    row = await session.get(Question, question_id)
    assert row is not None
    await session.refresh(row)
    parent = await session.get(Person, row.parent_id)
    assert parent is not None
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.group_key == f"q:{question_id}",
                                    OutboxMessage.chat_id != parent.telegram_id,
                                    OutboxMessage.status == outbox_repo.PENDING)
        .values(status=outbox_repo.DROPPED, error="closed", payload="{}")
        .execution_options(synchronize_session=False))
    return parent.locale or row.locale


async def show_messages(session: AsyncSession, question_id: int, message_ids: Sequence[int],
                        recipient: Recipient, now: datetime, *, stamp: int) -> None:
    """Copies of these messages of the parent in the recipient's chat, right now, each as a
    reply to the card there (with the lines on whose words it forwards or what it replied
    to, as a card's messages come)."""
    question = await session.get(Question, question_id)
    assert question is not None
    messages = list(await session.scalars(
        select(QuestionMessage).where(QuestionMessage.id.in_(message_ids))
        .order_by(QuestionMessage.id)))
    card = (await delivered_cards(session, question_id)).get(recipient.chat_id)
    under = {"reply_to": card} if card else {}
    context = contexts(await notes(session, question_id))
    first_name = await session.scalar(
        select(Person.first_name).where(Person.id == question.parent_id)) or ""
    now_route = Route(recipient.person_id, 0, Delivery.NOW, None, None)
    rows: list[NewMessage] = []
    for m in messages:
        rows += _message_rows(f"q:{question_id}:show:{recipient.chat_id}:{stamp}:m{m.id}",
                              recipient, question, now_route, m, context.get(m.id),
                              first_name, under)
    await outbox.enqueue_many(session, rows)


async def resend(session: AsyncSession, question_id: int, chat_id: int, locale: str,
                 now: datetime, render_card: RenderCard, *, stamp: int) -> None:
    """/inbox: the card and the parent's messages again, in the asker's chat, right now."""
    question = await session.get(Question, question_id)
    assert question is not None
    recipient = Recipient(question.assignee_id, chat_id, locale)
    await _send_card(session, question, recipient, now, render_card,
                     Route(question.assignee_id, 0, Delivery.NOW, None, None),
                     f"q:{question.id}:show:{chat_id}:{stamp}")


# --------------------------------------------------------------------------------------------
# escalation


@dataclass(frozen=True)
class Escalated:
    question: QuestionView
    previous_id: int | None
    new_holder_first_name: str | None  # None: the coordinator


async def hand_back(session: AsyncSession, holder_id: int, now: datetime,
                    render_card: RenderCard, coordinators: Sequence[Recipient]) -> int:
    """A brugfiguur who stopped the bot: the open questions they hold go to the coordinator,
    who hands them on (/queue). Escalation moves only the untaken ones, and a taken question
    would wait for nobody. Returns how many moved."""
    held = list(await session.scalars(select(Question.id).where(
        Question.status == OPEN, Question.assignee_id == holder_id).order_by(Question.id)))
    for question_id in held:
        await reassign(session, question_id, None, now, render_card, coordinators,
                       handed_by=holder_id)
    return len(held)


async def forget_answers(session: AsyncSession, chat_id: int) -> None:
    """A brugfiguur's /forget: their answers go first, so that the questions they hand back
    come to the coordinator without them (storage.people.erase takes the rest)."""
    answered = list(await session.scalars(select(QuestionMessage.question_id).distinct().where(
        QuestionMessage.chat_id == chat_id, QuestionMessage.from_parent.is_(False))))
    await session.execute(delete(QuestionMessage).where(
        QuestionMessage.chat_id == chat_id, QuestionMessage.from_parent.is_(False)))
    # An open question left with no answer at all waits again as if never answered: the
    # next holder is reminded (escalation) rather than trusted to have seen an answer.
    still_answered = select(QuestionMessage.id).where(
        QuestionMessage.question_id == Question.id, QuestionMessage.from_parent.is_(False))
    await session.execute(
        update(Question).where(Question.id.in_(answered), Question.status == OPEN,
                               ~still_answered.exists())
        .values(first_answer_at=None, taken_at=None, taken_by_id=None)
        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Rescued:
    question: QuestionView
    holder_first_name: str  # who held it, and can no longer be reached
    holder_id: int | None = None


async def rescue_unreachable(session: AsyncSession, now: datetime, render_card: RenderCard,
                             coordinators: Sequence[Recipient]) -> list[Rescued]:
    """Open questions held by a brugfiguur who blocked the bot (or stopped it while another
    instance held the question): to the coordinator, who hands them on. A taken question is
    never escalated, so without this it would wait for nobody."""
    held = (await session.execute(
        select(Question.id, Person.id, Person.first_name)
        .join(Person, Person.id == Question.assignee_id)
        .where(Question.status == OPEN,
               (Person.blocked_at.is_not(None)) | (Person.stopped_at.is_not(None)))
        .order_by(Question.id))).all()
    rescued: list[Rescued] = []
    for question_id, holder_id, first_name in held:
        # held_by: with two instances, the one whose claim finds them still holding it
        # moves it and sends the cards.
        if not await reassign(session, question_id, None, now, render_card, coordinators,
                              handed_by=holder_id, held_by=holder_id):
            continue
        result = await view(session, question_id)
        assert result is not None
        rescued.append(Rescued(result, first_name))
    return rescued


async def _conversations(session: AsyncSession, question_ids: Sequence[int]
                         ) -> tuple[dict[int, list[tuple[int, bool]]], dict[int, datetime]]:
    """The questions' messages in order, as (message id, from the parent) per question, and
    when each was written."""
    conversations: dict[int, list[tuple[int, bool]]] = {}
    written: dict[int, datetime] = {}
    for question_id, message_id, from_parent, created_at in (await session.execute(
            select(QuestionMessage.question_id, QuestionMessage.id, QuestionMessage.from_parent,
                   QuestionMessage.created_at)
            .where(QuestionMessage.question_id.in_(question_ids))
            .order_by(QuestionMessage.id))).all():
        conversations.setdefault(question_id, []).append((message_id, from_parent))
        written[message_id] = created_at
    return conversations, written


async def rescue_on_leave(session: AsyncSession, now: datetime, render_card: RenderCard,
                          coordinators: Sequence[Recipient],
                          working_hours: float = 4.0) -> list[Rescued]:
    """Open questions held by a brugfiguur on leave (the whole week red: nothing reaches
    them, and nobody is reminded in a red hour) where the parent waits for an answer
    ``working_hours`` after it reached them: to the coordinator, who hands them on. The
    parent waits when they wrote after the last answer, or when the question was taken (✋)
    or escalated and never answered. A question nobody took or answered is escalation's
    (which passes them by); one whose last word is an answer waits for nobody until the
    parent writes again. The wait, not the map: someone who makes the week red for a
    moment while changing it loses nothing."""
    away = {m.id: m for m in await staff.team(session) if m.reachable and m.on_leave}
    if not away:
        return []
    held = [row for row in (await session.execute(
        select(Question.id, Question.assignee_id, Question.assigned_at, Question.taken_at,
               Question.first_answer_at, Question.escalated_at)
        .where(Question.status == OPEN, Question.assignee_id.in_(away))
        .order_by(Question.id))).all()
        if row.taken_at is not None or row.first_answer_at is not None
        or row.escalated_at is not None]
    if not held:
        return []
    conversations, written = await _conversations(session, [row.id for row in held])
    rescued: list[Rescued] = []
    for row in held:
        first = first_unanswered(conversations.get(row.id, []), taken=True)
        if first is None:
            continue  # the last word is an answer
        since = max(t for t in (written[first], row.assigned_at, row.taken_at)
                    if t is not None)
        if escalation_due(since, working_hours) > now:
            continue
        question = await view(session, row.id)
        if question is None or question.parent_blocked:
            continue  # no answer could reach them
        # held_by: only as read (an answer or a hand-over a moment ago goes first).
        if not await reassign(session, row.id, None, now, render_card, coordinators,
                              handed_by=row.assignee_id, held_by=row.assignee_id):
            continue
        result = await view(session, row.id)
        assert result is not None
        holder = away[row.assignee_id]
        rescued.append(Rescued(result, holder.first_name, holder.id))
    return rescued


async def escalate_due(session: AsyncSession, now: datetime, render_card: RenderCard,
                       coordinators: Sequence[Recipient],
                       working_hours: float = 4.0) -> list[Escalated]:
    """Questions nobody took or answered within ``working_hours`` go to the next candidate
    (once); the caller tells the coordinator."""
    waiting = (await session.execute(
        select(Question.id, Question.assigned_at, Question.deliver_at, Question.assignee_id,
               Question.handed_by_id)
        .where(Question.status == OPEN, Question.taken_at.is_(None),
               Question.first_answer_at.is_(None), Question.escalated_at.is_(None),
               Question.assigned_at.is_not(None)))).all()
    done: list[Escalated] = []
    for question_id, assigned_at, deliver_at, holder, handed_by in waiting:
        # The clock starts when the card reaches its holder: a question held for their next
        # green hour (the parent was told when) has not waited for them before that.
        shown_at = max(assigned_at, deliver_at) if deliver_at else assigned_at
        if shown_at is None or escalation_due(shown_at, working_hours) > now:
            continue
        if holder is None and handed_by is not None:
            continue  # handed to the coordinator on purpose: not offered back to the team
        # The claim: with two instances, the one whose update marks it first escalates it;
        # and only as read (a hand-over, a take or an answer a moment ago leaves it be).
        claimed = await session.execute(
            update(Question).where(_still_held_by(question_id, holder),
                                   Question.escalated_at.is_(None),
                                   Question.assigned_at == assigned_at,
                                   Question.taken_at.is_(None),
                                   Question.first_answer_at.is_(None))
            .values(escalated_at=now).execution_options(synchronize_session=False))
        if not claimed.rowcount:
            continue
        question = await session.get(Question, question_id)
        assert question is not None
        await session.refresh(question)
        previous = question.assignee_id
        members = await staff.team(session)
        chosen = choose_holder(question, members, now, leaving=previous)
        if chosen.assignee_id is not None or previous is not None:  # else: flagged only
            await reassign(session, question_id, chosen.assignee_id, now, render_card,
                           coordinators, escalated=True)
        holder = next((m.first_name for m in members if m.id == chosen.assignee_id), None)
        result = await view(session, question_id)
        assert result is not None
        done.append(Escalated(result, previous, holder))
    return done


def first_unanswered(messages: Sequence[tuple[int, bool]], after: int | None = None,
                     *, taken: bool = False) -> int | None:
    """Of a question's messages in order, ``(id, from_parent)``: the parent's first message
    after the last answer (and after message ``after``, the last one reminded of), when there
    was an answer and the parent wrote again; for a question ``taken`` (✋) and never
    answered, their first message (after ``after``). A question nobody took or answered is
    escalation's; one whose last word is an answer waits for nobody."""
    last_answer = max((message_id for message_id, from_parent in messages if not from_parent),
                      default=None)
    if last_answer is None and not taken:
        return None
    since = max(last_answer or 0, after or 0)
    return next((message_id for message_id, from_parent in messages
                 if from_parent and message_id > since), None)


@dataclass(frozen=True)
class Unanswered:
    """A parent wrote again after an answer, and their holder has not replied since; or the
    holder took the question (✋) and has not answered it (``answered`` False)."""

    question: QuestionView
    holder: Recipient
    message_row_id: int  # the parent's first message since the last answer (or reminder)
    latest_row_id: int  # their newest message: what comes after it is a new run
    copy_message_id: int  # the first one's copy in the holder's chat
    route: Route  # the holder's delivery rule now (an orange hour: without a sound)
    answered: bool = True  # False: taken and never answered

    @property
    def dedupe_key(self) -> str:  # once per holder and run of messages
        return f"q:{self.question.id}:nudge:{self.holder.chat_id}:m{self.latest_row_id}"


def last_reminded(keys: Sequence[str]) -> dict[tuple[int, int], int]:
    """(question, chat) -> the parent's newest message when they were last reminded, from
    the keys ``q:<id>:nudge:<chat>:m<message>``."""
    found: dict[tuple[int, int], int] = {}
    for key in keys:
        _q, question_id, _nudge, chat_id, message = key.split(":")
        at = (int(question_id), int(chat_id))
        found[at] = max(found.get(at, 0), int(message[1:]))
    return found


async def unanswered_follow_ups(session: AsyncSession, now: datetime,
                                coordinators: Sequence[Recipient] = (),
                                working_hours: float = 4.0) -> list[Unanswered]:
    """Answered questions where the parent wrote again, ``working_hours`` after the copy
    reached its holder (the coordinators, for a question they hold) with no answer since.
    Escalation, once per question, is for a first answer nobody took; this reminds the
    holder (the caller; once per run of messages: a message after a reminder starts a new
    run) to answer or close it, since the parent's last word may be a new question as well
    as a "thank you". A question taken (✋) and never answered is reminded the same way,
    ``working_hours`` after it was taken: escalation no longer looks at it. Nobody is
    reminded in a red hour: it comes in their next green one (one on leave has none: their
    questions go to the coordinator instead, ``rescue_on_leave``)."""
    held = {row.id: row for row in (await session.execute(
        select(Question.id, Question.assignee_id, Question.assigned_at, Question.deliver_at,
               Question.taken_at, Question.first_answer_at, Question.taken_by_id)
        .where(Question.status == OPEN, (Question.first_answer_at.is_not(None))
               | (Question.taken_at.is_not(None))))).all()}
    if not held:
        return []
    conversations, written = await _conversations(session, list(held))
    def taken_only(question_id: int) -> bool:  # ✋ and no answer yet
        return held[question_id].first_answer_at is None

    waiting = {question_id: messages for question_id, messages in conversations.items()
               if first_unanswered(messages, taken=taken_only(question_id)) is not None}
    if not waiting:
        return []
    # One look for the reminders already sent: a round with nothing new costs a few queries,
    # not a few per question.
    reminded = last_reminded(list(await session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.group_key.in_([f"q:{i}" for i in waiting]),
        OutboxMessage.dedupe_key.contains(":nudge:", autoescape=True)))))
    members = {m.id: m for m in await staff.team(session) if m.reachable}
    found: list[Unanswered] = []
    for question_id, messages in waiting.items():
        question_row = held[question_id]
        if question_row.assignee_id is None:
            # The coordinators' question: the one who took it (✋) is reminded, not the
            # others (who did not take it); all of them when nobody did.
            taker = (await session.scalar(select(Person.telegram_id).where(
                Person.id == question_row.taken_by_id))
                if question_row.taken_by_id is not None else None)
            to = [r for r in coordinators if r.chat_id == taker] or list(coordinators)
            holders = [(r, _route_to(None, [], now)) for r in to]
        elif (member := members.get(question_row.assignee_id)) is not None:
            if member.availability.level_at(now) is Level.RED:
                continue  # asked again each round, it comes in their next green hour
            holders = [(Recipient(member.id, member.telegram_id, member.locale),
                        _route_to(member.id, [member], now))]
        else:
            continue  # stopped or blocked: the rescue hands it on
        question: QuestionView | None = None
        latest = max(message_id for message_id, from_parent in messages if from_parent)
        for holder, holder_route in holders:
            first = first_unanswered(messages, reminded.get((question_id, holder.chat_id)),
                                     taken=taken_only(question_id))
            if first is None:
                continue
            # Its copy in the holder's chat, the latest one (a hand-over sends it again).
            copy = (await session.execute(
                select(OutboxMessage.created_at, OutboxMessage.not_before,
                       OutboxMessage.telegram_message_id)
                .where(OutboxMessage.group_key == f"q:{question_id}",
                       OutboxMessage.chat_id == holder.chat_id,
                       OutboxMessage.dedupe_key.endswith(f":m{first}", autoescape=True),
                       OutboxMessage.telegram_message_id.is_not(None))
                .order_by(OutboxMessage.id.desc()).limit(1))).first()
            if copy is None:
                continue  # it has not reached them (yet)
            # The clock starts when it could reach them: written, handed over, or held for
            # their green hour (a row held has its not_before after its creation).
            since = max(t for t in (written[first], question_row.assigned_at,
                                    question_row.deliver_at, question_row.taken_at)
                        if t is not None)
            if copy.not_before > copy.created_at:
                since = max(since, copy.not_before)
            if escalation_due(since, working_hours) > now:
                continue
            question = question or await view(session, question_id)
            assert question is not None
            if question.parent_blocked:
                break  # no answer could reach them
            found.append(Unanswered(question, holder, first, latest,
                                    int(copy.telegram_message_id), holder_route,
                                    answered=not taken_only(question_id)))
    return found


async def remind_holder(session: AsyncSession, item: Unanswered, text: str,
                        markup: dict[str, Any]) -> bool:
    """The reminder, under the parent's message in the holder's chat; only while the question
    is still open and theirs (closed or handed over a moment ago: nothing). Whether it went
    out."""
    # The claim, as in reassign: a close or hand-over at the same moment goes first or waits.
    claimed = await session.execute(
        update(Question).where(_still_held_by(item.question.id, item.holder.person_id))
        .values(assignee_id=Question.assignee_id).execution_options(synchronize_session=False))
    if not claimed.rowcount:
        return False
    await outbox.enqueue(
        session, dedupe_key=item.dedupe_key, chat_id=item.holder.chat_id,
        person_id=item.holder.person_id, kind="text",
        payload=quietly({"text": text, "reply_markup": markup, "reply_to": item.copy_message_id,
                         "always": True}, item.route.delivery),
        group_key=f"q:{item.question.id}")
    return True


# --------------------------------------------------------------------------------------------
# figures


async def week_figures(session: AsyncSession, now: datetime) -> WeekFigures:
    """Questions opened in the seven days before ``now``."""
    rows = await session.execute(
        select(Question.topic, Question.locale, Question.opened_at, Question.first_answer_at)
        .where(Question.opened_at.is_not(None), Question.opened_at >= now - timedelta(days=7),
               Question.opened_at < now))
    return stats.week_figures(
        QuestionFact(topic, locale, opened_at, answered)
        for topic, locale, opened_at, answered in rows.all())


# --------------------------------------------------------------------------------------------
# housekeeping


async def purge_closed(session: AsyncSession, now: datetime,
                       retention: timedelta = RETENTION) -> int:
    """Closed questions older than the retention go, with their messages and outbox rows."""
    ids = list(await session.scalars(select(Question.id).where(
        Question.status == CLOSED, Question.closed_at < now - retention)))
    await erase_questions(session, ids)
    return len(ids)


async def erase_questions(session: AsyncSession, ids: Sequence[int]) -> None:
    if not ids:
        return
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.group_key.in_([f"q:{i}" for i in ids])))
    await session.execute(delete(QuestionMessage).where(QuestionMessage.question_id.in_(ids)))
    await session.execute(delete(Question).where(Question.id.in_(ids)))


async def count_open(session: AsyncSession) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(Question).where(Question.status == OPEN)) or 0)


# --------------------------------------------------------------------------------------------
# the team's answers that missed their question


async def passed_on_in(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The question this message of the team (in their own chat) was passed on for."""
    return await session.scalar(
        select(QuestionMessage.question_id).where(
            QuestionMessage.chat_id == chat_id, QuestionMessage.message_id == message_id,
            QuestionMessage.from_parent.is_(False)).limit(1))


async def waiting_first(session: AsyncSession, found: Sequence[QuestionView]
                        ) -> tuple[list[QuestionView], set[int]]:
    """The questions, those waiting for an answer first (in the order given within each),
    and the ids of those waiting: whose last word is the parent's (never answered, or the
    parent wrote again since the last answer)."""
    said = (await session.execute(
        select(QuestionMessage.id, QuestionMessage.question_id, QuestionMessage.from_parent)
        .where(QuestionMessage.question_id.in_([q.id for q in found]))
        .order_by(QuestionMessage.id))).all()
    # An answer whose copy failed never reached the parent: it is not the last word.
    lost = await outbox_repo.failed_keys(session, (
        answer_key(question_id, row_id) for row_id, question_id, from_parent in said
        if not from_parent))
    last: dict[int, bool] = {}
    for row_id, question_id, from_parent in said:
        if from_parent or answer_key(question_id, row_id) not in lost:
            last[question_id] = bool(from_parent)
    waiting = {question_id for question_id, from_parent in last.items() if from_parent}
    return sorted(found, key=lambda q: q.id not in waiting), waiting
