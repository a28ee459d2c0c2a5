"""The weekly broadcast end to end: audience, preview, send through the outbox, report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, update

from bot.scheduler.outbox import wake
from bot.scheduler.progress import update_progress
from bot.services import outbox
from storage.db import Database
from storage.models import Broadcast, OutboxMessage, Person
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, pa_day
from tests.test_account_e2e import rows_naming
from tests.test_programme_e2e import coordinator_with_programme, onboard


async def wait_until(predicate: Callable[[], bool], fake: FakeTelegram,
                     seconds: float = 15.0) -> None:
    """Poll a condition the outbox will make true (sending is asynchronous)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "timed out\n" + fake.summary()
        await asyncio.sleep(0.05)


async def test_the_translation_warning_counts_what_these_parents_would_read_in_dutch(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The week's Sinterklaas afternoon at Kabouterland has no Punjabi text: Harpreet would
    read it in Dutch. Activities of other weeks, schools or languages are no reason to wait."""
    greet = await coordinator_with_programme(chat)
    await onboard(chat, 7011, "Ayşe", "tr", "wijdeland")
    await onboard(chat, 7012, "Harpreet", "pa", "kabouterland")
    await onboard(chat, 7013, "Els", "nl", "vlindertje")
    warning = "⚠️ 1 activiteit heeft nog geen Turkse of Punjabi tekst (zie /programme)."

    [draft] = await greet.says("/broadcast")
    assert warning in draft["text"]

    def screen() -> str:
        found = fake.message(greet.id, draft["message_id"])
        assert found is not None
        return found["text"]

    await greet.taps("Freinetschool Het Wijdeland (Brustem)")  # Ayşe's school only
    assert "Het bereikt 1 ouder." in screen() and "⚠️" not in screen()
    await greet.taps("Vrije Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)")
    assert warning in screen()
    await greet.taps("ਪੰਜਾਬੀ")  # Punjabi readers left out
    assert "Het bereikt 1 ouder." in screen() and "⚠️" not in screen()


async def test_broadcast_to_three_schools_in_three_languages(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7001, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 7002, "Harpreet", "pa", "kabouterland")
    els = await onboard(chat, 7003, "Els", "nl", "vlindertje")
    other = await onboard(chat, 7004, "Murat", "tr", "klimop")  # not in the audience
    quiet = await onboard(chat, 7005, "Jan", "nl", "wijdeland")
    await quiet.says("/stop")  # never receives a broadcast

    [draft] = await greet.says("/broadcast")
    assert draft["text"].startswith("📤 Het programma van volgende week, 23 november 2026")
    # Everyone onboarded but Jan; Klim-op has nothing that week, so Murat gets no message.
    assert "Het bereikt 3 ouders." in draft["text"]
    assert ("1 ouder heeft die week niets op het programma en krijgt geen bericht."
            in draft["text"])
    await greet.taps("Freinetschool Het Wijdeland (Brustem)")
    await greet.taps("Vrije Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)")
    await greet.taps("Vrije Kleuter- en Basisschool 't Vlindertje Velm")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None
    assert "Het bereikt 3 ouders. Nederlands 1 · Türkçe 1 · ਪੰਜਾਬੀ 1" in screen["text"]
    assert "niets op het programma" not in screen["text"]  # Murat is no longer in it

    previews = await greet.taps("👁 Voorbeeld", expect=3)
    assert [p["text"].split("\n")[0] for p in previews] == ["👁 Nederlands", "👁 Türkçe",
                                                           "👁 ਪੰਜਾਬੀ"]
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")

    # Each parent gets exactly their own schools' week, in their language.
    await wait_until(lambda: all(fake.transcript(p.id)[-1]["text"].startswith(("Programma",
                                                                               "23 Kasım",
                                                                               "ਸੋਮਵਾਰ"))
                                 for p in (ayse, harpreet, els)), fake)
    tr_text = ayse.last_text()
    assert tr_text.startswith("23 Kasım 2026 Pazartesi - 29 Kasım 2026 Pazar programı")
    assert "Çocuk yogası" in tr_text and "25 Kasım 2026 Çarşamba, 14:00–15:00" in tr_text
    assert "Capoeira" not in tr_text
    pa_text = harpreet.last_text()
    assert "Knutselnamiddag voor Sinterklaas (ਡੱਚ ਵਿੱਚ)" in pa_text
    assert pa_day(date(2026, 11, 28)) in pa_text
    nl_text = els.last_text()
    assert "Capoeira" in nl_text and "donderdag 26 november 2026, 15:45–16:45" in nl_text
    assert "Kinderyoga" not in nl_text
    # Beside the translation, one tap shows the Dutch original; Dutch readers need no button.
    def labels(message: dict) -> list[str]:
        return [text for text, _data in FakeTelegram.inline_buttons(message)]

    assert labels(fake.transcript(ayse.id)[-1]) == ["🇧🇪 Nederlands"]
    assert labels(fake.transcript(els.id)[-1]) == []
    [dutch] = await ayse.taps("🇧🇪 Nederlands")
    assert dutch["text"].startswith("Programma van maandag 23 november 2026")
    assert "Kinderyoga" in dutch["text"] and "Capoeira" not in dutch["text"]
    assert not any("programı" in t for t in fake.texts(other.id))
    assert not any(t.startswith("Programma") for t in fake.texts(quiet.id))

    # The progress line ends as the delivery report, edited in place, and a short message
    # (which makes the phone ring) says it is done.
    await wait_until(lambda: (fake.message(greet.id, draft["message_id"]) or {}).get(
        "text", "").startswith("✅"), fake, 10)
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and (row.status, row.total, row.sent) == ("done", 3, 3)
    [listing] = await greet.says("/broadcasts")
    assert "📅 Programma, week van 23 november 2026 · " in listing["text"]
    assert "3 verstuurd, 0 mislukt, 0 hebben de bot geblokkeerd" in listing["text"]
    # Exactly one copy each (the 🇧🇪 tap above added Ayşe's Dutch one, which is no copy).
    headings = {ayse.id: "23 Kasım 2026 Pazartesi", harpreet.id: pa_day(date(2026, 11, 23)),
                els.id: "Programma van maandag 23 november 2026"}
    for person, heading in headings.items():
        assert sum(t.startswith(heading) for t in fake.texts(person)) == 1, fake.texts(person)


async def test_faults_during_a_broadcast(chat: Chat, fake: FakeTelegram, db: Database) -> None:
    greet = await coordinator_with_programme(chat)
    parents = [await onboard(chat, 7100 + i, f"P{i}", ("nl", "tr", "pa")[i % 3], "vlindertje")
               for i in range(9)]
    base = {p.id: fake.sent_count_per_chat()[p.id] for p in parents}
    blocked = parents[4]

    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 9 ouders")
    # Telegram misbehaves: flood control once, a server error once, one parent blocked us.
    fake.block_chat(blocked.id)
    fake.fail_next("sendMessage", 429, retry_after=1, chat_id=parents[0].id)
    fake.fail_next("sendMessage", 500, chat_id=parents[1].id)
    await greet.taps("✅ Ja, nu versturen")
    others = [p for p in parents if p is not blocked]
    await wait_until(lambda: all(fake.sent_count_per_chat()[p.id] == base[p.id] + 1
                                 for p in others), fake, 20)
    async def done() -> bool:
        async with db.session() as session:
            row = await session.scalar(select(Broadcast))
            return row is not None and row.status == "done"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not await done():
        assert loop.time() < deadline
        await asyncio.sleep(0.1)
    # The coordinator is told it is done (after the row says so): before /broadcasts below.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    # Exactly one copy each, none for the blocked parent, who is marked.
    assert all(fake.sent_count_per_chat()[p.id] == base[p.id] + 1 for p in others)
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and (row.total, row.sent, row.blocked, row.failed) == (9, 8, 1, 0)
        person = await session.scalar(select(Person).where(Person.telegram_id == blocked.id))
        assert person is not None and person.blocked_at is not None
    [listing] = await greet.says("/broadcasts")
    assert "8 verstuurd, 0 mislukt, 1 hebben de bot geblokkeerd" in listing["text"]


async def test_an_old_draft_whose_week_has_begun_sends_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Sunday's draft for the week of Monday 23 November, found again on Tuesday 1 December:
    its buttons no longer send (the parents would get a week gone by)."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7301, "Els", "nl", "vlindertje")
    [draft] = await greet.says("/broadcast")
    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await greet.taps("📤 Verstuur naar 1 ouder")
    shown = fake.message(greet.id, draft["message_id"])
    assert shown is not None and shown["text"] == (
        "Dit concept was voor de week van 23 november 2026, en die is begonnen. Er is niets "
        "verstuurd. Stuur /broadcast voor het programma van volgende week.")
    await fake.wait_idle()
    assert not any(t.startswith("Programma") for t in fake.texts(els.id))
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and row.status == "cancelled"


async def test_an_old_draft_can_be_turned_to_next_week(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Friday's draft for the week of 30 November, found again on Tuesday 1 December: its
    📅 Next week button makes it next week's draft (the coordinator chose a week that is to
    come), instead of cancelling it as its other buttons do."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7311, "Els", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    [draft] = await greet.says("/broadcast")
    assert draft["text"].startswith("📤 Het programma van volgende week, 30 november 2026")
    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await greet.taps("📅 Volgende week")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None and screen["text"].startswith(
        "📤 Het programma van volgende week, 7 december 2026 tot 13 december 2026.")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van"), fake)
    assert els.last_text().startswith("Programma van maandag 7 december 2026")
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and row.week_start == date(2026, 12, 7)


async def test_a_week_sent_already_is_said_before_it_goes_again(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7401, "Els", "nl", "vlindertje")
    [first] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    confirm = fake.message(greet.id, first["message_id"])
    assert confirm is not None and confirm["text"].startswith("Het programma van volgende week")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van maandag"), fake)
    # The progress job (every 2 s) tells the coordinator it is done: before the /broadcast
    # below, whose one answer is counted.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    # Later, the same week again (a colleague, or a forgotten first time): a warning first.
    [second] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    confirm = fake.message(greet.id, second["message_id"])
    assert confirm is not None
    assert confirm["text"].startswith(
        "⚠️ Het programma van de week van 23 november 2026 is al verstuurd, op ")
    assert confirm["text"].endswith("\nHet programma van volgende week nu naar 1 ouder sturen?")


async def test_forget_after_a_broadcast_leaves_no_row(chat: Chat, fake: FakeTelegram,
                                                      db: Database) -> None:
    greet = await coordinator_with_programme(chat)
    harpreet = await onboard(chat, 7201, "Harpreet", "pa", "kabouterland")
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: harpreet.last_text().startswith("ਸੋਮਵਾਰ"), fake)
    assert (await rows_naming(db, harpreet.id))["outbox.chat_id"] == 1

    await harpreet.says("/forget")
    await harpreet.taps(data="forget:yes")
    assert set((await rows_naming(db, harpreet.id)).values()) == {0}

    # The coordinator's too: the broadcast stays, not who sent it nor where she saw it go.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    await greet.says("/forget")
    await greet.taps(data="forget:yes")
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and row.status == "done"
        assert (row.created_by, row.status_chat_id, row.status_message_id) == (None, None, None)


async def sending_broadcast(bot: Any, db: Database, coordinator_chat: int, *,
                            parent_chat: int) -> None:
    """A broadcast on its way to one parent, its progress line in the coordinator's chat
    (as start_programme leaves it, without a programme)."""
    line = await bot.send_message(coordinator_chat, "📤 …")
    async with db.session() as session:
        row = Broadcast(kind="programme", status="sending", total=1,
                        status_chat_id=coordinator_chat, status_message_id=line.message_id)
        session.add(row)
        await session.flush()
        await outbox.enqueue(session, dedupe_key=f"broadcast:{row.id}:1", chat_id=parent_chat,
                             person_id=None, kind="text", payload={"text": "Programma"},
                             group_key=f"broadcast:{row.id}")
        await session.commit()


async def test_two_instances_finishing_a_broadcast_at_once_report_it_once(
    fake: FakeTelegram, db: Database
) -> None:
    """Every instance runs the progress job: the one whose update marks the broadcast done
    writes the report; the coordinator reads "done" once."""
    coordinator = fake.user(7900, "Greet", "nl")
    async with fake.bot() as bot:
        await sending_broadcast(bot, db, coordinator.id, parent_chat=7901)
        async with db.session() as session:
            await session.execute(update(OutboxMessage).values(status="sent"))
            await session.commit()
        instances = [SimpleNamespace(application=SimpleNamespace(bot_data={"db": db}), bot=bot)
                     for _ in range(2)]
        await asyncio.gather(*(update_progress(c) for c in instances))  # type: ignore[arg-type]
    done = [t for t in fake.texts(coordinator.id) if t.startswith("Het rondsturen is klaar")]
    assert len(done) == 1
    assert fake.texts(coordinator.id)[0].startswith("✅")  # the line became the report


async def test_a_parent_with_nothing_that_week_gets_no_message(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Klim-op has nothing in the week of 23 November: its parents get no "nothing this week"
    message (weekly noise teaches a parent to mute the bot), and the report counts the others."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7501, "Els", "nl", "vlindertje")
    murat = await onboard(chat, 7502, "Murat", "tr", "klimop")
    before = len(fake.texts(murat.id))
    [draft] = await greet.says("/broadcast")
    assert "Het bereikt 1 ouder. Nederlands 1 · Türkçe 0 · ਪੰਜਾਬੀ 0" in draft["text"]
    assert ("1 ouder heeft die week niets op het programma en krijgt geen bericht."
            in draft["text"])
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    assert els.last_text().startswith("Programma van maandag 23 november 2026")
    assert len(fake.texts(murat.id)) == before
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None and (row.status, row.total, row.sent) == ("done", 1, 1)
        assert await session.scalar(select(OutboxMessage).where(
            OutboxMessage.chat_id == murat.id)) is None


async def test_on_monday_this_week_can_be_chosen(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Monday morning, the week's programme not sent yet: 📅 This week sends the week that
    has just begun; the default stays next week."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7601, "Els", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday, 08:30 in Brussels
    [draft] = await greet.says("/broadcast")
    assert draft["text"].startswith("📤 Het programma van volgende week, 30 november 2026 tot "
                                    "6 december 2026.")
    await greet.taps("📅 Deze week")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None and screen["text"].startswith(
        "📤 Het programma van deze week, 23 november 2026 tot 29 november 2026.")
    assert ("✅ 📅 Deze week", f"bc:{1}:w:t") in FakeTelegram.inline_buttons(screen)
    await greet.taps("📤 Verstuur naar 1 ouder")
    confirm = fake.message(greet.id, draft["message_id"])
    assert confirm is not None
    assert confirm["text"] == "Het programma van deze week nu naar 1 ouder sturen?"
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van"), fake)
    text = els.last_text()
    assert text.startswith("Programma van maandag 23 november 2026 tot zondag 29 november 2026")
    assert "donderdag 26 november 2026, 15:45–16:45" in text


async def test_mid_week_this_week_is_the_rest_of_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Wednesday 25 November at 16:00: the rest of the week, from today. Today's yoga (14:00
    to 15:00) is over, so Ayşe, whose only activity it was, gets nothing; Els gets Thursday's
    capoeira. A week sent already (Monday's) is said before it goes again."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7701, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 7702, "Els", "nl", "vlindertje")
    murat = await onboard(chat, 7703, "Murat", "tr", "vlindertje")
    before = len(fake.texts(ayse.id))
    clock.moment = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 16:00 in Brussels
    [draft] = await greet.says("/broadcast")
    await greet.taps("📅 Deze week")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None and screen["text"].startswith(
        "📤 Het programma van deze week, 25 november 2026 tot 29 november 2026.")
    assert "Het bereikt 2 ouders. Nederlands 1 · Türkçe 1" in screen["text"]
    assert "1 ouder heeft die week niets op het programma" in screen["text"]
    await greet.taps("📤 Verstuur naar 2 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van"), fake)
    text = els.last_text()
    assert text.startswith("Programma van woensdag 25 november 2026 tot zondag 29 november 2026")
    assert "Capoeira" in text
    assert len(fake.texts(ayse.id)) == before
    # The progress job (every 2 s) tells the coordinator it is done: before the /broadcast
    # below, whose one answer is counted.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)

    # Back to next week and back again: this week was sent already, said before it goes again.
    [second] = await greet.says("/broadcast")
    await greet.taps("📅 Volgende week")
    await greet.taps("📅 Deze week")
    await greet.taps("📤 Verstuur naar 2 ouders")
    confirm = fake.message(greet.id, second["message_id"])
    assert confirm is not None and confirm["text"].startswith(
        "⚠️ Het programma van de week van 25 november 2026 is al verstuurd, op ")

    # The next day, Wednesday's draft no longer sends: its first day is gone.
    [third] = await greet.says("/broadcast")
    await greet.taps("📅 Deze week")
    clock.moment = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    await greet.taps("📤 Verstuur naar 2 ouders")
    shown = fake.message(greet.id, third["message_id"])
    assert shown is not None and shown["text"].startswith("Dit concept was voor de week van 25 "
                                                          "november 2026, en die is begonnen.")
    # On Friday, Thursday's capoeira is over, but the Dutch of Murat's copy still holds it.
    await wait_until(lambda: "Capoeira" in murat.last_text(), fake)
    clock.moment = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    [dutch] = await murat.taps("🇧🇪 Nederlands")
    assert dutch["text"].startswith("Programma van woensdag 25 november 2026")
    assert "Capoeira" in dutch["text"]


async def test_sunday_offers_no_week_choice_and_monday_still_sends_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """On Sunday "this week" would be the Sunday alone: no choice is offered. A draft made on
    Sunday evening and sent on Monday morning still goes: nothing of its week is past."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7801, "Els", "nl", "vlindertje")
    [draft] = await greet.says("/broadcast")
    labels = [text for text, _data in FakeTelegram.inline_buttons(draft)]
    assert not any("📅" in label for label in labels)
    clock.moment = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday 08:30
    await greet.taps("📤 Verstuur naar 1 ouder")
    confirm = fake.message(greet.id, draft["message_id"])
    assert confirm is not None
    assert confirm["text"] == "Het programma van deze week nu naar 1 ouder sturen?"
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: els.last_text().startswith("Programma van maandag 23 november"),
                     fake)


async def test_an_unchanged_progress_line_is_not_edited_again(
    fake: FakeTelegram, db: Database
) -> None:
    """A broadcast waiting all night for the parents' quiet hours: the line is drawn once, not
    once every two seconds until the morning; the report still comes when it is done."""
    coordinator = fake.user(7950, "Greet", "nl")
    async with fake.bot() as bot:
        await sending_broadcast(bot, db, coordinator.id, parent_chat=7951)
        instance = SimpleNamespace(application=SimpleNamespace(bot_data={"db": db}), bot=bot)

        def edits() -> int:
            return sum(1 for c in fake.calls if c.method == "editMessageText")

        for _ in range(3):
            await update_progress(instance)  # type: ignore[arg-type]
        assert edits() == 1
        assert fake.texts(coordinator.id)[0].startswith("📤 Bezig: 0 van 1 verstuurd")
        async with db.session() as session:
            await session.execute(update(OutboxMessage).values(status="sent"))
            await session.commit()
        await update_progress(instance)  # type: ignore[arg-type]
        assert edits() == 2
        assert fake.texts(coordinator.id)[0].startswith("✅")
        assert instance.application.bot_data["progress_lines"] == {}


async def test_a_broadcast_in_the_evening_says_who_waits_for_the_morning(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Sent on Sunday at 22:30: the parents' quiet hours hold it until the morning. The line
    says so instead of looking stuck all night; in the morning it goes out."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7901, "Els", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    [draft] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")

    def line() -> str:
        return (fake.message(greet.id, draft["message_id"]) or {}).get("text", "")

    await wait_until(lambda: "🌙" in line(), fake)
    assert line() == ("📤 Bezig: 0 van 1 verstuurd · 0 mislukt · 0 blokkeerden de bot\n"
                      "🌙 1 ouder heeft nu stille uren en krijgt het als die voorbij zijn.")
    assert not any(t.startswith("Programma") for t in fake.texts(els.id))


async def test_a_parent_who_uses_stop_meanwhile_is_not_counted_as_failed(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Sent in the evening, it waits for the morning; one parent uses /stop in the night.
    Their message is not sent, and the coordinator reads that they chose /stop: not a
    failure, which would look like a fault to look into."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7911, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 7912, "Jan", "nl", "vlindertje")
    clock.moment = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    [draft] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 2 ouders")
    await greet.taps("✅ Ja, nu versturen")

    def line() -> str:
        return (fake.message(greet.id, draft["message_id"]) or {}).get("text", "")

    await wait_until(lambda: "🌙" in line(), fake)
    await jan.says("/stop")
    await wait_until(lambda: "1 ouder koos /stop" in line(), fake)
    assert line().startswith("📤 Bezig: 0 van 2 verstuurd · 0 mislukt · 0 blokkeerden de bot · "
                             "1 ouder koos /stop\n🌙")

    clock.moment = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday, 8:30 in Brussels
    wake(bot.app)
    await wait_until(lambda: line().startswith("✅"), fake, 20)
    assert line() == ("✅ Rondzending klaar.\nVerstuurd: 1 van 2\nMislukt: 0\n"
                      "Ouders die de bot blokkeerden: 0\n1 ouder koos /stop")
    assert any(t.startswith("Programma") for t in fake.texts(els.id))
    assert not any(t.startswith("Programma") for t in fake.texts(jan.id))
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None
        assert (row.total, row.sent, row.failed, row.blocked, row.stopped) == (2, 1, 0, 0, 1)
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake)
    [listing] = await greet.says("/broadcasts")
    assert "1 verstuurd, 0 mislukt, 0 hebben de bot geblokkeerd, 1 ouder koos /stop" in (
        listing["text"])
