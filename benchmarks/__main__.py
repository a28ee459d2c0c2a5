"""Every benchmark, one after the other, and one table: benchmark, figures, target, met.

Usage (from the repository root, with the test extras installed; PostgreSQL on
127.0.0.1:5432 for the inbound benchmark's second half)::

    python -m benchmarks                  # the sizes of the README (about 15 minutes)
    python -m benchmarks --quick          # small sizes: a few minutes, to see that all run
    python -m benchmarks --only startup memory

Each benchmark prints its own figures as it goes (see its module: ``python -m
benchmarks.<name> --help``); the table at the end repeats the headline figure of each.
Exit status 1 when a target is missed (or a benchmark failed to run).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from benchmarks import broadcast, inbound, memory, reminders, startup
from benchmarks.common import Row, print_table

# name -> (quick, full): a coroutine factory returning rows
Bench = Callable[[], Awaitable[list[Row]]]
BENCHMARKS: dict[str, tuple[Bench, Bench]] = {
    "startup": (lambda: startup.bench(runs=1), lambda: startup.bench(runs=5)),
    "memory": (lambda: memory.bench("sqlite", 2_000, 100, idle=5.0),
               lambda: memory.bench("sqlite", 10_000, 500, idle=15.0)),
    # As fast as the fake server answers (the CPU alone), then with Telegram-like 30 ms round
    # trips, where updates of different chats handled side by side (PostgreSQL) pay off.
    "inbound": (lambda: inbound.bench(["sqlite", "postgresql"], parents=200, updates=1_000),
                lambda: inbound.bench(["sqlite", "postgresql"], parents=2_000, updates=10_000)),
    "inbound-rtt": (lambda: inbound.bench(["sqlite", "postgresql"], parents=200, updates=300,
                                          latency=0.03),
                    lambda: inbound.bench(["sqlite", "postgresql"], parents=2_000,
                                          updates=2_000, latency=0.03)),
    "reminders": (lambda: reminders.run(200, 30, 0.0, 5.0),
                  lambda: reminders.run(1_000, 30, 0.0, 5.0)),
    "broadcast": (lambda: broadcast.run(300, 30, 30.0, 0.0, 8),
                  lambda: broadcast.run(5_000, 30, 30.0, 0.0, 8)),
}
TARGETS = {"startup": "<= 2 s", "memory": "<= 150 MB", "inbound": ">= 0.5 of echo",
           "inbound-rtt": ">= 0.5 of echo",
           "reminders": "first <= 2 s, >= 0.95", "broadcast": ">= 0.95, 0, 0"}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    print(f"machine: {machine()}")
    print(f"started: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
          + (" (--quick: small sizes)" if args.quick else ""), flush=True)
    rows: list[Row] = []
    for name in args.only:
        quick, full = BENCHMARKS[name]
        print(f"\n===== {name}", flush=True)
        started = time.monotonic()
        try:
            rows += asyncio.run((quick if args.quick else full)())
        except Exception as problem:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(name, f"did not run: {type(problem).__name__}: {problem}"[:120],
                            TARGETS[name], False))
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print_table(rows)
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
