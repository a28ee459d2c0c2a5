"""Conversations that get interrupted: the language switched between the topic and the
question, a ❓ tapped and left, an old broadcast confirmation tapped after the week went out,
"➕ New activity" tapped twice, an /activity and an /announce both half-done, a translation
for an announcement the coordinator started over, and /cancel in the middle of a flow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import ActivityDraft, Broadcast, Person, Question
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import MONDAY_10, join_team

ASK_DUTCH = ("Stuur me de aankondiging in het Nederlands: een tekst, een foto met bijschrift, "
             "of een pdf.")
EXPIRED = "Deze knop werkt niet meer."


async def person_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


async def questions_of(db: Database) -> list[Question]:
    async with db.session() as session:
        return list(await session.scalars(select(Question).order_by(Question.id)))


async def test_language_changed_between_topic_and_question_routes_in_the_new_language(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    # The school's contact speaks Dutch only; Fatma speaks Turkish and is free.
    await join_team(chat, greet, 8101, "Els", {"nl"}, db, contact_of="wijdeland")
    await join_team(chat, greet, 8102, "Fatma", {"nl", "tr"}, db)
    ayse = await onboard(chat, 8201, "Ayşe", "nl", "wijdeland")  # her husband chose Dutch

    await ayse.presses_key("❓")
    [send_it] = await ayse.picks_topic("letter")
    assert send_it["text"].startswith("Stuur nu je vraag:")
    # Before writing, she changes the language to her own, then writes in Turkish.
    await ayse.presses_key("🌐")
    [changed] = await ayse.taps("Türkçe")
    assert changed["text"] == "Bundan sonra size Türkçe yazacağım."
    [told] = await ayse.says("Okuldan bir mektup geldi, ne yapmalıyım?")

    [question] = await questions_of(db)
    assert question.locale == "tr"
    assert question.assignee_id == await person_id(db, 8102)
    assert "Fatma" in told["text"]


async def test_an_abandoned_topic_does_not_turn_a_later_thank_you_into_a_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 8102, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 8201, "Ayşe", "tr", "wijdeland")

    await ayse.presses_key("❓")
    await ayse.picks_topic("school")
    # She did not mean to ask, and leaves it.

    # Three days later, a thank-you (to a message of the school, to the bot) asks nothing.
    clock.moment = MONDAY_10 + timedelta(days=3)
    replies = await ayse.says("Tamam teşekkürler")
    assert replies == []  # a 👍 reaction, as with no question going on
    assert [q for q in await questions_of(db) if q.status == "open"] == []

    # /cancel after a topic tapped: the empty question goes, and she is told so.
    await ayse.presses_key("❓")
    await ayse.picks_topic("school")
    [gone] = await ayse.says("/cancel")
    assert gone["text"] == ("✖️ Tamam, soru yok. Bir şey sormak istediğinizde ❓ düğmesine "
                            "dokunun.")
    assert await questions_of(db) == []
    [nothing] = await ayse.says("/cancel")
    assert nothing["text"] == "Durdurulacak bir şey yok."


async def test_an_old_broadcast_confirmation_does_not_send_the_week_twice(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7801, "Els", "nl", "vlindertje")
    [first] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    old_confirm = fake.message(greet.id, first["message_id"])
    assert old_confirm is not None and "al verstuurd" not in old_confirm["text"]
    [yes] = [data for _label, data in fake.inline_buttons(old_confirm)
             if data.endswith(":yes")]

    # Interrupted, she starts again with /broadcast and sends that one.
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van"), fake)
    await outbox_settled(db)
    programmes = sum(text.startswith("Programma van") for text in fake.texts(els.id))
    assert programmes == 1

    # Later she scrolls up and taps the first draft's "Yes, send now".
    await greet.presses(old_confirm, yes)
    await outbox_settled(db)
    assert sum(text.startswith("Programma van") for text in fake.texts(els.id)) == 1


async def test_new_activity_tapped_twice_leaves_a_question_that_works(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    [picker] = await greet.says("/activity")
    # Two taps before Telegram showed the first answer: both carry the picker's button.
    await greet.presses(picker, "ad:new")
    await greet.presses(picker, "ad:new")
    assert fake.texts(greet.id)[-1] == "Nieuwe activiteit. Wat voor activiteit is het?"

    replies = await greet.taps("🎨 Workshop voor kinderen")
    assert greet.alerts() != [EXPIRED]
    assert replies and replies[-1]["text"].startswith("Voor welke scholen?")


async def test_the_place_typed_after_tapping_place_goes_to_the_activity(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    [picker] = await greet.says("/activity")
    edit = next(data for _label, data in fake.inline_buttons(picker)
                if data.startswith("ad:e:"))
    [summary] = await greet.taps(data=edit)
    # Interrupted: an announcement is started, and left for later (its text is not ready).
    [ask] = await greet.says("/announce")
    assert ask["text"] == ASK_DUTCH
    # Back to the activity: she taps 📍 Place on its summary, and the bot asks where.
    place = next(data for _label, data in fake.inline_buttons(summary)
                 if data.endswith(":e:place"))
    await greet.presses(summary, place)
    assert fake.texts(greet.id)[-1].startswith("Waar vindt het plaats?")

    [next_question] = await greet.says("Bibliotheek Sint-Truiden")
    assert next_question["text"].startswith("Het adres van de plek?")
    async with db.session() as session:
        [draft] = await session.scalars(select(ActivityDraft))
        [announcement] = await session.scalars(select(Broadcast))
    assert "Bibliotheek Sint-Truiden" in draft.data
    assert "Bibliotheek Sint-Truiden" not in (announcement.content or "")


async def test_a_translation_for_a_replaced_announcement_is_not_called_sent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8102, "Fatma", {"nl", "tr"}, db)
    await greet.says("/announce")
    await greet.says("Morgen is de school dicht.")
    await greet.taps("🙋 Vraag het team om te vertalen")
    await wait_until(lambda: fatma.last_text().startswith("🙋"), fake)
    request = fake.transcript(fatma.id)[-1]

    # The coordinator starts over (a typo in the Dutch): the first draft is cancelled.
    await greet.says("/announce")
    [said] = await fatma.says("Yarın okul kapalı.", reply_to=request)
    assert "al verstuurd" not in said["text"]  # "already been sent"
    async with db.session() as session:
        statuses = list(await session.scalars(select(Broadcast.status)))
    assert "sending" not in statuses and "done" not in statuses


async def test_cancel_typed_halfway_through_announce_ends_it(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await greet.says("/announce")
    [stopped] = await greet.says("/cancel")
    assert stopped["text"] == "✖️ Gestopt. Er is niets verstuurd of bewaard."
    await greet.says("stop")
    async with db.session() as session:
        [announcement] = await session.scalars(select(Broadcast))
    assert announcement.awaiting is None
    assert "stop" not in (announcement.content or "")
