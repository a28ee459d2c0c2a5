"""Cancelling an activity end to end: the coordinator cancels, the right parents are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.i18n import BRUSSELS
from bot.services import programme
from storage.db import Database
from storage.models import (
    Activity,
    ActivityCancellation,
    OutboxMessage,
    Rsvp,
    School,
)
from storage.models import Person as PersonRow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    HEADER,
    import_csv,
    local,
    says_yes_to_the_day_reminder,
)

WED_25 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 in Brussels
STAMP = int(WED_25.timestamp())


async def yoga_id(db: Database) -> int:
    async with db.session() as session:
        found = await session.scalar(
            select(Activity.id).where(Activity.external_id == "kinderyoga-wijdeland"))
        assert found is not None
        return found


async def cancellations(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(
            select(func.count()).select_from(ActivityCancellation)) or 0


async def outbox_rows(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


async def forge(fake: FakeTelegram, person: Person, message: dict, data: str) -> list[str]:
    """Press a button that was never sent (a forged or stale callback), return the alerts."""
    return await person.presses(message, data)


async def test_cancel_one_wednesday_and_tell_the_parents(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8001, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 8002, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 8003, "Jan", "nl", "wijdeland")
    await jan.says("/stop")
    before = {p.id: len(fake.texts(p.id)) for p in (ayse, els, jan)}

    [listing] = await greet.says("/activities")
    labels = [text for text, _data in FakeTelegram.inline_buttons(listing)]
    assert "Kinderyoga · wo 25/11 14:00" in labels
    assert "Kinderyoga · wo 02/12 14:00" in labels
    assert "Badminton na school · ma 23/11 15:30" in labels
    assert len(labels) <= 20

    await greet.taps("Kinderyoga · wo 25/11 14:00")
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None
    assert "Kinderyoga" in shown["text"] and "woensdag 25 november 2026, 14:00–15:00" in shown[
        "text"]
    assert "Turnzaal Het Wijdeland" in shown["text"]
    assert "Voor: Freinetschool Het Wijdeland (Brustem)" in shown["text"]
    assert [t for t, _d in FakeTelegram.inline_buttons(shown)] == [
        "❌ Alleen deze keer annuleren", "❌ Elke keer annuleren", "↩️ Terug"]

    shown_text, shown_buttons = shown["text"], [t for t, _d in FakeTelegram.inline_buttons(shown)]
    base = await cancellations(db)  # the ones the file already had
    # A tap on "cancel" asks once more; "no" goes back and changes nothing.
    await greet.taps("❌ Alleen deze keer annuleren")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None
    assert sure["text"] == "Kinderyoga annuleren op woensdag 25 november 2026 om 14:00?"
    assert [t for t, _d in FakeTelegram.inline_buttons(sure)] == [
        "❌ Ja, annuleren", "↩️ Nee, laten staan"]
    await greet.taps("↩️ Nee, laten staan")
    back = fake.message(greet.id, listing["message_id"])
    assert back is not None and back["text"] == shown_text
    assert [t for t, _d in FakeTelegram.inline_buttons(back)] == shown_buttons
    assert await cancellations(db) == base
    assert await outbox_rows(db) == 0

    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    asked = fake.message(greet.id, listing["message_id"])
    assert asked is not None
    assert asked["text"] == "Geannuleerd. De 1 ouder die het zou krijgen een bericht sturen?"
    assert await cancellations(db) == base + 1

    # The old "cancel" button, pressed again, changes nothing.
    activity = await yoga_id(db)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:xo") == [
        "Deze knop werkt niet meer."]
    assert await cancellations(db) == base + 1

    await greet.taps("✅ Ja, laat het hen weten")
    done = fake.message(greet.id, listing["message_id"])
    assert done is not None and done["text"] == "De ouders krijgen nu een bericht."
    await wait_until(lambda: ayse.last_text().startswith("❌"), fake)
    assert ayse.last_text() == ("❌ İptal edildi: Çocuk yogası, 25 Kasım 2026 Çarşamba, 14:00. "
                                "Üzgünüz. Bir dahaki sefere görüşmek üzere!")
    # Telling twice sends nothing twice.
    rows = await outbox_rows(db)
    await forge(fake, greet, listing, f"act:{activity}:{STAMP}:yo")
    assert await outbox_rows(db) == rows
    assert len(fake.texts(els.id)) == before[els.id]
    assert len(fake.texts(jan.id)) == before[jan.id]
    assert len(fake.texts(ayse.id)) == before[ayse.id] + 1

    # The cancelled Wednesday is gone from the programme; the next one is still there.
    now = datetime(2026, 11, 22, 10, 0, tzinfo=BRUSSELS)
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "wijdeland"))
        assert school is not None
        items = await programme.programme_between(session, [school], "tr", now,
                                                  now + timedelta(days=14))
    starts = [i.starts_at for i in items if i.activity_id == activity]
    assert WED_25 not in starts and WED_25 + timedelta(days=7) in starts
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" not in week["text"]


async def test_forged_buttons_and_parents_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    [listing] = await greet.says("/activities")
    activity = await yoga_id(db)
    base = await cancellations(db)
    expired = ["Deze knop werkt niet meer."]
    for data in (f"act:99999:{STAMP}", f"act:99999:{STAMP}:xo", f"act:99999:{STAMP}:co",
                 f"act:{activity}:{STAMP + 3600}:co",
                 f"act:{activity}:{STAMP + 3600}:xo",   # not an hour the rule produces
                 f"act:{activity}:{STAMP + 86400}:xa",  # a Thursday
                 f"act:{activity}:{STAMP - 21 * 86400}:xo",  # 4 November: already cancelled
                 f"act:{activity}:{STAMP}:yo",          # tell before it was cancelled
                 f"act:{activity}:99999999999:xa"):
        assert await forge(fake, greet, listing, data) == expired, data
    assert await cancellations(db) == base
    assert await outbox_rows(db) == 0

    els = await onboard(chat, 8101, "Els", "nl", "wijdeland")
    [reply] = await els.says("/activities")
    assert reply["text"] == "Sorry, dit is alleen voor het team van de Brede School."
    assert await forge(fake, els, listing, f"act:{activity}:{STAMP}:xa") == [
        "Sorry, dit is alleen voor het team van de Brede School."]
    assert await cancellations(db) == base
    async with db.session() as session:
        row = await session.get(Activity, activity)
        assert row is not None and row.cancelled_at is None


async def test_cancel_every_time_tells_that_it_stops(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    harpreet = await onboard(chat, 8201, "Harpreet", "pa", "wijdeland")
    await greet.says("/activities")
    await greet.taps("Kinderyoga · wo 25/11 14:00")
    await greet.taps("❌ Elke keer annuleren")
    assert fake.transcript(greet.id)[-1]["text"] == (
        "Kinderyoga elke keer annuleren, vanaf woensdag 25 november 2026?")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: harpreet.last_text().startswith("❌"), fake)
    assert harpreet.last_text() == "❌ ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ ਹੁਣ ਨਹੀਂ ਹੋਵੇਗੀ। ਸਾਨੂੰ ਅਫ਼ਸੋਸ ਹੈ।"
    [listing] = await greet.says("/activities")
    assert not any(t.startswith("Kinderyoga") for t, _d in FakeTelegram.inline_buttons(listing))


async def test_cancelling_every_time_from_a_later_day_tells_who_comes_on_an_earlier_one(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Tapped on 2 December, "every time" stops 25 November too: Harpreet, who said yes to
    the 25th, is told, whatever the coordinator chooses for the others."""
    greet = await coordinator_with_programme(chat)
    harpreet = await onboard(chat, 8301, "Harpreet", "pa", "wijdeland")
    activity = await yoga_id(db)
    async with db.session() as session:
        person = await session.scalar(
            select(PersonRow.id).where(PersonRow.telegram_id == harpreet.id))
        assert person is not None
        session.add(Rsvp(activity_id=activity, occurrence_start=WED_25, person_id=person,
                         answer="yes"))
        await session.commit()

    await greet.says("/activities")
    await greet.taps("Kinderyoga · wo 02/12 14:00")
    await greet.taps("❌ Elke keer annuleren")
    assert fake.transcript(greet.id)[-1]["text"] == (
        "Kinderyoga elke keer annuleren, vanaf woensdag 25 november 2026?\n\n"
        "1 ouder zei te komen. Die krijgt meteen een bericht.")
    # "No" goes back to the day that was tapped.
    await greet.taps("↩️ Nee, laten staan")
    assert "woensdag 2 december 2026, 14:00–15:00" in fake.transcript(greet.id)[-1]["text"]
    await greet.taps("❌ Elke keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    # She is the school's only parent: nobody else to ask about.
    assert fake.transcript(greet.id)[-1]["text"] == (
        "Geannuleerd. De 1 ouder die zei te komen, kreeg een bericht.")
    assert not FakeTelegram.inline_buttons(fake.transcript(greet.id)[-1])
    await wait_until(lambda: harpreet.last_text().startswith("❌"), fake)
    assert harpreet.last_text() == "❌ ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ ਹੁਣ ਨਹੀਂ ਹੋਵੇਗੀ। ਸਾਨੂੰ ਅਫ਼ਸੋਸ ਹੈ।"


async def test_more_than_a_screen_of_occurrences_comes_in_pages(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A daily activity beside the programme: more than 20 in two weeks, none left out."""
    greet = await coordinator_with_programme(chat)
    daily = ("opvang-dagelijks;other;alle;2026-11-23;07:30;08:30;FREQ=DAILY;;;;;"
             "Ochtendopvang;;;;;;")
    await import_csv(greet, daily)
    [listing] = await greet.says("/activities")
    first = [label for label, _d in FakeTelegram.inline_buttons(listing)]
    assert len(first) == 21 and first[-1] == "▶️"
    await greet.taps("▶️")
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None
    second = [label for label, _d in FakeTelegram.inline_buttons(shown)]
    assert second[-1] == "◀️" and "▶️" not in second
    labels = first[:-1] + second[:-1]
    assert len(labels) == len(set(labels))
    assert sum(label.startswith("Ochtendopvang") for label in labels) == 14
    assert "Kinderyoga · wo 25/11 14:00" in labels
    await greet.taps("◀️")
    back = fake.message(greet.id, listing["message_id"])
    assert back is not None
    assert [label for label, _d in FakeTelegram.inline_buttons(back)] == first
    # An occurrence on the second page, then "Back": the second page again, not the first.
    await greet.taps("▶️")
    await greet.taps(second[0])
    opened = fake.message(greet.id, listing["message_id"])
    assert opened is not None and "❌" in str(FakeTelegram.inline_buttons(opened))
    await greet.taps("↩️ Terug")
    again = fake.message(greet.id, listing["message_id"])
    assert again is not None
    assert [label for label, _d in FakeTelegram.inline_buttons(again)] == second


async def test_an_activity_weeks_away_can_be_cancelled_too(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The Christmas party is in four weeks, beyond /activities' two: it is listed by its
    date all the same (each activity once, the next time it happens), and cancelled there."""
    greet = await coordinator_with_programme(chat)
    await import_csv(greet, "kerst;other;alle;2026-12-18;14:00;16:00;;;;;;Kerstfeest;;;;;;")
    [listing] = await greet.says("/activities")
    labels = [text for text, _data in FakeTelegram.inline_buttons(listing)]
    assert "Kerstfeest · vr 18/12 14:00" in labels
    assert sum(label.startswith("Kinderyoga") for label in labels) == 2  # weekly: two weeks'
    await greet.taps("Kerstfeest · vr 18/12 14:00")
    await greet.taps("❌ Deze activiteit annuleren")  # a one-off: one button
    await greet.taps("❌ Ja, annuleren")
    assert greet.last_text().startswith("Geannuleerd.")
    async with db.session() as session:
        cancelled = list(await session.scalars(
            select(ActivityCancellation.occurrence_start)
            .join(Activity, Activity.id == ActivityCancellation.activity_id)
            .where(Activity.external_id == "kerst")))
    assert cancelled == [datetime(2026, 12, 18, 13, 0, tzinfo=UTC)]


async def test_a_day_cancelled_in_the_file_can_still_be_told_from_activities(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The file calls Wednesday's ouderbabbel off: Els, who said she comes, is told at once.
    Ayşe had the same reminder but did not answer: /activities offers to tell her (and
    whoever else was not told) from the cancelled day; Els gets no second notice."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9811, "Els", "nl", "vlindertje")
    ayse = await onboard(chat, 9812, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, els)
    await wait_until(lambda: any("🔔" in t for t in fake.texts(ayse.id)), fake)

    clock.moment = local(24, 20)
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=f"{HEADER}\n{BABBEL}2026-11-25".encode())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 1 gewijzigd"), reply["text"]
    assert "/activities, tik op de dag (❌), dan op 📣." in reply["text"], reply["text"]
    await wait_until(lambda: els.last_text().startswith("❌"), fake)

    [listing] = await greet.says("/activities")
    day = next(data for text, data in FakeTelegram.inline_buttons(listing)
               if text.startswith("❌ Ouderbabbel"))
    await greet.taps(data=day)
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None
    labels = [text for text, _data in FakeTelegram.inline_buttons(shown)]
    assert labels[0] == "📣 Nog 1 ouder een bericht sturen", labels
    await greet.taps("📣 Nog 1 ouder een bericht sturen")
    await wait_until(lambda: ayse.last_text().startswith("❌ İptal edildi"), fake)
    await fake.wait_idle()
    assert sum(t.startswith("❌") for t in fake.texts(els.id)) == 1
    # Everyone has been told now: the day no longer offers it.
    [listing] = await greet.says("/activities")
    await greet.taps(data=day)
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None
    assert not any(text.startswith("📣") for text, _data in FakeTelegram.inline_buttons(shown))
