"""A parent's lone "Yardım", "menü", "ਮਦਦ", end to end: they get what /help shows (in their
language, with the big buttons), and no question opens ("What is your question about?" does
not come, the team hears nothing). A real question with such a word in it is still asked;
sign-up is not disturbed; the team's own "help" is answered as before."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import QuestionMessage
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_parent_thanks_e2e import questions_count, reacted, topic_buttons
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_typed_rsvp_more_e2e import asked_and_answered, question_statuses, texts

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
TR_KEYS = ["❓ Soru sor", "📅 Bu hafta", "🏫 Okulum", "🌐 Dil", "ℹ️ Yardım"]
PA_KEYS = ["❓ ਸਵਾਲ ਪੁੱਛੋ", "📅 ਇਸ ਹਫ਼ਤੇ", "🏫 ਮੇਰਾ ਸਕੂਲ", "🌐 ਭਾਸ਼ਾ", "ℹ️ ਮਦਦ"]
SCHOOL_QUESTION = "Çocuklarınız hangi okula gidiyor?"


async def help_of(person: Person) -> str:
    """What /help shows this person."""
    [shown] = await person.says("/help")
    return str(shown["text"])


async def parent_messages(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(
            select(func.count()).select_from(QuestionMessage)) or 0)


# --- no question going on ------------------------------------------------------------------


async def test_yardim_gets_the_help_in_turkish_and_no_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7301, "Ayşe", "tr", "wijdeland")
    told = len(fake.transcript(greet.id))
    help_text = await help_of(ayse)
    assert help_text.startswith("Size nasıl yardımcı olabilirim?")
    [shown] = await ayse.says("Yardım")
    assert shown["text"] == help_text
    assert ayse.keyboard() == TR_KEYS
    assert await questions_count(db) == 0
    # Nothing waits to go to the team as "other" half an hour later: no draft at all.
    await fake.wait_idle(quiet=0.12)
    assert len(fake.transcript(greet.id)) == told


async def test_menu_and_other_spellings_get_the_help_too(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7302, "Ayşe", "tr", "wijdeland")
    help_text = await help_of(ayse)
    for word in ("menü", "Menu", "yardim", "Help!", "başla", "?", "Yardım lütfen 🙏", "/menu",
                 "/yardım"):
        replies = await ayse.says(word)
        assert texts(replies) == [help_text], word
        assert topic_buttons(fake, replies) == []
        assert ayse.keyboard() == TR_KEYS
    assert await questions_count(db) == 0
    assert reacted(fake, ayse) == []
    # A command we do not have is still pointed at /help.
    [pointer] = await ayse.says("/ayarlar")
    assert pointer["text"] != help_text


async def test_madad_gets_the_help_in_punjabi(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    harpreet = await onboard(chat, 7303, "Harpreet", "pa", "klimop")
    help_text = await help_of(harpreet)
    assert help_text.startswith("ਮੈਂ ਤੁਹਾਡੀ ਕੀ ਮਦਦ ਕਰ ਸਕਦਾ ਹਾਂ?")
    for word in ("ਮਦਦ", "ਮੀਨੂ", "ਮਦਦ ਕਰੋ ਜੀ"):
        assert texts(await harpreet.says(word)) == [help_text], word
        assert harpreet.keyboard() == PA_KEYS
    assert await questions_count(db) == 0


async def test_a_real_question_with_yardim_in_it_is_still_asked(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 7304, "Ayşe", "tr", "wijdeland")
    help_text = await help_of(ayse)
    replies = await ayse.says("Yardım edin, mektubu anlamadım")
    assert help_text not in texts(replies)
    assert topic_buttons(fake, replies) != []
    assert await question_statuses(db) == [("draft", "")]


# --- a question going on -------------------------------------------------------------------


async def test_yardim_after_tapping_ask_is_no_question_of_one_word(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """❓ and a topic tapped, then "Yardım": the help, and the draft still waits for the
    question itself (it would otherwise go to the team as the question "Yardım")."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7305, "Ayşe", "tr", "wijdeland")
    help_text = await help_of(ayse)
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    assert texts(await ayse.says("Yardım")) == [help_text]
    assert await question_statuses(db) == [("draft", "school")]
    assert await parent_messages(db) == 0
    await ayse.says("Okul ne zaman kapalı?")
    await wait_until(lambda: fake.texts(greet.id)[-1:] == ["Okul ne zaman kapalı?"], fake)
    assert "Yardım" not in fake.texts(greet.id)
    assert await question_statuses(db) == [("open", "school")]


async def test_with_an_open_question_yardim_gets_the_help_and_a_question_mark_goes_on(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """In a conversation with the holder: "Yardım" is for the bot (the help, not passed on,
    as /help); a lone "?" asks the holder "any news?" and reaches them, as any word."""
    clock.moment = MONDAY_10
    _greet, ayse, answer = await asked_and_answered(chat, fake, 7306)
    help_text = await help_of(ayse)
    told = len(fake.transcript(COORDINATOR_ID))
    assert texts(await ayse.says("Yardım")) == [help_text]
    await fake.wait_idle(quiet=0.12)
    assert len(fake.transcript(COORDINATOR_ID)) == told
    assert await ayse.says("?") == []
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["?"], fake)
    assert reacted(fake, ayse) == ["?"]
    # "Menü" swiped as a reply to the holder's answer answers it: passed on too.
    assert await ayse.says("Menü", reply_to=answer) == []
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Menü"], fake)
    assert "Yardım" not in fake.texts(COORDINATOR_ID)
    assert await question_statuses(db) == [("open", "school")]


# --- sign-up and the team ------------------------------------------------------------------


async def test_yardim_mid_sign_up_repeats_the_open_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ali = chat.person(7307, "Ali", language_code="tr")
    [greeting] = await ali.says("help")
    # The language question, in every language: "help" is no language.
    assert [label for label, _data in fake.inline_buttons(greeting)] == [
        "Türkçe", "Nederlands", "ਪੰਜਾਬੀ"]
    await ali.taps("Türkçe")
    [again] = await ali.says("Yardım")
    assert again["text"].startswith("Lütfen bir düğmeye dokunun.")
    assert SCHOOL_QUESTION in again["text"]
    await ali.taps("Wijdeland")
    await ali.taps(data="school:done")
    [again] = await ali.says("menü")
    assert again["text"].startswith("Lütfen bir düğmeye dokunun.")
    await ali.taps(data="privacy:ok")
    assert ali.keyboard() == TR_KEYS
    assert await questions_count(db) == 0  # nothing kept as a question for later either


async def test_the_coordinator_typing_help_is_answered_as_before(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.says("help")
    assert reply["text"] == "Sorry, dat begreep ik niet. Gebruik de knoppen hieronder."
    assert await questions_count(db) == 0
