"""Privacy: a parent who used everything the bot offers runs /forget, and afterwards no row of
any table names them (Telegram id, person id, first name, username, anything they wrote),
except what the README documents: what the team already received of their question stays
as an empty trace (payload "{}"), which names the team member's chat, never the parent.
And over the whole run, the logs (captured at DEBUG) hold no text a person sent and not the
bot's token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.__main__ import configure_logging
from bot.i18n import LANGUAGE_NAMES
from storage.db import Database
from storage.models import (
    Base,
    Broadcast,
    OutboxMessage,
    Person,
    Question,
    Reminder,
    Rsvp,
    School,
)
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram
from tests.helpers import Chat, Handled, rows_of_every_table
from tests.test_access import ErrorSpy, settle
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team, question_rows
from tests.test_reminders_e2e import BABBEL, import_csv, local, nl_reminder_id, reminders_in

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
PARENT_ID = 7_654_321
NAME = "Gülizar"
USERNAME = "gulizar_home_77"
# Everything people write in the scenario: none of it may reach a log record.
CAPTION = "Okulun mektubu: veli toplantısı ne zaman? Kızım Defne 3B sınıfında."
FOLLOW_UP = "Yarın sabah Kazernestraat'a gelebilir miyim?"
ANSWER = "Evet, dokuzda gelin: Fatma bekliyor."
WRITTEN = (CAPTION, FOLLOW_UP, ANSWER)
# Libraries that, by design, print whole updates, request parameters or statements when their
# logger is at DEBUG. In production (bot/__main__.py configure_logging) the root logger is at
# INFO, so these never log at DEBUG; the test keeps them at that level and everything else
# (the bot's own loggers included) at DEBUG.
PAYLOAD_DUMPERS = ("telegram", "aiosqlite", "asyncpg", "sqlalchemy", "hpack", "apscheduler")


@contextmanager
def logging_as_in_production() -> Iterator[None]:
    """configure_logging's levels for the libraries, restored afterwards."""
    names = ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins", *PAYLOAD_DUMPERS)
    saved = {name: logging.getLogger(name).level for name in names}
    configure_logging()  # pytest's handlers are on the root logger: only the levels change
    for name in PAYLOAD_DUMPERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.INFO))
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def person_columns() -> list[tuple[str, str]]:
    """(table, column) of every column that names a person by their row id."""
    found = [("people", "id")]
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "people" for fk in column.foreign_keys):
                found.append((table.name, column.name))
    return found


def what_names(row: dict[str, Any], table: str, person_id: int,
               words: tuple[str, ...]) -> list[str]:
    """Every way this row names the parent."""
    found = []
    by_id = {column for name, column in person_columns() if name == table}
    for column, value in row.items():
        if value is None:
            continue
        if column in by_id and value == person_id:
            found.append(f"{column} = person {person_id}")
        if isinstance(value, int) and value == PARENT_ID:
            found.append(f"{column} = telegram id")
        if isinstance(value, str):
            lowered = value.lower()
            found += [f"{column} holds {word!r}" for word in (*words, str(PARENT_ID))
                      if word.lower() in lowered]
            # A JSON payload may carry the text escaped (\u00fc...).
            if value[:1] in "{[":
                try:
                    decoded = json.dumps(json.loads(value), ensure_ascii=False).lower()
                except ValueError:
                    decoded = ""
                found += [f"{column} holds {word!r} (JSON)" for word in words
                          if word.lower() in decoded and word.lower() not in lowered]
    if table == "outbox":
        # Dedupe keys that name a person: broadcast:<id>:<person>..., reminder:<a>:<s>:<person>
        parts = str(row.get("dedupe_key", "")).split(":")
        slot = {"broadcast": 2, "reminder": 3}.get(parts[0])
        if slot is not None and len(parts) > slot and parts[slot] == str(person_id):
            found.append(f"dedupe_key {row['dedupe_key']!r} names person {person_id}")
    return found


async def test_forget_leaves_no_row_that_names_the_parent_and_the_logs_hold_no_text(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    with logging_as_in_production():
        caplog.set_level(logging.DEBUG)
        person_id = await a_parent_uses_everything_then_forgets(chat, fake, db, clock, bot)
        after = await rows_of_every_table(db)
    assert spy.errors == []

    # 1. No row names her: not by Telegram id, person id, name, username, nor her words.
    words = (NAME, USERNAME, CAPTION, FOLLOW_UP)
    naming = {f"{table}: {row}": found for table, rows in after.items() for row in rows
              if (found := what_names(row, table, person_id, words))}
    assert naming == {}

    # 2. The documented exception: the team's copies of her question are empty traces.
    traces = [row for row in after["outbox"] if str(row["group_key"] or "").startswith("q:")]
    assert traces, "the team's copies of the question should stay as traces"
    for row in traces:
        assert row["payload"] == "{}", row
        assert row["chat_id"] != PARENT_ID and row["status"] == "sent", row
    # The rest of the world is still there (the erasure was hers alone).
    assert after["activities"] and after["staff_profiles"] and len(after["people"]) == 2

    # 3. No log record holds what people wrote, nor the token.
    leaks = []
    for record in caplog.records:
        shown = [record.getMessage(), repr(record.args), str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            shown.append(repr(record.exc_info[1]))
        blob = "\n".join(shown)
        leaks += [f"{record.name}: {secret[:20]!r} in {record.getMessage()[:200]!r}"
                  for secret in (*WRITTEN, DEFAULT_TOKEN, DEFAULT_TOKEN.split(":", 1)[1])
                  if secret in blob]
    assert caplog.records, "the run should have logged something"
    assert leaks == []


async def a_parent_uses_everything_then_forgets(chat: Chat, fake: FakeTelegram, db: Database,
                                                clock: FixedClock, bot: Handled) -> int:
    """Onboarding, schools, /settings, /language, /stop and back, a photo question answered by
    a brugfiguur, an RSVP on a reminder, a broadcast with its Dutch original, /privacy; then
    /forget. Returns the person id she had."""
    assert bot.app is not None
    clock.moment = MONDAY_10
    greet = await coordinator_with_programme(chat)
    await import_csv(greet, BABBEL)
    fatma = await join_team(chat, greet, 7101, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")

    # Onboarding from the school's letter, in Turkish; a second school; her settings.
    gulizar = chat.person(PARENT_ID, NAME, username=USERNAME)
    await gulizar.says("/start s_wijdeland")
    await gulizar.taps("Türkçe")
    await gulizar.taps(data="privacy:ok")
    async with db.session() as session:
        klimop = await session.scalar(select(School.id).where(School.code == "klimop"))
        person_id = await session.scalar(select(Person.id).where(Person.telegram_id == PARENT_ID))
    assert person_id is not None
    await gulizar.says("/school")
    await gulizar.taps(data=f"school:+:{klimop}:set")
    await gulizar.says("/settings")
    await gulizar.taps(data="set:nl:on")
    await gulizar.taps(data="set:q")
    await gulizar.taps(data="set:q:23-06")
    await gulizar.says("/language")
    await gulizar.taps(data="lang:tr:set")
    await gulizar.says("/stop")
    await gulizar.says("/start")

    # A photo of a letter, then a follow-up; Fatma answers by replying to the photo.
    await gulizar.sends("photo", caption=CAPTION)
    await gulizar.picks_topic("letter")
    await gulizar.says(FOLLOW_UP)
    await wait_until(lambda: FOLLOW_UP in fake.texts(fatma.id), fake)
    photo = next(m for m in reversed(fake.transcript(fatma.id)) if "photo" in m)
    [sent] = await fatma.says(ANSWER, reply_to=photo)
    assert sent["text"].startswith("✅"), sent
    await wait_until(lambda: ANSWER in fake.texts(PARENT_ID), fake)

    # The reminder the day before the ouderbabbel; she is coming.
    clock.moment = local(22, 10).astimezone(UTC)
    await bot_round(bot)
    clock.moment = local(24, 18).astimezone(UTC)
    await bot_round(bot)
    await wait_until(lambda: len(reminders_in(fake, PARENT_ID)) == 1, fake)
    [reminder] = reminders_in(fake, PARENT_ID)
    await gulizar.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Rsvp)
                                    .where(Rsvp.person_id == person_id)) == 1

    # The weekly programme reaches her; she opens the Dutch original.
    await greet.says("/broadcast")
    async with db.session() as session:
        draft = await session.scalar(select(func.max(Broadcast.id)))
    await greet.taps(data=f"bc:{draft}:go")
    await greet.taps(data=f"bc:{draft}:yes")
    await wait_until(lambda: any(data.startswith(f"nl:b:{draft}:")
                                 for m in fake.transcript(PARENT_ID)
                                 for _label, data in FakeTelegram.inline_buttons(m)), fake)
    await gulizar.taps(f"🇧🇪 {LANGUAGE_NAMES['nl']}")
    await gulizar.says("/privacy")
    await settle(db, fake)

    # Before: she is all over the database.
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Question)
                                    .where(Question.parent_id == person_id)) == 1
        assert await session.scalar(select(func.count()).select_from(Reminder)
                                    .where(Reminder.person_id == person_id))
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.chat_id == PARENT_ID))
    await gulizar.says("/forget")
    [done] = await gulizar.taps(data="forget:yes")
    assert done["text"].startswith("Tamam.") or done["text"], done
    await settle(db, fake)
    # A late answer to her photo is refused, and nothing reaches her chat.
    before = len(fake.transcript(PARENT_ID))
    [late] = await fatma.says("Nog iets vergeten?", reply_to=photo)
    assert "gewist" in late["text"] or "verwijderd" in late["text"] or late["text"], late
    await settle(db, fake)
    assert len(fake.transcript(PARENT_ID)) == before
    return person_id


async def bot_round(bot: Handled) -> None:
    from bot.scheduler.reminders import run_round

    assert bot.app is not None
    await run_round(bot.app)


def test_the_checks_see_what_they_look_for() -> None:
    """what_names flags each way a row can name the parent (so an empty result means it)."""
    words = (NAME, CAPTION)
    assert what_names({"person_id": 5}, "rsvps", 5, words)
    assert what_names({"chat_id": PARENT_ID, "dedupe_key": "x"}, "outbox", 5, words)
    assert what_names({"dedupe_key": "broadcast:3:5"}, "outbox", 5, words)
    assert what_names({"dedupe_key": "reminder:1:1795:5:day"}, "outbox", 5, words)
    assert not what_names({"dedupe_key": "broadcast:5:6"}, "outbox", 5, words)
    assert what_names({"payload": json.dumps({"text": f"Merhaba {NAME}"})}, "outbox", 5, words)
    assert what_names({"first_name": "GÜLIZAR"}, "people", 5, words)
    assert what_names({"value": f"x{PARENT_ID}y"}, "settings", 5, words)
    assert not what_names({"id": 5, "school_id": 5}, "person_schools", 9, words)
    assert ("people", "id") in person_columns()
    assert ("questions", "assignee_id") in person_columns()


BRUGFIGUUR_ID = 8_765_432


async def test_a_brugfiguur_who_forgets_leaves_no_row_that_names_her(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Nurcan answered Ayşe and handed the question on to Mehmet; she holds Zehra's question,
    unanswered. After her /forget no row names her: not the copies of her answer (which
    name her chat), not "Nurcan has your question" to a parent, not who handed what on.
    Zehra's question is with the coordinator, without Nurcan's words; Mehmet still answers
    Ayşe by replying to his card."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    nurcan = await join_team(chat, greet, BRUGFIGUUR_ID, "Nurcan", {"nl", "tr"}, db,
                             contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 8702, "Mehmet", {"tr"}, db)
    ayse = await onboard(chat, 8801, "Ayşe", "tr", "wijdeland")
    zehra = await onboard(chat, 8802, "Zehra", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Toplantı ne zaman?")
    await wait_until(lambda: fake.texts(nurcan.id)[-1:] == ["Toplantı ne zaman?"], fake)
    await nurcan.says("Donderdag om 9 uur.", reply_to=fake.transcript(nurcan.id)[-1])
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Donderdag om 9 uur."], fake)
    await ayse.says("Peki ya cuma?")
    await wait_until(lambda: fake.texts(nurcan.id)[-1:] == ["Peki ya cuma?"], fake)
    [asked] = await question_rows(db)
    await nurcan.taps(data=f"qs:{asked.id}:hand")
    await nurcan.taps("Mehmet")
    await wait_until(lambda: fake.texts(mehmet.id)[-1:] == ["Peki ya cuma?"], fake)
    await zehra.says("/ask")
    await zehra.picks_topic("money")
    await zehra.says("Fatura çok yüksek.")
    await wait_until(lambda: fake.texts(nurcan.id)[-1:] == ["Fatura çok yüksek."], fake)
    async with db.session() as session:
        person_id = await session.scalar(
            select(Person.id).where(Person.telegram_id == BRUGFIGUUR_ID))
    assert person_id is not None

    await nurcan.says("/forget")
    await nurcan.taps(data="forget:yes")
    await wait_until(lambda: "Fatura çok yüksek." in fake.texts(COORDINATOR_ID), fake)
    await fake.wait_idle()
    after = await rows_of_every_table(db)
    naming = {}
    for table, rows in after.items():
        for row in rows:
            found = what_names(row, table, person_id,
                               ("Nurcan", "nurcan_private", str(BRUGFIGUUR_ID),
                                "Donderdag om 9 uur."))
            found += [f"{column} = her telegram id" for column, value in row.items()
                      if value == BRUGFIGUUR_ID]
            if found:
                naming[f"{table}: {row}"] = found
    assert naming == {}
    # Zehra's question waits with the coordinator; Ayşe's stays with Mehmet, who answers.
    zehras = next(q for q in await question_rows(db) if q.id != asked.id)
    assert zehras.status == "open" and zehras.assignee_id is None
    # Ayşe's lost its only answer: it waits again as unanswered (Mehmet is reminded by
    # escalation, rather than trusted to have seen an answer he can no longer see).
    ayses = next(q for q in await question_rows(db) if q.id == asked.id)
    assert ayses.first_answer_at is None and ayses.taken_at is None
    card = next(m for m in fake.transcript(mehmet.id)
                if m.get("text", "").startswith(f"❓ Vraag {asked.id}"))
    [sent] = await mehmet.says("Vrijdag ook.", reply_to=card)
    assert sent["text"] == "✅ Verstuurd naar Ayşe."
    await wait_until(lambda: fake.texts(ayse.id)[-1:] == ["Vrijdag ook."], fake)
    ayses = next(q for q in await question_rows(db) if q.id == asked.id)
    assert ayses.first_answer_at is not None
