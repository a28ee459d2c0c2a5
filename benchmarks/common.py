"""What the benchmarks share: a row of the summary table, percentiles, scratch databases,
and ``python -m bot`` as a real subprocess against the fake Bot API server.

Usage::

    rows = [Row("start-up, migrated SQLite", "0.91 s", "<= 2 s", True)]
    print_table(rows)
    async with scratch_database("sqlite") as url:   # or "postgresql": a database of its own
        ...
    bot = await BotProcess.start(fake, url, folder / "bot.log")
    await bot.wait_polling()                         # seconds from the launch
    print(bot.memory())                              # VmRSS, VmHWM in MiB
    await bot.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from storage.models import Person, PersonSchool, utcnow
from tests.fake_telegram import FakeTelegram

REPO_ROOT = Path(__file__).resolve().parent.parent

# The benchmarks' own PostgreSQL database is created next to the test suite's (``test``, which
# they never touch) and dropped afterwards. BENCH_POSTGRESQL_URL names another server.
POSTGRESQL_SERVER = os.environ.get("BENCH_POSTGRESQL_URL",
                                   "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    benchmark: str
    figures: str
    target: str
    met: bool


def print_table(rows: list[Row]) -> None:
    """The rows as a Markdown table (it reads well in a terminal too)."""
    header = ("benchmark", "figures", "target", "met")
    cells = [header] + [(r.benchmark, r.figures, r.target, "met" if r.met else "MISSED")
                        for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for n, line in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


LOCALES = ("nl", "tr", "pa")


async def seed_parents(session: AsyncSession, count: int, school_ids: list[int],
                       first_telegram_id: int) -> list[tuple[int, int, str]]:
    """``count`` onboarded parents in bulk, spread over the schools and the three languages;
    every seventh has a child at a second school too. Returns (person id, Telegram id,
    locale) per parent, in order."""
    now = utcnow()
    await session.execute(insert(Person), [
        {"telegram_id": first_telegram_id + i, "first_name": f"Ouder {i}",
         "locale": LOCALES[i % len(LOCALES)], "role": "parent", "created_at": now,
         "onboarded_at": now}
        for i in range(count)])
    people = [(pid, chat, locale or "nl") for pid, chat, locale in (await session.execute(
        select(Person.id, Person.telegram_id, Person.locale)
        .where(Person.telegram_id >= first_telegram_id, Person.role == "parent")
        .order_by(Person.id))).all()]
    links = [{"person_id": pid, "school_id": school_ids[n % len(school_ids)]}
             for n, (pid, _, _) in enumerate(people)]
    links += [{"person_id": pid, "school_id": school_ids[(n + 1) % len(school_ids)]}
              for n, (pid, _, _) in enumerate(people) if n % 7 == 0]
    for start in range(0, len(links), 5000):  # SQLite takes a bounded number of parameters
        await session.execute(insert(PersonSchool), links[start:start + 5000])
    return people


@asynccontextmanager
async def scratch_database(backend: str, name: str = "bench") -> AsyncIterator[str]:
    """An empty database for one run: a SQLite file in a temporary folder, or a PostgreSQL
    database ``<name>_<pid>`` created on POSTGRESQL_SERVER and dropped afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            yield f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if backend != "postgresql":
        raise ValueError(backend)
    server = make_url(POSTGRESQL_SERVER)
    database = f"{name}_{os.getpid()}"

    async def admin(*statements: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                for statement in statements:
                    await connection.exec_driver_sql(statement)
        finally:
            await engine.dispose()

    await admin(f'DROP DATABASE IF EXISTS "{database}"', f'CREATE DATABASE "{database}"')
    try:
        yield server.set(database=database).render_as_string(hide_password=False)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class BotProcess:
    """``python -m bot`` in a subprocess, pointed at the fake server, as an operator runs it.

    It runs in a folder of its own (no ``.env`` of the checkout is read) with only the
    settings given here; ``PYTHONPATH`` names this checkout. The subprocess is an asyncio one,
    so the fake server in this event loop keeps answering while we wait.
    """

    def __init__(self, process: asyncio.subprocess.Process, fake: FakeTelegram, log: Path,
                 launched: float) -> None:
        self.process = process
        self.fake = fake
        self.log = log
        self.launched = launched  # time.monotonic() just before the launch

    @classmethod
    async def start(cls, fake: FakeTelegram, database_url: str, log: Path,
                    **settings: str) -> BotProcess:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "OUTBOX_", "WEBHOOK_", "DB_"))
               and k not in ("DATABASE_URL", "COORDINATOR_IDS", "TIMEZONE", "BOT_MODE")}
        env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                   TELEGRAM_API_FILE_URL=fake.file_url, DATABASE_URL=database_url,
                   PYTHONPATH=os.pathsep.join(
                       p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p),
                   **settings)
        with log.open("wb") as out:  # the child keeps its own handle
            launched = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=log.parent, env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT)
        return cls(process, fake, log, launched)

    async def wait_polling(self, timeout: float = 60.0) -> float:  # noqa: ASYNC109
        """Seconds from the launch to the bot's first getUpdates (the fake server marks it
        when the request arrives, before the long poll waits)."""
        deadline = self.launched + timeout
        while not self.fake.polling:
            if self.process.returncode is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            if time.monotonic() > deadline:
                raise TimeoutError(f"no getUpdates within {timeout} s:\n" + self.log_tail())
            await asyncio.sleep(0.002)
        return time.monotonic() - self.launched

    def first_call(self) -> float | None:
        """Seconds from the launch to the first API call that was answered (getMe: the
        imports are done and the Application initializes)."""
        times = [c.at for c in self.fake.calls if c.method != "getUpdates"]
        return min(times) - self.launched if times else None

    def memory(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the bot process, in MiB (Linux /proc)."""
        fields: dict[str, float] = {}
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        for line in status.splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024  # kB -> MiB
        return fields["VmRSS"], fields["VmHWM"]

    def cpu_seconds(self) -> float:
        """CPU time the bot process used so far (user + system), in seconds."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """SIGINT (PTB shuts down cleanly), then SIGKILL after ``timeout`` seconds."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError as problem:
            return f"(cannot read {self.log}: {problem})"
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"
