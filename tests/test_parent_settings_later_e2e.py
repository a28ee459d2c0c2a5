"""A parent's settings over the school year (🏫 my school, /language, the coordinator's
reminder choices) and what each change does to what already waits (found by a reviewer): an
announcement for a school she dropped is no longer hers; a notice waiting for her morning
comes in the language she chose since; an older /reminders screen does what its button says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduler.outbox import wake
from bot.services import reminders
from bot.services.programme import Kind
from bot.services.reminders import ReminderKind
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_announcements_for_real_e2e import DUTCH_ONLY, send_from, skip_voices
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_red_zone_e2e import a_day_ahead

MONDAY_2130 = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # Monday 21:30 in Brussels
MONDAY_2145 = datetime(2026, 11, 23, 20, 45, tzinfo=UTC)
TUESDAY_0830 = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # Tuesday 08:30 in Brussels
KLIMOP = "Vrije basisschool Klim-op"
WIJDELAND = "Freinetschool Het Wijdeland (Brustem)"
CLOSED_KLIMOP = "Morgen is Klim-op dicht wegens de storm."


async def test_an_announcement_to_a_school_she_dropped_in_the_evening_still_comes_in_the_morning(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 9501, "Ayşe", "tr", "klimop")
    await ayse.says("/school")
    await ayse.taps(WIJDELAND)  # her second child's school

    clock.moment = MONDAY_2130
    await closed_in_the_evening(greet, ayse, fake, to=KLIMOP)

    # 21:45: her elder child no longer goes to Klim-op; she unticks it.
    clock.moment = MONDAY_2145
    [question] = await ayse.says("/school")
    await ayse.taps(f"✅ {KLIMOP}")
    redrawn = fake.message(ayse.id, question["message_id"])
    assert redrawn is not None
    assert [label for label, _d in FakeTelegram.inline_buttons(redrawn)
            if label.startswith("✅")] == [f"✅ {WIJDELAND}"]

    clock.moment = TUESDAY_0830
    wake(bot.app)
    await fake.wait_idle(quiet=0.5)
    await outbox_settled(db, ayse.id)
    assert not any(CLOSED_KLIMOP in t for t in fake.texts(ayse.id)), fake.texts(ayse.id)[-1]


async def closed_in_the_evening(greet: Person, parent: Person, fake: FakeTelegram,
                                to: str | None = None) -> None:
    """Greet announces, in Dutch only, that Klim-op is closed tomorrow (to one school's
    parents, or all): it is evening, and the parent's copy waits for her morning."""
    await greet.says("/announce")
    await greet.says(CLOSED_KLIMOP)
    await greet.taps(DUTCH_ONLY)
    await greet.taps(DUTCH_ONLY)
    screen = await skip_voices(greet)
    if to is not None:
        await greet.taps(to)
    shown = fake.message(greet.id, screen["message_id"])
    assert shown is not None and "Het bereikt 1 ouder." in shown["text"], shown
    await send_from(greet, fake, shown)
    await fake.wait_idle(quiet=0.3)
    assert not any(CLOSED_KLIMOP in t for t in fake.texts(parent.id))  # her quiet hours


CANCELLED_TR = ("❌ İptal edildi: Çocuk yogası, 25 Kasım 2026 Çarşamba, 14:00. "
                "Üzgünüz. Bir dahaki sefere görüşmek üzere!")


async def test_a_cancellation_waiting_for_the_morning_comes_in_the_language_she_left(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9511, "Ayşe", "nl", "wijdeland")

    clock.moment = MONDAY_2130
    await greet.says("/activities")
    await greet.taps("Kinderyoga · wo 25/11 14:00")
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await fake.wait_idle(quiet=0.3)
    assert not any(t.startswith("❌") for t in fake.texts(ayse.id))  # her quiet hours

    clock.moment = MONDAY_2145
    await ayse.says("/language")
    [told] = await ayse.taps("Türkçe")
    assert told["text"].startswith("Bundan sonra"), told["text"]

    clock.moment = TUESDAY_0830
    wake(bot.app)
    await wait_until(lambda: ayse.last_text().startswith("❌"), fake)
    assert ayse.last_text() == CANCELLED_TR


async def test_an_older_reminders_screen_turns_off_what_its_button_says_it_turns_on(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    [older] = await greet.says("/reminders")
    await greet.presses(older, "rm:k:ouderbabbel")
    older_kind = fake.message(greet.id, older["message_id"])
    assert older_kind is not None
    assert ("☑️ Een week vooraf, om 18:00", "rm:t:ouderbabbel:week:on") in \
        FakeTelegram.inline_buttons(older_kind)

    [newer] = await greet.says("/reminders")
    await greet.presses(newer, "rm:k:ouderbabbel")
    await greet.presses(newer, "rm:t:ouderbabbel:week:on")
    async with db.session() as session:
        chosen = (await reminders.kinds_by_activity_kind(session))[Kind.OUDERBABBEL]
    assert ReminderKind.WEEK in chosen

    # The older screen's "☑️ A week before": she means "yes, a week before too".
    await greet.presses(older_kind, "rm:t:ouderbabbel:week:on")
    async with db.session() as session:
        chosen = (await reminders.kinds_by_activity_kind(session))[Kind.OUDERBABBEL]
    assert ReminderKind.WEEK in chosen, chosen


async def test_messages_at_any_hour_brings_what_waited_for_her_morning(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe works nights: at 21:45 she chooses 'Messages at any hour'. The announcement
    held at 21:30 for her morning comes now, not at 08:00 as her old hours said. (Days
    ahead of the wall clock, which the sender claims rows by: held, it stays held.)"""
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 9521, "Ayşe", "tr", "klimop")
    clock.moment = a_day_ahead(0, 21, 30)
    await closed_in_the_evening(greet, ayse, fake)

    clock.moment += timedelta(minutes=15)
    await ayse.says("/settings")
    await ayse.taps(data="set:q")
    await ayse.taps(data="set:q:00-00")
    await wait_until(lambda: any(CLOSED_KLIMOP in t for t in fake.texts(ayse.id)), fake)
