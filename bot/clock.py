"""The time, in one replaceable place: tests and benchmarks set their own clock."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """Wall-clock time (aware, UTC). ``application.bot_data["clock"]`` holds the one in use."""

    def now(self) -> datetime:
        return datetime.now(UTC)
