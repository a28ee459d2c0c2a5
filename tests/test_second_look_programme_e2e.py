"""A second look at today's fixes of the programme: the importer's Flemish cells and school
names, the week's copies made again while they wait for a parent's quiet hours, the claim
that sends a week once, and the webhook's ledger of update ids.

The clock of the fixtures stands on Sunday 22 November 2026, 10:00 in Brussels: the week
ahead is 23–29 November (the example programme: yoga at Het Wijdeland on Wednesday 25,
capoeira at 't Vlindertje on Thursday 26).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import UTC, date, datetime, time
from typing import Any

import aiohttp
import pytest
from openpyxl import Workbook
from sqlalchemy import insert, select

from bot.config import Settings
from bot.scheduler.outbox import wake
from bot.webhook import SECRET_HEADER
from storage import received_updates
from storage.db import Database
from storage.models import Activity, ActivityCancellation, ActivitySchool, School, Setting
from tests import test_webhook
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_webhook import SECRET, Hook
from tests.test_week_broadcast_truth_e2e import (
    MONDAY_MORNING,
    programme_copies,
    send_next_week_in_the_evening,
)

SECOND_COORDINATOR_ID = 900_002  # Koen, a second coordinator (COORDINATOR_IDS names both)
YOGA = "Kinderyoga · wo 25/11 14:00"
NL_WEEK = "Programma van maandag 23 november"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, coordinator_ids=frozenset({COORDINATOR_ID, SECOND_COORDINATOR_ID}))


async def the_morning(bot: Handled, clock: FixedClock, db: Database) -> None:
    """Monday 08:30: quiet hours are over; everything waiting for the morning goes."""
    clock.moment = MONDAY_MORNING
    assert bot.app is not None
    wake(bot.app)
    await outbox_settled(db)


# --------------------------------------------------------------------------------------------
# The copies waiting for the parents' morning


async def test_a_day_cancelled_and_brought_back_while_the_copy_waits_still_reaches_her(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els's son goes to Het Wijdeland: next week's only activity for her is the yoga on
    Wednesday. Greet sends the week on Sunday at 22:30; it waits for Els's quiet hours. At
    22:40 Greet cancels the wrong Wednesday in /activities (tells nobody), sees her mistake
    and taps ✅ Not cancelled after all a minute later. On Monday morning Els should read her
    week, with the yoga."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8901, "Els", "nl", "wijdeland")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
    await greet.says("/activities")
    await greet.taps(YOGA)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    clock.moment = datetime(2026, 11, 22, 21, 41, tzinfo=UTC)
    await greet.says("/activities")
    await greet.taps("❌ " + YOGA)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    assert greet.last_text().startswith("Het gaat weer door."), greet.last_text()

    await the_morning(bot, clock, db)
    copies = programme_copies(fake, els, NL_WEEK)
    assert len(copies) == 1 and "Kinderyoga" in copies[0], copies


async def test_a_school_added_by_its_qr_code_while_the_copy_waits_is_in_her_week(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els's son goes to 't Vlindertje (capoeira on Thursday). Greet sends next week on
    Sunday at 22:30; it waits for Els's quiet hours. At 22:45 Els scans the QR code on the
    letter of her daughter's new school, Kabouterland (the Sinterklaas afternoon on
    Saturday). On Monday morning her week should hold both."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 8921, "Els", "nl", "vlindertje")
    await send_next_week_in_the_evening(greet, fake, clock, 1)

    clock.moment = datetime(2026, 11, 22, 21, 45, tzinfo=UTC)
    await els.says("/start s_kabouterland")
    assert "Kabouterland" in els.last_text(), els.last_text()

    await the_morning(bot, clock, db)
    [copy] = programme_copies(fake, els, NL_WEEK)
    assert "Capoeira" in copy, copy
    assert "Knutselnamiddag voor Sinterklaas" in copy, copy


# --------------------------------------------------------------------------------------------
# Two coordinators, one week: the claim


async def koen_of(chat: Chat) -> Person:
    koen = chat.person(SECOND_COORDINATOR_ID, "Koen", language_code="nl")
    await koen.says("/start")
    await koen.taps("Nederlands")
    await koen.taps(data="privacy:ok")
    return koen


async def warned_yes(fake: FakeTelegram, coordinator: Person) -> tuple[dict, str]:
    """The coordinator's /broadcast up to the question that warns the week was sent; its
    message and the data of its ✅."""
    [screen] = await coordinator.says("/broadcast")
    await coordinator.taps("📤 Verstuur naar 1 ouder")
    shown = fake.message(coordinator.id, screen["message_id"]) or {}
    assert "is al verstuurd" in shown.get("text", ""), shown
    yes = next(d for _t, d in FakeTelegram.inline_buttons(shown) if ":yw" in d)
    return screen, yes


async def test_two_coordinators_sending_the_week_again_at_once_send_it_once_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Greet sent next week's programme on Sunday morning. At noon the capoeira's hall changes
    and both Greet and Koen decide to send the week again: both reach the question that warns
    it went out this morning, and both tap ✅ within seconds. Els should get it once more, not
    twice more; the later of the two should be asked again."""
    greet = await coordinator_with_programme(chat)
    koen = await koen_of(chat)
    els = await onboard(chat, 8911, "Els", "nl", "vlindertje")
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await outbox_settled(db, els.id)
    assert len(programme_copies(fake, els, NL_WEEK)) == 1

    clock.moment = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    greets, greet_yes = await warned_yes(fake, greet)
    koens, koen_yes = await warned_yes(fake, koen)
    pressed = fake.press(greet.user, greets, greet_yes)
    await bot.wait(pressed["update_id"])
    pressed = fake.press(koen.user, koens, koen_yes)
    await bot.wait(pressed["update_id"])
    await outbox_settled(db, els.id)
    await fake.wait_idle()
    assert len(programme_copies(fake, els, NL_WEEK)) == 2


# --------------------------------------------------------------------------------------------
# The importer: a coordinator's own sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def send_xlsx(greet: Person, content: bytes) -> str:
    [reply] = await greet.sends("document", file_name="programma.xlsx", mime_type=XLSX,
                                content=content)
    return str(reply["text"])


async def send_csv(greet: Person, content: bytes) -> str:
    [reply] = await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                                content=content)
    return str(reply["text"])


def excel_csv(*rows: str) -> bytes:
    """As Excel in Belgium saves "CSV UTF-8": a BOM, semicolons, CRLF."""
    return ("\ufeff" + "\r\n".join(["id;kind;schools;date;start;end;title_nl", *rows])
            + "\r\n").encode()


async def schools_of(db: Database, external_id: str) -> tuple[bool, set[str]]:
    """Whether the activity is for all schools, and the codes of its schools."""
    async with db.session() as session:
        activity = await session.scalar(
            select(Activity).where(Activity.external_id == external_id))
        assert activity is not None, external_id
        codes = set(await session.scalars(
            select(School.code).join(ActivitySchool, ActivitySchool.school_id == School.id)
            .where(ActivitySchool.activity_id == activity.id)))
        return activity.all_schools, codes


async def test_a_formula_error_in_a_note_column_does_not_stop_the_import(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Greet's sheet has a column 'contactpersoon' of her own, a VLOOKUP of the school in her
    list of brugfiguren; for Het Wijdeland the lookup finds nobody yet: #N/A. The bot reads
    no such column (a note column); the two activities should be imported."""
    greet = await coordinator_of(chat)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "kind", "schools", "date", "start", "end", "title_nl",
                  "contactpersoon"])
    sheet.append(["yoga-wijdeland", "workshop", "wijdeland", date(2026, 12, 2), time(14),
                  time(15), "Kinderyoga", "#N/A"])
    sheet.append(["dans-klimop", "workshop", "klimop", date(2026, 12, 3), time(14),
                  time(15, 30), "Dansworkshop", "Fatma"])
    assert sheet["H2"].data_type == "e"  # stored as Excel stores a failed formula's value

    reply = await send_xlsx(greet, workbook_bytes(workbook))

    assert reply.startswith("Ingelezen: 2 nieuw"), reply


async def test_kabouterland_written_with_the_comma_of_its_name_is_kabouterland(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The README: a school may be written as on its sign. Kabouterland's name is 'Vrije
    Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)'; Greet leaves out the
    neighbourhood in brackets, as the bot itself does for calendars."""
    greet = await coordinator_of(chat)

    reply = await send_csv(greet, excel_csv(
        'knutselen-kab;open activiteit;"Vrije Kleuterschool Kabouterland, Sint-Rita";'
        "5/12/2026;14u;16u;Knutselnamiddag"))

    assert reply.startswith("Ingelezen: 1 nieuw"), reply
    assert await schools_of(db, "knutselen-kab") == (False, {"kabouterland"})


async def test_the_towns_name_is_not_taken_for_one_school(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Greet types the town for the city's open afternoon at the town hall. It is not one
    school; the bot may not pick Kabouterland for it without a word (its parents alone would
    hear of it)."""
    greet = await coordinator_of(chat)

    reply = await send_csv(greet, excel_csv(
        "open-stadhuis;open activiteit;Sint-Truiden;5/12/2026;14u;16u;Open namiddag"))

    if reply.startswith("Ingelezen"):
        assert await schools_of(db, "open-stadhuis") != (False, {"kabouterland"}), reply


async def test_a_second_cancelled_day_in_the_next_cell_is_not_silently_dropped(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Greet's sheet ends with the cancelled_dates column. The yoga is off on 25 November
    and 2 December; she types one date per cell, the second one right of the first. The
    bot may refuse the row (as it did before today) or cancel both days, but never import
    the 2 December as on without a word."""
    greet = await coordinator_of(chat)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "kind", "schools", "date", "start", "end", "repeat", "title_nl",
                  "cancelled_dates"])
    sheet.append(["yoga-wijdeland", "workshop", "wijdeland", date(2026, 11, 18), time(14),
                  time(15), "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216", "Kinderyoga",
                  "2026-11-25", "2026-12-02"])

    reply = await send_xlsx(greet, workbook_bytes(workbook))

    if reply.startswith("Ingelezen"):
        async with db.session() as session:
            days = {start.astimezone(UTC).date() for start in await session.scalars(
                select(ActivityCancellation.occurrence_start)
                .join(Activity, Activity.id == ActivityCancellation.activity_id)
                .where(Activity.external_id == "yoga-wijdeland"))}
        assert date(2026, 12, 2) in days, (reply, days)


# --------------------------------------------------------------------------------------------
# The webhook's ledger of update ids

webhook = test_webhook.webhook  # the fixture: one instance in webhook mode


async def post(base: str, update: dict[str, Any]) -> int:
    async with aiohttp.ClientSession() as client, client.post(
            f"{base}/telegram", json=update, headers={SECRET_HEADER: SECRET}) as response:
        return response.status


async def test_an_update_noted_as_the_instance_stops_is_not_lost(
    webhook: Hook, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """A deploy: the platform sends SIGTERM while Els's /start is being noted (another
    writer holds the database a moment: a coordinator's file being imported). Either this
    instance answers her, or it turns the update away without noting it, so that the other
    instance takes Telegram's retry."""
    base, stop, _application = webhook
    update = fake.send_text(fake.user(4201, "Els", "nl"), "/start")
    async with db.session() as busy:
        # Another writer's transaction (the import of a big file) holds the writer.
        await busy.execute(insert(Setting).values(key="review:busy", value="{}"))
        posting = asyncio.create_task(post(base, update))
        await asyncio.sleep(0.3)  # the webhook waits to note the id
        stop.set()  # SIGTERM
        await asyncio.sleep(0.3)
        await busy.rollback()
    status = await posting
    await asyncio.sleep(1.0)
    if status == 200:  # acknowledged: Telegram sends it nowhere again
        assert fake.calls_of("sendMessage", chat_id=4201), "acknowledged but never answered"
    else:  # turned away: the other instance must take Telegram's retry
        assert await received_updates.take(db, update["update_id"], clock.now()), (
            "turned away, but noted: the retry is dropped everywhere")
