"""Floods and mistakes at scale, seen from the people who pay for them.

A child with the parent's phone, a double tap on a slow phone, a school group full of
"/start": the bot says things once per burst (bot/handlers/bursts.py), and a brugfiguur's
phone rings for the first few messages of a burst only; a question asked again before
anyone answered the last one joins it (no pile of cards).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import OutboxMessage, Question
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv

FLOOD = 20


async def all_handled(bot: Handled, updates: list[dict[str, Any]], fake: FakeTelegram) -> None:
    """Until the bot has finished with every one of ``updates`` (sent all at once, as a
    flood arrives), and its outbox has nothing more on its way."""
    for update in updates:
        await bot.wait(update["update_id"], seconds=30)
    await fake.wait_idle(quiet=0.2)


def sent_to(fake: FakeTelegram, chat_id: int, since: int, *methods: str) -> list[Any]:
    return [c for c in fake.calls[since:] if c.method in methods
            and c.params.get("chat_id") == chat_id]


async def open_question(chat: Chat, fake: FakeTelegram, db: Database,
                        clock: FixedClock) -> tuple[Talker, Talker, Talker]:
    """Monday 10:00: Ayşe's question is with Fatma (the school's green Turkish contact)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8101, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, 8201, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("letter")
    await ayse.says("Okuldan bir mektup geldi, anlamadım.")
    await wait_until(lambda: "Okuldan bir mektup geldi, anlamadım." in fake.texts(fatma.id),
                     fake)
    await outbox_settled(db)
    return greet, fatma, ayse


async def test_a_burst_of_stickers_gets_one_explanation_not_twenty(
    chat: Chat, fake: FakeTelegram, bot: Handled
) -> None:
    ayse = await onboard(chat, 8301, "Ayşe", "tr", "wijdeland")
    since = fake.mark()
    updates = [fake.send_sticker(ayse.user, "😂") for _ in range(FLOOD)]
    await all_handled(bot, updates, fake)
    answers = sent_to(fake, ayse.id, since, "sendMessage")
    assert len(answers) <= 2, f"{len(answers)} answers to {FLOOD} stickers"


async def test_a_burst_of_follow_ups_does_not_ring_the_brugfiguur_twenty_times(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await open_question(chat, fake, db, clock)
    since = fake.mark()
    updates = [fake.send_text(ayse.user, f"Abla {n}") for n in range(FLOOD)]
    await all_handled(bot, updates, fake)
    await wait_until(lambda: len(sent_to(fake, fatma.id, since, "copyMessage")) >= FLOOD,
                     fake, seconds=30)
    ringing = [c for c in sent_to(fake, fatma.id, since, "copyMessage", "sendMessage")
               if not c.params.get("disable_notification")]
    assert len(ringing) <= 3, f"Fatma's phone rang {len(ringing)} times"


async def test_a_group_spammed_with_commands_gets_the_pointer_once_not_twenty_times(
    chat: Chat, fake: FakeTelegram, bot: Handled
) -> None:
    kid = fake.user(8401, "Emre", language_code="tr")
    since = fake.mark()
    updates = [fake.send_group_text(kid, -100777, "/start") for _ in range(FLOOD)]
    await all_handled(bot, updates, fake)
    posts = sent_to(fake, -100777, since, "sendMessage")
    assert len(posts) <= 2, f"{len(posts)} pointers in the group"


async def test_taps_on_add_to_calendar_in_quick_succession_send_one_file(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 8501, "Ayşe", "tr", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    [ics] = [data for _label, data in fake.inline_buttons(reminder) if data.endswith(":ics")]
    [dutch] = [data for _label, data in fake.inline_buttons(reminder) if data.endswith(":nl")]
    since = fake.mark()
    updates = [fake.press(ayse.user, reminder, ics) for _ in range(5)]
    updates += [fake.press(ayse.user, reminder, dutch) for _ in range(3)]
    await all_handled(bot, updates, fake)
    files = sent_to(fake, ayse.id, since, "sendDocument")
    originals = sent_to(fake, ayse.id, since, "sendMessage")
    assert (len(files), len(originals)) == (1, 1), (
        f"{len(files)} calendar files and {len(originals)} Dutch originals")


async def test_a_child_tapping_ask_again_and_again_does_not_open_a_pile_of_questions(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await open_question(chat, fake, db, clock)
    for n in range(8):
        await ayse.says("/ask")
        await ayse.picks_topic("other")
        await ayse.says(f"a{n}")
    async with db.session() as session:
        opened = await session.scalar(select(func.count()).select_from(Question)
                                      .where(Question.status == "open"))
        cards = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.chat_id == fatma.id,
            OutboxMessage.dedupe_key.endswith(":card", autoescape=True)))
    assert (opened or 0) <= 2 and (cards or 0) <= 2, (opened, cards)


async def test_a_burst_of_photos_before_the_topic_is_asked_about_once(
    chat: Chat, fake: FakeTelegram, bot: Handled
) -> None:
    ayse = await onboard(chat, 8701, "Ayşe", "tr", "wijdeland")
    since = fake.mark()
    updates = [fake.send_photo(ayse.user) for _ in range(10)]
    await all_handled(bot, updates, fake)
    asked = [c for c in sent_to(fake, ayse.id, since, "sendMessage")
             if "Sorunuz ne hakkında?" in c.params.get("text", "")]
    assert len(asked) <= 3, f"the topic was asked {len(asked)} times"
