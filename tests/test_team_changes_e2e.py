"""Managing the team (found by a reviewer): someone taken off the team gets no way back in by
her old invite link, and neither her translation nor her reaction reaches anyone; what she
gets as a parent still comes; the coordinators hear when a link is used; a brugfiguur hears
when the coordinator changed her hours or languages."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.services import staff
from bot.services.availability import Level
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def removed(greet: Talker, member: Talker, fake: FakeTelegram, db: Database) -> None:
    """The coordinator takes ``member`` off the team from /staff (🚪, confirmed)."""
    member_id = await staff_id(db, member.id)
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{member_id}")
    await greet.taps(data=f"team:s:{member_id}:rm")
    await greet.taps(data=f"team:s:{member_id}:rmok")
    await wait_until(lambda: fake.texts(member.id)[-1].startswith("🚪"), fake)


async def invite_token(greet: Talker) -> str:
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    return token[1]


async def test_a_removed_brugfiguur_tapping_her_old_invite_link_is_not_welcomed_back(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    token = await invite_token(greet)
    fatma = chat.person(9101, "Fatma", "nl")
    await fatma.says(f"/start staff_{token}")
    await fatma.taps("Nederlands")
    await fatma.taps(data="privacy:ok")
    await removed(greet, fatma, fake, db)

    replies = [m.get("text", "") for m in await fatma.says(f"/start staff_{token}")]
    menu = [c.params["commands"] for c in fake.calls_of("setMyCommands")
            if c.params.get("scope") == {"type": "chat", "chat_id": fatma.id}][-1]
    assert "inbox" not in {c["command"] for c in menu}, "the team's menu again"
    assert not any("Welkom in het team" in t for t in replies), replies
    assert any("al gebruikt" in t for t in replies), replies


async def test_a_translation_sent_after_leaving_the_team_is_not_taken_as_his_question(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    from tests.test_programme_e2e import coordinator_with_programme
    from tests.test_team_translation_e2e import GREEN

    greet = await coordinator_with_programme(chat)
    mehmet = await join_team(chat, greet, 9111, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)

    def request() -> dict | None:
        return next((m for m in fake.transcript(mehmet.id)
                     if m.get("text", "").startswith("🙋")
                     and "Knutselnamiddag voor Sinterklaas" in m["text"]), None)

    await wait_until(lambda: request() is not None, fake)
    await removed(greet, mehmet, fake, db)

    replies = [m.get("text", "") for m in await mehmet.says(
        "Sinterklaas için el işi\nBirlikte bir ayakkabı süslüyoruz.", reply_to=request())]
    assert not any("Waarover gaat je vraag?" in t for t in replies), replies
    assert await question_rows(db) == []
    assert any("niet meer in het team" in t for t in replies), replies


async def test_a_reaction_of_someone_off_the_team_does_not_reach_the_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    from tests.test_reactions_and_places_e2e import reaction

    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9121, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9131, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Yarın okul açık mı?")
    await wait_until(lambda: "Yarın okul açık mı?" in fake.texts(fatma.id), fake)
    copy = [m for m in fake.transcript(fatma.id) if m.get("text") == "Yarın okul açık mı?"][-1]
    await removed(greet, fatma, fake, db)

    update = reaction(fake, fatma, copy["message_id"], ["👍"])
    assert fatma.handled is not None
    await fatma.handled.wait(update["update_id"])
    await fake.wait_idle()
    assert fake.reactions(ayse.id) == {}


async def test_a_brugfiguur_taken_off_the_team_keeps_what_waits_for_her_as_a_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    from bot.scheduler.outbox import wake
    from tests.test_announcements_for_real_e2e import (
        CLOSED,
        DUTCH_ONLY,
        MONDAY_2130,
        TUESDAY_0830,
        send_from,
        skip_voices,
    )
    from tests.test_team_e2e import brugfiguur

    greet = await coordinator_of(chat)
    fatma, fatma_id = await brugfiguur(chat, db, 9141, "Fatma", "nl")  # a Klim-op mother
    els = await onboard(chat, 9142, "Els", "nl", "klimop")
    clock.moment = MONDAY_2130
    await greet.says("/announce")
    await greet.says(CLOSED)
    await greet.taps(DUTCH_ONLY)
    await greet.taps(DUTCH_ONLY)
    await send_from(greet, fake, await skip_voices(greet))
    assert not any("storm" in t for t in fake.texts(fatma.id))  # her quiet hours

    await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps(data=f"team:s:{fatma_id}:rm")
    await greet.taps(data=f"team:s:{fatma_id}:rmok")
    assert (await staff_person_role(db, fatma.id)) == "parent"
    dropped = await dropped_for(db, fatma.id)

    clock.moment = TUESDAY_0830
    assert chat.handled is not None and chat.handled.app is not None
    wake(chat.handled.app)
    await wait_until(lambda: any("storm" in t for t in fake.texts(els.id)), fake)
    await fake.wait_idle(quiet=0.3)
    assert any("storm" in t for t in fake.texts(fatma.id)), dropped


async def staff_person_role(db: Database, telegram_id: int) -> str:
    from tests.test_team_e2e import profile_of

    return (await profile_of(db, telegram_id)).role


async def dropped_for(db: Database, chat_id: int) -> list[tuple[str, str | None]]:
    """What the outbox dropped for that chat, with why."""
    async with db.session() as session:
        return [(row.dedupe_key, row.error) for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id,
                                        OutboxMessage.status == "dropped"))]


async def test_the_coordinator_hears_when_an_invite_link_is_used(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    token = await invite_token(greet)
    seen = len(fake.texts(greet.id))
    fatma = chat.person(9151, "Fatma", "tr")
    await fatma.says(f"/start staff_{token}")
    await fatma.taps("Türkçe")
    await fatma.taps(data="privacy:ok")
    fatma_id = await staff_id(db, fatma.id)
    await fatma.taps(data=f"team:l:{fatma_id}:nl:on")
    await fatma.taps(data=f"team:l:{fatma_id}:ok")
    await fake.wait_idle(quiet=0.3)
    assert any("Fatma" in t for t in fake.texts(greet.id)[seen:]), fake.texts(greet.id)[seen:]


async def test_a_brugfiguur_is_told_when_the_coordinator_changes_her_hours_or_languages(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    harpreet = await join_team(chat, greet, 9161, "Harpreet", {"nl", "pa"}, db)
    harpreet_id = await staff_id(db, harpreet.id)
    seen = len(fake.texts(harpreet.id))
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{harpreet_id}")
    await greet.taps(data=f"team:a:{harpreet_id}")
    await greet.taps(data=f"team:a:{harpreet_id}:2")  # Wednesday
    await greet.taps(data=f"team:a:{harpreet_id}:2:18")  # 18:00: red → green
    await greet.taps(data=f"team:a:{harpreet_id}")  # back to the week, then to her card
    await greet.taps(data=f"team:s:{harpreet_id}")
    await greet.taps(data=f"team:l:{harpreet_id}")
    await greet.taps(data=f"team:l:{harpreet_id}:tr:on")
    await greet.taps(data=f"team:l:{harpreet_id}:ok")
    async with db.session() as session:
        member = await staff.member(session, harpreet_id)
        assert member is not None and "tr" in member.languages
        assert member.availability.level(2, 18) is Level.GREEN
    await fake.wait_idle(quiet=0.3)
    assert fake.texts(harpreet.id)[seen:] != [], "Harpreet was told nothing"

