"""Two coordinators of one Brede School (COORDINATOR_IDS names both), Greet at the office and
Koen at home, on their phones at the same time (found by a reviewer): an older screen's
button does what it says; two changes at once are both kept (languages, hours, reminders);
the question one took is reminded to her alone, and the other's answer to it says she took
it; a coordinator who sent /stop gets no cards; each has her own monthly report switch, gets
her report once (again after a failure), not in her red hours; her /forget takes her
report's settings. The clock of the fixtures stands on Sunday 22 November 2026, 10:00.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.scheduler.questions import housekeeping
from bot.scheduler.report import send_due
from bot.services import reminders, staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.programme import Kind
from bot.services.reminders import ReminderKind
from storage.db import Database
from storage.models import Person, Question, Setting, StaffProfile
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, question_rows

SECOND_COORDINATOR_ID = 900_002  # Koen
LETTER = "ਇਹ ਚਿੱਠੀ ਕੀ ਕਹਿੰਦੀ ਹੈ?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, coordinator_ids=frozenset({COORDINATOR_ID, SECOND_COORDINATOR_ID}))


async def koen_of(chat: Chat) -> Talker:
    koen = chat.person(SECOND_COORDINATOR_ID, "Koen", language_code="nl")
    await koen.says("/start")
    await koen.taps("Nederlands")
    await koen.taps(data="privacy:ok")
    return koen


async def both(bot: Handled, *updates: dict[str, Any]) -> None:
    """Wait until the bot has handled every one of these updates (queued together)."""
    for update in updates:
        await bot.wait(update["update_id"])


async def person_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


async def fatma_of(chat: Chat, db: Database, languages: str = "nl") -> tuple[Talker, int]:
    """Fatma, a brugfiguur (she joined as a parent of Klim-op, then the team)."""
    fatma = await onboard(chat, 8301, "Fatma", "nl", "klimop")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == fatma.id))
        assert row is not None
        row.role = "brugfiguur"
        profile = await staff.ensure_profile(session, row.id, "nl")
        profile.languages = languages
        await session.commit()
        return fatma, row.id


async def profile_of(db: Database, person: int) -> StaffProfile:
    async with db.session() as session:
        found = await session.get(StaffProfile, person)
        assert found is not None
        return found


async def punjabi_letter(chat: Chat, fake: FakeTelegram, db: Database,
                         greet: Talker, koen: Talker) -> tuple[Talker, Question]:
    """Harpreet's photo of a letter, in Punjabi: nobody in the team reads it, so it comes to
    both coordinators, each a card with ✋ Take it."""
    harpreet = await onboard(chat, 9901, "Harpreet", "pa", "kabouterland")
    await harpreet.says("/ask")
    await harpreet.picks_topic("letter")
    await harpreet.says(LETTER)
    await wait_until(lambda: LETTER in fake.texts(koen.id) and LETTER in fake.texts(greet.id),
                     fake)
    [question] = await question_rows(db)
    return harpreet, question


def card_of(fake: FakeTelegram, who: Talker) -> dict[str, Any]:
    return next(m for m in fake.transcript(who.id) if m.get("text", "").startswith("❓"))


# --------------------------------------------------------------------------------------------
# /staff: the same brugfiguur changed by both


async def languages_screen_of(coordinator: Talker, fatma_id: int) -> dict[str, Any]:
    [screen] = await coordinator.says("/staff")
    await coordinator.taps(data=f"team:s:{fatma_id}")
    await coordinator.taps(data=f"team:l:{fatma_id}")
    return screen


async def test_a_language_ticked_on_an_older_staff_screen_is_not_taken_away(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    _fatma, fatma_id = await fatma_of(chat, db)
    greets = await languages_screen_of(greet, fatma_id)
    koens = await languages_screen_of(koen, fatma_id)
    await koen.presses(koens, f"team:l:{fatma_id}:tr:on")
    assert "tr" in (await profile_of(db, fatma_id)).languages.split(",")

    await greet.presses(greets, f"team:l:{fatma_id}:tr:on")
    assert "tr" in (await profile_of(db, fatma_id)).languages.split(",")


async def test_a_language_button_of_before_it_said_on_or_off_has_expired(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """A screen drawn before the buttons carried what they ask for: a flip could undo a
    newer change, so it changes nothing and says so."""
    greet = await coordinator_of(chat)
    _fatma, fatma_id = await fatma_of(chat, db)
    greets = await languages_screen_of(greet, fatma_id)
    assert await greet.presses(greets, f"team:l:{fatma_id}:tr") == ["Deze knop werkt niet meer."]
    assert (await profile_of(db, fatma_id)).languages == "nl"


async def test_two_languages_ticked_at_once_by_two_coordinators_are_both_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    _fatma, fatma_id = await fatma_of(chat, db)
    greets = await languages_screen_of(greet, fatma_id)
    koens = await languages_screen_of(koen, fatma_id)

    await both(bot, fake.press(greet.user, greets, f"team:l:{fatma_id}:tr:on"),
               fake.press(koen.user, koens, f"team:l:{fatma_id}:pa:on"))
    assert (await profile_of(db, fatma_id)).languages == "nl,tr,pa"


async def test_two_hours_changed_at_once_by_two_coordinators_are_both_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    _fatma, fatma_id = await fatma_of(chat, db, "nl,tr")
    start = AvailabilityMap.default().with_level(2, 14, Level.ORANGE).with_level(
        4, 10, Level.ORANGE)
    async with db.session() as session:
        await staff.set_availability(session, fatma_id, start)
        await session.commit()
    screens = []
    for coordinator, day in ((greet, 2), (koen, 4)):
        [screen] = await coordinator.says("/staff")
        await coordinator.taps(data=f"team:s:{fatma_id}")
        await coordinator.taps(data=f"team:a:{fatma_id}")
        await coordinator.taps(data=f"team:a:{fatma_id}:{day}")
        screens.append(screen)

    await both(bot, fake.press(greet.user, screens[0], f"team:a:{fatma_id}:2:14"),
               fake.press(koen.user, screens[1], f"team:a:{fatma_id}:4:10"))
    amap = AvailabilityMap((await profile_of(db, fatma_id)).availability)
    assert (amap.level(2, 14), amap.level(4, 10)) == (Level.RED, Level.RED)


# --------------------------------------------------------------------------------------------
# /reminders changed by both


async def test_two_reminder_changes_at_once_by_two_coordinators_are_both_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    [greets] = await greet.says("/reminders")
    await greet.taps(data="rm:k:ouderbabbel")
    [koens] = await koen.says("/reminders")
    await koen.taps(data="rm:k:workshop")

    await both(bot, fake.press(greet.user, greets, "rm:t:ouderbabbel:week:on"),
               fake.press(koen.user, koens, "rm:t:workshop:2h:off"))
    async with db.session() as session:
        kinds = await reminders.kinds_by_activity_kind(session)
    assert ReminderKind.WEEK in kinds[Kind.OUDERBABBEL], kinds
    assert ReminderKind.TWO_HOURS not in kinds[Kind.WORKSHOP], kinds


# --------------------------------------------------------------------------------------------
# Questions the coordinators hold together


async def test_the_reminder_of_a_question_koen_took_does_not_tell_greet_she_took_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    _harpreet, question = await punjabi_letter(chat, fake, db, greet, koen)
    assert await koen.presses(card_of(fake, koen), f"qs:{question.id}:take") == [
        "Ze is van jou."]
    before = len(fake.texts(greet.id))

    clock.moment = MONDAY_10 + timedelta(hours=5)  # 15:00: four working hours after the ✋
    assert bot.app is not None
    await housekeeping(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]
    await outbox_settled(db)
    await fake.wait_idle()
    assert any(t.startswith("✋ Je nam de vraag van Harpreet") for t in fake.texts(koen.id))
    greets_new = fake.texts(greet.id)[before:]
    assert not any(t.startswith("✋ Je nam de vraag") for t in greets_new), greets_new


async def test_an_answer_to_a_question_the_other_coordinator_took_says_she_has_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    harpreet, question = await punjabi_letter(chat, fake, db, greet, koen)
    assert await greet.presses(card_of(fake, greet), f"qs:{question.id}:take") == [
        "Ze is van jou."]

    clock.moment = MONDAY_10 + timedelta(minutes=2)
    copy = [m for m in fake.transcript(koen.id) if m.get("text") == LETTER][-1]
    [reply] = await koen.says("Kom donderdag naar het onthaal.", reply_to=copy)
    assert "Greet" in reply["text"], (reply["text"], fake.texts(harpreet.id))


async def test_a_coordinator_who_sent_stop_is_not_sent_the_next_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    [stopped] = await koen.says("/stop")
    promised = stopped["text"].startswith("Je krijgt geen berichten meer van ons.")
    harpreet = await onboard(chat, 9902, "Harpreet", "pa", "kabouterland")
    await harpreet.says("/ask")
    await harpreet.picks_topic("letter")
    await harpreet.says(LETTER)
    await wait_until(lambda: LETTER in fake.texts(greet.id), fake)
    await outbox_settled(db)
    assert not (promised and LETTER in fake.texts(koen.id)), stopped["text"]


# --------------------------------------------------------------------------------------------
# The monthly report


async def test_one_coordinator_turning_the_monthly_report_off_does_not_take_it_from_the_other(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    [*_files, switch] = await koen.says("/report")
    await koen.presses(switch, "rp:auto:off")

    clock.moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Brussels
    assert bot.app is not None
    await send_due(bot.app)
    assert any("november 2026" in c.params.get("caption", "")
               for c in fake.calls_of("sendPhoto", greet.id) if c.ok)


async def test_a_coordinator_whose_monthly_report_failed_gets_it_later(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    koen = await koen_of(chat)
    assert bot.app is not None
    clock.moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    fake.fail_next("sendPhoto", 502, "Bad Gateway", chat_id=koen.id)
    await send_due(bot.app)
    assert [c for c in fake.calls_of("sendPhoto", greet.id) if c.ok]
    clock.moment = datetime(2026, 12, 1, 8, 15, tzinfo=UTC)
    await send_due(bot.app)
    assert [c for c in fake.calls_of("sendPhoto", koen.id) if c.ok]
    assert len([c for c in fake.calls_of("sendPhoto", greet.id) if c.ok]) == 1


async def test_the_monthly_report_does_not_ring_a_coordinator_in_his_red_hours(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    await coordinator_of(chat)
    koen = await koen_of(chat)
    async with db.session() as session:
        koen_id = await session.scalar(select(Person.id).where(Person.telegram_id == koen.id))
        assert koen_id is not None
        await staff.ensure_profile(session, koen_id, "nl")
        await staff.set_availability(session, koen_id,
                                     AvailabilityMap.default().with_day(1, Level.RED))
        await session.commit()
    assert bot.app is not None
    clock.moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Brussels
    await send_due(bot.app)
    rung = [c for c in fake.calls_of("sendPhoto", koen.id) + fake.calls_of("sendDocument", koen.id)
            if c.ok and not c.params.get("disable_notification")]
    assert rung == [], [c.method for c in rung]


async def test_a_coordinators_forget_takes_her_report_switch_and_months_with_her(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Koen's own 🔕 and the months his report reached him are settings keyed by his chat:
    his /forget leaves none of them."""
    await coordinator_of(chat)
    koen = await koen_of(chat)
    clock.moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert bot.app is not None
    await send_due(bot.app)
    [*_files, switch] = await koen.says("/report")
    await koen.presses(switch, "rp:auto:off")
    assert await settings_naming(db, koen.id) != []
    await koen.says("/forget")
    await koen.taps(data="forget:yes")
    assert await settings_naming(db, koen.id) == []


async def settings_naming(db: Database, telegram_id: int) -> list[str]:
    async with db.session() as session:
        return [key for key in await session.scalars(select(Setting.key))
                if key.endswith(f":{telegram_id}")]
