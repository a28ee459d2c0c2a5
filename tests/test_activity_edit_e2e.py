"""Changing an activity in /activity end to end: the coordinator picks one still to come,
taps the parts to change, and saves; the row changes in place (a later file import still
matches it) and only on Save. Old, forged and other people's buttons change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.handlers.activity_flow import PAGE_SIZE
from storage.db import Database
from storage.models import Activity, ActivityDraft
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person
from tests.test_activity_flow_e2e import EXPIRED, drafts
from tests.test_programme_e2e import (
    EXAMPLE,
    activity_count,
    coordinator_of,
    coordinator_with_programme,
    onboard,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
REFUSED_NL = "Sorry, dit is alleen voor het team van de Brede School."


async def activity_id(db: Database, external_id: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Activity.id).where(
            Activity.external_id == external_id))
        assert found is not None
        return found


async def snapshot(db: Database, external_id: str) -> dict[str, Any]:
    """Everything about one activity, to compare before and after."""
    async with db.session() as session:
        row = await session.scalar(select(Activity).where(Activity.external_id == external_id))
        assert row is not None
        return {
            "id": row.id, "kind": row.kind, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "rrule": row.rrule, "all_schools": row.all_schools, "place": row.place_name,
            "address": row.place_address, "geo": (row.latitude, row.longitude),
            "schools": sorted(link.school_id for link in row.schools),
            "texts": sorted((t.locale, t.title, t.description, t.voice_file_id)
                            for t in row.texts),
            "cancelled": sorted(c.occurrence_start for c in row.cancellations),
            "updated_at": row.updated_at,
        }


async def open_edit(fake: FakeTelegram, greet: Person, db: Database,
                    external_id: str) -> tuple[dict[str, Any], int]:
    """/activity, then the activity's button: its summary, and the draft's id."""
    edited = await activity_id(db, external_id)
    wanted = f"ad:e:{edited}"
    [picker] = await greet.says("/activity")
    assert wanted in [data for _label, data in fake.inline_buttons(picker)]
    [summary] = await greet.taps(data=wanted)
    # (A new activity half made stays beside the edit.)
    [draft] = [found for found in await drafts(db) if found.activity_id == edited]
    return summary, draft.id


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%H:%M")


async def test_change_the_hours_and_the_turkish_title_in_place(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7301, "Ayşe", "tr", "wijdeland")
    before = await snapshot(db, "kinderyoga-wijdeland")

    [picker] = await greet.says("/activity")
    labels = [label for label, _data in fake.inline_buttons(picker)]
    assert labels[0] == "➕ Nieuwe activiteit"
    assert "✏️ Kinderyoga · wo 25/11 14:00" in labels  # its next time, soonest first
    summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    assert "Kinderyoga" in summary["text"] and "14:00–15:00" in summary["text"]
    assert "Türkçe: Çocuk yogası" in summary["text"]
    datas = [data for _label, data in fake.inline_buttons(summary)]
    # A weekly activity: its hours may change here, its days follow its rule.
    assert f"ad:{draft_id}:e:time" in datas and f"ad:{draft_id}:e:date" not in datas
    assert await greet.presses(summary, f"ad:{draft_id}:e:date") == [EXPIRED]

    [ask] = await greet.taps(data=f"ad:{draft_id}:e:time")
    assert ask["text"].startswith("Hoe laat begint het?") and "14:00" in ask["text"]
    [ask] = await greet.says("15:00")
    assert ask["text"].startswith("Hoe laat eindigt het?")
    # Keeping 15:00 as the end no longer fits: an alert, nothing changes.
    await greet.taps(data=f"ad:{draft_id}:sk:end")
    assert greet.alerts() == ["Het einde moet na het begin liggen."]
    [summary] = await greet.says("16u")
    assert "15:00–16:00" in summary["text"]

    [ask] = await greet.taps(data=f"ad:{draft_id}:e:tr")
    assert ask["text"].startswith("De titel in het Turks?") and "Çocuk yogası" in ask["text"]
    [ask] = await greet.says("Çocuk yogası (yeni saat)")
    assert ask["text"].startswith("Een korte beschrijving in het Turks?")
    [summary] = await greet.taps(data=f"ad:{draft_id}:sk:desc:tr")  # keep it
    assert "Türkçe: Çocuk yogası (yeni saat)" in summary["text"]

    # Nothing has changed on the activity before Save.
    assert await snapshot(db, "kinderyoga-wijdeland") == before
    [saved] = await greet.taps(data=f"ad:{draft_id}:save")
    assert saved["text"].startswith("Opgeslagen.") and "15:00" in saved["text"]
    assert await drafts(db) == []
    after = await snapshot(db, "kinderyoga-wijdeland")
    # The same row: same id and external id, its rule, place, map point and cancelled days.
    assert after["id"] == before["id"] and await activity_count(db) == 12
    assert (local(after["starts_at"]), local(after["ends_at"])) == ("15:00", "16:00")
    assert after["starts_at"].date() == before["starts_at"].date()
    for same in ("rrule", "place", "address", "geo", "schools", "cancelled", "kind"):
        assert after[same] == before[same], same
    texts = {locale: (title, description) for locale, title, description, _v in after["texts"]}
    assert texts["tr"][0] == "Çocuk yogası (yeni saat)"
    assert texts["tr"][1] == dict((t[0], t[2]) for t in before["texts"])["tr"]
    assert texts["nl"] == next((t[1], t[2]) for t in before["texts"] if t[0] == "nl")

    [week] = await ayse.says("/week")
    assert "Çocuk yogası (yeni saat)" in week["text"]
    assert "25 Kasım 2026 Çarşamba, 15:00–16:00" in week["text"]
    # The old buttons of the saved draft are dead: Save again (a double tap, within half a
    # minute: no alert, the first tap saved it) saves nothing more; Cancel is expired.
    assert await greet.presses(summary, f"ad:{draft_id}:save") == []
    assert await activity_count(db) == 12
    assert await greet.presses(summary, f"ad:{draft_id}:x:summary") == [EXPIRED]

    # The spreadsheet still names it: importing it again updates this very row.
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 1 gewijzigd, 11 ongewijzigd.")
    again = await snapshot(db, "kinderyoga-wijdeland")
    assert again["id"] == before["id"] and local(again["starts_at"]) == "14:00"


async def test_cancelling_an_edit_changes_nothing(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    before = await snapshot(db, "knutselen-sinterklaas-2026")
    summary, draft_id = await open_edit(fake, greet, db, "knutselen-sinterklaas-2026")
    # A one-off activity: its day may change too.
    [ask] = await greet.taps(data=f"ad:{draft_id}:e:date")
    assert ask["text"].startswith("Welke dag?")
    [summary] = await greet.taps(data=f"ad:{draft_id}:d:20261130")
    assert "maandag 30 november 2026" in summary["text"]
    await greet.taps(data=f"ad:{draft_id}:e:place")
    await greet.says("Sporthal")
    [summary] = await greet.taps(data=f"ad:{draft_id}:rm:address")
    await greet.taps(data=f"ad:{draft_id}:e:tr")
    [ask] = await greet.says("Sinterklaas için el işi")
    [summary] = await greet.taps(data=f"ad:{draft_id}:sk:desc:tr")  # no Turkish description
    [ask] = await greet.taps(data=f"ad:{draft_id}:e:schools")
    await greet.taps(data=f"ad:{draft_id}:sa")
    [summary] = await greet.taps(data=f"ad:{draft_id}:sd")
    assert "📍 Sporthal" in summary["text"] and "Türkçe: Sinterklaas için el işi" in summary[
        "text"]

    await greet.taps(data=f"ad:{draft_id}:x:summary")
    assert greet.last_text() == "Geannuleerd. Er is niets opgeslagen."
    assert await drafts(db) == [] and await snapshot(db, "knutselen-sinterklaas-2026") == before
    assert await greet.presses(summary, f"ad:{draft_id}:save") == [EXPIRED]
    assert await snapshot(db, "knutselen-sinterklaas-2026") == before


async def test_stale_and_forged_edit_buttons_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    yoga = await activity_id(db, "kinderyoga-wijdeland")
    before = await snapshot(db, "kinderyoga-wijdeland")
    [picker] = await greet.says("/activity")
    # An activity that does not exist, one long past, a page that does not exist.
    past = await activity_id(db, "kennismaking-2026")
    assert await greet.presses(picker, "ad:e:999999") == [EXPIRED]
    assert await greet.presses(picker, f"ad:e:{past}") == [EXPIRED]
    assert await greet.presses(picker, "ad:p:9") == [EXPIRED]
    assert await greet.presses(picker, "ad:e:abc") == [EXPIRED]  # no handler takes it
    assert await drafts(db) == []

    summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    # Buttons of another step, another draft, or no such part.
    assert await greet.presses(summary, f"ad:{draft_id}:sk:title:tr") == [EXPIRED]
    assert await greet.presses(summary, f"ad:{draft_id}:rm:voice:tr") == [EXPIRED]
    assert await greet.presses(summary, f"ad:{draft_id + 1}:save") == [EXPIRED]
    assert await greet.presses(summary, f"ad:{draft_id}:e:party") == [EXPIRED]
    await greet.taps(data=f"ad:{draft_id}:e:time")
    assert await greet.presses(summary, f"ad:{draft_id}:save") == [EXPIRED]  # not at summary
    await greet.says("16:00")
    [summary] = await greet.says("17:00")
    await greet.taps(data=f"ad:{draft_id}:e:nl")
    [ask] = await greet.taps(data=f"ad:{draft_id}:sk:title:nl")  # kept
    assert ask["text"].startswith("Een korte beschrijving in het Nederlands?")
    [summary] = await greet.taps(data=f"ad:{draft_id}:sk:desc:nl")
    assert "16:00–17:00" in summary["text"]
    assert await snapshot(db, "kinderyoga-wijdeland") == before

    # Meanwhile a file changes the activity: Save writes nothing of the old edit.
    changed = EXAMPLE.read_bytes().replace(b"Turnzaal Het Wijdeland;", b"Turnzaal B;")
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=changed)
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 1 gewijzigd")
    imported = await snapshot(db, "kinderyoga-wijdeland")
    await greet.taps(data=f"ad:{draft_id}:save")
    assert await snapshot(db, "kinderyoga-wijdeland") == imported
    assert imported["place"] == "Turnzaal B" and local(imported["starts_at"]) == "14:00"
    assert await drafts(db) == []
    async with db.session() as session:
        assert await session.get(Activity, yoga) is not None


async def test_a_parent_may_not_change_an_activity(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7401, "Els", "nl", "wijdeland")
    before = await snapshot(db, "kinderyoga-wijdeland")
    yoga = await activity_id(db, "kinderyoga-wijdeland")

    [refused] = await els.says("/activity")
    assert refused["text"] == REFUSED_NL
    assert await els.presses(refused, f"ad:e:{yoga}") == [REFUSED_NL]
    assert await drafts(db) == []
    # Nor press the coordinator's buttons.
    summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    await greet.taps(data=f"ad:{draft_id}:e:time")
    await greet.says("09:00")
    [summary] = await greet.says("10:00")
    assert await els.presses(summary, f"ad:{draft_id}:save") == [REFUSED_NL]
    assert await els.presses(summary, f"ad:{draft_id}:x:summary") == [REFUSED_NL]
    assert await snapshot(db, "kinderyoga-wijdeland") == before
    async with db.session() as session:
        [draft] = list(await session.scalars(select(ActivityDraft)))
        assert draft.activity_id == yoga and draft.awaiting == "summary"
    # A parent's text is never an answer to the coordinator's draft.
    await els.says("11:00")
    assert await snapshot(db, "kinderyoga-wijdeland") == before


async def test_the_list_of_activities_to_change_has_pages(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    rows = [b"id;kind;schools;date;start;end;title_nl"] + [
        f"act-{n};workshop;klimop;2026-12-{n + 1:02d};14:00;15:00;Activiteit {n}".encode()
        for n in range(10)]
    await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                      content=b"\n".join(rows))
    [picker] = await greet.says("/activity")
    labels = [label for label, _data in fake.inline_buttons(picker)]
    assert len(labels) == 1 + PAGE_SIZE + 1 and labels[-1] == "▶️"
    assert labels[1].startswith("✏️ Activiteit 0 ·")
    await greet.taps("▶️")
    shown = fake.message(greet.id, picker["message_id"])
    assert shown is not None
    labels = [label for label, _data in fake.inline_buttons(shown)]
    assert labels == ["➕ Nieuwe activiteit", "✏️ Activiteit 8 · wo 09/12 14:00",
                      "✏️ Activiteit 9 · do 10/12 14:00", "◀️"]
    assert await greet.presses(shown, "ad:p:2") == [EXPIRED]
