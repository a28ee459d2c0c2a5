"""Queries about the programme (activities). Callers own the transaction (services never commit).

An activity is loaded with its schools, texts and cancelled occurrences (``selectin``), so
the service can turn it into plain data without further round trips.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, ActivitySchool, School


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


async def for_schools(
    session: AsyncSession, school_ids: Iterable[int], start: datetime, end: datetime
) -> list[Activity]:
    """Activities that are not cancelled, meant for one of these schools or for all schools,
    and that may have an occurrence starting in [start, end).

    Recurring activities are returned whenever they began before ``end``: whether they
    still occur in the window is for the recurrence rule to say (see bot/services/programme.py).
    """
    for_these_schools = Activity.id.in_(
        select(ActivitySchool.activity_id).where(ActivitySchool.school_id.in_(list(school_ids)))
    )
    query = (
        select(Activity)
        .where(
            Activity.cancelled_at.is_(None),
            Activity.starts_at < end,
            or_(Activity.rrule.is_not(None), Activity.starts_at >= start),
            or_(Activity.all_schools.is_(True), for_these_schools),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    return list(await session.scalars(query))


async def active_since(session: AsyncSession, since: datetime) -> list[Activity]:
    """Activities that are not cancelled and may still occur at or after ``since``."""
    query = (
        select(Activity)
        .where(
            Activity.cancelled_at.is_(None),
            or_(Activity.rrule.is_not(None), Activity.starts_at >= since),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    return list(await session.scalars(query))


async def schools_by_code(session: AsyncSession) -> dict[str, School]:
    return {school.code: school for school in await session.scalars(select(School))}
