"""The plain rules of changing an activity in /activity, and of its voice messages: parts,
review steps, keep / skip / remove, the draft made from an activity and back, which voice a
reader gets."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.services.activity_draft import (
    END_NOT_AFTER_START,
    PARTS,
    SUMMARY,
    VOICE_STEPS,
    advance,
    after_remove,
    after_skip,
    button_fits,
    can_remove,
    can_skip,
    from_activity,
    has_value,
    next_step,
    parts_offered,
    skip_problem,
    to_activity,
    value_of,
    voice_languages,
    with_voice,
)
from bot.services.broadcast import voice_payload
from bot.services.programme import (
    ActivityData,
    Kind,
    LocalText,
    Occurrence,
    Place,
    programme_item,
    voiced,
    write_texts,
)
from storage.models import Activity, ActivityText

TODAY = date(2026, 11, 22)
BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
YOGA = ActivityData(
    id=7,
    external_id="kinderyoga-wijdeland",
    kind=Kind.WORKSHOP,
    starts_at=datetime(2026, 9, 16, 12, 0, tzinfo=UTC),  # 14:00 in Brussels (CEST)
    ends_at=datetime(2026, 9, 16, 13, 0, tzinfo=UTC),
    rrule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216",
    school_codes=("wijdeland",),
    school_ids=(6,),
    place=Place("Turnzaal", "Kerkstraat 12", 50.8, 5.2),
    texts={"nl": LocalText("Kinderyoga", "Rustig worden."), "tr": LocalText("Çocuk yogası", "")},
    voices={"tr": "VOICE-TR"},
)


def test_a_part_asks_only_its_own_questions_then_the_summary() -> None:
    assert next_step("start", review=True) == "end"
    assert next_step("end", review=True) == SUMMARY
    assert next_step("kind", review=True) == SUMMARY
    assert next_step("title:tr", review=True) == "desc:tr"
    assert next_step("title:tr", skipped=True, review=True) == SUMMARY  # Dutch only
    assert next_step("voice:tr", review=True) == "voice:pa"
    assert next_step("voice:nl", review=True) == SUMMARY
    # Every question belongs to exactly one part.
    steps = [step for chain in PARTS.values() for step in chain]
    assert len(steps) == len(set(steps)) and set(VOICE_STEPS) <= set(steps)


def test_reaching_the_summary_once_turns_on_review() -> None:
    step, data = advance({}, "desc:pa")
    assert step == "voice:tr" and "review" not in data
    step, data = advance(data, "voice:nl")
    assert step == SUMMARY and data["review"] is True
    # From then on a part's question leads back to the summary.
    assert advance(data, "place") == ("address", data)
    assert advance(data, "address")[0] == SUMMARY


def test_an_activity_as_a_draft_and_back_is_the_same_activity() -> None:
    data = from_activity(YOGA, BASE)
    assert data["date"] == "2026-09-16" and (data["start"], data["end"]) == ("14:00", "15:00")
    assert data["review"] is True and data["base"] == BASE.isoformat()
    assert data["voices"] == {"tr": "VOICE-TR"} and data["rrule"] == YOGA.rrule
    back = to_activity(data, YOGA.external_id, {"wijdeland": 6})
    assert (back.starts_at, back.ends_at, back.rrule) == (YOGA.starts_at, YOGA.ends_at,
                                                          YOGA.rrule)
    assert back.texts == YOGA.texts and back.voices == YOGA.voices
    assert back.school_ids == (6,) and back.kind is Kind.WORKSHOP
    assert (back.place.name, back.place.address) == ("Turnzaal", "Kerkstraat 12")


def test_an_activity_over_two_days_keeps_its_end_day() -> None:
    camp = ActivityData(external_id="kamp", kind=Kind.HOLIDAY_ACTIVITY,
                        starts_at=datetime(2026, 12, 28, 9, 0, tzinfo=UTC),
                        ends_at=datetime(2026, 12, 29, 15, 0, tzinfo=UTC),
                        all_schools=True, texts={"nl": LocalText("Kamp")})
    data = from_activity(camp, BASE)
    assert data["span_days"] == 1 and data["all_schools"] and data["schools"] == []
    assert to_activity(data, "kamp").ends_at == camp.ends_at
    # An end hour before the start hour is fine on a later day.
    assert skip_problem({**data, "end": "08:00"}, "end") is None


def test_keep_skip_and_remove() -> None:
    data = from_activity(YOGA, BASE)
    # A required answer can be kept, never removed; an optional one both; an empty
    # optional one skipped.
    assert can_skip(data, "place") and not can_remove(data, "place")
    assert can_skip(data, "title:nl") and not can_remove(data, "title:nl")
    assert can_skip(data, "voice:tr") and can_remove(data, "voice:tr")
    assert can_skip(data, "voice:pa") and not can_remove(data, "voice:pa")
    assert not can_skip(data, "kind") and not can_skip(data, "schools")
    assert not can_skip({}, "date")  # a new activity needs its day
    # Keep: nothing changes; a kept Turkish title still asks its description.
    assert after_skip(data, "title:tr") == ("desc:tr", data)
    assert after_skip(data, "voice:tr") == ("voice:pa", data)
    # Remove: the Turkish translation goes (title and description), back to the summary.
    step, removed = after_remove(data, "title:tr")
    assert step == SUMMARY and "tr" not in removed["texts"] and removed["texts"]["nl"]
    step, removed = after_remove(data, "desc:nl")
    assert step == SUMMARY and removed["texts"]["nl"] == {"title": "Kinderyoga"}
    step, removed = after_remove(data, "voice:tr")
    assert step == "voice:pa" and removed["voices"] == {}
    assert after_remove(data, "address")[1]["address"] == ""


def test_a_kept_end_must_still_be_after_a_new_start() -> None:
    data = {**from_activity(YOGA, BASE), "start": "15:30"}
    assert skip_problem(data, "end") == END_NOT_AFTER_START
    assert skip_problem({**data, "start": "13:00"}, "end") is None
    assert after_skip(data, "end")[0] == SUMMARY


def test_values_and_voices() -> None:
    data = from_activity(YOGA, BASE)
    assert value_of(data, "title:tr") == "Çocuk yogası" and value_of(data, "desc:tr") == ""
    assert value_of(data, "voice:tr") == "VOICE-TR" and not has_value(data, "voice:nl")
    assert value_of(data, "schools") == "wijdeland"
    data = with_voice(data, "voice:nl", "VOICE-NL")
    assert voice_languages(data) == ["nl", "tr"]
    assert to_activity(data, "x").voices == {"tr": "VOICE-TR", "nl": "VOICE-NL"}


def test_buttons_of_the_summary_and_of_changing() -> None:
    data = from_activity(YOGA, BASE)
    assert button_fits(SUMMARY, "e:time", TODAY, data)
    assert button_fits(SUMMARY, "e:voice", TODAY, data)
    assert not button_fits(SUMMARY, "e:date", TODAY, data)  # its days follow its rule
    assert "date" not in parts_offered(data)
    one_off = {**data, "rrule": None}
    assert button_fits(SUMMARY, "e:date", TODAY, one_off) and "date" in parts_offered(one_off)
    assert not button_fits(SUMMARY, "e:party", TODAY, data)
    assert not button_fits("place", "e:time", TODAY, data)  # only from the summary
    assert button_fits("place", "sk:place", TODAY, data)  # keep as it is
    assert not button_fits("place", "sk:place", TODAY, {})  # a new one has nothing to keep
    assert button_fits("voice:tr", "rm:voice:tr", TODAY, data)
    assert not button_fits("voice:pa", "rm:voice:pa", TODAY, data)  # nothing to remove
    assert not button_fits("voice:tr", "rm:voice:pa", TODAY, data)  # another question's
    assert not button_fits("title:nl", "rm:title:nl", TODAY, data)  # required
    assert button_fits("voice:nl", "sk:voice:nl", TODAY, {})  # a new one may skip


def test_a_reader_gets_only_their_own_languages_voice_once_a_week() -> None:
    first = Occurrence(datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
                       datetime(2026, 11, 25, 14, 0, tzinfo=UTC))
    second = Occurrence(datetime(2026, 11, 27, 13, 0, tzinfo=UTC),
                        datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    turkish = [programme_item(YOGA, first, "tr"), programme_item(YOGA, second, "tr")]
    assert [item.voice_file_id for item in turkish] == ["VOICE-TR", "VOICE-TR"]
    assert voiced(turkish) == turkish[:1]
    assert voice_payload(turkish[0]) == {"file_id": "VOICE-TR", "caption": "🎙 Çocuk yogası"}
    # No fallback: a Dutch or Punjabi reader gets no Turkish voice.
    assert programme_item(YOGA, first, "nl").voice_file_id is None
    assert voiced([programme_item(YOGA, first, "pa")]) == []


def test_write_texts_keeps_each_languages_row_and_drops_empty_ones() -> None:
    row = Activity(texts=[ActivityText(locale="nl", title="Kinderyoga", description=""),
                          ActivityText(locale="tr", title="Yoga", description="",
                                       voice_file_id="V1")])
    tr_row = row.texts[1]
    write_texts(row, {"nl": LocalText("Kinderyoga", "")}, {"tr": "V2", "pa": "V3"})
    by_locale = {t.locale: (t.title, t.voice_file_id) for t in row.texts}
    assert by_locale == {"nl": ("Kinderyoga", None), "tr": ("", "V2"), "pa": ("", "V3")}
    assert row.texts[1] is tr_row  # updated in place, never deleted and added again
    write_texts(row, {"nl": LocalText("Kinderyoga", "")}, {})
    assert [t.locale for t in row.texts] == ["nl"]
