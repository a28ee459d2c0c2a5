"""The database: engine and session factory, migrations on start, default data.

Usage::

    db = Database.create("sqlite+aiosqlite:///data/bot.sqlite3")
    await db.prepare()                 # migrate to head, load the nine schools if empty
    async with db.session() as session:
        ...
    await db.close()
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.models import Base, School

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
# PostgreSQL advisory lock keys (any stable numbers): one instance migrates at a time; one
# instance drains the outbox (bot/scheduler/leader.py).
MIGRATE_LOCK = 7_471_001
SENDER_LOCK = 7_471_002
HERE = Path(__file__).resolve().parent
SCHOOLS_FILE = HERE / "data" / "schools.json"


# The newest migration's revision. A database stamped with it is read without Alembic, whose
# import alone is 10 MiB of the idle bot's memory (it is imported only to build or upgrade).
# tests/test_migrations.py checks that this is Alembic's head.
SCHEMA_HEAD = "0025"


def alembic_config(url: str) -> Config:
    """An Alembic config that works from any working directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the bot (a rollback of the code):
    this one cannot know its tables, and must not write to them."""

    def __init__(self, found: str, head: str) -> None:
        super().__init__(
            f"The database was made by a newer version of the bot (its schema is {found}; this "
            f"version knows up to {head}). Run the newer version again, or restore a backup "
            "made with this one.")


def shown_url(url: str) -> str:
    """The database URL with its password hidden, for a message to the operator. Cut at the
    last "@": a password with an unescaped "@" in it is hidden whole too."""
    scheme, separator, rest = url.partition("://")
    if "@" in rest:
        credentials, _at, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return f"{scheme}{separator}{rest}"


def sqlite_file(url: str | URL) -> str | None:
    """The file of an SQLite database; None for SQLite in memory and for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return parsed.database
    return None


class FileInUse(Exception):
    """Another bot runs on this SQLite file."""


def hold_sqlite_file(url: str) -> IO[bytes] | None:
    """For a bot that runs on an SQLite file: a lock beside it (``bot.sqlite3.lock``), held
    while the returned handle is open, so that a second bot on the same file stops at start
    (two would both poll Telegram, both send the outbox and answer every parent twice).
    None for another database: PostgreSQL instances share the work (bot/scheduler/leader.py).
    The lock goes with the process, a killed one's too."""
    if (path := sqlite_file(url)) is None:
        return None
    try:
        import fcntl
    except ImportError:  # not on Linux or macOS: no lock, as before
        return None

    # A file of its own: closing any other handle to the database file itself would drop
    # the POSIX locks SQLite holds on it.
    handle = open(f"{path}.lock", "wb")  # noqa: SIM115 - held until the bot stops
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise FileInUse(f"Another bot already runs on the database file {path}. Stop it "
                        "first: two bots on one file would both answer every parent.") from None
    return handle


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of an SQLite file (``./data/`` by default) on first start."""
    if (path := sqlite_file(url)) is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and the writer work side by side; foreign keys make deletes cascade.
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL: a commit writes the log but does not wait for the disk (no fsync; SQLite's
    # advice for WAL). A killed process loses nothing it committed; a power cut may lose the
    # last commits, never the file. FULL waited for the disk at every commit, with the
    # whole event loop (storage/sqlite_driver.py): 0.27 ms here, far more on an SD card.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _at_head(connection: Connection) -> bool:
    """True when the database is stamped with SCHEMA_HEAD (read without Alembic)."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return list(versions) == [SCHEMA_HEAD]


def _build_or_check(connection: Connection, config: Config) -> bool:
    """Build a new, empty database in one step; otherwise True when Alembic must upgrade."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    context = MigrationContext.configure(connection)
    current = context.get_current_revision()
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise SchemaTooNew(current, script.get_current_head() or SCHEMA_HEAD)
    if current is None and not inspect(connection).get_table_names():
        Base.metadata.create_all(connection)
        context.stamp(script, "head")
        return False
    return current != script.get_current_head()


async def has_writes(session: AsyncSession) -> bool:
    """Whether committing now keeps something: ORM changes not flushed yet, or a statement
    of the transaction that wrote (on SQLite: it holds the writer). On another database any
    open transaction counts (a write is not told apart from a read there)."""
    if session.new or session.dirty or session.deleted:
        return True
    if not session.in_transaction():
        return False
    connection = await session.connection()
    raw = connection.sync_connection.connection.dbapi_connection if (
        connection.sync_connection is not None) else None
    inline = getattr(raw, "_connection", None)
    if isinstance(inline, sqlite_driver.InlineConnection):
        return inline.holds_writer
    return True


async def flush_pending(session: AsyncSession) -> None:
    """Send this transaction's ORM changes to the database before a Core read: Core
    statements skip the ORM's autoflush, and would not see them otherwise."""
    if session.new or session.dirty or session.deleted:
        await session.flush()


class Database:
    def __init__(self, url: str, engine: AsyncEngine) -> None:
        self.url = url
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def create(cls, url: str, *, pool_size: int = 12, max_overflow: int = 4) -> Database:
        """``pool_size``: connections kept open, at least the updates handled at once plus the
        background work (``Settings.pool_size``): a connection beyond it is closed when given
        back, so a smaller pool keeps opening new ones on a busy minute."""
        ensure_sqlite_folder(url)
        # hide_parameters: an error in the log never shows names or message texts.
        options: dict[str, Any] = {"hide_parameters": True}
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        if not sqlite or sqlite_file(parsed) is not None:
            # (SQLite in memory has one connection, shared: no pool to size.)
            options.update(pool_size=pool_size, max_overflow=max_overflow)
        if sqlite:
            # SQLite runs on the loop's own thread: see storage/sqlite_driver.py for why.
            options["async_creator"] = sqlite_driver.creator(parsed.database)
        else:
            # pool_pre_ping: a connection the database dropped (a restart, a failover) is
            # replaced instead of failing the next update.
            options["pool_pre_ping"] = True
        engine = create_async_engine(url, **options)
        if sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cls(url, engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def _one_instance_at_a_time(self) -> AsyncIterator[AsyncConnection]:
        """A connection; on PostgreSQL holding an advisory lock, so that instances starting
        together migrate and load the default data one after the other."""
        async with self.engine.connect() as connection:
            if self.is_postgresql:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"),
                                         {"key": MIGRATE_LOCK})
            try:
                yield connection
            finally:
                if self.is_postgresql:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                             {"key": MIGRATE_LOCK})

    async def _migrate(self, connection: AsyncConnection) -> None:
        if await connection.run_sync(_at_head):
            await connection.commit()
            return
        config = alembic_config(self.url)
        behind = await connection.run_sync(_build_or_check, config)
        await connection.commit()
        if behind:
            from alembic import command

            # Alembic runs its own event loop, so in a thread of its own.
            await asyncio.to_thread(command.upgrade, config, "head")

    async def migrate(self) -> None:
        """Bring the schema to the newest revision. A new, empty database gets the models'
        tables at once, stamped with the newest revision (Alembic's cookbook: the same schema
        as running every migration, which tests/test_migrations.py checks, in a fraction of
        the time); an older one is upgraded by Alembic, one revision after the other; one at
        the newest revision is left alone."""
        async with self._one_instance_at_a_time() as connection:
            await self._migrate(connection)

    async def load_default_schools(self) -> int:
        """Load the model town's nine schools when the table is empty; returns how many."""
        async with self.session() as session:
            count = await session.scalar(select(func.count()).select_from(School))
            if count:
                return 0
            schools = json.loads(SCHOOLS_FILE.read_text(encoding="utf-8"))
            session.add_all(School(code=s["code"], name=s["name"]) for s in schools)
            await session.commit()
            return len(schools)

    async def prepare(self) -> None:
        """Migrate, then load the nine schools into an empty table (what the bot does on
        start)."""
        async with self._one_instance_at_a_time() as connection:
            await self._migrate(connection)
            await self.load_default_schools()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def ping(self) -> bool:
        """True when the database answers (the load balancer's /healthz)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not healthy"; the reason goes to the log
            log.warning("database ping failed", exc_info=True)
            return False

    async def close(self) -> None:
        await self.engine.dispose()
