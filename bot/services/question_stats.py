"""The coordinator's line of figures about questions: how many, about what, how fast."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class QuestionFact:
    topic: str
    locale: str
    opened_at: datetime
    first_answer_at: datetime | None


@dataclass(frozen=True)
class WeekFigures:
    total: int
    per_topic: dict[str, int]
    per_language: dict[str, int]
    answered: int
    median_first_answer: timedelta | None
    p90_first_answer: timedelta | None


def nearest_rank(values: list[timedelta], percent: float) -> timedelta | None:
    """The nearest-rank percentile: the smallest value with ``percent`` % at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def week_figures(facts: Iterable[QuestionFact]) -> WeekFigures:
    """Unanswered questions count in the totals, not in the times to a first answer."""
    items = list(facts)
    waits = [f.first_answer_at - f.opened_at for f in items if f.first_answer_at is not None]
    return WeekFigures(
        total=len(items),
        per_topic=dict(Counter(f.topic for f in items)),
        per_language=dict(Counter(f.locale for f in items)),
        answered=len(waits),
        median_first_answer=nearest_rank(waits, 50),
        p90_first_answer=nearest_rank(waits, 90),
    )
