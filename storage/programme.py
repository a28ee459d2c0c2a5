"""Queries about the programme (activities). Callers own the transaction (services never commit).

Two ways to read an activity:

* as an ORM row (``by_id``, ``by_external_ids``), loaded with its schools, texts and
  cancelled occurrences (``selectin``), for the few paths that change it;
* as an ``ActivityRecord`` (``for_schools``, ``active_since``, ``record_by_id``,
  ``records_by_ids``): plain rows, read with four Core statements built once. Every /week,
  RSVP press and reminder reads the programme, and ORM objects with their relations cost
  most of a /week's CPU (README, Performance: 4.7 ms per /week before, 2.6 ms after).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import flush_pending
from storage.models import (
    Activity,
    ActivityCancellation,
    ActivitySchool,
    ActivityText,
    School,
)

ACTIVITIES = Activity.__table__
LINKS = ActivitySchool.__table__
TEXTS = ActivityText.__table__
CANCELLATIONS = ActivityCancellation.__table__
SCHOOLS = School.__table__


@dataclass(frozen=True)
class TextRecord:
    locale: str
    title: str
    description: str
    voice_file_id: str | None


@dataclass
class ActivityRecord:
    """An activity as read for display: its own columns and its related rows."""

    # The activities columns by name: a Core row, or the ORM row itself (``record_of``).
    row: Row[Any] | Activity
    schools: list[tuple[int, str]] = field(default_factory=list)  # (school id, code)
    texts: list[TextRecord] = field(default_factory=list)
    cancelled_starts: list[datetime] = field(default_factory=list)


def record_of(activity: Activity) -> ActivityRecord:
    """An ORM row (with its relations loaded) as a record."""
    return ActivityRecord(
        row=activity,
        schools=[(link.school_id, link.school.code) for link in activity.schools],
        texts=[TextRecord(t.locale, t.title, t.description, t.voice_file_id)
               for t in activity.texts],
        cancelled_starts=[c.occurrence_start for c in activity.cancellations],
    )


def _related(ids: Select[Any]) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The schools, texts and cancellations of the activities that ``ids`` selects."""
    return (
        select(LINKS.c.activity_id, LINKS.c.school_id, SCHOOLS.c.code)
        .join(SCHOOLS, SCHOOLS.c.id == LINKS.c.school_id)
        .where(LINKS.c.activity_id.in_(ids)),
        select(TEXTS.c.activity_id, TEXTS.c.locale, TEXTS.c.title, TEXTS.c.description,
               TEXTS.c.voice_file_id).where(TEXTS.c.activity_id.in_(ids)),
        select(CANCELLATIONS.c.activity_id, CANCELLATIONS.c.occurrence_start)
        .where(CANCELLATIONS.c.activity_id.in_(ids)),
    )


@dataclass(frozen=True)
class _Reading:
    """Prebuilt statements for one kind of read (built once: building costs CPU too)."""

    activities: Select[Any]
    related: tuple[Select[Any], Select[Any], Select[Any]]

    @classmethod
    def where(cls, *conditions: Any) -> _Reading:
        return cls(
            select(ACTIVITIES).where(*conditions)
            .order_by(ACTIVITIES.c.starts_at, ACTIVITIES.c.id),
            _related(select(ACTIVITIES.c.id).where(*conditions)),
        )


_NOT_CANCELLED = ACTIVITIES.c.cancelled_at.is_(None)
# Not yet over at ``start``: an activity of several days that began before it still runs.
_MAY_OCCUR_SINCE = or_(ACTIVITIES.c.rrule.is_not(None),
                       ACTIVITIES.c.ends_at > bindparam("start"))
_FOR_SCHOOLS = _Reading.where(
    _NOT_CANCELLED,
    ACTIVITIES.c.starts_at < bindparam("end"),
    _MAY_OCCUR_SINCE,
    or_(ACTIVITIES.c.all_schools.is_(True), ACTIVITIES.c.id.in_(
        select(LINKS.c.activity_id).where(
            LINKS.c.school_id.in_(bindparam("school_ids", expanding=True))))),
)
_ACTIVE_SINCE = _Reading.where(_NOT_CANCELLED, _MAY_OCCUR_SINCE)
_BY_ID = _Reading.where(ACTIVITIES.c.id == bindparam("id"))
_BY_IDS = _Reading.where(ACTIVITIES.c.id.in_(bindparam("ids", expanding=True)))


async def _read(session: AsyncSession, reading: _Reading, params: dict[str, Any]
                ) -> list[ActivityRecord]:
    await flush_pending(session)
    rows = (await session.execute(reading.activities, params)).all()
    if not rows:
        return []
    found = {row.id: ActivityRecord(row) for row in rows}
    schools, texts, cancellations = reading.related
    for link in await session.execute(schools, params):
        found[link.activity_id].schools.append((link.school_id, link.code))
    for text in await session.execute(texts, params):
        found[text.activity_id].texts.append(
            TextRecord(text.locale, text.title, text.description, text.voice_file_id))
    for cancelled in await session.execute(cancellations, params):
        found[cancelled.activity_id].cancelled_starts.append(cancelled.occurrence_start)
    return list(found.values())


async def for_schools(
    session: AsyncSession, school_ids: Iterable[int], start: datetime, end: datetime
) -> list[ActivityRecord]:
    """Activities that are not cancelled, meant for one of these schools or for all schools,
    and that may have an occurrence starting in [start, end) or running at ``start``, by
    start.

    Recurring activities are returned whenever they began before ``end``: whether they
    still occur in the window is for the recurrence rule to say (see bot/services/programme.py).
    """
    return await _read(session, _FOR_SCHOOLS,
                       {"school_ids": list(school_ids), "start": start, "end": end})


async def active_since(session: AsyncSession, since: datetime) -> list[ActivityRecord]:
    """Activities that are not cancelled and may still occur at or after ``since``, by start."""
    return await _read(session, _ACTIVE_SINCE, {"start": since})


async def records_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[ActivityRecord]:
    """These activities as records (those that exist)."""
    found: list[ActivityRecord] = []
    unique = sorted(set(ids))
    # In chunks: SQLite caps the number of bound parameters of one statement.
    for i in range(0, len(unique), 500):
        found += await _read(session, _BY_IDS, {"ids": unique[i : i + 500]})
    return found


async def record_by_id(session: AsyncSession, activity_id: int) -> ActivityRecord | None:
    found = await _read(session, _BY_ID, {"id": activity_id})
    return found[0] if found else None


async def by_id(session: AsyncSession, activity_id: int) -> Activity | None:
    return await session.get(Activity, activity_id)


async def by_external_ids(
    session: AsyncSession, external_ids: Iterable[str]
) -> dict[str, Activity]:
    wanted = sorted(set(external_ids))
    found: dict[str, Activity] = {}
    # In chunks: SQLite caps the number of bound parameters of one statement.
    for i in range(0, len(wanted), 500):
        rows = await session.scalars(
            select(Activity).where(Activity.external_id.in_(wanted[i : i + 500]))
        )
        found.update((row.external_id, row) for row in rows)
    return found


async def by_external_ids_any_case(
    session: AsyncSession, external_ids: Iterable[str]
) -> dict[str, Activity]:
    """For each given id, its activity: the one with exactly that id, else one whose id
    differs from it only in capitals ("Yoga" for "yoga"; the oldest, if several). An id that
    differs from another given id only in capitals matches exactly only (a calendar may hold
    both: then they are two activities, as before).

    SQLite's lower() folds ASCII letters only: there an id with other capitals ("Çocuk")
    matches exactly only; PostgreSQL folds them too. No index: a file is read seldom, and
    the activities are hundreds."""
    wanted = sorted(set(external_ids))
    found: dict[str, Activity] = {}
    rows: list[Activity] = []
    # In chunks (two parameters an id): SQLite caps the number of bound parameters.
    for i in range(0, len(wanted), 250):
        chunk = wanted[i : i + 250]
        rows += await session.scalars(select(Activity).where(or_(
            Activity.external_id.in_(chunk),
            func.lower(Activity.external_id).in_(sorted({id_.lower() for id_ in chunk})))))
    exact = {row.external_id: row for row in rows}
    alike: dict[str, Activity] = {}
    for row in sorted(rows, key=lambda row: row.id, reverse=True):  # the oldest wins
        alike[row.external_id.lower()] = row
    capitals = Counter(id_.lower() for id_ in wanted)
    for id_ in wanted:
        row = exact.get(id_) or (alike.get(id_.lower()) if capitals[id_.lower()] == 1 else None)
        if row is not None:
            found[id_] = row
    return found


async def schools_by_code(session: AsyncSession) -> dict[str, School]:
    return {school.code: school for school in await session.scalars(select(School))}


async def delete_cancellations(session: AsyncSession, ids: list[int]) -> int:
    """Delete these cancellations; how many were still there."""
    result = await session.execute(
        delete(ActivityCancellation).where(ActivityCancellation.id.in_(ids))
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
