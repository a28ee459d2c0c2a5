"""Undoing a cancelled day end to end: it goes ahead after all, those who heard of the
cancellation may be told so, its reminders come back, and nothing is sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

from sqlalchemy import func, select

from storage.db import Database
from storage.models import OutboxMessage, Reminder
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, pa_day, pa_time
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
from tests.test_reminders_e2e import local, reminders_in, round_at

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
