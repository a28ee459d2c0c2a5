"""Queries of the outbox: insert without duplicates, claim due rows, record what happened.

Usage (the sender in bot/scheduler/outbox.py, each step in its own short transaction)::

    async with db.session() as session:
        claimed = await claim(session, now=utcnow(), limit=50, lease=timedelta(seconds=60))
        await session.commit()
    ...  # send each claimed row
    async with db.session() as session:
        await mark_sent(session, row.id, telegram_message_id=message_id, now=utcnow())
        await session.commit()

Callers own the transaction: nothing here commits. The statements work on SQLite and
PostgreSQL; where they differ (INSERT ... ON CONFLICT, FOR UPDATE SKIP LOCKED) the dialect
of the session's connection decides.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    OutboxMessage,
    Person,
    PersonSchool,
    Question,
    Reminder,
    StaffProfile,
    UTCDateTime,
    utcnow,
)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"
FINISHED = (SENT, FAILED, DROPPED)
# A reminder's statuses (bot/services/reminders.py) that the outbox's outcome changes.
REMINDER_SENT, REMINDER_UNDELIVERED = "sent", "undelivered"

# Rows per executemany: SQLAlchemy batches them into multi-row INSERTs, well under the
# bound-parameter limits of SQLite and asyncpg.
INSERT_CHUNK = 500

M = OutboxMessage


@dataclass(frozen=True)
class ClaimedMessage:
    """A row the sender now owns (status "sending"), with what the drop rule needs."""

    id: int
    dedupe_key: str
    chat_id: int
    person_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int  # including the try that starts now
    person_stopped: bool
    person_blocked: bool
    person_quiet_hours: str | None = None  # "HH-HH", the parent's own (None: the usual)
    group_key: str | None = None
    person_role: str | None = None  # as stored (a coordinator is one by COORDINATOR_IDS)
    person_map: str | None = None  # a team member's availability map (168 letters), if any


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_ignoring_duplicates(session: AsyncSession, rows: Sequence[dict[str, Any]],
                                     *, table: Table | None = None) -> int:
    """Insert rows (column name -> value, all with the same keys); a dedupe_key that exists
    already is skipped. Returns how many rows were inserted. With another ``table``, a row
    that breaks any of its unique constraints is skipped."""
    if dialect_name(session) == "postgresql":
        insert = pg_insert
    elif dialect_name(session) == "sqlite":
        insert = sqlite_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect_name(session))
    target = ["dedupe_key"] if table is None else None
    table = M.__table__ if table is None else table
    statement = (
        insert(table).on_conflict_do_nothing(index_elements=target).returning(table.c.id)
    )
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        # executemany: SQLAlchemy batches the rows into multi-row INSERTs ("insertmanyvalues"),
        # compiling the statement once; RETURNING counts only the rows really inserted.
        result = await session.execute(statement, list(rows[start:start + INSERT_CHUNK]))
        inserted += len(result.all())
    return inserted


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedMessage]:
    """Take up to ``limit`` due rows: status becomes "sending", attempts goes up by one.

    Due means "sending" with a claim older than ``lease`` (its sender died mid-send: the row
    is sent again), or pending with ``not_before <= now``, earliest first. A row is left alone
    while an older row of the same chat is being sent or is due, so a chat's messages go out
    in id order (the parts of a long text) and a batch holds at most one row per chat.
    """
    postgresql = dialect_name(session) == "postgresql"
    stale = await _claim_rows(session, _claim_statement(stale=True, postgresql=postgresql),
                              {"now": now, "stale_before": now - lease, "limit": limit})
    due = await _claim_rows(session, _claim_statement(stale=False, postgresql=postgresql),
                            {"now": now, "limit": limit - len(stale)})
    rows = sorted(stale + due, key=lambda r: r.id)
    person_ids = {r.person_id for r in rows if r.person_id is not None}
    # What the drop rule, quiet hours and a team member's map need of each row's person.
    people = {p.id: p for p in (await session.execute(
        select(Person.id, Person.stopped_at, Person.blocked_at, Person.quiet_hours,
               Person.role, StaffProfile.availability)
        .outerjoin(StaffProfile, StaffProfile.person_id == Person.id)
        .where(Person.id.in_(person_ids))
    )).all()} if person_ids else {}
    claimed = []
    for r in rows:
        p = people.get(r.person_id) if r.person_id else None
        claimed.append(ClaimedMessage(
            id=r.id, dedupe_key=r.dedupe_key, chat_id=r.chat_id, person_id=r.person_id,
            kind=r.kind, payload=_load(r.payload), attempts=r.attempts, group_key=r.group_key,
            person_stopped=p is not None and p.stopped_at is not None,
            person_blocked=p is not None and p.blocked_at is not None,
            person_quiet_hours=p.quiet_hours if p is not None else None,
            person_role=p.role if p is not None else None,
            person_map=p.availability if p is not None else None,
        ))
    return claimed


async def maps_of_chats(session: AsyncSession, chat_ids: Collection[int]) -> dict[int, str]:
    """The availability maps of the team members in these chats (by Telegram id): what a
    row to a coordinator, who has no person id on it, is brought by."""
    if not chat_ids:
        return {}
    return dict((await session.execute(
        select(Person.telegram_id, StaffProfile.availability)
        .join(StaffProfile, StaffProfile.person_id == Person.id)
        .where(Person.telegram_id.in_(list(chat_ids))))).all())


@functools.cache
def _claim_statement(*, stale: bool, postgresql: bool) -> Update:
    """The claim of stale or of due rows, built once: it runs at every step of the sender,
    and building it anew (with its cache key) was most of the claim's CPU in the profile."""
    table = M.__table__
    older = table.alias("older")
    now = bindparam("now", type_=UTCDateTime())
    # Written so that both index look-ups stay on (chat_id, status): this runs once per
    # candidate row, and the candidates of a broadcast are thousands.
    waits_for_older = exists().where(
        older.c.chat_id == table.c.chat_id,
        older.c.status.in_((PENDING, SENDING)),
        older.c.id < table.c.id,
        or_(older.c.status == SENDING, older.c.not_before <= now),
    )
    if stale:
        condition = and_(table.c.status == SENDING, table.c.claimed_at < bindparam("stale_before"))
        order: tuple[Any, ...] = (table.c.id,)
    else:
        condition = and_(table.c.status == PENDING, table.c.not_before <= now)
        order = (table.c.not_before, table.c.id)
    # Ordered like the (status, not_before) index: the scan stops after ``limit`` rows.
    pick = (select(table.c.id).where(condition, ~waits_for_older).order_by(*order)
            .limit(bindparam("limit", type_=Integer())))
    if postgresql:
        # Several senders may drain one outbox: each skips the rows another is claiming.
        pick = pick.with_for_update(skip_locked=True, of=table)
    # On SQLite the one UPDATE statement is the claim: SQLite has a single writer at a time.
    return (
        update(table)
        .where(table.c.id.in_(pick.scalar_subquery()))
        .values(status=SENDING, claimed_at=now, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.dedupe_key, table.c.chat_id, table.c.person_id,
                   table.c.kind, table.c.payload, table.c.attempts, table.c.group_key)
    )


async def _claim_rows(session: AsyncSession, statement: Update, params: dict[str, Any]
                      ) -> list[Any]:
    if params["limit"] <= 0:
        return []
    return list((await session.execute(statement, params)).all())


def _load(payload: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# A question's row keeps no text once it has left (or never will): a parent's first name on a
# card, a brugfiguur's in "Fatma has your question", the chats its copies came from. Its ids
# stay: a reply to it is still matched to its question (README: Privacy). A coordinator's note
# to the parents who came names her chat the same way.
_SPENT_PAYLOAD = case((M.group_key.like("q:%") | M.group_key.like("note:%"), "{}"),
                      else_=M.payload)


@dataclass(frozen=True)
class StillThere:
    """A claimed row as it is now, just before it goes to Telegram (``still_to_send``)."""

    gone: bool  # erased with its person (/forget)
    withdrawn: bool  # dropped meanwhile: its activity cancelled, the question handed over...
    person_stopped: bool
    person_blocked: bool
    person_locale: str | None = None  # their language now (a text with ``in_each`` follows it)
    person_schools: frozenset[int] | None = None  # their schools now, when asked for


async def still_to_send(session: AsyncSession, message_id: int, *,
                        schools: bool = False) -> StillThere:
    """A claimed row and its person as they are now (the drop rule is the caller's, as at
    the claim: ``bot.services.outbox.drop_reason``); ``schools``: their schools too."""
    row = (await session.execute(
        select(M.status, M.person_id, Person.stopped_at, Person.blocked_at, Person.locale)
        .outerjoin(Person, Person.id == M.person_id).where(M.id == message_id))).first()
    if row is None:
        return StillThere(True, False, False, False)
    theirs = frozenset(await session.scalars(select(PersonSchool.school_id).where(
        PersonSchool.person_id == row.person_id))) if schools and row.person_id else None
    return StillThere(False, row.status != SENDING, row.stopped_at is not None,
                      row.blocked_at is not None, row.locale, theirs)


async def mark_sent(
    session: AsyncSession, message_id: int, *, telegram_message_id: int | None, now: datetime
) -> None:
    await session.execute(
        update(M).where(M.id == message_id).values(
            status=SENT, sent_at=now, error=None, telegram_message_id=telegram_message_id,
            payload=_SPENT_PAYLOAD,
        ).execution_options(synchronize_session=False)
    )


async def mark_finished(
    session: AsyncSession, message_ids: Iterable[int], *, status: str, error: str
) -> None:
    """Failed or dropped, for good, with a reason code (their reminders: undelivered)."""
    ids = list(message_ids)
    if ids:
        await _undelivered(session, M.id.in_(ids), error)
        await session.execute(
            update(M).where(M.id.in_(ids)).values(status=status, error=error,
                                                  payload=_SPENT_PAYLOAD)
            .execution_options(synchronize_session=False)
        )


async def pending_ids(session: AsyncSession, *, group_key: str | None = None,
                      person_id: int | None = None) -> list[int]:
    """The rows not yet sent, of a group, of one person, or of both: waiting, or claimed by
    a sender that holds them for their turn (it looks again just before it sends,
    ``still_to_send``; one already on its way to Telegram is marked sent after all)."""
    assert group_key is not None or person_id is not None, "not every pending row"
    condition = M.status.in_((PENDING, SENDING))
    if group_key is not None:
        condition = and_(condition, M.group_key == group_key)
    if person_id is not None:
        condition = and_(condition, M.person_id == person_id)
    return list(await session.scalars(select(M.id).where(condition)))


# What someone gets as one of the team, not as a parent: translation requests (their group
# keys) and notices about a school's contact (their dedupe keys); and the rows of questions
# other than their own (cards, the parents' messages, notices about them).
TEAM_GROUPS = ("tr:", "td:", "ta:")
TEAM_KEYS = ("contact:", "changed:")


async def pending_team_ids(session: AsyncSession, person_id: int) -> list[int]:
    """The rows not yet sent (as ``pending_ids``) that wait for this person as one of the
    team: the programme, an announcement, a reminder or the answer to a question of their
    own as a parent are not among them."""
    own = [f"q:{question_id}" for question_id in await session.scalars(
        select(Question.id).where(Question.parent_id == person_id))]
    team = or_(and_(M.group_key.startswith("q:", autoescape=True), M.group_key.not_in(own)),
               *(M.group_key.startswith(prefix, autoescape=True) for prefix in TEAM_GROUPS),
               *(M.dedupe_key.startswith(prefix, autoescape=True) for prefix in TEAM_KEYS))
    return list(await session.scalars(select(M.id).where(
        M.status.in_((PENDING, SENDING)), M.person_id == person_id, team)))


async def take_pending(session: AsyncSession, key_prefix: str) -> list[dict[str, Any]]:
    """The payloads of the rows not sent nor being sent whose dedupe key starts with
    ``key_prefix``; those rows are gone (a newer one takes their place)."""
    rows = (await session.execute(select(M.id, M.payload).where(
        M.status == PENDING, M.dedupe_key.startswith(key_prefix, autoescape=True)))).all()
    if rows:
        await session.execute(delete(M).where(M.id.in_([row_id for row_id, _p in rows]))
                              .execution_options(synchronize_session=False))
    return [_load(payload) for _id, payload in rows]


async def pending_groups(session: AsyncSession, prefix: str) -> list[tuple[int, str]]:
    """(id, group_key) of the rows not yet sent (as ``pending_ids``) whose group key starts
    with ``prefix``."""
    rows = await session.execute(select(M.id, M.group_key).where(
        M.status.in_((PENDING, SENDING)), M.group_key.startswith(prefix, autoescape=True)))
    return [(row_id, key) for row_id, key in rows if key is not None]


async def _undelivered(session: AsyncSession, rows: Any, error: str) -> None:
    """The reminders carried by these outbox rows did not arrive."""
    await session.execute(
        update(Reminder).where(
            Reminder.id.in_(select(M.reminder_id).where(rows, M.reminder_id.is_not(None))),
            Reminder.status == REMINDER_SENT,
        ).values(status=REMINDER_UNDELIVERED, reason=error[:16])
        .execution_options(synchronize_session=False)
    )


# The error of a row the sender holds until a parent's quiet hours end.
QUIET = "quiet"
# The error of a cancellation notice the sender held when its day was undone: it may have
# reached its parent (``bot.services.cancellation.set_notices_aside``).
UNDONE_IN_FLIGHT = "undone_in_flight"


async def retry_later(
    session: AsyncSession,
    message_id: int,
    *,
    chat_id: int,
    not_before: datetime,
    error: str | None,
    refund_attempt: bool = False,
    push_younger: bool = True,
) -> None:
    """Back to pending until ``not_before``; the chat's younger pending rows wait as long
    (unless ``push_younger`` is False), so a retried first part still goes out before the
    second. ``error`` None: held as routing holds for a green hour (``held_cards.is_held``),
    not tried. A row set aside while it was tried (dropped: its day undone, its person gone)
    stays as it is."""
    values: dict[str, Any] = {"status": PENDING, "not_before": not_before, "error": error,
                              "claimed_at": None}
    if refund_attempt:
        values["attempts"] = case((M.attempts > 0, M.attempts - 1), else_=0)
    await session.execute(update(M).where(M.id == message_id, M.status == SENDING)
                          .values(**values).execution_options(synchronize_session=False))
    # A cancellation notice set aside on its way (its day undone): it did not arrive after
    # all, so its parent no longer counts as told (bot/services/cancellation.py).
    await session.execute(update(M).where(
        M.id == message_id, M.status == DROPPED, M.error == UNDONE_IN_FLIGHT)
        .values(error="undone").execution_options(synchronize_session=False))
    if not push_younger:
        # (Held for a team member's green hour: the rows after it are held each on its own
        # when it leaves, and what they asked for meanwhile comes now.)
        return
    await session.execute(
        update(M).where(
            M.chat_id == chat_id, M.id > message_id, M.status == PENDING,
            M.not_before < not_before,
        ).values(not_before=not_before).execution_options(synchronize_session=False)
    )


async def quiet_hours_changed(session: AsyncSession, chat_id: int | None = None) -> int:
    """A parent chose other quiet hours (``chat_id``), or the coordinator the usual ones
    (None: every chat): what the sender held for the end of the old ones (error
    :data:`QUIET`, and any row of the chat due at that same moment) is due now, and the
    sender holds it again if the new hours say so. Returns how many rows."""
    held = select(M.chat_id, M.not_before).where(M.status == PENDING, M.error == QUIET)
    if chat_id is not None:
        held = held.where(M.chat_id == chat_id)
    mornings: dict[int, set[datetime]] = {}
    for chat, morning in (await session.execute(held)).all():
        mornings.setdefault(chat, set()).add(morning)
    moved = 0
    for chat, moments in mornings.items():
        result = await session.execute(
            update(M).where(M.chat_id == chat, M.status == PENDING,
                            M.not_before.in_(sorted(moments)))
            .values(not_before=utcnow()).execution_options(synchronize_session=False))
        moved += result.rowcount or 0  # type: ignore[attr-defined]
    return moved


async def shown_since(session: AsyncSession, message_id: int, group_key: str,
                      chat_id: int) -> bool:
    """Whether the question of ``group_key`` was brought again to ``chat_id`` on request
    (📨 in /inbox: ``q:<id>:show:<chat>:...``) after row ``message_id``: that row's card or
    copy is in the chat already."""
    return bool(await session.scalar(select(exists().where(
        M.chat_id == chat_id, M.id > message_id,
        M.dedupe_key.startswith(f"{group_key}:show:{chat_id}:", autoescape=True)))))


async def release(session: AsyncSession, message_ids: Iterable[int]) -> None:
    """Give back claimed rows that were never tried (the sender stops or pauses)."""
    ids = list(message_ids)
    if ids:
        await session.execute(
            update(M).where(M.id.in_(ids), M.status == SENDING)
            .values(status=PENDING, claimed_at=None,
                    attempts=case((M.attempts > 0, M.attempts - 1), else_=0))
            .execution_options(synchronize_session=False)
        )


async def renew(session: AsyncSession, message_ids: Iterable[int], *, now: datetime) -> None:
    """Extend the lease of claimed rows the sender still holds or is sending, so that a claim
    never mistakes them for a dead sender's rows (and sends them twice)."""
    ids = list(message_ids)
    if ids:
        await session.execute(
            update(M).where(M.id.in_(ids), M.status == SENDING).values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )


async def mark_blocked(
    session: AsyncSession, message_id: int, *, chat_id: int, person_id: int | None,
    now: datetime,
) -> int:
    """Telegram answered 403: this row failed, the person is marked blocked and every other
    pending row of theirs (or of the chat) is dropped. Returns how many were dropped."""
    return len(await mark_blocked_keys(session, message_id, chat_id=chat_id,
                                       person_id=person_id, now=now))


async def mark_blocked_keys(
    session: AsyncSession, message_id: int, *, chat_id: int, person_id: int | None,
    now: datetime,
) -> list[str]:
    """:func:`mark_blocked`, returning the dedupe keys of the rows dropped (an answer still
    waiting among them will never arrive either: the sender has its author told)."""
    await mark_finished(session, [message_id], status=FAILED, error="blocked")
    if person_id is not None:
        await session.execute(
            update(Person).where(Person.id == person_id, Person.blocked_at.is_(None))
            .values(blocked_at=now).execution_options(synchronize_session=False)
        )
        same_recipient = or_(M.person_id == person_id, M.chat_id == chat_id)
    else:
        await session.execute(
            update(Person).where(Person.telegram_id == chat_id, Person.blocked_at.is_(None))
            .values(blocked_at=now).execution_options(synchronize_session=False)
        )
        same_recipient = M.chat_id == chat_id
    await _undelivered(session, and_(same_recipient, M.status == PENDING, M.id != message_id),
                       "blocked")
    result = await session.execute(
        update(M).where(same_recipient, M.status == PENDING, M.id != message_id)
        .values(status=DROPPED, error="blocked", payload=_SPENT_PAYLOAD)
        .returning(M.dedupe_key)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def next_due(session: AsyncSession, *, lease: timedelta) -> datetime | None:
    """When the next row becomes due: the earliest pending not_before, or the earliest
    expiry of a "sending" claim (a crashed sender's row)."""
    pending = await session.scalar(select(func.min(M.not_before)).where(M.status == PENDING))
    claimed = await session.scalar(select(func.min(M.claimed_at)).where(M.status == SENDING))
    times = [t for t in (pending, claimed + lease if claimed else None) if t is not None]
    return min(times) if times else None


async def states(session: AsyncSession, group_key: str) -> list[tuple[int, str, str | None]]:
    """(chat_id, status, error) of every row of a group, parts included."""
    rows = await session.execute(
        select(M.chat_id, M.status, M.error).where(M.group_key == group_key)
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def failed_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` whose row failed or was dropped: it will never be sent."""
    wanted = list(keys)
    if not wanted:
        return set()
    return set(await session.scalars(select(M.dedupe_key).where(
        M.dedupe_key.in_(wanted), M.status.in_((FAILED, DROPPED)))))


async def purge_finished(session: AsyncSession, *, before: datetime) -> int:
    """Delete sent, failed and dropped rows created before ``before`` (keep the outbox small
    and keep no message text longer than needed). A question's rows stay while the question
    does: a reply to its card or copies is an answer only while they are known
    (bot/services/questions.purge_closed takes them away with it)."""
    result = await session.execute(
        delete(M).where(M.status.in_(FINISHED), M.created_at < before,
                        or_(M.group_key.is_(None), M.group_key.not_like("q:%")))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
