"""A parent who joins the team with an invite link is set up as a new brugfiguur is, and
keeps their own question going."""

from __future__ import annotations

import re

from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def test_a_signed_up_parent_who_joins_the_team_is_asked_their_languages(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Hatice used the bot as a Turkish-speaking parent; now she joins the team. A new
    brugfiguur who signs up with the link is asked their languages (and pointed at
    /availability); Hatice must be too, or she is routed Turkish questions only, never Dutch
    ones, without knowing why."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    hatice = await onboard(chat, 9717, "Hatice", "tr", "wijdeland")
    hatice_id = await staff_id(db, hatice.id)
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    replies = await hatice.says(f"/start staff_{token[1]}")
    shown = [data for m in replies for _label, data in fake.inline_buttons(m)]
    assert f"team:l:{hatice_id}:nl:on" in shown, [m.get("text") for m in replies]


async def test_a_parent_who_joins_the_team_can_still_reply_on_their_own_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Hatice asked Fatma about her son's school; Fatma answered. The same week Hatice joins
    the team as a brugfiguur (an invite link). She replies to Fatma's answer with a further
    question about her own child: it must reach Fatma, not be refused with "This question is
    now with Fatma. Nothing was sent." (it is her own question)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9703, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    hatice = await onboard(chat, 9713, "Hatice", "tr", "wijdeland")
    await hatice.says("Oğlum için okul servisi var mı?")
    await hatice.picks_topic("school")
    await wait_until(lambda: "Oğlum için okul servisi var mı?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id)
            if m.get("text") == "Oğlum için okul servisi var mı?"][-1]
    await fatma.says("Ja, vanaf de kerk om 8u.", reply_to=copy)
    await wait_until(lambda: "Ja, vanaf de kerk om 8u." in fake.texts(hatice.id), fake)
    await outbox_settled(db, hatice.id)
    answer = [m for m in fake.transcript(hatice.id)
              if m.get("text") == "Ja, vanaf de kerk om 8u."][-1]

    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    await hatice.says(f"/start staff_{token[1]}")
    [question] = await question_rows(db)
    assert question.status == "open"

    replies = await hatice.says("Peki dönüşte de var mı?", reply_to=answer)
    assert not any("Er is niets verstuurd" in m.get("text", "") or "gönderilmedi"
                   in m.get("text", "") for m in replies), [m.get("text") for m in replies]
    await wait_until(lambda: "Peki dönüşte de var mı?" in fake.texts(fatma.id), fake)
