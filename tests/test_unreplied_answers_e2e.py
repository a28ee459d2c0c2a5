"""A brugfiguur's message that replies to no question (a voice note recorded straight into
the chat, a reply to the wrong message): nothing is sent, they are told so, and a button per
question they hold sends it there after all. A reply to their own earlier answer adds to it.
/inbox puts the questions that wait for an answer first; a hand-over to someone off now says
when they see it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import QuestionMessage
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team

NOT_SENT = ("⚠️ Dit is naar niemand verstuurd. Voor welke ouder is het? Tik op hun naam.\n"
            "Volgende keer: beantwoord hun vraag, veeg ze naar links.")


async def answers_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(QuestionMessage)
                                        .where(QuestionMessage.from_parent.is_(False))) or 0)


async def fatma_holds_two_questions(chat: Chat, fake: FakeTelegram, db: Database,
                                    clock: FixedClock) -> tuple[Talker, Talker, Talker, Talker]:
    """Monday 10:00: Ayşe's and Hatice's questions reached Fatma, their school's contact.
    Returns the coordinator, Fatma, Ayşe and Hatice."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9301, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9311, "Ayşe", "tr", "wijdeland")
    hatice = await onboard(chat, 9312, "Hatice", "tr", "wijdeland")
    for parent, text in ((ayse, "Yarın okul var mı?"), (hatice, "Toplantı ne zaman?")):
        await parent.says(text)
        await parent.picks_topic("school")
        await wait_until(lambda t=text: t in fake.texts(fatma.id), fake)
    return greet, fatma, ayse, hatice


async def test_a_message_that_replies_to_nothing_is_sent_by_its_button(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet, fatma, ayse, hatice = await fatma_holds_two_questions(chat, fake, db, clock)

    # A voice note recorded straight into the chat: not sent, and said so.
    [told] = await fatma.sends("voice")
    assert told["text"] == NOT_SENT
    voice_id = told["reply_to_message"]["message_id"]
    buttons = fake.inline_buttons(told)
    assert [label for label, _d in buttons] == ["➡️ #1 Ayşe · 🏫 School", "➡️ #2 Hatice · 🏫 School"]
    assert await answers_count(db) == 0
    assert not any("voice" in m for m in fake.transcript(ayse.id))

    # Its button sends it to Ayşe, as a reply would; a second tap sends nothing more.
    await fatma.taps(data=buttons[0][1])
    assert fake.message(fatma.id, told["message_id"])["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: any("voice" in m for m in fake.transcript(ayse.id)), fake)
    assert await fatma.presses(told, buttons[0][1]) == []
    # The same message for Hatice too: refused, it went to Ayşe.
    assert await fatma.presses(told, buttons[1][1]) == [
        "Dit bericht is al naar een andere ouder verstuurd."]
    assert await answers_count(db) == 1
    assert not any("voice" in m for m in fake.transcript(hatice.id))

    # A reply to her own answer adds to it: it reaches Ayşe.
    mine = next(m for m in fake.history(fatma.id) if m["message_id"] == voice_id)
    [sent] = await fatma.says("En neem de brief mee.", reply_to=mine)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: "En neem de brief mee." in fake.texts(ayse.id), fake)

    # A colleague's message cannot be sent through Fatma's question: not theirs.
    mehmet = await join_team(chat, greet, 9302, "Mehmet", {"nl", "tr"}, db)
    [told] = await mehmet.says("Hallo?")
    assert told["text"].startswith("⚠️ Dit is naar niemand verstuurd.\nOm een ouder te")
    assert not fake.inline_buttons(told)  # he holds no question
    # (A forged press: his message is not what this prompt was about, it has no buttons.)
    alerts = await mehmet.presses(told, f"qa:1:{told['message_id'] - 1}")
    assert alerts == ["Deze knop werkt niet meer."]
    assert await answers_count(db) == 2


async def test_inbox_puts_the_questions_waiting_for_an_answer_first(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    _greet, fatma, ayse, _hatice = await fatma_holds_two_questions(chat, fake, db, clock)
    copy = [m for m in fake.transcript(fatma.id) if m.get("text") == "Yarın okul var mı?"][-1]
    await fatma.says("Ja.", reply_to=copy)
    [listing] = [m for m in await fatma.says("/inbox") if m.get("text")]
    lines = listing["text"].split("\n")
    assert lines[0] == "Je open vragen: eerst die op je antwoord wachten, dan de oudste."
    assert lines[2].startswith("🆕 nog geen antwoord · #2 · Hatice")
    assert lines[3].startswith("✅ · #1 · Ayşe")
    await wait_until(lambda: "Ja." in fake.texts(ayse.id), fake)
    await ayse.says("Saat kaçta?")
    await wait_until(lambda: "Saat kaçta?" in fake.texts(fatma.id), fake)
    [listing] = [m for m in await fatma.says("/inbox") if m.get("text")]
    assert listing["text"].split("\n")[2].startswith("💬 schreef opnieuw · #1 · Ayşe")


async def test_a_hand_over_to_someone_off_now_says_when_they_see_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9304, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    # Ahmet is off on Mondays: green from Tuesday 09:00.
    off_monday = AvailabilityMap("r" * 24 + ("r" * 9 + "g" * 8 + "r" * 7) * 4 + "r" * 48)
    ahmet = await join_team(chat, greet, 9305, "Ahmet", {"nl", "tr"}, db,
                            availability=off_monday)
    assert off_monday.level_at(MONDAY_10) is Level.RED
    ayse = await onboard(chat, 9315, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Yarın okul var mı?" in fake.texts(fatma.id), fake)
    card = next(m for m in fake.transcript(fatma.id) if "qs:1:take" in
                [d for _l, d in fake.inline_buttons(m)])
    await fatma.presses(card, "qs:1:hand")
    ahmet_id = next(d for label, d in fake.inline_buttons(fake.message(fatma.id,
                                                                       card["message_id"]))
                    if "Ahmet" in label)
    await fatma.presses(card, ahmet_id)
    text = fake.message(fatma.id, card["message_id"])["text"]
    assert text.endswith("↪️ Overgedragen aan Ahmet. Ahmet is nu niet beschikbaar en ziet ze "
                         "pas op dinsdag 24 november 2026 om 09:00.")
    assert datetime(2026, 11, 24, 8, 0, tzinfo=UTC) > clock.moment
    assert not any("Yarın okul var mı?" in t for t in fake.texts(ahmet.id))
