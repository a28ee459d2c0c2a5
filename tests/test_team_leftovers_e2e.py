"""What a brugfiguur leaves behind when her place in the team changes: an old card swiped
after she left the team, a question held for her in a language she takes away."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import BRUSSELS
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_held_cards_e2e import a_wednesday_night, pending_to
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id

# --------------------------------------------------------------------------------------------
# Leaving the team


async def test_an_old_card_swiped_after_leaving_the_team_is_not_taken_as_her_own_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma holds Ayşe's question when the coordinator takes her off the team (🚪): the
    question goes to the coordinator. That evening, from habit, she swipes Ayşe's old
    message and types "Ja, gewoon open." It is no question of hers (no "what is your question
    about?", no draft), nothing reaches Ayşe, and she reads that she is no longer in the
    team, nothing was sent, and the question is with the coordinator now."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9881, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9891, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Yarın okul açık mı?")
    await wait_until(lambda: "Yarın okul açık mı?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id) if m.get("text") == "Yarın okul açık mı?"][-1]
    fatma_id = await staff_id(db, fatma.id)
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps(data=f"team:s:{fatma_id}:rm")
    await greet.taps(data=f"team:s:{fatma_id}:rmok")
    await wait_until(lambda: fake.texts(fatma.id)[-1].startswith("🚪"), fake)
    ayse_saw = len(fake.transcript(ayse.id))

    clock.moment = MONDAY_10 + timedelta(hours=9)  # 19:00, on her phone
    replies = [m.get("text", "") for m in await fatma.says("Ja, gewoon open.", reply_to=copy)]
    await fake.wait_idle()
    assert not any("Waarover gaat je vraag?" in t for t in replies), replies
    assert len(await question_rows(db)) == 1  # Ayşe's; no question of Fatma's
    assert any("Er is niets verstuurd" in t for t in replies), replies
    assert replies == ["🚪 Je zit niet meer in het team. Er is niets verstuurd naar de ouder.\n"
                       "Deze vraag ligt nu bij de coördinator."]
    assert fake.transcript(ayse.id)[ayse_saw:] == []


async def test_her_own_question_still_goes_on_after_she_left_the_team(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Off the team, she is a parent: a message she sends without replying to anything is a
    question of hers, as for any parent (the old cards are not in the way)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9883, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    fatma_id = await staff_id(db, fatma.id)
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps(data=f"team:s:{fatma_id}:rm")
    await greet.taps(data=f"team:s:{fatma_id}:rmok")
    await wait_until(lambda: fake.texts(fatma.id)[-1].startswith("🚪"), fake)

    replies = [m.get("text", "") for m in await fatma.says("Wanneer is het schoolfeest?")]
    assert any("Waarover gaat je vraag?" in t for t in replies), replies


# --------------------------------------------------------------------------------------------
# Languages corrected while a question waits


async def test_a_card_held_for_fatma_is_not_kept_for_her_once_she_says_she_does_not_read_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """When Fatma joined, Turkish was ticked for her by mistake: she speaks only Dutch.
    Wednesday 22:00 Ayşe's Turkish question comes in; nobody is green, so it waits for
    Fatma, Het Wijdeland's contact, on Thursday at 09:00. At 22:30 Fatma takes Turkish away
    in /languages: the question, which she never saw, goes to Mehmet, who reads Turkish and
    starts at 09:00 too; nothing of it comes to Fatma, and she is told it was handed over."""
    clock.moment = a_wednesday_night()
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9961, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9962, "Mehmet", {"nl", "tr"}, db)
    fatma_id = await staff_id(db, fatma.id)
    ayse = await onboard(chat, 9971, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın veli toplantısı kaçta?")
    await ayse.picks_topic("school")
    [question] = await question_rows(db)
    assert question.assignee_id == fatma_id and await pending_to(db, fatma.id)

    clock.moment += timedelta(minutes=30)
    await fatma.says("/languages")
    await fatma.taps(data=f"team:l:{fatma_id}:tr:off")
    assert fatma.alerts() == ["↪️ Türkçe: 1 vraag die nog niet gezien was, is overgedragen."]
    await fatma.taps(data=f"team:l:{fatma_id}:ok")
    [question] = await question_rows(db)
    waiting = [r.dedupe_key for r in await pending_to(db, fatma.id)
               if r.group_key == f"q:{question.id}"]
    assert question.assignee_id != fatma_id and waiting == [], waiting

    assert question.assignee_id == await staff_id(db, mehmet.id)
    morning = (clock.moment + timedelta(days=1)).astimezone(BRUSSELS).replace(hour=9, minute=0)
    held = [r for r in await pending_to(db, mehmet.id) if r.group_key == f"q:{question.id}"]
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in held] == ["card", "m1"]
    assert all(r.not_before == morning for r in held), [r.not_before for r in held]
