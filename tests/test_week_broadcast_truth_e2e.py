"""The week's programme as each parent receives it, true and complete for them.

The coordinator broadcasts the week; every parent gets their own school(s)' activities in
their own language. These tests look at what a parent reads when the world changes between
the coordinator's "send" and the moment the copy reaches them (their quiet hours hold it
until the morning), at the 🇧🇪 Dutch original, and at two coordinators sending the same
week. The clock of the fixtures stands on Sunday 22 November 2026, 10:00 in Brussels.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.scheduler.outbox import wake
from storage.db import Database
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_activity_edit_e2e import open_edit
from tests.test_broadcast_e2e import wait_until
from tests.test_calendar_edges_e2e import CHRISTMAS_CAMP_ICS, bx
from tests.test_programme_e2e import EXAMPLE, coordinator_of, coordinator_with_programme, onboard

SECOND_COORDINATOR_ID = 900_002  # Koen, a second coordinator (COORDINATOR_IDS names both)
SUNDAY_EVENING = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)  # 22:30 in Brussels: quiet hours
MONDAY_MORNING = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 08:30 in Brussels
CAPOEIRA_ROW_START = "2026-09-24;15:45;16:45"  # the example's capoeira (Velm and Gelinden)
CAPOEIRA_CANCELLED = "2026-10-29 2026-11-05"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, coordinator_ids=frozenset({COORDINATOR_ID, SECOND_COORDINATOR_ID}))


def programme_copies(fake: FakeTelegram, person: Person, heading: str) -> list[str]:
    return [t for t in fake.texts(person.id) if t.startswith(heading)]


async def send_next_week_in_the_evening(greet: Person, fake: FakeTelegram, clock: FixedClock,
                                        parents: int) -> None:
    """Sunday 22:30: next week's programme is sent; the parents' quiet hours (21:00–08:00)
    hold every copy until Monday morning."""
    clock.moment = SUNDAY_EVENING
    [draft] = await greet.says("/broadcast")
    label = "📤 Verstuur naar 1 ouder" if parents == 1 else f"📤 Verstuur naar {parents} ouders"
    await greet.taps(label)
    await greet.taps("✅ Ja, nu versturen")

    def line() -> str:
        return (fake.message(greet.id, draft["message_id"]) or {}).get("text", "")

    await wait_until(lambda: "🌙" in line(), fake)


async def import_example_with(greet: Person, old: str, new: str) -> None:
    """The coordinator sends the example programme again with one change."""
    text = EXAMPLE.read_text(encoding="utf-8-sig")
    assert text.count(old) == 1
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=text.replace(old, new).encode())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 1 gewijzigd"), reply["text"]


async def morning_delivery(bot: Handled, clock: FixedClock, fake: FakeTelegram,
                           person: Person, heading: str) -> str:
    clock.moment = MONDAY_MORNING
    assert bot.app is not None
    wake(bot.app)
    await wait_until(lambda: bool(programme_copies(fake, person, heading)), fake, 20)
    [copy] = programme_copies(fake, person, heading)
    return copy


# --------------------------------------------------------------------------------------------
# The copy waits for the parent's quiet hours; the programme changes meanwhile


async def test_a_day_cancelled_while_the_copy_waits_is_not_announced_as_on(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els has children at 't Vlindertje (capoeira on Thursday) and Kabouterland (the
    Sinterklaas afternoon on Saturday). Greet sends next week's programme on Sunday at 22:30;
    it waits for Els's quiet hours. At 22:40 the sports hall calls: no capoeira on Thursday
    26 November; Greet puts the day in the sheet's cancelled_dates and sends it again (a file
    tells only those who said they come: nobody). On Monday at 08:30 Els reads her week."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8101, "Els", "nl", "vlindertje")
    await els.says("/start s_kabouterland")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
    await import_example_with(greet, CAPOEIRA_CANCELLED, CAPOEIRA_CANCELLED + " 2026-11-26")

    copy = await morning_delivery(bot, clock, fake, els, "Programma van maandag 23 november")
    assert "Knutselnamiddag voor Sinterklaas" in copy
    assert "Capoeira" not in copy, copy


async def test_an_hour_changed_while_the_copy_waits_is_the_new_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Sunday 22:30 the programme is sent and waits for the night. At 22:40 Greet moves the
    capoeira from 15:45 to 17:00 (the sports hall is taken) and sends the sheet again. On
    Monday morning Els reads her week: Thursday's capoeira should be at 17:00."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8111, "Els", "nl", "vlindertje")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
    await import_example_with(greet, CAPOEIRA_ROW_START, "2026-09-24;17:00;18:00")

    copy = await morning_delivery(bot, clock, fake, els, "Programma van maandag 23 november")
    assert "donderdag 26 november 2026, 15:45–16:45" not in copy, copy
    assert "donderdag 26 november 2026, 17:00–18:00" in copy, copy


async def test_an_hour_changed_in_the_bot_while_the_copy_waits_is_the_new_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The same change made in the bot (/activity, ✏️, the hours, Save) instead of a file:
    the copy waiting for Els's morning has the new hours too."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8112, "Els", "nl", "vlindertje")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
    _summary, draft_id = await open_edit(fake, greet, db, "capoeira-velm-gelinden")
    await greet.taps(data=f"ad:{draft_id}:e:time")
    await greet.says("17:00")
    await greet.says("18u")
    [saved] = await greet.taps(data=f"ad:{draft_id}:save")
    assert saved["text"].startswith("Opgeslagen."), saved["text"]

    copy = await morning_delivery(bot, clock, fake, els, "Programma van maandag 23 november")
    assert "donderdag 26 november 2026, 15:45–16:45" not in copy, copy
    assert "donderdag 26 november 2026, 17:00–18:00" in copy, copy


async def test_a_school_changed_while_the_copy_waits_gets_the_new_schools_week(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe's son moves from Het Wijdeland to 't Vlindertje. The programme was sent on Sunday
    at 22:30 and waits for the night; at 22:45 she sets her school in 🏫 My school. On Monday
    morning her week should be 't Vlindertje's (capoeira), not Het Wijdeland's yoga."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8121, "Ayşe", "tr", "wijdeland")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 45, tzinfo=UTC)
    await ayse.says("/school")
    await ayse.taps("Vrije Kleuter- en Basisschool 't Vlindertje Velm")
    await ayse.taps("✅ Freinetschool Het Wijdeland (Brustem)")
    await ayse.taps(data="school:done:set")
    assert ayse.last_text() == "Okulunuz: Vrije Kleuter- en Basisschool 't Vlindertje Velm"

    copy = await morning_delivery(bot, clock, fake, ayse, "23 Kasım 2026 Pazartesi")
    assert "Çocuk yogası" not in copy, copy
    assert "Capoeira" in copy, copy


# --------------------------------------------------------------------------------------------
# The Dutch original under a translated copy


async def test_the_dutch_original_of_this_weeks_copy_holds_the_camp_still_running(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """The Christmas camp of 't Vlindertje runs from Monday 28 December to Friday 1 January.
    On Tuesday Greet sends 📅 This week. Ayşe's Turkish copy holds the camp; her husband
    reads Dutch and taps 🇧🇪 Nederlands under it."""
    clock.moment = bx(2026, 12, 5, 10)
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=CHRISTMAS_CAMP_ICS)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    ayse = await onboard(chat, 8131, "Ayşe", "tr", "vlindertje")
    clock.moment = bx(2026, 12, 29, 10)
    await greet.says("/broadcast")
    await greet.taps("📅 Deze week")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: bool(programme_copies(fake, ayse, "29 Aralık 2026 Salı")), fake)
    [copy] = programme_copies(fake, ayse, "29 Aralık 2026 Salı")
    assert "Kerstvakantiekamp" in copy, copy

    [dutch] = await ayse.taps("🇧🇪 Nederlands")
    assert dutch["text"].startswith("Programma van dinsdag 29 december 2026")
    assert "Kerstvakantiekamp" in dutch["text"], dutch["text"]


# --------------------------------------------------------------------------------------------
# Two coordinators, one week


async def test_two_coordinators_confirming_the_same_week_at_once_send_it_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Greet and Koen both prepare next week's programme on Sunday morning and both reach
    "Send next week's programme to 1 parent now?". They tap ✅ at the same moment. Els should
    get the week once."""
    greet = await coordinator_with_programme(chat)
    koen = chat.person(SECOND_COORDINATOR_ID, "Koen", language_code="nl")
    await koen.says("/start")
    await koen.taps("Nederlands")
    await koen.taps(data="privacy:ok")
    els = await onboard(chat, 8141, "Els", "nl", "vlindertje")
    [greets] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    [koens] = await koen.says("/broadcast")
    await koen.taps("📤 Verstuur naar 1 ouder")
    greet_yes = next(d for _t, d in FakeTelegram.inline_buttons(
        fake.message(greet.id, greets["message_id"]) or {}) if d.endswith(":yes"))
    koen_yes = next(d for _t, d in FakeTelegram.inline_buttons(
        fake.message(koen.id, koens["message_id"]) or {}) if d.endswith(":yes"))

    first = fake.press(greet.user, greets, greet_yes)
    second = fake.press(koen.user, koens, koen_yes)
    await bot.wait(first["update_id"])
    await bot.wait(second["update_id"])
    await outbox_settled(db, els.id)
    await fake.wait_idle()
    assert len(programme_copies(fake, els, "Programma van maandag 23 november")) == 1


# --------------------------------------------------------------------------------------------
# The coordinator's preview


async def test_the_preview_of_this_week_holds_the_camp_the_parents_get(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """On Tuesday 29 December Greet prepares 📅 This week and looks at 👁 Preview before she
    sends it: the Christmas camp of 't Vlindertje (Monday to Friday) is what Els will get."""
    clock.moment = bx(2026, 12, 5, 10)
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=CHRISTMAS_CAMP_ICS)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    await onboard(chat, 8151, "Els", "nl", "vlindertje")
    clock.moment = bx(2026, 12, 29, 10)
    [draft] = await greet.says("/broadcast")
    await greet.taps("📅 Deze week")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None and "Het bereikt 1 ouder." in screen["text"]
    await greet.taps("Türkçe")  # only the Dutch readers: one preview
    await greet.taps("ਪੰਜਾਬੀ")
    previews = await greet.taps("👁 Voorbeeld", expect=1)
    [dutch] = [p["text"] for p in previews if p.get("text", "").startswith("👁 Nederlands")]
    assert "Kerstvakantiekamp" in dutch, dutch
