"""A brugfiguur's busy day on her phone, between two school runs. Three parents ask
(Ayşe in Turkish, Harpreet with a photo of a letter and no words, Els in Dutch); Fatma answers
them interleaved, corrects herself, hands over, closes, types a command wrong, asks for help.
Found by a review: each test was a defect, what she or a parent saw that was wrong."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from bot.scheduler.questions import housekeeping
from storage.db import Database
from storage.models import (
    Activity,
    ActivityText,
    Person,
    Question,
    QuestionMessage,
    Rsvp,
    School,
)
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id
from tests.test_reminders_e2e import day_reminder_of, local


def card_of(fake: FakeTelegram, chat_id: int, number: int) -> dict[str, Any]:
    return [m for m in fake.transcript(chat_id)
            if m.get("text", "").startswith(f"❓ Vraag {number}\n")][-1]


def own(fake: FakeTelegram, chat_id: int, text: str) -> dict[str, Any]:
    return [m for m in fake.history(chat_id)
            if not m["from"]["is_bot"] and m.get("text") == text][-1]


async def els_asks(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                   base: int) -> tuple[Talker, Talker, Talker]:
    """Monday 10:00: Els's childcare question reached Fatma (nl, tr, pa), the contact of Het
    Wijdeland. Returns the coordinator, Fatma and Els."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, base + 1, "Fatma", {"nl", "tr", "pa"}, db,
                            contact_of="wijdeland")
    els = await onboard(chat, base + 11, "Els", "nl", "wijdeland")
    await els.says("Is er morgen opvang na school?")
    await els.picks_topic("childcare")
    await wait_until(lambda: "Is er morgen opvang na school?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    return greet, fatma, els


async def test_the_card_of_an_untapped_photo_tells_when_the_parent_really_asked(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 61001, "Fatma", {"nl", "pa"}, db,
                            contact_of="wijdeland")
    harpreet = await onboard(chat, 61011, "Harpreet", "pa", "wijdeland")
    await harpreet.sends("photo")  # a letter, no words; the topic buttons she cannot read
    clock.moment = MONDAY_10 + timedelta(minutes=31)
    await housekeeping(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]
    await wait_until(lambda: any("photo" in m for m in fake.transcript(fatma.id)), fake)
    [question] = await question_rows(db)
    card = card_of(fake, fatma.id, question.id)["text"]
    assert ("Gevraagd: maandag 23 november 2026, 10:00" in card
            or "⏱ Wacht al" in card), card


async def test_help_for_a_brugfiguur_says_how_to_answer_a_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, _els = await els_asks(chat, fake, db, clock, 61100)
    [shown] = await fatma.says("/help")
    text = shown["text"]
    assert "/inbox" in text  # her commands are there
    assert "veeg" in text or "reageer" in text, text  # how to answer: swipe / reply
    assert "Iemand van het team antwoordt je" not in text, text


async def test_a_reply_to_the_change_passed_on_note_adds_to_that_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, els = await els_asks(chat, fake, db, clock, 61200)
    [question] = await question_rows(db)
    await fatma.says("Ja, tot 18u.", reply_to=card_of(fake, fatma.id, question.id))
    await wait_until(lambda: "Ja, tot 18u." in fake.texts(els.id), fake)
    await outbox_settled(db)
    [told] = await fatma.edits(own(fake, fatma.id, "Ja, tot 18u."), "Ja, tot 18u30.")
    assert told["text"] == "✏️ Je wijziging is doorgegeven."
    await fatma.says("En op woensdag tot 17u.", reply_to=told)
    await outbox_settled(db)
    await fake.wait_idle()
    assert "En op woensdag tot 17u." in fake.texts(els.id), fake.texts(fatma.id)[-1]


async def test_a_hand_over_to_the_colleague_who_holds_it_already_sends_nothing_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 61301, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 61302, "Mehmet", {"nl", "tr"}, db)
    mehmet_id = await staff_id(db, mehmet.id)
    ayse = await onboard(chat, 61311, "Ayşe", "tr", "wijdeland")
    await ayse.presses_key("❓")
    await ayse.picks_topic("school")
    await ayse.sends("voice")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(fatma.id)), fake)
    [question] = await question_rows(db)

    # The coordinator looks at /queue and opens the hand-over list of Ayşe's question...
    await greet.says("/queue")
    await greet.taps(data=f"qs:{question.id}:pick")
    choices = fake.transcript(greet.id)[-1]
    assert (f"qs:{question.id}:to:{mehmet_id}"
            in [d for _label, d in fake.inline_buttons(choices)])
    # ...meanwhile Fatma hands it to Mehmet herself.
    card = card_of(fake, fatma.id, question.id)
    await fatma.presses(card, f"qs:{question.id}:hand")
    await fatma.presses(card, f"qs:{question.id}:to:{mehmet_id}")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(mehmet.id)), fake)
    await outbox_settled(db)

    clock.moment += timedelta(seconds=5)
    await greet.presses(choices, f"qs:{question.id}:to:{mehmet_id}")
    await outbox_settled(db)
    await fake.wait_idle()
    cards = [t for t in fake.texts(mehmet.id) if t.startswith(f"❓ Vraag {question.id}\n")]
    assert len(cards) == 1, cards


async def test_close_just_after_the_parent_asked_again_does_not_drop_her_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, els = await els_asks(chat, fake, db, clock, 61400)
    [question] = await question_rows(db)
    card = card_of(fake, fatma.id, question.id)
    await fatma.says("Ja, tot 18u.", reply_to=card)
    await wait_until(lambda: "Ja, tot 18u." in fake.texts(els.id), fake)
    await els.says("En woensdag ook?")
    await wait_until(lambda: "En woensdag ook?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)

    clock.moment += timedelta(seconds=20)
    await fatma.presses(card, f"qs:{question.id}:close")  # the card, higher up the screen
    await outbox_settled(db)
    await fake.wait_idle()
    assert not any(t.startswith("Je vraag is afgesloten") for t in fake.texts(els.id))
    [question] = await question_rows(db)
    assert question.status == "open"


async def test_a_mistyped_command_is_not_offered_to_a_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, _els = await els_asks(chat, fake, db, clock, 61500)
    [told] = await fatma.says("/inbx")
    offered = [d for _label, d in fake.inline_buttons(told) if d.startswith("qa:")]
    assert offered == [], told["text"]


async def test_a_message_that_replied_to_nothing_can_go_to_any_question_she_holds(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, _els = await els_asks(chat, fake, db, clock, 61600)
    ayse = await onboard(chat, 61621, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul gezisi ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    _els_question, ayse_question = await question_rows(db)
    await fatma.says("Vrijdag 12 december.", reply_to=card_of(fake, fatma.id,
                                                                ayse_question.id))
    await wait_until(lambda: "Vrijdag 12 december." in fake.texts(ayse.id), fake)
    # Seven more parents asked this morning and wait for an answer.
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "wijdeland"))
        me = await session.scalar(select(Person.id).where(Person.telegram_id == fatma.id))
        for n in range(7):
            parent = Person(telegram_id=61700 + n, first_name=f"Ouder{n}", locale="nl",
                            role="parent", onboarded_at=MONDAY_10)
            session.add(parent)
            await session.flush()
            asked = Question(parent_id=parent.id, school_id=school, locale="nl",
                             topic="school", status="open", opened_at=MONDAY_10,
                             assignee_id=me)
            session.add(asked)
            await session.flush()
            session.add(QuestionMessage(question_id=asked.id, from_parent=True,
                                        chat_id=parent.telegram_id, message_id=1,
                                        created_at=MONDAY_10))
        await session.commit()
    assert len(await question_rows(db)) == 9

    # "Neem ook de toestemmingsbrief mee": recorded straight into the chat.
    [told] = await fatma.sends("voice")
    offered = [d for _label, d in fake.inline_buttons(told)]
    assert any(d.startswith(f"qa:{ayse_question.id}:") for d in offered), (
        [label for label, _d in fake.inline_buttons(told)])


async def test_a_brugfiguur_who_is_a_parent_can_answer_a_reminder_by_typing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    async with db.session() as session:  # the ouderbabbel of Wednesday (as imported)
        session.add(Activity(
            external_id="babbel-nov", kind="ouderbabbel", all_schools=True,
            starts_at=local(25, 13, 30), ends_at=local(25, 15), place_name="Bibliotheek",
            place_address="Kazernestraat 13, 3800 Sint-Truiden",
            texts=[ActivityText(locale="nl", title="Ouderbabbel: slapen",
                                description="Over goed slapen.")]))
        await session.commit()
    fatma = await onboard(chat, 61801, "Fatma", "nl", "wijdeland")  # her child's school
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    await fatma.says(f"/start staff_{token[1]}")
    await fatma.taps("Türkçe")  # the languages she speaks with parents
    await fatma.taps("Klaar")
    ayse = await onboard(chat, 61811, "Ayşe", "tr", "wijdeland")
    await ayse.says("Servis kaçta geliyor?")
    await ayse.picks_topic("school")
    reminder = await day_reminder_of(bot, clock, fake, fatma)

    replies = await fatma.says("Ja, ik kom", reply_to=reminder)
    offered = [d for m in replies for _label, d in fake.inline_buttons(m) if d.startswith("qa:")]
    me = await staff_id(db, fatma.id)
    async with db.session() as session:
        answered = list(await session.scalars(select(Rsvp.answer).where(Rsvp.person_id == me)))
    assert answered == ["yes"] and offered == [], ([m.get("text") for m in replies], offered)
