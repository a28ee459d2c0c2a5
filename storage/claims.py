"""Things done once, whatever restarts or second instances do: a row in ``settings`` named
after the thing is its claim (the monthly report of a month, the weekly figures of a week).

Usage::

    if await claims.claim(session, "report:sent:2026-11"):   # True for the first asker only
        ...                                                   # do it, then commit
    await claims.release(session, "report:sent:2026-11")      # it failed: the next round tries
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Setting
from storage.outbox import dialect_name


async def claim(session: AsyncSession, key: str) -> bool:
    """True once per key, whichever instance asks first: the row is the claim."""
    insert = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(Setting).values(key=key, value="{}")
        .on_conflict_do_nothing(index_elements=["key"]).returning(Setting.key))
    return result.first() is not None


async def release(session: AsyncSession, key: str) -> None:
    """Give the claim back."""
    await session.execute(delete(Setting).where(Setting.key == key))
