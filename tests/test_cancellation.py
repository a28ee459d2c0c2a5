"""The rules of cancelling: which occurrences are real, who is told, the outbox keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.i18n import BRUSSELS
from bot.services import cancellation as rules
from bot.services.broadcast import Recipient
from bot.services.outbox import IN_EACH
from bot.services.programme import ActivityData, Kind, LocalText, ProgrammeItem

YOGA = ActivityData(
    id=5,
    external_id="kinderyoga-wijdeland",
    kind=Kind.WORKSHOP,
    starts_at=datetime(2026, 9, 16, 14, 0, tzinfo=BRUSSELS),
    ends_at=datetime(2026, 9, 16, 15, 0, tzinfo=BRUSSELS),
    rrule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216",
    school_ids=(3,),
    texts={"nl": LocalText("Kinderyoga"), "tr": LocalText("Çocuk yogası")},
    cancelled_starts=frozenset({datetime(2026, 11, 4, 13, 0, tzinfo=UTC)}),
)
WED_25 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 in Brussels (winter time)


def test_a_real_occurrence_is_one_the_rule_produces() -> None:
    assert rules.is_real(YOGA, WED_25)
    assert rules.is_open(YOGA, WED_25)
    assert not rules.is_real(YOGA, datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # wrong hour
    assert not rules.is_real(YOGA, datetime(2026, 11, 26, 13, 0, tzinfo=UTC))  # a Thursday
    assert not rules.is_real(YOGA, datetime(2026, 12, 23, 13, 0, tzinfo=UTC))  # after UNTIL
    assert rules.is_real(YOGA, datetime(2026, 9, 16, 12, 0, tzinfo=UTC))  # summer time


def test_cancelled_occurrences_are_no_longer_open() -> None:
    nov_4 = datetime(2026, 11, 4, 13, 0, tzinfo=UTC)
    assert rules.is_real(YOGA, nov_4) and not rules.is_open(YOGA, nov_4)
    assert rules.is_cancelled(YOGA, nov_4, rules.ONE)
    assert not rules.is_cancelled(YOGA, WED_25, rules.ONE)
    assert not rules.is_cancelled(YOGA, nov_4, rules.EVERY)
    off = replace(YOGA, cancelled=True)
    assert not rules.is_open(off, WED_25)
    assert rules.is_cancelled(off, WED_25, rules.EVERY)
    assert not rules.is_cancelled(off, datetime(2026, 11, 26, 13, 0, tzinfo=UTC), rules.EVERY)


def test_a_one_off_activity_does_not_recur() -> None:
    once = replace(YOGA, rrule=None, cancelled_starts=frozenset())
    assert not rules.recurs(once) and rules.recurs(YOGA)
    first = datetime(2026, 9, 16, 12, 0, tzinfo=UTC)
    assert rules.is_open(once, first)
    assert not rules.is_real(once, WED_25)


def test_the_audience_is_the_activity_schools_or_everyone() -> None:
    assert rules.audience(YOGA).schools == frozenset({3})
    assert rules.audience(replace(YOGA, all_schools=True)).schools is None
    assert rules.audience(YOGA).locales is None


def test_keys_and_unix_round_trip() -> None:
    stamp = rules.unix(WED_25)
    assert rules.from_unix(stamp) == WED_25
    assert rules.from_unix(99_999_999_999) is not None  # the largest a button can carry
    assert rules.group_key(5, WED_25) == f"cancel:5:{stamp}"
    assert rules.dedupe_key(5, WED_25, 42) == f"cancel:5:{stamp}:42"


def test_one_notice_per_parent_rendered_once_per_language() -> None:
    people = [Recipient(1, 101, "tr", frozenset({3})), Recipient(2, 102, "pa", frozenset({3})),
              Recipient(3, 103, "tr", frozenset({3}))]
    rendered: list[str] = []

    def render(locale: str, item: ProgrammeItem) -> str:
        rendered.append(locale)
        fallback = " (nl)" if item.title_is_dutch_fallback else ""
        return f"{locale}: {item.title}{fallback} {item.starts_at:%H:%M}"

    messages = rules.notices(YOGA, WED_25, people, render)
    # Once per language, every language: a parent who changes hers while it waits for her
    # morning reads it in the new one (outbox.IN_EACH).
    assert sorted(rendered) == ["nl", "pa", "tr"]
    assert [m.chat_id for m in messages] == [101, 102, 103]
    each = {"nl": "nl: Kinderyoga 13:00", "tr": "tr: Çocuk yogası 13:00",
            "pa": "pa: Kinderyoga (nl) 13:00"}
    assert messages[0].payload == {"text": "tr: Çocuk yogası 13:00", IN_EACH: each}
    assert messages[1].payload == {"text": "pa: Kinderyoga (nl) 13:00", IN_EACH: each}
    stamp = rules.unix(WED_25)
    assert [m.dedupe_key for m in messages] == [f"cancel:5:{stamp}:{i}" for i in (1, 2, 3)]
    assert {m.group_key for m in messages} == {f"cancel:5:{stamp}"}
