"""A brugfiguur answering parents from her phone, between two school runs: what she does
without thinking (swipe the bot's last message, send an album, react 👍, scroll back to an old
message of the same parent, correct an answer hours later) must reach the right parent
once, or tell her it did not (or may go unseen)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import Person, Question, QuestionMessage, School
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows


async def two_questions(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                        base: int) -> tuple[Talker, Talker, Talker]:
    """Fatma (nl, tr), the contact of Het Wijdeland, holds Ayşe's and then Zeynep's question."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, base + 1, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, base + 11, "Ayşe", "tr", "wijdeland")
    zeynep = await onboard(chat, base + 12, "Zeynep", "tr", "wijdeland")
    await ayse.says("Servis kaçta geliyor?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Servis kaçta geliyor?" in fake.texts(fatma.id), fake)
    await zeynep.says("Okul gezisi ne zaman?")
    await zeynep.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    return fatma, ayse, zeynep


def card_of(fake: FakeTelegram, chat_id: int, name: str) -> dict[str, Any]:
    return [m for m in fake.transcript(chat_id)
            if m.get("text", "").startswith("❓") and name in m["text"]][-1]


def copy_of(fake: FakeTelegram, chat_id: int, text: str) -> dict[str, Any]:
    return [m for m in fake.transcript(chat_id) if m.get("text") == text][-1]


def own(fake: FakeTelegram, chat_id: int, text: str) -> dict[str, Any]:
    return [m for m in fake.history(chat_id)
            if not m["from"]["is_bot"] and m.get("text") == text][-1]


async def test_a_reply_to_sent_to_ayse_reaches_ayse(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, ayse, zeynep = await two_questions(chat, fake, db, clock, 73000)
    [sent] = await fatma.says("Om 7u45.", reply_to=card_of(fake, fatma.id, "Ayşe"))
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: "Om 7u45." in fake.texts(ayse.id), fake)

    await fatma.says("En neem de brief van de school mee.", reply_to=sent)
    await outbox_settled(db)
    assert "En neem de brief van de school mee." not in fake.texts(zeynep.id)
    assert "En neem de brief van de school mee." in fake.texts(ayse.id), fake.texts(fatma.id)[-1]


async def test_an_album_sent_without_a_swipe_gets_one_prompt_that_sends_all_of_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, ayse, _zeynep = await two_questions(chat, fake, db, clock, 73100)
    before = len(fake.transcript(fatma.id))
    await fatma.sends("photo", caption="Pagina 1 en 2", media_group_id="form")
    await fatma.sends("photo", media_group_id="form")
    prompts = [m for m in fake.transcript(fatma.id)[before:] if fake.inline_buttons(m)]
    assert len(prompts) == 1, [m.get("text") for m in prompts]
    [question, _other] = await question_rows(db)
    [data] = [d for _label, d in fake.inline_buttons(prompts[0])
              if d.startswith(f"qa:{question.id}:")]
    await fatma.presses(prompts[0], data)
    await outbox_settled(db)
    assert sum(1 for m in fake.transcript(ayse.id) if "photo" in m) == 2


async def test_a_thumbs_up_reaction_on_a_parents_message_is_not_lost(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, ayse, _zeynep = await two_questions(chat, fake, db, clock, 73200)
    copied = copy_of(fake, fatma.id, "Servis kaçta geliyor?")
    before = len(fake.transcript(fatma.id))
    assert fake.reactions(ayse.id) == {}
    fake.queue_update({"message_reaction": {
        "chat": fatma.user.chat(), "message_id": copied["message_id"],
        "user": fatma.user.to_dict(), "date": int(time.time()),
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}})
    await fake.wait_idle(quiet=0.5)
    await outbox_settled(db)
    asked = own(fake, ayse.id, "Servis kaçta geliyor?")
    assert fake.reactions(ayse.id).get(asked["message_id"]) == ["👍"]
    assert len(fake.transcript(fatma.id)) == before  # no words about it

    # Ayşe's 🙏 on the answer shows on Fatma's own message; taken away, it goes there too.
    await fatma.says("Om 7u45.", reply_to=copied)
    await wait_until(lambda: "Om 7u45." in fake.texts(ayse.id), fake)
    answer = copy_of(fake, ayse.id, "Om 7u45.")
    for new in ([{"type": "emoji", "emoji": "🙏"}], []):
        fake.queue_update({"message_reaction": {
            "chat": ayse.user.chat(), "message_id": answer["message_id"],
            "user": ayse.user.to_dict(), "date": int(time.time()),
            "old_reaction": [], "new_reaction": new}})
        await fake.wait_idle(quiet=0.5)
        reactions = fake.reactions(fatma.id).get(own(fake, fatma.id, "Om 7u45.")["message_id"])
        assert reactions == ([e["emoji"] for e in new] or None), reactions


async def test_every_question_listed_in_inbox_has_its_button(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, _ayse, _zeynep = await two_questions(chat, fake, db, clock, 73300)
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "wijdeland"))
        me = await session.scalar(select(Person.id).where(Person.telegram_id == fatma.id))
        for n in range(23):
            parent = Person(telegram_id=73400 + n, first_name=f"Ouder{n:02d}", locale="tr",
                            role="parent", onboarded_at=MONDAY_10)
            session.add(parent)
            await session.flush()
            question = Question(parent_id=parent.id, school_id=school, locale="tr",
                                topic="letter", status="open", opened_at=MONDAY_10,
                                assignee_id=me, first_answer_at=MONDAY_10, taken_at=MONDAY_10)
            session.add(question)
            await session.flush()
            session.add(QuestionMessage(question_id=question.id, from_parent=True,
                                        chat_id=parent.telegram_id, message_id=1,
                                        created_at=MONDAY_10))
        await session.commit()
    parts = await fatma.says("/inbox")
    listed = {int(word[1:]) for p in parts for word in p["text"].split() if word[:1] == "#"
              and word[1:].isdigit()}
    buttons = {int(d.split(":")[1]) for p in parts for _label, d in fake.inline_buttons(p)}
    assert len(listed) == 25
    assert listed == buttons, sorted(listed - buttons)


async def test_an_answer_to_a_closed_question_offers_the_parents_open_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, ayse, _zeynep = await two_questions(chat, fake, db, clock, 73500)
    old = copy_of(fake, fatma.id, "Servis kaçta geliyor?")
    await fatma.says("Om 7u45.", reply_to=old)
    await wait_until(lambda: "Om 7u45." in fake.texts(ayse.id), fake)
    first = (await question_rows(db))[0]
    await fatma.taps(data=f"qs:{first.id}:close")
    await outbox_settled(db)
    assert (await question_rows(db))[0].status == "closed"

    clock.moment = MONDAY_10 + timedelta(days=1)
    await ayse.says("Veli toplantısı ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Veli toplantısı ne zaman?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    newest = (await question_rows(db))[-1]
    assert newest.status == "open" and newest.id != first.id

    [refused] = await fatma.sends("voice", reply_to_message_id=old["message_id"])
    assert refused["text"].startswith("Deze vraag is gesloten."), refused["text"]
    offered = [d for _label, d in fake.inline_buttons(refused)]
    assert any(d.startswith(f"qa:{newest.id}:") for d in offered), refused


async def test_a_late_correction_of_an_answer_is_noticed_by_the_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    fatma, ayse, _zeynep = await two_questions(chat, fake, db, clock, 73600)
    await fatma.says("Ja, dinsdag.", reply_to=card_of(fake, fatma.id, "Ayşe"))
    await wait_until(lambda: "Ja, dinsdag." in fake.texts(ayse.id), fake)
    await outbox_settled(db)
    seen_by_ayse = len(fake.transcript(ayse.id))

    clock.moment = MONDAY_10 + timedelta(hours=2)
    [told] = await fatma.edits(own(fake, fatma.id, "Ja, dinsdag."), "Ja, woensdag.")
    await outbox_settled(db)
    # Ayşe's copy changes (quietly: an edit rings nothing), and Fatma is told it may go
    # unseen, so she can send it again if it matters.
    assert "Ja, woensdag." in fake.texts(ayse.id) and len(fake.transcript(ayse.id)) == seen_by_ayse
    assert told["text"].startswith("✏️ Je wijziging is doorgegeven, maar stil:"), told["text"]

    # A typo fixed right after sending is passed on as ever.
    await fatma.says("Tot dan!", reply_to=card_of(fake, fatma.id, "Ayşe"))
    await wait_until(lambda: "Tot dan!" in fake.texts(ayse.id), fake)
    [told] = await fatma.edits(own(fake, fatma.id, "Tot dan!"), "Tot dan, Ayşe!")
    assert told["text"] == "✏️ Je wijziging is doorgegeven."
