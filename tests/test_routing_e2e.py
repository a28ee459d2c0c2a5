"""Routing seen by the team: in the lunch hour the school's own contact keeps its questions."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def test_a_lunch_hour_question_goes_to_the_schools_contact_when_all_are_orange(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma is Het Wijdeland's fixed contact, Mehmet a Turkish-speaking colleague; both have
    the usual map (12:00–13:00 orange). Fatma already holds one question. Ayşe asks at
    12:30: nobody is green, both are green again at 13:00. The school's own contact (the
    trusted neighbour the parent knows) must get it, as at 10:00 or at night."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9704, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    await join_team(chat, greet, 9705, "Mehmet", {"nl", "tr"}, db)
    hatice = await onboard(chat, 9714, "Hatice", "tr", "wijdeland")
    await hatice.says("Toplantı ne zaman?")
    await hatice.picks_topic("school")
    await wait_until(lambda: "Toplantı ne zaman?" in fake.texts(fatma.id), fake)

    clock.moment = MONDAY_10 + timedelta(hours=2, minutes=30)  # 12:30 in Brussels
    ayse = await onboard(chat, 9715, "Ayşe", "tr", "wijdeland")
    await ayse.says("Yarın okul var mı?")
    told = await ayse.picks_topic("school")
    _first, second = await question_rows(db)
    assert second.assignee_id == await staff_id(db, fatma.id), told[-1]["text"]
