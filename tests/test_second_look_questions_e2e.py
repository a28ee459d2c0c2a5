"""A second look at the day's fixes to questions (commits 8ebb33b, df5f2b8, 84c5e13): what
they could break for a brugfiguur, a coordinator or a parent. Each test was a defect the fixes
brought in or left half done, all fixed since.

The tests of the outbox sender's red-hour hold use days three weeks after the real today (as
tests/test_red_zone_e2e.py does): the sender claims rows by the wall clock, the bot decides
hours by the test's clock."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from storage.db import Database
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id
from tests.test_red_zone_e2e import a_day_ahead, reached_within


def bot_copy(fake: FakeTelegram, chat_id: int, text: str) -> dict[str, Any]:
    """The newest message of the bot in this chat with this text (a copy of a parent's)."""
    return [m for m in fake.transcript(chat_id) if m.get("text") == text][-1]


def card_of(fake: FakeTelegram, chat_id: int, number: int) -> dict[str, Any]:
    return [m for m in fake.transcript(chat_id)
            if (m.get("text") or "").startswith(f"❓ Vraag {number}\n")][-1]


def cards_in(fake: FakeTelegram, chat_id: int, number: int) -> list[str]:
    return [t for t in fake.texts(chat_id) if t.startswith(f"❓ Vraag {number}\n")]


async def joins_as_brugfiguur(greet: Talker, member: Talker) -> None:
    """Someone who signed up as a parent joins the team with an /invite link."""
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    await member.says(f"/start staff_{token[1]}")
    await member.taps("Türkçe")  # the languages she speaks with parents
    await member.taps("Klaar")


# --------------------------------------------------------------------------------------------
# ➡️ (qa:) must match the message its prompt replied to (8ebb33b)


async def test_the_tap_offered_for_a_parents_new_question_sends_the_answer_there(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 62001, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, 62011, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul servisi yarın var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul servisi yarın var mı?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    old_copy = bot_copy(fake, fatma.id, "Okul servisi yarın var mı?")
    await fatma.says("Ja, om 8u aan de poort.", reply_to=old_copy)
    await wait_until(lambda: "Ja, om 8u aan de poort." in fake.texts(ayse.id), fake)
    [first] = await question_rows(db)
    await fatma.presses(card_of(fake, fatma.id, first.id), f"qs:{first.id}:close")
    await wait_until(lambda: any(t.startswith("Sorunuz kapatıldı.")
                                 for t in fake.texts(ayse.id)), fake)

    # The next morning Ayşe asks something new; Fatma swipes the old message by mistake.
    clock.moment += timedelta(hours=20)
    await ayse.says("Okul gezisi ne zaman?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    [told] = await fatma.says("Vrijdag 12 december, neem een lunchpakket mee.",
                              reply_to=old_copy)
    offered = [d for _label, d in fake.inline_buttons(told) if d.startswith("qa:")]
    assert len(offered) == 1, told  # "Ayşe has a new question open. Tap it..."
    alerts = await fatma.presses(told, offered[0])
    await outbox_settled(db)
    await fake.wait_idle()
    assert "Vrijdag 12 december, neem een lunchpakket mee." in fake.texts(ayse.id), (
        alerts, fake.texts(fatma.id)[-1])


async def test_a_page_of_the_which_parent_prompt_still_sends(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Guard: the ordinary ➡️ under "not sent to anyone" works with the new check."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 62101, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, 62111, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul servisi yarın var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul servisi yarın var mı?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    [told] = await fatma.says("Ja, om 8u.")
    [choice] = [d for _label, d in fake.inline_buttons(told) if d.startswith("qa:")]
    await fatma.presses(told, choice)
    await wait_until(lambda: "Ja, om 8u." in fake.texts(ayse.id), fake)


# --------------------------------------------------------------------------------------------
# hand-over to whoever has it already (df5f2b8)


async def test_a_stale_hand_over_to_the_coordinator_who_has_it_sends_nothing_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 62201, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    await join_team(chat, greet, 62202, "Mehmet", {"nl", "tr"}, db)
    ayse = await onboard(chat, 62211, "Ayşe", "tr", "wijdeland")
    await ayse.says("Elektrik faturası çok yüksek.")
    await ayse.picks_topic("money")
    await wait_until(lambda: "Elektrik faturası çok yüksek." in fake.texts(fatma.id), fake)
    await outbox_settled(db)
    [question] = await question_rows(db)

    # Greet opens the hand-over list from /queue...
    await greet.says("/queue")
    await greet.taps(data=f"qs:{question.id}:pick")
    choices = fake.transcript(greet.id)[-1]
    assert f"qs:{question.id}:to:0" in [d for _label, d in fake.inline_buttons(choices)]
    # ...meanwhile Fatma, who does not know about money matters, hands it to the coordinator.
    card = card_of(fake, fatma.id, question.id)
    await fatma.presses(card, f"qs:{question.id}:hand")
    await fatma.presses(card, f"qs:{question.id}:to:0")
    await wait_until(lambda: len(cards_in(fake, greet.id, question.id)) == 1, fake)
    await outbox_settled(db)

    clock.moment += timedelta(seconds=5)
    await greet.presses(choices, f"qs:{question.id}:to:0")
    await outbox_settled(db)
    await fake.wait_idle()
    assert len(cards_in(fake, greet.id, question.id)) == 1, cards_in(fake, greet.id,
                                                                      question.id)
    assert fake.texts(greet.id).count("Elektrik faturası çok yüksek.") == 1


# --------------------------------------------------------------------------------------------
# the outbox sender's red-hour hold (84c5e13)


async def test_the_answer_to_a_brugfiguurs_own_question_as_a_parent_is_not_held(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = a_day_ahead(0, 16)  # a Monday, 16:00
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 62301, "Mehmet", {"nl", "tr"}, db,
                             contact_of="wijdeland")
    fatma = await onboard(chat, 62311, "Fatma", "nl", "wijdeland")  # her son's school
    await fatma.says("Is er woensdag opvang na de middag?")
    await fatma.picks_topic("childcare")
    await wait_until(lambda: "Is er woensdag opvang na de middag?" in fake.texts(mehmet.id),
                     fake)
    await outbox_settled(db)
    await joins_as_brugfiguur(greet, fatma)  # she starts working for the Brede School

    clock.moment = a_day_ahead(0, 17, 30)  # Mehmet finishes his day with her answer
    since = len(fake.calls)
    await mehmet.says("Ja, tot 18u in de refter.",
                      reply_to=bot_copy(fake, mehmet.id, "Is er woensdag opvang na de middag?"))
    reached = await reached_within(fake, fatma.id, since, 5)
    assert [c for c in reached if c.method == "copyMessage"], (
        "the answer to her own question did not reach Fatma")


async def test_what_she_asks_for_in_a_red_hour_is_not_pushed_behind_a_held_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = a_day_ahead(4, 16, 59, 58)  # a Friday; Fatma is red from 17:00
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 62401, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, 62411, "Ayşe", "tr", "wijdeland")
    fake.fail_next("sendMessage", 429, retry_after=4, chat_id=fatma.id)
    await ayse.says("Okul servisi yarın var mı?")
    await ayse.says("Saat kaçta?")
    await ayse.says("Ben çalışıyorum.")
    await ayse.picks_topic("school")
    await wait_until(lambda: any(c.error_code == 429 for c in fake.calls_of(
        "sendMessage", fatma.id)), fake)

    # 17:00:01, red for Fatma; she still looks at her inbox and opens Ayşe's new question.
    clock.moment += timedelta(seconds=3)
    [question] = await question_rows(db)
    [inbox] = await fatma.says("/inbox")
    assert f"qs:{question.id}:show" in [d for _label, d in fake.inline_buttons(inbox)]
    since = len(fake.calls)
    await fatma.presses(inbox, f"qs:{question.id}:show")
    for _tick in range(120):  # what she asked for, as fast as Telegram allows (flood
        if "Ben çalışıyorum." in fake.texts(fatma.id):  # control's 4 s, a message a second)
            break
        await asyncio.sleep(0.1)
    shown = [c.params.get("text", c.method)[:20] for c in fake.calls[since:]
             if c.chat_id == fatma.id and c.ok]
    assert "Ben çalışıyorum." in fake.texts(fatma.id), shown


# --------------------------------------------------------------------------------------------
# a map saved while a card waits (84c5e13)


async def test_a_card_held_for_the_coordinator_comes_when_she_makes_the_hour_green_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = a_day_ahead(2, 14)  # a Wednesday, 14:00
    greet = await coordinator_of(chat)
    greet_id = await staff_id(db, COORDINATOR_ID)
    await greet.says("/availability")
    await greet.taps(data=f"team:a:{greet_id}:2")
    await greet.taps(data=f"team:a:{greet_id}:2:r")  # her free Wednesday
    await greet.taps(data=f"team:a:{greet_id}")
    await greet.taps(data=f"team:a:{greet_id}:ok")

    harpreet = await onboard(chat, 62711, "Harpreet", "pa", "klimop")
    await harpreet.says("ਸਕੂਲ ਦੀ ਚਿੱਠੀ ਸਮਝ ਨਹੀਂ ਆਈ")
    await harpreet.picks_topic("letter")
    [question] = await question_rows(db)
    await fake.wait_idle(quiet=1.0)
    assert cards_in(fake, COORDINATOR_ID, question.id) == []  # held: her red day (holds)

    # A colleague is ill: Greet works this Wednesday after all.
    await greet.says("/availability")
    await greet.taps(data=f"team:a:{greet_id}:2")
    await greet.taps(data=f"team:a:{greet_id}:2:g")
    await greet.taps(data=f"team:a:{greet_id}")
    await greet.taps(data=f"team:a:{greet_id}:ok")
    for _tick in range(80):
        if cards_in(fake, COORDINATOR_ID, question.id):
            break
        await asyncio.sleep(0.1)
    assert cards_in(fake, COORDINATOR_ID, question.id), "the card still waits for Thursday"
