"""The coordinator on a busy Monday: a broadcast that reaches nobody is not recorded as sent,
and removing a school's contact says which school has nobody now."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.db import Database
from storage.models import Broadcast
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import MONDAY_10, join_team
from tests.test_team_e2e import current_text, profile_of


async def test_a_broadcast_that_reaches_nobody_is_not_recorded_as_sent(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Between the draft and the confirmation the only parent used /stop: the confirmation
    asks 'to 0 parents?', and 'yes' says nobody matches. That must stay the last word."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7901, "Els", "nl", "vlindertje")
    [draft] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await els.says("/stop")
    await greet.taps("✅ Ja, nu versturen")
    await asyncio.sleep(4.5)  # two rounds of the progress job (every 2 s)
    await fake.wait_idle()
    shown = fake.message(greet.id, draft["message_id"])
    assert shown is not None
    assert shown["text"].startswith("Niemand"), shown["text"]
    assert not any(t.startswith("Het rondsturen is klaar") for t in fake.texts(greet.id))
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and row.status not in ("sending", "done")


async def test_removing_a_schools_contact_says_which_school_has_nobody_now(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 8501, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    await join_team(chat, greet, 8502, "Mehmet", {"nl", "tr"}, db)
    fatma_id = (await profile_of(db, 8501)).id
    [screen] = await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps("🚪 Uit het team halen")
    question = current_text(fake, screen)
    await greet.taps("🚪 Ja, haal Fatma eruit")
    done = current_text(fake, screen).split("\n\n", 1)[0]
    # Before or after: the coordinator learns Het Wijdeland has no fixed contact any more.
    assert "Wijdeland" in question or "Wijdeland" in done, (question, done)
    assert ("⚠️ Freinetschool Het Wijdeland (Brustem) heeft nu geen vaste contactpersoon. "
            "Tik op 🏫 Scholen koppelen om er een te kiezen.") in done, done
