"""/activity end to end: the coordinator creates an activity with buttons and typed answers;
parents see it in their week, in their language or in Dutch, marked."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import Activity, ActivityDraft
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person
from tests.test_programme_e2e import activity_count, coordinator_of, onboard

ASK_KIND = "Nieuwe activiteit. Wat voor activiteit is het?"
ASK_START = "Hoe laat begint het? Typ het zoals 14:00."
EXPIRED = "Deze knop werkt niet meer."


async def drafts(db: Database) -> list[ActivityDraft]:
    async with db.session() as session:
        return list(await session.scalars(select(ActivityDraft)))


async def test_coordinator_creates_a_workshop_parents_see_it(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7001, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 7002, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 7003, "Els", "nl", "wijdeland")

    # A parent may not.
    [refused] = await els.says("/activity")
    assert refused["text"] == "Sorry, dit is alleen voor het team van de Brede School."

    [intro] = await greet.says("/activity")
    assert intro["text"] == "Voeg stap voor stap een activiteit toe aan het programma."
    [ask] = await greet.taps("➕ Nieuwe activiteit")
    assert ask["text"] == ASK_KIND
    # A typed answer where a button is asked: a hint, and the question again.
    hint, again = await greet.says("workshop")
    assert hint["text"] == "Tik op een van de knoppen." and again["text"] == ASK_KIND
    [ask] = await greet.taps("🎨 Workshop voor kinderen")
    assert ask["text"].startswith("Voor welke scholen?")
    # "Done" without a school: an alert, nothing changes.
    await greet.taps("✔️ Klaar")
    assert greet.alerts() == ["Kies minstens één school, of “Alle scholen”."]
    await greet.taps("Freinetschool Het Wijdeland (Brustem)")
    assert "✅ Freinetschool Het Wijdeland (Brustem)" in [
        label for label, _data in fake.inline_buttons(fake.transcript(greet.id)[-1])]
    [ask] = await greet.taps("✔️ Klaar")
    assert ask["text"].startswith("Welke dag?")
    labels = [label for label, _data in fake.inline_buttons(ask)]
    assert labels[0] == "zo 22 nov" and len(labels) == 15  # 14 days and Cancel
    [ask] = await greet.taps("wo 25 nov")
    assert ask["text"] == ASK_START

    # A bad time and a sticker: a hint and the question again.
    hint, again = await greet.says("25:00")
    assert hint["text"] == "“25:00” is geen uur. Typ het zoals 14:00."
    assert again["text"] == ASK_START
    hint, again = await greet.sends("sticker")
    assert hint["text"] == "Antwoord met een tekstbericht." and again["text"] == ASK_START
    [ask] = await greet.says("14:00")
    assert ask["text"].startswith("Hoe laat eindigt het?")
    hint, _again = await greet.says("13:00")
    assert hint["text"] == "Het einde moet na het begin liggen."
    [ask] = await greet.says("15u")
    assert ask["text"].startswith("Waar vindt het plaats?")
    [ask] = await greet.says("Turnzaal Het Wijdeland")
    [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith("De titel in het Nederlands?")
    [ask] = await greet.says("Kinderyoga in de turnzaal")
    [ask] = await greet.says("Rustig bewegen en ademen.")
    assert ask["text"].startswith("De titel in het Turks?")
    [ask] = await greet.says("Spor salonunda çocuk yogası")
    [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith("De titel in het Punjabi?")
    # Then a voice message per language (Turkish, Punjabi, Dutch), each may be skipped.
    [ask] = await greet.taps("🇧🇪 Alleen Nederlands")
    [draft] = await drafts(db)
    assert draft.awaiting == "voice:tr"
    [ask] = await greet.taps("⏭ Overslaan")
    [ask] = await greet.taps("⏭ Overslaan")
    [summary] = await greet.taps("⏭ Overslaan")
    text = summary["text"]
    assert text.startswith("Klopt dit? Ouders lezen het zo:")
    assert "🎨 Workshop voor kinderen\nKinderyoga in de turnzaal" in text
    assert "woensdag 25 november 2026, 14:00–15:00" in text
    assert "📍 Turnzaal Het Wijdeland" in text
    assert "Voor: Freinetschool Het Wijdeland (Brustem)" in text
    assert "Türkçe: Spor salonunda çocuk yogası" in text
    assert "Niet vertaald: ਪੰਜਾਬੀ" in text
    # The summary offers each part to change, then Save.
    datas = [data for _label, data in fake.inline_buttons(summary)]
    assert f"ad:{draft.id}:e:time" in datas and f"ad:{draft.id}:e:voice" in datas
    assert datas[-2:] == [f"ad:{draft.id}:save", f"ad:{draft.id}:x:summary"]

    # Forged and stale buttons change nothing.
    [draft] = await drafts(db)
    assert await greet.presses(summary, f"ad:{draft.id + 1}:save") == [EXPIRED]
    assert await greet.presses(summary, f"ad:{draft.id}:k:workshop") == [EXPIRED]
    assert await greet.presses(summary, f"ad:{draft.id}:sk:title:pa") == [EXPIRED]
    assert await els.presses(summary, f"ad:{draft.id}:save") == [
        "Sorry, dit is alleen voor het team van de Brede School."]
    assert await activity_count(db) == 0
    [still] = await drafts(db)
    assert still.awaiting == "summary"

    [saved] = await greet.taps("💾 Opslaan")
    assert saved["text"].startswith("Opgeslagen.")
    assert await drafts(db) == []
    async with db.session() as session:
        [activity] = list(await session.scalars(select(Activity)))
        assert activity.external_id == f"bot-{draft.id}" and activity.rrule is None

    # The clock stands on Sunday 22 November 2026: Wednesday is in the coming days.
    [week] = await ayse.says("/week")
    assert "Spor salonunda çocuk yogası" in week["text"]
    assert "25 Kasım 2026 Çarşamba, 14:00–15:00" in week["text"]
    assert "Rustig bewegen en ademen. (Felemenkçe)" in week["text"]  # no Turkish text
    [week] = await harpreet.says("/week")
    assert "Kinderyoga in de turnzaal (ਡੱਚ ਵਿੱਚ)" in week["text"]


async def test_cancel_drops_the_draft(chat: Chat, db: Database) -> None:
    greet = await coordinator_of(chat)
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    [ask] = await greet.taps("🌳 Open activiteit")
    assert len(await drafts(db)) == 1
    await greet.taps("✖️ Annuleren")
    assert greet.last_text() == "Geannuleerd. Er is niets opgeslagen."
    assert await drafts(db) == []
    # Its buttons have expired; typed text goes where it went before.
    assert await greet.presses(ask, ask["reply_markup"]["inline_keyboard"][0][0][
        "callback_data"]) == [EXPIRED]
    [reply] = await greet.says("hallo")
    assert "Gebruik de knoppen" in reply["text"]
    assert await activity_count(db) == 0

    # A question answered by typing keeps its buttons, far up the chat: its ✖️ no longer
    # throws away the draft that went on since.
    await open_activity_for_all_schools(greet)
    [start] = await greet.taps("za 28 nov")
    await greet.says("14:00")
    cancel = next(data for label, data in FakeTelegram.inline_buttons(start)
                  if label.startswith("✖️"))
    assert await greet.presses(start, cancel) == [EXPIRED]
    [draft] = await drafts(db)
    assert draft.awaiting == "end"



async def open_activity_for_all_schools(greet: Person) -> None:
    """A new draft up to its day: an open activity for all schools."""
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🌳 Open activiteit")
    await greet.taps("Alle scholen")
    await greet.taps("✔️ Klaar")


async def test_a_time_the_clocks_skip_is_refused(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """28 March 2027, the night summer time starts: no clock in Brussels shows 2:30."""
    clock.moment = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
    greet = await coordinator_of(chat)
    await open_activity_for_all_schools(greet)
    [ask] = await greet.taps("zo 28 mrt")
    assert ask["text"] == ASK_START
    hint, again = await greet.says("2u30")
    assert hint["text"] == ("Die nacht gaat de klok van 2:00 naar 3:00 (zomertijd). Dit uur "
                            "bestaat die dag dus niet. Kies een ander uur.")
    assert again["text"] == ASK_START
    await greet.says("01:30")
    hint, _again = await greet.says("02:45")
    assert hint["text"].startswith("Die nacht gaat de klok van 2:00 naar 3:00")
    [ask] = await greet.says("03:30")
    assert ask["text"].startswith("Waar vindt het plaats?")

    # The same hours on the day before, then that day changed to the 28th: refused too.
    await greet.taps("✖️ Annuleren")
    await open_activity_for_all_schools(greet)
    await greet.taps("za 27 mrt")
    await greet.says("02:30")
    await greet.says("04:00")
    await greet.says("Bibliotheek")
    await greet.taps("⏭ Overslaan")
    await greet.says("Vertelnacht")
    await greet.taps("⏭ Overslaan")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("⏭ Overslaan")
    await greet.taps("⏭ Overslaan")
    [summary] = await greet.taps("⏭ Overslaan")
    assert "zaterdag 27 maart 2027, 02:30–04:00" in summary["text"]
    [draft] = await drafts(db)
    await greet.presses(summary, f"ad:{draft.id}:e:date")
    await greet.taps("zo 28 mrt")
    assert greet.alerts()[-1].startswith("Die nacht gaat de klok van 2:00 naar 3:00")
    [draft] = await drafts(db)
    assert draft.awaiting == "date" and '"date": "2027-03-27"' in draft.data
