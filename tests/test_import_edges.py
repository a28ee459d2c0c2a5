"""The coordinator's programme file as it really looks: several sheets (a hidden list behind a
dropdown, a term per sheet), a notes column, a row whose date or Dutch title changed, a
calendar export with a private appointment. Nothing is misread or lost without the reply
saying so."""

from __future__ import annotations

import io
from datetime import date, time

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.services.importer import parse_ics, parse_xlsx
from storage.db import Database
from storage.models import Activity, ActivityText
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_programme_e2e import coordinator_of
from tests.test_reminders_e2e import BABBEL, HEADER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ["id", "kind", "schools", "date", "start", "end", "title_nl", "opmerkingen"]
YOGA = ["yoga-wijdeland", "workshop", "wijdeland", date(2026, 12, 2), time(14), time(15),
        "Kinderyoga", ""]
DANS = ["dans-klimop", "workshop", "klimop", date(2027, 2, 3), time(14), time(15),
        "Dansworkshop", ""]
# The November babbel without the file's own Turkish and Punjabi texts (made in the bot).
BABBEL_DUTCH_ONLY = BABBEL.replace(
    "Veli sohbeti: uyku;Uyku hakkında.;ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ;ਨੀਂਦ ਬਾਰੇ।;", ";;;;")


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()


def test_a_hidden_first_sheet_is_not_taken_for_the_programme() -> None:
    workbook = Workbook()
    codes = workbook.active
    codes.title = "Lijsten"
    for code in ("klimop", "wijdeland", "debrug"):
        codes.append([code])
    codes.sheet_state = "hidden"
    programme = workbook.create_sheet("Programma")
    programme.append(COLUMNS)
    programme.append(YOGA)
    workbook.active = 1

    result = parse_xlsx(workbook_bytes(workbook))

    assert result.errors == []
    assert [row.external_id for row in result.rows] == ["yoga-wijdeland"]


def test_a_row_with_only_a_note_is_skipped_like_an_empty_row() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append(YOGA)
    sheet.append([])
    sheet.append([None] * 7 + ["Data onder voorbehoud, zie mail van 3/11"])

    result = parse_xlsx(workbook_bytes(workbook))

    assert result.errors == []
    assert [row.external_id for row in result.rows] == ["yoga-wijdeland"]


async def test_the_reply_names_the_sheet_it_read_from_a_workbook_of_several(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    autumn = Workbook()
    autumn.active.title = "Najaar"
    autumn.active.append(COLUMNS)
    autumn.active.append(YOGA)
    [reply] = await greet.sends("document", file_name="programma.xlsx", mime_type=XLSX,
                                content=workbook_bytes(autumn))
    assert reply["text"].startswith("Ingelezen: 1 nieuw"), reply["text"]

    # The coordinator adds a sheet for the spring term and saves while it is open.
    both = Workbook()
    both.active.title = "Najaar"
    both.active.append(COLUMNS)
    both.active.append(YOGA)
    spring = both.create_sheet("Voorjaar")
    spring.append(COLUMNS)
    spring.append(DANS)
    both.active = 1
    [reply] = await greet.sends("document", file_name="programma.xlsx", mime_type=XLSX,
                                content=workbook_bytes(both))

    assert reply["text"].splitlines()[1:3] == [
        "Gelezen uit het blad “Najaar”.",
        "⚠️ Niet gelezen: “Voorjaar”. Ik lees maar één blad: zet alle activiteiten op één "
        "blad, of stuur dat blad als een apart bestand."]


async def test_the_reply_says_when_a_file_removes_translations_made_in_the_bot(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=csv_file(BABBEL_DUTCH_ONLY))
    assert reply["text"].startswith("Ingelezen: 1 nieuw"), reply["text"]
    # A brugfiguur translated it and recorded a Turkish voice message in the bot.
    async with db.session() as session:
        activity = await session.scalar(select(Activity).options(
            selectinload(Activity.texts)).where(Activity.external_id == "babbel-nov"))
        assert activity is not None
        activity.texts.append(ActivityText(locale="tr", title="Veli sohbeti: uyku",
                                           description="Uyku hakkında.",
                                           voice_file_id="voice-tr"))
        await session.commit()

    # The coordinator fixes a typo in the Dutch title of the master file and sends it again.
    fixed = BABBEL_DUTCH_ONLY.replace("Ouderbabbel: slapen", "Ouderbabbel: goed slapen")
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=csv_file(fixed))
    assert "1 gewijzigd" in reply["text"], reply["text"]

    async with db.session() as session:
        turkish = await session.scalar(select(ActivityText).join(Activity).where(
            Activity.external_id == "babbel-nov", ActivityText.locale == "tr"))
    # The Turkish title and the voice went with the Dutch title they told; the description
    # stays (its Dutch one is the same). The reply says so: the team's work is not lost unseen.
    assert turkish is not None
    assert (turkish.title, turkish.description, turkish.voice_file_id) == (
        "", "Uyku hakkında.", None)
    assert (
        "⚠️ De Nederlandse tekst is veranderd. Daarom passen deze vertalingen en "
        "spraakberichten uit de bot niet meer en zijn ze weg: Ouderbabbel: goed slapen "
        "(Türkçe, 🎤 Türkçe). /programme toont wat ontbreekt.") in reply["text"].splitlines()


async def test_the_reply_shows_the_new_day_of_an_activity_the_file_moved(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=csv_file(BABBEL))
    assert reply["text"].startswith("Ingelezen: 1 nieuw"), reply["text"]

    moved = BABBEL.replace("2026-11-25", "2026-11-26")
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=csv_file(moved))

    assert "1 gewijzigd" in reply["text"], reply["text"]
    assert "Nieuwe dag of uur: Ouderbabbel: slapen → do 26/11 13:30." in reply["text"].splitlines()

    # The same file again: nothing changed, no new day said.
    [again] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=csv_file(moved))
    assert "Nieuwe dag" not in again["text"], again["text"]


PRIVATE_EVENT = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
BEGIN:VEVENT\r
UID:babbel-dec@bredeschool\r
SUMMARY:Ouderbabbel: Sinterklaas\r
CATEGORIES:ouderbabbel,klimop\r
DTSTART;TZID=Europe/Brussels:20261203T084500\r
DTEND;TZID=Europe/Brussels:20261203T101500\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:tandarts-greet@bredeschool\r
SUMMARY:Tandarts\r
CLASS:PRIVATE\r
DTSTART;TZID=Europe/Brussels:20261204T160000\r
DTEND;TZID=Europe/Brussels:20261204T163000\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_private_calendar_event_does_not_reach_every_parent() -> None:
    """Greet's dentist, marked private in Outlook, is left out (and counted for the reply);
    the babbel comes in."""
    result = parse_ics(PRIVATE_EVENT)

    assert result.errors == []
    assert [row.external_id for row in result.rows] == ["babbel-dec@bredeschool"]
    assert result.private == 1
