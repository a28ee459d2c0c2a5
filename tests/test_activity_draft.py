"""The plain rules of /activity: step order, typed answers, buttons per step, the result."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.services.activity_draft import (
    BAD_DATE,
    BAD_TIME,
    CLOCKS_SKIP,
    END_NOT_AFTER_START,
    PAST_DATE,
    STEPS,
    SUMMARY,
    TOO_LONG,
    USE_BUTTONS,
    answer,
    button_fits,
    choose_all_schools,
    days_offered,
    missing_languages,
    next_step,
    schools_chosen,
    skips_clock,
    to_activity,
    toggle_school,
)
from bot.services.importer import parse_date, parse_time
from bot.services.programme import Kind, LocalText, Place, skipped_by_clocks

TODAY = date(2026, 11, 22)


def test_the_steps_in_order_and_skipping_a_translation() -> None:
    walked, step = [], STEPS[0]
    while step != SUMMARY:
        walked.append(step)
        step = next_step(step)
    assert tuple(walked) == STEPS
    assert next_step("title:tr", skipped=True) == "title:pa"  # "Dutch only": no description
    assert next_step("title:pa", skipped=True) == "voice:tr"  # then a voice per language
    assert next_step("address", skipped=True) == "title:nl"
    assert next_step("desc:pa") == "voice:tr"
    assert next_step("voice:nl") == SUMMARY


def test_public_date_and_time_parsers() -> None:
    assert parse_date(" 25/11/2026 ") == date(2026, 11, 25)
    assert parse_date("2026-11-25") == date(2026, 11, 25)
    assert parse_date("31/02/2026") is None
    assert parse_time("14u30").isoformat() == "14:30:00"  # type: ignore[union-attr]
    assert parse_time("25:00") is None and parse_time("morgen") is None


def test_typed_answers_are_checked() -> None:
    data, problem = answer({}, "date", "25/11/2026", today=TODAY)
    assert problem is None and data["date"] == "2026-11-25"
    assert answer({}, "date", "volgende week", today=TODAY)[1] == BAD_DATE
    assert answer({}, "date", "21/11/2026", today=TODAY)[1] == PAST_DATE
    data, problem = answer(data, "start", "14u")
    assert problem is None and data["start"] == "14:00"
    assert answer(data, "start", "25:00") == (data, BAD_TIME)
    assert answer(data, "end", "13:30")[1] == END_NOT_AFTER_START
    assert answer(data, "end", "14:00")[1] == END_NOT_AFTER_START
    assert answer(data, "end", "15.30")[0]["end"] == "15:30"
    assert answer(data, "kind", "workshop")[1] == USE_BUTTONS
    assert answer(data, "title:nl", "x" * 201)[1] == TOO_LONG
    data, _ = answer(data, "title:nl", "  Kinderyoga ")
    data, _ = answer(data, "desc:nl", "Rustig bewegen.")
    data, _ = answer(data, "title:tr", "Çocuk yogası")
    assert data["texts"] == {"nl": {"title": "Kinderyoga", "description": "Rustig bewegen."},
                             "tr": {"title": "Çocuk yogası"}}
    assert missing_languages(data) == ["pa"]


def test_no_clock_shows_2_30_on_the_night_summer_time_starts() -> None:
    # 28 March 2027: Brussels goes from 2:00 straight to 3:00; 31 October 2027 back.
    spring = date(2027, 3, 28)
    assert skipped_by_clocks(spring, time(2, 30)) and skipped_by_clocks(spring, time(2, 0))
    assert not skipped_by_clocks(spring, time(1, 59))
    assert not skipped_by_clocks(spring, time(3, 0))
    assert not skipped_by_clocks(date(2027, 10, 31), time(2, 30))  # twice, but it exists
    assert not skipped_by_clocks(date(2027, 3, 27), time(2, 30))


def test_a_time_the_clocks_skip_is_refused_at_every_step() -> None:
    today = date(2027, 3, 20)
    data, problem = answer({}, "date", "28/03/2027", today=today)
    assert problem is None
    data, problem = answer(data, "start", "01:30")
    assert problem is None
    # The end at 2:45 would be stored before the start (and 3:45 summer time).
    assert answer(data, "end", "02:45") == (data, CLOCKS_SKIP)
    assert answer(data, "end", "03:15")[1] is None
    assert answer(data, "start", "2u30") == (data, CLOCKS_SKIP)
    # A day changed afterwards, under a time that day does not have.
    other = {**data, "date": "2027-03-27", "start": "02:30", "end": "04:00"}
    assert answer(other, "date", "28/03/2027", today=today) == (other, CLOCKS_SKIP)
    assert skips_clock({**other, "date": "2027-03-28"})
    assert not skips_clock(other)
    # A calendar event over several days ends on a later day: that day's clock counts.
    night = {"date": "2027-03-27", "start": "20:00", "end": "02:30", "span_days": 1}
    assert skips_clock(night)
    assert not skips_clock({**night, "span_days": 2})


def test_schools_toggle_and_all() -> None:
    data = toggle_school({}, "wijdeland")
    assert data["schools"] == ["wijdeland"] and schools_chosen(data)
    data = toggle_school(toggle_school(data, "klimop"), "wijdeland")
    assert data["schools"] == ["klimop"]
    assert not schools_chosen(toggle_school(data, "klimop"))
    everyone = choose_all_schools(data)
    assert everyone["all_schools"] and everyone["schools"] == []
    # Tapping a school after "All schools": just that school.
    assert toggle_school(everyone, "gelinden") == {"all_schools": False, "schools": ["gelinden"]}


def test_buttons_fit_only_their_own_step() -> None:
    assert button_fits("kind", "k:workshop")
    assert not button_fits("kind", "k:party")
    assert not button_fits("schools", "k:workshop")
    assert button_fits("schools", "s:12") and button_fits("schools", "sd")
    assert button_fits("date", "d:20261125", TODAY)
    assert not button_fits("date", "d:20261121", TODAY)  # the past
    assert not button_fits("date", "d:20261206", TODAY)  # not offered
    assert not button_fits("date", "d:20261340", TODAY)
    assert button_fits("address", "sk:address")
    assert not button_fits("title:nl", "sk:title:nl")  # the Dutch title is required
    assert not button_fits("desc:tr", "sk:title:tr")  # an older question's button
    assert button_fits(SUMMARY, "save") and not button_fits("place", "save")
    assert button_fits("place", "x:place") and not button_fits(None, "x:place")
    # Cancel from an older question (answered since) no longer throws the draft away.
    assert not button_fits(SUMMARY, "x:desc:tr") and button_fits(SUMMARY, "x:summary")
    assert not button_fits("place", "x")
    assert not button_fits("kind", "k:workshop:extra")
    assert [d.day for d in days_offered(TODAY)][::13] == [22, 5]


def test_the_finished_draft_as_activity_data() -> None:
    data = {"kind": "workshop", "schools": ["wijdeland"], "all_schools": False,
            "date": "2026-11-25", "start": "14:00", "end": "15:00", "place": "Turnzaal",
            "texts": {"nl": {"title": "Kinderyoga"}, "tr": {"title": "Çocuk yogası"}}}
    activity = to_activity(data, "bot-7", {"wijdeland": 6})
    assert activity.external_id == "bot-7" and activity.kind is Kind.WORKSHOP
    assert activity.starts_at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # CET
    assert activity.ends_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert activity.school_codes == ("wijdeland",) and activity.school_ids == (6,)
    assert activity.place == Place("Turnzaal", "")
    assert activity.texts == {"nl": LocalText("Kinderyoga", ""),
                              "tr": LocalText("Çocuk yogası", "")}
    assert activity.rrule is None
    everyone = to_activity({**data, "all_schools": True, "schools": []}, "bot-8")
    assert everyone.all_schools and everyone.school_codes == ()
