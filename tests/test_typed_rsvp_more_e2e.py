"""Typed answers to a reminder, end to end, as parents really write them: after an old
question of their own, in several words ("Evet geliyoruz", "ਹਾਂ ਜੀ, ਆਵਾਂਗੇ"), with the number
of children ("Evet 2 çocuk"), as a sticker; and parents talking to each other in a group.
(Moved from the parent's review, tests/test_review_parent.py, with more cases.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Activity, Question, Rsvp
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)
from tests.test_rsvp_details_e2e import YOGA

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
TOPIC_QUESTION = {"tr": "Sorunuz ne hakkında? Bir düğmeye dokunun.",
                  "pa": "ਤੁਹਾਡਾ ਸਵਾਲ ਕਿਸ ਬਾਰੇ ਹੈ? ਇੱਕ ਬਟਨ ਦਬਾਓ।",
                  "nl": "Waarover gaat je vraag? Tik op een knop."}
SORRY_ONLY = "Üzgünüm, bunu iletemiyorum. 🎤 Sesli mesaj, 📷 fotoğraf ya da ✍️ yazı gönderin."
POINTER = "Sadece özel sohbette çalışıyorum."


async def answers(db: Database) -> list[tuple[str, int | None]]:
    async with db.session() as session:
        return [(r.answer, r.children) for r in await session.scalars(select(Rsvp))]


async def question_statuses(db: Database) -> list[tuple[str, str]]:
    async with db.session() as session:
        return [(q.status, q.topic) for q in
                await session.scalars(select(Question).order_by(Question.id))]


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r.get("text") or r.get("caption") or "" for r in replies]


async def asked_and_answered(chat: Chat, fake: FakeTelegram, user_id: int,
                             asked: str = "Okul ne zaman kapalı?",
                             answer: str = "Cuma.") -> tuple[Person, Person, dict[str, Any]]:
    """Monday 10:00: a Turkish parent asks (topic: school); with no brugfiguur the coordinator
    holds it and answers by replying. Returns the coordinator, the parent and the answer as
    the parent received it."""
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, user_id, "Ayşe", "tr", "wijdeland")
    await ayse.says(asked)
    await ayse.picks_topic("school")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == [asked], fake)
    await greet.says(answer, reply_to=fake.transcript(COORDINATOR_ID)[-1])
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == [answer], fake)
    return greet, ayse, fake.transcript(ayse.id)[-1]


# --- An old question of one's own does not swallow the answer to a newer reminder ----------


async def test_evet_after_a_reminder_is_an_rsvp_even_with_an_empty_old_ask(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7104, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")  # she changed her mind: nothing written
    await day_reminder_of(bot, clock, fake, ayse)  # two days later
    [reply] = await ayse.says("evet")
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ✅"), reply["text"]
    assert await answers(db) == [("yes", None)]
    assert ("open", "school") not in await question_statuses(db)


async def test_evet_after_a_newer_reminder_is_an_rsvp_even_with_an_answered_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet, ayse, _answer = await asked_and_answered(chat, fake, 7105)
    await import_csv(greet, BABBEL)
    await day_reminder_of(bot, clock, fake, ayse)  # Tuesday 18:00: the newest message
    replies = await ayse.says("evet")
    assert await answers(db) == [("yes", None)]
    assert texts(replies)[:1] and texts(replies)[0].startswith("Teşekkürler! Cevabınız: ✅")


async def test_a_yes_after_writing_in_the_question_again_belongs_to_the_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The reminder came, then the parent wrote to the brugfiguur again: her "evet" now more
    likely answers the conversation, and goes there (the reminder's buttons still work)."""
    clock.moment = MONDAY_10
    greet, ayse, _answer = await asked_and_answered(chat, fake, 7115)
    await import_csv(greet, BABBEL)
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.says("Saat kaçta açık?")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Saat kaçta açık?"], fake)
    replies = await ayse.says("evet")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["evet"], fake)
    assert not any(t.startswith("Teşekkürler!") for t in texts(replies))
    assert await answers(db) == []
    # A reply to the reminder is its answer all the same.
    [reply] = await ayse.says("evet", reply_to=reminder)
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ✅"), reply["text"]
    assert await answers(db) == [("yes", None)]


# --- Everyday words -----------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "words"), [("tr", "Geliyoruz"), ("tr", "Evet geliyoruz"),
                                               ("pa", "ਹਾਂ ਜੀ, ਆਵਾਂਗੇ")])
async def test_everyday_words_for_we_are_coming_are_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    parent = await onboard(chat, 7103, "Ayşe", locale, "wijdeland")
    await day_reminder_of(bot, clock, fake, parent)
    replies = await parent.says(words)
    assert TOPIC_QUESTION[locale] not in texts(replies)
    assert await answers(db) == [("yes", None)]


@pytest.mark.parametrize(("locale", "words", "answer"), [
    ("tr", "Tamam, maalesef gelemeyiz", "no"), ("nl", "Sorry, we kunnen niet komen", "no"),
    ("pa", "ਨਹੀਂ ਜੀ, ਨਹੀਂ ਆ ਸਕਦੇ", "no"), ("tr", "Belki gelirim", "maybe")])
async def test_everyday_words_for_we_cannot_come_and_maybe_are_kept(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    locale: str, words: str, answer: str
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    parent = await onboard(chat, 7116, "Ayşe", locale, "wijdeland")
    await day_reminder_of(bot, clock, fake, parent)
    replies = await parent.says(words)
    assert TOPIC_QUESTION[locale] not in texts(replies)
    assert await answers(db) == [(answer, None)]


async def test_a_question_in_known_words_stays_a_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7117, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    replies = await ayse.says("Evet geliyoruz ama saat kaçta?")
    assert TOPIC_QUESTION["tr"] in texts(replies)
    assert await answers(db) == []


# --- A yes with the number of children ----------------------------------------------------


async def test_yes_with_the_number_of_children_in_one_message(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 7102, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    [reply] = await ayse.says("Evet 2 çocuk")
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ✅"), reply["text"]
    assert await answers(db) == [("yes", 2)]


async def test_a_yes_with_a_number_in_punjabi_and_dutch(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    harpreet = await onboard(chat, 7118, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 7119, "Els", "nl", "wijdeland")
    await day_reminder_of(bot, clock, fake, harpreet)
    await wait_until(lambda: any("🔔" in t for t in fake.texts(els.id)), fake)
    [reply] = await harpreet.says("ਹਾਂ 2 ਬੱਚੇ")
    assert reply["text"].startswith("ਧੰਨਵਾਦ! ਤੁਹਾਡਾ ਜਵਾਬ: ✅ ਹਾਂ, ਆਵਾਂਗੇ। ਬੱਚੇ: 2।"), reply["text"]
    [reply] = await els.says("ja 3")
    assert reply["text"] == ("Dankjewel! Je zei: ✅ Ik kom. Kinderen: 3.\nWil je je antwoord "
                             "veranderen? Tik dan op een knop onder de 🔔 herinnering."), \
        reply["text"]
    assert sorted(await answers(db)) == [("yes", 2), ("yes", 3)]


async def test_a_yes_with_a_number_after_a_yes_gives_the_children(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 7120, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    [reply] = await ayse.says("evet 2 çocuk")
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ✅"), reply["text"]
    assert await answers(db) == [("yes", 2)]
    # Said again as the next message: the bot's 👍, nothing changes.
    assert await ayse.says("evet 2 çocuk") == []
    assert await answers(db) == [("yes", 2)]


async def test_a_yes_with_a_number_to_a_parents_meeting_is_a_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """An ouderbabbel asks no number of children: the yes is kept, the number left aside."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 7121, "Els", "nl", "wijdeland")
    await day_reminder_of(bot, clock, fake, els)
    [reply] = await els.says("Ja, 2")
    assert reply["text"].startswith("Dankjewel! Je zei: ✅ Ik kom.\n"), reply["text"]
    assert await answers(db) == [("yes", None)]


# --- Stickers -----------------------------------------------------------------------------


async def test_a_thumbs_up_sticker_after_a_reminder_says_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7101, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    replies = await ayse.sends("sticker", emoji="👍")
    assert SORRY_ONLY not in texts(replies)
    assert await answers(db) == [("yes", None)]


async def test_a_thumbs_down_sticker_says_no_and_another_sticker_says_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7122, "Ayşe", "tr", "wijdeland")
    hatice = await onboard(chat, 7123, "Hatice", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    await wait_until(lambda: any("🔔" in t for t in fake.texts(7123)), fake)
    [reply] = await ayse.sends("sticker", emoji="👎🏽")
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ❌"), reply["text"]
    await hatice.sends("sticker", emoji="🥰")
    assert await answers(db) == [("no", None)]


# --- A group of parents -------------------------------------------------------------------


async def test_parents_talking_to_each_other_in_a_group_are_left_alone(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    group = {"id": -100777, "type": "supergroup", "title": "Ouders Wijdeland"}
    fake.user(7108, "Murat", language_code="tr")
    fake.user(7109, "Ayşe", language_code="tr")
    asked = fake.send_text(7108, "Yarın okul var mı?", chat=group)
    await bot.wait(asked["update_id"])
    before = len(fake.calls_of("sendMessage", chat_id=group["id"]))
    replied = fake.send_text(7109, "Evet var", chat=group,
                             reply_to_message_id=asked["message"]["message_id"])
    await bot.wait(replied["update_id"])
    await fake.wait_idle(quiet=0.12)
    assert len(fake.calls_of("sendMessage", chat_id=group["id"])) == before


async def test_a_group_that_shows_every_message_gets_the_pointer_once_a_day(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Plain messages: one pointer a day; a command or a reply to the bot: always."""
    group = {"id": -100778, "type": "supergroup", "title": "Ouders Velm"}
    fake.user(7110, "Murat", language_code="tr")
    for text in ("Merhaba", "Yarın okul var mı?", "Kimse bilmiyor mu?"):
        sent = fake.send_text(7110, text, chat=group)
        await bot.wait(sent["update_id"])
    await fake.wait_idle(quiet=0.12)
    pointers = fake.calls_of("sendMessage", chat_id=group["id"])
    assert [p.params["text"].startswith(POINTER) for p in pointers] == [True]
    command = fake.send_text(7110, "/start", chat=group)
    await bot.wait(command["update_id"])
    pointer = await fake.wait_for("sendMessage", chat_id=group["id"])
    assert pointer.params["text"].startswith(POINTER)
    shown = fake.transcript(group["id"])[-1]
    again = fake.send_text(7110, "Nasıl?", chat=group, reply_to_message_id=shown["message_id"])
    await bot.wait(again["update_id"])
    await fake.wait_idle(quiet=0.12)
    assert len(fake.calls_of("sendMessage", chat_id=group["id"])) == 3


async def test_editing_a_typed_answer_changes_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Correcting on a phone is editing: "evet" made "hayır" answers again, with the
    thank-you for the new answer; an edited word that is no answer changes nothing."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7106, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.says("evet", reply_to=reminder)
    assert await answers(db) == [("yes", None)]
    mine = [m for m in fake.history(ayse.id) if m.get("text") == "evet"][-1]
    told = await ayse.edits(mine, "hayır")
    assert await answers(db) == [("no", None)]
    assert any("Teşekkürler" in t for t in texts(told)), texts(told)
    await ayse.edits(mine, "hayır, çünkü hastayım ama belki sonra gelirim")
    assert await answers(db) == [("no", None)]
    assert await question_statuses(db) == []


async def test_editing_a_next_message_answer_changes_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The same for a word sent as the next message after the reminder, not as a reply: an
    edit answers again, where a new "hayır" would only be acknowledged."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 7107, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    await ayse.says("evet")
    assert await answers(db) == [("yes", None)]
    mine = [m for m in fake.history(ayse.id) if m.get("text") == "evet"][-1]
    await ayse.edits(mine, "hayır")
    assert await answers(db) == [("no", None)]


# The evening's ouderbabbel (its reminder the day before at 18:00), and the next morning's
# (its reminder this evening at 18:00, while the first is still to come).
BABBEL_EVENING = BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-25;19:00;20:30")
BABBEL_NEXT_DAY = (
    "babbel-dec;ouderbabbel;alle;2026-11-26;09:30;11:00;;Bibliotheek;Kazernestraat 13, "
    "3800 Sint-Truiden;50.8165;5.1852;Ouderbabbel: eten;Over eten.;"
    "Veli sohbeti: yemek;Yemek hakkında.;ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਖਾਣਾ;ਖਾਣਾ ਬਾਰੇ।;")


async def test_editing_an_old_answer_after_a_newer_reminder_changes_the_old_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The edit answers the reminder the word was sent after, not the newest one: the next
    day's ouderbabbel, reminded since, keeps no answer."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL_EVENING, BABBEL_NEXT_DAY)
    ayse = await onboard(chat, 7806, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    await ayse.says("evet")
    mine = [m for m in fake.history(ayse.id) if m.get("text") == "evet"][-1]
    await round_at(bot, clock, local(25, 18))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) >= 2, fake)
    await outbox_settled(db, ayse.id)
    await ayse.edits(mine, "hayır")
    async with db.session() as session:
        rows = [(a.external_id, r.answer) for r, a in (await session.execute(
            select(Rsvp, Activity).join(Activity, Activity.id == Rsvp.activity_id))).all()]
    assert rows == [("babbel-nov", "no")], rows
