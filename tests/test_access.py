"""Access, table-driven: every staff and coordinator command and button, tried by a parent, a
stranger (never pressed Start) and, for the coordinator's own, a brugfiguur. Each is refused
(the team-only answer, or "this button has expired"), nothing reaches any other chat, and not
one row of any table changes.

The buttons carry the ids of real rows (the coordinator's drafts, a parent's question, a
brugfiguur, an activity and its occurrence), so a refusal is the door's doing, not a miss.
``test_the_tables_cover_every_registered_command_and_button`` keeps the tables complete: a new
staff command or button pattern in ``bot/app.py`` fails it until it is added here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.app import build_application
from bot.config import Settings
from bot.handlers.commands import PARENT_COMMANDS
from bot.i18n import _, use_locale
from bot.scheduler.reminders import run_round
from storage.db import Database
from storage.models import (
    ActivityDraft,
    Base,
    Broadcast,
    OutboxMessage,
    Person,
    Question,
    Reminder,
    School,
)
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import EDIT_METHODS, MESSAGE_METHODS, FakeTelegram
from tests.helpers import Chat, Handled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
TEAM_ONLY = "Sorry, this is only for the Brede School team."
COORDINATOR_ONLY = "Sorry, this is only for the coordinator."
EXPIRED = "This button has expired."

# Commands every staff member or only the coordinator may use: (command, who may).
STAFF = "staff"
COORDINATOR = "coordinator"
STAFF_COMMANDS: list[tuple[str, str]] = [
    ("inbox", STAFF), ("rsvps", STAFF), ("languages", STAFF), ("availability", STAFF),
    ("programme", COORDINATOR), ("broadcast", COORDINATOR), ("broadcasts", COORDINATOR),
    ("announce", COORDINATOR), ("activities", COORDINATOR), ("activity", COORDINATOR),
    ("invite", COORDINATOR), ("queue", COORDINATOR), ("staff", COORDINATOR),
    ("reminders", COORDINATOR), ("poster", COORDINATOR), ("report", COORDINATOR),
]
# Commands anyone may send that are not in the parents' menu.
EVERYONE_COMMANDS = {"cancel"}
# Ways to write a command that Telegram delivers as the same command.
COMMAND_FORMS = ("/{c}", "/{c}@bredeschool_test_bot", "/{c} all 2026-11 ../../etc/passwd",
                 "/{C}")

# Every staff button, by pattern; {bc} {an} {ad}: the coordinator's drafts, {q}: a parent's
# question, {fatma}: a brugfiguur's person id, {greet}: the coordinator's, {act}/{start}: an
# activity and the unix start of its next occurrence, {school}: a school id.
STAFF_BUTTONS: list[tuple[str, str]] = [
    *[(f"bc:{{bc}}:{a}", COORDINATOR) for a in
      ("a", "s:{school}", "l:tr", "w:t", "w:n", "p", "go", "yes", "back", "x")],
    *[(f"an:{{an}}:{a}", COORDINATOR) for a in
      ("d:tr", "k:nl", "t:pa", "a", "s:{school}", "l:pa", "p", "go", "yes", "back", "x")],
    *[(f"ad:{a}", COORDINATOR) for a in
      ("new", "e:{act}", "p:0", "p:1", "{ad}:k:workshop", "{ad}:s:{school}", "{ad}:sa",
       "{ad}:sd", "{ad}:d:20261125", "{ad}:sk:place", "{ad}:rm:voice:tr", "{ad}:e:kind",
       "{ad}:save", "{ad}:x:summary")],
    ("act:list", COORDINATOR), ("act:list:1", COORDINATOR),
    *[(f"act:{{act}}:{{start}}{a}", COORDINATOR) for a in
      ("", ":co", ":ca", ":xo", ":xa", ":yo", ":ya", ":no", ":na", ":ro", ":uo", ":go", ":ko")],
    *[(f"qs:{{q}}:{a}", STAFF) for a in
      ("take", "hand", "pick", "close", "card", "show", "to:{fatma}", "to:{greet}")],
    ("qa:{q}:1", STAFF),
    *[(f"team:l:{{fatma}}{a}", STAFF) for a in ("", ":nl:on", ":tr:off", ":pa:on", ":ok")],
    *[(f"team:a:{{fatma}}{a}", STAFF) for a in
      ("", ":ok", ":0", ":0:9", ":0:10", ":4:g", ":4:r")],
    ("team:l:{greet}:pa:on", STAFF), ("team:a:{greet}:0:9", STAFF),
    *[(f"team:{a}", COORDINATOR) for a in
      ("s", "s:{fatma}", "m", "m:{school}", "m:{school}:{fatma}", "m:{school}:0")],
    *[(f"rm:{a}", COORDINATOR) for a in
      ("home", "k:workshop", "t:workshop:week:on", "t:ouderbabbel:2h:off", "q", "q:22-07")],
    ("rn:{act}:{past}", COORDINATOR), ("rn:{act}:{start}", COORDINATOR),
    ("tt:ask", COORDINATOR),
    ("po:all", COORDINATOR), ("po:s:{school}", COORDINATOR),
    ("rp:auto:on", COORDINATOR), ("rp:auto:off", COORDINATOR),
]

# Buttons of commands that may not be registered yet (issue 8 is being built).
NEWER_PREFIXES = ("po:", "rp:")
# What parents press (their own answers), and what no staff table needs to hold.
PARENT_BUTTON_PREFIXES = ("lang:", "school:", "privacy:", "forget:", "set:", "ask:", "rv:",
                          "nl:b:", "nl:a:")


def translated(locale: str | None, msgid: str) -> str:
    with use_locale(locale):
        return _(msgid)


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    async with db.session() as session:
        return {
            table.name: sorted((tuple(row) for row in (await session.execute(
                text(f"SELECT * FROM {table.name}"))).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


def changed_tables(before: dict[str, list[tuple[Any, ...]]],
                   after: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    return {name: {"gone": [r for r in before[name] if r not in after[name]],
                   "new": [r for r in after[name] if r not in before[name]]}
            for name in before if before[name] != after[name]}


class ErrorSpy:
    """Every error PTB hands to the error handlers (bot/handlers/fallback.on_error is one)."""

    def __init__(self, app: Application) -> None:
        self.errors: list[str] = []
        app.add_error_handler(self._note)

    async def _note(self, update: object, context: Any) -> None:
        error = context.error
        self.errors.append(f"{type(error).__name__}: {error} (update: {update!r:.300})")


@dataclass
class World:
    greet: Talker
    fatma: Talker
    ayse: Talker
    ids: dict[str, int]


async def team_world(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                     bot: Handled) -> World:
    """The coordinator with the example programme and a draft of each flow, a brugfiguur with
    a parent's open question, reminders planned; the outbox drained."""
    clock.moment = MONDAY_10
    greet = await coordinator_with_programme(chat)
    fatma = await join_team(chat, greet, 7101, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    ayse = await onboard(chat, 7201, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("school")
    await ayse.says("Merhaba, bir sorum var.")
    await wait_until(lambda: "Merhaba, bir sorum var." in fake.texts(fatma.id), fake)
    await greet.says("/broadcast")
    [activities] = await greet.says("/activities")
    await greet.says("/activity")
    await greet.taps(data="ad:new")
    await greet.says("/announce")  # last: it awaits the coordinator's next message
    assert bot.app is not None
    bot.app.bot_data["replan"] = True  # the job may have planned before Ayşe came
    await run_round(bot.app)

    occurrence = next(data for _label, data in FakeTelegram.inline_buttons(activities)
                      if re.fullmatch(r"act:\d+:\d+", data))
    _act, act_id, start = occurrence.split(":")
    async with db.session() as session:
        async def one(query: Any) -> int:
            value = await session.scalar(query)
            assert value is not None, query
            return int(value)

        ids = {
            "bc": await one(select(func.max(Broadcast.id)).where(Broadcast.kind == "programme")),
            "an": await one(select(func.max(Broadcast.id)).where(Broadcast.kind != "programme")),
            "ad": await one(select(func.max(ActivityDraft.id))),
            "q": await one(select(func.max(Question.id))),
            "fatma": await one(select(Person.id).where(Person.telegram_id == fatma.id)),
            "greet": await one(select(Person.id).where(Person.telegram_id == COORDINATOR_ID)),
            "school": await one(select(School.id).where(School.code == "wijdeland")),
            "act": int(act_id), "start": int(start),
            "past": int(start) - 14 * 86400,
        }
        assert await session.scalar(select(func.count()).select_from(Reminder))
    await settle(db, fake)
    return World(greet, fatma, ayse, ids)


async def settle(db: Database, fake: FakeTelegram) -> None:
    """Until the outbox has sent what is due and the bot is quiet: a still table to compare."""
    async def busy() -> bool:
        async with db.session() as session:
            return bool(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                             .where(OutboxMessage.status == "sending")))

    for _attempt in range(200):
        await fake.wait_idle(quiet=0.3)
        if not await busy():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


def forged_message(fake: FakeTelegram, user_id: int) -> dict[str, Any]:
    """A bot message in the person's chat that was never sent: what a forged press comes on."""
    return {"message_id": 9_999, "from": fake.bot_user, "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "X"},
            "text": "📤 Programma van volgende week."}


def registered(app: Application) -> tuple[set[str], list[re.Pattern[str]]]:
    """The commands and button patterns the application answers (the catch-alls aside)."""
    commands: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for handler in app.handlers[0]:
        if isinstance(handler, CommandHandler):
            commands |= set(handler.commands)
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            patterns.append(re.compile(handler.pattern))
    return commands, patterns


def staff_commands(app: Application) -> list[tuple[str, str]]:
    """The table, without a command not registered (yet): /poster and /report are new."""
    commands, _patterns = registered(app)
    return [(command, who) for command, who in STAFF_COMMANDS if command in commands]


def staff_buttons(app: Application, ids: dict[str, int]) -> list[tuple[str, str]]:
    _commands, patterns = registered(app)
    out = []
    for template, who in STAFF_BUTTONS:
        data = template.format(**ids)
        if any(p.match(data) for p in patterns):
            out.append((data, who))
    return out


async def tries_everything(person: Talker, world: World, fake: FakeTelegram, db: Database,
                           bot: Handled, *, only: str | None, press_on: dict[str, Any],
                           locale: str | None) -> list[str]:
    """Every command and button of the tables (``only``: the coordinator's alone); the list of
    what was not refused as it should be."""
    assert bot.app is not None
    refusals = {translated(locale, COORDINATOR_ONLY if only == COORDINATOR else TEAM_ONLY)}
    alerts_ok = refusals | {translated(locale, EXPIRED)}
    problems: list[str] = []
    before = await snapshot(db)
    commands = [(c, w) for c, w in staff_commands(bot.app) if only in (None, w)]
    buttons = [(d, w) for d, w in staff_buttons(bot.app, world.ids) if only in (None, w)]
    assert len(commands) >= (14 if only is None else 10) and len(buttons) >= 60, (commands,
                                                                                  buttons)

    for command, _who in commands:
        for form in COMMAND_FORMS:
            said = form.format(c=command, C=command.capitalize())
            mark = len(fake.calls)
            replies = await person.says(said)
            if [r.get("text") for r in replies] not in ([t] for t in refusals):
                problems.append(f"{said!r}: answered {[r.get('text') for r in replies]}")
            problems += elsewhere(fake, mark, person.id, said)

    for data, _who in buttons:
        mark = len(fake.calls)
        shown = fake.transcript(person.id)
        alerts = await person.presses(press_on, data)
        if len(alerts) != 1 or alerts[0] not in alerts_ok:
            problems.append(f"button {data!r}: alerts {alerts}")
        if fake.transcript(person.id) != shown:
            problems.append(f"button {data!r}: the chat changed")
        problems += elsewhere(fake, mark, person.id, data)

    after = await snapshot(db)
    if after != before:
        problems.append(f"rows changed: {changed_tables(before, after)}")
    return problems


def elsewhere(fake: FakeTelegram, mark: int, own_chat: int, what: str) -> list[str]:
    """Messages sent or edited by the bot since ``mark``, in a chat not the presser's, or any
    message at all for a button."""
    return [f"{what!r}: {call.method} to chat {call.chat_id}"
            for call in fake.calls[mark:]
            if call.method in MESSAGE_METHODS | EDIT_METHODS and call.chat_id != own_chat]


async def test_a_parent_is_refused_every_staff_command_and_button(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await team_world(chat, fake, db, clock, bot)
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    ayse = world.ayse
    # Her own question's card, her own chat's last message: the closest a parent comes.
    last = fake.last_message(ayse.id)
    assert last is not None
    with caplog.at_level(logging.ERROR):
        problems = await tries_everything(ayse, world, fake, db, bot, only=None,
                                          press_on=last, locale="tr")
    assert not problems, "\n".join(problems)
    assert spy.errors == []
    assert "update failed" not in caplog.text


async def test_a_stranger_is_refused_every_staff_command_and_button(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await team_world(chat, fake, db, clock, bot)
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    problems = []
    # One stranger whose Telegram speaks Punjabi, one with no language at all (Dutch).
    for user_id, locale in ((7301, "pa"), (7302, None)):
        mallory = chat.person(user_id, "Mallory", language_code=locale)
        with caplog.at_level(logging.ERROR):
            problems += await tries_everything(mallory, world, fake, db, bot, only=None,
                                               press_on=forged_message(fake, user_id),
                                               locale=locale)
    assert not problems, "\n".join(problems)
    assert spy.errors == []
    assert "update failed" not in caplog.text
    async with db.session() as session:  # still strangers: no row was made for them
        assert not await session.scalar(select(func.count()).select_from(Person)
                                        .where(Person.telegram_id.in_((7301, 7302))))


async def test_a_brugfiguur_is_refused_the_coordinators_commands_and_buttons(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await team_world(chat, fake, db, clock, bot)
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    fatma = world.fatma
    last = fake.last_message(fatma.id)
    assert last is not None
    with caplog.at_level(logging.ERROR):
        problems = await tries_everything(fatma, world, fake, db, bot, only=COORDINATOR,
                                          press_on=last, locale="nl")
    assert not problems, "\n".join(problems)
    assert spy.errors == []


async def test_a_brugfiguur_cannot_change_a_colleagues_or_the_coordinators_settings(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
) -> None:
    """Staff buttons name a person: only one's own, unless one is the coordinator."""
    world = await team_world(chat, fake, db, clock, bot)
    mehmet = await join_team(chat, world.greet, 7102, "Mehmet", {"tr"}, db)
    await settle(db, fake)
    before = await snapshot(db)
    last = fake.last_message(mehmet.id)
    assert last is not None
    expired = translated("nl", EXPIRED)
    for who in ("fatma", "greet"):
        target = world.ids[who]
        for data in (f"team:l:{target}:pa:on", f"team:l:{target}:ok", f"team:a:{target}:0:9",
                     f"team:a:{target}:4:g", f"team:a:{target}"):
            assert await mehmet.presses(last, data) == [expired], data
    # Nor the question Fatma holds.
    for action in ("take", "close", "hand", f"to:{world.ids['greet']}"):
        alerts = await mehmet.presses(last, f"qs:{world.ids['q']}:{action}")
        assert alerts and alerts[0] != "", action
    assert changed_tables(before, await snapshot(db)) == {}


async def test_forged_and_used_invite_links_make_nobody_staff(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
) -> None:
    world = await team_world(chat, fake, db, clock, bot)
    used = next(re.search(r"start=staff_([A-Za-z0-9_-]+)", t)
                for t in fake.texts(COORDINATOR_ID) if "start=staff_" in t)
    assert used is not None
    before = await snapshot(db)
    for payload in (f"staff_{used[1]}", "staff_" + "A" * 43, "staff_", "staff_../../x",
                    f"staff_{used[1]}x"):
        replies = await world.ayse.says(f"/start {payload}")
        assert replies, payload
    assert changed_tables(before, await snapshot(db)) == {}
    async with db.session() as session:
        assert await session.scalar(select(Person.role).where(
            Person.telegram_id == world.ayse.id)) == "parent"


async def test_the_tables_cover_every_registered_command_and_button(settings: Settings) -> None:
    """Every command of bot/app.py is a parent's or in STAFF_COMMANDS; every button pattern
    is a parent's or matched by a STAFF_BUTTONS entry; and /poster, /report when they exist."""
    app = build_application(settings)
    commands, patterns = registered(app)
    # /cancel is everyone's (a parent's empty ❓ too) without being in the parents' menu.
    parents = {name for name, _description in PARENT_COMMANDS} | EVERYONE_COMMANDS
    table = {name for name, _who in STAFF_COMMANDS}
    assert commands - parents - table == set(), "add these to STAFF_COMMANDS"
    assert {name for name, _who in staff_commands(app)} == commands - parents
    example_ids = dict.fromkeys(("bc", "an", "ad", "q", "fatma", "greet", "school", "act"), 7)
    example_ids |= {"start": 1_795_000_000, "past": 1_790_000_000}
    buttons = [template.format(**example_ids) for template, _who in STAFF_BUTTONS]
    for pattern in patterns:
        if any(pattern.pattern.startswith("^" + prefix) for prefix in PARENT_BUTTON_PREFIXES):
            continue
        assert any(pattern.match(data) for data in buttons), (
            f"no STAFF_BUTTONS entry for {pattern.pattern}")
    # Every entry matches a registered pattern (no typo that only tests the catch-all); the
    # buttons of /poster and /report count once those are registered.
    for data in buttons:
        assert any(pattern.match(data) for pattern in patterns) or data.startswith(
            NEWER_PREFIXES), data
