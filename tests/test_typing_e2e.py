"""How real parents type: answers to a reminder, thanks, help and language words as parents
really type them on a phone: Turkish without its letters, Punjabi in Latin letters or
Gurmukhi without a bindi, spoken Flemish, greetings around the answer, a letter held down,
emoji, and a greeting sent on its own before the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Person as PersonRow
from storage.models import Question
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_parent_thanks_e2e import questions_count, reacted, topic_buttons
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv
from tests.test_typed_rsvp_e2e import answers
from tests.test_typed_rsvp_more_e2e import texts

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels


async def reminded(chat: Chat, fake: FakeTelegram, clock: FixedClock, bot: Handled,
                   user_id: int, locale: str) -> tuple[Person, dict[str, Any]]:
    """An ouderbabbel on Wednesday; the parent's day-before reminder (Tuesday 18:00)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    parent = await onboard(chat, user_id, "Ouder", locale, "wijdeland")
    return parent, await day_reminder_of(bot, clock, fake, parent)


async def answered_and_closed(chat: Chat, fake: FakeTelegram, db: Database, user_id: int,
                              locale: str, asked: str) -> Person:
    """Monday 10:00: the parent asks; the coordinator (no brugfiguur yet) answers and closes
    the question. Nothing is going on any more."""
    greet = await coordinator_of(chat)
    parent = await onboard(chat, user_id, "Ouder", locale, "wijdeland")
    await parent.says(asked)
    await parent.picks_topic("school")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == [asked], fake)
    await greet.says("Vrijdag.", reply_to=fake.transcript(COORDINATOR_ID)[-1])
    await wait_until(lambda: fake.texts(parent.id)[-1:] == ["Vrijdag."], fake)
    async with db.session() as session:
        question_id = await session.scalar(select(Question.id))
    await greet.taps(data=f"qs:{question_id}:close")
    await fake.wait_idle(quiet=0.12)
    return parent


# --- a thank-you taken as "I'm coming" ------------------------------------------------------


@pytest.mark.parametrize("words", ["ਧੰਨਵਾਦ ਜੀ 🙏", "shukriya ji", "thanks ji"])
async def test_thanks_ji_to_a_reminder_is_no_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled, words: str
) -> None:
    harpreet, _reminder = await reminded(chat, fake, clock, bot, 7601, "pa")
    replies = await harpreet.says(words)
    assert not any(t.startswith("ਧੰਨਵਾਦ! ਤੁਹਾਡਾ ਜਵਾਬ: ✅") for t in texts(replies))
    assert await answers(db) == []


# --- a yes taken as a question to the team ----------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [
    ("tr", "Selam, evet geleceğim, teşekkürler"),
    ("pa", "Sat sri akal ji, haan ji aavange"),
    ("nl", "Hallo, ja ik kom"),
])
async def test_a_yes_with_a_greeting_around_it_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str
) -> None:
    parent, _reminder = await reminded(chat, fake, clock, bot, 7602, locale)
    replies = await parent.says(words)
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [("yes", None)]


async def test_a_greeting_sent_first_does_not_swallow_the_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse, _reminder = await reminded(chat, fake, clock, bot, 7603, "tr")
    await ayse.says("Selam")
    replies = await ayse.says("evet geleceğim")
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [("yes", None)]


@pytest.mark.parametrize(("locale", "words"), [
    ("nl", "Ja, tot morgen!"), ("tr", "Evet yarın görüşürüz"), ("nl", "ok tot morgen")])
async def test_see_you_tomorrow_to_the_day_before_reminder_is_a_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str
) -> None:
    parent, _reminder = await reminded(chat, fake, clock, bot, 7604, locale)
    replies = await parent.says(words)
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [("yes", None)]


@pytest.mark.parametrize(("words", "answer"), [
    ("kan ni", "no"), ("'k kan ni komen", "no"), ("nee kan nie", "no"), ("ja 'k kom", "yes")])
async def test_spoken_flemish_answers_are_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    words: str, answer: str
) -> None:
    els, _reminder = await reminded(chat, fake, clock, bot, 7605, "nl")
    replies = await els.says(words)
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [(answer, None)]


@pytest.mark.parametrize(("words", "answer"), [
    ("nhi aa sakde", "no"), ("ਨਹੀ ਆ ਸਕਦੇ", "no"), ("nahi aa sakte", "no"),
    ("ਜਰੂਰ ਆਵਾਂਗੇ", "yes"), ("asi aavange", "yes"), ("main aavanga", "yes")])
async def test_punjabi_as_typed_on_a_phone_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    words: str, answer: str
) -> None:
    harpreet, _reminder = await reminded(chat, fake, clock, bot, 7606, "pa")
    replies = await harpreet.says(words)
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [(answer, None)]


@pytest.mark.parametrize(("locale", "words", "answer"), [
    ("nl", "jaaa", "yes"), ("tr", "evettt", "yes"), ("nl", "neee", "no"),
    ("tr", "hayırrr", "no")])
async def test_a_stretched_yes_or_no_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str, answer: str
) -> None:
    parent, _reminder = await reminded(chat, fake, clock, bot, 7607, locale)
    replies = await parent.says(words)
    assert topic_buttons(fake, replies) == []
    assert await answers(db) == [(answer, None)]


@pytest.mark.parametrize("emoji", ["✔️", "🆗"])
async def test_a_check_mark_or_ok_emoji_to_a_reminder_is_a_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled, emoji: str
) -> None:
    ayse, _reminder = await reminded(chat, fake, clock, bot, 7608, "tr")
    [thanks] = await ayse.says(emoji)
    assert thanks["text"].startswith("Teşekkürler!"), thanks["text"]
    assert await answers(db) == [("yes", None)]


# --- a real question sent away from the team --------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [
    ("nl", "Info?"), ("tr", "bilgi?"), ("nl", "uitleg?")])
async def test_info_swiped_onto_a_reminder_reaches_the_team(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str
) -> None:
    parent, reminder = await reminded(chat, fake, clock, bot, 7609, locale)
    replies = await parent.says(words, reply_to=reminder)
    assert topic_buttons(fake, replies) != []
    assert await questions_count(db) == 1


# --- a thank-you opening a help question ------------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [
    ("tr", "Yardımınız için çok teşekkürler"), ("tr", "Allah razı olsun sizden"),
    ("nl", "bedankt voor de hulp"), ("nl", "merci hé"), ("pa", "ਮਦਦ ਲਈ ਧੰਨਵਾਦ ਜੀ"),
    ("pa", "thank you so much")])
async def test_thanks_for_the_help_after_a_closed_question_opens_none(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str
) -> None:
    clock.moment = MONDAY_10
    parent = await answered_and_closed(chat, fake, db, 7610, locale, "Wanneer is de school dicht?")
    replies = await parent.says(words)
    assert topic_buttons(fake, replies) == []
    assert await questions_count(db) == 1
    assert words in reacted(fake, parent)


# --- a language asked for in words ------------------------------------------------------------


@pytest.mark.parametrize(("words", "locale"), [
    ("Türkçe lütfen", "tr"), ("punjabi please", "pa"), ("ਪੰਜਾਬੀ ਜੀ", "pa")])
async def test_a_language_asked_for_politely_changes_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    words: str, locale: str
) -> None:
    parent = await onboard(chat, 7611, "Ouder", "nl", "wijdeland")
    replies = await parent.says(words)
    assert topic_buttons(fake, replies) == []
    async with db.session() as session:
        chosen = await session.scalar(
            select(PersonRow.locale).where(PersonRow.telegram_id == parent.id))
    assert chosen == locale
