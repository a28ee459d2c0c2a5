"""The update ids webhook instances took from Telegram, shared through the database.

Telegram posts an update again when it did not hear the 200 of the first post. Each process
remembers the ids it took (bot/update_order.py), but with two instances behind one load
balancer the retry may land on the other: the first instance to note an id handles it, any
other acknowledges it and lets it be.

Usage (bot/webhook.py)::

    if await received_updates.take(db, update.update_id, utcnow()):
        ...  # queue it: the first time any instance saw it
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ReceivedUpdate

# Telegram keeps an undelivered update for 24 hours; a day more for clocks and restarts.
KEPT = timedelta(days=2)


async def take(db: Database, update_id: int, now: datetime) -> bool:
    """True for the first instance that notes ``update_id``, False for every later one."""
    insert = pg_insert if db.is_postgresql else sqlite_insert
    async with db.session() as session:
        result = await session.execute(
            insert(ReceivedUpdate).values(update_id=update_id, received_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ReceivedUpdate.update_id))
        taken = result.first() is not None
        await session.commit()
    return taken


async def give_back(db: Database, update_id: int) -> None:
    """Un-note ``update_id``: taken by an instance that then could not queue it (it began
    to stop meanwhile), so that Telegram's retry is handled, here or elsewhere."""
    async with db.session() as session:
        await session.execute(
            delete(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id)
            .execution_options(synchronize_session=False))
        await session.commit()


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Delete the ids noted before ``before``; returns how many."""
    result = await session.execute(
        delete(ReceivedUpdate).where(ReceivedUpdate.received_at < before)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
