"""One occurrence of a weekly series moved in Outlook or Google (RECURRENCE-ID) and the
calendar imported again: the parents who expect it hear where and when it is now, never that
it is cancelled, and their answers follow it. Once: the same file again tells nobody."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.programme import Place
from bot.services.reminders import place_mark
from storage.db import Database
from storage.models import Activity, Reminder, Rsvp
from storage.models import Person as PersonRow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_ics_moves import OVERRIDE_ID, YOGA_MOVED_ONCE, YOGA_SERIES, calendar
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import round_at

WEDNESDAY = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 in Brussels
THURSDAY = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 16:00 in Brussels
AFTER_IMPORT = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
TIME_OR_PLACE = "bericht over het nieuwe tijdstip of de nieuwe plaats"
DAY_HINT = "tik op de dag (❌)"


async def send_calendar(greet: Person, *events: str) -> str:
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=calendar(*events))
    text: str = reply["text"]
    assert text.startswith("Ingelezen"), text
    return text


async def ids(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {row.external_id: row.id for row in await session.scalars(select(Activity))}


async def person_id(db: Database, parent: Person) -> int:
    async with db.session() as session:
        found = await session.scalar(select(PersonRow.id)
                                     .where(PersonRow.telegram_id == parent.id))
        assert found is not None
        return found


async def answer(db: Database, parent: Person, said: str, children: int | None = None) -> None:
    """The parent's answer to Wednesday 25 November's yoga (as the reminder's buttons
    write it)."""
    activity = (await ids(db))["yoga-wijdeland"]
    who = await person_id(db, parent)
    async with db.session() as session:
        session.add(Rsvp(activity_id=activity, occurrence_start=WEDNESDAY, person_id=who,
                         answer=said, children=children))
        await session.commit()


async def reminded(db: Database, parent: Person) -> None:
    """The week-ahead reminder of Wednesday's yoga was sent to the parent."""
    activity = (await ids(db))["yoga-wijdeland"]
    who = await person_id(db, parent)
    async with db.session() as session:
        session.add(Reminder(activity_id=activity, occurrence_start=WEDNESDAY, person_id=who,
                             kind="week", due_at=datetime(2026, 11, 18, 17, tzinfo=UTC),
                             status="sent", handled_at=datetime(2026, 11, 18, 17, tzinfo=UTC),
                             place_mark=place_mark(Place(
                                 "Turnzaal Het Wijdeland", "Kerkstraat 12, 3800 Brustem"))))
        await session.commit()


async def rsvps(db: Database) -> dict[int, tuple[int, datetime, str, int | None, str | None]]:
    """Person -> (activity, occurrence, answer, children, place mark)."""
    async with db.session() as session:
        return {r.person_id: (r.activity_id, r.occurrence_start, r.answer, r.children,
                              r.place_mark) for r in await session.scalars(select(Rsvp))}


def new_texts(fake: FakeTelegram, parent: Person, before: int) -> list[str]:
    return fake.texts(parent.id)[before:]


async def test_one_occurrence_moved_in_the_calendar_tells_the_parent_it_moved_not_cancelled(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=calendar(YOGA_SERIES))
    assert reply["text"].startswith("Ingelezen: 1 nieuw"), reply["text"]
    els = await onboard(chat, 7101, "Els", "nl", "wijdeland")
    wednesday = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    async with db.session() as session:
        person = await session.scalar(select(PersonRow.id).where(PersonRow.telegram_id == els.id))
        activity = await session.scalar(
            select(Activity.id).where(Activity.external_id == "yoga-wijdeland"))
        assert person is not None and activity is not None
        session.add(Rsvp(activity_id=activity, occurrence_start=wednesday, person_id=person,
                         answer="yes"))
        await session.commit()
    before = len(fake.texts(els.id))

    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=calendar(YOGA_SERIES, YOGA_MOVED_ONCE))
    await round_at(bot, clock, datetime(2026, 11, 22, 10, 5, tzinfo=UTC))
    await wait_until(lambda: len(fake.texts(els.id)) > before, fake)
    await fake.wait_idle()
    told = "\n".join(fake.texts(els.id)[before:])
    # She should hear the new day and time, and not that it is off.
    assert "donderdag 26 november 2026" in told and "16:00" in told, told
    assert not told.startswith("❌"), told


async def test_answers_follow_the_moved_day_and_the_same_file_again_tells_nobody(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els said yes (two children), Ayşe maybe, Jan no; Rani got the week-ahead reminder and
    did not answer; Piet neither. The move reaches Els, Ayşe and Rani, each in their
    language; Jan and Piet hear nothing, and nobody hears it is cancelled."""
    greet = await coordinator_of(chat)
    await send_calendar(greet, YOGA_SERIES)
    els = await onboard(chat, 7201, "Els", "nl", "wijdeland")
    ayse = await onboard(chat, 7202, "Ayşe", "tr", "wijdeland")
    jan = await onboard(chat, 7203, "Jan", "nl", "wijdeland")
    rani = await onboard(chat, 7204, "Rani", "pa", "wijdeland")
    piet = await onboard(chat, 7205, "Piet", "nl", "wijdeland")
    await answer(db, els, "yes", children=2)
    await answer(db, ayse, "maybe")
    await answer(db, jan, "no")
    await reminded(db, rani)
    parents = [els, ayse, jan, rani, piet]
    before = {p.id: len(fake.texts(p.id)) for p in parents}

    reply = await send_calendar(greet, YOGA_SERIES, YOGA_MOVED_ONCE)
    assert f"3 ouders die zeiden dat ze komen of een herinnering kregen, krijgen {TIME_OR_PLACE}" \
        in reply, reply
    assert "niet doorgaat" not in reply and DAY_HINT not in reply, reply
    await round_at(bot, clock, AFTER_IMPORT)
    for parent in (els, ayse, rani):
        await wait_until(lambda p=parent: len(fake.texts(p.id)) > before[p.id], fake)
    await outbox_settled(db)
    await fake.wait_idle()

    [to_els] = new_texts(fake, els, before[els.id])
    assert to_els.startswith("⚠️ Gewijzigd: de activiteit van woensdag 25 november 2026, "
                             "14:00 is verplaatst."), to_els
    assert "donderdag 26 november 2026" in to_els and "16:00" in to_els, to_els
    [to_ayse] = new_texts(fake, ayse, before[ayse.id])
    assert to_ayse.startswith("⚠️") and "26 Kasım 2026" in to_ayse, to_ayse
    [to_rani] = new_texts(fake, rani, before[rani.id])
    assert to_rani.startswith("⚠️"), to_rani
    assert new_texts(fake, jan, before[jan.id]) == []
    assert new_texts(fake, piet, before[piet.id]) == []

    # The answers are the Thursday's now, children and the place they were shown with them.
    found = await ids(db)
    series, override = found["yoga-wijdeland"], found[OVERRIDE_ID]
    mark = place_mark(Place("Turnzaal Het Wijdeland", "Kerkstraat 12, 3800 Brustem"))
    answers = await rsvps(db)
    assert answers[await person_id(db, els)] == (override, THURSDAY, "yes", 2, mark)
    assert answers[await person_id(db, ayse)] == (override, THURSDAY, "maybe", None, mark)
    assert answers[await person_id(db, jan)] == (series, WEDNESDAY, "no", None, None)

    # The same file again, and the planner's round: nobody hears anything more.
    told = {p.id: len(fake.texts(p.id)) for p in parents}
    reply = await send_calendar(greet, YOGA_SERIES, YOGA_MOVED_ONCE)
    assert reply.startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 2 ongewijzigd"), reply
    assert TIME_OR_PLACE not in reply, reply
    await round_at(bot, clock, datetime(2026, 11, 22, 10, 20, tzinfo=UTC))
    await outbox_settled(db)
    await fake.wait_idle()
    assert {p.id: len(fake.texts(p.id)) for p in parents} == told
    assert await rsvps(db) == answers


async def test_an_occurrence_moved_only_to_another_place_tells_the_new_place(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await send_calendar(greet, YOGA_SERIES)
    els = await onboard(chat, 7301, "Els", "nl", "wijdeland")
    await answer(db, els, "yes")
    before = len(fake.texts(els.id))
    refter = YOGA_MOVED_ONCE.replace("20261126T16", "20261125T14").replace(
        "20261126T17", "20261125T15").replace("Turnzaal Het Wijdeland", "Refter")

    reply = await send_calendar(greet, YOGA_SERIES, refter)
    assert f"1 ouder die zei te komen of een herinnering kreeg, krijgt {TIME_OR_PLACE}" \
        in reply, reply
    await round_at(bot, clock, AFTER_IMPORT)
    await wait_until(lambda: len(fake.texts(els.id)) > before, fake)
    await round_at(bot, clock, datetime(2026, 11, 22, 10, 20, tzinfo=UTC))
    await outbox_settled(db)
    await fake.wait_idle()
    [told] = new_texts(fake, els, before)
    assert told.startswith("⚠️ Gewijzigd: de activiteit van woensdag 25 november 2026, 14:00 "
                           "is op een nieuwe plek."), told
    assert "Refter" in told, told
    override = (await ids(db))[OVERRIDE_ID]
    assert (await rsvps(db))[await person_id(db, els)][:3] == (override, WEDNESDAY, "yes")


async def test_an_occurrence_moved_to_a_place_on_the_map_brings_its_pin(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The same, to a place with coordinates (GEO): the words, then the new place's map pin
    (a parent who reads little follows the last pin in the chat); the same file again sends
    neither."""
    greet = await coordinator_of(chat)
    await send_calendar(greet, YOGA_SERIES)
    els = await onboard(chat, 7311, "Els", "nl", "wijdeland")
    await answer(db, els, "yes")
    before = len(fake.transcript(els.id))
    refter = YOGA_MOVED_ONCE.replace("20261126T16", "20261125T14").replace(
        "20261126T17", "20261125T15").replace("Turnzaal Het Wijdeland", "Refter").replace(
        "DTSTART", "GEO:50.8123;5.1901\nDTSTART", 1)

    await send_calendar(greet, YOGA_SERIES, refter)
    await round_at(bot, clock, AFTER_IMPORT)
    await wait_until(lambda: len(fake.transcript(els.id)) >= before + 2, fake)
    await outbox_settled(db)
    await fake.wait_idle()
    told, pin = fake.transcript(els.id)[before:]
    assert told["text"].startswith("⚠️ Gewijzigd:"), told
    assert (pin["location"]["latitude"], pin["location"]["longitude"]) == (50.8123, 5.1901)

    await send_calendar(greet, YOGA_SERIES, refter)
    await round_at(bot, clock, datetime(2026, 11, 22, 10, 20, tzinfo=UTC))
    await outbox_settled(db)
    await fake.wait_idle()
    assert len(fake.transcript(els.id)) == before + 2


async def test_an_occurrence_with_only_a_new_title_tells_nobody(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await send_calendar(greet, YOGA_SERIES)
    els = await onboard(chat, 7401, "Els", "nl", "wijdeland")
    await answer(db, els, "yes")
    before = len(fake.texts(els.id))
    retitled = YOGA_MOVED_ONCE.replace("20261126T16", "20261125T14").replace(
        "20261126T17", "20261125T15").replace("SUMMARY:Kinderyoga", "SUMMARY:Kinderyoga (met mama)")

    reply = await send_calendar(greet, YOGA_SERIES, retitled)
    assert TIME_OR_PLACE not in reply and "niet doorgaat" not in reply, reply
    await round_at(bot, clock, AFTER_IMPORT)
    await outbox_settled(db)
    await fake.wait_idle()
    assert new_texts(fake, els, before) == []
    override = (await ids(db))[OVERRIDE_ID]
    assert (await rsvps(db))[await person_id(db, els)][:3] == (override, WEDNESDAY, "yes")

