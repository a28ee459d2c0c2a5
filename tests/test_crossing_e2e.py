"""Things two people do at the same moment: a "yes" tapped while the coordinator cancels, a
/forget while the programme is on its way, a reminder held for its turn when its activity is
cancelled, a question closed while the parent's last message waits for the morning, a
language changed while the week's programme waits for the morning.

Each test makes one crossing happen on purpose: a Telegram call of one person's update is
held at the fake server (the network edge) until the other person's update is done, so the
order is the same on every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.i18n import BRUSSELS
from bot.scheduler.outbox import wake as outbox_wake
from bot.services.availability import AvailabilityMap
from storage.db import Database
from storage.models import OutboxMessage, Person, QuestionMessage, Rsvp, StaffProfile
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team, question_rows
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    round_at,
)


class Hold:
    """Hold the first call of ``method`` that matches ``when`` at the fake server until
    ``release``: the update that made it waits there, as on a slow connection."""

    def __init__(self, fake: FakeTelegram, method: str,
                 when: Callable[[dict[str, Any]], bool]) -> None:
        self.reached = asyncio.Event()
        self.released = asyncio.Event()
        self.params: dict[str, Any] = {}
        original = fake._dispatch

        async def dispatch(name: str, handler: Any, params: dict[str, Any], now: float) -> Any:
            if name == method and not self.reached.is_set() and when(params):
                self.params = params
                self.reached.set()
                async with asyncio.timeout(10):
                    await self.released.wait()
            return await original(name, handler, params, now)

        fake._dispatch = dispatch  # type: ignore[method-assign]

    async def wait(self) -> None:
        async with asyncio.timeout(10):
            await self.reached.wait()

    def release(self) -> None:
        self.released.set()


def in_chat(chat_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params.get("chat_id") == chat_id


async def test_yes_tapped_while_the_coordinator_cancels_is_told_of_the_cancellation(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9701, "Els", "nl", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, els)

    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen · wo 25/11 13:30")
    await greet.taps("❌ Deze activiteit annuleren")

    # Els taps "I'm coming"; her reminder is being redrawn while the coordinator confirms.
    hold = Hold(fake, "editMessageText", in_chat(els.id))
    tap = asyncio.create_task(els.taps(data=f"rv:{nl_reminder_id(reminder)}:yes"))
    await hold.wait()
    await greet.taps("❌ Ja, annuleren")
    hold.release()
    await tap
    # The coordinator tells nobody else: those who said they come are told anyway.
    await greet.taps("Nee, niets laten weten")
    await outbox_settled(db)
    await fake.wait_idle()

    async with db.session() as session:
        answers = list(await session.scalars(select(Rsvp.answer)))
    # Her tap came too late: nothing is kept, and she reads at once that it is off.
    assert answers == [], answers
    assert fake.texts(els.id)[-1] == "⚠️ Deze activiteit gaat niet door. Het spijt ons."


async def test_forget_while_the_programme_is_on_its_way_gets_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9711, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 9712, "Jan", "nl", "vlindertje")
    parents = {els.id: els, jan.id: jan}

    # The programme goes to both; the first send is slow (a slow link, a busy Telegram).
    hold = Hold(fake, "sendMessage", lambda params: params.get("chat_id") in parents
                and "Programma van" in str(params.get("text", "")))
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 2 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await hold.wait()
    held_chat = hold.params["chat_id"]
    other = parents[next(p for p in parents if p != held_chat)]

    # Meanwhile the other parent erases everything about them.
    await other.says("/forget")
    [done] = await other.taps(data="forget:yes")
    assert done["text"].startswith("Klaar. We hebben alles over jou gewist."), done["text"]
    erased_at = len(fake.transcript(other.id))
    hold.release()
    await wait_until(lambda: any(t.startswith("Programma") for t in fake.texts(held_chat)), fake)
    await fake.wait_idle(quiet=1.5)

    after = [m.get("text", "") for m in fake.transcript(other.id)[erased_at:]]
    assert after == [], after


ASKED = "ਸਕੂਲ ਭੱਤਾ ਕਦੋਂ ਆਉਂਦਾ ਹੈ?"  # when does the school allowance come?
FOLLOW_UP = "ਫਾਰਮ ਕਿੱਥੇ ਮਿਲੇਗਾ?"  # where do I get the form?


async def answered_at_night(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                            base: int) -> tuple[Talker, Talker, Talker]:
    """A Wednesday, 22:00: Simran (red at night) opens Harpreet's question from /inbox and
    answers it; Harpreet writes on, and that waits for Simran's morning. Returns the
    coordinator, Simran and Harpreet."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=21)  # held rows wait in real time
    while day.weekday() != 2:
        day += timedelta(days=1)
    clock.moment = datetime(day.year, day.month, day.day, 22, 0, tzinfo=BRUSSELS)
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, base + 1, "Simran", {"nl", "pa"}, db,
                             contact_of="kabouterland")
    harpreet = await onboard(chat, base + 11, "Harpreet", "pa", "kabouterland")
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("allowance")
    await harpreet.says(ASKED)
    [question] = await question_rows(db)
    await simran.says("/inbox")
    await simran.taps(data=f"qs:{question.id}:show")
    await wait_until(lambda: ASKED in fake.texts(simran.id), fake)
    copy = [m for m in fake.transcript(simran.id) if m.get("text") == ASKED][-1]
    await simran.says("ਮਾਰਚ ਵਿੱਚ।", reply_to=copy)
    await wait_until(lambda: "ਮਾਰਚ ਵਿੱਚ।" in fake.texts(harpreet.id), fake)
    await harpreet.says(FOLLOW_UP)
    assert fake.calls_of("setMessageReaction", harpreet.id)  # 👍: passed on
    assert FOLLOW_UP not in fake.texts(simran.id)  # it waits for her morning
    return greet, simran, harpreet


async def test_a_follow_up_on_its_way_when_the_question_is_closed_comes_first(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Simran, who has not seen Harpreet's last message (it waits for her morning), taps
    ✅ Close: closed, nobody would ever read it. It comes to her now, and the question stays
    open until she closes it again."""
    _greet, simran, harpreet = await answered_at_night(chat, fake, db, clock, 9720)
    follow_up = FOLLOW_UP
    told_before = len(fake.texts(harpreet.id))
    [question] = await question_rows(db)

    # Her Close brings the message now; nothing is closed, the parent is told nothing.
    await simran.taps(data=f"qs:{question.id}:close")
    assert simran.alerts() == ["Harpreet schreef nog iets, en je hebt het nog niet gelezen. "
                               "Het komt nu. De vraag blijft open."]
    await wait_until(lambda: follow_up in fake.texts(simran.id), fake)
    [question] = await question_rows(db)
    assert question.status == "open"
    assert len(fake.texts(harpreet.id)) == told_before
    async with db.session() as session:
        message_row = await session.scalar(select(func.max(QuestionMessage.id)).where(
            QuestionMessage.question_id == question.id, QuestionMessage.from_parent.is_(True)))
        waiting = list(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.dedupe_key == f"q:{question.id}:to:{simran.id}:m{message_row}")))
    assert waiting == ["dropped"], waiting  # the morning's copy: she has it now

    # Read, she closes it from the card, above his message: asked once more, then closed
    # (inbox: a close under the parent's newest message), and Harpreet is told.
    await simran.taps(data=f"qs:{question.id}:close")
    assert simran.alerts()[-1] == "Harpreet schreef opnieuw na het antwoord."
    await simran.taps(data=f"qs:{question.id}:closeok")
    await wait_until(lambda: harpreet.last_text().startswith("ਤੁਹਾਡਾ ਸਵਾਲ"), fake)
    [question] = await question_rows(db)
    assert question.status == "closed"
    await outbox_settled(db, harpreet.id)
    assert fake.texts(simran.id).count(follow_up) == 1


async def test_the_coordinator_closing_a_question_with_an_unread_follow_up_gets_it_now(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """The same evening from the coordinator's side: she closes the question (a card of it
    she kept from before a hand-over). Harpreet's last message comes to her now; Simran
    still gets it in her morning."""
    greet, simran, _harpreet = await answered_at_night(chat, fake, db, clock, 9740)
    follow_up = FOLLOW_UP
    [question] = await question_rows(db)

    [queue] = await greet.says("/queue")
    assert await greet.presses(queue, f"qs:{question.id}:close") == [
        "Harpreet schreef nog iets, en je hebt het nog niet gelezen. "
        "Het komt nu. De vraag blijft open."]
    await wait_until(lambda: follow_up in fake.texts(greet.id), fake)
    [question] = await question_rows(db)
    assert question.status == "open"
    assert follow_up not in fake.texts(simran.id)
    async with db.session() as session:
        for_simran = list(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.group_key == f"q:{question.id}", OutboxMessage.chat_id == simran.id,
            OutboxMessage.kind == "copy", OutboxMessage.status == "pending")))
    assert for_simran == ["pending"], for_simran  # her morning's copy


async def test_a_language_changed_while_the_programme_waits_for_the_morning_is_used(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Sunday 22:30: the coordinator sends next week's programme; it waits for the parents'
    morning. Els, who chose Dutch at sign-up, switches to Turkish that evening."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9741, "Els", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    [draft] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")

    def line() -> str:
        return (fake.message(greet.id, draft["message_id"]) or {}).get("text", "")

    await wait_until(lambda: "🌙" in line(), fake)
    await els.presses_key("🌐")
    await els.taps("Türkçe")
    assert els.last_text() == "Bundan sonra size Türkçe yazacağım."  # from now on, Turkish

    clock.moment = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday, 8:30 in Brussels
    assert bot.app is not None
    outbox_wake(bot.app)
    await wait_until(lambda: line().startswith("✅"), fake, 20)
    texts = fake.texts(els.id)
    assert not any(t.startswith("Programma van") for t in texts), "the Dutch copy came"
    assert any(t.startswith("23 Kasım 2026 Pazartesi") for t in texts)


async def test_a_language_changed_while_an_announcement_waits_for_the_morning_is_used(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The same for an announcement: sent on a Sunday evening in Dutch and Turkish, it waits
    for the morning; Els switches to Turkish meanwhile, and reads the Turkish."""
    greet = await coordinator_of(chat)
    els = await onboard(chat, 9742, "Els", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.says("Cuma günü yüzme dersi yok.")
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _step in range(3):
        [screen] = await greet.taps("⏭ Overslaan")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")

    def line() -> str:
        return (fake.message(greet.id, screen["message_id"]) or {}).get("text", "")

    await wait_until(lambda: "🌙" in line(), fake)
    await els.presses_key("🌐")
    await els.taps("Türkçe")

    clock.moment = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday, 8:30 in Brussels
    assert bot.app is not None
    outbox_wake(bot.app)
    await wait_until(lambda: line().startswith("✅"), fake, 20)
    texts = fake.texts(els.id)
    assert "Vrijdag is er geen zwemles." not in texts, "the Dutch copy came"
    assert texts[-1] == "Cuma günü yüzme dersi yok."
    assert FakeTelegram.inline_buttons(fake.transcript(els.id)[-1]) == [
        ("🇧🇪 Nederlands", "nl:a:1")]


async def test_a_reminder_waiting_to_go_when_the_activity_is_cancelled_is_not_sent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Tuesday 18:00: the day-before reminders go out, one after the other. The coordinator
    cancels the ouderbabbel right then, and tells only those who said they come (nobody)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9751, "Els", "nl", "wijdeland")
    jan = await onboard(chat, 9752, "Jan", "nl", "vlindertje")
    parents = {els.id: els, jan.id: jan}
    await round_at(bot, clock, local(22, 10))

    # The first reminder's send is slow; the other one waits its turn in the sender.
    hold = Hold(fake, "sendMessage", lambda params: params.get("chat_id") in parents
                and "🔔" in str(params.get("text", "")))
    await round_at(bot, clock, local(24, 18))
    await hold.wait()
    other = parents[next(p for p in parents if p != hold.params["chat_id"])]

    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen · wo 25/11 13:30")
    await greet.taps("❌ Deze activiteit annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    await round_at(bot, clock, local(24, 18, 1))  # the planner drops what waits
    cancelled_at = len(fake.transcript(other.id))
    hold.release()
    await outbox_settled(db)
    await fake.wait_idle(quiet=1.5)

    after = [m.get("text", "") for m in fake.transcript(other.id)[cancelled_at:]]
    assert not any("🔔" in text for text in after), after


async def test_a_slow_answer_to_a_brugfiguurs_tap_does_not_hold_up_a_parent(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Fatma makes an hour red in /availability on a bad connection: Telegram takes long to
    redraw her screen. Meanwhile Els changes her language. Fatma's change is saved before
    Telegram's calls, so SQLite's one writer is free and Els is answered at once, not after
    Fatma's redraw (or a "database is locked" five seconds later)."""
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9771, "Fatma", {"nl", "tr"}, db)
    els = await onboard(chat, 9772, "Els", "nl", "vlindertje")
    async with db.session() as session:
        fatma_id = await session.scalar(select(Person.id).where(Person.telegram_id == fatma.id))
    await fatma.says("/availability")
    await fatma.taps(data=f"team:a:{fatma_id}:2")  # Wednesday

    hold = Hold(fake, "editMessageText", in_chat(fatma.id))
    tap = asyncio.create_task(fatma.taps(data=f"team:a:{fatma_id}:2:10"))
    await hold.wait()
    await els.presses_key("🌐")
    async with asyncio.timeout(3):  # well before the hold's end, and SQLite's lock timeout
        await els.taps("Türkçe")
    assert els.last_text() == "Bundan sonra size Türkçe yazacağım."
    assert not hold.released.is_set()
    hold.release()
    await tap
    async with db.session() as session:
        saved = await session.scalar(select(StaffProfile.availability)
                                     .where(StaffProfile.person_id == fatma_id))
    assert saved is not None and saved != AvailabilityMap.default().cells
