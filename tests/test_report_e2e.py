"""/report end to end: the coordinator gets the chart, the workbook and the CSV of a month,
turns the automatic report off and on; on the 1st it comes by itself, once."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from bot.i18n import _, use_locale
from bot.scheduler.report import send_due
from bot.services import report
from storage.db import Database
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_report import seed_october


def dutch(message: str) -> str:
    with use_locale("nl"):
        return _(message)


async def test_the_coordinator_gets_last_months_report_and_the_switch(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    # October's open questions are the coordinator's: the housekeeping job (its first round
    # 5 s after the start, within this test on a slow machine) would bring her their cards,
    # in the middle of the replies counted here.
    assert bot.app is not None and bot.app.job_queue is not None
    bot.app.job_queue.scheduler.pause()
    await seed_october(db)
    greet = await coordinator_of(chat)
    # The clock stands on 22 November 2026: without a month, /report is October's.
    photo, workbook, table, switch = await greet.says("/report")
    assert photo["caption"].splitlines()[:2] == [
        "📊 " + dutch("Report of {month}").format(month="oktober 2026"),
        f"{dutch('Parents reached')}: 4 · {dutch('Coming')}: 3 · {dutch('Questions')}: 4"]
    chart = fake.file_content(photo["photo"][-1]["file_id"])
    assert chart.startswith(b"\x89PNG") and len(chart) > 20_000
    assert workbook["document"]["file_name"] == "brede-school-2026-10.xlsx"
    book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
    months = list(book.worksheets[3].iter_rows(values_only=True))
    assert months[-1] == ("2026-10", 4, 3, 4, 0, 1, 1, 2, 0, 0, 0, 0, 1, 2, 1, 3, 90, 240, 1,
                          3, 2, 1)
    assert table["document"]["file_name"] == "brede-school-2026-10.csv"
    assert fake.file_content(table["document"]["file_id"]).startswith(b"\xef\xbb\xbf")
    assert switch["text"].startswith(
        dutch("On the 1st of each month you get last month's report by itself."))
    assert fake.inline_buttons(switch) == [("🔕 " + dutch("Turn it off"), "rp:auto:off")]

    await greet.taps(data="rp:auto:off")
    edited = fake.message(greet.id, switch["message_id"])
    assert edited is not None and edited["text"].startswith(
        dutch("The monthly report is not sent by itself. Ask for it with /report."))
    async with db.session() as session:
        # Hers alone: another coordinator's stays as it was.
        assert not await report.monthly_enabled(session, greet.id)
        assert await report.monthly_enabled(session)
    await greet.taps(data="rp:auto:on")
    async with db.session() as session:
        assert await report.monthly_enabled(session, greet.id)

    # Another month, and what is no month.
    [photo, _workbook, _table, _switch] = await greet.says("/report 2026-09")
    assert "september 2026" in photo["caption"]
    [reply] = await greet.says("/report oktober")
    assert reply["text"] == dutch(
        "Write the month as year-month, for example: /report {month}").format(month="2026-10")
    [reply] = await greet.says("/report 2027-01")
    assert reply["text"] == dutch("That month has not begun yet.")


async def test_parents_get_no_report(chat: Chat, fake: FakeTelegram) -> None:
    greet = await coordinator_of(chat)
    [*_files, switch] = await greet.says("/report")
    els = await onboard(chat, 6201, "Els", "nl", "klimop")
    [reply] = await els.says("/report 2026-10")
    assert reply["text"] == dutch("Sorry, this is only for the Brede School team.")
    assert await els.presses(switch, "rp:auto:off") == [
        dutch("Sorry, this is only for the Brede School team.")]
    assert fake.calls_of("sendPhoto", els.id) == [] and fake.calls_of("sendDocument", els.id) == []


async def test_on_the_first_the_report_comes_by_itself_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled, clock: FixedClock
) -> None:
    await seed_october(db)
    await coordinator_of(chat)
    assert bot.app is not None
    # 22 November: nothing is due.
    assert await send_due(bot.app) == 0
    # 1 November, 08:30 in Brussels: October's report. Telegram fails the first time (no
    # coordinator got it): the next round sends it.
    clock.moment = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    fake.fail_next("sendPhoto", 502, "Bad Gateway")
    assert await send_due(bot.app) == 0
    clock.moment = datetime(2026, 11, 1, 7, 45, tzinfo=UTC)
    assert await send_due(bot.app) == 1

    def photos() -> list[Any]:
        return [c for c in fake.calls_of("sendPhoto", COORDINATOR_ID) if c.ok]

    [photo] = photos()
    assert photo.params["caption"].startswith(
        "📊 " + dutch("Report of {month}").format(month="oktober 2026"))
    documents = fake.calls_of("sendDocument", COORDINATOR_ID)
    assert [d.params["document"]["filename"] for d in documents] == [
        "brede-school-2026-10.xlsx", "brede-school-2026-10.csv"]
    # Once: a restart later that day, or a second instance, sends nothing more.
    clock.moment = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    assert await send_due(bot.app) == 0
    assert len(photos()) == 1
    # Turned off: December's 1st brings nothing.
    async with db.session() as session:
        await report.set_monthly(session, False)
        await session.commit()
    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert await send_due(bot.app) == 0
    assert len(photos()) == 1
