"""Help questions end to end: a parent asks, the right brugfiguur answers, nobody's number
or username is exposed; hand-over, refusals, holding outside green hours, escalation."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.handlers.question_texts import render_card
from bot.i18n import BRUSSELS, format_weekday_date, use_locale
from bot.scheduler.questions import figures_due, weekly_figures
from bot.services import questions, staff
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import (
    OutboxMessage,
    Person,
    PersonSchool,
    Question,
    QuestionMessage,
    School,
)
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels

THANKS_FATMA = "✅ Teşekkürler! Fatma sorunuzu aldı ve size yakında cevap verecek."


async def join_team(chat: Chat, coordinator: Talker, user_id: int, name: str,
                    languages: set[str], db: Database, *, contact_of: str | None = None,
                    availability: AvailabilityMap | None = None) -> Talker:
    """A brugfiguur joins with an /invite link, then speaks ``languages``."""
    [invitation] = await coordinator.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None, invitation["text"]
    member = chat.person(user_id, name, "nl", username=f"{name.lower()}_private")
    await member.says(f"/start staff_{token[1]}")
    await member.taps("Nederlands")
    await member.taps(data="privacy:ok")
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == user_id))
        assert person is not None and person.role == "brugfiguur"
        for code in languages - {"nl"}:
            await staff.toggle_language(session, person.id, code)
        if "nl" not in languages:
            await staff.toggle_language(session, person.id, "nl")
        if availability is not None:
            await staff.set_availability(session, person.id, availability)
        if contact_of is not None:
            school = await session.scalar(select(School).where(School.code == contact_of))
            assert school is not None
            await staff.set_contact(session, school.id, person.id)
        await session.commit()
    return member


def bot_messages(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return fake.transcript(chat_id)


async def question_rows(db: Database) -> list[Question]:
    async with db.session() as session:
        return list(await session.scalars(select(Question).order_by(Question.id)))


async def test_a_turkish_photo_question_reaches_the_schools_turkish_contact_and_the_voice_answer_returns(  # noqa: E501
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8101, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    # Mehmet speaks Turkish too and has no work: the school's contact still comes first.
    await join_team(chat, greet, 8102, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 8201, "Ayşe", "tr", "wijdeland", username="ayse_private")

    # A photo of a letter first: the bot asks what it is about, in Turkish.
    [topics] = await ayse.sends("photo", caption="Bu mektup ne diyor?")
    assert "Sorunuz ne hakkında?" in topics["text"]
    replies = await ayse.picks_topic("letter")
    assert replies[-1]["text"] == THANKS_FATMA
    await ayse.says("Okuldan geldi.")

    # Fatma gets the card, then the photo and the text as the parent sent them.
    await wait_until(lambda: "Okuldan geldi." in fake.texts(fatma.id), fake)
    card, photo, text = fake.transcript(fatma.id)[-3:]
    assert card["text"].startswith("❓ Vraag 1")
    assert "Ayşe · Türkçe" in card["text"] and "Het Wijdeland" in card["text"]
    assert "Een brief of formulier" in card["text"]
    assert "⏱" not in card["text"]  # no "waiting for 0 seconds" on a card sent at once
    assert photo["photo"] and photo["caption"] == "Bu mektup ne diyor?"
    assert text["text"] == "Okuldan geldi."
    assert "forward_origin" not in photo and "forward_from" not in photo
    assert not any(m.get("chat", {}).get("id") == 8102 for m in fake.transcript(8102)
                   if "Vraag" in m.get("text", ""))

    # Fatma answers with a voice message, replying to the photo: it reaches Ayşe as a voice.
    [sent] = await fatma.sends("voice", reply_to_message_id=photo["message_id"])
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: any("voice" in m for m in fake.transcript(ayse.id)), fake)
    answer = [m for m in fake.transcript(ayse.id) if "voice" in m][-1]
    assert answer["from"]["is_bot"] is True

    # Ayşe simply writes on: the follow-up reaches Fatma in the same question, and a 👍 on
    # it, no message, tells Ayşe it arrived.
    assert await ayse.says("Çok teşekkürler!") == []
    await wait_until(lambda: fake.texts(fatma.id)[-1] == "Çok teşekkürler!", fake)
    # ("Okuldan geldi." too, which followed the opened question; not the photo, which got a
    # reply in words.)
    reacted = {}
    for message_id, emoji in fake.reactions(ayse.id).items():
        message = fake.message(ayse.id, message_id)
        assert message is not None and not message["from"]["is_bot"]
        reacted[message.get("text")] = emoji
    assert reacted == {"Okuldan geldi.": ["👍"], "Çok teşekkürler!": ["👍"]}
    # A round video message (one tap away from a voice message) is passed on too.
    assert await ayse.sends("video_note") == []
    await wait_until(lambda: "video_note" in fake.transcript(fatma.id)[-1], fake)
    [question] = await question_rows(db)
    assert question.status == "open" and question.first_answer_at is not None

    # Nobody saw anybody's username or phone number.
    for talker, other in ((ayse, "fatma_private"), (fatma, "ayse_private")):
        assert other not in repr(fake.transcript(talker.id))


async def test_a_parent_who_writes_on_instead_of_tapping_a_topic_is_asked_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8111, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 8211, "Ayşe", "tr", "wijdeland")

    # An album of two photos (Telegram sends each on its own): the topic is asked once.
    [topics] = await ayse.sends("photo", caption="Bu mektup ne diyor?", media_group_id="a1")
    assert topics["text"] == "Sorunuz ne hakkında? Bir düğmeye dokunun."
    assert await ayse.sends("photo", media_group_id="a1") == []
    # She writes on without a tap: the message is kept, and the topic asked again.
    [again] = await ayse.says("Okuldan geldi, anlamadım.")
    assert again["text"] == "3 mesajınızı kaydettim. Sorunuz ne hakkında? Bir düğmeye dokunun."
    assert len(fake.inline_buttons(again)) == len(fake.inline_buttons(topics))
    [question] = await question_rows(db)
    assert question.status == "draft"

    replies = await ayse.picks_topic("letter")
    assert replies[-1]["text"] == THANKS_FATMA
    # Fatma gets the card and all three messages, in order.
    await wait_until(lambda: "Okuldan geldi, anlamadım." in fake.texts(fatma.id), fake)
    card, first, second, text = fake.transcript(fatma.id)[-4:]
    assert card["text"].startswith("❓ Vraag")
    assert first["caption"] == "Bu mektup ne diyor?" and second["photo"]
    assert text["text"] == "Okuldan geldi, anlamadım."
    [question] = await question_rows(db)
    assert question.status == "open"

    # The first "which topic?" still shows its buttons: tapped now, it belongs to the open
    # question and starts no empty second one.
    [(_label, stale)] = [b for b in FakeTelegram.inline_buttons(topics) if b[1].startswith(
        "ask:school")]
    assert await ayse.presses(topics, stale) == ["Bu düğme artık çalışmıyor."]
    assert [q.status for q in await question_rows(db)] == ["open"]
    # A new ❓ is a new question, while the first one is open.
    [fresh] = await ayse.says("/ask")
    await ayse.picks_topic("school")
    assert [q.status for q in await question_rows(db)] == ["open", "draft"]
    assert fresh["message_id"] > topics["message_id"]


async def test_a_photo_sent_before_onboarding_becomes_the_question_afterwards(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8121, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    # The very first thing a new parent sends: a photo of the letter, no /start.
    ayse = chat.person(8221, "Ayşe", language_code="tr")
    # An album of the letter's two sides: the language question once, both photos kept.
    [greeting] = await ayse.sends("photo", caption="Bu mektup ne?", media_group_id="letter")
    assert greeting["text"].startswith("Hoş geldiniz!")  # the language question first
    assert await ayse.sends("photo", caption="Arka yüzü.", media_group_id="letter") == []
    # Typing the language instead of tapping it: taken as the tap, and no part of the question.
    [schools] = await ayse.says("Türkçe")
    assert schools["text"].startswith("Çocuklarınız hangi okula gidiyor?")
    await ayse.taps("Freinetschool Het Wijdeland (Brustem)")
    await ayse.taps(data="school:done")
    *_, ready, kept = await ayse.taps(data="privacy:ok")
    assert ready["text"].startswith("Teşekkür ederim, Ayşe! Her şey hazır.")
    assert kept["text"] == "2 mesajınızı kaydettim. Sorunuz ne hakkında? Bir düğmeye dokunun."
    replies = await ayse.picks_topic("letter")
    assert replies[-1]["text"] == THANKS_FATMA
    await wait_until(lambda: any(m.get("caption") == "Arka yüzü."
                                 for m in fake.transcript(fatma.id)), fake)
    assert [m.get("caption") for m in fake.transcript(fatma.id) if "photo" in m] == [
        "Bu mektup ne?", "Arka yüzü."]
    assert "Türkçe" not in fake.texts(fatma.id)
    [question] = await question_rows(db)
    async with db.session() as session:
        school = await session.scalar(select(School).where(School.code == "wijdeland"))
    assert question.status == "open" and question.locale == "tr"
    assert school is not None and question.school_id == school.id


async def test_a_punjabi_voice_question_at_night_is_held_until_the_contacts_next_green_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    # A Wednesday 22:00 in Brussels, a few weeks after the real today: held rows stay held.
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)
    while day.weekday() != 2:
        day += timedelta(days=1)
    clock.moment = datetime(day.year, day.month, day.day, 22, 0, tzinfo=BRUSSELS)
    thursday_9 = datetime(day.year, day.month, day.day, 9, 0, tzinfo=BRUSSELS) + timedelta(
        days=1)
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 8301, "Simran", {"nl", "pa"}, db,
                             contact_of="kabouterland")
    harpreet = await onboard(chat, 8401, "Harpreet", "pa", "kabouterland")

    [topics] = await harpreet.presses_key("❓")
    assert "ਸਵਾਲ" in topics["text"]
    await harpreet.picks_topic("allowance")
    [told] = await harpreet.sends("voice")
    assert "Simran" in told["text"] and "9:00" in told["text"]

    [question] = await question_rows(db)
    assert question.deliver_at == thursday_9.astimezone(UTC)
    async with db.session() as session:
        rows = list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == simran.id)))
    assert {r.kind for r in rows} == {"text", "copy"}
    assert all(r.not_before == thursday_9.astimezone(UTC) and r.status == "pending"
               for r in rows)
    assert not any("Vraag" in t for t in fake.texts(simran.id))
    # The card, read in the morning, says the parent asked last night.
    [card] = [json.loads(r.payload)["text"] for r in rows if r.kind == "text"]
    with use_locale("nl"):
        asked = format_weekday_date(clock.moment)
    assert f"🕐 Gevraagd: {asked}, 22:00" in card


async def test_hand_over_and_what_others_may_not_do(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8501, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 8502, "Mehmet", {"tr"}, db)
    await join_team(chat, greet, 8503, "Ahmet", {"tr"}, db,
                    availability=AvailabilityMap.all(Level.RED))  # off all week
    ayse = await onboard(chat, 8601, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Merhaba, bir sorum var.")
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Merhaba, bir sorum var."], fake)
    card = next(m for m in reversed(fake.transcript(fatma.id)) if "Vraag" in m.get("text", ""))

    # Someone else's card: a parent's forged press and a colleague's press change nothing.
    assert await ayse.presses(card, f"qs:{(await question_rows(db))[0].id}:close")
    assert await mehmet.presses(card, f"qs:{(await question_rows(db))[0].id}:take") == [
        "Deze vraag ligt nu bij Fatma."]
    assert (await question_rows(db))[0].status == "open"

    # Fatma hands it to Mehmet: he gets the card and the parent's message.
    await fatma.taps(data=f"qs:{(await question_rows(db))[0].id}:hand")
    # Each colleague with their colour of this hour, the available ones first.
    assert [t for t, _d in FakeTelegram.inline_buttons(fake.message(fatma.id, card[
        "message_id"]) or {})] == [
        "🟢 Mehmet · Türkçe", "🔴 Ahmet · Türkçe · met verlof", "🧭 De coördinator",
        "↩️ Terug"]
    await fatma.taps("Mehmet")
    assert "Overgedragen aan Mehmet." in fake.texts(fatma.id)[-1] or any(
        "Overgedragen aan Mehmet." in t for t in fake.texts(fatma.id))
    await wait_until(lambda: fake.texts(mehmet.id)[-1:] == ["Merhaba, bir sorum var."], fake)
    [question] = await question_rows(db)
    mehmet_row = await staff_id(db, mehmet.id)
    assert question.assignee_id == mehmet_row

    # Fatma's answer now is refused, and nothing reaches Ayşe.
    before = len(fake.transcript(ayse.id))
    copy_in_fatma = [m for m in fake.transcript(fatma.id)
                     if m.get("text") == "Merhaba, bir sorum var."][-1]
    [refused] = await fatma.says("Ik help je.", reply_to=copy_in_fatma)
    assert refused["text"] == "Deze vraag ligt nu bij Mehmet. Er is niets verstuurd."
    assert len(fake.transcript(ayse.id)) == before

    # Mehmet closes it: unanswered, he is asked once more; Ayşe is told; an answer to a
    # closed question is refused.
    await mehmet.taps(data=f"qs:{question.id}:close")
    assert mehmet.alerts()[-1:] == ["Nog niemand heeft deze vraag beantwoord."]
    [question] = await question_rows(db)
    assert question.status == "open"
    await mehmet.taps("✅ Afsluiten zonder antwoord")
    await wait_until(lambda: "kapatıldı" in fake.texts(ayse.id)[-1], fake)
    copy_in_mehmet = [m for m in fake.transcript(mehmet.id)
                      if m.get("text") == "Merhaba, bir sorum var."][-1]
    [refused] = await mehmet.says("Nog iets?", reply_to=copy_in_mehmet)
    assert refused["text"] == "Deze vraag is gesloten. Er is niets verstuurd."


async def staff_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        person_id = await session.scalar(select(Person.id)
                                         .where(Person.telegram_id == telegram_id))
        assert person_id is not None
        return person_id


async def test_stickers_get_a_polite_answer_and_nothing_is_asked(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    ayse = await onboard(chat, 8701, "Ayşe", "tr", "wijdeland")
    [reply] = await ayse.sends("sticker", emoji="🐱")
    assert reply["text"] == ("Üzgünüm, bunu iletemiyorum. 🎤 Sesli mesaj, 📷 fotoğraf ya da ✍️ "
                             "yazı gönderin.")
    assert await question_rows(db) == []


async def test_without_any_brugfiguur_the_coordinator_holds_the_question_and_answers(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    els = await onboard(chat, 8801, "Els", "nl", "vlindertje")
    [asked] = await els.says("Wanneer is de oudercontact?")
    assert asked["text"] == "Waarover gaat je vraag? Tik op een knop."
    [told] = (await els.picks_topic("school"))[-1:]
    assert told["text"] == "✅ Dankjewel! Iemand van het Brede School-team antwoordt je snel."
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Wanneer is de oudercontact?"],
                     fake)
    copy = fake.transcript(COORDINATOR_ID)[-1]
    [sent] = await greet.says("Donderdag om 16 uur.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Els."
    await wait_until(lambda: fake.texts(els.id)[-1:] == ["Donderdag om 16 uur."], fake)

    # Friday evening: the coordinator still gets the question now, but the parent is told
    # Monday 09:00 rather than "soon".
    clock.moment = datetime(2026, 11, 27, 20, 0, tzinfo=BRUSSELS)
    ayse = await onboard(chat, 8802, "Ayşe", "tr", "vlindertje")
    await ayse.says("Okul ne zaman kapalı?")
    [told] = (await ayse.picks_topic("school"))[-1:]
    assert told["text"] == ("✅ Teşekkürler! Brede School ekibinden biri size 30 Kasım 2026 "
                            "Pazartesi saat 09:00 olunca cevap verecek.")


async def test_forget_erases_the_parents_questions_and_their_relayed_copies(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    await coordinator_of(chat)
    els = await onboard(chat, 8901, "Els", "nl", "vlindertje")
    await els.says("Een vraag over de toelage.")
    await els.picks_topic("allowance")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Een vraag over de toelage."],
                     fake)
    # Sent, and known to be (the sender writes so just after Telegram's answer): a copy still
    # on its way when she leaves would leave no trace to refuse a reply with.
    await outbox_settled(db)
    [question] = await question_rows(db)
    await els.says("/forget")
    await els.taps(data="forget:yes")
    async with db.session() as session:
        assert await session.scalar(select(Question).where(Question.id == question.id)) is None
        assert list(await session.scalars(select(QuestionMessage))) == []
        # Only empty traces of what the team received remain.
        traces = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.group_key == f"q:{question.id}")))
        assert traces and all(t.payload == "{}" and t.chat_id == COORDINATOR_ID
                              for t in traces)
    # The coordinator's reply to the old copy is refused: the parent is gone.
    copy = fake.transcript(COORDINATOR_ID)[-1]
    greet = chat.person(COORDINATOR_ID, "Greet", language_code="nl")
    [refused] = await greet.says("Hallo?", reply_to=copy)
    assert "Er is niets verstuurd" in refused["text"]


async def test_a_question_nobody_takes_within_four_working_hours_goes_to_the_next_candidate(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9001, "Fatma", {"tr"}, db, contact_of="wijdeland")
    await join_team(chat, greet, 9002, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 9101, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yardım lazım.")
    await ayse.picks_topic("work")
    fatma_id, mehmet_id = await staff_id(db, 9001), await staff_id(db, 9002)
    [question] = await question_rows(db)
    assert question.assignee_id == fatma_id

    async with db.session() as session:
        coordinators = await questions.coordinator_recipients(session, {COORDINATOR_ID})
        # Three working hours later: not yet.
        assert await questions.escalate_due(session, MONDAY_10 + timedelta(hours=3),
                                            render_card, coordinators) == []
        [moved] = await questions.escalate_due(session, MONDAY_10 + timedelta(hours=5),
                                               render_card, coordinators)
        await session.commit()
    assert moved.previous_id == fatma_id and moved.new_holder_first_name == "Mehmet"
    [question] = await question_rows(db)
    assert question.assignee_id == mehmet_id and question.escalated_at is not None
    # His card says how long the parent has waited (a card sent at once says nothing).
    async with db.session() as session:
        cards = [json.loads(row.payload)["text"] for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.person_id == mehmet_id,
                                        OutboxMessage.kind == "text"))]
    assert any("⚠️" in text and "⏱ " in text for text in cards), cards
    # Once only.
    async with db.session() as session:
        assert await questions.escalate_due(session, MONDAY_10 + timedelta(hours=9),
                                            render_card, coordinators) == []


def test_availability_default_is_green_on_monday_morning() -> None:
    assert AvailabilityMap.default().level_at(MONDAY_10) is Level.GREEN


def test_the_weekly_figures_are_due_from_monday_nine_for_two_days() -> None:
    monday_nine = datetime(2026, 11, 23, 9, 0, tzinfo=BRUSSELS)
    assert figures_due(monday_nine - timedelta(minutes=1)) is None  # last week's: sent
    assert figures_due(monday_nine) == monday_nine
    # Down over the weekend, back on Monday at ten, or on Tuesday: they still come.
    assert figures_due(monday_nine + timedelta(hours=25)) == monday_nine
    assert figures_due(monday_nine + timedelta(days=2)) is None
    assert figures_due(datetime(2026, 11, 29, 23, 0, tzinfo=BRUSSELS)) is None  # Sunday


async def test_the_coordinator_gets_the_weekly_line_of_figures(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    els = await onboard(chat, 9201, "Els", "nl", "vlindertje")
    await els.says("Waar vind ik het formulier?")
    await els.picks_topic("letter")
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1:] == ["Waar vind ik het formulier?"],
                     fake)
    await greet.says("In de bijlage van de nieuwsbrief.", reply_to=fake.transcript(
        COORDINATOR_ID)[-1])
    clock.moment = MONDAY_10 + timedelta(days=7)
    await weekly_figures(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]
    await wait_until(lambda: fake.texts(COORDINATOR_ID)[-1].startswith("📊"), fake)
    line = fake.texts(COORDINATOR_ID)[-1]
    assert line.startswith("📊 Laatste 7 dagen: 1 vraag.")
    assert "Een brief of formulier dat ik niet begrijp 1" in line
    assert "Nederlands 1" in line and "mediaan" in line
    # Run twice (two instances, a restart): one line a week.
    await weekly_figures(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]
    await outbox_settled(db)  # a second line would wait a second for the chat's turn
    assert sum(t.startswith("📊") for t in fake.texts(COORDINATOR_ID)) == 1


async def test_the_coordinator_hands_a_question_over_from_the_queue(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """The choice comes as a message of its own: the queue keeps its buttons."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 8951, "Fatma", {"nl", "tr"}, db)
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "klimop"))
        parent = Person(telegram_id=8950, first_name="Ayşe", locale="tr", role="parent",
                        onboarded_at=MONDAY_10)
        session.add(parent)
        await session.flush()
        question = Question(parent_id=parent.id, school_id=school, locale="tr", topic="letter",
                            status="open", opened_at=MONDAY_10)
        session.add(question)
        await session.commit()
        question_id = question.id
    [queue] = await greet.says("/queue")
    queue_buttons = FakeTelegram.inline_buttons(queue)
    [choice] = await greet.taps(f"↪️ #{question_id} Ayşe")
    assert choice["text"].endswith("Wie neemt deze vraag over?")
    assert [t for t, _d in FakeTelegram.inline_buttons(choice)] == ["🟢 Fatma · Nederlands, Türkçe"]
    still = fake.message(greet.id, queue["message_id"])
    assert still is not None and FakeTelegram.inline_buttons(still) == queue_buttons
    await greet.taps("Fatma")
    handed = fake.message(greet.id, choice["message_id"])
    assert handed is not None and handed["text"].endswith("↪️ Overgedragen aan Fatma.")
    [row] = await question_rows(db)
    assert row.assignee_id == await staff_id(db, 8951)


async def test_a_long_queue_and_inbox_arrive_whole_in_several_messages(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Forty open questions waiting for the coordinator: more than one message holds."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "klimop"))
        for n in range(40):
            parent = Person(telegram_id=8900 + n, first_name=f"Ouder met een lange naam {n:02d}",
                            locale="tr", role="parent", onboarded_at=MONDAY_10)
            session.add(parent)
            await session.flush()
            session.add(Question(parent_id=parent.id, school_id=school, locale="tr",
                                 topic="letter", status="open", opened_at=MONDAY_10))
        await session.commit()
    for command in ("/queue", "/inbox"):
        parts = await greet.says(command, expect=None)
        assert len(parts) > 1 and all(len(p["text"]) <= 4096 for p in parts), command
        text = "\n".join(p["text"] for p in parts)
        assert [text.count(f"lange naam {n:02d}") for n in range(40)] == [1] * 40, command
        assert parts[-1].get("reply_markup"), command  # the buttons under the last part


async def test_a_question_closed_from_the_inbox_at_night_sends_nothing_more_to_the_team(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Simran, red at night, opens the question from /inbox, answers and closes it: the card
    held for her morning is not sent any more. Harpreet, who switched to Dutch meanwhile,
    reads "closed" in Dutch."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)
    while day.weekday() != 2:
        day += timedelta(days=1)
    clock.moment = datetime(day.year, day.month, day.day, 22, 0, tzinfo=BRUSSELS)
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 8501, "Simran", {"nl", "pa"}, db,
                             contact_of="kabouterland")
    harpreet = await onboard(chat, 8601, "Harpreet", "pa", "kabouterland")
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("allowance")
    await harpreet.says("ਸਕੂਲ ਭੱਤਾ ਕਦੋਂ ਆਉਂਦਾ ਹੈ?")
    [question] = await question_rows(db)
    await harpreet.presses_key("🌐")
    await harpreet.taps("Nederlands")

    await simran.says("/inbox")
    await simran.taps(data=f"qs:{question.id}:show")
    await wait_until(lambda: "ਸਕੂਲ ਭੱਤਾ ਕਦੋਂ ਆਉਂਦਾ ਹੈ?" in fake.texts(simran.id), fake)
    copy = [m for m in fake.transcript(simran.id)
            if m.get("text") == "ਸਕੂਲ ਭੱਤਾ ਕਦੋਂ ਆਉਂਦਾ ਹੈ?"][-1]
    await simran.says("ਮਾਰਚ ਵਿੱਚ।", reply_to=copy)
    await simran.taps(data=f"qs:{question.id}:close")
    await wait_until(lambda: harpreet.last_text().startswith("Je vraag is afgesloten."), fake)
    async with db.session() as session:
        waiting = list(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.chat_id == simran.id, OutboxMessage.not_before.is_not(None))))
    assert "dropped" in waiting and "pending" not in waiting  # the held card and copy


async def test_a_question_typed_during_sign_up_is_kept_and_a_greeting_is_not(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8131, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = chat.person(8231, "Ayşe", language_code="tr")
    [greeting] = await ayse.says("Merhaba")  # the chat opens with a greeting: no question
    assert greeting["text"].startswith("Hoş geldiniz!")
    await ayse.taps("Türkçe")
    # While the school buttons wait, she types her question: it is kept.
    await ayse.says("Okuldan bir mektup geldi, yarın para mı vermem lazım?")
    await ayse.says("Freinetschool Het Wijdeland (Brustem)")  # the button, typed: not kept
    await ayse.taps("Freinetschool Het Wijdeland (Brustem)")
    await ayse.taps(data="school:done")
    *_, kept = await ayse.taps(data="privacy:ok")
    assert kept["text"] == "Mesajınızı kaydettim. Sorunuz ne hakkında? Bir düğmeye dokunun."
    await ayse.picks_topic("money")
    await wait_until(lambda: "Okuldan bir mektup geldi, yarın para mı vermem lazım?"
                     in fake.texts(fatma.id), fake)
    await fake.wait_idle()
    assert "Merhaba" not in fake.texts(fatma.id)
    assert "Freinetschool Het Wijdeland (Brustem)" not in fake.texts(fatma.id)


async def test_a_question_taken_from_a_colleague_tells_them_and_two_hand_overs_at_once_give_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fatma holds Ayşe's question. She hands it to Mehmet while the coordinator hands it to
    Zeynep from /queue: one hand-over wins, the other press has expired. Then the coordinator
    moves it on from whoever has it: the one who had it is told, Fatma hears nothing more.
    (When the coordinator's press wins, it took the question from Fatma's hands: she is told
    that once, right then.)"""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8961, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 8962, "Mehmet", {"nl", "tr"}, db)
    zeynep = await join_team(chat, greet, 8963, "Zeynep", {"nl", "tr"}, db)
    ayse = await onboard(chat, 8971, "Ayşe", "tr", "wijdeland")
    await ayse.says("Karne günü ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Karne günü ne zaman?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    [queue] = await greet.says("/queue")
    ids = {name: await staff_id(db, n) for name, n in
           (("Fatma", 8961), ("Mehmet", 8962), ("Zeynep", 8963))}

    # "At once": both presses have read Fatma as the holder before either hands it over.
    # Sent together they usually are, but not always (a slow connection, a busy loop), and
    # one after the other neither expires: the coordinator moves it on from Mehmet, or Fatma
    # is told it is Zeynep's now. So each waits here for the other.
    both_read = asyncio.Barrier(2)
    reassign = questions.reassign

    async def together(*args: Any, **kwargs: Any) -> bool:
        async with asyncio.timeout(10):
            await both_read.wait()
        return await reassign(*args, **kwargs)

    monkeypatch.setattr(questions, "reassign", together)
    mark = len(fake.calls)
    await asyncio.gather(fatma.presses(card, f"qs:{question.id}:to:{ids['Mehmet']}"),
                         greet.presses(queue, f"qs:{question.id}:to:{ids['Zeynep']}"))
    monkeypatch.setattr(questions, "reassign", reassign)
    await fake.wait_idle()
    [question] = await question_rows(db)
    winner = "Mehmet" if question.assignee_id == ids["Mehmet"] else "Zeynep"
    loser = "Zeynep" if winner == "Mehmet" else "Mehmet"
    assert question.assignee_id == ids[winner]
    holders = {"Mehmet": mehmet, "Zeynep": zeynep}
    await wait_until(lambda: "Karne günü ne zaman?" in fake.texts(holders[winner].id), fake)
    await fake.wait_idle()
    assert "Karne günü ne zaman?" not in fake.texts(holders[loser].id)
    assert [c.params.get("text") for c in fake.calls[mark:]
            if c.method == "answerCallbackQuery" and c.params.get("text")] == [
        "Deze knop werkt niet meer."]
    if winner == "Zeynep":  # through the outbox, maybe held for Fatma's chat's next second
        await wait_until(lambda: any(t.startswith("↪️") for t in fake.texts(fatma.id)), fake)
        await fake.wait_idle()
    told_fatma = [t for t in fake.texts(fatma.id) if t.startswith("↪️")]
    assert told_fatma == ([] if winner == "Mehmet" else [
        f"↪️ Vraag {question.id} (Ayşe) ligt nu bij Zeynep: je hoeft ze niet te beantwoorden."])
    # Now the coordinator moves it on from the winner to the loser: the winner is told.
    await greet.presses(queue, f"qs:{question.id}:to:{ids[loser]}")
    await wait_until(lambda: any(t.startswith("↪️") for t in fake.texts(holders[winner].id)),
                     fake)
    assert [t for t in fake.texts(holders[winner].id) if t.startswith("↪️")] == [
        f"↪️ Vraag {question.id} (Ayşe) ligt nu bij {loser}: je hoeft ze niet te "
        "beantwoorden."]
    assert [t for t in fake.texts(fatma.id) if t.startswith("↪️")] == told_fatma


async def test_an_answer_to_a_parent_who_blocked_the_bot_is_not_called_sent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8981, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 8991, "Ayşe", "tr", "wijdeland")
    await ayse.says("Veli toplantısı ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Veli toplantısı ne zaman?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id)
            if m.get("text") == "Veli toplantısı ne zaman?"][-1]
    fake.block_chat(ayse.id)
    [sent] = await fatma.says("Donderdag om 18 uur.", reply_to=copy)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."  # nobody knew yet: Telegram says so now
    await wait_until(lambda: any(c.method == "copyMessage" and not c.ok for c in fake.calls),
                     fake)
    await fake.wait_idle()
    # The sender marks her blocked with the failed row, just after Telegram's answer.
    await outbox_settled(db, ayse.id)
    [refused] = await fatma.says("Of vrijdag om 9 uur.", reply_to=copy)
    assert refused["text"] == ("⚠️ Ayşe heeft de bot geblokkeerd: er komt nu geen bericht meer "
                               "aan. Er is niets verstuurd.")


async def test_a_follow_up_comes_as_a_reply_to_its_own_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma holds Ayşe's and then Zeynep's question. Ayşe writes on: her message comes as a
    reply to Ayşe's card, not as a bare copy under Zeynep's newer one."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9001, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9011, "Ayşe", "tr", "wijdeland")
    zeynep = await onboard(chat, 9012, "Zeynep", "tr", "wijdeland")
    await ayse.says("Servis kaçta geliyor?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Servis kaçta geliyor?" in fake.texts(fatma.id), fake)
    await zeynep.says("Okul gezisi ne zaman?")
    await zeynep.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    first, _second = await question_rows(db)

    await ayse.says("Sabah mı akşam mı?")
    await wait_until(lambda: "Sabah mı akşam mı?" in fake.texts(fatma.id), fake)
    follow_up = [m for m in fake.transcript(fatma.id) if m.get("text") == "Sabah mı akşam mı?"][-1]
    assert follow_up["reply_to_message"]["text"].startswith(f"❓ Vraag {first.id}")
    [sent] = await fatma.says("Om 7u45.", reply_to=follow_up)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: "Om 7u45." in fake.texts(ayse.id), fake)
    assert "Om 7u45." not in fake.texts(zeynep.id)


async def test_an_edit_of_a_message_already_passed_on_changes_its_copies(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe edits her question, Fatma her answer: the copy on the other side changes too,
    and the editor is told so. A copy that is gone: asked to send it again. An edit of
    anything else (a command) gets no answer."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9101, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9111, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Yarın okul var mı?" in fake.texts(fatma.id), fake)
    # "Already passed on": the copy is known to be sent (the sender writes so just after
    # Telegram's answer; an edit before that finds no copy to change).
    await outbox_settled(db)
    asked = next(m for m in fake.history(ayse.id) if m.get("text") == "Yarın okul var mı?")
    copy = [m for m in fake.transcript(fatma.id) if m.get("text") == "Yarın okul var mı?"][-1]

    [told] = await ayse.edits(asked, "Yarın ve cuma okul var mı?")
    assert told["text"] == "✏️ Değişikliğiniz iletildi."
    changed = fake.message(fatma.id, copy["message_id"])
    assert changed is not None and changed["text"] == "Yarın ve cuma okul var mı?"

    await fatma.says("Ja, dinsdag.", reply_to=changed)
    await wait_until(lambda: "Ja, dinsdag." in fake.texts(ayse.id), fake)
    await outbox_settled(db)
    answer = next(m for m in fake.history(fatma.id) if m.get("text") == "Ja, dinsdag.")
    [told] = await fatma.edits(answer, "Ja, woensdag.")
    assert told["text"] == "✏️ Je wijziging is doorgegeven."
    assert "Ja, woensdag." in fake.texts(ayse.id) and "Ja, dinsdag." not in fake.texts(ayse.id)
    # The same words again (an edit that changes nothing there): still passed on.
    [told] = await fatma.edits(answer, "Ja, woensdag.")
    assert told["text"] == "✏️ Je wijziging is doorgegeven."

    # Ayşe deleted the copy: it cannot change, and Fatma is asked to send it again.
    ayse_copy = next(m for m in fake.transcript(ayse.id) if m.get("text") == "Ja, woensdag.")
    fake._delete_message({"chat_id": ayse.id, "message_id": ayse_copy["message_id"]})
    [told] = await fatma.edits(answer, "Ja, donderdag.")
    assert told["text"] == ("Ik kan een wijziging van een bericht dat al doorgestuurd is niet "
                            "doorgeven. Stuur het opnieuw als een nieuw bericht.")

    await ayse.says("/week")
    command = next(m for m in fake.history(ayse.id) if m.get("text") == "/week")
    assert await ayse.edits(command, "/help") == []


async def test_a_colleague_who_takes_over_an_answered_question_sees_who_said_what(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma answered Ayşe once; Ayşe wrote on; Fatma hands it to Mehmet. His card says it
    was answered, then the conversation follows in order: Ayşe's messages copied, Fatma's
    answer forwarded (under her name). His reply to that answer reaches Ayşe."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8701, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 8702, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 8801, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Merhaba, toplantı ne zaman?")
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Merhaba, toplantı ne zaman?"], fake)
    [fresh_card] = [m for m in fake.transcript(fatma.id) if "Vraag" in m.get("text", "")]
    assert "💬" not in fresh_card["text"]  # nothing answered yet: no such line
    await fatma.says("Donderdag om 9 uur.", reply_to=fake.transcript(fatma.id)[-1])
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Donderdag om 9 uur."], fake)
    assert await ayse.says("Peki ya Aziz'in kardeşi?") == []
    await wait_until(lambda: fake.texts(fatma.id)[-1:] == ["Peki ya Aziz'in kardeşi?"], fake)

    [question] = await question_rows(db)
    clock.moment = MONDAY_10 + timedelta(hours=3)
    await fatma.taps(data=f"qs:{question.id}:hand")
    await fatma.taps("Mehmet")
    await wait_until(lambda: fake.texts(mehmet.id)[-1:] == ["Peki ya Aziz'in kardeşi?"], fake)
    card, first, answer, follow_up = fake.transcript(mehmet.id)[-4:]
    assert card["text"].startswith("❓ Vraag")
    assert ("💬 1 antwoord tot nu toe. Het staat hieronder, tussen de berichten van de ouder."
            in card["text"])
    assert "⏱" not in card["text"]  # Ayşe waits for no first answer
    assert first["text"] == "Merhaba, toplantı ne zaman?" and "forward_origin" not in first
    assert answer["text"] == "Donderdag om 9 uur."
    assert answer["forward_origin"]["sender_user"]["id"] == fatma.id
    assert follow_up["text"] == "Peki ya Aziz'in kardeşi?" and "forward_origin" not in follow_up

    # Mehmet replies to Fatma's forwarded answer: it is his question now, so Ayşe gets it.
    [sent] = await mehmet.says("Ook donderdag.", reply_to=answer)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Ook donderdag."], fake)
    assert (await question_rows(db))[0].assignee_id == await staff_id(db, mehmet.id)


async def test_a_parent_of_two_schools_reaches_the_contact_who_speaks_their_language(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe's children are at Het Wijdeland (whose contact speaks Dutch only) and at
    Kabouterland (whose contact speaks Turkish): her question goes to Kabouterland's contact,
    not to another Turkish speaker with fewer questions."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9201, "Zeynep", {"nl", "tr"}, db)
    await join_team(chat, greet, 9202, "Els", {"nl"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9203, "Mehmet", {"nl", "tr"}, db,
                             contact_of="kabouterland")
    ayse = await onboard(chat, 9211, "Ayşe", "tr", "wijdeland")
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == ayse.id))
        second = await session.scalar(select(School).where(School.code == "kabouterland"))
        assert person is not None and second is not None
        session.add(PersonSchool(person_id=person.id, school_id=second.id))
        await session.commit()
    await ayse.says("Okul gezisi ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(mehmet.id), fake)
    async with db.session() as session:
        question = await session.scalar(select(Question))
        assert question is not None and question.school_id == second.id
