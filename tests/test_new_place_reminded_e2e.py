"""A new place reaches parents who got the reminder and did not answer (most never tap).

The reminder keeps the place it showed (``reminders.place_mark``, revision 0017); when the
activity's place is no longer that one, the parent hears the new place once per change, in
their language, with the notice the "yes"/"maybe" parents get (one key for both: a parent
with an answer and a reminder hears it once). "I can't come" hears nothing, nor does a
parent whose reminder was of an occurrence already past.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, select, text, update

from storage.db import Database, alembic_config
from storage.models import OutboxMessage, Reminder
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_migrations import in_thread
from tests.test_moves_e2e import notices, replan_at
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)

LIBRARY = "Bibliotheek;Kazernestraat 13, 3800 Sint-Truiden;50.8165;5.1852"
REFTER = "Refter van Klim-op;Tongersesteenweg 58, 3800 Sint-Truiden;;"
SPORTHAL = "Sporthal Velm;Velmstraat 1, 3800 Sint-Truiden;;"
ZAAL = "Zaal De Brug;Schepen Dejonghstraat 2, 3800 Sint-Truiden;;"
WEEKLY = BABBEL.replace("2026-11-25;13:30;15:00;;",
                        '2026-11-18;13:30;15:00;"FREQ=WEEKLY;UNTIL=20261210";')


def at(place: str, rows: str = BABBEL) -> str:
    return rows.replace(LIBRARY, place)


async def new_place(greet: Person, bot: Handled, clock: FixedClock, moment_: tuple[int, ...],
                    row: str) -> None:
    """The coordinator sends the file again with the activity at another place; the planner
    runs."""
    moment = local(*moment_)
    clock.moment = moment.astimezone(UTC)
    await import_csv(greet, row)
    await replan_at(bot, clock, moment)


async def answer(fake: FakeTelegram, parent: Person, said: str) -> None:
    await wait_until(lambda: bool(reminders_in(fake, parent.id)), fake)
    [reminder] = reminders_in(fake, parent.id)
    await parent.taps(data=f"rv:{nl_reminder_id(reminder)}:{said}")


async def marks(db: Database) -> set[str | None]:
    async with db.session() as session:
        return set(await session.scalars(select(Reminder.place_mark)
                                         .where(Reminder.status == "sent")))


async def test_a_parent_who_got_the_reminder_and_did_not_answer_hears_each_new_place(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9701, "Ayşe", "tr", "vlindertje")  # reads, never taps
    els = await onboard(chat, 9702, "Els", "nl", "vlindertje")  # "yes" and the reminder
    jan = await onboard(chat, 9703, "Jan", "nl", "vlindertje")  # "no"
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    assert "Bibliotheek" in reminder["text"]
    await answer(fake, els, "yes")
    await answer(fake, jan, "no")

    # Tuesday evening: the library is closed, it moves to Klim-op's refter (same time).
    await new_place(greet, bot, clock, (24, 20), at(REFTER))
    await wait_until(lambda: bool(notices(fake, ayse)) and bool(notices(fake, els)), fake)
    await replan_at(bot, clock, local(24, 20, 10))  # once, not every round
    await fake.wait_idle(quiet=0.5)
    [told] = notices(fake, ayse)
    assert "yeri değişti" in told and "Veli sohbeti: uyku" in told, told
    assert "Refter van Klim-op, Tongersesteenweg 58" in told, told
    assert "25 Kasım 2026 Çarşamba" in told, told
    assert len(notices(fake, els)) == 1  # her answer and her reminder: one notice
    assert notices(fake, jan) == []

    # It changes again: told again, once.
    await new_place(greet, bot, clock, (24, 20, 20), at(SPORTHAL))
    await wait_until(lambda: len(notices(fake, ayse)) == 2 and len(notices(fake, els)) == 2,
                     fake)
    await replan_at(bot, clock, local(24, 20, 30))
    await fake.wait_idle(quiet=0.5)
    assert "Sporthal Velm" in notices(fake, ayse)[1]
    assert len(notices(fake, ayse)) == len(notices(fake, els)) == 2
    assert notices(fake, jan) == []

    # Ayşe answers after all: her answer keeps the place she answered to, and a third
    # place reaches her once, as it reaches Els.
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:maybe")
    await new_place(greet, bot, clock, (24, 20, 40), at(ZAAL))
    await wait_until(lambda: len(notices(fake, ayse)) == 3 and len(notices(fake, els)) == 3,
                     fake)
    await replan_at(bot, clock, local(24, 20, 50))
    await fake.wait_idle(quiet=0.5)
    assert len(notices(fake, ayse)) == len(notices(fake, els)) == 3
    assert notices(fake, jan) == []

    # Back to the sporthal (the zaal was a mistake): a place they were told before, told
    # again, once.
    await new_place(greet, bot, clock, (24, 20, 55), at(SPORTHAL))
    await wait_until(lambda: len(notices(fake, ayse)) == 4 and len(notices(fake, els)) == 4,
                     fake)
    await replan_at(bot, clock, local(24, 20, 58))
    await fake.wait_idle(quiet=0.5)
    assert "Sporthal Velm" in notices(fake, ayse)[3] and "Sporthal Velm" in notices(fake, els)[3]
    assert len(notices(fake, ayse)) == len(notices(fake, els)) == 4
    assert notices(fake, jan) == []
    async with db.session() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key)
                                          .where(OutboxMessage.dedupe_key.like("place:%"))))
    assert len(keys) == len(set(keys)) == 8


async def test_a_reminder_of_an_occurrence_already_past_tells_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A weekly ouderbabbel: reminded of Wednesday 25 November, which is over when the
    place changes. The next Wednesday's reminder shows the new place; no notice."""
    greet = await coordinator_of(chat)
    await import_csv(greet, WEEKLY)
    ayse = await onboard(chat, 9711, "Ayşe", "tr", "vlindertje")
    await day_reminder_of(bot, clock, fake, ayse)
    await new_place(greet, bot, clock, (26, 10), at(REFTER, WEEKLY))
    await replan_at(bot, clock, local(26, 10, 10))
    await fake.wait_idle(quiet=0.5)
    assert notices(fake, ayse) == []
    await round_at(bot, clock, local(1, 18, month=12))
    await wait_until(lambda: len(reminders_in(fake, ayse.id)) == 2, fake)
    assert "Refter van Klim-op" in reminders_in(fake, ayse.id)[1]["text"]
    assert notices(fake, ayse) == []


async def test_a_reminder_from_before_place_marks_gets_one_and_tells_nobody(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Handed over before this version: the first round cannot know what it showed, so
    it notes the place and tells nothing (as for answers, revision 0016)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9721, "Ayşe", "tr", "vlindertje")
    await day_reminder_of(bot, clock, fake, ayse)
    before = await marks(db)
    assert len(before) == 1 and None not in before  # kept when handed over
    async with db.session() as session:
        await session.execute(update(Reminder).values(place_mark=None))
        await session.commit()
    await new_place(greet, bot, clock, (24, 20), at(REFTER))
    await fake.wait_idle(quiet=0.5)
    assert notices(fake, ayse) == []
    after = await marks(db)
    assert len(after) == 1 and after != before and None not in after


async def test_a_new_time_then_a_new_place_reaches_a_reminded_parent_at_the_new_time(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Her reminder is of 13:30, she was told it moved to 14:30; the place changes in a
    later round: she hears it, for 14:30."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9731, "Ayşe", "tr", "vlindertje")
    await day_reminder_of(bot, clock, fake, ayse)
    later = BABBEL.replace("13:30;15:00", "14:30;16:00")
    await new_place(greet, bot, clock, (24, 20), later)
    await wait_until(lambda: bool(notices(fake, ayse)), fake)
    await new_place(greet, bot, clock, (24, 20, 10), at(REFTER, later))
    await wait_until(lambda: len(notices(fake, ayse)) == 2, fake)
    await replan_at(bot, clock, local(24, 20, 20))
    await fake.wait_idle(quiet=0.5)
    moved, placed = notices(fake, ayse)
    assert "Bibliotheek" in moved and "yeri değişti" in placed, (moved, placed)
    assert "14:30" in placed.split("\n\n")[0] and "Refter van Klim-op" in placed, placed


async def test_a_new_time_and_place_at_once_is_one_notice_for_a_reminded_parent(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9741, "Harpreet", "pa", "vlindertje")
    await day_reminder_of(bot, clock, fake, harpreet)
    await new_place(greet, bot, clock, (24, 20),
                    at(REFTER, BABBEL.replace("13:30;15:00", "14:30;16:00")))
    await wait_until(lambda: bool(notices(fake, harpreet)), fake)
    await replan_at(bot, clock, local(24, 20, 10))
    await fake.wait_idle(quiet=0.5)
    [told] = notices(fake, harpreet)  # the moved notice shows the new place
    assert "Refter van Klim-op" in told, told


def test_revision_0017_keeps_the_reminders_both_ways(tmp_path: Path) -> None:
    """SQLite copies the table to drop the column: rows and their outbox links stay."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'marks.sqlite3'}"
    plain = f"sqlite:///{tmp_path / 'marks.sqlite3'}"
    in_thread(command.upgrade, alembic_config(url), "0016")
    engine = create_engine(plain)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO people (telegram_id, first_name, locale, role, created_at) "
            "VALUES (1, 'Ayşe', 'tr', 'parent', '2026-11-22')"))
        conn.execute(text(
            "INSERT INTO activities (external_id, kind, starts_at, ends_at, all_schools, "
            "place_name, place_address, created_at, updated_at) VALUES ('b', 'ouderbabbel', "
            "'2026-11-25 12:30', '2026-11-25 14:00', 1, 'Bib', '', '2026-11-22', "
            "'2026-11-22')"))
        conn.execute(text(
            "INSERT INTO reminders (activity_id, occurrence_start, person_id, kind, due_at, "
            "status) VALUES (1, '2026-11-25 12:30', 1, 'day', '2026-11-24 17:00', 'sent')"))
        conn.execute(text(
            "INSERT INTO outbox (dedupe_key, chat_id, person_id, kind, payload, status, "
            "attempts, not_before, created_at, reminder_id) VALUES ('reminder:1', 1, 1, "
            "'text', '{}', 'sent', 1, '2026-11-24', '2026-11-24', 1)"))
    for target in ("head", "0016", "head"):  # up, down and up again
        in_thread(command.upgrade if target == "head" else command.downgrade,
                  alembic_config(url), target)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, status, place_mark FROM reminders")).all()
        linked = conn.scalar(text("SELECT reminder_id FROM outbox"))
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "sent", None)]
    assert linked == 1
