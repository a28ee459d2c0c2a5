"""Reminders and RSVPs end to end: three languages at the right local times, answers and
their buttons, quiet hours, restarts, moves; the clock is the test's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import func, select

from bot.app import build_application, running
from bot.config import Settings
from bot.i18n import BRUSSELS
from bot.scheduler.reminders import run_round
from storage.db import Database
from storage.models import OutboxMessage, Reminder, Rsvp
from tests.conftest import COORDINATOR_ID as COORDINATOR
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import (
    Chat,
    Handled,
    Person,
    outbox_settled,
    pa_day,
    pa_time,
    rows_of_every_table,
)
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard

HEADER = ("id;kind;schools;date;start;end;repeat;place;address;lat;lon;title_nl;description_nl;"
          "title_tr;description_tr;title_pa;description_pa;cancelled_dates")
BABBEL = ("babbel-nov;ouderbabbel;alle;2026-11-25;13:30;15:00;;Bibliotheek;Kazernestraat 13, "
          "3800 Sint-Truiden;50.8165;5.1852;Ouderbabbel: slapen;Over goed slapen.;"
          "Veli sohbeti: uyku;Uyku hakkında.;ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ;ਨੀਂਦ ਬਾਰੇ।;")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BRUSSELS)


async def import_csv(coordinator: Person, *rows: str) -> None:
    content = "\n".join([HEADER, *rows]).encode()
    [reply] = await coordinator.sends("document", file_name="p.csv", mime_type="text/csv",
                                      content=content)
    assert reply["text"].startswith("Ingelezen"), reply["text"]


async def round_at(bot: Handled, clock: FixedClock, moment: datetime) -> Any:
    """The planner's round at ``moment``, planning included. (The job's own rounds run too,
    the first one second after the start: one that came after the programme but before the
    parents would have planned "now" without them, and this round, at the same moment, would
    not plan again.)"""
    clock.moment = moment.astimezone(UTC)
    assert bot.app is not None
    bot.app.bot_data["replan"] = True
    return await run_round(bot.app)


def reminders_in(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in fake.transcript(chat_id) if "🔔" in m.get("text", "")]


async def day_reminder_of(bot: Handled, clock: FixedClock, fake: FakeTelegram,
                          parent: Person) -> dict[str, Any]:
    """Plan on Sunday, hand the day-before reminders over on Tuesday at 18:00: the parent's
    one reminder, as they received it."""
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(reminders_in(fake, parent.id)) == 1, fake)
    # Known to be sent, as by the time a parent reads it: the next message or a reply is
    # matched with the message id the sender writes just after Telegram's answer.
    assert bot.app is not None
    await outbox_settled(bot.app.bot_data["db"], parent.id)
    [reminder] = reminders_in(fake, parent.id)
    return reminder


async def says_yes_to_the_day_reminder(bot: Handled, clock: FixedClock, fake: FakeTelegram,
                                       parent: Person) -> None:
    """The day-before reminder (``day_reminder_of``), and the parent presses "I'm coming"."""
    reminder = await day_reminder_of(bot, clock, fake, parent)
    await parent.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")


async def three_parents(chat: Chat) -> tuple[Person, Person, Person]:
    return (await onboard(chat, 9501, "Ayşe", "tr", "wijdeland"),
            await onboard(chat, 9502, "Harpreet", "pa", "kabouterland"),
            await onboard(chat, 9503, "Els", "nl", "vlindertje"))


async def test_reminders_in_three_languages_at_the_right_times_and_rsvps(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse, harpreet, els = await three_parents(chat)

    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 17, 59))
    assert reminders_in(fake, ayse.id) == []

    # Tuesday 18:00, the day before: each parent in their language, with a map pin.
    result = await round_at(bot, clock, local(24, 18))
    assert result.sent == 3
    await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1
                                 for p in (ayse, harpreet, els)), fake)
    [tr] = reminders_in(fake, ayse.id)
    assert "🔔 Hatırlatma: yarın" in tr["text"]
    assert "Veli sohbeti: uyku" in tr["text"]
    assert "25 Kasım 2026 Çarşamba, 13:30–15:00" in tr["text"]
    assert "Bibliotheek, Kazernestraat 13" in tr["text"]
    [pa] = reminders_in(fake, harpreet.id)
    assert "ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ" in pa["text"] and f"{pa_time(13, 30)}–" in pa["text"]
    [nl] = reminders_in(fake, els.id)
    assert "🔔 Herinnering: morgen" in nl["text"] and "woensdag 25 november 2026" in nl["text"]
    await wait_until(lambda: any("location" in m for m in fake.transcript(els.id)), fake)

    # Ayşe can't come, Els comes, Harpreet does not answer.
    rid = nl_reminder_id(tr)
    await ayse.taps(data=f"rv:{rid}:no")
    edited = fake.message(ayse.id, tr["message_id"])
    assert edited is not None and "Cevabınız: ❌ Gelemem. Değiştirmek ister misiniz?" in \
        edited["text"]
    await els.taps(data=f"rv:{nl_reminder_id(nl)}:yes")
    edited = fake.message(els.id, nl["message_id"])
    assert edited is not None and "Je zei: ✅ Ik kom." in edited["text"]

    # On the day, two hours before: not to Ayşe, who can't come.
    result = await round_at(bot, clock, local(25, 11, 30))
    assert result.sent == 2 and result.skipped == 1
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 2, fake)
    assert "🔔 Herinnering: over twee uur" in reminders_in(fake, els.id)[1]["text"]
    assert "Je zei: ✅ Ik kom." in reminders_in(fake, els.id)[1]["text"]
    assert len(reminders_in(fake, ayse.id)) == 1

    # The coordinator's /rsvps matches what was pressed.
    clock.moment = local(25, 12).astimezone(UTC)
    [overview] = await greet.says("/rsvps")
    assert "Ouderbabbel: slapen" in overview["text"]
    assert "✅ 1 komen · 🤔 0 misschien · ❌ 1 komen niet" in overview["text"]
    assert "🔔 Herinnering gestuurd naar 3 ouders" in overview["text"]

    # After the start, the answer cannot change.
    clock.moment = local(25, 13, 31).astimezone(UTC)
    assert await els.presses(nl, f"rv:{nl_reminder_id(nl)}:no") == [
        "Deze activiteit is al begonnen. Je antwoord kan niet meer veranderen."]
    # 📆 is no answer: its alert says only that it has started.
    assert await els.presses(nl, f"rv:{nl_reminder_id(nl)}:ics") == [
        "Deze activiteit is al begonnen."]
    # After the end, it is over (not "has started").
    clock.moment = local(25, 16).astimezone(UTC)
    assert await els.presses(nl, f"rv:{nl_reminder_id(nl)}:yes") == [
        "Deze activiteit is voorbij."]


def nl_reminder_id(message: dict[str, Any]) -> int:
    """The reminder id its buttons carry."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["callback_data"].startswith("rv:"):
                return int(button["callback_data"].split(":")[1])
    raise AssertionError("no RSVP button")


async def test_forged_and_foreign_rsvp_presses_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse, _harpreet, els = await three_parents(chat)
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 1, fake)
    [mine] = reminders_in(fake, ayse.id)
    rid = nl_reminder_id(mine)
    # Els presses Ayşe's reminder id; then made-up ids and answers.
    assert await els.presses(mine, f"rv:{rid}:yes") == ["Deze knop werkt niet meer."]
    assert await els.presses(mine, "rv:999999:yes") == ["Deze knop werkt niet meer."]
    assert await ayse.presses(mine, f"rv:{rid}:always") != []
    # Children are counted for workshops only: an ouderbabbel has no such buttons.
    assert await ayse.presses(mine, f"rv:{rid}:c4") == ["Bu düğme artık çalışmıyor."]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Rsvp)) == 0


async def test_add_to_calendar_sends_an_ics_of_the_occurrence(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9601, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    [document] = await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:ics")
    content = fake.file_content(document["document"]["file_id"])
    event = next(iter(Calendar.from_ical(content).walk("VEVENT")))
    assert event.decoded("dtstart") == local(25, 13, 30)
    assert event.decoded("dtend") == local(25, 15)
    assert str(event.get("summary")) == "Veli sohbeti: uyku"
    assert "Kazernestraat 13" in str(event.get("location"))


async def test_quiet_hours_defer_to_eight_or_drop_when_too_late(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    early = BABBEL.replace("babbel-nov", "vroeg").replace("13:30;15:00", "08:30;09:30")
    earlier = BABBEL.replace("babbel-nov", "heel-vroeg").replace("13:30;15:00", "07:45;08:30")
    await import_csv(greet, early, earlier)
    els = await onboard(chat, 9701, "Els", "nl", "vlindertje")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))  # both "day before" reminders
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 2, fake)
    # 05:45 and 06:30 fall in the quiet hours (21–8): one moves to 08:00, one is dropped
    # because its activity starts before 08:00.
    result = await round_at(bot, clock, local(25, 6, 30))
    assert result.deferred == 1 and result.dropped == 1 and result.sent == 0
    result = await round_at(bot, clock, local(25, 8))
    assert result.sent == 1
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 3, fake)
    # At 08:00 for 08:30, "in two hours" would be wrong: it says when, and keeps saying it.
    moved = reminders_in(fake, els.id)[2]
    assert moved["text"].startswith("🔔 Herinnering: vandaag om 08:30")
    await els.taps(data=f"rv:{nl_reminder_id(moved)}:yes")
    redrawn = fake.message(els.id, moved["message_id"])
    assert redrawn is not None and redrawn["text"].startswith("🔔 Herinnering: vandaag om 08:30")
    assert "Je zei: ✅ Ik kom." in redrawn["text"]
    async with db.session() as session:
        dropped = await session.scalar(select(Reminder).where(Reminder.status == "dropped"))
        assert dropped is not None and dropped.reason == "quiet"


async def test_a_restart_between_planning_and_sending_loses_and_repeats_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    settings: Settings
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse, harpreet, els = await three_parents(chat)
    await round_at(bot, clock, local(22, 10))  # planned by the first instance
    assert bot.app is not None
    await bot.app.stop()  # it stops before the reminders are due ...

    # ... and a new one starts long after 18:00 on Tuesday: it catches up, once.
    clock.moment = local(25, 9).astimezone(UTC)
    second = build_application(settings, db=db)
    second.bot_data["clock"] = clock
    async with running(second, polling=False):
        first = await run_round(second)
        again = await run_round(second)
        await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1
                                     for p in (ayse, harpreet, els)), fake)
    assert first.sent == 3 and again.sent == 0
    async with db.session() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like("reminder:%"), OutboxMessage.kind == "text")))
    assert len(keys) == len(set(keys)) == 3
    await bot.app.start()


async def test_a_moved_activity_replans_and_tells_those_who_come(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9801, "Els", "nl", "vlindertje")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)

    # The coordinator moves it to Thursday 26 November, 14:00.
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-26;14:00;15:30"))
    bot.app.bot_data["replan"] = True  # type: ignore[union-attr]
    await round_at(bot, clock, local(24, 20))
    await wait_until(lambda: any("verplaatst" in t for t in fake.texts(els.id)), fake)
    moved = next(t for t in fake.texts(els.id) if "verplaatst" in t)
    assert "donderdag 26 november 2026, 14:00–15:30" in moved
    async with db.session() as session:
        [answer] = list(await session.scalars(select(Rsvp)))
        assert answer.occurrence_start == local(26, 14).astimezone(UTC)
        old = await session.scalar(select(Reminder).where(
            Reminder.occurrence_start == local(25, 13, 30).astimezone(UTC),
            Reminder.kind == "2h"))
        assert old is not None and old.status == "obsolete"
    # The 2-hour reminder comes at the new time, with the answer carried over.
    await round_at(bot, clock, local(25, 11, 30))
    assert len(reminders_in(fake, els.id)) == 1
    await round_at(bot, clock, local(26, 12))
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 2, fake)
    assert "Je zei: ✅ Ik kom." in reminders_in(fake, els.id)[1]["text"]


async def test_the_planner_job_runs_by_itself(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """No test drives it: the JobQueue's first round plans the rows."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    await onboard(chat, 9901, "Els", "nl", "vlindertje")
    assert bot.app is not None
    bot.app.bot_data["replan"] = True
    from bot.scheduler import reminders as planner

    planner.wake(bot.app)

    async def planned() -> int:
        async with db.session() as session:
            return await session.scalar(select(func.count()).select_from(Reminder)) or 0

    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while await planned() == 0:
        assert datetime.now(UTC) < deadline
        await fake.wait_idle(quiet=0.05)
    assert await planned() == 2


async def test_the_coordinator_adds_a_week_ahead_reminder_for_ouderbabbels(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    [screen] = await greet.says("/reminders")
    assert "De dag vooraf, om 18:00 · Twee uur vooraf" in screen["text"]
    await greet.taps(data="rm:k:ouderbabbel")
    await greet.taps(data="rm:t:ouderbabbel:week:on")
    await greet.taps(data="rm:home")
    home = fake.message(COORDINATOR, screen["message_id"])
    assert home is not None and "Een week vooraf, om 18:00 · De dag vooraf" in home["text"]
    # The usual quiet hours: from 22:00.
    await greet.taps(data="rm:q")
    await greet.taps(data="rm:q:22-08")
    home = fake.message(COORDINATOR, screen["message_id"])
    assert home is not None and "Stille uren voor iedereen: 22:00–08:00" in home["text"]
    # Forged choices and a parent's press change nothing.
    assert await greet.presses(screen, "rm:q:03-04") == ["Deze knop werkt niet meer."]
    els = await onboard(chat, 9911, "Els", "nl", "vlindertje")
    assert await els.presses(screen, "rm:t:workshop:week:on") == [
        "Sorry, dit is alleen voor het team van de Brede School."]

    # The ouderbabbel of Monday 30 November now also gets one on Monday 23 at 18:00 (the
    # "two hours before" lies beyond the 8 days planned ahead: it comes in a later round).
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-11-30"))
    await round_at(bot, clock, local(22, 10))
    async with db.session() as session:
        planned = sorted((r.kind, r.due_at) for r in await session.scalars(select(Reminder)))
    assert planned == [("day", local(29, 18).astimezone(UTC)),
                       ("week", local(23, 18).astimezone(UTC))]
    await round_at(bot, clock, local(23, 10))
    async with db.session() as session:
        assert "2h" in set(await session.scalars(select(Reminder.kind)))


async def test_the_note_after_the_activity_reaches_those_who_said_they_come(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse, harpreet, els = await three_parents(chat)
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1
                                 for p in (ayse, harpreet, els)), fake)
    await els.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, els.id)[0])}:yes")
    await harpreet.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, harpreet.id)[0])}:yes")
    await ayse.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, ayse.id)[0])}:no")

    clock.moment = local(25, 16).astimezone(UTC)
    [overview] = await greet.says("/rsvps")
    [(label, data)] = FakeTelegram.inline_buttons(overview)
    assert label.startswith("✉️ Nota na: Ouderbabbel: slapen")
    [prompt] = await greet.taps(data=data)
    assert "2 ouders die zeiden dat ze komen" in prompt["text"]
    [done] = await greet.sends("photo", caption="Zo slaap je beter", reply_to_message_id=prompt[
        "message_id"])
    assert done["text"] == "✅ Verstuurd naar 2 ouders."
    await wait_until(lambda: all(any(m.get("caption") == "Zo slaap je beter"
                                     for m in fake.transcript(p.id)) for p in (els, harpreet)),
                     fake)
    assert not any(m.get("caption") == "Zo slaap je beter" for m in fake.transcript(ayse.id))
    # The prompt is used up: a second reply to it is an ordinary message, sent to nobody.
    await greet.says("Nog iets", reply_to=prompt)
    assert not any(m.get("text") == "Nog iets" for m in fake.transcript(els.id))

    # The coordinator's /forget: no row names her chat, not the copies of her note, nor a
    # prompt she never answered.
    await greet.taps(data=data)
    await fake.wait_idle()
    await greet.says("/forget")
    await greet.taps(data="forget:yes")
    naming = [f"{table}: {row}" for table, rows in (await rows_of_every_table(db)).items()
              for row in rows if any(value == COORDINATOR or str(COORDINATOR) in str(value)
                                     for value in row.values())]
    assert naming == []


async def test_cancelling_tells_those_who_said_they_come_even_if_others_are_not_told(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse, _harpreet, els = await three_parents(chat)
    await says_yes_to_the_day_reminder(bot, clock, fake, els)

    clock.moment = local(24, 20).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen")
    await greet.taps(data=next(d for _t, d in FakeTelegram.inline_buttons(
        fake.transcript(COORDINATOR)[-1]) if d.endswith(":co")))
    # Before it is cancelled, the coordinator reads who is told in any case.
    assert fake.transcript(COORDINATOR)[-1]["text"].endswith(
        "1 ouder zei te komen. Die krijgt meteen een bericht.")
    await greet.taps("❌ Ja, annuleren")
    # Els was told already: the question is about the two others.
    assert fake.transcript(COORDINATOR)[-1]["text"] == (
        "Geannuleerd. De 2 andere ouders die het zouden krijgen een bericht sturen?")
    await greet.taps("Nee, niets laten weten")
    await wait_until(lambda: any("❌" in t for t in fake.texts(els.id)), fake)
    assert not any("❌" in t for t in fake.texts(ayse.id))
    # Its 2-hour reminder is not sent.
    result = await round_at(bot, clock, local(25, 11, 30))
    assert result.sent == 0


async def test_reminders_keep_local_time_across_the_end_of_summer_time(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Summer time ends on Sunday 25 October 2026 at 03:00: the reminder of Monday's 10:00
    activity still comes at 18:00 local on Sunday (17:00 UTC, not 16:00)."""
    clock.moment = local(20, 10, month=10).astimezone(UTC)
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL.replace("2026-11-25;13:30;15:00", "2026-10-26;10:00;11:30"))
    ayse, harpreet, els = await three_parents(chat)
    await round_at(bot, clock, local(20, 10, month=10))
    await round_at(bot, clock, datetime(2026, 10, 25, 16, 59, tzinfo=UTC))  # 17:59 local
    assert reminders_in(fake, els.id) == []
    result = await round_at(bot, clock, datetime(2026, 10, 25, 17, 0, tzinfo=UTC))
    assert result.sent == 3
    await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1
                                 for p in (ayse, harpreet, els)), fake)
    assert "maandag 26 oktober 2026, 10:00–11:30" in reminders_in(fake, els.id)[0]["text"]
    assert "26 Ekim 2026 Pazartesi, 10:00–11:30" in reminders_in(fake, ayse.id)[0]["text"]
    assert (f"{pa_day(date(2026, 10, 26))}, {pa_time(10)}–{pa_time(11, 30)}"
            in reminders_in(fake, harpreet.id)[0]["text"])
    # Two hours before, on Monday: 08:00 local is 07:00 UTC in winter time.
    result = await round_at(bot, clock, datetime(2026, 10, 26, 7, 0, tzinfo=UTC))
    assert result.sent == 3
