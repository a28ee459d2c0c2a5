"""How long ``python -m bot`` takes from its launch to its first getUpdates.

Usage (from the repository root)::

    python -m benchmarks.startup               # 5 runs each: a migrated and a new database
    python -m benchmarks.startup --runs 1

Each run launches ``python -m bot`` as a real subprocess, as an operator would, against the
fake Bot API server on 127.0.0.1 (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,
TELEGRAM_API_FILE_URL and DATABASE_URL set, nothing else; its own working folder, so no
``.env`` is read), and times it until the server sees the first getUpdates; then stops it
with SIGINT. Two cases:

- **migrated**: a fresh copy of a SQLite file already at the newest schema, with the schools
  (a restart, the usual case);
- **new**: a SQLite file that does not exist yet, so the bot creates it and builds the
  schema first (the very first start).

One launch before the measured ones is not counted (the operating system's file cache is
warm afterwards, as on any restart). The bot's own modules are byte-compiled before it, as
Python does by itself at the first launch; a machine with ``PYTHONDONTWRITEBYTECODE=1`` (this
one, and many container images) would compile them again at every start instead: the line
"without byte-code" shows what that costs (``python -m compileall bot storage`` when the image
is built avoids it). Printed per case: every run, the median, and the median
of the first answered API call (getMe: the imports are done). Target: median <= 2 s for both
cases. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import REPO_ROOT, BotProcess, Row, print_table
from storage.db import Database
from tests.fake_telegram import FakeTelegram

TARGET = 2.0  # seconds


PACKAGES = ("bot", "storage")


def compile_sources() -> None:
    """Byte-compile the bot's modules (written whatever PYTHONDONTWRITEBYTECODE says)."""
    for package in PACKAGES:
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def forget_bytecode() -> None:
    for package in PACKAGES:
        for cache in (REPO_ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


async def launch(folder: Path, url: str) -> tuple[float, float | None]:
    """One start: (seconds to the first getUpdates, seconds to the first answered call)."""
    fake = await FakeTelegram().start()
    try:
        bot = await BotProcess.start(fake, url, folder / "bot.log")
        try:
            polling = await bot.wait_polling()
            first = bot.first_call()
        finally:
            code = await bot.stop()
        if code != 0:
            print(f"WARNING: the bot exited with {code}:\n{bot.log_tail()}")
        return polling, first
    finally:
        await fake.stop()


async def bench(runs: int) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    try:
        template = root / "template.sqlite3"
        db = Database.create(f"sqlite+aiosqlite:///{template}")
        await db.prepare()
        await db.close()

        def migrated(n: int) -> str:
            path = root / f"migrated-{n}.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite+aiosqlite:///{path}"

        def new(n: int) -> str:
            return f"sqlite+aiosqlite:///{root / f'new-{n}' / 'bot.sqlite3'}"

        async def medians(url_of: Callable[[int], str]) -> tuple[list[float], float, float]:
            """Every run's seconds to getUpdates; their median; the median first API call."""
            times, firsts = [], []
            for n in range(runs):
                polling, first = await launch(root, url_of(n))
                times.append(polling)
                if first is not None:
                    firsts.append(first)
            return (times, statistics.median(times),
                    statistics.median(firsts) if firsts else float("nan"))

        compile_sources()
        await launch(root, migrated(-1))  # warm-up, not counted
        rows = []
        for case, url_of in (("migrated", migrated), ("new", new)):
            times, median, first_median = await medians(url_of)
            ok = median <= TARGET
            print(f"{case:9} database  " + " ".join(f"{t:.2f}" for t in times)
                  + f" s; median {median:.2f} s (first API call at {first_median:.2f} s)"
                  f" -> {'met' if ok else 'MISSED'} (<= {TARGET:g} s)", flush=True)
            label = ("migrated SQLite (a restart)" if case == "migrated"
                     else "new SQLite (the schema built first)")
            rows.append(Row(f"start-up to first getUpdates, {label}",
                            f"{median:.2f} s (median of {runs}; imports done at "
                            f"{first_median:.2f} s)", f"<= {TARGET:g} s", ok))
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            forget_bytecode()
            try:
                times, median, first_median = await medians(migrated)
            finally:
                compile_sources()
            print("without byte-code  " + " ".join(f"{t:.2f}" for t in times)
                  + f" s; median {median:.2f} s (first API call at {first_median:.2f} s): "
                  "a migrated database, the bot's modules compiled at every start "
                  "(PYTHONDONTWRITEBYTECODE=1 and no __pycache__)", flush=True)
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured launches per case")
    args = parser.parse_args(argv)
    rows = asyncio.run(bench(args.runs))
    print()
    print_table(rows)
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
