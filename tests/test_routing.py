"""The routing rules of issue 5, one table row per rule (and per reason a rule is skipped)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import BRUSSELS
from bot.services.availability import AvailabilityMap, Level
from bot.services.routing import Candidate, Delivery, Route, escalation_due, route

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
MONDAY_12_30 = datetime(2026, 11, 23, 12, 30, tzinfo=BRUSSELS)  # lunch: orange by default
FRIDAY_22 = datetime(2026, 11, 27, 22, 0, tzinfo=BRUSSELS)
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=BRUSSELS)

DEFAULT = AvailabilityMap.default()
RED = AvailabilityMap.all(Level.RED)
ORANGE = AvailabilityMap.all(Level.ORANGE)
GREEN = AvailabilityMap.all(Level.GREEN)
# Only Tuesday from 14:00 green.
TUESDAY_14 = RED.with_level(1, 14, Level.GREEN)


def c(person_id: int, languages: str, availability: AvailabilityMap = DEFAULT,
      open_questions: int = 0) -> Candidate:
    return Candidate(person_id, frozenset(languages.split(",")), availability, open_questions)


CASES: list[tuple[str, str, int | None, list[Candidate], datetime, list[int], Route]] = [
    # rule 1: the school's contact speaks the language and is green, even when busier
    ("contact green", "tr", 1, [c(1, "nl,tr", open_questions=5), c(2, "tr")], MONDAY_10, [],
     Route(1, 1, Delivery.NOW, None, None)),
    # rule 1 skipped: the contact does not speak Punjabi -> rule 2, a green Punjabi speaker
    ("contact no language", "pa", 1, [c(1, "nl,tr"), c(2, "pa")], MONDAY_10, [],
     Route(2, 2, Delivery.NOW, None, None)),
    # rule 2: fewest open questions first among the green speakers
    ("fewest open", "tr", None, [c(1, "tr", open_questions=3), c(2, "tr", open_questions=1),
                                 c(3, "tr", open_questions=2)], MONDAY_10, [],
     Route(2, 2, Delivery.NOW, None, None)),
    # rule 2 tie: the lowest id
    ("tie", "tr", None, [c(4, "tr"), c(3, "tr")], MONDAY_10, [],
     Route(3, 2, Delivery.NOW, None, None)),
    # rule 1 skipped: the contact is red now, a colleague is green
    ("contact red", "tr", 1, [c(1, "tr", RED.with_level(1, 9, Level.GREEN)), c(2, "tr")],
     MONDAY_10, [], Route(2, 2, Delivery.NOW, None, None)),
    # rule 2, orange: nobody green; delivered silently, the parent told the next green hour
    ("orange only", "tr", None, [c(1, "tr")], MONDAY_12_30, [],
     Route(1, 2, Delivery.SILENT, None, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))),
    # rule 3: nobody green or orange; the contact's next green hour
    ("held for contact", "pa", 7, [c(7, "pa"), c(8, "pa", TUESDAY_14)], FRIDAY_22, [],
     Route(7, 3, Delivery.HELD, MONDAY_9.astimezone(UTC), MONDAY_9.astimezone(UTC))),
    # rule 4: no contact speaker; the speaker green first
    ("held for first green", "pa", None, [c(8, "pa", TUESDAY_14), c(9, "pa")], FRIDAY_22, [],
     Route(9, 4, Delivery.HELD, MONDAY_9.astimezone(UTC), MONDAY_9.astimezone(UTC))),
    # rule 4: nobody is ever green: the least busy, silently
    ("never green", "pa", None, [c(8, "pa", RED, 2), c(9, "pa", RED, 1)], FRIDAY_22, [],
     Route(9, 4, Delivery.SILENT, None, None)),
    # rule 5: nobody speaks the language
    ("coordinator", "pa", 1, [c(1, "nl,tr")], MONDAY_10, [],
     Route(None, 5, Delivery.NOW, None, None)),
    # exclusion (hand-over, escalation): the contact is skipped
    ("exclude contact", "tr", 1, [c(1, "tr"), c(2, "tr", open_questions=4)], MONDAY_10, [1],
     Route(2, 2, Delivery.NOW, None, None)),
    ("exclude everyone", "tr", 1, [c(1, "tr")], MONDAY_10, [1],
     Route(None, 5, Delivery.NOW, None, None)),
]


@pytest.mark.parametrize(("name", "locale", "contact", "team", "now", "exclude", "expected"),
                         CASES, ids=[case[0] for case in CASES])
def test_route(name: str, locale: str, contact: int | None, team: list[Candidate],
               now: datetime, exclude: list[int], expected: Route) -> None:
    assert route(locale, contact, team, now, exclude) == expected


def test_held_across_the_end_of_summer_time() -> None:
    """Saturday 24 October 2026 22:00 (summer time) to Monday 26 October 09:00 (winter)."""
    saturday = datetime(2026, 10, 24, 22, 0, tzinfo=BRUSSELS)
    held = route("tr", 1, [c(1, "tr")], saturday)
    assert held.delivery is Delivery.HELD
    assert held.deliver_at == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_held_across_the_start_of_summer_time() -> None:
    saturday = datetime(2026, 3, 28, 22, 0, tzinfo=BRUSSELS)
    held = route("tr", 1, [c(1, "tr")], saturday)
    assert held.deliver_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 summer time


def test_escalation_after_four_working_hours() -> None:
    friday_15 = datetime(2026, 11, 27, 15, 0, tzinfo=BRUSSELS)
    assert escalation_due(friday_15) == datetime(2026, 11, 30, 11, 0, tzinfo=BRUSSELS)
    assert escalation_due(MONDAY_10) == datetime(2026, 11, 23, 14, 0, tzinfo=BRUSSELS)
