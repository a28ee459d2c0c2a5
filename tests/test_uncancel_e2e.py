"""Undoing a cancelled day end to end: it goes ahead after all, those who heard of the
cancellation may be told so, its reminders come back, and nothing is sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta

from sqlalchemy import func, select, update

from bot.handlers.rsvp import render_reminder
from bot.scheduler import outbox as outbox_sender
from bot.services import reminders
from storage.db import Database
from storage.models import OutboxMessage, Reminder, utcnow
from storage.models import Person as PersonRow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled, pa_day, pa_time
from tests.test_broadcast_e2e import wait_until
from tests.test_cancellation_e2e import (
    STAMP,
    WED_25,
    cancellations,
    forge,
    outbox_rows,
    yoga_id,
)
from tests.test_programme_e2e import coordinator_with_programme, onboard
from tests.test_reminders_e2e import local, nl_reminder_id, reminders_in, round_at

EXPIRED = ["Deze knop werkt niet meer."]
LABEL = "Kinderyoga · wo 25/11 14:00"
TR_AHEAD = ("✅ İyi haber: Çocuk yogası, 25 Kasım 2026 Çarşamba, 14:00 yine de yapılacak. "
            "Karışıklık için özür dileriz. Görüşmek üzere!")
TR_CANCELLED = ("❌ İptal edildi: Çocuk yogası, 25 Kasım 2026 Çarşamba, 14:00. "
                "Üzgünüz. Bir dahaki sefere görüşmek üzere!")


def labels(message: dict | None) -> list[str]:
    assert message is not None
    return [text for text, _data in FakeTelegram.inline_buttons(message)]


async def ahead_rows(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.group_key.like("ahead:%"))) or 0


async def test_a_wrong_cancel_is_undone_and_those_told_hear_it_goes_ahead(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8401, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 8402, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 8403, "Els", "nl", "vlindertje")  # another school's parent
    base = await cancellations(db)
    activity = await yoga_id(db)

    # A stray tap: Wednesday 25 November is cancelled, and both parents are told.
    [listing] = await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED
                     and harpreet.last_text().startswith("❌"), fake)
    # Undo is not there before the day is cancelled... and "tell" before undo is stale.
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:go") == EXPIRED

    # The list keeps the cancelled day, marked, with a word on what the mark means.
    [listing] = await greet.says("/activities")
    assert "❌ " + LABEL in labels(listing) and LABEL not in labels(listing)
    assert listing["text"].endswith("❌ = geannuleerd. Tik erop als het toch doorgaat.")
    await greet.taps("❌ " + LABEL)
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None and shown["text"].endswith("❌ Geannuleerd.")
    assert "woensdag 25 november 2026, 14:00–15:00" in shown["text"]
    assert labels(shown) == ["✅ Toch niet geannuleerd", "↩️ Terug"]

    # Are you sure? "No" goes back and changes nothing.
    await greet.taps("✅ Toch niet geannuleerd")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None and sure["text"] == (
        "Kinderyoga op woensdag 25 november 2026 om 14:00 toch laten doorgaan?\n\n"
        "2 ouders kregen bericht dat het niet doorging.")
    assert labels(sure) == ["✅ Ja, het gaat door", "↩️ Nee, het blijft geannuleerd"]
    await greet.taps("↩️ Nee, het blijft geannuleerd")
    assert labels(fake.message(greet.id, listing["message_id"])) == [
        "✅ Toch niet geannuleerd", "↩️ Terug"]
    assert await cancellations(db) == base + 1

    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    asked = fake.message(greet.id, listing["message_id"])
    assert asked is not None and asked["text"] == (
        "Het gaat weer door. De 2 ouders die hoorden dat het niet doorging een bericht sturen?")
    assert await cancellations(db) == base
    # A second tap on "yes, it goes ahead", or on "are you sure", is stale.
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:uo") == EXPIRED
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:ro") == EXPIRED
    assert await cancellations(db) == base

    await greet.taps("✅ Ja, laat het hen weten")
    done = fake.message(greet.id, listing["message_id"])
    assert done is not None and done["text"] == "De ouders krijgen nu een bericht."
    await wait_until(lambda: ayse.last_text().startswith("✅")
                     and harpreet.last_text().startswith("✅"), fake)
    assert ayse.last_text() == TR_AHEAD
    day, hour = pa_day(WED_25.date()), pa_time(14)
    assert harpreet.last_text() == (
        f"✅ ਚੰਗੀ ਖ਼ਬਰ: ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ, {day}, {hour} ਫਿਰ ਵੀ ਹੋਵੇਗੀ। ਉਲਝਣ ਲਈ ਸਾਨੂੰ ਅਫ਼ਸੋਸ "
        "ਹੈ। ਉੱਥੇ ਮਿਲਾਂਗੇ!")
    # Telling twice sends nothing twice; the other school's parent heard nothing at all.
    rows = await outbox_rows(db)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:go") == []
    assert await outbox_rows(db) == rows
    assert not any("yoga" in t.lower() for t in fake.texts(els.id))

    # It is back in the programme and the list.
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" in week["text"]
    [listing] = await greet.says("/activities")
    assert LABEL in labels(listing) and "❌ " + LABEL not in labels(listing)

    # Cancelled once more (this time for real): the parents are told again, and an undo
    # after that tells them again too (each round its own keys).
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED, fake)
    # Both heard it before the undo (a notice still waiting when it is undone is never sent,
    # and its parent is not told it goes ahead: not what this test is about).
    await outbox_settled(db)
    [listing] = await greet.says("/activities")
    await greet.taps("❌ " + LABEL)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_AHEAD, fake)
    assert [t for t in fake.texts(ayse.id) if t.startswith(("✅ İyi", "❌ İptal"))] == [
        TR_CANCELLED, TR_AHEAD, TR_CANCELLED, TR_AHEAD]
    assert await ahead_rows(db) == 4


async def test_undo_before_the_notices_went_out_tells_nobody(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Cancelled and undone at once, the parents not told: nothing to tell them either."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8501, "Ayşe", "tr", "wijdeland")
    before = len(fake.texts(ayse.id))
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    [listing] = await greet.says("/activities")
    await greet.taps("❌ " + LABEL)
    await greet.taps("✅ Toch niet geannuleerd")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None
    assert sure["text"] == "Kinderyoga op woensdag 25 november 2026 om 14:00 toch laten doorgaan?"
    await greet.taps("✅ Ja, het gaat door")
    assert greet.last_text() == ("Het gaat weer door. Geen enkele ouder had gehoord dat het "
                                 "niet doorging.")
    assert not FakeTelegram.inline_buttons(fake.message(greet.id, listing["message_id"]) or {})
    activity = await yoga_id(db)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:go") == EXPIRED
    await fake.wait_idle(quiet=0.2)
    assert len(fake.texts(ayse.id)) == before and await outbox_rows(db) == 0


async def test_forged_undo_presses_and_parents_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_with_programme(chat)
    [listing] = await greet.says("/activities")
    activity = await yoga_id(db)
    base = await cancellations(db)
    for data in (f"act:{activity}:{STAMP}:ro",          # not cancelled
                 f"act:{activity}:{STAMP}:uo",
                 f"act:{activity}:{STAMP}:ko",
                 f"act:99999:{STAMP}:uo",               # no such activity
                 f"act:{activity}:{STAMP + 3600}:uo",   # not an hour the rule produces
                 f"act:{activity}:{STAMP - 21 * 86400}:uo",  # 4 November: cancelled, but past
                 f"act:{activity}:{STAMP - 21 * 86400}:ro",
                 f"act:{activity}:{STAMP - 21 * 86400}",
                 f"act:{activity}:99999999999:uo"):
        assert await forge(fake, greet, listing, data) == EXPIRED, data
    assert await cancellations(db) == base

    # A parent's press of a real undo button is refused at the door.
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    els = await onboard(chat, 8601, "Els", "nl", "wijdeland")
    assert await forge(fake, els, listing, f"act:{activity}:{STAMP}:uo") == [
        "Sorry, dit is alleen voor het team van de Brede School."]
    assert await cancellations(db) == base + 1
    # Once the day has begun, it cannot be undone any more.
    clock.moment = WED_25 + timedelta(minutes=1)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:uo") == EXPIRED
    assert await cancellations(db) == base + 1


async def test_the_reminders_come_back_and_none_twice(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els had the day-before reminder before the cancel: after the undo she still gets the
    two-hours one, and the day-before one is not sent again."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8701, "Els", "nl", "wijdeland")

    def yoga_reminders() -> list[dict]:
        return [m for m in reminders_in(fake, els.id) if "Kinderyoga" in m["text"]]

    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(yoga_reminders()) == 1, fake)

    clock.moment = local(24, 20).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    await round_at(bot, clock, local(24, 20))
    async with db.session() as session:
        two_hours = await session.scalar(select(Reminder.status).where(
            Reminder.occurrence_start == WED_25, Reminder.kind == "2h"))
    assert two_hours == "obsolete"

    # Five minutes later (the planner would not plan again by itself yet): undone, and the
    # undo wakes the planner, which plans the two-hours reminder again.
    clock.moment = local(24, 20, 5).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps("❌ " + LABEL)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")

    async def statuses() -> dict[str, str]:
        async with db.session() as session:
            return dict((await session.execute(select(Reminder.kind, Reminder.status).where(
                Reminder.occurrence_start == WED_25))).all())

    deadline = asyncio.get_running_loop().time() + 10
    while await statuses() != {"day": "sent", "2h": "planned"}:
        assert asyncio.get_running_loop().time() < deadline, await statuses()
        await asyncio.sleep(0.05)

    await round_at(bot, clock, local(25, 12))
    await wait_until(lambda: len(yoga_reminders()) == 2, fake)
    await round_at(bot, clock, local(25, 12, 5))
    await fake.wait_idle(quiet=0.2)
    assert len(yoga_reminders()) == 2
    async with db.session() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like(f"reminder:%:{int(WED_25.timestamp())}:%"))))
    assert len(keys) == len(set(keys)) == 2


async def test_a_notice_still_waiting_at_the_undo_is_never_sent(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Harpreet's cancellation notice waits for a retry when the day is undone: it is not
    sent, she is not counted among those who heard of it, and she gets no "good news"."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8801, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 8802, "Harpreet", "pa", "wijdeland")
    before = len(fake.texts(harpreet.id))
    fake.fail_next("sendMessage", 500, chat_id=harpreet.id, times=50)
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED, fake)
    await next_try_in_an_hour(db, harpreet.id)
    [listing] = await greet.says("/activities")
    await greet.taps("❌ " + LABEL)
    await greet.taps("✅ Toch niet geannuleerd")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None and sure["text"].endswith(
        "1 ouder kreeg bericht dat het niet doorging.")
    await greet.taps("✅ Ja, het gaat door")
    assert greet.last_text() == (
        "Het gaat weer door. De 1 ouder die hoorde dat het niet doorging een bericht sturen?")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_AHEAD, fake)
    await fake.wait_idle(quiet=0.3)
    assert len(fake.texts(harpreet.id)) == before
    async with db.session() as session:
        status = await session.scalar(select(OutboxMessage.status).where(
            OutboxMessage.group_key.like("undone:%"),
            OutboxMessage.chat_id == harpreet.id))
    assert status == "dropped"


# --------------------------------------------------------------------------------------------
# the reminders of an undone day, and those who said they come


def yoga_reminders(fake: FakeTelegram, person: Person) -> list[dict]:
    return [m for m in reminders_in(fake, person.id)
            if "Kinderyoga" in m["text"] or "Çocuk yogası" in m["text"]]


async def reminder_states(db: Database, kind: str) -> dict[int, tuple[str, str | None]]:
    """person id -> (status, reason) of the yoga's reminders of that kind on the 25th."""
    async with db.session() as session:
        rows = await session.execute(
            select(Reminder.person_id, Reminder.status, Reminder.reason).where(
                Reminder.occurrence_start == WED_25, Reminder.kind == kind))
        return {person: (status, reason) for person, status, reason in rows.all()}


async def person_id(db: Database, chat_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(PersonRow.id).where(PersonRow.telegram_id == chat_id))
        assert found is not None
        return found


async def next_try_in_an_hour(db: Database, chat_id: int) -> None:
    """Once the chat's cancellation notice failed and waits for a retry: that retry an hour
    ahead. Retried within seconds, a try could be under way at an undo, and a notice sent
    whose answer has not come back yet counts as heard."""

    async def moved() -> bool:
        async with db.session() as session:
            result = await session.execute(update(OutboxMessage).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending",
                OutboxMessage.attempts >= 1, OutboxMessage.group_key.like("cancel:%"))
                .values(not_before=utcnow() + timedelta(hours=1)))
            await session.commit()
            return bool(result.rowcount)

    await wait_for_db(moved)


async def wait_for_db(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while not await check():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)


async def cancel_yoga(greet: Person, tell: bool) -> None:
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten" if tell else "Nee, niets laten weten")


async def undo_yoga(greet: Person, fake: FakeTelegram, line: str = "❌ " + LABEL
                    ) -> tuple[str, str]:
    """Undone through /activities, from its ``line``: (the question's text, the answer's)."""
    [listing] = await greet.says("/activities")
    await greet.taps(line)
    await greet.taps("✅ Toch niet geannuleerd")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None
    await greet.taps("✅ Ja, het gaat door")
    return sure["text"], greet.last_text()


async def test_a_reminder_due_while_cancelled_goes_late_and_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Cancelled on Tuesday at 17:00, undone at 19:00: the day-before reminder of 18:00 never
    went. Els and Ayşe (who heard of the cancellation) get it now, once, saying "tomorrow";
    Jan, who sent /stop, and Harpreet, who blocked the bot, get none. The two-hours reminder
    comes as planned."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9101, "Els", "nl", "wijdeland")
    ayse = await onboard(chat, 9102, "Ayşe", "tr", "wijdeland")
    jan = await onboard(chat, 9103, "Jan", "nl", "wijdeland")
    harpreet = await onboard(chat, 9104, "Harpreet", "pa", "wijdeland")
    await round_at(bot, clock, local(22, 10))  # every reminder of the week planned
    await jan.says("/stop")
    fake.block_chat(harpreet.id)  # she hears of it when the cancellation notice bounces

    clock.moment = local(24, 17).astimezone(UTC)
    await cancel_yoga(greet, tell=True)
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED
                     and els.last_text().startswith("❌ Geannuleerd"), fake)
    # Harpreet's bounced, and that is written down (until then, a notice under way counts as
    # heard at the undo).
    await outbox_settled(db, harpreet.id)
    assert (await round_at(bot, clock, local(24, 18))).sent == 0
    assert set((await reminder_states(db, "day")).values()) == {("obsolete", None)}

    clock.moment = local(24, 19).astimezone(UTC)
    _sure, answer = await undo_yoga(greet, fake)
    assert answer == ("Het gaat weer door. De 2 ouders die hoorden dat het niet doorging een "
                      "bericht sturen?")
    # The undo wakes the planner: the reminder that passed goes now, late.
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 1
                     and len(yoga_reminders(fake, ayse)) == 1, fake)
    assert "🔔 Herinnering: morgen" in yoga_reminders(fake, els)[0]["text"]
    assert "🔔 Hatırlatma: yarın" in yoga_reminders(fake, ayse)[0]["text"]
    await round_at(bot, clock, local(24, 19, 5))
    await round_at(bot, clock, local(24, 19, 20))
    await fake.wait_idle(quiet=0.2)
    assert len(yoga_reminders(fake, els)) == len(yoga_reminders(fake, ayse)) == 1
    assert yoga_reminders(fake, jan) == [] and yoga_reminders(fake, harpreet) == []
    states = await reminder_states(db, "day")
    assert states[await person_id(db, jan.id)] == ("skipped", "stopped")
    assert states[await person_id(db, harpreet.id)] == ("skipped", "blocked")

    await round_at(bot, clock, local(25, 12))
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 2, fake)
    assert "🔔 Herinnering: over twee uur" in yoga_reminders(fake, els)[1]["text"]


async def test_a_reminder_the_cancellation_took_out_of_the_outbox_comes_back_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els's day-before reminder went to the outbox at 18:00 but did not go out before her
    quiet hours began (21:00): it waits there when the day is cancelled at 21:30, and the
    cancellation drops it. Undone at 21:35, it comes back under its own key and reaches her
    once, at 08:00, saying "today at 14:00"."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9201, "Els", "nl", "wijdeland")
    activity = await yoga_id(db)
    group = f"reminder:{activity}:{STAMP}"
    await round_at(bot, clock, local(22, 10))
    clock.moment = local(24, 21, 30).astimezone(UTC)
    async with db.session() as session:  # the round of 18:00, whose sends were held up
        await reminders.hand_over_due(session, local(24, 18).astimezone(UTC), render_reminder)
        await session.commit()
    assert bot.app is not None
    outbox_sender.wake(bot.app)

    async def rows() -> list[tuple[str, str, str | None]]:
        async with db.session() as session:
            found = await session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.error)
                .where(OutboxMessage.group_key == group, OutboxMessage.kind == "text"))
            return [(k, s, e) for k, s, e in found.all()]

    async def held() -> bool:
        return [(s, e) for _k, s, e in await rows()] == [("pending", "quiet")]

    await wait_for_db(held)
    [(key, _s, _e)] = await rows()

    await cancel_yoga(greet, tell=False)
    await round_at(bot, clock, local(24, 21, 31))
    assert [(s, e) for _k, s, e in await rows()] == [("dropped", "gone")]
    assert set((await reminder_states(db, "day")).values()) == {("undelivered", "gone")}

    clock.moment = local(24, 21, 35).astimezone(UTC)
    _sure, answer = await undo_yoga(greet, fake)
    assert answer == "Het gaat weer door. Geen enkele ouder had gehoord dat het niet doorging."

    async def waits_for_the_morning() -> bool:
        async with db.session() as session:
            row = await session.scalar(select(Reminder).where(
                Reminder.occurrence_start == WED_25, Reminder.kind == "day"))
            return row is not None and row.status == "planned" and row.due_at == local(
                25, 8).astimezone(UTC)

    await wait_for_db(waits_for_the_morning)  # quiet hours: the late one waits for 08:00
    assert yoga_reminders(fake, els) == []
    await round_at(bot, clock, local(25, 8))
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 1, fake)
    assert "🔔 Herinnering: vandaag om 14:00" in yoga_reminders(fake, els)[0]["text"]
    await round_at(bot, clock, local(25, 8, 5))
    await fake.wait_idle(quiet=0.2)
    assert len(yoga_reminders(fake, els)) == 1
    found = sorted(await rows())
    assert [(k, s) for k, s, _e in found] == [(key, "sent"), (key + found[1][0][len(key):],
                                                               "dropped")]
    assert found[1][0].startswith(key + ":u") and found[1][2] == "undone"


async def test_a_reminder_already_sent_is_not_sent_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els had the day-before reminder; the day is cancelled on Wednesday at 09:00 and undone
    at 12:30, after the two-hours reminder's time: that one goes late ("today at 14:00"),
    the day-before one not again."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9301, "Els", "nl", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 1, fake)

    clock.moment = local(25, 9).astimezone(UTC)
    await cancel_yoga(greet, tell=False)
    await round_at(bot, clock, local(25, 12))
    clock.moment = local(25, 12, 30).astimezone(UTC)
    await undo_yoga(greet, fake)
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 2, fake)
    assert "🔔 Herinnering: vandaag om 14:00" in yoga_reminders(fake, els)[1]["text"]
    await round_at(bot, clock, local(25, 12, 45))
    await fake.wait_idle(quiet=0.2)
    assert len(yoga_reminders(fake, els)) == 2
    assert set((await reminder_states(db, "day")).values()) == {("sent", None)}
    async with db.session() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like(f"reminder:%:{STAMP}:%"),
            OutboxMessage.kind == "text")))
    assert len(keys) == len(set(keys)) == 2


async def test_a_reminder_turned_off_does_not_come_back_late(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The coordinator turned "the day before" off for workshops after it was planned: when
    the day is undone after 18:00, nobody gets it late; the two-hours one comes."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9401, "Els", "nl", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    await greet.says("/reminders")
    await greet.taps(data="rm:k:workshop")
    await greet.taps(data="rm:t:workshop:day:off")

    clock.moment = local(24, 17).astimezone(UTC)
    await cancel_yoga(greet, tell=False)
    await round_at(bot, clock, local(24, 18))
    clock.moment = local(24, 19).astimezone(UTC)
    await undo_yoga(greet, fake)
    await round_at(bot, clock, local(24, 19, 5))
    await fake.wait_idle(quiet=0.2)
    assert yoga_reminders(fake, els) == []
    assert set((await reminder_states(db, "day")).values()) == {("skipped", "not_chosen")}
    await round_at(bot, clock, local(25, 12))
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 1, fake)
    assert "🔔 Herinnering: over twee uur" in yoga_reminders(fake, els)[0]["text"]


async def test_those_who_said_they_come_hear_at_once_that_it_goes_ahead(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe said she comes. Cancelled, she alone is told; undone, she alone hears at once that
    it goes ahead. Cancelled again and everyone told; undone: Ayşe hears it at once, the
    coordinator is offered the two others, and telling them later tells Ayşe nothing twice."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9501, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 9502, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 9503, "Els", "nl", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(yoga_reminders(fake, ayse)) == 1, fake)
    await ayse.taps(data=f"rv:{nl_reminder_id(yoga_reminders(fake, ayse)[0])}:yes")
    clock.moment = local(24, 19).astimezone(UTC)

    def aheads(person: Person) -> list[str]:
        return [t for t in fake.texts(person.id) if t.startswith(("✅ İyi", "✅ Goed", "✅ ਚੰਗੀ"))]

    await cancel_yoga(greet, tell=False)
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED, fake)
    sure, answer = await undo_yoga(greet, fake)
    assert sure.endswith("1 ouder kreeg bericht dat het niet doorging.\n\n"
                         "1 ouder zei te komen. Die krijgt meteen een bericht.")
    assert answer == "Het gaat weer door. De 1 ouder die zei te komen, kreeg een bericht."
    await wait_until(lambda: ayse.last_text() == TR_AHEAD, fake)

    await cancel_yoga(greet, tell=True)
    # Every notice delivered (one still on its way at the undo would not be sent: it waits).
    await wait_until(lambda: els.last_text().startswith("❌ Geannuleerd")
                     and ayse.last_text() == TR_CANCELLED, fake)
    sure, answer = await undo_yoga(greet, fake)
    assert sure.endswith("3 ouders kregen bericht dat het niet doorging.\n\n"
                         "1 ouder zei te komen. Die krijgt meteen een bericht.")
    assert answer == ("Het gaat weer door. De 2 andere ouders die hoorden dat het niet "
                      "doorging een bericht sturen?")
    # Ayşe at once, before the coordinator answers; the others not yet.
    await wait_until(lambda: len(aheads(ayse)) == 2, fake)
    assert aheads(els) == aheads(harpreet) == []
    [listing] = [m for m in fake.transcript(greet.id) if m.get("text") == answer]
    await greet.taps("Nee, niets laten weten")
    assert greet.last_text() == ("Het gaat weer door. Alleen de 1 ouder die zei te komen, "
                                 "kreeg een bericht.")
    await fake.wait_idle(quiet=0.2)
    assert aheads(els) == aheads(harpreet) == []
    # Told after all (an old button): the two others, Ayşe not twice.
    activity = await yoga_id(db)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:go") == []
    await wait_until(lambda: len(aheads(els)) == 1 and len(aheads(harpreet)) == 1, fake)
    await fake.wait_idle(quiet=0.2)
    assert aheads(ayse) == [TR_AHEAD, TR_AHEAD] and await ahead_rows(db) == 4
    # The day-before reminder she had is not sent again.
    assert len(yoga_reminders(fake, ayse)) == 1
