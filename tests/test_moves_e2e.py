"""An activity that moves (a new time in the file, or /activity's edit): who is told, and what.

A one-off activity is followed to its one new day however far it went; parents who said
"yes"/"maybe" and parents a reminder of the old time was sent to hear it once; "no" hears
nothing. From the reviews in tests/test_review_reminders_rsvp.py and
tests/test_review_programme.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.handlers.rsvp import render_moved
from bot.i18n import BRUSSELS
from bot.services.programme import Kind, Place, ProgrammeItem
from bot.services.reminders import Moved, last_told, place_mark
from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    round_at,
    says_yes_to_the_day_reminder,
)


def notices(fake: FakeTelegram, parent: Person) -> list[str]:
    return [t for t in fake.texts(parent.id) if t.startswith("⚠️")]


async def answers(db: Database) -> list[tuple[str, datetime]]:
    async with db.session() as session:
        return [(r.answer, r.occurrence_start) for r in await session.scalars(select(Rsvp))]


async def replan_at(bot: Handled, clock: FixedClock, moment: datetime) -> None:
    assert bot.app is not None
    bot.app.bot_data["replan"] = True
    await round_at(bot, clock, moment)


# --- 1. a one-off activity postponed by more than a week ------------------------------------


async def test_a_parent_who_said_yes_hears_the_new_date_of_a_postponed_activity(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9301, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)

    # The guest is ill: the ouderbabbel of Wednesday 25 November moves to Wednesday 9
    # December (two weeks later), same hours.
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-12-09"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    [notice] = notices(fake, els)
    assert "verplaatst" in notice and "Ouderbabbel: slapen" in notice, notice
    assert "9 december" in notice, notice
    # Her "I'm coming" follows the activity.
    assert await answers(db) == [("yes", local(9, 13, 30, month=12).astimezone(UTC))]


async def test_a_one_off_activity_postponed_two_weeks_tells_parents_the_new_day(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9801, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    before = len(fake.texts(els.id))

    clock.moment = local(24, 20)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-12-09"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: any("⚠️" in t for t in fake.texts(els.id)[before:]), fake)
    told = fake.texts(els.id)[before:]
    assert any("Ouderbabbel: slapen" in text and "9 december" in text for text in told), told
    async with db.session() as session:
        found = list(await session.scalars(select(Rsvp)))
    assert [a.occurrence_start for a in found] == [local(9, 13, 30, month=12)]


async def test_a_one_off_postponed_beyond_the_planners_window_is_followed_and_told_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Five weeks on: farther than the planner looks. The answer stays with the new day in
    the rounds after (it is not taken for another move, nor erased)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9302, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-12-30"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    await replan_at(bot, clock, local(24, 21))
    await replan_at(bot, clock, local(26, 10))
    await fake.wait_idle(quiet=0.3)
    [notice] = notices(fake, els)
    assert "30 december" in notice and "Ouderbabbel: slapen" in notice, notice
    assert await answers(db) == [("yes", local(30, 13, 30, month=12).astimezone(UTC))]


# --- 2. "no longer then" names the activity -------------------------------------------------


def test_the_no_longer_then_notice_names_the_activity() -> None:
    old = local(25, 13, 30).astimezone(UTC)
    for locale, title in (("nl", "Ouderbabbel: slapen"), ("tr", "Veli sohbeti: uyku"),
                          ("pa", "ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ")):
        kind, payload = render_moved(Moved(1, 1, locale, old, None, title))
        assert kind == "text"
        assert payload["text"].startswith(f"⚠️ <b>{title}</b>\n"), payload["text"]
        assert "13:30" in payload["text"]
    # The moved notice shows the activity (its title) at its new time, as before.
    item = ProgrammeItem(1, "x", Kind.OUDERBABBEL, old + timedelta(days=1),
                         old + timedelta(days=1, hours=1), Place("Bib"), "Ouderbabbel: slapen",
                         "", False, False, True, ())
    _kind, payload = render_moved(Moved(1, 1, "nl", old, item, "Ouderbabbel: slapen"))
    assert "Ouderbabbel: slapen" in payload["text"] and "verplaatst" in payload["text"]


async def test_a_weekly_activity_that_ends_sooner_names_the_lost_day(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A weekly ouderbabbel until 2 December is cut short to end before 25 November: no new
    time to tell, but the notice says which activity."""
    weekly = BABBEL.replace("2026-11-25;13:30;15:00;;", "2026-11-18;13:30;15:00;"
                            '"FREQ=WEEKLY;UNTIL=20261203";')
    greet = await coordinator_of(chat)
    await import_csv(greet, weekly)
    els = await onboard(chat, 9303, "Els", "nl", "vlindertje")
    await day_reminder_of(bot, clock, fake, els)
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, weekly.replace("UNTIL=20261203", "UNTIL=20261120"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    [notice] = notices(fake, els)
    assert notice.startswith("⚠️ Ouderbabbel: slapen\n"), notice  # the HTML's bold as text
    assert "25 november 2026, 13:30 gaat dan niet meer door" in notice, notice


# --- 3. a late change reaches those who got the reminder ------------------------------------


async def test_a_parent_who_got_the_reminder_hears_of_a_late_new_time(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9306, "Els", "nl", "vlindertje")
    ayse = await onboard(chat, 9307, "Ayşe", "tr", "vlindertje")  # will say "yes"
    jan = await onboard(chat, 9308, "Jan", "nl", "vlindertje")  # will say "no"
    reminder = await day_reminder_of(bot, clock, fake, els)
    assert "13:30" in reminder["text"]  # she did not answer: everyone is welcome
    await wait_until(lambda: all(any("🔔" in t for t in fake.texts(p.id))
                                 for p in (ayse, jan)), fake)
    for parent, answer in ((ayse, "yes"), (jan, "no")):
        [sent] = [m for m in fake.transcript(parent.id) if "🔔" in m.get("text", "")]
        await parent.taps(data=f"rv:{nl_reminder_id(sent)}:{answer}")
    # On the day at 10:30 the coordinator moves it to 12:00 (the guest can only come then):
    # the two-hours reminder of 12:00 (10:00) is past.
    clock.moment = local(25, 10, 30).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("13:30;15:00", "12:00;13:30"))
    await replan_at(bot, clock, local(25, 10, 30))
    await round_at(bot, clock, local(25, 10, 31))
    await wait_until(lambda: bool(notices(fake, els)) and bool(notices(fake, ayse)), fake)
    await replan_at(bot, clock, local(25, 10, 45))  # told once, not every round
    await fake.wait_idle(quiet=0.5)
    [told] = notices(fake, els)
    assert "12:00" in told and "Ouderbabbel: slapen" in told, told
    [told_tr] = notices(fake, ayse)  # said "yes" and got the reminder: one notice
    assert "12:00" in told_tr and "Veli sohbeti: uyku" in told_tr, told_tr
    assert notices(fake, jan) == []  # said "no"
    assert ("yes", local(25, 12).astimezone(UTC)) in await answers(db)


async def test_a_move_undone_is_told_back_to_those_who_got_the_reminder(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Moved to 14:30 by mistake, back to 13:30 an hour later: a parent told "14:30" hears
    "13:30" again (else they would come an hour late); once each."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9309, "Els", "nl", "vlindertje")
    await day_reminder_of(bot, clock, fake, els)
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("13:30;15:00", "14:30;16:00"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: len(notices(fake, els)) == 1, fake)
    clock.moment = local(24, 20, 50).astimezone(UTC)
    await import_csv(greet, BABBEL)
    await replan_at(bot, clock, local(24, 20, 50))
    await wait_until(lambda: len(notices(fake, els)) == 2, fake)
    await replan_at(bot, clock, local(24, 21))
    await fake.wait_idle(quiet=0.5)
    first, second = notices(fake, els)
    assert "14:30" in first and "14:30" in second.split("\n\n")[0], (first, second)
    assert "13:30" in second.split("\n\n", 1)[1], second


def test_what_a_reminded_parent_was_told_last() -> None:
    s, t, u = (datetime(2026, 11, 25, h, tzinfo=BRUSSELS) for h in (13, 14, 15))
    assert last_told(s, []) == s
    assert last_told(s, [(1, s, t)]) == t
    assert last_told(s, [(1, s, t), (2, t, s)]) == s  # undone
    assert last_told(s, [(1, s, t), (2, t, s), (3, s, u)]) == u
    assert last_told(s, [(1, t, u)]) == s  # another occurrence's move
    assert last_told(s, [(1, s, None), (2, s, t)]) is None  # told it no longer takes place


# --- 4. a new place -------------------------------------------------------------------------


async def test_a_new_place_in_the_file_is_told_to_those_who_come_and_those_reminded(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9821, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 9822, "Jan", "nl", "vlindertje")  # got the reminder, no answer
    await says_yes_to_the_day_reminder(bot, clock, fake, els)  # "tomorrow … Bibliotheek"
    before = len(fake.texts(els.id))

    # Tuesday evening: the library is closed, it moves to Klim-op's refter (same time).
    clock.moment = local(24, 20)
    await import_csv(greet, BABBEL.replace(
        "Bibliotheek;Kazernestraat 13, 3800 Sint-Truiden;50.8165;5.1852",
        "Refter van Klim-op;Tongersesteenweg 58, 3800 Sint-Truiden;;"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: any("Refter van Klim-op" in t for t in fake.texts(els.id)[before:]),
                     fake, seconds=3)
    await replan_at(bot, clock, local(24, 20, 30))  # once, not every round
    await fake.wait_idle(quiet=0.5)
    [told] = [t for t in fake.texts(els.id)[before:] if t.startswith("⚠️")]
    assert "nieuwe plek" in told and "Ouderbabbel: slapen" in told, told
    assert "woensdag 25 november 2026, 13:30" in told, told
    # Jan did not answer, but his reminder showed the library: he is told too, once.
    [told_jan] = notices(fake, jan)
    assert "Refter van Klim-op" in told_jan and "nieuwe plek" in told_jan, told_jan


async def test_a_new_time_and_place_at_once_is_one_notice(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9823, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    clock.moment = local(24, 20)
    await import_csv(greet, BABBEL.replace("13:30;15:00", "14:00;15:30").replace(
        "Bibliotheek;Kazernestraat 13, 3800 Sint-Truiden;50.8165;5.1852",
        "Refter van Klim-op;Tongersesteenweg 58, 3800 Sint-Truiden;;"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    await replan_at(bot, clock, local(24, 20, 30))
    await fake.wait_idle(quiet=0.5)
    [told] = notices(fake, els)
    assert "verplaatst" in told and "14:00" in told and "Refter van Klim-op" in told, told


def test_a_place_mark_changes_with_the_name_or_address_only() -> None:
    mark = place_mark(Place("Bibliotheek", "Kazernestraat 13"))
    assert len(mark) == 8
    assert mark == place_mark(Place("Bibliotheek", "Kazernestraat 13", 50.8165, 5.1852))
    assert mark != place_mark(Place("Bibliotheek", "Kazernestraat 15"))
    assert mark != place_mark(Place("Refter van Klim-op", "Kazernestraat 13"))


async def test_an_answer_from_before_place_marks_gets_one_and_tells_nobody(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """An answer kept before this version has no mark: the first round after a new place
    cannot know what she was shown, so it notes the place and tells nothing."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9831, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    async with db.session() as session:
        await session.execute(update(Rsvp).values(place_mark=None))
        await session.commit()
    clock.moment = local(24, 20)
    await import_csv(greet, BABBEL.replace(
        "Bibliotheek;Kazernestraat 13, 3800 Sint-Truiden;50.8165;5.1852",
        "Refter van Klim-op;Tongersesteenweg 58, 3800 Sint-Truiden;;"))
    await replan_at(bot, clock, local(24, 20))
    await fake.wait_idle(quiet=0.5)
    assert notices(fake, els) == []
    async with db.session() as session:
        [mark] = list(await session.scalars(select(Rsvp.place_mark)))
    assert mark == place_mark(Place("Refter van Klim-op", "Tongersesteenweg 58, 3800 "
                                                          "Sint-Truiden"))
