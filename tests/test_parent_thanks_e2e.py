"""A parent's "ok", "thank you" and 🙏 sticker, end to end: with no question going on they get
a 👍 and open nothing (no "What is your question about?", nothing for the team 30 minutes
later); with a question going on a thanks reaches the brugfiguur as before. And the answer
comes as a reply to the parent's question, so it shows what it answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Question
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_typed_rsvp_more_e2e import asked_and_answered, question_statuses, texts

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
SORRY_ONLY = "Üzgünüm, bunu iletemiyorum. 🎤 Sesli mesaj, 📷 fotoğraf ya da ✍️ yazı gönderin."


async def questions_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Question)) or 0)


def topic_buttons(fake: FakeTelegram, replies: list[dict[str, Any]]) -> list[str]:
    return [data for r in replies for _label, data in fake.inline_buttons(r)
            if data.startswith("ask:")]


def reacted(fake: FakeTelegram, person: Person) -> list[str]:
    """The parent's own messages the bot reacted 👍 to: their text, or their kind."""
    found = []
    for message_id, emoji in fake.reactions(person.id).items():
        message = fake.message(person.id, message_id)
        assert message is not None and not message["from"]["is_bot"]
        if emoji == ["👍"]:
            found.append(message.get("text") or ("sticker" if "sticker" in message else "?"))
    return found


# --- thanks with no question going on ------------------------------------------------------


async def test_ok_thanks_after_sign_up_is_no_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7111, "Ayşe", "tr", "wijdeland")
    replies = await ayse.says("Tamam teşekkürler")
    assert topic_buttons(fake, replies) == []
    assert await questions_count(db) == 0
    # No words back: a 👍 on her message says it was seen.
    assert replies == []
    assert reacted(fake, ayse) == ["Tamam teşekkürler"]


async def test_thanks_after_the_question_is_closed_opens_no_new_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet, ayse, _answer = await asked_and_answered(chat, fake, 7112)
    async with db.session() as session:
        question_id = await session.scalar(select(Question.id))
    await greet.taps(data=f"qs:{question_id}:close")
    await wait_until(lambda: "kapatıldı" in fake.texts(ayse.id)[-1], fake)
    told = len(fake.transcript(COORDINATOR_ID))
    replies = await ayse.says("Çok teşekkür ederim 🙏")
    assert topic_buttons(fake, replies) == []
    assert await questions_count(db) == 1
    assert "Çok teşekkür ederim 🙏" in reacted(fake, ayse)
    # No draft: nothing to go out as "other" half an hour later; the team heard nothing.
    await fake.wait_idle(quiet=0.12)
    assert len(fake.transcript(COORDINATOR_ID)) == told
    assert await question_statuses(db) == [("closed", "school")]


async def test_a_real_question_after_thanks_is_still_asked(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7115, "Ayşe", "tr", "wijdeland")
    assert await ayse.says("Teşekkürler") == []
    replies = await ayse.says("Teşekkürler, okul ne zaman kapalı?")
    assert topic_buttons(fake, replies) != []
    assert await question_statuses(db) == [("draft", "")]


# --- thanks with a question going on -------------------------------------------------------


async def test_thanks_with_an_open_question_still_reaches_the_holder(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    _greet, ayse, _answer = await asked_and_answered(chat, fake, 7116)
    assert await ayse.says("Tamam, teşekkürler!") == []
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Tamam, teşekkürler!"], fake)
    assert await question_statuses(db) == [("open", "school")]


# --- stickers ------------------------------------------------------------------------------


async def test_a_thank_you_sticker_after_an_answer_is_not_refused(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    _greet, ayse, _answer = await asked_and_answered(chat, fake, 7113)
    told = len(fake.transcript(COORDINATOR_ID))
    replies = await ayse.sends("sticker", emoji="🙏")
    assert SORRY_ONLY not in texts(replies)
    assert replies == []
    assert "sticker" in reacted(fake, ayse)
    # A sticker is not passed on.
    await fake.wait_idle(quiet=0.12)
    assert len(fake.transcript(COORDINATOR_ID)) == told


async def test_a_heart_sticker_with_no_question_opens_none(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7117, "Ayşe", "tr", "wijdeland")
    assert await ayse.sends("sticker", emoji="❤️") == []
    assert reacted(fake, ayse) == ["sticker"]
    assert await questions_count(db) == 0


async def test_another_sticker_is_still_refused(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7118, "Ayşe", "tr", "wijdeland")
    replies = await ayse.sends("sticker", emoji="🐱")
    assert SORRY_ONLY in texts(replies)
    assert reacted(fake, ayse) == []


# --- the answer and the question -----------------------------------------------------------


async def test_the_answer_comes_as_a_reply_to_the_parents_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    _greet, ayse, answer = await asked_and_answered(chat, fake, 7107)
    asked = next(m for m in fake.history(ayse.id) if m.get("text") == "Okul ne zaman kapalı?")
    assert answer.get("reply_to_message", {}).get("message_id") == asked["message_id"]


async def test_a_later_answer_replies_to_the_newest_message(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet, ayse, _answer = await asked_and_answered(chat, fake, 7119)
    await ayse.says("Saat kaçta?")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Saat kaçta?"], fake)
    await greet.says("Saat 12'de.", reply_to=fake.transcript(COORDINATOR_ID)[-1])
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Saat 12'de."], fake)
    later = next(m for m in fake.history(ayse.id) if m.get("text") == "Saat kaçta?")
    answer = fake.transcript(ayse.id)[-1]
    assert answer.get("reply_to_message", {}).get("message_id") == later["message_id"]


async def test_an_answer_to_an_older_message_quotes_that_message(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The holder swipes an older message of the parent's: the answer quotes that one, not
    the newest."""
    clock.moment = MONDAY_10
    greet, ayse, _answer = await asked_and_answered(chat, fake, 7120)
    await ayse.says("Saat kaçta?")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Saat kaçta?"], fake)
    await ayse.says("Nerede?")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Nerede?"], fake)
    copy = next(m for m in fake.transcript(COORDINATOR_ID) if m.get("text") == "Saat kaçta?")
    await greet.says("Saat 12'de.", reply_to=copy)
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Saat 12'de."], fake)
    older = next(m for m in fake.history(ayse.id) if m.get("text") == "Saat kaçta?")
    answer = fake.transcript(ayse.id)[-1]
    assert answer.get("reply_to_message", {}).get("message_id") == older["message_id"]


async def test_a_reply_to_the_answer_goes_to_that_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7114, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul ne zaman kapalı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Okul ne zaman kapalı?"], fake)
    card_copy = fake.transcript(COORDINATOR_ID)[-1]
    await ayse.says("/ask")
    await ayse.picks_topic("allowance")  # a second question in mind; she waits first
    await greet.says("Cuma.", reply_to=card_copy)
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Cuma."], fake)
    answer = fake.transcript(ayse.id)[-1]
    await ayse.says("Saat kaçta?", reply_to=answer)
    assert await question_statuses(db) == [("open", "school"), ("draft", "allowance")]
