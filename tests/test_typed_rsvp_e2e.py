"""An answer to a reminder typed in words ("Evet", "ja", "ਨਹੀਂ", 👍) instead of tapped, end
to end: kept as the button would keep it when it replies to the reminder or is the parent's
next message after it; a question otherwise, as before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Question, Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
)
from tests.test_rsvp_details_e2e import YOGA

THANKS = {
    "nl": "Dankjewel! Je zei: ✅ Ik kom.",
    "tr": "Teşekkürler! Cevabınız: ✅ Geliyorum.",
    "pa": "ਧੰਨਵਾਦ! ਤੁਹਾਡਾ ਜਵਾਬ: ❌ ਨਹੀਂ ਆ ਸਕਦੇ।",
}


async def answers(db: Database) -> list[tuple[str, int | None]]:
    async with db.session() as session:
        return [(r.answer, r.children) for r in await session.scalars(select(Rsvp))]


async def questions_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Question)) or 0)


def marked(fake: FakeTelegram, parent: Person, reminder: dict[str, Any]) -> list[str]:
    """The reminder's answer buttons as they show now: the chosen one starts with •."""
    shown = fake.message(parent.id, reminder["message_id"])
    assert shown is not None
    return [label for label, data in fake.inline_buttons(shown)
            if data.startswith("rv:") and data.split(":")[2] in ("yes", "maybe", "no")
            and label.startswith("•")]


async def test_a_reply_in_words_to_the_reminder_is_kept_as_the_button(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9951, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    [reply] = await ayse.says("Evet 👍🏽", reply_to=reminder)
    assert reply["text"].startswith(THANKS["tr"]), reply["text"]
    assert "🔔" in reply["text"]  # where to change it
    assert reply["reply_to_message"]["message_id"] == reminder["message_id"]
    assert await answers(db) == [("yes", None)]
    assert marked(fake, ayse, reminder) == ["• ✅ Geliyorum"]
    assert await questions_count(db) == 0  # no "what is your question about?"

    # Changed in words again: "hayır" typed without Turkish letters.
    [reply] = await ayse.says("HAYIR", reply_to=reminder)
    assert reply["text"].startswith("Teşekkürler! Cevabınız: ❌"), reply["text"]
    assert await answers(db) == [("no", None)]
    assert marked(fake, ayse, reminder)[0].startswith("• ❌")


async def test_the_next_message_after_a_reminder_answers_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9952, "Harpreet", "pa", "kabouterland")
    reminder = await day_reminder_of(bot, clock, fake, harpreet)
    [reply] = await harpreet.says("ਨਹੀਂ")
    assert reply["text"].startswith(THANKS["pa"]), reply["text"]
    assert await answers(db) == [("no", None)]
    assert marked(fake, harpreet, reminder)[0].startswith("• ❌")
    assert await questions_count(db) == 0


async def test_a_typed_yes_to_a_workshop_asks_for_the_children_with_buttons(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    els = await onboard(chat, 9953, "Els", "nl", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, els)
    [reply] = await els.says("Ja!")
    assert reply["text"] == (THANKS["nl"] + "\nHoeveel kinderen komen er mee? Tik op een getal.")
    rid = nl_reminder_id(reminder)
    assert [d for _l, d in fake.inline_buttons(reply)] == [f"rv:{rid}:c{n}" for n in range(1, 5)]
    await els.taps(data=f"rv:{rid}:c2")
    assert await answers(db) == [("yes", 2)]


async def test_the_children_typed_after_a_typed_yes(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 9957, "Ayşe", "tr", "wijdeland")
    ayse2 = await onboard(chat, 9958, "Hatice", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse2)
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 1, fake)
    replies = await ayse.says("3")  # no "yes" yet: a number says nothing
    assert await answers(db) == []
    assert not any(r["text"].startswith("Teşekkürler!") for r in replies)
    await ayse2.says("evet")
    [reply] = await ayse2.says("iki çocuk")
    assert reply["text"].startswith("Teşekkürler! Çocuk: 2."), reply["text"]
    assert await answers(db) == [("yes", 2)]
    shown = fake.message(ayse2.id, reminder["message_id"])
    assert shown is not None and "• 👧 2" in [label for label, _d in fake.inline_buttons(shown)]
    # Given already: a later number that replies to nothing is not taken as a change.
    replies = await ayse2.says("3")
    assert not any(r["text"].startswith("Teşekkürler!") for r in replies)
    assert await answers(db) == [("yes", 2)]


async def test_an_ok_after_an_answer_only_acknowledges(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A parent who answered (a press or a typed word) and writes "oké" or 👍 afterwards
    keeps their answer: only a reply to the reminder changes it in words."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9959, "Els", "nl", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, els)
    await els.taps(data=f"rv:{nl_reminder_id(reminder)}:no")
    await els.says("👍")
    assert await answers(db) == [("no", None)]
    await els.says("nee")  # a typed answer that is no change is not taken either
    await els.says("oké")
    assert await answers(db) == [("no", None)]


async def test_words_that_are_not_an_answer_stay_a_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A reply to the reminder that asks something, and a "ja" after a question of one's
    own (it may answer the brugfiguur): questions, as before. No RSVP."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9954, "Els", "nl", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, els)
    [asked] = await els.says("Mag mijn zus ook mee komen?", reply_to=reminder)
    assert fake.inline_buttons(asked) and all(
        d.startswith("ask:") for _l, d in fake.inline_buttons(asked))  # which topic?
    replies = await els.says("ja")
    assert not any(r["text"].startswith("Dankjewel!") for r in replies)
    assert await answers(db) == []
    assert await questions_count(db) == 1


async def test_a_typed_yes_with_no_reminder_or_an_old_one_is_a_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9955, "Ayşe", "tr", "wijdeland")
    replies = await ayse.says("evet")  # nothing sent to answer yet
    assert not any(r["text"].startswith("Teşekkürler!") for r in replies)
    assert await answers(db) == []


async def test_a_typed_answer_after_the_start_is_refused_politely(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9956, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    clock.moment = local(25, 14).astimezone(clock.moment.tzinfo)  # it began at 13:30
    [reply] = await ayse.says("evet", reply_to=reminder)
    assert reply["text"] == "Bu etkinlik zaten başladı. Cevabınız artık değişemez."
    assert await answers(db) == []
    # Days later, a bare word is no longer taken for that reminder: a question.
    clock.moment = local(29, 10).astimezone(clock.moment.tzinfo)
    replies = await ayse.says("evet")
    assert not any(r["text"].startswith("Teşekkürler!") for r in replies)
    assert await questions_count(db) == 1


# --- Review (reminders & RSVPs): an "ok" after an answer, an "ok" to another message, a number
# in reply to "How many children?"


async def test_a_thumbs_up_after_answering_a_reminder_is_no_help_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9302, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    replies = await ayse.says("👍")
    assert await answers(db) == [("yes", None)]  # kept, as the README promises
    # README: "a later "ok" or 👍 only acknowledges": no topic buttons, no draft question.
    assert not any(label_data[1].startswith("ask:") for r in replies
                   for label_data in fake.inline_buttons(r)), [r.get("text") for r in replies]
    assert await questions_count(db) == 0


async def test_a_number_in_reply_to_the_children_question_counts(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 9305, "Ayşe", "tr", "wijdeland")
    await day_reminder_of(bot, clock, fake, ayse)
    [asked] = await ayse.says("evet")
    assert "Kaç çocuk gelecek?" in asked["text"]
    # She answers the bot's question the Telegram way: a reply to it.
    replies = await ayse.says("2", reply_to=asked)
    assert await answers(db) == [("yes", 2)], [r.get("text") for r in replies]
    assert await questions_count(db) == 0
    [reply] = replies
    assert reply["text"].startswith("Teşekkürler! Çocuk: 2."), reply["text"]


async def test_another_answer_is_told_how_to_change_and_the_same_gets_a_thumbs_up(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """After a typed "ja" (answered with a thank-you), "nee" as the next message changes
    nothing: the parent reads what was kept and where to change it, no question for a person.
    A 👍 next says the same as what was kept: the bot's 👍 on it, no words."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9960, "Els", "nl", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, els)
    [thanks] = await els.says("ja")
    assert thanks["text"].startswith(THANKS["nl"]), thanks["text"]
    [told] = await els.says("nee")
    assert told["text"] == ("Je zei: ✅ Ik kom.\nWil je je antwoord veranderen? Tik dan op een "
                            "knop onder de 🔔 herinnering."), told["text"]
    assert told["reply_to_message"]["message_id"] == reminder["message_id"]
    assert await answers(db) == [("yes", None)]
    assert marked(fake, els, reminder) == ["• ✅ Ik kom"]
    assert await els.says("👍") == []
    thumbs = max(fake.reactions(els.id))
    assert fake.reactions(els.id)[thumbs] == ["👍"]
    shown = fake.message(els.id, thumbs)
    assert shown is not None and shown["text"] == "👍"  # on her own message
    assert await answers(db) == [("yes", None)]
    assert await questions_count(db) == 0
    # A reply to the reminder still changes the answer in words.
    [reply] = await els.says("nee", reply_to=reminder)
    assert reply["text"].startswith("Dankjewel! Je zei: ❌"), reply["text"]
    assert await answers(db) == [("no", None)]
