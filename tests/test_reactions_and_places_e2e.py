"""Each update taken once (``update_order.first_time``), a parent's 👍/👎 reaction on a
reminder (``rsvp.reaction_rsvp``: on the reminder itself only, the new day of a moved one
named, "how many children?" after it), a voice message right under a reminder naming its
activity (within two hours), and locations passed on as questions (a live one's moves
unanswered)."""

from __future__ import annotations

import asyncio
import copy
import time
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot import update_order
from bot.update_order import PerChatUpdateProcessor
from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_nonreader_e2e import (
    card_of,
    deliver,
    reminded,
    sent,
    with_a_question_going_on,
)
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv, local
from tests.test_rsvp_after_move_e2e import THURSDAY, answers_at

YOGA = ("yoga-nov;workshop;alle;2026-11-25;13:30;15:00;;Sporthal;;;;Kinderyoga;Yoga voor "
        "kinderen.;Çocuk yogası;Yoga.;ਬੱਚਿਆਂ ਦਾ ਯੋਗਾ;ਯੋਗਾ।;")


def reaction(fake: FakeTelegram, person: Person, message_id: int,
             new: list[str], old: list[str] | None = None) -> dict[str, Any]:
    """The person's reaction on a message of their chat with the bot."""
    return fake.queue_update({"message_reaction": {
        "chat": person.user.chat(), "message_id": message_id,
        "user": person.user.to_dict(), "date": int(time.time()),
        "old_reaction": [{"type": "emoji", "emoji": e} for e in old or []],
        "new_reaction": [{"type": "emoji", "emoji": e} for e in new]}})


async def rsvps(db: Database) -> list[tuple[str, int | None]]:
    async with db.session() as session:
        return [(r.answer, r.children) for r in await session.scalars(select(Rsvp))]


# --------------------------------------------------------------------------------------------
# update_order.first_time: pinned (no update that is not a duplicate is dropped)


def test_each_update_id_is_taken_once_and_other_objects_always() -> None:
    processor = PerChatUpdateProcessor(2)
    assert processor.first_time(Update(7))
    assert not processor.first_time(Update(7))  # Telegram's retry: a new object, same id
    assert processor.first_time(Update(8))
    assert processor.first_time(Update(0))  # an id 0 (a hand-made update) is an id as any
    anything = object()  # a custom update put in the queue: no id, never dropped
    assert processor.first_time(anything) and processor.first_time(anything)
    assert processor.first_time("text") and processor.first_time("text")


def test_the_remembered_ids_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update_order, "REMEMBERED_UPDATES", 3)
    processor = PerChatUpdateProcessor(1)
    for update_id in range(1, 6):
        assert processor.first_time(Update(update_id))
    assert len(processor._seen) == 3
    assert processor.first_time(Update(1))  # forgotten long since: taken again
    assert not processor.first_time(Update(5))


async def test_a_duplicate_is_never_run_and_leaves_no_unawaited_coroutine() -> None:
    processor = PerChatUpdateProcessor(2)
    ran: list[int] = []

    async def handle(n: int) -> None:
        ran.append(n)

    await processor.process_update(Update(3), handle(1))
    twice = handle(2)
    await processor.process_update(Update(3), twice)
    assert ran == [1]
    assert twice.cr_frame is None  # closed: no "never awaited" warning
    await asyncio.sleep(0)


# --------------------------------------------------------------------------------------------
# a 👍 reaction


async def test_a_thumbs_up_on_the_thank_you_for_a_no_keeps_the_no(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Emine says "nee" after the reminder; the bot thanks her ("You said: ❌ I can't come")
    and she long-presses that message and puts a 👍 on it: "ok, understood". She is now
    counted as coming, and gets a second thank-you saying so."""
    _simran, emine, _reminder = await reminded(chat, fake, db, clock, bot, "nl")
    [thanks] = await emine.says("nee")
    assert "❌" in thanks["text"], thanks
    await outbox_settled(db, emine.id)
    assert await rsvps(db) == [("no", None)]

    replies = await deliver(bot, fake, emine, reaction(fake, emine, thanks["message_id"], ["👍"]))
    assert await rsvps(db) == [("no", None)], [m.get("text") for m in replies]


async def test_a_reaction_taken_away_or_a_heart_changes_no_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """👍 on the reminder: coming. Then 👎 instead: not coming. A ❤️ after, or the reaction
    taken away: what was kept stays, with no word from the bot."""
    _simran, els, reminder = await reminded(chat, fake, db, clock, bot, "nl")
    await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], ["👍"]))
    assert await rsvps(db) == [("yes", None)]
    await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], ["👎"], ["👍"]))
    assert await rsvps(db) == [("no", None)]
    quiet = await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], ["❤"],
                                                   ["👎"]))
    quiet += await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], [],
                                                    ["❤"]))
    assert quiet == []
    assert await rsvps(db) == [("no", None)]


async def test_a_thumbs_up_on_the_reminder_of_a_moved_day_names_the_new_day(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9431, "Els", "nl", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, els)

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, THURSDAY)
    replies = await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], ["👍"]))
    assert await answers_at(db) == [("yes", local(26, 14).astimezone(UTC))]
    said = "\n".join(m.get("text", "") for m in replies)
    assert "Nieuwe dag en uur: donderdag 26 november 2026, 14:00." in said, said


async def test_a_number_replied_to_how_many_children_after_a_reaction_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    els = await onboard(chat, 9432, "Els", "nl", "klimop")
    reminder = await day_reminder_of(bot, clock, fake, els)
    replies = await deliver(bot, fake, els, reaction(fake, els, reminder["message_id"], ["👍"]))
    [asked] = [m for m in replies if "kinderen" in m.get("text", "")]
    await els.says("2", reply_to=asked)
    assert await rsvps(db) == [("yes", 2)]


# --------------------------------------------------------------------------------------------
# a voice message under a reminder


async def test_a_voice_two_days_after_the_reminder_is_not_said_to_be_about_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Tuesday evening's reminder of Wednesday's babbel is still the newest message of the
    bot on Thursday evening, when Harpreet records a question about a school letter."""
    simran, harpreet, _reminder = await reminded(chat, fake, db, clock, bot)
    clock.moment = local(26, 19).astimezone(UTC)
    await harpreet.sends("voice")
    await harpreet.picks_topic("letter")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)), fake)
    card = card_of(fake, simran)
    assert not any(line.startswith("📅 Over:") for line in card.splitlines()), card


# --------------------------------------------------------------------------------------------
# a location passed on


async def test_a_live_location_shared_in_a_question_does_not_answer_each_of_its_moves(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    update = sent(fake, harpreet, {"location": {"latitude": 50.8150, "longitude": 5.1830,
                                                "live_period": 900}})
    await deliver(bot, fake, harpreet, update)
    await wait_until(lambda: any("location" in m for m in fake.transcript(simran.id)), fake)
    await outbox_settled(db)
    message_id = update["message"]["message_id"]
    mark = len(fake.transcript(harpreet.id))
    for step in range(1, 4):
        moved = copy.deepcopy(fake._messages[harpreet.id][message_id].message)
        moved["location"] = {"latitude": 50.8150 + step / 1000, "longitude": 5.1830,
                             "live_period": 900}
        moved["edit_date"] = int(time.time()) + step
        await deliver(bot, fake, harpreet, fake.queue_update({"edited_message": moved}))
    told = fake.transcript(harpreet.id)[mark:]
    assert len(told) <= 1, [m.get("text") for m in told]
