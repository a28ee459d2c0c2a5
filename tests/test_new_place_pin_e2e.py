"""A new place comes with its map pin, as the reminder did, end to end.

A reminder brings a map pin of its place; many parents read little and follow the last pin
in the chat. When the place changes (the same time, or a new time too), the ⚠️ notice
brings the new place's pin right after its words, when the place has coordinates; a new
time at the same place brings none. Once: a later round sends no pin again. From the
review in tests/test_review_coordinator_month_e2e.py."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_moves_e2e import notices, replan_at
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    says_yes_to_the_day_reminder,
)

LIBRARY = "Bibliotheek;Kazernestraat 13, 3800 Sint-Truiden;50.8165;5.1852"
LIBRARY_PIN = (50.8165, 5.1852)
GYM = "Turnzaal Het Wijdeland;Luikersteenweg 435, 3800 Sint-Truiden;50.7921;5.2243"
GYM_PIN = (50.7921, 5.2243)
REFTER = "Refter van Klim-op;Tongersesteenweg 58, 3800 Sint-Truiden;;"  # no coordinates
THURSDAY = BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-26;14:00;15:30")


def pins(fake: FakeTelegram, parent: Person) -> list[tuple[float, float]]:
    return [(c.params["latitude"], c.params["longitude"])
            for c in fake.calls_of("sendLocation", parent.id)]


def last_two(fake: FakeTelegram, parent: Person) -> list[dict[str, Any]]:
    """The last two messages the bot sent the parent."""
    return [m for m in fake.transcript(parent.id)
            if "text" in m or "location" in m][-2:]


async def change(greet: Person, bot: Handled, clock: FixedClock, row: str) -> None:
    """Tuesday 20:00: the coordinator sends the file again; the planner runs."""
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, row)
    await replan_at(bot, clock, local(24, 20))


async def once_more(bot: Handled, clock: FixedClock, db: Database) -> None:
    """A later round: nothing is told (or pinned) again."""
    await replan_at(bot, clock, local(24, 20, 30))
    await outbox_settled(db)


async def test_a_new_place_brings_its_map_pin_as_the_reminder_did(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Harpreet (Punjabi, reads little) gets Tuesday's reminder of the babbel with a map pin
    of the library, and taps ✅. That evening the library closes for works: Greet sends the
    file with the babbel in Het Wijdeland's gym, with its address and map coordinates.

    Was: Harpreet got "⚠️ Changed: … at a new place" in words, and no pin: the only pin in
    her chat was still the library's, and that is the one she would follow on Wednesday.

    Now: the notice of a new place with coordinates brings its map pin, as the reminder
    did."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9741, "Harpreet", "pa", "kabouterland")
    await says_yes_to_the_day_reminder(bot, clock, fake, harpreet)
    await wait_until(lambda: bool(fake.calls_of("sendLocation", harpreet.id)), fake)

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace(LIBRARY, GYM))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: any(t.startswith("⚠️") and "Turnzaal Het Wijdeland" in t
                                 for t in fake.texts(harpreet.id)), fake)
    await outbox_settled(db)
    found = pins(fake, harpreet)
    assert found[-1] == GYM_PIN, found


async def test_the_pin_comes_right_after_the_notice_to_each_parent_and_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els said ✅, Jan got the reminder and did not answer: each gets the words, then the
    gym's pin; a later round sends neither again."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9761, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 9762, "Jan", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    await day_reminder_of(bot, clock, fake, jan)
    await wait_until(lambda: all(pins(fake, p) == [LIBRARY_PIN] for p in (els, jan)), fake)

    await change(greet, bot, clock, BABBEL.replace(LIBRARY, GYM))
    await wait_until(lambda: all(len(pins(fake, p)) == 2 for p in (els, jan)), fake)
    await once_more(bot, clock, db)
    for parent in (els, jan):
        assert pins(fake, parent) == [LIBRARY_PIN, GYM_PIN], pins(fake, parent)
        [told] = notices(fake, parent)
        assert "nieuwe plek" in told and "Turnzaal Het Wijdeland" in told, told
        words, pin = last_two(fake, parent)
        assert words.get("text") == told, words
        assert (pin["location"]["latitude"], pin["location"]["longitude"]) == GYM_PIN, pin


async def test_a_new_time_at_the_same_place_brings_no_pin(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The babbel moves to Thursday 14:00, still in the library: Harpreet (✅) and Jan (no
    answer) are told the new time in words; the library's pin they have is still right."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9763, "Harpreet", "pa", "kabouterland")
    jan = await onboard(chat, 9764, "Jan", "nl", "kabouterland")
    await says_yes_to_the_day_reminder(bot, clock, fake, harpreet)
    await day_reminder_of(bot, clock, fake, jan)
    await wait_until(lambda: all(pins(fake, p) == [LIBRARY_PIN] for p in (harpreet, jan)),
                     fake)

    await change(greet, bot, clock, THURSDAY)
    await wait_until(lambda: all(notices(fake, p) for p in (harpreet, jan)), fake)
    await once_more(bot, clock, db)
    for parent in (harpreet, jan):
        [told] = notices(fake, parent)
        assert "14:00" in told, told
        assert pins(fake, parent) == [LIBRARY_PIN], pins(fake, parent)


async def test_a_new_time_and_place_at_once_brings_the_new_places_pin(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """To Thursday 14:00 in the gym: one notice (the move, showing the gym), then the gym's
    pin, to the parent who said ✅ and to the one who only got the reminder."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9765, "Harpreet", "pa", "kabouterland")
    jan = await onboard(chat, 9766, "Jan", "nl", "kabouterland")
    await says_yes_to_the_day_reminder(bot, clock, fake, harpreet)
    await day_reminder_of(bot, clock, fake, jan)
    await wait_until(lambda: all(pins(fake, p) == [LIBRARY_PIN] for p in (harpreet, jan)),
                     fake)

    await change(greet, bot, clock, THURSDAY.replace(LIBRARY, GYM))
    await wait_until(lambda: all(len(pins(fake, p)) == 2 for p in (harpreet, jan)), fake)
    await once_more(bot, clock, db)
    for parent in (harpreet, jan):
        [told] = notices(fake, parent)
        assert "14:00" in told and "Turnzaal Het Wijdeland" in told, told
        assert pins(fake, parent) == [LIBRARY_PIN, GYM_PIN], pins(fake, parent)
        words, pin = last_two(fake, parent)
        assert words.get("text") == told and "location" in pin, (words, pin)


async def test_a_new_place_without_coordinates_brings_no_pin(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9767, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    await wait_until(lambda: pins(fake, els) == [LIBRARY_PIN], fake)

    await change(greet, bot, clock, BABBEL.replace(LIBRARY, REFTER))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    await once_more(bot, clock, db)
    [told] = notices(fake, els)
    assert "Refter van Klim-op" in told, told
    assert pins(fake, els) == [LIBRARY_PIN]


async def test_a_word_after_the_pin_of_a_move_still_answers_the_notice(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The pin is the newest message in her chat, after the notice of the move: "ਹਾਂ ਜੀ"
    typed then is her yes for the new day, as right after the notice."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9768, "Harpreet", "pa", "kabouterland")
    await day_reminder_of(bot, clock, fake, harpreet)

    await change(greet, bot, clock, THURSDAY.replace(LIBRARY, GYM))
    await wait_until(lambda: pins(fake, harpreet) == [LIBRARY_PIN, GYM_PIN], fake)
    await outbox_settled(db, harpreet.id)

    [thanks] = await harpreet.says("ਹਾਂ ਜੀ")
    assert "ਨਵਾਂ ਦਿਨ ਅਤੇ ਸਮਾਂ:" in thanks["text"] and "14:00" in thanks["text"], thanks
    async with db.session() as session:
        said = [(r.answer, r.occurrence_start) for r in await session.scalars(select(Rsvp))]
    assert said == [("yes", local(26, 14).astimezone(UTC))]
