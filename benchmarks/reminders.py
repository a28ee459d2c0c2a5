"""How soon and how fast reminders due at the same instant leave, against Telegram's limits.

Usage (from the repository root, with the test extras installed)::

    python -m benchmarks.reminders --parents 1000 --limit 30
    python -m benchmarks.reminders --parents 100 --lead 3      # a quick look

It starts the fake Bot API server with rate limits enforced (``--limit`` messages/s overall,
1/s per chat, answered with 429 beyond), a migrated SQLite database in a temporary folder
with N parents of one school, and one activity of that school whose "two hours before"
reminder falls due ``--lead`` seconds from now (real time, the real ``Clock``). The real
Application runs with its JobQueue and outbox sender; the benchmark runs one planning round
(``run_round``) ahead of the due time, as the regular round would, and then only watches: the
JobQueue's own one-off job wakes at the due time and hands the reminders to the outbox.

Printed, from the server's log of accepted sendMessage calls: the first send's delay after
the due time, the last, messages/s between the first and the last (and the ratio to the
limit), the p50/p99 lateness (accepted - due), 429s, duplicates and missing parents. Exit
status 1 when a target is missed: first within 2 s, ratio >= 0.95, no duplicate, none missing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.common import Row, percentile
from bot.app import build_application, running
from bot.config import Settings
from bot.scheduler import reminders as planner
from bot.scheduler.outbox import OutboxSender
from bot.services import importer, outbox, reminders
from bot.services.programme import ActivityData, Kind, LocalText, Place
from bot.services.reminders import QuietHours, ReminderKind
from storage import programme as programme_repo
from storage.db import Database
from storage.models import Person, PersonSchool, Reminder, School, utcnow
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram

FIRST_TELEGRAM_ID = 10_000_000
SCHOOL = "wijdeland"
ACTIVITY = "bench-reminder"
LOCALES = ("nl", "tr", "pa")  # the three languages, in turn: each reminder is rendered anew
FIRST_TARGET = 2.0  # seconds after the due time
RATIO_TARGET = 0.95


async def add_parents(db: Database, n: int) -> list[tuple[int, int]]:
    """N onboarded parents of one school, inserted in bulk; returns (person id, chat id)."""
    now = utcnow()
    rows = [
        {"telegram_id": FIRST_TELEGRAM_ID + i, "first_name": f"Ouder {i}",
         "locale": LOCALES[i % len(LOCALES)], "role": "parent", "created_at": now,
         "onboarded_at": now}
        for i in range(n)
    ]
    async with db.session() as session:
        await session.execute(insert(Person), rows)
        school = await session.scalar(select(School.id).where(School.code == SCHOOL))
        assert school is not None, f"school {SCHOOL} is not seeded"
        result = await session.execute(
            select(Person.id, Person.telegram_id)
            .where(Person.telegram_id >= FIRST_TELEGRAM_ID).order_by(Person.id)
        )
        people = [(r.id, r.telegram_id) for r in result]
        await session.execute(insert(PersonSchool),
                              [{"person_id": p, "school_id": school} for p, _ in people])
        await session.commit()
        return people


async def add_activity(db: Database, start: datetime) -> int:
    """One activity of the school, through the importer's write path. No coordinates: no map
    pin, so one message per parent."""
    data = ActivityData(
        external_id=ACTIVITY, kind=Kind.OUDERBABBEL, starts_at=start,
        ends_at=start + timedelta(hours=1, minutes=30), school_codes=(SCHOOL,),
        place=Place("Bibliotheek", "Kazernestraat 13, 3800 Sint-Truiden"),
        texts={"nl": LocalText("Ouderbabbel: slapen", "Over goed slapen."),
               "tr": LocalText("Veli sohbeti: uyku", "Uyku hakkında."),
               "pa": LocalText("ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ", "ਨੀਂਦ ਬਾਰੇ।")},
    )
    async with db.session() as session:
        await importer.apply(session, [data])
        # Only the "two hours before" kind for this activity kind (the default also has "the
        # day before at 18:00", which may or may not fall in the window depending on the hour).
        await reminders.toggle_reminder_kind(session, Kind.OUDERBABBEL, ReminderKind.DAY)
        # No quiet hours: a run at 22:00 would otherwise defer everything to 08:00.
        await reminders.set_default_quiet(session, QuietHours(0, 0))
        await session.commit()
        return (await programme_repo.by_external_ids(session, [ACTIVITY]))[ACTIVITY].id


async def run(parents: int, limit: int, latency: float, lead: float) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    db = Database.create(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    await db.prepare()
    people = await add_parents(db, parents)
    chats = {chat for _, chat in people}
    # The due time is real: a whole second, ``lead`` seconds from now (after the setup, so
    # the app has that long to start and plan).
    due = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0) \
        + timedelta(seconds=1)
    start = due + timedelta(hours=2)
    activity_id = await add_activity(db, start)
    group_key = f"reminder:{activity_id}:{int(start.timestamp())}"

    fake = FakeTelegram(enforce_limits=True, global_per_second=limit, latency=latency)
    await fake.start()
    # A coordinator is configured, as in production (the bot warns at start otherwise).
    settings = Settings(token=DEFAULT_TOKEN, database_url=db.url, api_base_url=fake.base_url,
                        api_file_url=fake.file_url, coordinator_ids=frozenset({900_001}))
    app = build_application(settings, db=db)
    progress = None
    try:
        async with running(app, polling=False):
            # The sender post_init started, with this run's rate (the bot's default is 30).
            await app.bot_data["outbox"].stop()
            app.bot_data["outbox"] = OutboxSender(app.bot, db, rate=float(limit)).start()
            # One round ahead of time plans the rows and schedules the JobQueue's one-off run
            # at the due time; from here on the benchmark only watches.
            ahead = await planner.run_round(app)
            async with db.session() as session:
                planned = await session.scalar(
                    select(Reminder.id).where(Reminder.status == reminders.PLANNED).limit(1))
            assert ahead.sent == 0 and planned is not None, "nothing planned ahead of time"
            if datetime.now(UTC) >= due:
                print("WARNING: the planning round ended after the due time; raise --lead")
            assert app.job_queue is not None
            jobs = [job.next_t for job in app.job_queue.get_jobs_by_name(f"{planner.NAME}-due")]
            print(f"due                {due:%H:%M:%S} UTC, one-off job at "
                  f"{', '.join(f'{t:%H:%M:%S.%f}' for t in jobs if t) or 'NONE'}", flush=True)

            # Generous: twice the physical floor, plus the lead and a minute.
            deadline = time.monotonic() + lead + 2 * parents / limit + 60.0
            next_line = time.monotonic() + 10.0
            while time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                async with db.session() as session:
                    progress = await outbox.progress(session, group_key)
                if progress.total >= parents and not progress.pending:
                    break
                if time.monotonic() >= next_line:
                    next_line += 10.0
                    print(f"  ... {progress.sent}/{progress.total} sent", flush=True)
            async with db.session() as session:
                handled = await session.scalar(
                    select(Reminder.handled_at).where(Reminder.status == reminders.SENT)
                    .order_by(Reminder.handled_at).limit(1))
    finally:
        await fake.stop()
        await db.close()

    # The server stamps calls with time.monotonic(): the due time on that clock.
    due_mono = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
    texts = [c for c in fake.calls
             if c.ok and c.method == "sendMessage" and c.chat_id in chats]
    accepted = sorted(c.at for c in texts)
    lateness = [t - due_mono for t in accepted]
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    achieved = (len(accepted) - 1) / span if span else 0.0
    ratio = achieved / limit
    counts = fake.sent_count_per_chat(frozenset({"sendMessage"}))
    duplicates = sum(n - 1 for chat, n in counts.items() if chat in chats and n > 1)
    missing = sum(1 for chat in chats if counts.get(chat, 0) == 0)
    others = sum(1 for c in fake.calls if c.ok and c.method != "sendMessage"
                 and c.chat_id in chats)
    first = lateness[0] if lateness else math.inf
    # The p99 floor: the message at the 99th percentile cannot leave before its slot at the
    # limit's pace, counted from the due time.
    floor = (math.ceil(0.99 * parents) - 1) / limit

    print(f"parents            {parents}")
    print(f"limit              {limit} messages/s (latency {latency * 1000:.0f} ms, "
          f"lead {lead:g} s)")
    if handled is not None:
        print(f"handed over        {(handled - due).total_seconds():+.3f} s after due "
              "(the round's clock)")
    print(f"first send         {first:.3f} s after due")
    print(f"last send          {lateness[-1] if lateness else math.inf:.3f} s after due")
    print(f"sent               {len(accepted)} reminders in {span:.1f} s "
          f"({others} other messages)")
    print(f"messages/s         {achieved:.2f}")
    print(f"ratio to limit     {ratio:.3f}")
    if lateness:
        print(f"lateness p50       {percentile(lateness, 50):.2f} s")
        print(f"lateness p99       {percentile(lateness, 99):.2f} s (floor {floor:.2f} s)")
    print(f"429s received      {fake.too_many_requests}")
    print(f"duplicates         {duplicates}")
    print(f"missing            {missing}")
    print(f"progress           {progress}")
    checks = [
        (f"first send <= {FIRST_TARGET:g} s", first <= FIRST_TARGET),
        (f"ratio >= {RATIO_TARGET}", ratio >= RATIO_TARGET),
        ("no duplicates", duplicates == 0),
        ("none missing", missing == 0),
    ]
    for name, ok in checks:
        print(f"target             {'met   ' if ok else 'MISSED'} {name}")
    p50, p99 = ((percentile(lateness, 50), percentile(lateness, 99)) if lateness
                else (math.inf, math.inf))
    return [Row(f"reminders, {parents:,} due at one instant, {limit}/s",
                f"first {first:.2f} s; {achieved:.2f}/s = {ratio:.3f}; lateness p50 {p50:.1f} / "
                f"p99 {p99:.1f} s (floor {floor:.1f}); {fake.too_many_requests} 429s, "
                f"{duplicates} dup., {missing} missing",
                f"first <= {FIRST_TARGET:g} s, >= {RATIO_TARGET}, 0, 0",
                all(ok for _, ok in checks))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reminders",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--parents", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=30,
                        help="messages/s the fake server allows (Telegram: about 30)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake server takes per send")
    parser.add_argument("--lead", type=float, default=5.0,
                        help="seconds from the setup to the due time")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = asyncio.run(run(args.parents, args.limit, args.latency, args.lead))
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
