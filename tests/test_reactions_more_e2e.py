"""More on a parent's 👍 reaction on a reminder (``rsvp.reaction_rsvp``: on any part of a
long one; said again once the day began, no refusal; a forged one), a voice message right
under a reminder while a question of hers is going on (``questions.SPOKEN_UNDER``: no
'about' line), and the ✅ that starts "Thank you! Simran has your question"
(``question_texts.when_answered``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.handlers.question_texts import when_answered
from bot.i18n import use_locale
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_nonreader_e2e import (
    ABOUT_BABBEL,
    HARPREET,
    SIMRAN,
    deliver,
    reminded,
)
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_reactions_and_places_e2e import reaction
from tests.test_reminders_e2e import BABBEL, import_csv, local, nl_reminder_id, round_at


async def rsvps(db: Database) -> list[str]:
    async with db.session() as session:
        return list(await session.scalars(select(Rsvp.answer)))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in messages]


# --------------------------------------------------------------------------------------------
# when_answered: the ✅ once, in every language


@pytest.mark.parametrize("locale", ["nl", "tr", "pa"])
def test_the_thank_you_starts_with_one_tick_in_every_language(locale: str) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with use_locale(locale):
        for name in ("Simran", None):
            for answer_from in (None, datetime(2026, 11, 24, 8, 0, tzinfo=UTC)):
                text = when_answered(name, answer_from, now)
                assert text.startswith("✅ ") and text.count("✅") == 1, text


# --------------------------------------------------------------------------------------------
# a 👍 reaction on a reminder


async def test_a_thumbs_up_on_the_first_part_of_a_long_reminder_says_she_is_coming(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A long description and the Dutch below: the reminder comes in two parts. Ayşe
    long-presses the first one, the one with the 🔔 and the title she sees first, and puts
    a 👍 on it."""
    greet = await coordinator_of(chat)
    long_nl = ("Lange uitleg over slapen. " * 90).strip()
    long_tr = ("Uyku hakkında uzun açıklama. " * 90).strip()
    await import_csv(greet, BABBEL.replace("Over goed slapen.", long_nl)
                     .replace("Uyku hakkında.", long_tr))
    ayse = await onboard(chat, 9905, "Ayşe", "tr", "wijdeland")
    await ayse.says("/settings")
    await ayse.taps(data="set:nl:on")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))

    def with_buttons() -> list[dict[str, Any]]:
        return [m for m in fake.transcript(ayse.id)
                if any(d.startswith("rv:") for _l, d in fake.inline_buttons(m))]

    await wait_until(lambda: bool(with_buttons()), fake)
    await outbox_settled(db, ayse.id)
    first = next(m for m in fake.transcript(ayse.id) if "🔔" in m.get("text", ""))
    assert not fake.inline_buttons(first)  # the first part, without the buttons
    await deliver(bot, fake, ayse, reaction(fake, ayse, first["message_id"], ["👍"]))
    assert await rsvps(db) == ["yes"]


async def test_a_thumbs_up_during_the_activity_she_said_yes_to_gets_no_refusal(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Harpreet tapped "I'm coming" on Tuesday. On Wednesday at 13:45, sitting in the
    library, she puts a 👍 on the reminder ("I'm here, it's good"). Her answer is the same;
    the reaction's own doc says the same answer kept changes nothing, without a word."""
    _simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    await harpreet.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    assert await rsvps(db) == ["yes"]
    clock.moment = local(25, 13, 45).astimezone(UTC)
    replies = await deliver(bot, fake, harpreet,
                            reaction(fake, harpreet, reminder["message_id"], ["👍"]))
    assert replies == [], texts(replies)
    assert await rsvps(db) == ["yes"]


async def test_a_thumbs_up_before_the_start_with_the_same_answer_is_silent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    await harpreet.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    replies = await deliver(bot, fake, harpreet,
                            reaction(fake, harpreet, reminder["message_id"], ["👍"]))
    assert replies == [], texts(replies)


async def test_a_forged_reaction_on_another_parents_reminder_changes_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """An update names Harpreet's chat and message but comes from Els: nothing kept,
    nothing said in either chat."""
    _simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    els = await onboard(chat, 9433, "Els", "nl", "klimop")
    mark = len(fake.transcript(harpreet.id))
    forged = fake.queue_update({"message_reaction": {
        "chat": harpreet.user.chat(), "message_id": reminder["message_id"],
        "user": els.user.to_dict(), "date": 1_795_000_000,
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}})
    said = await deliver(bot, fake, els, forged)
    assert said == []
    assert fake.transcript(harpreet.id)[mark:] == []
    assert await rsvps(db) == []


# --------------------------------------------------------------------------------------------
# a voice message under a reminder while a question of hers is going on


async def test_a_voice_in_her_open_question_is_not_labelled_with_the_reminder_under_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Monday, Harpreet asks Simran about a school letter (a voice message). Tuesday at
    18:00 the reminder of Wednesday's babbel arrives; Simran has not answered yet. At 18:30
    Harpreet records more about the letter ("the school wants it back by Friday"). Simran
    gets it with the line "📅 Over: Ouderbabbel: slapen...", and reads the letter's
    deadline as a question about the babbel."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    simran = await join_team(chat, greet, SIMRAN, "Simran", {"nl", "pa", "tr"}, db,
                             contact_of="klimop", availability=AvailabilityMap.all(Level.GREEN))
    harpreet = await onboard(chat, HARPREET, "Harpreet", "pa", "klimop")
    await round_at(bot, clock, local(22, 10))
    clock.moment = local(23, 10).astimezone(UTC)
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("letter")
    await harpreet.sends("voice")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)), fake)
    await outbox_settled(db)

    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: any("🔔" in m.get("text", "")
                                 for m in fake.transcript(harpreet.id)), fake)
    await outbox_settled(db, harpreet.id)
    mark = len(fake.transcript(simran.id))
    clock.moment = local(24, 18, 30).astimezone(UTC)
    await harpreet.sends("voice")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)[mark:]),
                     fake)
    await outbox_settled(db)
    told = "\n".join(texts(fake.transcript(simran.id)[mark:]))
    assert ABOUT_BABBEL not in told.splitlines(), told
