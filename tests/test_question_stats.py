"""The coordinator's weekly figures: counts, median and 90th percentile to a first answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.question_stats import QuestionFact, nearest_rank, week_figures

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def fact(topic: str, locale: str, minutes: int | None) -> QuestionFact:
    answered = T0 + timedelta(minutes=minutes) if minutes is not None else None
    return QuestionFact(topic, locale, T0, answered)


def test_nearest_rank() -> None:
    values = [timedelta(minutes=m) for m in (15, 20, 35, 40, 50)]
    assert nearest_rank(values, 50) == timedelta(minutes=35)
    assert nearest_rank(values, 90) == timedelta(minutes=50)
    assert nearest_rank([], 50) is None


def test_week_figures() -> None:
    figures = week_figures([fact("letter", "tr", 10), fact("letter", "pa", 30),
                            fact("school", "tr", 120), fact("work", "nl", None)])
    assert figures.total == 4 and figures.answered == 3
    assert figures.per_topic == {"letter": 2, "school": 1, "work": 1}
    assert figures.per_language == {"tr": 2, "pa": 1, "nl": 1}
    assert figures.median_first_answer == timedelta(minutes=30)
    assert figures.p90_first_answer == timedelta(minutes=120)


def test_no_questions() -> None:
    figures = week_figures([])
    assert figures.total == 0 and figures.median_first_answer is None
