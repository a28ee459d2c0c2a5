"""The bot across the school year's turning points (June to September), end to end on the
test clock: June's report after a child changed school, last year's file sent by mistake, a
parent who left in June and joins the team in September."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import BRUSSELS
from bot.services import staff
from storage.db import Database
from storage.models import Person, Question, Rsvp
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import HEADER, nl_reminder_id, reminders_in, round_at

KLIMOP = "Vrije basisschool Klim-op"


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock moment."""
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def set_clock(clock: FixedClock, moment: datetime) -> None:
    clock.moment = moment.astimezone(UTC)


async def import_rows(coordinator: Talker, *rows: str) -> str:
    [reply] = await coordinator.sends("document", file_name="programma.csv",
                                      mime_type="text/csv",
                                      content="\n".join([HEADER, *rows]).encode())
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    return str(reply["text"])


async def yes_to_the_day_reminder(bot: Handled, clock: FixedClock, fake: FakeTelegram,
                                  db: Database, parent: Talker, plan_at: datetime,
                                  evening_before: datetime) -> dict[str, Any]:
    """Plan the reminders, hand the day-before one over, and the parent taps ✅ (1 child)."""
    await round_at(bot, clock, plan_at)
    await round_at(bot, clock, evening_before)
    await wait_until(lambda: len(reminders_in(fake, parent.id)) == 1, fake)
    await outbox_settled(db, parent.id)
    [reminder] = reminders_in(fake, parent.id)
    await parent.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    await parent.taps(data=f"rv:{nl_reminder_id(reminder)}:c1")
    return reminder


def school_rows(fake: FakeTelegram, workbook: dict[str, Any]) -> dict[str, list[object]]:
    """The report's first sheet: per school, reached / coming / questions."""
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    return {str(r[0]): r[1:] for r in rows[1:]}


async def test_junes_report_per_school_does_not_change_when_a_parent_changes_school(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    set_clock(clock, at(2027, 6, 6, 10))
    greet = await coordinator_of(chat)
    await import_rows(greet, "yoga-juni-klimop;workshop;klimop;2027-06-09;14:00;15:00;;"
                             "Turnzaal Klim-op;;;;Kinderyoga;;Çocuk yogası;;;;")
    ayse = await onboard(chat, 9701, "Ayşe", "tr", "klimop")
    await yes_to_the_day_reminder(bot, clock, fake, db, ayse, at(2027, 6, 6, 10),
                                  at(2027, 6, 8, 18))

    # 1 July: June's report, as the coordinator gets it (and passes it on).
    set_clock(clock, at(2027, 7, 1, 10))
    _photo, workbook, _csv, _switch = await greet.says("/report 2027-06")
    assert school_rows(fake, workbook)[KLIMOP] == [1, 1, 0]

    # September: her child goes to De Villa now.
    set_clock(clock, at(2027, 9, 3, 10))
    await ayse.says("/school")
    await ayse.taps("De Villa")
    await ayse.taps("Klim-op")

    # October: June's report again (for the school year's overview). June took place at
    # Klim-op, with her: the same figures.
    set_clock(clock, at(2027, 10, 1, 10))
    _photo, workbook, _csv, _switch = await greet.says("/report 2027-06")
    assert school_rows(fake, workbook)[KLIMOP] == [1, 1, 0]


YOGA_THIS_YEAR = ('kinderyoga-wijdeland;workshop;wijdeland;2027-09-15;14:00;15:00;'
                  '"FREQ=WEEKLY;BYDAY=WE;UNTIL=20271215";Turnzaal Het Wijdeland;;;;Kinderyoga;;'
                  'Çocuk yogası;;;;')
YOGA_LAST_YEAR = ('kinderyoga-wijdeland;workshop;wijdeland;2026-09-16;14:00;15:00;'
                  '"FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216";Turnzaal Het Wijdeland;;;;Kinderyoga;;'
                  'Çocuk yogası;;;;')
NO_LONGER_TR = "artık o zaman yapılmayacak"


async def test_last_years_file_sent_by_mistake_does_not_call_off_tomorrow_for_the_parents(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    set_clock(clock, at(2027, 9, 12, 10))
    greet = await coordinator_of(chat)
    await import_rows(greet, YOGA_THIS_YEAR)
    ayse = await onboard(chat, 9702, "Ayşe", "tr", "wijdeland")
    await yes_to_the_day_reminder(bot, clock, fake, db, ayse, at(2027, 9, 12, 10),
                                  at(2027, 9, 14, 18))
    seen = len(fake.transcript(ayse.id))

    # Tuesday evening: last year's sheet (same ids) goes to the bot by mistake.
    set_clock(clock, at(2027, 9, 14, 19))
    reply = await import_rows(greet, YOGA_LAST_YEAR)
    assert "Verplaatst naar een dag die al voorbij is (klopt de datum?): Kinderyoga" in reply
    await round_at(bot, clock, at(2027, 9, 14, 19, 1))
    # The coordinator sees the warning and sends this year's file again.
    set_clock(clock, at(2027, 9, 14, 19, 5))
    await import_rows(greet, YOGA_THIS_YEAR)
    await round_at(bot, clock, at(2027, 9, 14, 19, 6))
    await outbox_settled(db)

    # Ayşe was never told that Wednesday's yoga is off, and her ✅ still counts.
    told = [m.get("text", "") for m in fake.transcript(ayse.id)[seen:]]
    assert not any(NO_LONGER_TR in text for text in told), told
    async with db.session() as session:
        answers = [r.answer for r in await session.scalars(select(Rsvp))]
    assert answers == ["yes"]


async def test_a_parent_who_stopped_in_june_and_joins_the_team_in_september_gets_questions(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    set_clock(clock, at(2027, 6, 28, 10))
    greet = await coordinator_of(chat)
    zeynep = await onboard(chat, 9801, "Zeynep", "tr", "klimop")
    await zeynep.says("/stop")

    # Monday 6 September, 10:00 (a green hour of a new brugfiguur's default map).
    set_clock(clock, at(2027, 9, 6, 10))
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    [welcome] = await zeynep.says(f"/start staff_{token[1]}")
    assert welcome["text"].startswith("Ekibe hoş geldiniz!")
    async with db.session() as session:
        zeynep_id = await session.scalar(select(Person.id).where(Person.telegram_id == zeynep.id))
        assert [m.first_name for m in await staff.team(session)] == ["Zeynep"]

    # A Turkish parent of Klim-op asks: Zeynep is the team's only Turkish speaker, green now.
    ayse = await onboard(chat, 9802, "Ayşe", "tr", "klimop")
    await ayse.says("Okul servisi var mı?")
    await ayse.picks_topic("school")
    async with db.session() as session:
        [question] = list(await session.scalars(select(Question)))
    assert question.assignee_id == zeynep_id
