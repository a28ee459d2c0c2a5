"""Families and schools as they really are: a mother with children at two schools of the
network, a brugfiguur who is a mother herself (she keeps her child's reminders), a child
who changes school."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import Database
from storage.models import School
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import MONDAY_10, join_team, question_rows, staff_id
from tests.test_reminders_e2e import (
    BABBEL,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)
from tests.test_routing_leave_e2e import goes_on_leave

# The November ouderbabbel of the reminder tests, for Het Wijdeland only.
BABBEL_WIJDELAND = BABBEL.replace("babbel-nov;ouderbabbel;alle",
                                  "babbel-nov;ouderbabbel;wijdeland")
WIJDELAND = "Freinetschool Het Wijdeland (Brustem)"


async def school_id(db: Database, code: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(School.id).where(School.code == code))
        assert found is not None
        return found


async def test_a_mother_of_two_schools_reaches_the_other_schools_contact_while_one_is_on_leave(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe's youngest goes to the kindergarten of Gelinden (its contact Fatma is on leave for
    three weeks), her eldest to the primary school of Engelmanshoven (its contact Ahmet speaks
    Turkish and is at work this Monday morning; he already holds one question). Mehmet, who
    speaks Turkish too, is no school's contact and holds none. Ayşe's question about a letter
    should go to Ahmet, the fixed contact of her other school, and count for that school."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 9701, "Fatma", {"nl", "tr"}, db, contact_of="gelinden")
    ahmet = await join_team(chat, greet, 9702, "Ahmet", {"nl", "tr"}, db,
                            contact_of="engelmanshoven")
    await join_team(chat, greet, 9703, "Mehmet", {"nl", "tr"}, db)
    await goes_on_leave(fatma, db)
    hatice = await onboard(chat, 9711, "Hatice", "tr", "engelmanshoven")
    await hatice.says("Toplantı ne zaman?")
    await hatice.picks_topic("school")
    await wait_until(lambda: "Toplantı ne zaman?" in fake.texts(ahmet.id), fake)

    ayse = await onboard(chat, 9712, "Ayşe", "tr", "gelinden")  # the kindergarten's letter
    await ayse.says("/start s_engelmanshoven")  # then the primary school's QR code
    await ayse.says("Okul mektubunu anlamadım, yardım eder misiniz?")
    told = await ayse.picks_topic("letter")
    _first, second = await question_rows(db)
    assert second.assignee_id == await staff_id(db, ahmet.id), told[-1]["text"]
    assert second.school_id == await school_id(db, "engelmanshoven")


async def test_last_months_school_figures_stay_when_a_child_changes_school(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """In November Ayşe's child was at Het Wijdeland: she got the reminder of its ouderbabbel
    and said she would come. In December the child moves to Klim-op (🏫 My school). The
    November report still has Het Wijdeland with 1 parent reached and 1 coming."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL_WIJDELAND)
    ayse = await onboard(chat, 9601, "Ayşe", "tr", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 1, fake)
    [reminder] = reminders_in(fake, ayse.id)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    clock.moment = datetime(2026, 12, 3, 10, tzinfo=UTC)

    async def wijdeland_in_november() -> tuple[object, ...]:
        _photo, workbook, _table, _switch = await greet.says("/report 2026-11")
        book = load_workbook(io.BytesIO(fake.file_content(workbook["document"]["file_id"])))
        [row] = [r for r in book.worksheets[0].iter_rows(values_only=True) if r[0] == WIJDELAND]
        return row

    assert await wijdeland_in_november() == (WIJDELAND, 1, 1, 0)
    await ayse.says("/school")
    await ayse.taps("Vrije basisschool Klim-op")
    await ayse.taps(f"✅ {WIJDELAND}")
    await ayse.taps(data="school:done:set")
    assert ayse.last_text() == "Okulunuz: Vrije basisschool Klim-op"
    assert await wijdeland_in_november() == (WIJDELAND, 1, 1, 0)


async def test_the_dutch_original_of_a_broadcast_is_that_of_the_copy_after_a_school_is_added(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Ayşe got next week's programme in Turkish for Het Wijdeland (Kinderyoga only). Then she
    scans Kabouterland's QR code for her youngest. Her husband reads Dutch: she taps
    🇧🇪 Nederlands under the Turkish message. He should read the same week in Dutch, not a
    week with Kabouterland's Sinterklaas afternoon that her message never had."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7001, "Ayşe", "tr", "wijdeland")
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: "programı" in ayse.last_text(), fake)
    copy = fake.transcript(ayse.id)[-1]
    assert "Çocuk yogası" in copy["text"] and "Sinterklaas" not in copy["text"]

    [welcome] = await ayse.says("/start s_kabouterland")
    assert "Kabouterland" in welcome["text"]
    [(_label, data)] = fake.inline_buttons(copy)
    await ayse.presses(copy, data)
    dutch = ayse.last_text()
    assert dutch.startswith("Programma van maandag 23 november 2026") and "Kinderyoga" in dutch
    assert "Knutselnamiddag voor Sinterklaas" not in dutch


async def test_a_brugfiguur_who_is_a_mother_still_gets_the_reminders_of_her_childs_school(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Fatma's son goes to Het Wijdeland; she used the bot as a parent, then the coordinator
    invites her into the team. /week still shows her the school's ouderbabbel; the reminder
    the day before should reach her, as it does every other parent of the school."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL_WIJDELAND)
    fatma = await onboard(chat, 9801, "Fatma", "tr", "wijdeland")
    [invitation] = await greet.says("/invite")
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", invitation["text"])
    assert token is not None
    await fatma.says(f"/start staff_{token[1]}")
    [week] = await fatma.says("/week")
    assert "Veli sohbeti: uyku" in week["text"]

    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await outbox_settled(db, fatma.id)
    assert len(reminders_in(fake, fatma.id)) == 1
