"""The programme service: recurrence, the week of a parent per school and language, cancelling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.handlers.programme import short_list
from bot.handlers.programme_text import when_text
from bot.i18n import BRUSSELS, use_locale
from bot.services import importer
from bot.services.programme import (
    ActivityData,
    Kind,
    LocalText,
    MissingTranslation,
    Occurrence,
    cancel_activity,
    cancel_occurrence,
    missing_translations,
    next_occurrence,
    next_week_start,
    occurrences,
    recurrence_rule,
    running_at,
    uncancel_occurrence,
    week_monday,
    week_programme,
    week_window,
)
from storage.db import Database
from storage.people import school_by_code
from storage.programme import by_external_ids


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def activity(
    start: datetime,
    minutes: int = 60,
    rrule: str | None = None,
    external_id: str = "act",
    **extra: object,
) -> ActivityData:
    fields: dict[str, object] = {
        "kind": Kind.WORKSHOP,
        "all_schools": True,
        "texts": {"nl": LocalText("Kinderyoga", "Rustig worden")},
        **extra,
    }
    return ActivityData(
        external_id=external_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        rrule=rrule,
        **fields,  # type: ignore[arg-type]
    )


def local_starts(found: list, fmt: str = "%Y-%m-%d %H:%M") -> list[str]:
    return [o.starts_at.astimezone(BRUSSELS).strftime(fmt) for o in found]


# --- recurrence (pure) -------------------------------------------------------------------


def test_weekly_stays_at_14_local_across_the_end_of_summer_time() -> None:
    yoga = activity(local(2026, 10, 14, 14), rrule="FREQ=WEEKLY;BYDAY=WE")
    found = occurrences(yoga, local(2026, 10, 1), local(2026, 11, 5))
    assert local_starts(found) == [
        "2026-10-14 14:00", "2026-10-21 14:00", "2026-10-28 14:00", "2026-11-04 14:00"
    ]
    # Summer time ends on 25 October: the UTC hour moves, the local hour does not.
    assert [o.starts_at.hour for o in found] == [12, 12, 13, 13]
    assert all(o.starts_at.tzinfo is UTC for o in found)
    assert all(o.ends_at - o.starts_at == timedelta(hours=1) for o in found)


def test_monthly_on_the_first_tuesday() -> None:
    babbel = activity(local(2026, 9, 1, 8, 45), 90, rrule="FREQ=MONTHLY;BYDAY=1TU")
    found = occurrences(babbel, local(2026, 9, 1), local(2027, 1, 1))
    assert local_starts(found) == [
        "2026-09-01 08:45", "2026-10-06 08:45", "2026-11-03 08:45", "2026-12-01 08:45"
    ]
    assert all(o.ends_at - o.starts_at == timedelta(minutes=90) for o in found)


@pytest.mark.parametrize("until", ["20261028", "20261028T140000", "20261028T130000Z"])
def test_until_includes_its_day(until: str) -> None:
    """A DATE includes the whole day; a local or UTC time includes an occurrence at that time."""
    yoga = activity(local(2026, 10, 14, 14), rrule=f"FREQ=WEEKLY;BYDAY=WE;UNTIL={until}")
    found = occurrences(yoga, local(2026, 1, 1), local(2027, 1, 1))
    assert local_starts(found, "%m-%d") == ["10-14", "10-21", "10-28"]


def test_a_cancelled_occurrence_is_skipped() -> None:
    cancelled = frozenset({local(2026, 10, 21, 14).astimezone(UTC)})
    yoga = activity(local(2026, 10, 14, 14), rrule="FREQ=WEEKLY", cancelled_starts=cancelled)
    found = occurrences(yoga, local(2026, 10, 1), local(2026, 11, 1))
    assert local_starts(found, "%m-%d") == ["10-14", "10-28"]


def test_a_cancellation_holds_when_the_hour_changes() -> None:
    """Cancelled at 14:00, then moved to 15:00: that day stays cancelled."""
    cancelled = frozenset({local(2026, 10, 21, 14)})
    yoga = activity(local(2026, 10, 14, 15), rrule="FREQ=WEEKLY", cancelled_starts=cancelled)
    found = occurrences(yoga, local(2026, 10, 1), local(2026, 11, 1))
    assert local_starts(found) == ["2026-10-14 15:00", "2026-10-28 15:00"]


def test_window_includes_its_start_and_excludes_its_end() -> None:
    daily = activity(local(2026, 10, 12, 10), rrule="FREQ=DAILY")
    found = occurrences(daily, local(2026, 10, 13, 10), local(2026, 10, 15, 10))
    assert local_starts(found, "%d %H") == ["13 10", "14 10"]

    once = activity(local(2026, 10, 14, 10))
    assert occurrences(once, local(2026, 10, 14, 10), local(2026, 10, 14, 11))
    assert not occurrences(once, local(2026, 10, 14, 11), local(2026, 10, 15))
    assert not occurrences(once, local(2026, 10, 13), local(2026, 10, 14, 10))


def test_a_rule_never_yields_before_its_first_start() -> None:
    yoga = activity(local(2026, 10, 14, 14), rrule="FREQ=WEEKLY;COUNT=2")
    assert local_starts(occurrences(yoga, local(2026, 1, 1), local(2027, 1, 1)), "%m-%d") == [
        "10-14", "10-21"
    ]


def test_a_cancelled_activity_has_no_occurrences() -> None:
    yoga = activity(local(2026, 10, 14, 14), rrule="FREQ=WEEKLY", cancelled=True)
    assert occurrences(yoga, local(2026, 10, 1), local(2026, 11, 1)) == []
    assert next_occurrence(yoga, local(2026, 10, 1)) is None


def test_next_occurrence_skips_cancelled_days() -> None:
    cancelled = frozenset({local(2026, 10, 28, 14)})
    yoga = activity(local(2026, 10, 14, 14), rrule="FREQ=WEEKLY", cancelled_starts=cancelled)
    upcoming = next_occurrence(yoga, local(2026, 10, 22))
    assert upcoming is not None
    assert local_starts([upcoming]) == ["2026-11-04 14:00"]


@pytest.mark.parametrize(
    "rule",
    ["FREQ=HOURLY", "FREQ=SOMETIMES", "BYDAY=WE", "DTSTART:20261014T140000\nRRULE:FREQ=DAILY",
     "FREQ=WEEKLY;BYDAY=XX", ""],
)
def test_recurrence_rule_refuses_what_the_programme_cannot_hold(rule: str) -> None:
    with pytest.raises(ValueError):
        recurrence_rule(rule, local(2026, 10, 14, 14))


def test_recurrence_rule_accepts_a_prefix_and_lower_case() -> None:
    rule = recurrence_rule("rrule:freq=weekly; byday=we", local(2026, 10, 14, 14))
    assert rule.after(datetime(2026, 10, 15)) == datetime(2026, 10, 21, 14)


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 11, 23), date(2026, 11, 30)),  # a Monday: the next one
        (date(2026, 11, 25), date(2026, 11, 30)),  # a Wednesday
        (date(2026, 11, 28), date(2026, 11, 30)),  # a Saturday
        (date(2026, 11, 29), date(2026, 11, 30)),  # a Sunday: tomorrow
    ],
)
def test_next_week_start(today: date, monday: date) -> None:
    assert next_week_start(today) == monday


def test_week_window_is_local_midnight_to_midnight() -> None:
    start, end = week_window(date(2026, 10, 19))
    assert start == datetime(2026, 10, 18, 22, tzinfo=UTC)  # summer time
    assert end == datetime(2026, 10, 25, 23, tzinfo=UTC)  # winter time: a 169-hour week
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_week_window_from_a_later_day_is_the_rest_of_that_week() -> None:
    """A broadcast of "this week" sent on a Wednesday: Wednesday to Sunday, not to Tuesday."""
    start, end = week_window(date(2026, 11, 25))
    assert start == datetime(2026, 11, 24, 23, tzinfo=UTC)
    assert end == datetime(2026, 11, 29, 23, tzinfo=UTC)
    assert week_monday(date(2026, 11, 25)) == week_monday(date(2026, 11, 29)) == date(2026, 11, 23)
    assert week_monday(date(2026, 11, 23)) == date(2026, 11, 23)


# --- the week of a parent (database) -----------------------------------------------------


async def _school_ids(db: Database, *codes: str) -> list[int]:
    async with db.session() as session:
        schools = [await school_by_code(session, code) for code in codes]
    return [school.id for school in schools if school is not None]


async def _load(db: Database, *rows: ActivityData) -> dict[str, int]:
    async with db.session() as session:
        await importer.apply(session, list(rows))
        await session.commit()
        found = await by_external_ids(session, [r.external_id for r in rows])
    return {external_id: row.id for external_id, row in found.items()}


WEEK = date(2026, 10, 19)  # Monday 19 October 2026


def _programme() -> list[ActivityData]:
    def for_school(code: str | None, external_id: str, day: int, **extra: object) -> ActivityData:
        return activity(
            local(2026, 10, day, 14),
            external_id=external_id,
            all_schools=code is None,
            school_codes=(code,) if code else (),
            **extra,
        )

    return [
        for_school("klimop", "klimop-tuesday", 20),
        for_school("debrug", "debrug-tuesday", 20),
        for_school(None, "everyone-saturday", 24),
        for_school("klimop", "klimop-weekly", 14, rrule="FREQ=WEEKLY"),
        for_school("klimop", "klimop-next-week", 27),
        for_school("klimop", "klimop-cancelled", 22),
        activity(local(2026, 10, 19, 9), external_id="both-monday",
                 all_schools=False, school_codes=("klimop", "debrug")),
    ]


async def test_a_parent_sees_their_schools_and_all_schools_not_others(db: Database) -> None:
    ids = await _load(db, *_programme())
    klimop, debrug = await _school_ids(db, "klimop", "debrug")
    async with db.session() as session:
        assert await cancel_activity(session, ids["klimop-cancelled"])
        await session.commit()

        week = await week_programme(session, [klimop], "nl", WEEK)
        assert [i.external_id for i in week] == [
            "both-monday", "klimop-tuesday", "klimop-weekly", "everyone-saturday"
        ]
        assert [i.starts_at for i in week] == sorted(i.starts_at for i in week)
        assert week[0].school_ids == tuple(sorted((klimop, debrug)))
        assert week[-1].all_schools and week[-1].school_ids == ()

        theirs = await week_programme(session, [debrug], "nl", WEEK)
        assert [i.external_id for i in theirs] == [
            "both-monday", "debrug-tuesday", "everyone-saturday"
        ]
        both = await week_programme(session, [klimop, debrug], "nl", WEEK)
        assert len(both) == 5  # the shared activity once, not twice
        nobody = await week_programme(session, [], "nl", WEEK)
        assert [i.external_id for i in nobody] == ["everyone-saturday"]


async def test_an_undone_cancellation_comes_back_once_even_from_two_at_once(
    db: Database
) -> None:
    """Two coordinators undo the same day at the same moment: the first brings it back, the
    second is told there was nothing to undo (not an error)."""
    ids = await _load(db, *_programme())
    [klimop] = await _school_ids(db, "klimop")
    day = local(2026, 10, 21, 14)
    async with db.session() as session:
        assert await cancel_occurrence(session, ids["klimop-weekly"], day)
        await session.commit()
    async with db.session() as first, db.session() as second:
        # Both read the activity, its cancellation included, before either writes.
        for session in (first, second):
            assert (await cancel_occurrence(session, ids["klimop-weekly"], day)) is False
        assert await uncancel_occurrence(first, ids["klimop-weekly"], day)
        await first.commit()
        assert not await uncancel_occurrence(second, ids["klimop-weekly"], day)
        await second.commit()
    async with db.session() as session:
        week = await week_programme(session, [klimop], "nl", WEEK)
        assert "klimop-weekly" in [i.external_id for i in week]
        assert not await uncancel_occurrence(session, ids["klimop-weekly"], day)
        with pytest.raises(LookupError):
            await uncancel_occurrence(session, 999_999, day)


async def test_a_cancelled_occurrence_leaves_the_week(db: Database) -> None:
    ids = await _load(db, *_programme())
    [klimop] = await _school_ids(db, "klimop")
    async with db.session() as session:
        assert await cancel_occurrence(session, ids["klimop-weekly"], local(2026, 10, 21, 14))
        assert not await cancel_occurrence(session, ids["klimop-weekly"], local(2026, 10, 21, 14))
        with pytest.raises(ValueError):
            await cancel_occurrence(session, ids["klimop-weekly"], local(2026, 10, 22, 14))
        with pytest.raises(LookupError):
            await cancel_occurrence(session, 999_999, local(2026, 10, 21, 14))
        await session.commit()

    async with db.session() as session:
        week = await week_programme(session, [klimop], "nl", WEEK)
        assert "klimop-weekly" not in [i.external_id for i in week]
        following = await week_programme(session, [klimop], "nl", WEEK + timedelta(days=7))
        assert "klimop-weekly" in [i.external_id for i in following]
        assert await cancel_activity(session, ids["klimop-tuesday"])
        assert not await cancel_activity(session, ids["klimop-tuesday"])
        week = await week_programme(session, [klimop], "nl", WEEK)
        assert "klimop-tuesday" not in [i.external_id for i in week]


async def test_each_field_falls_back_to_dutch_and_says_so(db: Database) -> None:
    texts = {
        "nl": LocalText("Kinderyoga", "Rustig worden en bewegen."),
        "tr": LocalText("Çocuk yogası", ""),
    }
    no_description = {"nl": LocalText("Capoeira", "")}
    await _load(
        db,
        activity(local(2026, 10, 21, 14), external_id="yoga", texts=texts),
        activity(local(2026, 10, 22, 14), external_id="capoeira", texts=no_description),
    )
    async with db.session() as session:
        tr_yoga, tr_capoeira = await week_programme(session, [], "tr", WEEK)
        [pa_yoga, _] = await week_programme(session, [], "pa", WEEK)
        [nl_yoga, _] = await week_programme(session, [], "nl", WEEK)
        [unchosen_yoga, _] = await week_programme(session, [], None, WEEK)

    assert (tr_yoga.title, tr_yoga.title_is_dutch_fallback) == ("Çocuk yogası", False)
    assert tr_yoga.description == "Rustig worden en bewegen."
    assert tr_yoga.description_is_dutch_fallback
    assert (pa_yoga.title, pa_yoga.title_is_dutch_fallback) == ("Kinderyoga", True)
    assert pa_yoga.description_is_dutch_fallback
    assert not nl_yoga.title_is_dutch_fallback and not nl_yoga.description_is_dutch_fallback
    assert unchosen_yoga == nl_yoga  # no language chosen yet: Dutch, nothing to mark
    # Nothing to mark where Dutch has no description either.
    assert tr_capoeira.title_is_dutch_fallback
    assert (tr_capoeira.description, tr_capoeira.description_is_dutch_fallback) == ("", False)


async def test_missing_translations_lists_what_is_still_to_come(db: Database) -> None:
    complete = {
        "nl": LocalText("Kinderyoga", "Rustig worden."),
        "tr": LocalText("Çocuk yogası", "Sakinleşmek."),
        "pa": LocalText("ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ", "ਸ਼ਾਂਤ ਹੋਣਾ।"),
    }
    no_pa_description = {**complete, "pa": LocalText("ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ", "")}
    ids = await _load(
        db,
        activity(local(2026, 10, 21, 14), external_id="complete", texts=complete),
        activity(local(2026, 10, 21, 16), external_id="cancelled-dutch-only"),
        activity(local(2026, 10, 1, 14), external_id="past-once"),
        activity(local(2026, 11, 2, 9), external_id="dutch-only-later"),
        activity(local(2026, 10, 22, 9), external_id="no-pa-description", texts=no_pa_description),
        activity(local(2026, 9, 2, 14), rrule="FREQ=WEEKLY", external_id="weekly-since-september"),
        activity(local(2026, 9, 2, 14), rrule="FREQ=WEEKLY;COUNT=3", external_id="weekly-over"),
    )
    async with db.session() as session:
        await cancel_activity(session, ids["cancelled-dutch-only"])  # needs no translation
        found = await missing_translations(session, date(2026, 10, 19))

    assert [m.external_id for m in found] == [
        "weekly-since-september", "no-pa-description", "dutch-only-later"
    ]
    weekly, no_pa, dutch_only = found
    assert weekly == MissingTranslation(
        ids["weekly-since-september"], "weekly-since-september", "Kinderyoga", ("tr", "pa"),
        local(2026, 10, 21, 14).astimezone(UTC),
    )
    assert no_pa.missing_locales == ("pa",)
    assert dutch_only.missing_locales == ("tr", "pa")


def local_time(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BRUSSELS).astimezone(UTC)


@pytest.mark.parametrize(("start", "end", "shown"), [
    # An afternoon.
    (local_time(2026, 10, 27, 13, 30), local_time(2026, 10, 27, 15), "dinsdag 27 oktober 2026, "
     "13:30–15:00"),
    # A calendar's all-day event: the day, no "00:00–00:00".
    (local_time(2026, 10, 27), local_time(2026, 10, 28), "dinsdag 27 oktober 2026"),
    (local_time(2026, 10, 26), local_time(2026, 10, 31),
     "maandag 26 oktober 2026 – vrijdag 30 oktober 2026"),
    # A week's camp: both days, so it does not read as one afternoon.
    (local_time(2026, 10, 26, 9), local_time(2026, 10, 30, 16),
     "maandag 26 oktober 2026, 09:00 – vrijdag 30 oktober 2026, 16:00"),
    # An evening until midnight: one day to read, not "– vrijdag 1 januari 2027, 00:00".
    (local_time(2026, 12, 31, 23, 30), local_time(2027, 1, 1),
     "donderdag 31 december 2026, 23:30–24:00"),
])
def test_when_an_activity_is_reads_right_for_an_afternoon_a_whole_day_a_camp_an_evening(
        start: datetime, end: datetime, shown: str) -> None:
    with use_locale("nl", BRUSSELS):
        assert when_text(start, end) == shown
    assert Occurrence(start, end).all_day() is (start.astimezone(BRUSSELS).hour == 0)


def test_an_overnight_activity_keeps_its_wall_clock_end_when_the_clocks_change() -> None:
    """A weekly sleep-over, Saturday 19:00 to Sunday 09:00: the night summer time ends it
    still ends at 09:00 (it lasts an hour longer), and one whose first night spans the start
    of summer time ends at 10:00 every later week, as its first."""
    autumn = ActivityData(external_id="slaapfeest", kind=Kind.HOLIDAY_ACTIVITY,
                          starts_at=local_time(2026, 10, 10, 19),
                          ends_at=local_time(2026, 10, 11, 9),
                          rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4")
    [night] = occurrences(autumn, local_time(2026, 10, 24), local_time(2026, 10, 25))
    assert night.ends_at == local_time(2026, 10, 25, 9)
    spring = ActivityData(external_id="lente", kind=Kind.HOLIDAY_ACTIVITY,
                          starts_at=local_time(2026, 3, 28, 20),
                          ends_at=local_time(2026, 3, 29, 10),
                          rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=3")
    [later] = occurrences(spring, local_time(2026, 4, 4), local_time(2026, 4, 5))
    assert later.ends_at == local_time(2026, 4, 5, 10)


def test_a_weekly_sleep_over_is_running_on_its_sunday_morning() -> None:
    """/week and the week's broadcast on Sunday 08:00 show the night begun on Saturday (the
    one of that weekend only); on Sunday 10:00 it is over."""
    sleep_over = ActivityData(external_id="slaapfeest", kind=Kind.HOLIDAY_ACTIVITY,
                              starts_at=local_time(2026, 10, 10, 19),
                              ends_at=local_time(2026, 10, 11, 9),
                              rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4")
    [night] = running_at(sleep_over, local_time(2026, 10, 18, 8))
    assert (night.starts_at, night.ends_at) == (local_time(2026, 10, 17, 19),
                                                local_time(2026, 10, 18, 9))
    assert running_at(sleep_over, local_time(2026, 10, 18, 10)) == []
    assert running_at(sleep_over, local_time(2026, 10, 10, 18)) == []  # not begun yet


def test_the_import_replys_lists_name_a_repeated_title_once() -> None:
    with use_locale("nl"):
        assert short_list(["Ouderbabbel", "Yoga", "Ouderbabbel"]) == "Ouderbabbel (2×), Yoga"
        assert short_list([f"T{n}" for n in range(7)] + ["T0"]) == (
            "T0 (2×), T1, T2, T3, T4 … en nog 2")
