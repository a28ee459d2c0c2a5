"""Who answers a parent's new question: a pure function of the team and the clock.

Only brugfiguren who speak the parent's language (``locale`` in their languages) and are not
in ``exclude`` (the parent who asked it, when they are in the team too; hand-over,
escalation) are considered; the candidates never include anyone who sent /stop or blocked
the bot (``questions.candidates``), nor anyone on leave: a map with no green and no orange
hour at all, the whole week red (``on_leave``; nothing would ever reach them). Someone with
orange hours and no green one reads now and then, as in any orange hour: still a candidate.
The rules, in order:

1. the school's fixed contact, if they are green now: notified now;
2. else the speaker who is green now with the fewest open questions (ties: lowest id):
   notified now; else the same among those orange now, but the school's contact when they
   are orange too and back in a green hour no later: delivered silently (nobody is
   notified outside a green hour), the parent told their next green hour (None when their
   map has no green at all);
3. else the school's contact (nobody is green or orange now): held until their next green
   hour, which is also what the parent is told; skipped when their map has no green;
4. else the speaker whose next green hour comes first (ties: fewest open, lowest id): held
   until then; when no speaker has any green hour (only orange ones), the least busy one,
   silently, with no time for the parent;
5. else the coordinator (``assignee_id`` None), now: nobody speaks the language, everyone
   who does is excluded, or on leave.

Nobody is ever notified in a red hour: NOW only happens for someone green now, and a held
question is notified at the start of the assignee's green hour.

Usage::

    chosen = route("tr", school.contact_id, candidates, clock.now())
    chosen = route("tr", school.contact_id, candidates, now, exclude={chosen.assignee_id})
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.services.availability import WORKING_HOURS, AvailabilityMap, Level, add_working_hours

ESCALATION_WORKING_HOURS = 4.0


@dataclass(frozen=True)
class Candidate:
    person_id: int
    languages: frozenset[str]  # locales: "nl", "tr", "pa"...
    availability: AvailabilityMap
    open_questions: int


class Delivery(StrEnum):
    NOW = "now"  # notify now
    SILENT = "silent"  # deliver now without a notification (orange hour)
    HELD = "held"  # wait in the outbox until deliver_at (their next green hour)


@dataclass(frozen=True)
class Route:
    assignee_id: int | None  # None: the coordinator
    rule: int  # 1–4 as above, 5 for the coordinator; 0 when chosen by hand (questions.py)
    delivery: Delivery
    deliver_at: datetime | None  # UTC, only when HELD
    answer_from: datetime | None  # UTC, what the parent is told; None: now, or no time known


# In a payload: brought to the team as their map allows; the outbox sender checks the map
# again when it leaves (a retry, a backlog), not only when it was made.
BY_HOURS = "hours"


def quietly(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any]:
    """A message's payload as ``delivery`` brings it (without a notification when SILENT),
    marked ``BY_HOURS``."""
    marked = {**payload, BY_HOURS: True}
    return {**marked, "disable_notification": True} if delivery is Delivery.SILENT else marked


def on_leave(availability: AvailabilityMap) -> bool:
    """No green and no orange hour in the whole week: nothing of the team reaches them (a
    brugfiguur on leave, or sick, makes every day red). Routing and escalation pass them by."""
    return Level.GREEN.value not in availability.cells and (
        Level.ORANGE.value not in availability.cells)


def delivery_for(availability: AvailabilityMap,
                 now: datetime) -> tuple[Delivery, datetime | None]:
    """How to bring someone of the team a message at ``now``: at once in a green hour,
    silently in an orange one, at their next green hour in a red one (silently now if they
    have none). Nobody is disturbed outside a green hour (a question handed over, a request
    to translate)."""
    level = availability.level_at(now)
    if level is Level.GREEN:
        return Delivery.NOW, None
    if level is Level.RED and (when := availability.next_green(now)) is not None:
        return Delivery.HELD, when
    return Delivery.SILENT, None


def route(locale: str, school_contact_id: int | None, candidates: Sequence[Candidate],
          now: datetime, exclude: Collection[int] = ()) -> Route:
    """Choose who answers a new question in ``locale`` at ``now`` (aware); see the rules."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("route() needs an aware datetime for now")
    speakers = [c for c in candidates if locale in c.languages and c.person_id not in exclude
                and not on_leave(c.availability)]
    contact = next((c for c in speakers if c.person_id == school_contact_id), None)

    # Rule 1: the school's own contact, green now.
    if contact is not None and contact.availability.level_at(now) is Level.GREEN:
        return Route(contact.person_id, 1, Delivery.NOW, None, None)

    # Rule 2: the least busy speaker who is green now, else orange now.
    def least_busy(level: Level) -> Candidate | None:
        at_level = [c for c in speakers if c.availability.level_at(now) is level]
        return min(at_level, key=_load, default=None)

    if (green := least_busy(Level.GREEN)) is not None:
        return Route(green.person_id, 2, Delivery.NOW, None, None)
    if (orange := least_busy(Level.ORANGE)) is not None:
        # Everyone reads it later: the school's contact, orange too, unless the least busy
        # one is back in a green hour sooner (the parent is told that hour).
        back = orange.availability.next_green(now)
        if contact is not None and contact.availability.level_at(now) is Level.ORANGE:
            contact_back = contact.availability.next_green(now)
            if back is None or (contact_back is not None and contact_back <= back):
                orange, back = contact, contact_back
        return Route(orange.person_id, 2, Delivery.SILENT, None, back)

    # Rule 3: everyone is red now; the school's contact at their next green hour.
    if contact is not None and (when := contact.availability.next_green(now)) is not None:
        return Route(contact.person_id, 3, Delivery.HELD, when, when)

    # Rule 4: whichever speaker is green first; if nobody ever is (orange hours only), the
    # least busy, silently.
    if speakers:
        timed = [(when, c) for c in speakers
                 if (when := c.availability.next_green(now)) is not None]
        if timed:
            when, first = min(timed, key=lambda t: (t[0], *_load(t[1])))
            return Route(first.person_id, 4, Delivery.HELD, when, when)
        anyone = min(speakers, key=_load)
        return Route(anyone.person_id, 4, Delivery.SILENT, None, None)

    # Rule 5: nobody speaks the language (or everyone was excluded, or is on leave): the
    # coordinator, told at once; the parent hears "from 09:00" outside office hours, not
    # "soon".
    return Route(None, 5, Delivery.NOW, None, office_hours_from(now))


def office_hours_from(now: datetime) -> datetime | None:
    """When the coordinator may answer: None within working hours (soon), else the next
    start of them (Monday to Friday 09:00–17:00, Brussels)."""
    return None if WORKING_HOURS.level_at(now) is Level.GREEN else WORKING_HOURS.next_green(now)


def escalation_due(assigned_at: datetime,
                   working_hours: float = ESCALATION_WORKING_HOURS) -> datetime:
    """When a question nobody took is offered to the next candidate (UTC): after
    ``working_hours`` of Monday–Friday 09:00–17:00 Brussels time."""
    return add_working_hours(assigned_at, working_hours)


def _load(candidate: Candidate) -> tuple[int, int]:
    """The tie-break order: fewest open questions, then lowest id."""
    return candidate.open_questions, candidate.person_id
