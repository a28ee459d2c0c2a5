"""A day the master file cancelled and the coordinator brought back in /activities: the same
file sent again does not cancel it again, the parents hear nothing more, and the reply says
so (once, with the day). Cancelled again in /activities, the usual rules hold again. The same
for a whole activity a calendar calls off (STATUS:CANCELLED). The rules:
test_import_restored_days.py."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import ActivityRestoration
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_cancellation_e2e import WED_25
from tests.test_programme_e2e import EXAMPLE, coordinator_of, coordinator_with_programme, onboard
from tests.test_uncancel_e2e import LABEL, TR_AHEAD, TR_CANCELLED, labels, undo_yoga
from tests.test_uncancel_whole_e2e import WHOLE, says_yes

BROUGHT_BACK = ("Niet opnieuw geannuleerd, ook al staat het in dit bestand nog als geannuleerd "
                "(teruggehaald in /activities; een bestand annuleert het niet opnieuw): "
                "Kinderyoga 25/11. Gaat het toch niet door, annuleer het dan in /activities; "
                "gaat het wel door, haal het dan uit cancelled_dates (in een agenda: EXDATE).")
WHOLE_BACK = ("Niet opnieuw afgelast, ook al staat het in deze agenda nog als geannuleerd "
              "(teruggehaald in /activities; een bestand last het niet opnieuw af): Kinderyoga. "
              "Gaat het toch niet door, annuleer het dan in /activities; gaat het wel door, "
              "haal dan STATUS:CANCELLED uit de afspraak.")
TOLD = "1 ouder die zei te komen, krijgt bericht dat het niet doorgaat."


def master_file(*days: str) -> bytes:
    """The example programme, yoga also off on ``days``."""
    text = EXAMPLE.read_text(encoding="utf-8-sig")
    listed = ";2026-10-28 2026-11-04\n"  # the yoga row's cancelled_dates, and only its
    assert text.count(listed) == 1
    return text.replace(listed, ";" + " ".join(("2026-10-28", "2026-11-04", *days)) + "\n"
                        ).encode()


async def send(greet: Person, content: bytes, name: str = "programma.csv") -> str:
    [reply] = await greet.sends("document", file_name=name,
                                mime_type="text/calendar" if name.endswith(".ics")
                                else "text/csv", content=content)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    return str(reply["text"])


def cancelled_notices(fake: FakeTelegram, parent: Person) -> int:
    return sum(1 for text in fake.texts(parent.id) if text.startswith("❌"))


async def remembered(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(
            select(func.count()).select_from(ActivityRestoration)) or 0


async def test_the_master_file_sent_again_does_not_cancel_a_day_brought_back(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9701, "Ayşe", "tr", "wijdeland")
    await says_yes(db, ayse, WED_25)

    # The master file calls off Wednesday 25; Ayşe, who said she comes, is told.
    reply = await send(greet, master_file("2026-11-25"))
    assert TOLD in reply and "Niet opnieuw" not in reply
    await wait_until(lambda: ayse.last_text() == TR_CANCELLED, fake)
    # The coordinator brings it back: Ayşe hears the good news.
    await undo_yoga(greet, fake)
    await wait_until(lambda: ayse.last_text() == TR_AHEAD, fake)

    # A week later, the unchanged master file: the day stays on, Ayşe hears nothing more,
    # and the reply says why, once, with the day (each time the file is sent).
    for _ in range(2):
        reply = await send(greet, master_file("2026-11-25"))
        assert reply.count(BROUGHT_BACK) == 1 and reply.count("25/11") == 1, reply
        assert TOLD not in reply and "/activities, tik op de dag (❌)" not in reply
        assert reply.startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 12 ongewijzigd.")
    await outbox_settled(db)
    await fake.wait_idle(quiet=0.2)
    assert ayse.last_text() == TR_AHEAD and cancelled_notices(fake, ayse) == 1
    [listing] = await greet.says("/activities")
    assert LABEL in labels(listing) and "❌ " + LABEL not in labels(listing)
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" in week["text"]

    # Off after all: cancelled again in /activities (Ayşe is told, as always). The file that
    # lists it now agrees with the bot: nothing to say, and nobody told twice.
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await wait_until(lambda: cancelled_notices(fake, ayse) == 2, fake)
    assert await remembered(db) == 1  # forgotten at the next file, which reads it
    reply = await send(greet, master_file("2026-11-25"))
    assert "Niet opnieuw" not in reply and TOLD not in reply
    assert await remembered(db) == 0
    await outbox_settled(db)
    await fake.wait_idle(quiet=0.2)
    assert cancelled_notices(fake, ayse) == 2


async def test_a_file_without_the_day_then_with_it_again_cancels_it(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The coordinator takes the day out of cancelled_dates (file and bot agree); weeks later
    she puts it back in: off after all, and the parents are told as for any day."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9711, "Ayşe", "tr", "wijdeland")
    await says_yes(db, ayse, WED_25)
    await send(greet, master_file("2026-11-25"))
    await undo_yoga(greet, fake)
    await wait_until(lambda: ayse.last_text() == TR_AHEAD, fake)
    reply = await send(greet, master_file())
    assert "Niet opnieuw" not in reply and "Nog altijd geannuleerd" not in reply
    assert await remembered(db) == 0
    reply = await send(greet, master_file("2026-11-25"))
    assert TOLD in reply and "Niet opnieuw" not in reply
    await wait_until(lambda: cancelled_notices(fake, ayse) == 2, fake)


def yoga_calendar(cancelled: bool) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT",
             "DTSTAMP:20261101T000000Z", "UID:kinderyoga-wijdeland", "SUMMARY:Kinderyoga",
             "CATEGORIES:workshop,wijdeland",
             "DTSTART;TZID=Europe/Brussels:20261104T140000",
             "DTEND;TZID=Europe/Brussels:20261104T150000",
             "RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216",
             *(["STATUS:CANCELLED"] if cancelled else []), "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


async def test_a_calendar_that_still_calls_off_an_activity_brought_back_does_not_again(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    els = await onboard(chat, 9721, "Els", "nl", "wijdeland")
    await send(greet, yoga_calendar(False), "agenda.ics")
    await says_yes(db, els, WED_25)
    reply = await send(greet, yoga_calendar(True), "agenda.ics")
    assert TOLD in reply
    await wait_until(lambda: els.last_text() == "❌ Kinderyoga gaat niet meer door. Het spijt ons.",
                     fake)
    await undo_yoga(greet, fake, WHOLE)
    await wait_until(lambda: els.last_text().startswith("✅ Goed nieuws: Kinderyoga"), fake)

    reply = await send(greet, yoga_calendar(True), "agenda.ics")
    assert reply.count(WHOLE_BACK) == 1 and TOLD not in reply, reply
    assert "Nog altijd geannuleerd" not in reply
    await outbox_settled(db)
    await fake.wait_idle(quiet=0.2)
    assert els.last_text().startswith("✅") and cancelled_notices(fake, els) == 1
    [listing] = await greet.says("/activities")
    assert LABEL in labels(listing) and WHOLE not in labels(listing)
