"""The Alembic migrations build exactly the tables the models describe, and go both ways; a
new database built in one step (``Database.migrate``) has the very same schema."""

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import SCHEMA_HEAD, Database, alembic_config
from storage.models import Base
from tests.conftest import TEST_DATABASE_URL

ON_POSTGRESQL = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                   reason="TEST_DATABASE_URL names no PostgreSQL database")


def in_thread(function: Any, *args: Any) -> Any:
    """Alembic runs its own event loop: run it (and asyncio.run) away from the test's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


async def inspect_url(url: str, look: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(look)
    finally:
        await engine.dispose()


def tables(url: str) -> set[str]:
    return in_thread(asyncio.run, inspect_url(url, lambda c: set(inspect(c).get_table_names())))


def schema(connection: Connection) -> dict[str, Any]:
    """Every table's columns (type, nullability, default), keys, indexes and constraints."""
    seen = inspect(connection)
    described: dict[str, Any] = {}
    for table in sorted(seen.get_table_names()):
        if table == "alembic_version":
            continue
        described[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                        for c in seen.get_columns(table)],
            "primary key": seen.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                                    tuple(f["referred_columns"]),
                                    (f.get("options") or {}).get("ondelete"))
                                   for f in seen.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in seen.get_indexes(table)),
            "unique": sorted((u["name"], tuple(u["column_names"]))
                             for u in seen.get_unique_constraints(table)),
            "checks": sorted((c["name"], c["sqltext"]) for c in seen.get_check_constraints(table)),
        }
    return described


def revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def scratch_databases(*suffixes: str) -> Iterator[list[str]]:
    """PostgreSQL databases of their own: the suite's shared one keeps its schema."""
    server = make_url(TEST_DATABASE_URL)
    names = [f"{server.database}_{suffix}" for suffix in suffixes]

    async def admin(create: bool) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for name in names:
                    await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                    if create:
                        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            await engine.dispose()

    in_thread(asyncio.run, admin(True))
    try:
        yield [server.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        in_thread(asyncio.run, admin(False))


# --------------------------------------------------------------------------------------------
# the migrations, one revision after the other


def check_round_trip(url: str) -> None:
    """Upgrade to head: the models' tables, nothing missing or different; downgrade to
    base: nothing left; upgrade again: the same tables."""
    config = alembic_config(url)
    in_thread(command.upgrade, config, "head")
    head = tables(url)
    diff = in_thread(asyncio.run, inspect_url(
        url, lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)))
    assert diff == []
    assert set(Base.metadata.tables) <= head
    in_thread(command.downgrade, config, "base")
    assert tables(url) <= {"alembic_version"}
    in_thread(command.upgrade, config, "head")
    assert tables(url) == head


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    check_round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")


@ON_POSTGRESQL
def test_migrations_on_postgresql() -> None:
    with scratch_databases("migrations") as (url,):
        check_round_trip(url)


# --------------------------------------------------------------------------------------------
# Database.migrate: a new database in one step, an older one upgraded, a current one left be


async def check_one_step_equals_migrations(one_step: str, migrated: str) -> None:
    db = Database.create(one_step)
    try:
        await db.migrate()
    finally:
        await db.close()
    in_thread(command.upgrade, alembic_config(migrated), "head")
    built = await inspect_url(one_step, lambda c: (schema(c), revision(c)))
    upgraded = await inspect_url(migrated, lambda c: (schema(c), revision(c)))
    assert built[0] == upgraded[0]
    assert set(built[0]) == set(Base.metadata.tables)
    assert built[1] == upgraded[1] is not None  # stamped: the next migration applies


async def test_a_new_database_in_one_step_is_the_migrated_schema_on_sqlite(
        tmp_path: Path) -> None:
    await check_one_step_equals_migrations(f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}",
                                           f"sqlite+aiosqlite:///{tmp_path / 'two.sqlite3'}")


@ON_POSTGRESQL
async def test_a_new_database_in_one_step_is_the_migrated_schema_on_postgresql() -> None:
    with scratch_databases("one_step", "migrated") as (one_step, migrated):
        await check_one_step_equals_migrations(one_step, migrated)


async def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    in_thread(command.upgrade, alembic_config(url), "0010")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO schools (code, name) VALUES ('klimop', 'Klim-op')"))
    await engine.dispose()

    db = Database.create(url)
    try:
        await db.migrate()
        assert "monthly_counts" in tables(url)  # revision 0011
        async with db.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            assert await conn.run_sync(revision) == head
            assert (await conn.execute(text("SELECT code FROM schools"))).scalars().all() == [
                "klimop"]
        await db.migrate()  # at the newest revision: nothing to do, nothing fails
        assert await db.load_default_schools() == 0  # the school was there: none added
    finally:
        await db.close()


async def test_copying_the_questions_table_keeps_their_numbers_and_messages(
    tmp_path: Path
) -> None:
    """Revision 0013 copies the questions table on SQLite: question 5 was purged, so the
    next question is still 6 (AUTOINCREMENT and its counter kept), and the messages of the
    other questions stay (no cascade while the table is swapped)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'numbers.sqlite3'}"
    in_thread(command.upgrade, alembic_config(url), "0012")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO people (telegram_id, first_name, locale, role, created_at) "
            "VALUES (1, 'Ayşe', 'tr', 'parent', '2026-12-01')"))
        for _ in range(5):
            await conn.execute(text(
                "INSERT INTO questions (parent_id, locale, topic, status, created_at) "
                "VALUES (1, 'tr', 'school', 'open', '2026-12-01')"))
        await conn.execute(text(
            "INSERT INTO question_messages (question_id, from_parent, chat_id, message_id, "
            "created_at) VALUES (4, 1, 1, 10, '2026-12-01')"))
        await conn.execute(text("DELETE FROM questions WHERE id = 5"))
        # Question 3 was handed to the coordinator by a brugfiguur who had its card: the
        # new column learns so from the outbox, as escalation did before it.
        await conn.execute(text(
            "INSERT INTO people (telegram_id, first_name, locale, role, created_at) "
            "VALUES (2, 'Fatma', 'tr', 'brugfiguur', '2026-12-01')"))
        await conn.execute(text(
            "INSERT INTO outbox (dedupe_key, chat_id, person_id, kind, payload, status, "
            "attempts, not_before, created_at, group_key) VALUES ('q:3:to:2:1764000000:card', "
            "2, 2, 'text', '{}', 'sent', 1, '2026-12-01', '2026-12-01', 'q:3')"))
    await engine.dispose()
    for target in ("head", "0012", "head"):  # up, down and up again
        in_thread(command.upgrade if target == "head" else command.downgrade,
                  alembic_config(url), target)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        handed = dict((await conn.execute(text(
            "SELECT id, handed_by_id FROM questions"))).all())
        await conn.execute(text(
            "INSERT INTO questions (parent_id, locale, topic, status, created_at) "
            "VALUES (1, 'tr', 'school', 'open', '2026-12-02')"))
        numbers = (await conn.execute(text("SELECT id FROM questions"))).scalars().all()
        kept = await conn.scalar(text("SELECT count(*) FROM question_messages"))
    await engine.dispose()
    assert sorted(numbers) == [1, 2, 3, 4, 6]
    assert kept == 1
    assert handed == {1: None, 2: None, 3: 2, 4: None}


async def test_question_message_ids_are_never_reused_after_revision_0015(
    tmp_path: Path
) -> None:
    """A brugfiguur's /forget deleted her answer, the newest message (id 3); its outbox row
    (``q:1:answer:3``) stays with the question. Without AUTOINCREMENT the next answer would
    be 3 again, and its copy ignored as a duplicate. An id named by a key only (7, freed
    earlier) is not given again either."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'messages.sqlite3'}"
    in_thread(command.upgrade, alembic_config(url), "0014")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO people (telegram_id, first_name, locale, role, created_at) "
            "VALUES (1, 'Ayşe', 'tr', 'parent', '2026-12-01')"))
        await conn.execute(text(
            "INSERT INTO questions (parent_id, locale, topic, status, created_at) "
            "VALUES (1, 'tr', 'school', 'open', '2026-12-01')"))
        for n in range(3):
            await conn.execute(text(
                "INSERT INTO question_messages (question_id, from_parent, chat_id, message_id, "
                f"created_at) VALUES (1, {int(n == 0)}, 1, {10 + n}, '2026-12-01')"))
        await conn.execute(text(
            "INSERT INTO outbox (dedupe_key, chat_id, person_id, kind, payload, status, "
            "attempts, not_before, created_at, group_key) VALUES ('q:1:answer:7', 1, 1, "
            "'copy', '{}', 'sent', 1, '2026-12-01', '2026-12-01', 'q:1')"))
    await engine.dispose()
    for target in ("head", "0014", "head"):  # up, down and up again
        in_thread(command.upgrade if target == "head" else command.downgrade,
                  alembic_config(url), target)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM question_messages WHERE id = 3"))
        await conn.execute(text(
            "INSERT INTO question_messages (question_id, from_parent, chat_id, message_id, "
            "created_at) VALUES (1, 0, 2, 20, '2026-12-02')"))
        ids = (await conn.execute(text(
            "SELECT id FROM question_messages ORDER BY id"))).scalars().all()
    await engine.dispose()
    assert ids == [1, 2, 8]


async def test_reminder_ids_are_never_reused_after_revision_0020(tmp_path: Path) -> None:
    """A reminder's buttons carry its id. Reminder 3 was erased with its parent (/forget),
    and an outbox row still names a deleted reminder 5: after revision 0020 the next
    reminder is 6, not 3 or 5, and the outbox keeps its links (no cascade during the copy)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'reminders.sqlite3'}"
    in_thread(command.upgrade, alembic_config(url), "0019")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO people (telegram_id, first_name, locale, role, created_at) "
            "VALUES (1, 'Ayşe', 'tr', 'parent', '2026-12-01')"))
        await conn.execute(text(
            "INSERT INTO activities (external_id, kind, starts_at, ends_at, all_schools, "
            "place_name, place_address, created_at, updated_at) VALUES ('a', 'workshop', "
            "'2026-12-10', '2026-12-10', 1, '', '', '2026-12-01', '2026-12-01')"))
        for n in range(1, 6):
            await conn.execute(text(
                "INSERT INTO reminders (activity_id, occurrence_start, person_id, kind, due_at, "
                f"status) VALUES (1, '2026-12-10', 1, 'k{n}', '2026-12-09', 'sent')"))
        await conn.execute(text(
            "INSERT INTO outbox (dedupe_key, chat_id, person_id, kind, payload, status, "
            "attempts, not_before, created_at, reminder_id) VALUES "
            "('r2', 1, 1, 'text', '{}', 'sent', 1, '2026-12-01', '2026-12-01', 2), "
            "('r5', 1, 1, 'text', '{}', 'sent', 1, '2026-12-01', '2026-12-01', 5)"))
        await conn.execute(text("DELETE FROM reminders WHERE id IN (3, 4, 5)"))
    await engine.dispose()
    for target in ("head", "0019", "head"):  # up, down and up again
        in_thread(command.upgrade if target == "head" else command.downgrade,
                  alembic_config(url), target)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO reminders (activity_id, occurrence_start, person_id, kind, due_at, "
            "status) VALUES (1, '2026-12-10', 1, 'new', '2026-12-09', 'planned')"))
        ids = (await conn.execute(text("SELECT id FROM reminders ORDER BY id"))).scalars().all()
        links = (await conn.execute(text(
            "SELECT reminder_id FROM outbox ORDER BY dedupe_key"))).scalars().all()
    await engine.dispose()
    assert ids == [1, 2, 6]
    assert links == [2, 5]


@ON_POSTGRESQL
async def test_two_instances_starting_together_on_a_new_database() -> None:
    """Both build or check the schema and load the nine schools, one after the other."""
    with scratch_databases("together") as (url,):
        first, second = Database.create(url), Database.create(url)
        try:
            await asyncio.gather(first.prepare(), second.prepare())
            async with first.engine.connect() as conn:
                schools = await conn.scalar(text("SELECT count(*) FROM schools"))
        finally:
            await first.close()
            await second.close()
    assert schools == 9


def test_the_head_the_bot_knows_is_alembics_head(tmp_path: Path) -> None:
    """storage.db.SCHEMA_HEAD spares the bot Alembic's import when the database is at head;
    a new migration must move it too, or every start would run Alembic."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'any.sqlite3'}"
    assert ScriptDirectory.from_config(alembic_config(url)).get_current_head() == SCHEMA_HEAD
