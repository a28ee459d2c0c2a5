"""Who answers a parent's new question: a pure function of the team and the clock.

The rules, in order (issue 5):

1. the school's fixed contact, if they speak the parent's language and are green now;
2. else a speaker of the language who is green now, fewest open questions first; then the
   same among those who are orange now (delivered silently: nobody is notified outside a
   green hour);
3. else the school's contact if they speak the language: held until their next green hour;
4. else any speaker of the language: held until whoever is green first;
5. else the coordinator.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.services.availability import AvailabilityMap, Level, add_working_hours


@dataclass(frozen=True)
class Candidate:
    person_id: int
    languages: frozenset[str]
    availability: AvailabilityMap
    open_questions: int


class Delivery(StrEnum):
    NOW = "now"  # notify now
    SILENT = "silent"  # deliver now without a notification (orange hour)
    HELD = "held"  # wait in the outbox until deliver_at (their next green hour)


@dataclass(frozen=True)
class Route:
    assignee_id: int | None  # None: the coordinator
    rule: int  # 1–4 as above, 5 for the coordinator; 0 when chosen by hand
    delivery: Delivery
    deliver_at: datetime | None  # when HELD
    answer_from: datetime | None  # what the parent is told; None: "now" / "soon"


def route(locale: str, school_contact_id: int | None, candidates: Sequence[Candidate],
          now: datetime, exclude: Collection[int] = ()) -> Route:
    speakers = [c for c in candidates if locale in c.languages and c.person_id not in exclude]
    contact = next((c for c in speakers if c.person_id == school_contact_id), None)

    if contact is not None and contact.availability.level_at(now) is Level.GREEN:
        return Route(contact.person_id, 1, Delivery.NOW, None, None)

    def least_busy(level: Level) -> Candidate | None:
        at_level = [c for c in speakers if c.availability.level_at(now) is level]
        return min(at_level, key=lambda c: (c.open_questions, c.person_id), default=None)

    if (green := least_busy(Level.GREEN)) is not None:
        return Route(green.person_id, 2, Delivery.NOW, None, None)
    if (orange := least_busy(Level.ORANGE)) is not None:
        return Route(orange.person_id, 2, Delivery.SILENT, None,
                     orange.availability.next_green(now))

    if contact is not None and (when := contact.availability.next_green(now)) is not None:
        return Route(contact.person_id, 3, Delivery.HELD, when, when)

    if speakers:
        timed = [(when, c) for c in speakers
                 if (when := c.availability.next_green(now)) is not None]
        if timed:
            when, first = min(timed, key=lambda t: (t[0], t[1].open_questions,
                                                    t[1].person_id))
            return Route(first.person_id, 4, Delivery.HELD, when, when)
        anyone = min(speakers, key=lambda c: (c.open_questions, c.person_id))
        return Route(anyone.person_id, 4, Delivery.SILENT, None, None)

    return Route(None, 5, Delivery.NOW, None, None)


def escalation_due(assigned_at: datetime, working_hours: float = 4.0) -> datetime:
    """When a question nobody took is offered to the next candidate."""
    return add_working_hours(assigned_at, working_hours)
