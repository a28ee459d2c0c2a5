"""How fast a broadcast drains through the outbox, against Telegram's limits.

Usage (from the repository root, with the test extras installed)::

    python -m benchmarks.broadcast --parents 5000 --limit 30
    python -m benchmarks.broadcast --parents 1000 --latency 0.05   # slower HTTP, as in real life

It starts the fake Bot API server with rate limits enforced (``--limit`` messages/s overall,
1/s per chat, answered with 429 beyond), a migrated SQLite database in a temporary folder
with N parents, and the real Application with its outbox sender; then enqueues one broadcast
to every parent and waits until it is out. Printed: messages/s achieved (between the first and
the last message the server accepted), the ratio to the limit, 429s, duplicates and missing
parents. Exit status 1 when the target (ratio >= 0.95, no duplicate, none missing) is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from bisect import bisect_left
from pathlib import Path

from sqlalchemy import insert

from benchmarks.common import Row
from bot.app import build_application, running
from bot.config import Settings
from bot.scheduler.outbox import OutboxSender
from bot.services import outbox, reminders
from bot.services.outbox import NewMessage
from storage.db import Database
from storage.models import Person, utcnow
from tests.fake_telegram import DEFAULT_TOKEN, MESSAGE_METHODS, FakeTelegram

FIRST_TELEGRAM_ID = 10_000_000
TEXT = (
    "Beste ouder, morgen (woensdag) is er geen school door de pedagogische studiedag. "
    "De opvang is open van 7.00 tot 18.00 uur. 🏫"
)


async def add_parents(db: Database, n: int) -> list[tuple[int, int]]:
    """N onboarded parents, inserted in bulk; returns (person id, chat id) pairs."""
    now = utcnow()
    rows = [
        {"telegram_id": FIRST_TELEGRAM_ID + i, "first_name": f"Ouder {i}", "locale": "nl",
         "role": "parent", "created_at": now, "onboarded_at": now}
        for i in range(n)
    ]
    async with db.session() as session:
        await session.execute(insert(Person), rows)
        await session.commit()
        result = await session.execute(
            Person.__table__.select().with_only_columns(Person.id, Person.telegram_id)
            .where(Person.telegram_id >= FIRST_TELEGRAM_ID).order_by(Person.id)
        )
        return [(r.id, r.telegram_id) for r in result]


def busiest_second(times: list[float]) -> int:
    """Most messages the server accepted within any one-second window."""
    times = sorted(times)
    return max((i - bisect_left(times, t - 1.0) + 1 for i, t in enumerate(times)), default=0)


async def run(parents: int, limit: int, rate: float, latency: float, in_flight: int
              ) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    db = Database.create(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    await db.prepare()
    async with db.session() as session:
        # Real time drives this run: no quiet hours, or a run at night would measure nothing.
        await reminders.set_default_quiet(session, reminders.QuietHours(0, 0))
        await session.commit()
    people = await add_parents(db, parents)
    fake = FakeTelegram(enforce_limits=True, global_per_second=limit, latency=latency)
    await fake.start()
    # A coordinator is configured, as in production (the bot warns at start otherwise).
    settings = Settings(token=DEFAULT_TOKEN, database_url=db.url, api_base_url=fake.base_url,
                        api_file_url=fake.file_url, coordinator_ids=frozenset({900_001}))
    app = build_application(settings, db=db)
    try:
        async with running(app, polling=False):
            # The sender post_init started, with this run's rate and concurrency.
            await app.bot_data["outbox"].stop()
            sender = OutboxSender(app.bot, db, rate=rate, max_in_flight=in_flight).start()
            app.bot_data["outbox"] = sender  # post_shutdown stops it

            started = time.monotonic()
            async with db.session() as session:
                await outbox.enqueue_many(session, [
                    NewMessage(f"broadcast:1:{person}", chat, person, "text", {"text": TEXT},
                               group_key="broadcast:1")
                    for person, chat in people
                ])
                await session.commit()
            enqueued = time.monotonic() - started
            sender.wake()
            progress = None
            next_line = time.monotonic() + 10.0
            while progress is None or progress.pending:
                await asyncio.sleep(0.25)
                async with db.session() as session:
                    progress = await outbox.progress(session, "broadcast:1")
                if time.monotonic() >= next_line:
                    next_line += 10.0
                    print(f"  ... {progress.sent}/{progress.total} sent", flush=True)
            wall = time.monotonic() - started
    finally:
        await fake.stop()
        await db.close()

    accepted = [c.at for c in fake.calls if c.ok and c.method in MESSAGE_METHODS]
    span = max(accepted) - min(accepted) if len(accepted) > 1 else 0.0
    achieved = (len(accepted) - 1) / span if span else 0.0
    counts = fake.sent_count_per_chat()
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missing = sum(1 for _, chat in people if counts.get(chat, 0) == 0)
    ratio = achieved / limit
    print(f"parents            {parents}")
    print(f"limit              {limit} messages/s (sender rate {rate:g}, "
          f"{in_flight} in flight, latency {latency * 1000:.0f} ms)")
    print(f"enqueue            {enqueued:.2f} s for {len(people)} rows")
    print(f"sent               {len(accepted)} messages in {span:.1f} s "
          f"(wall clock from enqueue: {wall:.1f} s)")
    print(f"messages/s         {achieved:.2f}")
    print(f"ratio to limit     {ratio:.3f}")
    print(f"busiest second     {busiest_second(accepted)} messages")
    print(f"429s received      {fake.too_many_requests}")
    print(f"duplicates         {duplicates}")
    print(f"missing            {missing}")
    print(f"progress           {progress}")
    ok = ratio >= 0.95 and duplicates == 0 and missing == 0
    print("target             " + ("met" if ok else "MISSED") +
          " (ratio >= 0.95, no duplicates, none missing)")
    return [Row(f"broadcast, {parents:,} parents, {limit}/s and 1/s per chat",
                f"{achieved:.2f} messages/s = {ratio:.3f} of {limit}/s; "
                f"{fake.too_many_requests} 429s, {duplicates} duplicates, {missing} missing",
                ">= 0.95, 0 duplicates, 0 missing", ok)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--parents", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=30,
                        help="messages/s the fake server allows (Telegram: about 30)")
    parser.add_argument("--rate", type=float, default=None,
                        help="the sender's rate (default: the limit)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake server takes per send")
    parser.add_argument("--in-flight", type=int, default=1,
                        help="concurrent requests of the sender")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = asyncio.run(run(args.parents, args.limit, args.rate or float(args.limit),
                           args.latency, args.in_flight))
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
