"""What waits in the outbox for a brugfiguur's next green hour: a question's card and the
parent's messages (``questions._to_holder``), and the notes brought as their hours allow
(``staff.message_to``).

Such a row is *held*: pending, with a ``not_before`` still ahead, ``always`` in its payload
and no error (a retry or a parent's quiet hours set one). Two moments change what it should
do:

* the brugfiguur opens the question with 📨 in /inbox (the card and every message come
  again, right now) or answers it: what was held for them of that question would come
  later as a new, untouched question. It is dropped (``drop_shown``, ``drop_answered``);
* the coordinator answers it while its card still waits for the holder: they never saw it,
  and it would come later as a new, untouched question (a second answer could follow). It
  becomes the coordinator's, and what waited for the holder is dropped (``drop_unseen``);
* their availability map changes: a question whose card they never saw and that the new map
  puts off past the hour its parent was told goes to a colleague who sees it sooner (or, with
  no green hour left, on leave, to a colleague or the coordinator: ``reroute_delayed``); what
  else was held for the old map's green hour is re-timed to the new map's next green hour,
  never left in an hour they just made red (``retime``);
* they take a language away in /languages: a question in it whose card still waits for
  them (never seen) is routed again, to a colleague who reads it or the coordinator; what
  waited for them of it is dropped (``reroute_unread``).

* someone closes the question while a message of the parent waits for a green hour and
  has not reached their chat: it comes to them now, and the question stays open
  (``bring_unread``): closed, nobody would ever read it.

A hand-over or an escalation (``questions.reassign``) and closing (``questions.close``) drop
what waited for the one who no longer holds it themselves.

Usage (in the handler's transaction, before it commits; nothing here commits)::

    await held_cards.drop_shown(session, question_id, chat_id, now)     # before resend()
    await questions.resend(session, question_id, chat_id, locale, now, render_card, stamp=...)

    await questions.relay_answer(session, view, chat_id, message_id, now)
    await held_cards.drop_answered(session, question_id, chat_id, now)
    if view.assignee_id not in (None, answerer_id):                # the coordinator answered
        await held_cards.drop_unseen(session, question_id, view.assignee_id, now)

    await staff.set_availability(session, person_id, amap)
    await held_cards.reroute_delayed(session, person_id, amap, now, render_card, coordinators)
    moved = await held_cards.retime(session, person_id, amap, now)      # then commit, wake

    languages = await staff.toggle_language(session, person_id, "tr")
    if "tr" not in languages:                                           # then commit, wake
        moved = await held_cards.reroute_unread(session, person_id, "tr", now, render_card,
                                                coordinators)

Nothing here knows Telegram.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import staff
from bot.services.availability import AvailabilityMap
from bot.services.outbox import PART_MARK
from bot.services.questions import (
    OPEN,
    Recipient,
    RenderCard,
    _still_held_by,
    choose_holder,
    delivered_cards,
    reassign,
    show_messages,
)
from bot.services.routing import on_leave
from storage import outbox as outbox_repo
from storage.models import OutboxMessage, Person, Question, QuestionMessage, utcnow

M = OutboxMessage
CARD = "card"
_MESSAGE_PART = re.compile(r"m\d+")
# Rows that brought a question into a chat: held for a green hour ("to"), or again from
# /inbox ("show", never held).
_BRINGS = ("to", "show")
_SHOWN = re.compile(r"q:\d+:show:")


@dataclass(frozen=True)
class Retimed:
    """What a change of someone's map did to what waits for them."""

    rows: int  # outbox rows given a new time
    questions: int  # their questions whose card now reaches them at ``at``
    at: datetime | None  # the new time (UTC); None when nothing waited
    silently: bool = False  # their map has no green hour: now, without a sound


@dataclass(frozen=True)
class _Row:
    id: int
    dedupe_key: str
    kind: str
    status: str
    not_before: datetime
    error: str | None
    payload: dict[str, Any]
    chat_id: int = 0


def part_of(key: str, question_id: int, chat_id: int, *, held_only: bool = False) -> str | None:
    """What a question's outbox row in ``chat_id`` brings: ``"card"``, or ``"m<id>"`` for the
    copy (or forward) of its message ``<id>``; None for anything else there (a reminder to
    answer, a notice, another question's row). The parts of a long card count as the card.
    ``held_only``: only rows that may be held (routing, hand-over, follow-up), not the
    copies sent again from /inbox."""
    base = key.split(PART_MARK, 1)[0]
    kinds = _BRINGS[:1] if held_only else _BRINGS
    if not any(base.startswith(f"q:{question_id}:{kind}:{chat_id}:") for kind in kinds):
        return None
    last = base.rsplit(":", 1)[1]
    return last if last == CARD or _MESSAGE_PART.fullmatch(last) else None


def asked_for(key: str) -> bool:
    """Whether an outbox row brings a question to someone who asked for it right now (📨 in
    /inbox, or a close that brought an unread message: ``q:<id>:show:...``): never held for
    their green hour."""
    return _SHOWN.match(key) is not None


def is_held(status: str, not_before: datetime, error: str | None, payload: dict[str, Any],
            now: datetime) -> bool:
    """Whether an outbox row waits for its person's green hour: pending, not yet due, never
    tried (a retry or a parent's quiet hours leave an error) and ``always`` (what the team
    is brought: cards, copies, notes)."""
    return (status == outbox_repo.PENDING and not_before > now and error is None
            and bool(payload.get("always")))


def held_until(availability: AvailabilityMap, now: datetime) -> tuple[datetime, bool]:
    """When what waits for someone's green hour comes under ``availability``, and whether
    without a sound: their next green hour (``now`` itself in a green hour), as routing
    holds a card in a red hour; an orange hour does not ring either, so it waits for green.
    A map without any green hour: now, silently, as ``routing.delivery_for`` brings anything
    to someone who has none (routing would rather give a new question to a colleague)."""
    when = availability.next_green(now)
    if when is None:
        return now.astimezone(UTC), True
    return when, False


def reached(rows: Sequence[_Row], question_id: int, chat_id: int, now: datetime) -> set[str]:
    """The parts (card, messages) of a question that reached the chat or are on their way:
    sent, being sent, or due."""
    return {part for row in rows
            if (part := part_of(row.dedupe_key, question_id, chat_id)) is not None
            and (row.status in (outbox_repo.SENT, outbox_repo.SENDING)
                 or (row.status == outbox_repo.PENDING and row.not_before <= now))}


async def _question_rows(session: AsyncSession, question_id: int,
                         chat_id: int | None) -> list[_Row]:
    """The question's outbox rows in ``chat_id`` (None: in every chat)."""
    query = (select(M.id, M.dedupe_key, M.kind, M.status, M.not_before, M.error, M.payload,
                    M.chat_id).where(M.group_key == f"q:{question_id}").order_by(M.id))
    if chat_id is not None:
        query = query.where(M.chat_id == chat_id)
    found = await session.execute(query)
    return [_Row(r.id, r.dedupe_key, r.kind, r.status, r.not_before, r.error, _load(r.payload),
                 r.chat_id) for r in found.all()]


def _held_parts(rows: Sequence[_Row], question_id: int, chat_id: int,
                now: datetime) -> list[tuple[_Row, str]]:
    return [(row, part) for row in rows
            if (part := part_of(row.dedupe_key, question_id, chat_id, held_only=True))
            is not None
            and is_held(row.status, row.not_before, row.error, row.payload, now)]


async def _held(session: AsyncSession, question_id: int, chat_id: int,
                now: datetime) -> list[tuple[_Row, str]]:
    """What of the question waits for a green hour in ``chat_id``, with each row's part."""
    return _held_parts(await _question_rows(session, question_id, chat_id), question_id,
                       chat_id, now)


async def _unseen(session: AsyncSession, question_id: int, holder_id: int,
                  now: datetime) -> list[tuple[_Row, str]]:
    """What waits for the holder of the question, when its card does too (they never saw
    it); [] when its card reached their chat (or is on its way)."""
    chat_id = await session.scalar(select(Person.telegram_id).where(Person.id == holder_id))
    if chat_id is None:
        return []
    held = await _held(session, question_id, chat_id, now)
    return held if any(part == CARD for _row, part in held) else []


async def drop_shown(session: AsyncSession, question_id: int, chat_id: int,
                     now: datetime) -> int:
    """📨 in /inbox: the card and every message of the question come again in ``chat_id``
    now (``questions.resend``, called after this, in the same transaction), so what was held
    there for a green hour (card, copies) is dropped: it would come later as a new question.
    Returns how many rows were dropped."""
    held = await _held(session, question_id, chat_id, now)
    await outbox_repo.mark_finished(session, [row.id for row, _part in held],
                                    status=outbox_repo.DROPPED, error="shown")
    return len(held)


async def bring_unread(session: AsyncSession, question_id: int, recipient: Recipient,
                       now: datetime, *, stamp: int) -> int:
    """Someone is about to close the question from their chat while a message of the parent
    waits for a green hour (theirs, or the holder's) and has not reached their chat: they
    would close it unread, and nobody would read it. It comes to them now instead
    (``questions.show_messages``; what was held of it in their chat is dropped), and the
    question stays open. Returns how many of the parent's messages came; 0: none waited."""
    rows = await _question_rows(session, question_id, None)
    waiting = {part for row in rows
               if (part := part_of(row.dedupe_key, question_id, row.chat_id, held_only=True))
               not in (None, CARD)
               and is_held(row.status, row.not_before, row.error, row.payload, now)}
    mine = [row for row in rows if row.chat_id == recipient.chat_id]
    unread = sorted(int(part[1:]) for part in waiting
                    - reached(mine, question_id, recipient.chat_id, now))
    ids = list(await session.scalars(select(QuestionMessage.id).where(
        QuestionMessage.id.in_(unread), QuestionMessage.from_parent.is_(True))))
    if not ids:
        return 0
    parts = {f"m{i}" for i in ids}
    await outbox_repo.mark_finished(
        session, [row.id for row, part in _held_parts(mine, question_id, recipient.chat_id, now)
                  if part in parts], status=outbox_repo.DROPPED, error="shown")
    await show_messages(session, question_id, ids, recipient, now, stamp=stamp)
    return len(ids)


async def drop_answered(session: AsyncSession, question_id: int, chat_id: int,
                        now: datetime) -> int:
    """An answer from ``chat_id``: what was held there for a green hour and has reached the
    chat since (the card, a message's copy; by /inbox or an earlier card) is dropped, so the
    question does not come again as a new, untouched one. A message of the parent that has
    not reached the chat yet stays held (it was never seen); when its card is dropped, a held
    copy is shown as a reply to the card the chat has. Returns how many rows were dropped."""
    rows = await _question_rows(session, question_id, chat_id)
    seen = reached(rows, question_id, chat_id, now)
    held = _held_parts(rows, question_id, chat_id, now)
    dropped = {row.id for row, part in held if part in seen}
    await outbox_repo.mark_finished(session, sorted(dropped), status=outbox_repo.DROPPED,
                                    error="answered")
    if not any(part == CARD and row.id in dropped for row, part in held):
        return len(dropped)
    card = (await delivered_cards(session, question_id)).get(chat_id)
    for row, _part in held:
        if (row.id not in dropped and row.kind == "copy" and card
                and "reply_to" not in row.payload):
            await session.execute(
                update(M).where(M.id == row.id, M.status == outbox_repo.PENDING)
                .values(payload=_dump({**row.payload, "reply_to": card}))
                .execution_options(synchronize_session=False))
    return len(dropped)


async def drop_unseen(session: AsyncSession, question_id: int, holder_id: int,
                      now: datetime) -> int:
    """The coordinator answered a colleague's question (``holder_id`` holds it) whose card
    still waits for that colleague's green hour: they never saw it, and it would come then
    as a new, untouched question. What waits for them of it (the card, the parent's messages)
    is dropped and the question becomes the coordinators', who answered it: a further
    message of the parent reaches them now, not a colleague who has no card of it. The
    colleague is told nothing (nothing of it reached them). A holder whose card reached
    their chat (📨 in /inbox, or it came) keeps the question. Returns how many rows were
    dropped; 0: nothing changed."""
    held = await _unseen(session, question_id, holder_id, now)
    if not held:
        return 0  # its card reached them (or is on its way): theirs, as it was
    # The claim: a hand-over or escalation committed meanwhile goes first.
    claimed = await session.execute(
        update(Question).where(_still_held_by(question_id, holder_id))
        .values(assignee_id=None, assigned_at=now, deliver_at=None)
        .execution_options(synchronize_session=False))
    if not claimed.rowcount:
        return 0
    await outbox_repo.mark_finished(session, [row.id for row, _part in held],
                                    status=outbox_repo.DROPPED, error="answered")
    return len(held)


async def reroute_unread(session: AsyncSession, holder_id: int, locale: str, now: datetime,
                         render_card: RenderCard, coordinators: Sequence[Recipient]
                         ) -> list[int]:
    """``holder_id`` took ``locale`` away from their languages (/languages, after
    ``staff.toggle_language``): the open questions in it they hold whose card still waits
    for their green hour (they never saw it) are routed again, as a new question would be,
    leaving out them and whoever handed it to them: to a colleague who reads it, else the
    coordinator. What waited for them of it is dropped (``questions.reassign``, claimed as
    theirs: a hand-over or escalation committed meanwhile goes first). A question whose card
    reached them stays theirs: they saw it, and can hand it over. Returns the ids moved."""
    held = list(await session.scalars(
        select(Question).where(Question.assignee_id == holder_id, Question.status == OPEN,
                               Question.locale == locale).order_by(Question.id)))
    moved: list[int] = []
    for question in held:
        if not await _unseen(session, question.id, holder_id, now):
            continue  # its card reached them (or is on its way): theirs, as it was
        members = await staff.team(session)  # each time: the open questions each one holds
        chosen = choose_holder(question, members, now, leaving=holder_id)
        if await reassign(session, question.id, chosen.assignee_id, now, render_card,
                          coordinators, handed_by=question.handed_by_id, held_by=holder_id):
            moved.append(question.id)
    return moved


async def reroute_delayed(session: AsyncSession, holder_id: int,
                          availability: AvailabilityMap, now: datetime,
                          render_card: RenderCard, coordinators: Sequence[Recipient]
                          ) -> list[int]:
    """``holder_id`` saved a map (``availability``) that puts off what waits for them: an
    open question of theirs whose card they never saw, and whose parent was told an hour
    (``deliver_at``) the new map makes later, is routed again, as a new question would be,
    when a colleague sees it sooner; with no green hour left at all (on leave), to a
    colleague or else the coordinator, as ``reroute_unread`` does. Called before ``retime``,
    which moves what stays with them. Returns the ids moved."""
    when = availability.next_green(now)
    if when is None and not on_leave(availability):
        return []  # orange hours only: still reached, silently (routing.delivery_for)
    held = list(await session.scalars(
        select(Question).where(Question.assignee_id == holder_id, Question.status == OPEN,
                               Question.deliver_at > now).order_by(Question.id)))
    moved: list[int] = []
    for question in held:
        promised = question.deliver_at
        if when is not None and promised is not None and when <= promised:
            continue  # still on time
        if not await _unseen(session, question.id, holder_id, now):
            continue  # its card reached them: theirs, and they can hand it over
        members = await staff.team(session)  # each time: the open questions each one holds
        chosen = choose_holder(question, members, now, leaving=holder_id)
        sooner = chosen.assignee_id is not None and (
            when is None or (chosen.deliver_at or now) < when)
        if (sooner or when is None) and await reassign(
                session, question.id, chosen.assignee_id, now, render_card, coordinators,
                handed_by=question.handed_by_id, held_by=holder_id):
            moved.append(question.id)
    return moved


async def retime(session: AsyncSession, person_id: int, availability: AvailabilityMap,
                 now: datetime) -> Retimed:
    """Their map changed to ``availability``: what was held for their green hour (cards,
    the parent's messages, notes) comes at the new map's next green hour (``held_until``),
    never ringing in an hour they made red; their questions' ``deliver_at`` moves with it, so a
    parent's further message waits with the card and escalation counts from then. Rows
    already due or being sent are left alone. Returns what moved."""
    when, silently = held_until(availability, now)
    # A coordinator's rows carry no person id: those in her chat (held by the outbox
    # sender for her green hour) are hers.
    chat_id = await session.scalar(select(Person.telegram_id).where(Person.id == person_id))
    found = await session.execute(
        select(M.id, M.dedupe_key, M.kind, M.status, M.not_before, M.error, M.payload)
        .where(or_(M.person_id == person_id, and_(M.person_id.is_(None), M.chat_id == chat_id)),
               M.status == outbox_repo.PENDING, M.not_before > now,
               M.error.is_(None)).order_by(M.id))
    rows = [_Row(r.id, r.dedupe_key, r.kind, r.status, r.not_before, r.error, _load(r.payload))
            for r in found.all()]
    moving = [row for row in rows
              if is_held(row.status, row.not_before, row.error, row.payload, now)
              and (row.not_before != when or silently)]
    # Due now (a green hour now, or no green hour at all): by the wall clock, as a message
    # enqueued now is (the outbox claims by it; a test's clock may stand elsewhere).
    due = utcnow() if when <= now else when
    for row in moving:
        values: dict[str, Any] = {"not_before": due}
        if silently:
            values["payload"] = _dump({**row.payload, "disable_notification": True})
        await session.execute(
            update(M).where(M.id == row.id, M.status == outbox_repo.PENDING).values(**values)
            .execution_options(synchronize_session=False))
    questions = await session.execute(
        update(Question).where(Question.assignee_id == person_id, Question.status == OPEN,
                               Question.deliver_at > now, Question.deliver_at != when)
        .values(deliver_at=when).execution_options(synchronize_session=False))
    moved_questions = int(getattr(questions, "rowcount", 0) or 0)
    return Retimed(len(moving), moved_questions,
                   when if moving or moved_questions else None, silently)


def _load(payload: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dump(payload: dict[str, Any]) -> str:
    # As bot/services/outbox.py writes payloads.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
