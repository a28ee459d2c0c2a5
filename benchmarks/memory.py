"""Resident memory of an idle bot with 10,000 parents and 500 activities.

Usage (from the repository root)::

    python -m benchmarks.memory                          # 10,000 parents, 500 activities
    python -m benchmarks.memory --db postgresql --idle 30

It seeds a migrated database (SQLite in a temporary folder, or a PostgreSQL database of its own
on 127.0.0.1:5432, dropped afterwards) with ``--parents`` onboarded parents (bulk insert,
spread over the nine schools and the three languages; one in seven has a child at a second
school) and ``--activities`` activities through the importer, spread over the school year:
one in five recurs (weekly or monthly until the end of June, some occurrences cancelled),
one in ten is for all schools, the rest for one or two; texts in Dutch, most in Turkish and
Punjabi; half with a map pin.

Then it launches ``python -m bot`` as a subprocess (the bot alone is measured, not this
process nor the fake server), as an operator would, against the fake Bot API server on
127.0.0.1, and lets it idle: its JobQueue runs the reminder planner one second after the
start (which plans every reminder of the coming eight days for those parents), the outbox
sender polls. It reads the bot's /proc/<pid>/status every half second: VmRSS (resident now)
and VmHWM (the highest it has been). Twice: the first start, which plans the rows, and a
restart on the same database, whose planner goes over the rows already planned, as every
round ten minutes later does.

Printed per start: the resident memory after ``--idle`` seconds and then as soon as the bot
is quiet (under 5 % of a core for 3 s: the planner's round is over), the highest sample,
VmHWM, and the reminders planned. Target: resident memory <= 150 MB (10^6 bytes; MiB are
printed too) after both starts. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.common import BotProcess, Row, print_table, scratch_database, seed_parents
from bot.i18n import BRUSSELS
from bot.services import importer
from bot.services.programme import ActivityData, Kind, LocalText, Place
from storage.db import Database
from storage.models import Activity, Person, Reminder, School
from tests.fake_telegram import FakeTelegram

FIRST_TELEGRAM_ID = 40_000_000
TARGET_MB = 150.0  # 10^6 bytes; /proc counts kB of 1024 bytes
SCHOOL_YEAR = (date(2026, 9, 1), date(2027, 6, 30))
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def activities(n: int, school_codes: list[str]) -> list[ActivityData]:
    """``n`` activities over the school year, the same for every run (a fixed seed)."""
    pick = random.Random(7)
    first, last = SCHOOL_YEAR
    span = (last - first).days
    kinds = list(Kind)
    found = []
    for i in range(n):
        day = first + timedelta(days=span * i // n)
        start = datetime.combine(day, clock_time(pick.choice((9, 10, 13, 14, 15)),
                                                 pick.choice((0, 30))), BRUSSELS)
        rrule = None
        cancelled: frozenset[datetime] = frozenset()
        if i % 5 == 0:
            weekday = WEEKDAYS[start.weekday()] if start.weekday() < 5 else "WE"
            rrule = (f"FREQ=WEEKLY;BYDAY={weekday};UNTIL=20270630" if i % 10 == 0
                     else f"FREQ=MONTHLY;BYDAY=1{weekday};UNTIL=20270630")
            if i % 15 == 0:  # one occurrence off, a few weeks later
                cancelled = frozenset({start + timedelta(weeks=3)})
        all_schools = i % 10 == 3
        codes = () if all_schools else tuple(sorted(set(pick.sample(school_codes,
                                                                    pick.choice((1, 1, 2))))))
        texts = {"nl": LocalText(f"Activiteit {i}: samen spelen en praten",
                                 "Een namiddag voor ouders en kinderen. Er is koffie en thee. "
                                 "Kleine kinderen mogen mee; er is opvang.")}
        if i % 4 != 0:
            texts["tr"] = LocalText(f"Etkinlik {i}: birlikte oynamak",
                                    "Ebeveynler ve çocuklar için bir öğleden sonra.")
        if i % 3 != 0:
            texts["pa"] = LocalText(f"ਗਤੀਵਿਧੀ {i}: ਇਕੱਠੇ ਖੇਡਣਾ", "ਮਾਪਿਆਂ ਅਤੇ ਬੱਚਿਆਂ ਲਈ ਇੱਕ ਦੁਪਹਿਰ।")
        place = (Place("Bibliotheek Sint-Truiden", "Kazernestraat 13, 3800 Sint-Truiden",
                       50.8165, 5.1852) if i % 2 else
                 Place("Refter van de school", "Tongersesteenweg 58, 3800 Sint-Truiden"))
        found.append(ActivityData(
            external_id=f"bench-memory-{i}", kind=kinds[i % len(kinds)], starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30), rrule=rrule,
            all_schools=all_schools, school_codes=codes, place=place, texts=texts,
            cancelled_starts=cancelled))
    return found


async def seed(url: str, parents: int, count: int) -> None:
    db = Database.create(url)
    try:
        await db.prepare()
        async with db.session() as session:
            schools = list(await session.scalars(select(School).order_by(School.id)))
            await importer.apply(session, activities(count, [s.code for s in schools]))
            await seed_parents(session, parents, [s.id for s in schools], FIRST_TELEGRAM_ID)
            await session.commit()
    finally:
        await db.close()


async def counts(url: str) -> tuple[int, int, int]:
    """(parents, activities, reminder rows) in the database."""
    db = Database.create(url)
    try:
        async with db.session() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
            rows = await session.scalar(select(func.count()).select_from(Activity))
            planned = await session.scalar(select(func.count()).select_from(Reminder))
            return int(people or 0), int(rows or 0), int(planned or 0)
    finally:
        await db.close()


def planner_logged(log: Path) -> str | None:
    """The planner's line in the bot's log ("reminders: N planned"; none: nothing new)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return next((line.split(": ", 1)[-1] for line in text.splitlines()
                 if "reminders: " in line), None)


async def bench(backend: str, parents: int, count: int, idle: float) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    try:
        return await _bench(folder, backend, parents, count, idle)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Idle:
    polling: float  # seconds from the launch to the first getUpdates
    at_polling: float  # VmRSS then, MiB
    rss: float  # VmRSS at the end, MiB
    highest: float  # the highest sample, MiB
    hwm: float  # VmHWM at the end, MiB
    planned_at: str | None  # the planner's log line ("reminders: N planned"), if any
    idled: float  # seconds from the first getUpdates to the last sample


async def idle_once(url: str, log: Path, idle: float) -> Idle:
    """Launch the bot against a new fake server, let it idle ``idle`` seconds and then until
    it is quiet (under 5 % of a core for 3 s: the planner's round is done), stop it."""
    fake = await FakeTelegram().start()
    try:
        bot = await BotProcess.start(fake, url, log)
        try:
            polling = await bot.wait_polling()
            at_polling = bot.memory()[0]
            samples = [at_polling]
            until = bot.launched + polling + idle
            cap = until + 120.0
            cpu: list[tuple[float, float]] = []  # (time, CPU seconds)
            while (now := time.monotonic()) < cap:
                samples.append(bot.memory()[0])
                cpu = [*cpu, (now, bot.cpu_seconds())][-7:]  # the last 3 s
                quiet = (len(cpu) == 7
                         and (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0]) < 0.05)
                if now >= until and quiet:
                    break
                await asyncio.sleep(0.5)
            rss, hwm = bot.memory()
            planned_at = planner_logged(bot.log)
            idled = time.monotonic() - bot.launched - polling
        finally:
            code = await bot.stop()
        if code != 0:
            print(f"WARNING: the bot exited with {code}:\n{bot.log_tail()}")
    finally:
        await fake.stop()
    return Idle(polling, at_polling, rss, max(samples), hwm, planned_at, idled)


def mb(mib: float) -> float:
    return mib * 1.048576


async def _bench(folder: Path, backend: str, parents: int, count: int, idle: float
                 ) -> list[Row]:
    async with scratch_database(backend, "bench_memory") as url:
        started = time.monotonic()
        await seed(url, parents, count)
        people, rows, _ = await counts(url)
        print(f"database           {backend}: {people} people, {rows} activities "
              f"(seeded in {time.monotonic() - started:.1f} s)", flush=True)
        runs: list[tuple[str, Idle, int]] = []
        # The first start plans every reminder of the coming week; a restart (and every
        # round ten minutes later) plans them again over the rows already there.
        for label in ("first start", "restart"):
            result = await idle_once(url, folder / f"{label}.log", idle)
            runs.append((label, result, (await counts(url))[2]))
    for label, run, reminders in runs:
        print(f"{label + ':':19}polling after {run.polling:.2f} s at {run.at_polling:.1f} MiB; "
              f"planner logged {run.planned_at or 'nothing new'!r}; {reminders} reminder rows")
        print(f"  resident (VmRSS) {run.rss:.1f} MiB = {mb(run.rss):.1f} MB after "
              f"{run.idled:.0f} s idle; highest sample {run.highest:.1f} MiB, "
              f"VmHWM (peak) {run.hwm:.1f} MiB")
    worst = max(run.rss for _, run, _ in runs)
    peak = max(run.hwm for _, run, _ in runs)
    ok = mb(worst) <= TARGET_MB
    print(f"target             {'met' if ok else 'MISSED'} (resident <= {TARGET_MB:g} MB, "
          "both runs)", flush=True)
    return [Row(f"idle bot, {parents:,} parents, {count} activities, {backend}",
                f"{mb(worst):.0f} MB resident ({worst:.0f} MiB; peak {mb(peak):.0f} MB; "
                f"{runs[-1][2]:,} reminders planned)", f"<= {TARGET_MB:g} MB", ok)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--parents", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=500)
    parser.add_argument("--idle", type=float, default=15.0,
                        help="seconds of idling after the first getUpdates (then until quiet)")
    args = parser.parse_args(argv)
    rows = asyncio.run(bench(args.db, args.parents, args.activities, args.idle))
    print()
    print_table(rows)
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
