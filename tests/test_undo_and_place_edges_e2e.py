"""Edge cases found in review of two features: a new place told to parents who got a
reminder and did not answer, and undoing a whole activity called off ("every time").

- a place changed back and forth is told each time (the notice key names the round);
- a place changed while its day was cancelled is told when the day is undone (the mark
  waits);
- a file that cancels the whole call-off's notice day does not hide who heard it (the
  notices written since it was called off are its);
- "tell them" after the undo works when the weekday changed while it was off;
- an activity called off without telling everyone (a first "no", or a file) offers 📣.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_all_day_e2e import ALL_DAY_ICS, coordinator_with_play_day
from tests.test_broadcast_e2e import wait_until
from tests.test_cancellation_e2e import WED_25
from tests.test_moves_e2e import notices, replan_at
from tests.test_new_place_reminded_e2e import REFTER, at, new_place
from tests.test_programme_e2e import EXAMPLE, coordinator_of, coordinator_with_programme, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    reminders_in,
    round_at,
)
from tests.test_uncancel_e2e import EXPIRED
from tests.test_uncancel_whole_e2e import TR_OFF, call_off, good_news, says_yes, undo_whole

DEC_2 = WED_25 + timedelta(days=7)
YOGA_WE = '2026-09-16;14:00;15:00;"FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216"'
YOGA_DAYS = ";2026-10-28 2026-11-04"


async def send_example(greet: Person, *changes: tuple[str, str]) -> None:
    """The coordinator sends the example programme again, with these changes to it."""
    text = EXAMPLE.read_bytes().decode("utf-8-sig")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=text.encode())
    assert reply["text"].startswith("Ingelezen"), reply["text"]


# --- a new place, told to reminded parents ------------------------------------------------


async def test_a_place_changed_back_and_forth_twice_is_told_each_time(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9801, "Ayşe", "tr", "vlindertje")  # reads, never taps
    await day_reminder_of(bot, clock, fake, ayse)

    await new_place(greet, bot, clock, (24, 20), at(REFTER))  # library -> refter
    await wait_until(lambda: len(notices(fake, ayse)) == 1, fake)
    await new_place(greet, bot, clock, (24, 20, 10), BABBEL)  # back to the library
    await wait_until(lambda: len(notices(fake, ayse)) == 2, fake)
    await new_place(greet, bot, clock, (24, 20, 20), at(REFTER))  # the refter after all
    await wait_until(lambda: len(notices(fake, ayse)) == 3, fake)
    await replan_at(bot, clock, local(24, 20, 30))
    await fake.wait_idle(quiet=0.5)
    told = notices(fake, ayse)
    assert "Bibliotheek" in told[1]  # what she was told last, before the third change
    assert len(told) == 3 and "Refter van Klim-op" in told[2], told


async def test_a_place_changed_while_the_day_was_cancelled_is_told_when_it_is_undone(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The library is closed on the day: the coordinator cancels the ouderbabbel, finds the
    refter, sends the file with the new place, and undoes the cancellation. Ayşe's two
    reminders showed the library; no reminder is left to come."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9811, "Ayşe", "tr", "vlindertje")
    await day_reminder_of(bot, clock, fake, ayse)
    await round_at(bot, clock, local(25, 11, 30))  # the two-hours reminder
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 2, fake)
    assert all("Bibliotheek" in m["text"] for m in reminders_in(fake, ayse.id))

    clock.moment = local(25, 11, 40).astimezone(UTC)
    label = "Ouderbabbel: slapen · wo 25/11 13:30"
    await greet.says("/activities")
    await greet.taps(label)
    await greet.taps("❌ Deze activiteit annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    await new_place(greet, bot, clock, (25, 11, 50), at(REFTER))

    clock.moment = local(25, 12).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps("❌ " + label)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    await replan_at(bot, clock, local(25, 12, 5))
    await wait_until(lambda: bool(notices(fake, ayse)), fake)
    await replan_at(bot, clock, local(25, 12, 10))
    await fake.wait_idle(quiet=0.5)
    assert len(reminders_in(fake, ayse.id)) == 2  # no reminder shows her the refter
    [told] = notices(fake, ayse)
    assert "Refter van Klim-op" in told, told


# --- undoing a whole activity called off ----------------------------------------------------


async def test_a_file_cancelling_its_first_day_while_off_does_not_hide_who_heard(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9821, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 9822, "Harpreet", "pa", "wijdeland")
    await says_yes(db, ayse, DEC_2)
    await call_off(greet, tell=True)  # "will not take place any more", keyed 25 November
    await wait_until(lambda: ayse.last_text() == TR_OFF
                     and harpreet.last_text().startswith("❌"), fake)
    # The updated programme: 25 November was a pedagogical study day anyway.
    await send_example(greet, (YOGA_DAYS, YOGA_DAYS + " 2026-11-25"))

    sure, _answer = await undo_whole(greet, fake, "❌ Kinderyoga · elke keer vanaf wo 02/12")
    await fake.wait_idle(quiet=0.5)
    assert "2 ouders kregen bericht dat het niet doorging." in sure, sure
    await wait_until(lambda: bool(good_news(fake, ayse)), fake)


async def test_tell_them_after_the_undo_works_when_its_weekday_changed_while_off(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9831, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 9832, "Harpreet", "pa", "wijdeland")
    await call_off(greet, tell=True)  # the gym is taken on Wednesdays
    await wait_until(lambda: ayse.last_text() == TR_OFF
                     and harpreet.last_text().startswith("❌"), fake)
    # Thursdays are free: the file moves it, and the coordinator undoes the call-off.
    await send_example(
        greet, (YOGA_WE, '2026-09-17;14:00;15:00;"FREQ=WEEKLY;BYDAY=TH;UNTIL=20261217"'),
        (YOGA_DAYS, ";2026-10-29 2026-11-05"))
    _sure, answer = await undo_whole(greet, fake, "❌ Kinderyoga · elke keer vanaf do 26/11")
    assert answer.startswith("Het gaat weer door. De 2 ouders"), answer
    await greet.taps("✅ Ja, laat het hen weten")
    assert greet.alerts()[-1:] != EXPIRED, greet.alerts()
    await wait_until(lambda: bool(good_news(fake, ayse)) and bool(good_news(fake, harpreet)),
                     fake, seconds=3)


async def test_a_whole_activity_called_off_without_telling_offers_to_tell_the_rest(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A first "no, do not tell them": the activity, called off, offers 📣 later, and once
    they are told, no more."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9841, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 9842, "Harpreet", "pa", "wijdeland")
    await call_off(greet, tell=False)
    await fake.wait_idle(quiet=0.3)
    assert not ayse.last_text().startswith("❌")
    await greet.says("/activities")
    await greet.taps("❌ Kinderyoga · elke keer vanaf wo 25/11")
    await greet.taps("📣 Nog 2 ouders een bericht sturen")
    await wait_until(lambda: ayse.last_text() == TR_OFF
                     and harpreet.last_text().startswith("❌"), fake)
    [listing] = await greet.says("/activities")
    await greet.taps("❌ Kinderyoga · elke keer vanaf wo 25/11")
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None
    assert not any(label.startswith("📣") for label, _d in fake.inline_buttons(shown)), shown


async def test_an_activity_a_calendar_calls_off_points_to_telling_the_others(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A file tells only those who said they come: the reply says how to tell the rest,
    and the activity's line offers it."""
    greet = await coordinator_with_play_day(chat)
    ayse = await onboard(chat, 9851, "Ayşe", "tr", "vlindertje")
    els = await onboard(chat, 9852, "Els", "nl", "vlindertje")
    off = ALL_DAY_ICS.replace(b"SUMMARY:", b"STATUS:CANCELLED\r\nSUMMARY:")
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=off)
    assert ("De andere ouders laten weten dat de activiteit niet doorgaat: /activities, tik "
            "erop (❌), dan op 📣.") in reply["text"], reply["text"]
    await greet.says("/activities")
    await greet.taps("❌ Speeldag in de wijk · wo 25/11")
    await greet.taps("📣 Nog 2 ouders een bericht sturen")
    told = "❌ Speeldag in de wijk gaat niet meer door. Het spijt ons."
    await wait_until(lambda: ayse.last_text().startswith("❌") and els.last_text() == told,
                     fake)
