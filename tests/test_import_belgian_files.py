"""A Flemish coordinator's real programme files, from Excel in Belgium, LibreOffice
and Google Sheets (CSV with semicolons and a BOM, .xlsx workbooks with a sheet per month,
notes beside the table, Flemish times, school names as the coordinator writes them).

Found by a review: a row lost or misread without a word, or a reply that left the
coordinator guessing."""

from __future__ import annotations

import io
from datetime import date, time
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from storage.db import Database
from storage.models import Activity, ActivityText
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person
from tests.test_programme_e2e import coordinator_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = "id;kind;schools;date;start;end;title_nl"
COLUMNS = ["id", "kind", "schools", "date", "start", "end", "title_nl", "title_tr"]
YOGA = ["yoga-wijdeland", "workshop", "wijdeland", date(2026, 12, 2), time(14), time(15),
        "Kinderyoga", "Çocuk yogası"]
DANS = ["dans-klimop", "workshop", "klimop", date(2026, 12, 3), time(14), time(15, 30),
        "Dansworkshop", ""]


def excel_csv(*rows: str) -> bytes:
    """As Excel in Belgium saves "CSV UTF-8": a BOM, semicolons, CRLF, empty rows below."""
    return ("\ufeff" + "\r\n".join([HEADER, *rows, ";;;;;;", ";;;;;;"]) + "\r\n").encode()


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def one_sheet(*rows: list[Any]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    return workbook_bytes(workbook)


async def send_csv(greet: Person, content: bytes) -> str:
    [reply] = await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                                content=content)
    return str(reply["text"])


async def send_xlsx(greet: Person, content: bytes) -> str:
    [reply] = await greet.sends("document", file_name="programma.xlsx", mime_type=XLSX,
                                content=content)
    return str(reply["text"])


async def activities(db: Database) -> dict[str, Activity]:
    async with db.session() as session:
        return {a.external_id: a for a in await session.scalars(select(Activity))}


# --- what works, and must stay so ------------------------------------------------------------


async def test_a_belgian_excel_csv_with_flemish_times_imports_once(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A BOM, semicolons, 14u30 / 14h30 / 9u / 14.30, d/m/yyyy and d-m-yyyy, trailing empty
    rows: all read, in Brussels time (winter and summer), and the same file again doubles
    nothing."""
    greet = await coordinator_of(chat)
    content = excel_csv(
        "babbel-jan;ouderbabbel;klimop;12/01/2027;14u30;16u;Ouderbabbel: één ding tegelijk",
        "yoga-feb;workshop;wijdeland;3-2-2027;9u;10h30;Kinderyoga",
        "dans-mei;workshop;debrug;4/05/2027;14.30;15:45;Dansworkshop",
    )
    first = await send_csv(greet, content)
    assert first.startswith("Ingelezen: 3 nieuw, 0 gewijzigd, 0 ongewijzigd."), first
    again = await send_csv(greet, content)
    assert again.startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 3 ongewijzigd."), again

    found = await activities(db)
    assert len(found) == 3
    # 14:30 in January is 13:30 UTC; 14:30 in May (summer time) is 12:30 UTC.
    assert found["babbel-jan"].starts_at.strftime("%H:%M") == "13:30"
    assert found["yoga-feb"].starts_at.strftime("%H:%M") == "08:00"
    assert found["dans-mei"].starts_at.strftime("%H:%M") == "12:30"


async def test_a_corrected_sheet_names_the_new_hour_and_the_row_taken_out(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await send_xlsx(greet, one_sheet(COLUMNS, YOGA, DANS))

    # Yoga an hour later; the dance row deleted (it is not cancelled by that).
    later = [*YOGA[:4], time(15), time(16), *YOGA[6:]]
    reply = await send_xlsx(greet, one_sheet(COLUMNS, later))

    lines = reply.splitlines()
    assert lines[0] == "Ingelezen: 0 nieuw, 1 gewijzigd, 0 ongewijzigd.", reply
    assert "Nieuwe dag of uur: Kinderyoga → wo 02/12 15:00." in lines, reply
    assert any(line.startswith("Niet in dit bestand, en nog gepland: Dansworkshop.")
               for line in lines), reply
    assert len(await activities(db)) == 2


# --- found by the review ---------------------------------------------------------------------


async def test_a_note_beside_the_table_of_a_workbook_is_ignored_like_a_note_column(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    content = one_sheet(COLUMNS, YOGA, [*DANS, None, "zaal nog bevestigen"])

    reply = await send_xlsx(greet, content)

    assert "aanhalingstekens" not in reply, reply
    assert reply.startswith("Ingelezen: 2 nieuw"), reply


async def test_an_excel_error_value_is_not_imported_as_a_title(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    broken = [*YOGA[:7], "#N/A"]  # openpyxl stores it as an error cell, as Excel does

    reply = await send_xlsx(greet, one_sheet(COLUMNS, broken))

    async with db.session() as session:
        turkish = await session.scalar(select(ActivityText.title).where(
            ActivityText.locale == "tr"))
    assert turkish != "#N/A", reply
    assert "#N/A" in reply and "title_tr" in reply, reply


async def test_a_start_in_the_middle_of_the_night_is_pointed_out(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)

    reply = await send_csv(greet, excel_csv(
        "knutselen-klimop;workshop;klimop;12/01/2027;2u30;4u;Knutselen"))

    assert "02:30" in reply or "2u30" in reply, reply


async def test_the_errors_of_a_workbook_of_several_sheets_name_the_sheet(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    workbook = Workbook()
    september = workbook.active
    september.title = "September"
    september.append(COLUMNS)
    september.append(YOGA)
    september.append(["dans-sept", "workshop", "klimop", "31/09/2026", time(14), time(15),
                      "Dansworkshop", ""])
    october = workbook.create_sheet("Oktober")
    october.append(COLUMNS)
    october.append(DANS)
    workbook.active = 1  # saved while October was open

    reply = await send_xlsx(greet, workbook_bytes(workbook))

    assert "Rij 3, kolom date" in reply, reply
    assert "September" in reply, reply


async def test_an_empty_month_sheet_in_front_does_not_hide_the_programme(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    workbook = Workbook()
    december = workbook.active
    december.title = "December"
    december.append(COLUMNS)  # the new month: the heading copied, nothing yet
    november = workbook.create_sheet("November")
    november.append(COLUMNS)
    november.append(YOGA)
    november.append(DANS)

    reply = await send_xlsx(greet, workbook_bytes(workbook))

    assert "November" in reply, reply


async def test_the_flemish_notation_with_u_or_uur_after_the_hour_is_read(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)

    reply = await send_csv(greet, excel_csv(
        "babbel-jan;ouderbabbel;klimop;12/01/2027;14.30 u;16.00 u;Ouderbabbel",
        "yoga-jan;workshop;wijdeland;13/01/2027;9.00 uur;10.30uur;Kinderyoga",
    ))

    assert reply.startswith("Ingelezen: 2 nieuw"), reply


async def test_a_school_written_with_its_own_hyphen_is_read_as_in_a_calendar(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)

    reply = await send_csv(greet, excel_csv(
        "dans-klimop;workshop;Klim-op;12/01/2027;14u;15u30;Dansworkshop"))

    assert reply.startswith("Ingelezen: 1 nieuw"), reply
