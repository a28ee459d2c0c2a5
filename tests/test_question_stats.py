"""The coordinator's weekly figures: counts, median and 90th percentile to a first answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.question_stats import QuestionFact, WeekFigures, nearest_rank, week_figures

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def minutes(*values: int) -> list[timedelta]:
    return [timedelta(minutes=m) for m in values]


def fact(topic: str, locale: str, waited: int | None, opened_offset: int = 0) -> QuestionFact:
    opened = T0 + timedelta(hours=opened_offset)
    answered = opened + timedelta(minutes=waited) if waited is not None else None
    return QuestionFact(topic, locale, opened, answered)


@pytest.mark.parametrize(("values", "percent", "expected"), [
    (minutes(15, 20, 35, 40, 50), 50, 35),
    (minutes(15, 20, 35, 40, 50), 90, 50),
    (minutes(50, 15, 40, 20, 35), 50, 35),  # order does not matter
    (minutes(10), 50, 10),
    (minutes(10), 90, 10),
    (minutes(1, 2), 50, 1),  # rank ⌈1⌉ = 1: the lower of two, never their mean
    (minutes(1, 2, 3, 4), 50, 2),
    (minutes(1, 2, 3, 4), 90, 4),
    (minutes(*range(1, 11)), 50, 5),
    (minutes(*range(1, 11)), 90, 9),  # rank 9 exactly
    (minutes(*range(1, 12)), 90, 10),  # rank ⌈9.9⌉ = 10
    (minutes(*range(1, 21)), 90, 18),
    (minutes(5, 5, 5, 60), 50, 5),
    (minutes(3, 1, 2), 0, 1),  # rank at least 1: the smallest
    (minutes(3, 1, 2), 100, 3),  # the largest
])
def test_nearest_rank(values: list[timedelta], percent: float, expected: int) -> None:
    assert nearest_rank(values, percent) == timedelta(minutes=expected)


def test_nearest_rank_of_nothing() -> None:
    assert nearest_rank([], 50) is None


@pytest.mark.parametrize("percent", [-1, 100.5, 900])
def test_nearest_rank_refuses_a_percent_out_of_range(percent: float) -> None:
    with pytest.raises(ValueError):
        nearest_rank(minutes(1, 2), percent)


def test_week_figures() -> None:
    figures = week_figures([fact("letter", "tr", 10), fact("letter", "pa", 30, 2),
                            fact("school", "tr", 120, 5), fact("work", "nl", None)])
    assert figures == WeekFigures(
        total=4,
        per_topic={"letter": 2, "school": 1, "work": 1},
        per_language={"tr": 2, "pa": 1, "nl": 1},
        answered=3,
        median_first_answer=timedelta(minutes=30),
        p90_first_answer=timedelta(minutes=120),
    )


def test_unanswered_questions_count_in_totals_only() -> None:
    answered = [fact("letter", "tr", 10), fact("letter", "tr", 20)]
    waiting = [fact("letter", "tr", None), fact("work", "pa", None)]
    figures = week_figures(answered + waiting)
    assert (figures.total, figures.answered) == (4, 2)
    assert figures.per_topic == {"letter": 3, "work": 1}
    assert figures.median_first_answer == timedelta(minutes=10)
    assert figures.p90_first_answer == timedelta(minutes=20)


def test_nothing_answered() -> None:
    figures = week_figures([fact("letter", "tr", None), fact("work", "pa", None)])
    assert (figures.total, figures.answered) == (2, 0)
    assert figures.median_first_answer is None and figures.p90_first_answer is None


def test_no_questions() -> None:
    assert week_figures([]) == WeekFigures(0, {}, {}, 0, None, None)


def test_most_asked_first() -> None:
    figures = week_figures([fact("work", "nl", None), fact("letter", "tr", 5),
                            fact("letter", "pa", 5), fact("school", "pa", 5)])
    assert list(figures.per_topic) == ["letter", "work", "school"]  # ties: first seen first
    assert list(figures.per_language) == ["pa", "nl", "tr"]


def test_any_iterable() -> None:
    figures = week_figures(fact("letter", "tr", m) for m in (60, 5, 30, 10, 20))
    assert figures.total == 5
    assert figures.median_first_answer == timedelta(minutes=20)
    assert figures.p90_first_answer == timedelta(minutes=60)
