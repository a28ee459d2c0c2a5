"""The programme end to end: the coordinator imports a file, parents see their week."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.i18n import BRUSSELS
from bot.services import programme
from storage.db import Database
from storage.models import Activity, ActivityText
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person, pa_day, pa_time
from tests.test_importer import GOOGLE_EXPORT

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "programme.csv"


async def onboard(chat: Chat, user_id: int, name: str, language: str, school: str,
                  username: str | None = None) -> Person:
    person = chat.person(user_id, name, username=username)
    await person.says(f"/start s_{school}")
    await person.taps({"nl": "Nederlands", "tr": "Türkçe", "pa": "ਪੰਜਾਬੀ"}[language])
    await person.taps(data="privacy:ok")
    return person


async def coordinator_of(chat: Chat) -> Person:
    greet = chat.person(COORDINATOR_ID, "Greet", language_code="nl")
    await greet.says("/start")
    await greet.taps("Nederlands")
    await greet.taps(data="privacy:ok")
    return greet


async def coordinator_with_programme(chat: Chat) -> Person:
    """The coordinator, onboarded, who has sent the example programme to the bot."""
    greet = await coordinator_of(chat)
    await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                      content=EXAMPLE.read_bytes())
    return greet


async def activity_count(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Activity)) or 0


async def test_import_the_example_then_every_parent_sees_their_week(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 12 nieuw, 0 gewijzigd, 0 ongewijzigd.")
    # The same file again changes nothing.
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 12 ongewijzigd.")
    assert await activity_count(db) == 12

    # The clock stands on Sunday 22 November 2026: the coming seven days are 22–28 November.
    ayse = await onboard(chat, 6001, "Ayşe", "tr", "wijdeland")
    [week] = await ayse.presses_key("📅")
    assert "Çocuklar için atölye" in week["text"]
    assert "Çocuk yogası" in week["text"]
    assert "25 Kasım 2026 Çarşamba, 14:00–15:00" in week["text"]
    assert "Turnzaal Het Wijdeland" in week["text"]
    assert "Capoeira" not in week["text"] and "Knutsel" not in week["text"]

    harpreet = await onboard(chat, 6002, "Harpreet", "pa", "kabouterland")
    [week] = await harpreet.says("/week")
    # No Punjabi text was given: the Dutch title is shown, marked as Dutch in Punjabi.
    assert "Knutselnamiddag voor Sinterklaas (ਡੱਚ ਵਿੱਚ)" in week["text"]
    saturday = f"{pa_day(date(2026, 11, 28))}, {pa_time(14)}–{pa_time(16, 30)}"
    assert "ਨਵੰਬਰ" in saturday and saturday in week["text"]
    assert "ਖੁੱਲ੍ਹੀ ਗਤੀਵਿਧੀ" in week["text"]

    els = await onboard(chat, 6003, "Els", "nl", "vlindertje")
    [week] = await els.says("/week")
    assert week["text"].startswith("Programma van zondag 22 november 2026 tot zaterdag 28")
    assert "Capoeira" in week["text"]
    assert "donderdag 26 november 2026, 15:45–16:45" in week["text"]
    assert "Kinderyoga" not in week["text"] and "Knutsel" not in week["text"]
    assert "Voor:" not in week["text"]  # one school: every item is hers

    # A second school: her week has both, and each item says whose it is.
    await els.says("/school")
    await els.taps("Het Wijdeland")
    [week] = await els.says("/week")
    assert "Capoeira" in week["text"] and "Kinderyoga" in week["text"]
    assert "Voor: Freinetschool Het Wijdeland (Brustem)" in week["text"]
    assert ("Voor: GO! Kleuterschool Gelinden, Vrije Kleuter- en Basisschool 't Vlindertje "
            "Velm") in week["text"]

    # The coordinator has no school of their own: every school's week, not an empty one.
    [week] = await greet.says("/week")
    assert all(title in week["text"] for title in ("Capoeira", "Kinderyoga", "Knutsel"))
    assert "Voor: Freinetschool Het Wijdeland (Brustem)" in week["text"]

    # Wednesday 16:00: that day's Kinderyoga (14:00–15:00) is over, so no longer listed.
    clock.moment = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    [week] = await ayse.says("/week")
    assert week["text"].startswith("25 Kasım 2026 Çarşamba")
    assert "Çocuk yogası" not in week["text"]


async def test_programme_preview_per_language_and_missing_translations(
    chat: Chat, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    nl, tr, pa, missing = await greet.says("/programme", expect=4)
    # Next week: Monday 23 to Sunday 29 November, every school.
    assert nl["text"].startswith("👁 Nederlands\n\nProgramma van maandag 23 november 2026")
    assert "Badminton" in nl["text"] and "Voor: GO! Basisschool Engelmanshoven" in nl["text"]
    assert tr["text"].startswith("👁 Türkçe\n\n23 Kasım 2026 Pazartesi")
    assert pa["text"].startswith("👁 ਪੰਜਾਬੀ")
    assert "Knutselnamiddag voor Sinterklaas (ਡੱਚ ਵਿੱਚ)" in pa["text"]
    assert missing["text"].startswith("Nog zonder vertaling:")
    assert "knutselen-sinterklaas-2026" in missing["text"]
    # Nobody in the team yet (let alone one who speaks Turkish or Punjabi): nobody to ask.
    assert FakeTelegram.inline_buttons(missing) == []


async def test_a_malformed_file_imports_nothing_and_says_where(chat: Chat, db: Database) -> None:
    greet = await coordinator_with_programme(chat)
    before = await activity_titles(db)
    assert len(before) == 12 and before["kinderyoga-wijdeland"] == "Kinderyoga"
    bad = (
        b"id;kind;schools;date;start;end;title_nl\n"
        b"kinderyoga-wijdeland;workshop;wijdeland;2026-11-25;14:00;15:00;Yoga (nieuw)\n"
        b"dans;dansen;wijdeland;2026-11-26;14:00;15:00;Dans\n"
        b"fiets;workshop;nergens;31/02/2026;25:00;15:00;\n"
    )
    [reply] = await greet.sends("document", file_name="fout.csv", mime_type="text/csv",
                                content=bad)
    text = reply["text"]
    assert text.startswith("Er is niets ingelezen.")
    assert "Rij 3, kolom kind: Onbekende soort “dansen”." in text
    assert "Rij 4, kolom schools: Onbekende schoolcode “nergens”." in text
    assert text.endswith("\n\nDe schoolcodes: debrug, devilla, engelmanshoven, gelinden, "
                         "heilighart, kabouterland, klimop, vlindertje, wijdeland (of “alle”).")
    assert "Rij 4, kolom date: “31/02/2026” is geen datum." in text
    assert "Rij 4, kolom title_nl: Dit moet ingevuld zijn." in text
    # Not even the good first row: the programme is as it was, title and all.
    assert await activity_titles(db) == before


async def activity_titles(db: Database) -> dict[str, str]:
    """Every activity's id and Dutch title."""
    async with db.session() as session:
        rows = await session.execute(
            select(Activity.external_id, ActivityText.title)
            .join(ActivityText, ActivityText.activity_id == Activity.id)
            .where(ActivityText.locale == "nl"))
        return {external_id: title for external_id, title in rows}


async def test_parents_cannot_import_or_preview(chat: Chat, db: Database) -> None:
    els = await onboard(chat, 6004, "Els", "nl", "klimop")
    [reply] = await els.sends("document", file_name="programme.csv", mime_type="text/csv",
                              content=EXAMPLE.read_bytes())
    # A parent's document is a question for the team (a letter, a form), never an import.
    assert reply["text"] == "Waarover gaat je vraag? Tik op een knop."
    [reply] = await els.says("/programme")
    assert reply["text"] == "Sorry, dit is alleen voor het team van de Brede School."
    assert await activity_count(db) == 0


async def test_sending_the_file_again_says_what_it_did_not_change(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """An activity called off in the bot stays off, and a row taken out of the file cancels
    nothing: the reply says both, so the coordinator does not believe otherwise."""
    greet = await coordinator_with_programme(chat)
    await greet.says("/activities")
    await greet.taps("Kinderyoga · wo 25/11 14:00")
    await greet.taps("❌ Elke keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    without_badminton = "\n".join(line for line in lines if not line.startswith("badminton"))
    assert without_badminton.count("\n") == len(lines) - 2  # one row out
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=without_badminton.encode())
    assert "Nog altijd geannuleerd (een bestand brengt een activiteit niet terug): " \
           "Kinderyoga.\nTerughalen kan zolang ze nog moet komen: /activities, tik erop (❌), " \
           "dan ✅." in reply["text"]
    assert "Niet in dit bestand, en nog gepland: Badminton na school. Annuleren kan met " \
           "/activities." in reply["text"]


async def test_a_coming_activity_moved_to_a_day_already_over_is_pointed_out(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A year mistyped in the file: the parents hear nothing of a move into the past, so the
    reply says it, and only that one."""
    greet = await coordinator_with_programme(chat)
    typo = EXAMPLE.read_text(encoding="utf-8-sig").replace(
        "knutselen-sinterklaas-2026;open activiteit;kabouterland debrug;2026-11-28",
        "knutselen-sinterklaas-2026;open activiteit;kabouterland debrug;2025-11-28")
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=typo.encode())
    assert ("⚠️ Verplaatst naar een dag die al voorbij is (klopt de datum?): Knutselnamiddag "
            "voor Sinterklaas.") in reply["text"], reply["text"]
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert "voorbij" not in reply["text"], reply["text"]


async def test_a_day_cancelled_before_and_not_in_the_file_is_said_to_stay_cancelled(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """One Wednesday of yoga cancelled in the bot (or by a mistyped date in an earlier file):
    the file, which does not list it, does not bring it back, and the reply says so."""
    greet = await coordinator_with_programme(chat)
    await greet.says("/activities")
    await greet.taps("Kinderyoga · wo 25/11 14:00")
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert ("Nog altijd geannuleerd, ook al staat het niet in de cancelled_dates van dit "
            "bestand (geannuleerd in /activities of door een eerder bestand; een bestand "
            "brengt geen dag terug, /activities wel): Kinderyoga 25/11.") in reply["text"]


async def test_a_new_row_already_over_is_pointed_out(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A year typed wrong (2025 for 2026): imported, and never seen by anyone; the reply says
    so. Rows of the past the bot knew already (a whole school year's sheet) are not named."""
    greet = await coordinator_with_programme(chat)
    header = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()[0]
    row = "sinterklaas;other;alle;2025-12-05;14:00;16:00;;;;;;Sinterklaasfeest;;;;;;"
    [reply] = await greet.sends("document", file_name="extra.csv", mime_type="text/csv",
                                content=f"{header}\n{row}\n".encode())
    assert ("Nieuw, maar van een vorig schooljaar (klopt het jaar?): Sinterklaasfeest."
            in reply["text"])
    [again] = await greet.sends("document", file_name="extra.csv", mime_type="text/csv",
                                content=f"{header}\n{row}\n".encode())
    assert "schooljaar" not in again["text"]


# --- what the import reply names ------------------------------------------------------------

SHORT_HEADER = "id;kind;schools;date;start;end;place;title_nl"
BABBEL_NOV = "babbel-nov;ouderbabbel;alle;2026-11-25;13:30;15:00;Bibliotheek;Ouderbabbel: slapen"
BABBEL_DEC = "babbel-dec;ouderbabbel;alle;2026-12-16;13:30;15:00;Bibliotheek;Ouderbabbel: eten"


def brussels(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BRUSSELS)


async def test_a_file_that_undoes_a_change_made_in_the_bot_says_which_activity(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=f"{SHORT_HEADER}\n{BABBEL_NOV}".encode())
    assert reply["text"].startswith("Ingelezen: 1 nieuw, 0 gewijzigd, 0 ongewijzigd.\n"
                                    "Nieuw: Ouderbabbel: slapen.\n"), reply["text"]
    # Monday: the coordinator moves the ouderbabbel to 14:30 in the bot (as /activity saves).
    async with db.session() as session:
        row = await session.scalar(select(Activity).where(Activity.external_id == "babbel-nov"))
        assert row is not None
        data = programme.activity_data(row)
        await programme.update_activity(session, row.id, replace(
            data, starts_at=brussels(11, 25, 14, 30), ends_at=brussels(11, 25, 16)))
        await session.commit()
    # Wednesday: she adds December to her spreadsheet and sends it, November as it was.
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=f"{SHORT_HEADER}\n{BABBEL_NOV}\n{BABBEL_DEC}".encode())
    lines = reply["text"].split("\n")
    assert lines[:3] == ["Ingelezen: 1 nieuw, 1 gewijzigd, 0 ongewijzigd.",
                         "Nieuw: Ouderbabbel: eten.", "Gewijzigd: Ouderbabbel: slapen."], lines
    async with db.session() as session:
        row = await session.scalar(select(Activity).where(Activity.external_id == "babbel-nov"))
        assert row is not None and row.starts_at == brussels(11, 25, 13, 30)  # back to 13:30
    # The same file once more: nothing new, nothing changed, nothing named.
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=f"{SHORT_HEADER}\n{BABBEL_NOV}\n{BABBEL_DEC}".encode())
    assert "Nieuw:" not in reply["text"] and "Gewijzigd:" not in reply["text"], reply["text"]


async def test_a_big_file_names_five_activities_and_counts_the_rest(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    new = reply["text"].split("\n")[1]
    assert new == ("Nieuw: Kennismaking met de brugfiguren, Ouderbabbel: koffie en een babbel, "
                   "Ouderbabbel: een gezonde brooddoos, Ouderbabbel: bedplassen, wat nu?, "
                   "Kinderyoga … en nog 7."), new


async def test_a_google_export_imports_this_school_year_and_says_what_it_left_out(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Google exports every event the calendar ever had; those over before 1 September are
    left out and counted, not refused."""
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=GOOGLE_EXPORT.replace("\n", "\r\n").encode())
    assert reply["text"].split("\n")[:3] == [
        "Ingelezen: 1 nieuw, 0 gewijzigd, 0 ongewijzigd.", "Nieuw: Kinderyoga.",
        "2 afspraken uit de agenda waren voorbij vóór dit schooljaar: niet ingelezen."], \
        reply["text"]
    assert await activity_count(db) == 1
