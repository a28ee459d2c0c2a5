"""The coordinator's weekly line of figures about questions: how many, about what, how fast.

Times to a first answer are summarised by the nearest-rank percentile: sort the N times,
take the one at rank ⌈p/100 · N⌉ (counting from 1, at least 1). It is always one of the
real times, never an interpolation: with 1, 2, 3, 4 the median is 2 and the 90th
percentile 4. Unanswered questions count in the totals, not in the times.

Usage::

    figures = week_figures(facts)     # facts: the questions opened this week
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class QuestionFact:
    topic: str
    locale: str
    opened_at: datetime
    first_answer_at: datetime | None  # None: not answered (yet)


@dataclass(frozen=True)
class WeekFigures:
    total: int
    per_topic: dict[str, int]  # most asked first (ties: first seen first)
    per_language: dict[str, int]  # idem
    answered: int
    median_first_answer: timedelta | None  # None when nothing was answered
    p90_first_answer: timedelta | None


def nearest_rank(values: Sequence[timedelta], percent: float) -> timedelta | None:
    """The nearest-rank percentile: the value at rank ⌈percent/100 · N⌉ of the sorted values
    (the smallest value with at least ``percent`` % of them at or below it); None if empty."""
    if not 0 <= percent <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {percent!r}")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def week_figures(facts: Iterable[QuestionFact]) -> WeekFigures:
    """Counts per topic and language, and the median and 90th percentile to a first answer."""
    items = list(facts)
    waits = [f.first_answer_at - f.opened_at for f in items if f.first_answer_at is not None]
    return WeekFigures(
        total=len(items),
        per_topic=dict(Counter(f.topic for f in items).most_common()),
        per_language=dict(Counter(f.locale for f in items).most_common()),
        answered=len(waits),
        median_first_answer=nearest_rank(waits, 50),
        p90_first_answer=nearest_rank(waits, 90),
    )
