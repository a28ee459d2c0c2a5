"""Retention's edges: what the daily erasing and a /forget must not take (another parent of
the same name, a school named like a brugfiguur, a sign-up taken up again, a coordinator from
before COORDINATOR_IDS), every card of an erased parent redrawn, the notice's months.

Storage-level tests build their rows directly; the others drive the real Application against
the fake Bot API server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.handlers.texts import privacy_notice
from bot.i18n import use_locale
from bot.services import people as people_service
from bot.services import retention
from storage.db import Database
from storage.models import OutboxMessage, Person, utcnow
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_access import settle
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team
from tests.test_retention_e2e import BILL, card_of, run_housekeeping

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AYSE = 7_310_001
FATMA = 7_310_101
ZEYNEP = 7_310_201


async def add_person(db: Database, telegram_id: int, name: str, *, role: str = "parent",
                     step: str | None = None, onboarded: bool = True,
                     created_at: datetime = NOW) -> int:
    async with db.session() as session:
        person = Person(telegram_id=telegram_id, first_name=name, role=role, step=step,
                        created_at=created_at, onboarded_at=created_at if onboarded else None,
                        schools=[])
        session.add(person)
        await session.commit()
        return person.id


async def add_notice(db: Database, key: str, chat_id: int, person_id: int, text: str,
                     *, group_key: str | None = None) -> None:
    """A notice to a colleague that waits for her green hour (pending)."""
    async with db.session() as session:
        session.add(OutboxMessage(
            dedupe_key=key, chat_id=chat_id, person_id=person_id, kind="text",
            payload=json.dumps({"text": text, "always": True}, ensure_ascii=False,
                               separators=(",", ":")),
            group_key=group_key, status="pending", attempts=0,
            # Held by the real clock too (the outbox sender's): ten hours from the later.
            not_before=max(NOW, utcnow()) + timedelta(hours=10), created_at=NOW))
        await session.commit()


async def waiting_texts(db: Database, chat_id: int) -> list[str]:
    async with db.session() as session:
        payloads = await session.scalars(select(OutboxMessage.payload).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending"))
        return [json.loads(p).get("text", "") for p in payloads]


async def erase(db: Database, person_id: int) -> None:
    async with db.session() as session:
        await people_service.forget(session, person_id)
        await session.commit()


# --------------------------------------------------------------------------------------------
# /forget (and the retention's erasure) and the notices that name someone


async def test_a_notice_naming_anneke_stays_when_ann_forgets(db: Database) -> None:
    """A name inside a longer name is not hers (pinned: the notice goes to Mehmet)."""
    ann = await add_person(db, 7_310_301, "Ann", role="brugfiguur")
    mehmet = await add_person(db, 7_310_302, "Mehmet", role="brugfiguur")
    text = "🏫 Anneke is now the fixed contact of Het Wijdeland."
    await add_notice(db, "contact:1:2:99", 7_310_302, mehmet, text)
    await erase(db, ann)
    assert await waiting_texts(db, 7_310_302) == [text]


async def test_an_abandoned_sign_up_takes_no_notice_about_another_parent_of_her_name(
        db: Database) -> None:
    """Fatma (a parent) started signing up 40 days ago and never finished: the daily
    retention erases her. A notice to brugfiguur Mehmet that question 7 of another parent
    called Fatma went to a colleague has nothing to do with her, and must still reach him."""
    await add_person(db, 7_310_401, "Fatma", step="privacy", onboarded=False,
                     created_at=NOW - timedelta(days=40))
    mehmet = await add_person(db, 7_310_402, "Mehmet", role="brugfiguur")
    text = "↪️ Question 7 (Fatma) is now with Ayşe: you need not answer it."
    await add_notice(db, "q:7:moved:2:1700000000", 7_310_402, mehmet, text, group_key="q:7")
    async with db.session() as session:
        purged = await retention.purge(session, NOW, timedelta(days=180))
        await session.commit()
    assert purged.sign_ups == 1
    assert await waiting_texts(db, 7_310_402) == [text]


async def test_ritas_forget_keeps_a_colleagues_notice_about_the_school_sint_rita(
        db: Database) -> None:
    """Rita leaves the team with /forget. Mehmet became the contact of 'Vrije Kleuterschool
    Kabouterland, Sint-Rita' an hour ago and the notice waits for his green hour: it names
    the school, not Rita, and must still reach him."""
    rita = await add_person(db, 7_310_501, "Rita", role="brugfiguur")
    mehmet = await add_person(db, 7_310_502, "Mehmet", role="brugfiguur")
    text = ("🏫 You are now the fixed contact of Vrije Kleuterschool Kabouterland, Sint-Rita. "
            "Questions from its parents come to you first.")
    await add_notice(db, f"contact:5:{mehmet}:1234", 7_310_502, mehmet, text)
    await erase(db, rita)
    assert await waiting_texts(db, 7_310_502) == [text]


# --------------------------------------------------------------------------------------------
# the daily retention


async def test_a_parent_who_came_back_to_her_sign_up_today_is_not_erased_half_way(
        chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled) -> None:
    """Zeynep scanned the school's QR code 31 days ago and stopped there. Today she comes
    back, picks her language and reads the privacy notice; the bot's daily clean-up runs
    before she taps OK. Her OK must sign her up, not find her erased."""
    clock.moment = MONDAY_10
    await coordinator_of(chat)
    zeynep = chat.person(ZEYNEP, "Zeynep")
    await zeynep.says("/start s_wijdeland")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == ZEYNEP))
        assert row is not None
        row.created_at = MONDAY_10 - timedelta(days=31)
        await session.commit()
    await zeynep.taps("Türkçe")  # today: the privacy notice
    await run_housekeeping(bot)
    await zeynep.taps(data="privacy:ok")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == ZEYNEP))
    assert row is not None and row.onboarded_at is not None


async def test_the_coordinator_is_never_erased_as_an_abandoned_sign_up(
        db: Database, clock: FixedClock, bot: Handled) -> None:
    """Greet tried the bot (/start, no language chosen) before the operator put her id in
    COORDINATOR_IDS; she works as coordinator since, without ever finishing the parents'
    sign-up (the team's commands do not need it). The daily clean-up must not erase her nor
    the escalated card that waits for her."""
    clock.moment = NOW
    greet = await add_person(db, COORDINATOR_ID, "Greet", step="language", onboarded=False,
                             created_at=NOW - timedelta(days=60))
    await add_notice(db, "q:3:escalated:card", COORDINATOR_ID, greet,
                     "❓ Vraag 3 (escalated)", group_key="q:3")
    await run_housekeeping(bot)
    async with db.session() as session:
        still = await session.scalar(select(func.count()).select_from(Person).where(
            Person.telegram_id == COORDINATOR_ID))
    assert still == 1
    assert await waiting_texts(db, COORDINATOR_ID) == ["❓ Vraag 3 (escalated)"]


async def test_a_staff_member_or_finished_parent_is_never_erased_by_the_retention(
        db: Database) -> None:
    """Pinned: a brugfiguur, a coordinator row and an old onboarded parent stay."""
    await add_person(db, 7_310_601, "Fatma", role="brugfiguur", step="language",
                     onboarded=False, created_at=NOW - timedelta(days=90))
    await add_person(db, 7_310_602, "Greet", role="coordinator", step="language",
                     onboarded=False, created_at=NOW - timedelta(days=90))
    await add_person(db, 7_310_603, "Ayşe", created_at=NOW - timedelta(days=900))
    async with db.session() as session:
        purged = await retention.purge(session, NOW, timedelta(days=180))
        await session.commit()
        left = await session.scalar(select(func.count()).select_from(Person).where(
            Person.telegram_id.in_([7_310_601, 7_310_602, 7_310_603])))
    assert purged.sign_ups == 0 and left == 3


# --------------------------------------------------------------------------------------------
# a parent's /forget: every card of hers in the team's chats


async def test_every_card_of_a_forgetting_parent_is_redrawn_not_only_the_newest(
        chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock) -> None:
    """Fatma got Ayşe's card, then opened the question again from /inbox (a second card).
    After Ayşe's /forget no card in Fatma's chat shows her name."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, FATMA, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, AYSE, "Ayşe", "tr", "wijdeland")
    await ayse.says(BILL)
    await ayse.picks_topic("money")
    await wait_until(lambda: BILL in fake.texts(FATMA), fake)
    first = card_of(fake, FATMA, 1)
    assert "Ayşe" in first["text"]
    await fatma.says("/inbox")
    await fatma.taps(data="qs:1:show")

    def cards() -> list[dict]:
        return [m for m in fake.transcript(FATMA)
                if m.get("text", "").startswith("❓ Vraag 1\n")]

    await wait_until(lambda: len(cards()) >= 2, fake)
    await ayse.says("/forget")
    await ayse.taps(data="forget:yes")
    await settle(db, fake)
    for card in cards():
        now = fake.message(FATMA, card["message_id"])
        assert now is not None and "Ayşe" not in now["text"], now["text"]


# --------------------------------------------------------------------------------------------
# the privacy notice's months


def said_months(days: int) -> int:
    with use_locale("nl"):
        text = privacy_notice(days)
    found = re.search(r"(\d+) maand", text)
    assert found is not None, text
    return int(found[1])


@pytest.mark.parametrize("days", [45, 180])
def test_the_notice_never_says_a_question_goes_sooner_than_it_does(days: int) -> None:
    """Pinned: 45 days read as 2 months, 180 as 6: at least as long as kept."""
    assert said_months(days) * 30 >= days


@pytest.mark.parametrize("days", [400, 40])
def test_the_notice_does_not_promise_a_shorter_keeping_than_the_real_one(days: int) -> None:
    """QUESTION_RETENTION_DAYS=400: a closed question stays 400 days, more than 13 months;
    the notice must not tell parents it is gone after 13 (nor after 1 month for 40 days)."""
    assert said_months(days) * 30 >= days
