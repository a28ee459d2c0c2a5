"""A second look at the day's changes for the team, the coordinator and the activity editor
(a reviewer of the diff): a team translation meanwhile makes an open edit's Save refuse;
/cancel of an edit says the new activity still waits; the coordinator's 👍 on a question she
held and closed reaches the parent; a brugfiguur hears of new hours however the coordinator
leaves the map, and not after she left the team; the report's erasure line counts only
parents with answers that month."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from storage.db import Database
from storage.models import OutboxMessage, Question
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_activity_edit_e2e import open_edit
from tests.test_activity_flow_e2e import drafts, open_activity_for_all_schools
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, staff_id
from tests.test_team_translation_e2e import ACTIVITY, GREEN, texts_of

# --- the activity editor ------------------------------------------------------------------


async def test_saving_an_edit_opened_before_a_team_translation_keeps_the_translation(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    mehmet = await join_team(chat, greet, 9301, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)

    def request() -> dict | None:
        return next((m for m in fake.transcript(mehmet.id)
                     if m.get("text", "").startswith("🙋")
                     and "Knutselnamiddag voor Sinterklaas" in m["text"]), None)

    await wait_until(lambda: request() is not None, fake)
    # The coordinator opens the activity to look at it (or change its place)...
    _summary, draft_id = await open_edit(fake, greet, db, ACTIVITY)
    # ... Mehmet's translation comes in meanwhile ...
    [thanks] = await mehmet.says("Sinterklaas için el işi\nBirlikte bir ayakkabı süslüyoruz.",
                                 reply_to=request())
    assert thanks["text"].startswith("✅"), thanks["text"]
    assert (await texts_of(db, ACTIVITY))["tr"].title == "Sinterklaas için el işi"
    # ... and she saves her edit.
    await greet.taps(data=f"ad:{draft_id}:save")
    texts = await texts_of(db, ACTIVITY)
    assert "tr" in texts and texts["tr"].title == "Sinterklaas için el işi", (
        fake.texts(greet.id)[-2:])


async def test_cancel_during_an_edit_leaves_no_silent_draft_behind(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    await open_activity_for_all_schools(greet)
    await greet.taps("za 28 nov")
    await greet.says("14:00")
    [ask] = await greet.says("16:00")
    assert ask["text"].startswith("Waar vindt het plaats?")

    # She looks at a planned activity and begins to change its place, then thinks better.
    _summary, draft_id = await open_edit(fake, greet, db, ACTIVITY)
    await greet.taps(data=f"ad:{draft_id}:e:place")
    replies = await greet.says("/cancel")
    stopped = [r.get("text", "") for r in replies]
    assert any(text.startswith("✖️ Gestopt") for text in stopped), stopped

    # A word typed afterwards, meant for no activity.
    later = [r.get("text", "") for r in await greet.says("Bibliotheek morgen dicht")]
    new = [d for d in await drafts(db) if d.activity_id is None]
    told = any("wacht nog" in text for text in stopped)
    assert told or not any(text.startswith("Het adres van de plek?") for text in later), (
        stopped, later, [(d.awaiting, d.data) for d in new])


# --- reactions ------------------------------------------------------------------------------


async def test_the_coordinator_holding_a_closed_question_may_still_react(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    from tests.test_reactions_and_places_e2e import reaction

    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    els = await onboard(chat, 9311, "Els", "nl", "vlindertje")
    await els.says("Wanneer is het oudercontact?")
    await els.picks_topic("school")
    await wait_until(
        lambda: "Wanneer is het oudercontact?" in fake.texts(COORDINATOR_ID), fake)
    copy = [m for m in fake.transcript(COORDINATOR_ID)
            if m.get("text") == "Wanneer is het oudercontact?"][-1]
    await greet.says("Donderdag om 16 uur.", reply_to=copy)
    await wait_until(lambda: "Donderdag om 16 uur." in fake.texts(els.id), fake)
    async with db.session() as session:
        question_id = await session.scalar(select(Question.id))
    await greet.taps(data=f"qs:{question_id}:close")
    await fake.wait_idle(quiet=0.2)

    update = reaction(fake, greet, copy["message_id"], ["👍"])
    assert greet.handled is not None
    await greet.handled.wait(update["update_id"])
    await fake.wait_idle(quiet=0.2)
    original = next(m for m in fake.history(els.id)
                    if m.get("text") == "Wanneer is het oudercontact?"
                    and not m["from"]["is_bot"])
    assert fake.reactions(els.id).get(original["message_id"]) == ["👍"], fake.reactions(els.id)


# --- the team --------------------------------------------------------------------------------


async def test_a_brugfiguur_hears_of_new_hours_when_the_coordinator_just_leaves_the_map(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    harpreet = await join_team(chat, greet, 9321, "Harpreet", {"nl", "pa"}, db,
                               availability=GREEN)
    mehmet = await join_team(chat, greet, 9322, "Mehmet", {"nl", "tr"}, db)
    harpreet_id, mehmet_id = await staff_id(db, harpreet.id), await staff_id(db, mehmet.id)
    seen = len(fake.texts(harpreet.id))
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{harpreet_id}")
    await greet.taps(data=f"team:a:{harpreet_id}")
    await greet.taps(data=f"team:a:{harpreet_id}:2")  # Wednesday
    await greet.taps(data=f"team:a:{harpreet_id}:2:18")  # 18:00 cycled to another colour
    # Done with her: on to a colleague's card from a fresh /staff.
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{mehmet_id}")
    await fake.wait_idle(quiet=0.3)
    assert any("je uren veranderd" in text for text in fake.texts(harpreet.id)[seen:]), (
        fake.texts(harpreet.id)[seen:])


# Weeks after the tests' usual days: the sender holds rows by the wall clock, which must not
# have passed her next green hour yet.
MONDAY_10_LATER = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
MONDAY_20_LATER = datetime(2027, 1, 11, 19, 0, tzinfo=UTC)  # 20:00: red in the usual map


async def test_a_removed_brugfiguur_gets_no_notice_of_changed_hours_afterwards(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    from bot.scheduler.outbox import wake

    clock.moment = MONDAY_10_LATER
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9331, "Fatma", {"nl", "tr"}, db)
    fatma_id = await staff_id(db, fatma.id)
    await fake.wait_idle(quiet=0.2)
    seen = len(fake.texts(fatma.id))
    clock.moment = MONDAY_20_LATER
    await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps(data=f"team:a:{fatma_id}")
    await greet.taps(data=f"team:a:{fatma_id}:2")
    await greet.taps(data=f"team:a:{fatma_id}:2:10")
    await greet.taps(data=f"team:a:{fatma_id}")
    await greet.taps(data=f"team:s:{fatma_id}")  # back on her card: the notice is made
    await fake.wait_idle(quiet=0.3)
    assert fake.texts(fatma.id)[seen:] == []  # it waits for her morning
    await greet.taps(data=f"team:s:{fatma_id}:rm")
    await greet.taps(data=f"team:s:{fatma_id}:rmok")

    # Tuesday morning, her first green hour: what still waits for her is due.
    async with db.session() as session:
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.chat_id == fatma.id, OutboxMessage.status == "pending")
            .values(not_before=datetime.now(UTC)))
        await session.commit()
    assert chat.handled is not None and chat.handled.app is not None
    wake(chat.handled.app)
    await wait_until(lambda: any(t.startswith("🚪") for t in fake.texts(fatma.id)), fake)
    await fake.wait_idle(quiet=0.3)
    got = fake.texts(fatma.id)[seen:]
    assert not any("je uren veranderd" in text for text in got), got


# --- the monthly report ----------------------------------------------------------------------


async def test_a_parent_who_joined_after_the_month_is_not_said_to_be_missing_from_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    greet = await coordinator_of(chat)
    fatma = await onboard(chat, 9341, "Fatma", "tr", "wijdeland")  # joins in December
    clock.moment = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    await fatma.says("/forget")
    await fatma.taps(data="forget:yes")

    photo, *_files = await greet.says("/report 2026-11")
    caption = photo["caption"].splitlines()
    assert len(caption) == 3, caption
