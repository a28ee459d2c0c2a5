"""The update ids the webhook notes in the database (storage/received_updates.py): the first
instance to note an id handles it; the ids go after two days with the daily retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.services import retention
from storage import received_updates
from storage.db import Database
from storage.models import ReceivedUpdate

NOON = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)


async def test_an_id_is_taken_once(db: Database) -> None:
    assert await received_updates.take(db, 7001, NOON)
    assert not await received_updates.take(db, 7001, NOON + timedelta(seconds=30))
    assert await received_updates.take(db, 7002, NOON)


async def test_two_instances_noting_the_same_id_at_once_take_it_once(db: Database) -> None:
    taken = await asyncio.gather(*(received_updates.take(db, 7100, NOON) for _ in range(4)))
    assert sorted(taken) == [False, False, False, True]


async def test_the_daily_retention_forgets_ids_older_than_two_days(db: Database) -> None:
    await received_updates.take(db, 1, NOON - timedelta(days=2, minutes=1))
    await received_updates.take(db, 2, NOON - timedelta(days=1, hours=23))
    async with db.session() as session:
        await retention.purge(session, NOON, timedelta(days=90))
        await session.commit()
        kept = list(await session.scalars(select(ReceivedUpdate.update_id)))
        assert kept == [2]
        assert await session.scalar(select(func.count()).select_from(ReceivedUpdate)) == 1
