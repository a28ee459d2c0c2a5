"""The routing rules: one table row per rule, and per reason a rule is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.i18n import BRUSSELS
from bot.services.availability import AvailabilityMap, Level
from bot.services.questions import school_for
from bot.services.routing import (
    Candidate,
    Delivery,
    Route,
    delivery_for,
    escalation_due,
    on_leave,
    route,
)
from bot.services.staff import StaffMember


def bx(*args: int, fold: int = 0) -> datetime:
    """A Brussels wall-clock time."""
    return datetime(*args, tzinfo=BRUSSELS, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY_10 = bx(2026, 11, 23, 10, 0)  # green in the default map
MONDAY_12_30 = bx(2026, 11, 23, 12, 30)  # lunch: orange in the default map
MONDAY_13 = utc(2026, 11, 23, 12, 0)
FRIDAY_22 = bx(2026, 11, 27, 22, 0)  # red for everyone with the default map
NEXT_MONDAY_9 = utc(2026, 11, 30, 8, 0)
NEXT_TUESDAY_14 = utc(2026, 12, 1, 13, 0)

DEFAULT = AvailabilityMap.default()
RED = AvailabilityMap.all(Level.RED)
ORANGE = AvailabilityMap.all(Level.ORANGE)
GREEN = AvailabilityMap.all(Level.GREEN)
TUESDAY_14 = RED.with_level(1, 14, Level.GREEN)  # only Tuesday 14:00–15:00 green
TUESDAY_9 = RED.with_level(1, 9, Level.GREEN)
MONDAY_10_ORANGE = DEFAULT.with_level(0, 10, Level.ORANGE)
SUNDAY_2 = RED.with_level(6, 2, Level.GREEN)  # skipped in March, doubled in October
SUNDAY_3 = RED.with_level(6, 3, Level.GREEN)
LUNCH_ORANGE = RED.with_level(0, 12, Level.ORANGE)  # no green: Monday's lunch hour orange


def c(person_id: int, languages: str, availability: AvailabilityMap = DEFAULT,
      open_questions: int = 0) -> Candidate:
    return Candidate(person_id, frozenset(languages.split(",")), availability, open_questions)


@dataclass(frozen=True)
class Case:
    name: str
    locale: str
    contact: int | None
    team: list[Candidate]
    now: datetime
    expected: Route
    exclude: frozenset[int] = field(default_factory=frozenset)


def now_(person: int, rule: int) -> Route:
    return Route(person, rule, Delivery.NOW, None, None)


def held(person: int, rule: int, at: datetime) -> Route:
    return Route(person, rule, Delivery.HELD, at, at)


COORDINATOR = Route(None, 5, Delivery.NOW, None, None)

CASES = [
    # ---- rule 1: the school's contact, speaking the language, green now
    Case("1: contact green, even when busier", "tr", 1,
         [c(1, "nl,tr", open_questions=5), c(2, "tr")], MONDAY_10, now_(1, 1)),
    Case("1: contact green in summer time (07:30 UTC is 09:30)", "tr", 1,
         [c(1, "tr"), c(2, "tr", GREEN)], utc(2026, 7, 13, 7, 30), now_(1, 1)),
    Case("1: contact green in the second 02:00 of 25 October", "tr", 1,
         [c(1, "tr", SUNDAY_2)], bx(2026, 10, 25, 2, 30, fold=1), now_(1, 1)),
    # ---- rule 1 skipped
    Case("1 skipped: contact does not speak Punjabi", "pa", 1,
         [c(1, "nl,tr"), c(2, "pa", open_questions=3)], MONDAY_10, now_(2, 2)),
    Case("1 skipped: contact red now", "tr", 1,
         [c(1, "tr", TUESDAY_9), c(2, "tr", open_questions=3)], MONDAY_10, now_(2, 2)),
    Case("1 skipped: contact red in winter time (07:30 UTC is 08:30)", "tr", 1,
         [c(1, "tr"), c(2, "tr", GREEN)], utc(2026, 1, 12, 7, 30), now_(2, 2)),
    Case("1 skipped: contact orange, a colleague green", "tr", 1,
         [c(1, "tr", MONDAY_10_ORANGE), c(2, "tr", open_questions=3)], MONDAY_10,
         now_(2, 2)),
    Case("1 skipped: contact excluded", "tr", 1,
         [c(1, "tr"), c(2, "tr", open_questions=4)], MONDAY_10, now_(2, 2), frozenset({1})),
    Case("1 skipped: contact not in the team", "tr", 99,
         [c(1, "tr", open_questions=2), c(2, "tr", open_questions=1)], MONDAY_10, now_(2, 2)),
    Case("1 skipped: the school has no contact", "tr", None,
         [c(1, "tr", open_questions=2), c(2, "tr", open_questions=1)], MONDAY_10, now_(2, 2)),
    # ---- rule 2, green: fewest open questions, then lowest id; only speakers count
    Case("2: fewest open", "tr", None,
         [c(1, "tr", open_questions=3), c(2, "tr", open_questions=1),
          c(3, "tr", open_questions=2)], MONDAY_10, now_(2, 2)),
    Case("2: tie, lowest id", "tr", None, [c(4, "tr"), c(3, "tr"), c(5, "tr")], MONDAY_10,
         now_(3, 2)),
    Case("2: a green non-speaker is ignored", "tr", 1,
         [c(1, "nl"), c(2, "nl,pa"), c(3, "tr", open_questions=9)], MONDAY_10, now_(3, 2)),
    Case("2: green beats a less busy orange", "tr", None,
         [c(1, "tr", ORANGE), c(2, "tr", open_questions=7)], MONDAY_10, now_(2, 2)),
    Case("2: exclusion of a colleague", "tr", None,
         [c(1, "tr"), c(2, "tr", open_questions=4)], MONDAY_10, now_(2, 2), frozenset({1})),
    # ---- rule 2, orange: delivered silently, the parent told the next green hour
    Case("2 orange: the contact's lunch hour", "tr", 1, [c(1, "tr")], MONDAY_12_30,
         Route(1, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: fewest open among orange", "tr", None,
         [c(1, "tr", open_questions=2), c(2, "tr", open_questions=1)], MONDAY_12_30,
         Route(2, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: tie, lowest id", "tr", None, [c(6, "tr"), c(5, "tr")], MONDAY_12_30,
         Route(5, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: the busier contact, back as soon as the others", "tr", 1,
         [c(1, "tr", open_questions=3), c(2, "tr")], MONDAY_12_30,
         Route(1, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: the contact, back later than a colleague", "tr", 1,
         [c(1, "tr", ORANGE.with_level(0, 15, Level.GREEN), 3), c(2, "tr")],
         MONDAY_12_30, Route(2, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: the contact never green, a colleague is", "tr", 1,
         [c(1, "tr", ORANGE, 3), c(2, "tr")], MONDAY_12_30,
         Route(2, 2, Delivery.SILENT, None, MONDAY_13)),
    Case("2 orange: both never green, the contact", "tr", 1,
         [c(1, "tr", ORANGE, 3), c(2, "tr", ORANGE)], MONDAY_12_30,
         Route(1, 2, Delivery.SILENT, None, None)),
    Case("2 orange: before the red contact's next green hour", "tr", 1,
         [c(1, "tr"), c(2, "tr", ORANGE.with_level(0, 9, Level.GREEN), 5)], FRIDAY_22,
         Route(2, 2, Delivery.SILENT, None, NEXT_MONDAY_9)),
    Case("2 orange: never green, no time for the parent", "tr", None,
         [c(1, "tr", ORANGE)], MONDAY_10, Route(1, 2, Delivery.SILENT, None, None)),
    # ---- rule 3: everyone red; the contact's next green hour
    Case("3: held for the contact over the weekend", "pa", 7,
         [c(7, "pa", open_questions=4), c(8, "pa", TUESDAY_14), c(9, "pa")], FRIDAY_22,
         held(7, 3, NEXT_MONDAY_9)),
    Case("3: the contact even when a colleague is green sooner", "pa", 7,
         [c(7, "pa", TUESDAY_14), c(9, "pa")], FRIDAY_22, held(7, 3, NEXT_TUESDAY_14)),
    Case("3: 25 October, Sunday: Monday 09:00 winter time", "tr", 1,
         [c(1, "tr")], bx(2026, 10, 25, 10, 0), held(1, 3, utc(2026, 10, 26, 8, 0))),
    Case("3: 25 October, in the repeated hour: 03:00 winter time", "tr", 1,
         [c(1, "tr", SUNDAY_3)], bx(2026, 10, 25, 2, 15, fold=0),
         held(1, 3, utc(2026, 10, 25, 2, 0))),
    Case("3: 29 March, Sunday: Monday 09:00 summer time", "tr", 1,
         [c(1, "tr")], bx(2026, 3, 29, 10, 0), held(1, 3, utc(2026, 3, 30, 7, 0))),
    Case("3: 29 March, 03:00 right after the skipped hour", "tr", 1,
         [c(1, "tr", SUNDAY_3)], bx(2026, 3, 29, 1, 30), held(1, 3, utc(2026, 3, 29, 1, 0))),
    # ---- rule 3 skipped
    Case("3 skipped: the contact is never green", "pa", 7,
         [c(7, "pa", RED), c(8, "pa", TUESDAY_14, 3)], FRIDAY_22,
         held(8, 4, NEXT_TUESDAY_14)),
    Case("3 skipped: the contact does not speak the language", "pa", 7,
         [c(7, "nl,tr"), c(8, "pa", TUESDAY_14)], FRIDAY_22, held(8, 4, NEXT_TUESDAY_14)),
    Case("3 skipped: the contact is excluded", "pa", 7,
         [c(7, "pa"), c(8, "pa", TUESDAY_14)], FRIDAY_22, held(8, 4, NEXT_TUESDAY_14),
         frozenset({7})),
    # ---- rule 4: whoever is green first
    Case("4: the speaker green first", "pa", None,
         [c(8, "pa", TUESDAY_14), c(9, "pa", open_questions=6)], FRIDAY_22,
         held(9, 4, NEXT_MONDAY_9)),
    Case("4: same hour, fewest open", "pa", None,
         [c(8, "pa", open_questions=3), c(9, "pa", open_questions=1)], FRIDAY_22,
         held(9, 4, NEXT_MONDAY_9)),
    Case("4: same hour, same load, lowest id", "pa", None,
         [c(9, "pa", open_questions=1), c(8, "pa", open_questions=1)], FRIDAY_22,
         held(8, 4, NEXT_MONDAY_9)),
    Case("4: a never-green speaker is passed over", "pa", None,
         [c(8, "pa", RED), c(9, "pa", TUESDAY_14, 5)], FRIDAY_22, held(9, 4, NEXT_TUESDAY_14)),
    Case("4: 29 March: 02:00 does not exist, 03:00 does", "pa", None,
         [c(8, "pa", SUNDAY_2), c(9, "pa", SUNDAY_3, 5)], bx(2026, 3, 29, 0, 30),
         held(9, 4, utc(2026, 3, 29, 1, 0))),
    Case("4: 25 October: the first 02:00 comes before 03:00", "pa", None,
         [c(8, "pa", SUNDAY_3), c(9, "pa", SUNDAY_2, 5)], bx(2026, 10, 25, 0, 30),
         held(9, 4, utc(2026, 10, 25, 0, 0))),
    # ---- rule 4, nobody ever green (orange hours only): the least busy, silently
    Case("4 silent: nobody is ever green", "pa", None,
         [c(8, "pa", LUNCH_ORANGE, 2), c(9, "pa", LUNCH_ORANGE, 1)], FRIDAY_22,
         Route(9, 4, Delivery.SILENT, None, None)),
    Case("4 silent: tie, lowest id", "pa", 9,
         [c(9, "pa", LUNCH_ORANGE), c(8, "pa", LUNCH_ORANGE)], FRIDAY_22,
         Route(8, 4, Delivery.SILENT, None, None)),
    Case("4 silent: a colleague on leave is passed over, even less busy", "pa", None,
         [c(8, "pa", RED), c(9, "pa", LUNCH_ORANGE, 4)], FRIDAY_22,
         Route(9, 4, Delivery.SILENT, None, None)),
    # ---- rule 5: the coordinator
    Case("5: nobody speaks the language", "pa", 1, [c(1, "nl,tr", GREEN)], MONDAY_10,
         COORDINATOR),
    Case("5: no team", "tr", None, [], MONDAY_10, COORDINATOR),
    # Outside office hours the coordinator still gets it now; the parent hears "Monday 09:00".
    Case("5: no team, Friday night", "tr", None, [], FRIDAY_22,
         Route(None, 5, Delivery.NOW, None, NEXT_MONDAY_9)),
    Case("5: everyone excluded", "tr", 1, [c(1, "tr"), c(2, "tr")], MONDAY_10, COORDINATOR,
         frozenset({1, 2})),
    # On leave: the whole week red. Nothing would ever reach them: never chosen.
    Case("5: the only speaker is on leave", "pa", 9, [c(9, "pa", RED)], MONDAY_10,
         COORDINATOR),
    Case("5: every speaker on leave, Friday night", "pa", None,
         [c(8, "pa", RED, 2), c(9, "pa", RED, 1)], FRIDAY_22,
         Route(None, 5, Delivery.NOW, None, NEXT_MONDAY_9)),
    Case("5: the other speaker on leave, the contact excluded", "tr", 1,
         [c(1, "tr"), c(2, "tr", RED)], MONDAY_10, COORDINATOR, frozenset({1})),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_route(case: Case) -> None:
    assert route(case.locale, case.contact, case.team, case.now, case.exclude) == case.expected


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_nobody_is_notified_outside_a_green_hour(case: Case) -> None:
    chosen = route(case.locale, case.contact, case.team, case.now, case.exclude)
    member = next((m for m in case.team if m.person_id == chosen.assignee_id), None)
    if member is None:
        assert chosen.assignee_id is None and chosen.rule == 5
        return
    assert case.locale in member.languages and member.person_id not in case.exclude
    if chosen.delivery is Delivery.NOW:
        assert member.availability.level_at(case.now) is Level.GREEN
    if chosen.delivery is Delivery.HELD:
        assert chosen.deliver_at is not None and chosen.deliver_at > case.now
        assert chosen.deliver_at.tzinfo is UTC
        assert member.availability.level_at(chosen.deliver_at) is Level.GREEN
        assert chosen.answer_from == chosen.deliver_at
    else:
        assert chosen.deliver_at is None


def test_rules_are_all_covered() -> None:
    chosen = [route(x.locale, x.contact, x.team, x.now, x.exclude) for x in CASES]
    assert {r.rule for r in chosen} == {1, 2, 3, 4, 5}
    assert {r.delivery for r in chosen} == set(Delivery)


def test_the_zone_of_now_does_not_matter() -> None:
    team = [c(7, "pa", TUESDAY_14), c(8, "pa")]
    assert route("pa", 7, team, FRIDAY_22) == route("pa", 7, team, FRIDAY_22.astimezone(UTC))


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        route("tr", 1, [c(1, "tr")], datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValueError):
        route("tr", None, [], datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize(("assigned_at", "working_hours", "expected"), [
    (bx(2026, 11, 27, 15, 0), 4.0, bx(2026, 11, 30, 11, 0)),  # over the weekend
    (MONDAY_10, 4.0, bx(2026, 11, 23, 14, 0)),
    (FRIDAY_22, 4.0, bx(2026, 11, 30, 13, 0)),  # the clock starts on Monday 09:00
    (MONDAY_10, 1.5, bx(2026, 11, 23, 11, 30)),
    (bx(2026, 10, 23, 15, 0), 4.0, utc(2026, 10, 26, 10, 0)),  # Monday 11:00 winter time
    (bx(2026, 3, 27, 15, 0), 4.0, utc(2026, 3, 30, 9, 0)),  # Monday 11:00 summer time
])
def test_escalation_after_working_hours(assigned_at: datetime, working_hours: float,
                                        expected: datetime) -> None:
    due = escalation_due(assigned_at, working_hours)
    assert due == expected and due.tzinfo is UTC


def test_escalation_defaults_to_four_working_hours() -> None:
    assert escalation_due(MONDAY_10) == escalation_due(MONDAY_10, 4.0)


def test_a_colleague_is_brought_a_request_as_their_hours_allow() -> None:
    usual = AvailabilityMap.default()
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
    assert delivery_for(usual, monday_10) == (Delivery.NOW, None)
    assert delivery_for(usual, monday_10.replace(hour=12, minute=30)) == (Delivery.SILENT, None)
    # Red: held until the next green hour (Tuesday 09:00 after a Monday evening).
    evening = monday_10.replace(hour=20)
    assert delivery_for(usual, evening) == (
        Delivery.HELD, datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS).astimezone(UTC))
    # Never green: silently at once, rather than never.
    assert delivery_for(AvailabilityMap.all(Level.RED), evening) == (Delivery.SILENT, None)


def test_on_leave_is_a_week_without_green_or_orange() -> None:
    assert on_leave(RED)
    assert not on_leave(LUNCH_ORANGE)  # reads now and then: still in the team's round
    assert not on_leave(TUESDAY_14)
    assert not on_leave(DEFAULT) and not on_leave(ORANGE) and not on_leave(GREEN)


def _member(person_id: int, languages: set[str], schools: tuple[int, ...],
            reachable: bool = True) -> StaffMember:
    return StaffMember(id=person_id, telegram_id=person_id, first_name=f"m{person_id}",
                       locale="nl", languages=frozenset(languages),
                       availability=AvailabilityMap.default(), contact_for=schools,
                       open_questions=0, reachable=reachable)


def test_a_parent_of_two_schools_goes_to_the_contact_who_speaks_their_language() -> None:
    team = [_member(1, {"nl"}, (10,)), _member(2, {"nl", "tr"}, (20,)),
            _member(3, {"tr"}, (30,), reachable=False)]
    assert school_for([10, 20], "tr", team) == 20
    assert school_for([10, 20], "nl", team) == 10  # both speak it: the first school
    assert school_for([30, 10], "tr", team) == 30  # its contact sent /stop: the first
    assert school_for([30, 10], "pa", team) == 30  # nobody speaks it: the first school
    assert school_for([40], "tr", team) == 40  # no contact at all
    assert school_for([], "tr", team) is None
