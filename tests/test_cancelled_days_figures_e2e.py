"""A day that did not take place brings nobody: the monthly report counts nobody "coming" to
a cancelled day (and lists it as cancelled), and /rsvps offers no "✉️ Note after" for it; a
stale or forged button for it, or a reply to a note prompt, is refused politely.

(The first two tests come from tests/test_review_coordinator_month_e2e.py, where they were
found.)"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.services import rsvp
from storage.db import Database
from storage.models import Activity, ActivityCancellation, OutboxMessage
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    import_csv,
    local,
    says_yes_to_the_day_reminder,
)

BABBEL_START = local(25, 13, 30).astimezone(UTC)


async def cancels_the_babbel(greet: Person, ayse: Person, fake: FakeTelegram) -> None:
    """Greet cancels Wednesday's babbel in /activities; Ayşe, who said ✅, is told."""
    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen · wo 25/11 13:30")
    await greet.taps("❌ Deze activiteit annuleren")
    await greet.taps("❌ Ja, annuleren")
    await wait_until(lambda: ayse.last_text().startswith("❌"), fake)


async def babbel_id(db: Database) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Activity.id).where(
            Activity.external_id == "babbel-nov"))
    assert found is not None
    return found


def note_buttons(replies: list[dict]) -> list[tuple[str, str]]:
    return [(label, data) for message in replies
            for label, data in FakeTelegram.inline_buttons(message) if data.startswith("rn:")]


async def notes_sent(db: Database) -> list[str]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like("note:%"))))


# --- the report ----------------------------------------------------------------------------


async def test_the_report_does_not_count_parents_coming_to_a_cancelled_day(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe taps ✅ I'm coming under Tuesday's reminder of Wednesday's ouderbabbel. On Tuesday
    evening the guest falls ill: Greet cancels it in /activities, and Ayşe is told. On 1
    December Greet opens November's report.

    Was: the caption said "Komen: 1", and the workbook's row of the babbel of 25 November
    said one parent is coming, as if it took place.

    Now: a day that did not take place counts nobody as coming (nor is it listed as held)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9711, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)

    clock.moment = local(24, 20).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen · wo 25/11 13:30")
    await greet.taps("❌ Deze activiteit annuleren")
    await greet.taps("❌ Ja, annuleren")
    await wait_until(lambda: ayse.last_text().startswith("❌"), fake)

    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    photo, workbook, _table, _switch = await greet.says("/report 2026-11")
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    occurrences = list(book.worksheets[2].iter_rows(values_only=True))[1:]
    coming = [row[7] for row in occurrences if row[3] == "Ouderbabbel: slapen"]
    assert coming in ([], [0]), occurrences
    assert "Komen: 0" in photo["caption"], photo["caption"]


async def test_the_report_lists_the_cancelled_day_as_cancelled(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The same month: the babbel's row says it was cancelled, with the reminder that went
    out to Ayşe; per school and per language nobody is coming."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9712, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)
    clock.moment = local(24, 20).astimezone(UTC)
    await cancels_the_babbel(greet, ayse, fake)

    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    _photo, workbook, _table, _switch = await greet.says("/report 2026-11")
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    header, *rows = list(book.worksheets[2].iter_rows(values_only=True))
    assert header[-1] == "Geannuleerd"
    [row] = [r for r in rows if r[3] == "Ouderbabbel: slapen"]
    assert (row[5], row[6], row[7], row[-1]) == (1, 1, 0, "ja"), row
    schools = list(book.worksheets[0].iter_rows(values_only=True))[1:]
    languages = list(book.worksheets[1].iter_rows(values_only=True))[1:]
    assert [r[2] for r in schools] == [0] * len(schools), schools
    assert [r[2] for r in languages] == [0] * len(languages), languages


# --- the note after ------------------------------------------------------------------------


async def test_no_note_after_is_offered_for_a_day_that_was_cancelled(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe said ✅ to Wednesday's babbel; on Tuesday evening Greet cancels it and Ayşe is
    told. On Thursday Greet opens /rsvps to send the photos of the week's activities.

    Was: under the list stood "✉️ Nota na: Ouderbabbel: slapen, 25-11-2026": its note
    ("thank you for coming", photos) went to Ayşe, who was told it was cancelled.

    Now: no note after a day that did not take place."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9751, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)

    clock.moment = local(24, 20).astimezone(UTC)
    await greet.says("/activities")
    await greet.taps("Ouderbabbel: slapen · wo 25/11 13:30")
    await greet.taps("❌ Deze activiteit annuleren")
    await greet.taps("❌ Ja, annuleren")
    await wait_until(lambda: ayse.last_text().startswith("❌"), fake)

    clock.moment = local(26, 10).astimezone(UTC)
    replies = await greet.says("/rsvps")
    notes = [label for message in replies for label, data in FakeTelegram.inline_buttons(message)
             if data.startswith("rn:")]
    assert notes == [], notes


async def test_a_forged_note_button_for_a_cancelled_day_is_refused(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A button made up for the cancelled babbel gets a short alert, and no prompt."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9752, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)
    clock.moment = local(24, 20).astimezone(UTC)
    await cancels_the_babbel(greet, ayse, fake)

    clock.moment = local(26, 10).astimezone(UTC)
    [overview, *_rest] = await greet.says("/rsvps")
    forged = f"rn:{await babbel_id(db)}:{int(BABBEL_START.timestamp())}"
    before = len(fake.transcript(greet.id))
    alerts = await greet.presses(overview, forged)
    assert alerts == ["Die dag werd geannuleerd, dus er is achteraf geen nota te versturen."]
    assert len(fake.transcript(greet.id)) == before  # no prompt


async def test_a_day_cancelled_after_it_passed_takes_no_note(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The babbel took place, Greet has /rsvps open with its ✉️ button and a prompt for the
    note; then the day is recorded as cancelled after all (a file that lists it as
    cancelled). The old button is refused, and a reply to the prompt sends nothing."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9753, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)

    clock.moment = local(25, 16).astimezone(UTC)
    [overview, *_rest] = await greet.says("/rsvps")
    [(_label, data)] = note_buttons([overview])
    [prompt] = await greet.taps(data=data)
    async with db.session() as session:
        session.add(ActivityCancellation(activity_id=await babbel_id(db),
                                         occurrence_start=BABBEL_START))
        await session.commit()

    [done] = await greet.sends("photo", caption="Bedankt!",
                               reply_to_message_id=prompt["message_id"])
    assert done["text"] == "Die dag werd geannuleerd, dus je nota is niet verstuurd."
    assert await notes_sent(db) == []
    assert await greet.presses(overview, data) == [
        "Die dag werd geannuleerd, dus er is achteraf geen nota te versturen."]
    assert note_buttons(await greet.says("/rsvps")) == []
    async with db.session() as session:
        assert await rsvp.note_audience(session, await babbel_id(db), BABBEL_START) is None
        assert await rsvp.recent_with_attendees(session, local(26, 10).astimezone(UTC)) == []
