"""The coordinator's figures: the monthly report and /rsvps agree with each other and with
what happened, also after parents change their language, for a workshop's children, a
brugfiguur's own schools and a day that moved. A /forget takes the parent's reminders and
answers out of past months' report, which says so when made again."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from bot.i18n import _, use_locale
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_moves_e2e import notices, replan_at
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    says_yes_to_the_day_reminder,
)
from tests.test_rsvp_details_e2e import YOGA

DECEMBER_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def dutch(message: str) -> str:
    with use_locale("nl"):
        return _(message)


async def november(greet: Person, fake: FakeTelegram) -> tuple[str, Any]:
    """The caption's figures line and the workbook of November's report."""
    photo, workbook, _table, _switch = await greet.says("/report 2026-11")
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    return photo["caption"].splitlines()[1], book


async def two_parents_say_yes(chat: Chat, fake: FakeTelegram, clock: FixedClock,
                              bot: Handled) -> tuple[Person, Person, Person]:
    """Greet's ouderbabbel for all schools; Ayşe (Turkish, Het Wijdeland) and Els (Dutch,
    Klim-op) both get Tuesday's reminder and tap ✅ I'm coming."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9811, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 9812, "Els", "nl", "klimop")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)
    [reminder] = [m for m in fake.transcript(els.id) if "Ouderbabbel: slapen" in m.get("text", "")]
    await els.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    return greet, ayse, els


async def test_a_forget_in_december_is_said_on_novembers_report_made_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    # An erasure keeps only that it happened (bot/services/report.py): Els's reminder and
    # "yes" go with her, and November's report made again says why it counts one fewer.
    greet, _ayse, els = await two_parents_say_yes(chat, fake, clock, bot)
    clock.moment = DECEMBER_1
    photo, _workbook, _table, _switch = await greet.says("/report 2026-11")
    caption = photo["caption"].splitlines()
    assert caption[1].startswith(f"{dutch('Parents reached')}: 2 · {dutch('Coming')}: 2")
    assert len(caption) == 3, caption  # nobody erased: no word about it

    clock.moment = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    await els.says("/forget")
    await els.taps(data="forget:yes")

    photo, _workbook, _table, _switch = await greet.says("/report 2026-11")
    caption = photo["caption"].splitlines()
    assert caption[1].startswith(f"{dutch('Parents reached')}: 1 · {dutch('Coming')}: 1")
    assert caption[3] == ("1 ouder vroeg ons later om de gegevens te wissen. "
                          "De antwoorden van die ouder tellen hier niet meer mee."), caption
    # December's own report counts the erasure in its month, with no such line.
    photo, workbook, _table, _switch = await greet.says("/report 2026-12")
    assert len(photo["caption"].splitlines()) == 3, photo["caption"]
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    december = list(book.worksheets[3].iter_rows(values_only=True))[-1]
    assert december[-1] == 1  # Parents erased their data


async def test_a_language_change_in_december_does_not_move_novembers_figures(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, _ayse, els = await two_parents_say_yes(chat, fake, clock, bot)
    clock.moment = DECEMBER_1
    _line, book = await november(greet, fake)
    before = list(book.worksheets[1].iter_rows(values_only=True))

    clock.moment = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    await els.says("/language")
    await els.taps(data="lang:tr:set")

    _line, book_after = await november(greet, fake)
    after = list(book_after.worksheets[1].iter_rows(values_only=True))
    assert after == before


async def test_the_report_does_not_say_zero_children_when_the_count_was_not_given(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 9821, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    assert bot.app is not None
    await outbox_settled(bot.app.bot_data["db"], ayse.id)

    clock.moment = local(25, 9).astimezone(UTC)
    [overview] = await greet.says("/rsvps")
    assert "1 ouder zei niet met hoeveel kinderen" in overview["text"] or (
        "0 kinderen" not in overview["text"]), overview["text"]

    clock.moment = DECEMBER_1
    _line, book = await november(greet, fake)
    header, *rows = list(book.worksheets[2].iter_rows(values_only=True))
    [row] = [r for r in rows if r[3] == "Kinderyoga"]
    # Not "0 children" alone: one parent comes and did not say with how many.
    assert row[header.index(dutch("Children"))] == 0
    assert row[header.index(dutch("Coming, number of children not said"))] == 1, (header, row)


async def test_a_brugfiguurs_rsvps_count_only_the_parents_of_their_schools(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9831, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9832, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 9833, "Els", "nl", "klimop")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)
    [reminder] = [m for m in fake.transcript(els.id) if "Ouderbabbel: slapen" in m.get("text", "")]
    await els.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")

    clock.moment = local(24, 21).astimezone(UTC)
    [mine] = await fatma.says("/rsvps")
    assert "Ouderbabbel: slapen" in mine["text"]
    assert "✅ 1 komen" in mine["text"], mine["text"]


async def test_a_moved_day_is_not_listed_as_held_with_nobody_coming(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9841, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)
    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-26;14:00;15:30"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, ayse)), fake)

    clock.moment = DECEMBER_1
    _line, book = await november(greet, fake)
    header, *rows = list(book.worksheets[2].iter_rows(values_only=True))
    babbels = [r for r in rows if r[3] == "Ouderbabbel: slapen"]
    held = [r for r in babbels if r[-1] is None]
    assert len(held) == 1, (header, babbels)
    # The old day is marked moved (it was not held then), its reminder still counted.
    [moved] = [r for r in babbels if r[-1] == "verplaatst"]
    assert moved[header.index(dutch("Reminders sent"))] == 1, (header, babbels)
    assert held[0][header.index(dutch("Coming"))] == 1, (header, babbels)
