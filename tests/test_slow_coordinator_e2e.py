"""The coordinator on a bad mobile connection.

Telegram answers slowly (the fake server's ``latency`` / ``call_latency``), sometimes not at
all (500, dropped connections), and the coordinator taps twice when nothing seems to happen.
Each flow must still give exactly one activity / broadcast / notice, a clear answer in Dutch,
nothing lost and no duplicate message to any parent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import (
    Activity,
    ActivityDraft,
    Broadcast,
    OutboxMessage,
    Rsvp,
    School,
)
from storage.models import Person as PersonRow
from tests.fake_telegram import FakeTelegram
from tests.helpers import QUIET, Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import (
    EXAMPLE,
    activity_count,
    coordinator_of,
    coordinator_with_programme,
    onboard,
)
from tests.test_questions_e2e import join_team

EXPIRED = "Deze knop werkt niet meer."
SORRY = "Sorry, er ging iets mis. Probeer het straks nog eens."
KEPT = ("Wat je deed, is bewaard, maar mijn antwoord kwam niet aan. Kijk eerst even na of het "
        "gelukt is, voor je het opnieuw doet.")
ASK_KIND = "Nieuwe activiteit. Wat voor activiteit is het?"
ASK_START = "Hoe laat begint het? Typ het zoals 14:00."


# --------------------------------------------------------------------------------------------
# helpers


async def taps_twice(person: Person, handled: Handled, fake: FakeTelegram,
                     text: str | None = None, *, data: str | None = None) -> list[str]:
    """Two presses of the same button, the second before the bot answered the first (a thumb
    on a slow connection); returns the alerts the two presses got."""
    mark = fake.mark()
    first = fake.press_button(person.user, text, data=data)
    second = fake.press_button(person.user, text, data=data)
    await handled.wait(first["update_id"])
    await handled.wait(second["update_id"])
    await fake.wait_idle(quiet=QUIET)
    return [c.params.get("text", "") for c in fake.calls[mark:]
            if c.method == "answerCallbackQuery" and c.params.get("text")]


async def says_in_a_row(person: Person, handled: Handled, fake: FakeTelegram,
                        *texts: str) -> None:
    """Messages typed one after the other without waiting for the bot's answers."""
    updates = [fake.send_text(person.user, text) for text in texts]
    for update in updates:
        await handled.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)


async def send_file_twice(person: Person, handled: Handled, fake: FakeTelegram,
                          content: bytes) -> None:
    updates = [fake.send_document(person.user, "programme.csv", "text/csv", content=content)
               for _ in range(2)]
    for update in updates:
        await handled.wait(update["update_id"], seconds=20)
    await fake.wait_idle(quiet=QUIET)


def sent_texts_since(fake: FakeTelegram, chat_id: int, mark: int) -> list[str]:
    """Texts of the messages the bot sent (successfully) to a chat since call ``mark``."""
    return [c.params.get("text") or c.params.get("caption") or ""
            for c in fake.calls[mark:]
            if c.chat_id == chat_id and c.ok and c.method in ("sendMessage", "sendPhoto",
                                                              "sendDocument", "sendVoice")]


async def drafts(db: Database) -> list[ActivityDraft]:
    async with db.session() as session:
        return list(await session.scalars(select(ActivityDraft)))


async def broadcasts(db: Database) -> list[Broadcast]:
    async with db.session() as session:
        return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))


async def up_to_the_summary(greet: Person, title: str = "Voorleesuurtje") -> None:
    """A new open activity for all schools on Saturday 28 November, up to its summary."""
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🌳 Open activiteit")
    await greet.taps("Alle scholen")
    await greet.taps("✔️ Klaar")
    await greet.taps("za 28 nov")
    await greet.says("14:00")
    await greet.says("15:00")
    await greet.says("Bibliotheek")
    await greet.taps("⏭ Overslaan")
    await greet.says(title)
    await greet.taps("⏭ Overslaan")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("⏭ Overslaan")
    await greet.taps("⏭ Overslaan")
    [summary] = await greet.taps("⏭ Overslaan")
    assert summary["text"].startswith("Klopt dit?"), summary["text"]


# --------------------------------------------------------------------------------------------
# /activity


async def test_slow_answers_and_typed_answers_ahead_of_the_questions_are_taken_in_order(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Every message of the bot takes a while to arrive; the coordinator taps "➕" twice and
    types the hours before their questions are on her screen: one draft, one question each,
    the answers where she meant them."""
    greet = await coordinator_of(chat)
    await greet.says("/activity")
    fake.latency = 0.25
    await taps_twice(greet, bot, fake, "➕ Nieuwe activiteit")
    assert fake.texts(greet.id).count(ASK_KIND) == 1
    assert len(await drafts(db)) == 1
    await greet.taps("🌳 Open activiteit")
    await greet.taps("Alle scholen")
    await greet.taps("✔️ Klaar")
    # The day tapped, and both hours typed before "what time does it start?" shows.
    day = fake.press_button(greet.user, "za 28 nov")
    start = fake.send_text(greet.user, "14:00")
    end = fake.send_text(greet.user, "15:30")
    for update in (day, start, end):
        await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)
    assert greet.last_text() == "Waar vindt het plaats? Typ de naam van de plek."
    [draft] = await drafts(db)
    assert draft.awaiting == "place"
    assert '"start": "14:00"' in draft.data and '"end": "15:30"' in draft.data


async def test_a_double_tap_on_a_day_takes_the_day_without_an_expired_alert(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The second tap of a double tap finds the draft one step further: the day was taken,
    yet she reads "Deze knop werkt niet meer." and wonders whether it was."""
    greet = await coordinator_of(chat)
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🌳 Open activiteit")
    await greet.taps("Alle scholen")
    await greet.taps("✔️ Klaar")
    fake.latency = 0.25
    alerts = await taps_twice(greet, bot, fake, "za 28 nov")
    assert fake.texts(greet.id).count(ASK_START) == 1
    [draft] = await drafts(db)
    assert draft.awaiting == "start" and '"date": "2026-11-28"' in draft.data
    assert alerts == [], alerts


async def test_a_double_tap_on_save_makes_one_activity(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await up_to_the_summary(greet)
    fake.latency = 0.25
    await taps_twice(greet, bot, fake, "💾 Opslaan")
    assert await activity_count(db) == 1
    assert sum(t.startswith("Opgeslagen.") for t in fake.texts(greet.id)) == 1
    assert await drafts(db) == []


async def test_a_double_tap_on_cancel_saves_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await up_to_the_summary(greet)
    fake.latency = 0.25
    await taps_twice(greet, bot, fake, "✖️ Annuleren")
    assert await activity_count(db) == 0 and await drafts(db) == []
    assert greet.last_text() == "Geannuleerd. Er is niets opgeslagen."


async def test_a_lost_saved_message_does_not_tell_her_to_try_again(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Save is written before "Opgeslagen." is sent; when that message fails (a 500), the
    apology says "probeer het later opnieuw": she makes the activity again, and parents get
    it twice in their week."""
    greet = await coordinator_of(chat)
    await up_to_the_summary(greet)
    fake.fail_next("sendMessage", 500, chat_id=greet.id)
    mark = fake.mark()
    await greet.taps("💾 Opslaan")
    assert await activity_count(db) == 1
    said = sent_texts_since(fake, greet.id, mark)
    assert said == [KEPT], said


# --------------------------------------------------------------------------------------------
# the weekly programme broadcast

PROGRAMME_HEADINGS = ("Programma van maandag 23 november 2026", "23 Kasım 2026 Pazartesi")


def programmes_in(fake: FakeTelegram, chat_id: int) -> int:
    return sum(t.startswith(PROGRAMME_HEADINGS) for t in fake.texts(chat_id))


async def test_double_taps_on_send_and_yes_make_one_broadcast(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9001, "Els", "nl", "vlindertje")
    ayse = await onboard(chat, 9002, "Ayşe", "tr", "wijdeland")
    [draft] = await greet.says("/broadcast")
    fake.latency = 0.25
    fake.call_latency = 0.25
    assert await taps_twice(greet, bot, fake, "📤 Verstuur naar 2 ouders") == []
    confirm = fake.message(greet.id, draft["message_id"])
    assert confirm is not None
    assert confirm["text"] == "Het programma van volgende week nu naar 2 ouders sturen?"
    await taps_twice(greet, bot, fake, "✅ Ja, nu versturen")
    await wait_until(lambda: programmes_in(fake, els.id) and programmes_in(fake, ayse.id), fake)
    await outbox_settled(db)
    assert programmes_in(fake, els.id) == 1 and programmes_in(fake, ayse.id) == 1
    [row] = await broadcasts(db)
    assert row.total == 2


async def test_a_double_tap_on_preview_shows_each_language_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    await onboard(chat, 9011, "Els", "nl", "vlindertje")
    await greet.says("/broadcast")
    fake.latency = 0.25
    mark = fake.mark()
    await taps_twice(greet, bot, fake, "👁 Voorbeeld")
    previews = Counter(t.split("\n")[0].replace("<b>", "").replace("</b>", "")
                       for t in sent_texts_since(fake, greet.id, mark))
    assert previews == {"👁 Nederlands": 1, "👁 Türkçe": 1, "👁 ਪੰਜਾਬੀ": 1}, previews


async def test_send_from_an_old_draft_after_the_programme_changed_sends_the_new_one_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Previewed, then a file adds an activity for Klim-op (whose parent had nothing that
    week), then "Send" on the old draft: the confirmation counts the parents of now, and each
    gets the programme of now, once."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9021, "Els", "nl", "vlindertje")
    murat = await onboard(chat, 9022, "Murat", "nl", "klimop")
    [draft] = await greet.says("/broadcast")
    assert "Het bereikt 1 ouder." in draft["text"]
    await greet.taps("👁 Voorbeeld", expect=3)
    extra = ("id;kind;schools;date;start;end;title_nl\n"
             "dansen-klimop;workshop;klimop;2026-11-25;15:00;16:00;Dansen op Klim-op\n")
    [reply] = await greet.sends("document", file_name="extra.csv", mime_type="text/csv",
                                content=extra.encode())
    assert reply["text"].startswith("Ingelezen: 1 nieuw"), reply["text"]
    await greet.taps("📤 Verstuur naar 1 ouder")  # the old draft's button
    confirm = fake.message(greet.id, draft["message_id"])
    assert confirm is not None
    assert confirm["text"] == "Het programma van volgende week nu naar 2 ouders sturen?"
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: programmes_in(fake, els.id) and programmes_in(fake, murat.id),
                     fake)
    await outbox_settled(db)
    assert programmes_in(fake, els.id) == 1 and programmes_in(fake, murat.id) == 1
    assert "Dansen op Klim-op" in murat.last_text()


async def test_a_500_on_the_preview_is_said_and_the_draft_still_sends(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9031, "Els", "nl", "vlindertje")
    await greet.says("/broadcast")
    fake.fail_next("sendMessage", 500, chat_id=greet.id)
    mark = fake.mark()
    await greet.taps("👁 Voorbeeld")
    assert sent_texts_since(fake, greet.id, mark) == [SORRY]
    assert programmes_in(fake, els.id) == 0
    previews = await greet.taps("👁 Voorbeeld", expect=3)
    assert [p["text"].split("\n")[0] for p in previews] == ["👁 Nederlands", "👁 Türkçe",
                                                           "👁 ਪੰਜਾਬੀ"]
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: programmes_in(fake, els.id) == 1, fake)
    await outbox_settled(db)
    assert programmes_in(fake, els.id) == 1


async def test_the_delivery_report_comes_after_a_failed_edit(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9041, "Els", "nl", "vlindertje")
    [draft] = await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    # The progress line's edits fail while it is sent (a bad connection for a few seconds).
    fake.fail_next("editMessageText", 500, chat_id=greet.id, times=3)
    await wait_until(lambda: programmes_in(fake, els.id) == 1, fake)
    # Its report comes as a message of its own (the line could not be redrawn), then the
    # line that it is done.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    said = fake.texts(greet.id)
    assert said[-2].startswith("✅ Rondzending klaar.\nVerstuurd: 1 van 1"), said[-2:]
    assert fake.message(greet.id, draft["message_id"]) is not None


# --------------------------------------------------------------------------------------------
# /announce

ANNOUNCEMENT = "Vrijdag is de school dicht: pedagogische studiedag."


async def skip_to_the_audience(greet: Person, fake: FakeTelegram) -> dict[str, Any]:
    """Tap "Dutch only" and "Skip" until the audience screen shows."""
    for _ in range(8):
        last = fake.transcript(greet.id)[-1]
        labels = [label for label, _data in fake.inline_buttons(last)]
        if "🇧🇪 Alleen Nederlands" in labels:
            await greet.taps("🇧🇪 Alleen Nederlands")
        elif "⏭ Overslaan" in labels:
            await greet.taps("⏭ Overslaan")
        else:
            return last
    raise AssertionError(fake.texts(greet.id)[-3:])


async def test_the_dutch_text_sent_twice_is_not_taken_as_the_turkish_one(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 9101, "Ayşe", "tr", "wijdeland")
    await greet.says("/announce")
    fake.latency = 0.25
    await says_in_a_row(greet, bot, fake, ANNOUNCEMENT, ANNOUNCEMENT)
    fake.latency = 0
    await skip_to_the_audience(greet, fake)
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: ANNOUNCEMENT in ayse.last_text(), fake)
    # Dutch for a Turkish reader is marked as Dutch ("🇧🇪 (Felemenkçe)"), never passed off
    # as her language.
    assert ayse.last_text().startswith("🇧🇪"), ayse.last_text()


async def test_a_double_tap_on_yes_sends_the_announcement_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    parents = [await onboard(chat, 9111 + i, f"P{i}", code, "wijdeland")
               for i, code in enumerate(("nl", "tr", "pa"))]
    await greet.says("/announce")
    await greet.says(ANNOUNCEMENT)
    await skip_to_the_audience(greet, fake)
    fake.latency = 0.2
    await taps_twice(greet, bot, fake, "📤 Verstuur naar 3 ouders")
    await taps_twice(greet, bot, fake, "✅ Ja, nu versturen")
    await wait_until(lambda: all(ANNOUNCEMENT in p.last_text() for p in parents), fake)
    await outbox_settled(db)
    for parent in parents:
        assert sum(ANNOUNCEMENT in t for t in fake.texts(parent.id)) == 1
    announcements = [b for b in await broadcasts(db) if b.kind == "announcement"]
    assert [b.status for b in announcements].count("draft") == 0
    assert sum(b.total or 0 for b in announcements) == 3


async def test_an_edit_of_the_announcement_while_it_is_sent_is_answered(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    parents = [await onboard(chat, 9121 + i, f"P{i}", "nl", "wijdeland") for i in range(3)]
    await greet.says("/announce")
    await greet.says(ANNOUNCEMENT)
    await skip_to_the_audience(greet, fake)
    await greet.taps("📤 Verstuur naar 3 ouders")
    fake.latency = 0.4
    await greet.taps("✅ Ja, nu versturen")
    original = next(m for m in fake.history(greet.id)
                    if m["from"]["id"] == greet.id and m.get("text") == ANNOUNCEMENT)
    mark = fake.mark()
    update = fake.send_edited_text(greet.user, original["message_id"],
                                   ANNOUNCEMENT.replace("Vrijdag", "Donderdag"))
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)
    await wait_until(lambda: all(ANNOUNCEMENT in p.last_text() for p in parents), fake)
    await outbox_settled(db)
    for parent in parents:  # what went, went once
        assert sum(ANNOUNCEMENT in t for t in fake.texts(parent.id)) == 1
    answers = [t for t in sent_texts_since(fake, greet.id, mark)
               if not t.startswith("Het rondsturen is klaar")]
    assert answers, "no word about the edit"


# --------------------------------------------------------------------------------------------
# cancelling and un-cancelling a day while its notices are going out

YOGA = "Kinderyoga · wo 25/11 14:00"
YOGA_START = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 in Brussels


async def yoga(db: Database) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Activity.id).where(
            Activity.external_id == "kinderyoga-wijdeland"))
        assert found is not None
        return found


async def notice_on_its_way(db: Database, fake: FakeTelegram) -> None:
    """Until the cancellation notice is claimed by the sender and its request is at the
    (slow) server: past the sender's last look (``still_to_send``), on the wire."""
    for _attempt in range(200):
        async with db.session() as session:
            claimed = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.group_key.like("cancel:%"), OutboxMessage.status == "sending"))
        if claimed and fake._inflight > 0:  # nothing else is being sent now
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the notice never went out")


async def cancel_and_tell(greet: Person, fake: FakeTelegram) -> dict[str, Any]:
    """Kinderyoga of Wednesday 25 November cancelled, its parents told (slowly); returns the
    coordinator's message the buttons are on."""
    [listing] = await greet.says("/activities")
    await greet.taps(YOGA)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    fake.latency = 1.5  # the notice takes a while to reach Telegram's answer
    await greet.taps("✅ Ja, laat het hen weten")
    return listing


async def undo(greet: Person, listing: dict[str, Any], db: Database) -> str:
    activity = await yoga(db)
    stamp = int(YOGA_START.timestamp())
    await greet.presses(listing, f"act:{activity}:{stamp}:ro")
    await greet.presses(listing, f"act:{activity}:{stamp}:uo")
    shown = greet.fake.message(greet.id, listing["message_id"])
    assert shown is not None
    return str(shown["text"])


async def test_undo_while_a_notice_is_on_its_way_counts_its_parent(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9201, "Ayşe", "tr", "wijdeland")
    listing = await cancel_and_tell(greet, fake)
    await notice_on_its_way(db, fake)
    said = await undo(greet, listing, db)
    await fake.wait_idle()  # the request on its way comes back
    fake.latency = 0
    await outbox_settled(db)
    assert any(t.startswith("❌") for t in fake.texts(ayse.id))  # it did arrive
    # So the undo offers to tell her it goes ahead after all.
    assert said == ("Het gaat weer door. De 1 ouder die hoorde dat het niet doorging een "
                    "bericht sturen?"), said


async def test_a_notice_that_failed_during_the_undo_is_never_sent(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9211, "Ayşe", "tr", "wijdeland")
    fake.fail_next("sendMessage", 500, chat_id=ayse.id)  # its first try fails, slowly
    listing = await cancel_and_tell(greet, fake)
    await notice_on_its_way(db, fake)
    said = await undo(greet, listing, db)
    # The notice was on its way when the day was undone: it may have reached her, so she
    # counts as told (the coordinator is asked whether to tell her it goes ahead).
    assert said.startswith("Het gaat weer door."), said
    fake.latency = 0
    await asyncio.sleep(1.5)  # the sender's back-off after a 500 (1 s)
    await outbox_settled(db)
    # Nobody had heard it was off, and the day goes ahead: she must not read it is cancelled.
    assert not any(t.startswith("❌") for t in fake.texts(ayse.id)), fake.texts(ayse.id)


# --------------------------------------------------------------------------------------------
# the programme file


async def test_the_same_file_sent_twice_quickly_imports_once_and_tells_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The file now cancels Kinderyoga on 25 November, which Ayşe said she comes to: sent
    twice (nothing seemed to happen), it is one import and one notice."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9301, "Ayşe", "tr", "wijdeland")
    async with db.session() as session:
        parent = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_id == ayse.id))
        session.add(Rsvp(activity_id=await yoga(db), occurrence_start=YOGA_START,
                         person_id=parent, answer="yes"))
        await session.commit()
    csv = EXAMPLE.read_bytes()
    assert csv.count(b"2026-10-28 2026-11-04") == 1
    cancelled = csv.replace(b"2026-10-28 2026-11-04", b"2026-10-28 2026-11-04 2026-11-25")
    fake.latency = 0.25
    mark = fake.mark()
    await send_file_twice(greet, bot, fake, cancelled)
    fake.latency = 0
    replies = [t for t in sent_texts_since(fake, greet.id, mark) if t.startswith("Ingelezen")]
    assert len(replies) == 2, replies
    assert replies[0].startswith("Ingelezen: 0 nieuw, 1 gewijzigd, 11 ongewijzigd.")
    assert replies[1].startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 12 ongewijzigd.")
    assert await activity_count(db) == 12
    await wait_until(lambda: any(t.startswith("❌") for t in fake.texts(ayse.id)), fake)
    await outbox_settled(db)
    assert sum(t.startswith("❌") for t in fake.texts(ayse.id)) == 1


async def test_a_lost_import_reply_says_the_file_is_in(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The file is imported and committed before its reply; the reply lost (a 500), she
    reads that it is kept, not "try again" (the counts of that reply are lost: /programme
    shows what is in)."""
    greet = await coordinator_of(chat)
    fake.fail_next("sendMessage", 500, chat_id=greet.id)
    mark = fake.mark()
    await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                      content=EXAMPLE.read_bytes())
    assert await activity_count(db) == 12
    said = sent_texts_since(fake, greet.id, mark)
    assert said == [KEPT], said


# --------------------------------------------------------------------------------------------
# the team: /invite, /staff


async def test_invite_after_a_500_gives_a_link_that_works(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    fake.fail_next("sendMessage", 500, chat_id=greet.id)
    mark = fake.mark()
    await greet.says("/invite")
    assert sent_texts_since(fake, greet.id, mark) == [KEPT]
    await join_team(chat, greet, 9401, "Fatma", {"nl", "tr"}, db)  # the second link works
    [staff] = await greet.says("/staff")
    assert staff["text"].startswith("Het team: 1 brugfiguur"), staff["text"]


async def test_double_taps_in_staff_tell_the_brugfiguur_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9411, "Fatma", {"nl", "tr"}, db)
    async with db.session() as session:
        fatma_id = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_id == fatma.id))
        klimop = await session.scalar(select(School.id).where(School.code == "klimop"))
    await greet.says("/staff")
    await greet.taps(data="team:m")
    await greet.taps(data=f"team:m:{klimop}")
    fake.latency = 0.2
    fake.call_latency = 0.2
    await taps_twice(greet, bot, fake, data=f"team:m:{klimop}:{fatma_id}")
    await wait_until(lambda: any(t.startswith("🏫") for t in fake.texts(fatma.id)), fake)
    await greet.taps(data="team:s")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps(data=f"team:s:{fatma_id}:rm")
    await taps_twice(greet, bot, fake, data=f"team:s:{fatma_id}:rmok")
    await wait_until(lambda: any(t.startswith("🚪") for t in fake.texts(fatma.id)), fake)
    await outbox_settled(db)
    assert sum(t.startswith("🏫") for t in fake.texts(fatma.id)) == 1
    assert sum(t.startswith("🚪") for t in fake.texts(fatma.id)) == 1
    assert sum("is no longer" in t or "zit niet meer in het team" in t
               for t in fake.texts(greet.id)) == 1

