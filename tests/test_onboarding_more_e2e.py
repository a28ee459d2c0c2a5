"""A parent who reads little, at first contact and after: a language or a school typed
instead of tapped, /stop and /forget before a language is chosen (in every language)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Person, Question
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat

GURMUKHI = re.compile(r"[\u0A00-\u0A7F]")
TURKISH_FROM_NOW = "Bundan sonra size Türkçe yazacağım."


async def locale_of(db: Database, telegram_id: int) -> str | None:
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        return row.locale if row is not None else None


async def test_a_language_name_typed_after_sign_up_changes_the_language(
        chat: Chat, db: Database) -> None:
    ayse = chat.person(7101, "Ayşe", language_code="tr")
    await ayse.says("/start s_klimop")
    await ayse.taps("Nederlands")  # her husband chose for her
    await ayse.taps(data="privacy:ok")

    replies = await ayse.says("Türkçe")
    offered = [data for m in replies for _label, data in FakeTelegram.inline_buttons(m)]
    # Not a question for the team: she is given Turkish.
    assert not any(data.startswith("ask:") for data in offered)
    assert await locale_of(db, 7101) == "tr"
    assert [m["text"] for m in replies] == [TURKISH_FROM_NOW]
    # With a question of hers going on, a language's name may answer the brugfiguur.
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Hangi dilde konuşuyorsunuz?")
    await ayse.says("Nederlands")
    assert await locale_of(db, 7101) == "tr"


async def test_forget_before_a_language_is_chosen_asks_in_every_language(chat: Chat) -> None:
    # A Punjabi mother whose phone is set to English (common): no language chosen yet.
    gurpreet = chat.person(7102, "Gurpreet", language_code="en")
    await gurpreet.says("/start s_klimop")
    [confirm] = await gurpreet.says("/forget")
    labels = " ".join(label for label, _data in FakeTelegram.inline_buttons(confirm))
    # Like the greeting, the question and its buttons must be readable by her.
    assert GURMUKHI.search(confirm["text"]) and GURMUKHI.search(labels)


async def test_stop_before_a_language_is_chosen_answers_in_every_language(chat: Chat) -> None:
    gurpreet = chat.person(7103, "Gurpreet", language_code="ar")
    await gurpreet.says("/start")
    [answer] = await gurpreet.says("/stop")
    assert GURMUKHI.search(answer["text"]) and "/forget" in answer["text"]


async def test_a_school_name_typed_at_the_school_question_is_taken(chat: Chat) -> None:
    harpreet = chat.person(7104, "Harpreet", language_code="pa")
    await harpreet.says("/start")
    await harpreet.taps("ਪੰਜਾਬੀ")
    [reply] = await harpreet.says("Klim-op")
    ticked = [label for label, _data in FakeTelegram.inline_buttons(reply)
              if label.startswith("✅")]
    assert ticked == ["✅ Vrije basisschool Klim-op"] or "Klim-op" in reply["text"].split("\n")[0]


async def test_a_command_we_do_not_have_is_no_question(chat: Chat, db: Database) -> None:
    """"/ayarlar" (settings, in Turkish) or a mistyped "/settngs": the bot says so and points
    to the buttons; nothing reaches the team."""
    ayse = chat.person(7105, "Ayşe", language_code="tr")
    await ayse.says("/start s_klimop")
    await ayse.taps("Türkçe")
    await ayse.taps(data="privacy:ok")
    for typed in ("/ayarlar", "/settngs"):
        [reply] = await ayse.says(typed)
        assert reply["text"] == ("Bu komutu tanımıyorum. Aşağıdaki büyük bir düğmeye dokunun "
                                 "ya da /help gönderin.")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Question)) == 0


async def test_a_second_schools_qr_code_adds_it_and_says_how_to_drop_the_old_one(
        chat: Chat) -> None:
    """A child who changed school, or a sibling's: the new school is added, the old one kept
    (the bot cannot know which), and the parent is told where to change it."""
    ayse = chat.person(7106, "Ayşe", language_code="tr")
    await ayse.says("/start s_klimop")
    await ayse.taps("Nederlands")
    await ayse.taps(data="privacy:ok")
    [again] = await ayse.says("/start s_klimop")  # the same school: nothing to change
    assert "Mijn school" not in again["text"]
    [added] = await ayse.says("/start s_vlindertje")
    assert "Klim-op" in added["text"] and "Vlindertje" in added["text"]
    assert "Gaat een kind niet meer naar een van deze scholen?" in added["text"]
