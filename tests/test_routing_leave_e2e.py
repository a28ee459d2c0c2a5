"""A brugfiguur on leave (her availability map all red) and a brugfiguur who is also a parent:
a question is never routed, escalated or handed to the one who asked it, nor left with a
colleague who has no hours at all (rule 4 passes them by, rule 5 takes it); a hand-over to
one says so; and what such a colleague holds goes to the coordinator when it waits.

From the review of a brugfiguur's week (its defects, fixed)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_question_housekeeping_e2e import run_housekeeping
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id


async def goes_on_leave(member: Talker, db: Database) -> None:
    """From her own chat: /availability, every day "All red", Done (three weeks' leave)."""
    member_id = await staff_id(db, member.id)
    await member.says("/availability")
    for day in range(7):
        await member.taps(data=f"team:a:{member_id}:{day}")
        await member.taps(data=f"team:a:{member_id}:{day}:r")
        await member.taps(data=f"team:a:{member_id}")
    await member.taps(data=f"team:a:{member_id}:ok")


async def rows_to(db: Database, chat_id: int, question_id: int) -> list[OutboxMessage]:
    """Every outbox row of the question for that chat, sent or waiting (the sender reads the
    real clock: a row held for a green hour may not be in the transcript yet)."""
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.group_key == f"q:{question_id}").order_by(OutboxMessage.id)))


async def asked_and_answered(fake: FakeTelegram, parent: Talker, holder: Talker,
                             asked: str, answer: str) -> dict[str, Any]:
    """The parent asks (topic: school), the holder answers by swiping the copy: the copy."""
    await parent.says("/ask")
    await parent.picks_topic("school")
    await parent.says(asked)
    await wait_until(lambda: asked in fake.texts(holder.id), fake)
    copy = [m for m in fake.transcript(holder.id) if m.get("text") == asked][-1]
    await holder.says(answer, reply_to=copy)
    await wait_until(lambda: answer in fake.texts(parent.id), fake)
    return copy


async def invited(greet: Talker, member: Talker, fake: FakeTelegram, db: Database,
                  speaks: str) -> None:
    """A parent already signed up taps an invite link; her own language is ticked already,
    she ticks ``speaks`` too."""
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    await member.says(f"/start staff_{token[1]}")
    member_id = await staff_id(db, member.id)
    await member.taps(data=f"team:l:{member_id}:{speaks}:on")
    await member.taps(data=f"team:l:{member_id}:ok")


async def test_a_brugfiguurs_own_question_is_never_escalated_to_herself(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Hatice, a Turkish mother at Het Wijdeland, asks on Monday at 10:00 about her son's
    school trip; the question goes to Fatma, the school's contact, who is busy and does not
    take it. At 10:30 Hatice joins the team herself (the coordinator invited her): Turkish
    is ticked for her, she adds Dutch. At 15:00 escalation moves the untaken question on,
    away from Fatma: to the other Turkish speaker green now, Hatice. She receives the card
    of her own question, which she cannot answer (her reply is taken as a parent's word);
    escalation happens once, so nobody else ever sees it. Her question should go to someone
    else (here: the coordinator), never to the parent who asked it."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9861, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    hatice = await onboard(chat, 9871, "Hatice", "tr", "wijdeland")
    await hatice.says("/ask")
    await hatice.picks_topic("school")
    await hatice.says("Oğlumun okul gezisi ne zaman?")
    await wait_until(lambda: "Oğlumun okul gezisi ne zaman?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)

    clock.moment = MONDAY_10 + timedelta(minutes=30)
    await invited(greet, hatice, fake, db, "nl")  # Turkish is ticked: her own language
    clock.moment = MONDAY_10 + timedelta(hours=5)  # Monday 15:00: four working hours passed
    await run_housekeeping(bot)
    await fake.wait_idle()
    [question] = await question_rows(db)
    assert question.escalated_at is not None  # escalation did look at it
    assert question.assignee_id != await staff_id(db, hatice.id)
    assert not [row.dedupe_key for row in await rows_to(db, hatice.id, question.id)
                if ":to:" in row.dedupe_key]


async def test_a_punjabi_question_while_simran_is_on_leave_does_not_promise_her_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Simran, the team's only Punjabi speaker, is on three weeks' leave: her whole week red.
    Monday 10:00 Harpreet asks about the school allowance. The question goes to Simran,
    silently (she is never notified), and Harpreet reads "Thank you! Simran has your question
    and will answer you soon." The coordinator sees nothing until escalation, four working
    hours later (a question asked on Friday afternoon: on Monday). Nobody who reads Punjabi
    can be reached: the coordinator should get it now, and Harpreet should not be promised
    an answer from Simran soon."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 9941, "Simran", {"nl", "pa"}, db,
                             contact_of="kabouterland")
    await goes_on_leave(simran, db)
    harpreet = await onboard(chat, 9951, "Harpreet", "pa", "kabouterland")
    await harpreet.says("/ask")
    await harpreet.picks_topic("allowance")
    told = await harpreet.says("ਸਕੂਲ ਭੱਤੇ ਲਈ ਕਿਵੇਂ ਅਰਜ਼ੀ ਦੇਣੀ ਹੈ?")
    [question] = await question_rows(db)
    assert not any("Simran" in m.get("text", "") for m in told), [m.get("text") for m in told]
    assert question.assignee_id is None  # the coordinator's


async def test_a_question_escalated_away_from_fatma_does_not_land_with_a_colleague_on_leave(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Ahmet, the team's other Turkish speaker, is on leave: his whole week red. Monday
    10:00 Ayşe's question reaches Fatma, who is swamped and does not take it. At 15:00
    escalation moves it on, away from Fatma: to Ahmet, silently, since he is the only other
    Turkish speaker. The coordinator reads "It is now with Ahmet." Ahmet is never notified,
    escalation never comes again, and an untaken question is never reminded: Ayşe's question
    waits for weeks. With nobody else able to take it, it should come to the coordinator
    ("Nobody else can take it: please answer it yourself or hand it over.")."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9921, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ahmet = await join_team(chat, greet, 9922, "Ahmet", {"nl", "tr"}, db)
    await goes_on_leave(ahmet, db)
    ayse = await onboard(chat, 9931, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("childcare")
    await ayse.says("Çarşamba öğleden sonra kreş var mı?")
    await wait_until(lambda: "Çarşamba öğleden sonra kreş var mı?" in fake.texts(fatma.id), fake)

    clock.moment = MONDAY_10 + timedelta(hours=5)  # 15:00: four working hours
    await run_housekeeping(bot)
    await fake.wait_idle()
    [question] = await question_rows(db)
    assert question.escalated_at is not None
    assert question.assignee_id != await staff_id(db, ahmet.id), (
        "escalated to Ahmet, on leave: " + repr(fake.texts(COORDINATOR_ID)[-1:]))


async def test_handing_over_to_a_colleague_on_leave_says_so(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma answered Ayşe; Ayşe wrote again with something Fatma cannot answer. Fatma taps
    ↪️ Hand over and picks Ahmet (🔴: he is on leave, his whole week red, but she taps the
    first Turkish name she knows). For a colleague off until tomorrow she would read "Ahmet is
    off now and sees it on Tuesday at 09:00", and choose someone else; for Ahmet, off for
    weeks, she reads only "↪️ Handed over to Ahmet." The question was answered, so it is
    never escalated, and Ahmet is never reminded in his red hours: Ayşe waits for weeks.
    Fatma should be told that Ahmet is off (and will not see it soon)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9841, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ahmet = await join_team(chat, greet, 9842, "Ahmet", {"nl", "tr"}, db,
                            availability=AvailabilityMap.all(Level.RED))
    ayse = await onboard(chat, 9851, "Ayşe", "tr", "wijdeland")
    await asked_and_answered(fake, ayse, fatma, "Kayıt ne zaman?", "In januari.")
    await ayse.says("Hangi belgeler lazım?")
    await wait_until(lambda: "Hangi belgeler lazım?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))

    await fatma.presses(card, f"qs:{question.id}:hand")
    # The list says so before she taps: Ahmet on leave, last of the Turkish speakers.
    listed = [text for text, _data in
              fake.inline_buttons(fake.message(fatma.id, card["message_id"]) or {})]
    assert any(b.startswith("🔴 Ahmet") and b.endswith("met verlof") for b in listed), listed
    assert not any("Fatma" in b and "verlof" in b for b in listed), listed
    await fatma.presses(card, f"qs:{question.id}:to:{await staff_id(db, ahmet.id)}")
    said = (fake.message(fatma.id, card["message_id"]) or {}).get("text", "")
    assert said.endswith("↪️ Overgedragen aan Ahmet.")  # the hand-over itself went through
    assert "Ahmet is nu niet beschikbaar" in said, said


async def test_a_parent_who_writes_again_while_her_brugfiguur_is_on_leave_is_not_forgotten(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Monday 10:00 Fatma answers Ayşe's question about the school bus. At 11:00 she goes on
    three weeks' leave: /availability, every day all red. At 14:00 Ayşe writes again in the
    same question ("And at what time does it come back?"). Her message goes into Fatma's chat
    without a sound; Fatma is on leave and does not look. Tuesday, Wednesday, Thursday: the
    housekeeping job never reminds anyone (a red hour is skipped, and Fatma has no green one),
    escalation never looks at an answered question, and the coordinator hears nothing. Ayşe
    waits for weeks. Mehmet, who speaks Turkish and works all week, or the coordinator,
    should be brought her message, as a question nobody took is escalated."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9801, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9802, "Mehmet", {"nl", "tr"}, db)
    ayse = await onboard(chat, 9811, "Ayşe", "tr", "wijdeland")
    await asked_and_answered(fake, ayse, fatma, "Okul servisi var mı?", "Ja, om 8u aan de kerk.")
    [question] = await question_rows(db)

    clock.moment = MONDAY_10 + timedelta(hours=1)
    await goes_on_leave(fatma, db)
    clock.moment = MONDAY_10 + timedelta(hours=4)
    await ayse.says("Peki dönüşte saat kaçta geliyor?")
    await wait_until(lambda: "Peki dönüşte saat kaçta geliyor?" in fake.texts(fatma.id), fake)
    await outbox_settled(db)

    for day in (1, 2, 3):  # Tuesday, Wednesday, Thursday at 10:00, 14:00 and 16:00
        for hour in (0, 4, 6):
            clock.moment = MONDAY_10 + timedelta(days=day, hours=hour)
            await run_housekeeping(bot)
    await fake.wait_idle()
    others = [row for chat_id in (mehmet.id, COORDINATOR_ID)
              for row in await rows_to(db, chat_id, question.id)]
    [question] = await question_rows(db)
    assert others or question.assignee_id != await staff_id(db, fatma.id), (
        "nobody but Fatma, on leave, has Ayşe's new message")


async def test_a_question_taken_just_before_leave_is_not_left_with_her(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Monday 10:00 Fatma taps ✋ Take it on Ayşe's question, meaning to phone the school
    first. At 11:00 she learns she must go on sick leave and makes her whole week red. A
    taken question is no longer escalated, and the reminder of a taken question is skipped in
    her red hours, which are all of them now. Days later nobody but Fatma has Ayşe's question,
    and nobody was told. A colleague or the coordinator should get it (or at least be told)."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9821, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 9822, "Mehmet", {"nl", "tr"}, db)
    ayse = await onboard(chat, 9831, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("allowance")
    await ayse.says("Okul parası başvurusu nasıl yapılır?")
    await wait_until(lambda: "Okul parası başvurusu nasıl yapılır?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    assert await fatma.presses(card, f"qs:{question.id}:take") == ["Ze is van jou."]

    clock.moment = MONDAY_10 + timedelta(hours=1)
    await goes_on_leave(fatma, db)
    for day in (1, 2, 3):
        for hour in (0, 4, 6):
            clock.moment = MONDAY_10 + timedelta(days=day, hours=hour)
            await run_housekeeping(bot)
    await fake.wait_idle()
    others = [row for chat_id in (mehmet.id, COORDINATOR_ID)
              for row in await rows_to(db, chat_id, question.id)]
    [question] = await question_rows(db)
    assert others or question.assignee_id != await staff_id(db, fatma.id), (
        "nobody but Fatma, on leave, has Ayşe's question")


async def test_what_waits_with_a_colleague_on_leave_comes_to_the_coordinator_after_the_wait(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Any
) -> None:
    """Fatma takes Ayşe's question at 10:00 and goes on leave at 11:00. At 13:00 it is still
    hers (the parent has not waited four working hours: a map made red for a moment while
    being changed loses nothing). At 14:00 the coordinator has it, with a word why, and
    Fatma reads, for when she is back, that she need not answer it."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9881, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9891, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("allowance")
    await ayse.says("Okul parası ne zaman gelir?")
    await wait_until(lambda: "Okul parası ne zaman gelir?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    assert await fatma.presses(card, f"qs:{question.id}:take") == ["Ze is van jou."]
    clock.moment = MONDAY_10 + timedelta(hours=1)
    await goes_on_leave(fatma, db)
    fatma_id = await staff_id(db, fatma.id)

    clock.moment = MONDAY_10 + timedelta(hours=3)
    await run_housekeeping(bot)
    [question] = await question_rows(db)
    assert question.assignee_id == fatma_id

    clock.moment = MONDAY_10 + timedelta(hours=4)
    await run_housekeeping(bot)
    await wait_until(lambda: "Okul parası ne zaman gelir?" in fake.texts(COORDINATOR_ID), fake)
    [question] = await question_rows(db)
    assert question.assignee_id is None
    notice = (f"⚠️ Fatma is niet beschikbaar: de hele week is rood. Vraag {question.id} "
              "(Ayşe, Türkçe) wacht op een antwoord en ligt nu bij jou: beantwoord ze of geef "
              "ze door.")
    await wait_until(lambda: notice in fake.texts(COORDINATOR_ID), fake)
    await wait_until(lambda: any(
        t == f"↪️ Vraag {question.id} (Ayşe) ligt nu bij de coördinator: je hoeft ze niet "
             "te beantwoorden." for t in fake.texts(fatma.id)), fake)

    clock.moment = MONDAY_10 + timedelta(days=1)  # once, not every round
    await run_housekeeping(bot)
    await fake.wait_idle()
    assert sum("is niet beschikbaar" in t for t in fake.texts(COORDINATOR_ID)) == 1


async def test_a_brugfiguur_is_not_offered_her_own_question_to_hand_over_to(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Hatice, a mother and now in the team, asked a question Fatma holds: Fatma's hand-over
    list does not name Hatice, and a press forged for her hands nothing over."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9961, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    hatice = await onboard(chat, 9971, "Hatice", "tr", "wijdeland")
    await hatice.says("/ask")
    await hatice.picks_topic("school")
    await hatice.says("Veli toplantısı ne zaman?")
    await wait_until(lambda: "Veli toplantısı ne zaman?" in fake.texts(fatma.id), fake)
    [question] = await question_rows(db)
    await invited(greet, hatice, fake, db, "nl")
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))

    await fatma.presses(card, f"qs:{question.id}:hand")
    buttons = [t for t, _d in FakeTelegram.inline_buttons(
        fake.message(fatma.id, card["message_id"]) or {})]
    assert not any("Hatice" in t for t in buttons), buttons
    await fatma.presses(card, f"qs:{question.id}:to:{await staff_id(db, hatice.id)}")
    [question] = await question_rows(db)
    assert question.assignee_id == await staff_id(db, fatma.id)
