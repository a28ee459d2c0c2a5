"""Hostile input, property-based (Hypothesis): thousands of random updates against the real
Application and the fake Bot API server.

What is sent: text of any length (up to 5,000 characters) and script (RTL and bidi marks,
Gurmukhi, emoji sequences, control characters, HTML and format strings), commands with junk
arguments and other bots' names, the big keyboard's labels, photos, voice messages, stickers,
locations, contacts, polls, documents with wrong types and names (random bytes as .csv, .xlsx,
.ics), replies to the bot's messages, edited messages, channel posts, group and supergroup
chats, and button presses with random data, forged data (every real pattern with other ids,
and mutations of it: a trailing newline, a cut, a changed character) on real, stale and
inaccessible messages. Senders: parents (onboarded and halfway), a brugfiguur, strangers with
random names and languages, and, in a property of its own, the coordinator.

Properties, for every update:

* no unhandled exception: PTB's error handlers (bot/handlers/fallback.on_error) are never
  called, and Telegram never answers a request with an error (but "message is not modified",
  its answer to a double tap, which the door takes as done);
* the bot writes only to the chat the update came from (its own message and edits, chat
  menus): nothing to anyone else. The outbox sender is stopped and the jobs paused during the
  fuzz, so a message that would legitimately reach someone else (a question's card, a
  broadcast) stays a row;
* and after every example, an invariant over the database: the rows of the bystanders, a
  fixed set of parents and staff made before the fuzz, are exactly as they were. For the
  people's property (parents, the brugfiguur, strangers) that is every row not about one of
  the senders, in every table; the coordinator may change shared data (activities, the team,
  questions), so their property checks the bystanders' own rows: people, schools chosen,
  RSVPs.

The world goes on from example to example (one Application and database per property): what
a batch did, the next one meets. A sender a batch erased (/forget) or left halfway through
onboarding is brought back before the next batch. What the fuzz found is kept at the end of
the file as plain examples.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, func, select, text
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.config import Settings
from bot.handlers.keyboards import MAIN_ACTIONS
from bot.i18n import SUPPORTED_LOCALES, use_locale
from bot.scheduler.reminders import run_round
from storage.db import Database
from storage.models import Base, Person, Question, Reminder, Rsvp, School
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import (
    DEFAULT_TOKEN,
    EDIT_METHODS,
    MESSAGE_METHODS,
    FakeTelegram,
    FakeUser,
)
from tests.helpers import Chat, Handled
from tests.helpers import Person as Talker
from tests.test_access import STAFF_BUTTONS, ErrorSpy, settle
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import BABBEL, import_csv

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
BOT_NAME = "bredeschool_test_bot"
# Calls that write in a chat, and where they write.
WRITES = MESSAGE_METHODS | EDIT_METHODS | {"deleteMessage", "deleteMessages", "sendChatAction",
                                           "setMyCommands", "deleteMyCommands",
                                           "setChatMenuButton"}
# How many examples per property; each is a batch of updates (see ``batches``). FUZZ_SCALE
# multiplies them for a longer hunt.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
PEOPLE_EXAMPLES = max(1, round(220 * SCALE))
COORDINATOR_EXAMPLES = max(1, round(90 * SCALE))
# The same examples on every run, so CI tells about the change, not about its luck; set
# FUZZ_RANDOM=1 to draw new ones (and keep what they find as a plain example at the end).
FUZZ = settings(
    deadline=None, database=None, print_blob=True,
    derandomize=os.environ.get("FUZZ_RANDOM", "") not in ("1", "yes", "true"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# --------------------------------------------------------------------------------------------
# What is sent

FRAGMENTS = [
    # scripts and directions
    "Merhaba", "çocuğum okulda", "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ", "ਮੇਰਾ ਬੱਚਾ ਸਕੂਲ ਜਾਂਦਾ ਹੈ", "ੴ", "ਂ", "੍",
    "مرحبا بالعالم", "שלום", "\u200f", "\u200e", "\u202e", "\u202b", "\u2066", "\u2069",
    "\u061c", "Ünïcödé", "Z̴̡̛a̸l̷g̵o̶", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "中文", "日本語", "한국어", "Ελληνικά",
    # emoji, with skin tones, joiners and flags
    "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇧🇪", "🇹🇷", "❓", "📅", "🏫", "🌐", "ℹ️", "✅", "\ufe0f",
    "\u200d",
    # control and invisible characters
    "\x00", "\x01", "\x07", "\x08", "\t", "\n", "\r", "\r\n", "\x1b[31m", "\x7f", "\u0085",
    "\u2028", "\u2029", "\ufeff", "\u200b", "\ufffd", "\uffff",
    # markup and format strings
    "<b>", "</b>", "<i>x</i>", "<a href='javascript:x'>", "</a>", "&amp;", "&", "&#0;", "<",
    ">", "<tg-spoiler>", "<pre>", "*", "_", "`", "[x](tg://user?id=1)", "{name}", "{0}",
    "{count}", "%s", "%(name)s", "%d", "\\", "'", '"', "; DROP TABLE people; --",
    "../../etc/passwd", "${jndi:x}", "null", "None", "NaN", "-1", "0", "1e308",
    # the bot's own words and buttons
    "/start", "/forget", "forget:yes", "bc:1:yes", "staff_", "s_klimop", "@bredeschool_test_bot",
    " ", "  ", "",
]
any_text = st.text(min_size=1, max_size=80)
script_text = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=30).map("".join)
long_text = st.tuples(st.one_of(any_text, script_text), st.integers(300, 5000)).map(
    lambda t: (t[0] * (t[1] // max(len(t[0]), 1) + 1))[: t[1]])
texts = st.one_of(any_text, any_text, script_text, script_text, long_text).map(
    lambda t: t if t.strip() else t + "?")

COMMANDS = ["start", "ask", "week", "language", "school", "settings", "help", "privacy", "stop",
            "forget", "inbox", "rsvps", "languages", "availability", "queue", "invite",
            "reminders", "programme", "broadcast", "broadcasts", "announce", "activities",
            "activity", "staff", "poster", "report", "admin", "sudo", "x"]
ARGS = st.one_of(
    st.just(""), texts,
    st.sampled_from(["s_klimop", "s_nergens", "s_", "staff_", "staff_AAAAAAAAAAAAAAAAAAAAAA",
                     "s_" + "k" * 70, "2026-13", "2026-11", "0", "-1", "all", "x y z"]),
)
commands = st.tuples(st.sampled_from(COMMANDS), st.sampled_from(["", "", f"@{BOT_NAME}",
                                                                 "@other_bot", "@"]), ARGS
                     ).map(lambda t: f"/{t[0]}{t[1]}" + (f" {t[2]}" if t[2] else ""))


def _keyboard_labels() -> list[str]:
    labels = []
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            labels += [action.caption() for action in MAIN_ACTIONS]
    return labels


keys = st.sampled_from(_keyboard_labels()).flatmap(
    lambda label: st.sampled_from([label, label + " x", " " + label, label.split(" ")[0]]))

CSV_HEADER = ("id;kind;schools;date;start;end;repeat;place;address;lat;lon;title_nl;"
              "description_nl;title_tr;description_tr;title_pa;description_pa;cancelled_dates")
CELLS = st.one_of(texts.map(lambda t: t[:40]), st.sampled_from(
    ["workshop", "ouderbabbel", "alle", "klimop", "2026-11-25", "31/02/2026", "14:00", "25:00",
     "FREQ=WEEKLY;BYDAY=WE", "FREQ=SECONDLY", "FREQ=DAILY;COUNT=100000", "50.8", "nan", "inf",
     "999999999", "", '"', '";"', "\n"]))
csv_files = st.lists(st.lists(CELLS, min_size=0, max_size=20).map(";".join), max_size=8).map(
    lambda rows: "\n".join([CSV_HEADER, *rows]).encode("utf-8", "surrogatepass"))
documents = st.tuples(
    st.one_of(st.sampled_from(["programme.csv", "p.xlsx", "p.ics", "brief.pdf", "x.exe",
                               "noext", ".csv", "programme.CSV", "a" * 200 + ".csv",
                               "ﺏﺭﻧﺎﻣﺞ.csv", "ਪ੍ਰੋਗਰਾਮ.xlsx", "x.ics.pdf"]),
              st.text(st.characters(blacklist_characters="/\\\x00"), min_size=1, max_size=30)
              .map(lambda n: n + ".csv")),
    st.sampled_from(["text/csv", "application/pdf", "image/png", "text/calendar",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "application/octet-stream", "application/x-msdownload", ""]),
    st.one_of(st.binary(max_size=3000), csv_files, st.just(b""),
              st.just(b"PK\x03\x04" + bytes(200)), st.just(b"BEGIN:VCALENDAR\nEND")),
)

# Callback data: every real pattern, with real ids of the world and other numbers.
PARENT_BUTTONS = [
    "lang:nl", "lang:tr", "lang:pa", "lang:en", "school:t:{a}", "school:+:{a}", "school:-:{a}",
    "school:done", "privacy:ok", "lang:tr:set", "school:+:{a}:set", "school:-:{a}:set",
    "school:done:set",
    "forget:yes", "forget:no", "set:nl:on", "set:nl:off", "set:q", "set:q:def", "set:q:23-06",
    "set:q:99-99", "set:q:00-00", "ask:school", "ask:letter", "ask:other", "ask:nothing",
    "rv:{a}:yes", "rv:{a}:maybe", "rv:{a}:no", "rv:{a}:c3", "rv:{a}:c4", "rv:{a}:ics",
    "rv:{a}:nl", "nl:b:{a}", "nl:a:{a}",
]
STAFF_TEMPLATES = sorted({
    template.format(bc="{a}", an="{a}", ad="{a}", q="{a}", fatma="{b}", greet="{b}",
                    school="{b}", act="{a}", start="{t}", past="{t}")
    for template, _who in STAFF_BUTTONS})
TEMPLATES = PARENT_BUTTONS + STAFF_TEMPLATES


def mutate(data: str, where: int, how: str, char: str) -> str:
    at = where % (len(data) + 1)
    if how == "insert":
        return data[:at] + char + data[at:]
    if how == "delete":
        return data[:at] + data[at + 1:]
    if how == "replace":
        return data[:at] + char + data[at + 1:]
    if how == "cut":
        return data[:at]
    if how == "newline":
        return data + "\n"
    return data + char


@dataclass
class Ids:
    """Real ids of the world, for forged buttons; filled once the world exists."""

    small: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    starts: list[int] = field(default_factory=lambda: [0])


IDS = Ids()
ids = st.one_of(st.integers(0, 40), st.integers(0, 10**12),
                st.sampled_from([0, 10**9 - 1, 10**9, 2**31 - 1, 2**31, 2**32, 10**12 - 1]),
                st.integers(0, 1000).map(lambda i: IDS.small[i % len(IDS.small)]))
starts = st.one_of(st.integers(0, 10**11), st.integers(0, 1000).map(
    lambda i: IDS.starts[i % len(IDS.starts)]))
real_data = st.builds(lambda tpl, a, b, t: tpl.format(a=a, b=b, t=t),
                      st.sampled_from(TEMPLATES), ids, ids, starts)
callback_data = st.one_of(
    real_data, real_data, real_data,
    st.builds(mutate, real_data, st.integers(0, 64),
              st.sampled_from(["insert", "delete", "replace", "cut", "newline", "append"]),
              st.characters()),
    st.text(max_size=64),
    st.binary(min_size=1, max_size=64).map(lambda b: b.decode("latin-1")),
)

# --------------------------------------------------------------------------------------------
# Actions: what one update does; picks (message to reply to, to press) are resolved at run time


@dataclass(frozen=True)
class Sender:
    key: str  # "p1", "p2", "p3", "b", "coordinator", or "stranger"
    stranger: FakeUser | None = None


@dataclass(frozen=True)
class Action:
    kind: str
    sender: Sender
    text: str = ""
    pick: int | None = None  # a message of the chat: a reply's, a press's, an edit's
    data: str = ""
    extra: Any = None


strangers = st.builds(
    lambda uid, name, lang, username: Sender("stranger", FakeUser(uid, name, lang, username)),
    st.integers(7700, 7760),
    st.one_of(st.text(min_size=1, max_size=64), st.sampled_from(
        ["<b>Ali</b>", "Ali & Veli", "{name}", "%s", "ਹਰਪ੍ਰੀਤ", "\u202eilA", "👨‍👩‍👧", "x" * 64])),
    st.sampled_from([None, "nl", "tr", "pa", "en", "tr-TR", "pa-IN", "xx", "", "NL"]),
    st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9_]{4,20}", fullmatch=True)),
)
# Mostly the people with a role in the world; a stranger (a new id each time) one in four.
known = st.sampled_from([Sender("p1"), Sender("p2"), Sender("p3"), Sender("b"), Sender("b")])
people_senders = st.one_of(known, known, known, strangers)
picks = st.one_of(st.none(), st.integers(0, 10_000))


def actions(senders: st.SearchStrategy[Sender]) -> st.SearchStrategy[Action]:
    def of(kind: str, **parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Action]:
        return st.builds(Action, st.just(kind), senders, **parts)

    return st.one_of(
        of("text", text=texts, pick=picks),
        of("text", text=commands),
        of("text", text=keys),
        of("photo", text=st.one_of(st.just(""), texts), pick=picks),
        of("voice", pick=picks, extra=st.integers(0, 5)),
        of("document", extra=documents, text=st.one_of(st.just(""), texts)),
        of("sticker", text=st.sampled_from(["👍", "", "🏳️‍🌈", "x"])),
        of("location", extra=st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
        of("contact", text=st.sampled_from(["+32471000000", "", "+0", "x" * 30])),
        of("poll", text=texts.map(lambda t: t[:300])),
        of("press", data=callback_data, pick=picks, extra=st.sampled_from(
            ["shown", "shown", "shown", "inaccessible", "group"])),
        of("press", data=callback_data, pick=picks),
        of("press", data=callback_data, pick=picks),
        # A real button of the chat (old ones too): the flows themselves, double taps.
        of("tap", pick=picks, extra=st.integers(0, 100)),
        of("tap", pick=picks, extra=st.integers(0, 100)),
        of("tap", pick=picks, extra=st.integers(0, 100)),
        of("edit", text=st.one_of(texts, commands), pick=picks),
        of("channel", text=st.one_of(texts, commands)),
        of("group", text=st.one_of(texts, commands, keys),
           extra=st.tuples(st.integers(-1_009_999_999_999, -1), st.sampled_from(
               ["group", "supergroup"]))),
    )


def batches(senders: st.SearchStrategy[Sender]) -> st.SearchStrategy[list[Action]]:
    return st.lists(actions(senders), min_size=4, max_size=16)


# --------------------------------------------------------------------------------------------
# The world, and sending


@dataclass
class Fuzz:
    fake: FakeTelegram
    db: Database
    app: Application
    handled: Handled
    spy: ErrorSpy
    senders: dict[str, Talker]
    fuzzers: frozenset[int]  # telegram ids of the people's senders (strangers aside)
    baseline: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    notes: list[tuple[int, int]] = field(default_factory=list)  # (update id, len(calls))
    direct_ids: Any = field(default_factory=lambda: itertools.count(900_000_000))
    groups: set[int] = field(default_factory=set)  # group chats written in
    for_coordinator: bool = False  # whose property: the coordinator's, or the people's
    updates: int = 0
    examples: int = 0
    started: float = field(default_factory=time.monotonic)

    async def _note(self, update: Update, _context: Any) -> None:
        self.notes.append((update.update_id, len(self.fake.calls)))


@pytest.fixture(name="settings")
def one_update_at_a_time(fake: FakeTelegram, db: Database) -> Settings:
    """The calls of an update are told apart by the order of the updates' ends, so the bot
    handles one update at a time here (tests/test_update_order.py tests the side by side)."""
    return Settings(token=DEFAULT_TOKEN, database_url=db.url, api_base_url=fake.base_url,
                    api_file_url=fake.file_url, coordinator_ids=frozenset({COORDINATOR_ID}),
                    update_concurrency=1)


@pytest.fixture
async def world(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                bot: Handled) -> AsyncIterator[Fuzz]:
    """Bystanders with something of everything, the people who will fuzz, then: the outbox
    sender stopped and the jobs paused, so every message sent is a handler's answer."""
    app = bot.app
    assert app is not None
    clock.moment = MONDAY_10
    greet = await coordinator_with_programme(chat)
    await import_csv(greet, BABBEL)
    fatma = await join_team(chat, greet, 7101, "Fatma", {"nl", "tr"}, db,
                            contact_of="wijdeland")
    baljit = await join_team(chat, greet, 7601, "Baljit", {"nl", "pa"}, db)
    ayse = await onboard(chat, 7201, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 7202, "Harpreet", "pa", "kabouterland")
    els = await onboard(chat, 7203, "Els", "nl", "vlindertje")
    p1 = await onboard(chat, 7501, "Jan", "nl", "klimop")
    p2 = await onboard(chat, 7502, "Gurpreet", "pa", "kabouterland")
    p3 = chat.person(7503, "Noor", language_code="nl")
    await p3.says("/start s_klimop")
    await p3.taps(data="lang:nl")  # halfway: the privacy notice is still open

    # Ayşe's question is Fatma's (she took it); Jan's goes to Baljit, whose chat then holds a
    # card and copies to reply to.
    await ayse.says("Merhaba, bir sorum var.")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Merhaba, bir sorum var." in fake.texts(fatma.id), fake)
    async with db.session() as session:
        ayse_question = await session.scalar(select(func.max(Question.id)))
    await fatma.taps(data=f"qs:{ayse_question}:take")
    await p1.says("Is er opvang op woensdag?")
    await p1.picks_topic("childcare")
    await wait_until(lambda: "Is er opvang op woensdag?" in fake.texts(baljit.id), fake)
    app.bot_data["replan"] = True  # the job may have planned before these parents came
    await run_round(app)
    async with db.session() as session:
        reminder = await session.scalar(select(Reminder.id).join(
            Person, Person.id == Reminder.person_id).where(Person.telegram_id == ayse.id))
    assert reminder is not None
    await ayse.presses(fake.transcript(ayse.id)[-1], f"rv:{reminder}:yes")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Rsvp))
    await els.says("/settings")
    await els.taps(data="set:q")
    await els.taps(data="set:q:23-06")
    await harpreet.says("/stop")
    await greet.says("/broadcast")
    await settle(db, fake)

    # From here on, nothing is sent but handlers' answers.
    sender = app.bot_data.pop("outbox")
    await sender.stop()
    assert app.job_queue is not None
    app.job_queue.scheduler.pause()

    async with db.session() as session:
        IDS.small = sorted({0, 1, *[int(v) for table in Base.metadata.sorted_tables
                                    if "id" in table.columns
                                    for v in (await session.scalars(select(table.c.id)))]})
        IDS.starts = sorted({int(r.occurrence_start.timestamp())
                             for r in await session.scalars(select(Reminder))})
    fuzz = Fuzz(fake, db, app, bot, ErrorSpy(app),
                senders={"p1": p1, "p2": p2, "p3": p3, "b": baljit, "coordinator": greet},
                fuzzers=frozenset({p1.id, p2.id, p3.id, baljit.id}))
    app.add_handler(TypeHandler(Update, fuzz._note), group=98)
    yield fuzz
    print(f"\n{fuzz.examples} examples, {fuzz.updates} updates in "
          f"{time.monotonic() - fuzz.started:.1f} s")


def user_of(fuzz: Fuzz, sender: Sender) -> FakeUser:
    if sender.stranger is not None:
        # A Telegram user may change their name and language between two messages.
        return fuzz.fake.user(sender.stranger.id, sender.stranger.first_name,
                              sender.stranger.language_code, sender.stranger.username)
    return fuzz.senders[sender.key].user


def picked(messages: list[dict[str, Any]], pick: int | None) -> dict[str, Any] | None:
    if pick is None or not messages:
        return None
    return messages[pick % len(messages)]


@dataclass
class Sent:
    update_id: int
    chat_id: int | None  # where answers may go; None: nowhere (ignored updates)
    what: str


async def send(fuzz: Fuzz, action: Action) -> Sent | None:
    """Queue the update of an action; None when it cannot be made (nothing to edit yet)."""
    fake, user = fuzz.fake, user_of(fuzz, action.sender)
    mine = user.id
    what = f"{action.sender.key}:{user.id} {action.kind} {action.text[:60]!r} {action.data!r}"

    def bot_messages(chat_id: int) -> list[dict[str, Any]]:
        return fake.transcript(chat_id)

    def reply_id() -> int | None:
        message = picked(bot_messages(mine), action.pick)
        return message["message_id"] if message else None

    queued: dict[str, Any]
    if action.kind == "text":
        queued = fake.send_text(user, action.text, reply_to_message_id=reply_id())
    elif action.kind == "photo":
        queued = fake.send_photo(user, action.text or None, reply_to_message_id=reply_id())
    elif action.kind == "voice":
        queued = fake.send_voice(user, action.extra, reply_to_message_id=reply_id())
    elif action.kind == "document":
        name, mime, content = action.extra
        queued = fake.send_document(user, name, mime, caption=action.text or None,
                                    content=content)
    elif action.kind == "sticker":
        queued = fake.send_sticker(user, action.text)
    elif action.kind == "location":
        queued = fake.send_location(user, *action.extra)
    elif action.kind == "contact":
        queued = fake.send_contact(user, action.text)
    elif action.kind == "poll":
        queued = fake.send_poll(user, action.text or "?")
    elif action.kind == "group":
        group_id, group_type = action.extra
        fuzz.groups.add(group_id)
        queued = fake.send_group_text(user, group_id, action.text, group_type)
        return Sent(queued["update_id"], group_id, what)
    elif action.kind == "press":
        return press(fuzz, action, user, what)
    elif action.kind == "tap":
        with_buttons = [m for m in bot_messages(mine)
                        if any(data for _label, data in fake.inline_buttons(m))]
        message = picked(with_buttons, action.pick if action.pick is not None else -1)
        if message is None:
            return None
        buttons = [data for _label, data in fake.inline_buttons(message) if data]
        data = buttons[action.extra % len(buttons)]
        queued = fake.press(user, message, data)
        return Sent(queued["update_id"], mine, f"{what} tap {data!r}")
    elif action.kind == "edit":
        own = [m for m in fake.history(mine) if m.get("from", {}).get("id") == mine]
        message = picked(own, action.pick if action.pick is not None else 0)
        if message is None:
            return None
        edited = {**message, "text": action.text, "edit_date": int(time.time())}
        for key in ("photo", "voice", "document", "sticker", "caption", "entities"):
            edited.pop(key, None)
        # An edit of something passed on is answered in the editor's own chat, nowhere else.
        return await direct(fuzz, {"edited_message": edited}, mine, what)
    elif action.kind == "channel":
        channel = {"id": -1_000_777_000_001, "type": "channel", "title": "Nieuws"}
        post = {"message_id": 1 + fuzz.updates, "sender_chat": channel, "chat": channel,
                "date": int(time.time()), "text": action.text}
        return await direct(fuzz, {"channel_post": post}, None, what)
    else:
        raise AssertionError(action.kind)
    return Sent(queued["update_id"], mine, what)


def press(fuzz: Fuzz, action: Action, user: FakeUser, what: str) -> Sent | None:
    fake = fuzz.fake
    how = action.extra or "shown"
    if how == "group":  # a button on the bot's answer in a group (it never sends one there)
        groups = sorted(c for c in fuzz.groups if fake.transcript(c))
        chat_id = groups[(action.pick or 0) % len(groups)] if groups else user.id
    else:
        chat_id = user.id
    shown = fake.transcript(chat_id)
    message = picked(shown, action.pick if action.pick is not None else len(shown) - 1)
    if message is None:  # nothing from the bot in this chat yet: nothing to press on
        return None
    if how == "inaccessible":  # Telegram's form for a message the bot can no longer see
        message = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
    query_id = f"{4_300_000_000 + len(fake.calls)}{fuzz.updates}"
    queued = fake.queue_update({"callback_query": {
        "id": query_id, "from": user.to_dict(), "chat_instance": str(chat_id),
        "message": message, "data": action.data}})
    return Sent(queued["update_id"], chat_id, what)


async def direct(fuzz: Fuzz, raw: dict[str, Any], chat_id: int | None, what: str) -> Sent:
    """Edits, and updates Telegram sends only to bots that ask for them (channel posts):
    straight onto the application's queue, as a webhook could hand them over."""
    raw = {**raw, "update_id": next(fuzz.direct_ids)}
    await fuzz.app.update_queue.put(Update.de_json(raw, fuzz.app.bot))
    return Sent(raw["update_id"], chat_id, what)


async def run_batch(fuzz: Fuzz, batch: list[Action]) -> list[str]:
    """Send the batch, wait for every update, and return what went wrong for each."""
    problems: list[str] = []
    fuzz.examples += 1
    start_calls = len(fuzz.fake.calls)
    fuzz.notes.clear()
    sent = [s for action in batch if (s := await send(fuzz, action)) is not None]
    for s in sent:
        try:
            await fuzz.handled.wait(s.update_id, seconds=30)
        except TimeoutError:
            problems.append(f"never handled: {s.what}")
    fuzz.updates += len(sent)
    # The calls each update made: between the note of the one before and its own note.
    previous_end = start_calls
    by_update = {}
    for update_id, end in sorted(fuzz.notes, key=lambda note: note[1]):
        by_update[update_id] = (previous_end, end)
        previous_end = end
    for s in sent:
        if s.update_id not in by_update:
            continue
        begin, end = by_update[s.update_id]
        for call in fuzz.fake.calls[begin:end]:
            if call.method == "getUpdates":
                continue
            target = target_chat(call)
            if call.method in WRITES and (s.chat_id is None or target != s.chat_id):
                problems.append(f"{call.method} to chat {target} after {s.what}")
            if not call.ok and "not modified" not in (call.description or ""):
                # (Telegram's answer to a redraw of what a message already shows: a double
                # tap; the door takes it as done.)
                problems.append(f"{call.method} failed ({call.error_code} "
                                f"{call.description}) after {s.what}")
    if fuzz.spy.errors:
        problems += [f"unhandled: {e}" for e in fuzz.spy.errors]
        fuzz.spy.errors.clear()
    return problems


def target_chat(call: Any) -> Any:
    scope = call.params.get("scope")
    if isinstance(scope, dict) and "chat_id" in scope:
        return scope["chat_id"]
    return call.params.get("chat_id")


# --------------------------------------------------------------------------------------------
# The invariant


def person_columns() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"people": {"id"}}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "people" for fk in column.foreign_keys):
                found.setdefault(table.name, set()).add(column.name)
    return found


async def rows(db: Database, tables: list[str] | None = None,
               upto: dict[str, int] | None = None) -> dict[str, dict[Any, dict[str, Any]]]:
    """Rows by primary key, of every table (or ``tables``); ``upto``: only keys up to it."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            keys = [c.name for c in table.primary_key.columns]
            query = f"SELECT * FROM {table.name}"
            numbered = len(keys) == 1 and isinstance(table.c[keys[0]].type, Integer)
            if upto is not None and numbered and table.name in upto:
                query += f" WHERE {keys[0]} <= {int(upto[table.name])}"
            result = await session.execute(text(query))
            out[table.name] = {tuple(r[k] for k in keys): dict(r) for r in result.mappings()}
    return out


async def protect(fuzz: Fuzz, *, coordinator: bool) -> None:
    """The baseline: every row no sender has a part in (the people's property), or the
    bystanders' own rows (the coordinator's)."""
    async with fuzz.db.session() as session:
        fuzzer_ids = set(await session.scalars(select(Person.id).where(
            Person.telegram_id.in_(fuzz.fuzzers | {COORDINATOR_ID} if coordinator
                                   else fuzz.fuzzers))))
    telegram_ids = fuzz.fuzzers | ({COORDINATOR_ID} if coordinator else set())
    by_person = person_columns()
    narrow = ["people", "person_schools", "rsvps"]
    everything = await rows(fuzz.db, narrow if coordinator else None)
    baseline: dict[str, dict[Any, dict[str, Any]]] = {}
    for table, table_rows in everything.items():
        if table == "monthly_counts":  # counts without ids: anyone's /forget adds one
            continue
        kept = {}
        for key, row in table_rows.items():
            involved = any(row.get(c) in fuzzer_ids for c in by_person.get(table, ())) or any(
                isinstance(v, int) and v in telegram_ids for v in row.values())
            if not involved:
                kept[key] = row
        baseline[table] = kept
    fuzz.baseline = baseline
    fuzz.for_coordinator = coordinator


async def invariant(fuzz: Fuzz) -> list[str]:
    upto = {table: max((k[0] for k in kept if isinstance(k[0], int)), default=0)
            for table, kept in fuzz.baseline.items()}
    now = await rows(fuzz.db, list(fuzz.baseline), upto)
    problems = []
    for table, kept in fuzz.baseline.items():
        for key, row in kept.items():
            current = now[table].get(key)
            if current != row:
                problems.append(f"{table} {key}: {row} -> {current}")
    return problems


# --------------------------------------------------------------------------------------------
# The properties


SCHOOL_OF = {"p1": ("klimop", "nl"), "p2": ("kabouterland", "pa"), "b": ("klimop", "nl"),
             "coordinator": ("klimop", "nl")}


async def restore(fuzz: Fuzz, keys: tuple[str, ...]) -> None:
    """Bring back the senders whose last batch erased them (/forget) or left them halfway
    through onboarding, so that every batch also speaks as an onboarded parent, a brugfiguur
    (or the coordinator): the state goes on from batch to batch, and so would their loss."""
    for key in keys:
        talker = fuzz.senders[key]
        school, language = SCHOOL_OF[key]
        for _attempt in range(6):
            async with fuzz.db.session() as session:
                row = (await session.execute(select(Person.role, Person.step, School.id).join(
                    School, School.code == school).where(
                    Person.telegram_id == talker.id))).first()
            if row is None:
                await talker.says(f"/start s_{school}")
                continue
            role, step, school_id = row
            if key == "b" and role != "brugfiguur":
                await rejoin(fuzz, talker)
                continue
            if step is None:
                break
            await talker.says("/start")
            if step == "language":
                await talker.taps(data=f"lang:{language}")
            elif step == "school":
                await talker.taps(data=f"school:t:{school_id}")
                await talker.taps(data="school:done")
            else:
                await talker.taps(data="privacy:ok")
        else:
            raise AssertionError(f"could not bring {key} back")


async def rejoin(fuzz: Fuzz, talker: Talker) -> None:
    [invitation] = await fuzz.senders["coordinator"].says("/invite")
    token = invitation["text"].rsplit("start=staff_", 1)[1].split()[0]
    await talker.says(f"/start staff_{token}")


async def check(fuzz: Fuzz, batch: list[Action]) -> None:
    await restore(fuzz, ("coordinator",) if fuzz.for_coordinator else ("p1", "p2", "b"))
    problems = await run_batch(fuzz, batch)
    problems += await invariant(fuzz)
    assert not problems, "\n".join(problems)


@pytest.fixture
async def people_world(world: Fuzz) -> Fuzz:
    await protect(world, coordinator=False)
    return world


@pytest.fixture
async def coordinator_world(world: Fuzz) -> Fuzz:
    await protect(world, coordinator=True)
    return world


@settings(FUZZ, max_examples=PEOPLE_EXAMPLES)
@given(batch=batches(people_senders))
async def test_parents_staff_and_strangers_cannot_break_the_bot_or_touch_others(
    people_world: Fuzz, batch: list[Action]
) -> None:
    await check(people_world, batch)


@settings(FUZZ, max_examples=COORDINATOR_EXAMPLES)
@given(batch=batches(st.just(Sender("coordinator"))))
async def test_the_coordinator_cannot_break_the_bot_or_touch_the_parents_own_rows(
    coordinator_world: Fuzz, batch: list[Action]
) -> None:
    await check(coordinator_world, batch)


async def test_the_fuzz_reaches_the_bot_and_sees_what_it_looks_for(people_world: Fuzz) -> None:
    """The machinery itself: an update of each kind is handled and its answers attributed to
    it; a message to someone else and a changed bystander row would be caught."""
    fuzz = people_world
    p1 = Sender("p1")
    problems = await run_batch(fuzz, [
        Action("text", p1, text="/week"), Action("press", p1, data="zz", pick=0),
        Action("edit", p1, text="/forget", pick=0), Action("channel", p1, text="/start"),
        Action("group", p1, text="/start", extra=(-100_200, "group")),
        Action("document", p1, extra=("p.csv", "text/csv", b"x"))])
    assert problems == []
    assert len(fuzz.notes) == 6
    assert await invariant(fuzz) == []

    # A handler that writes to someone else is caught...
    async def meddle(update: Update, context: Any) -> None:
        if update.effective_user and update.effective_user.id == fuzz.senders["p1"].id:
            await context.bot.send_message(7201, "psst")

    fuzz.app.add_handler(TypeHandler(Update, meddle), group=97)
    try:
        problems = await run_batch(fuzz, [Action("text", p1, text="/help")])
    finally:
        fuzz.app.remove_handler(fuzz.app.handlers[97][0], group=97)
    assert problems and "sendMessage to chat 7201" in problems[0]
    # ... and so is a changed row of a bystander.
    async with fuzz.db.session() as session:
        ayse = await session.scalar(select(Person).where(Person.telegram_id == 7201))
        assert ayse is not None
        ayse.locale = "nl"
        await session.commit()
    assert await invariant(fuzz) != []
    async with fuzz.db.session() as session:
        await session.execute(text("UPDATE people SET locale = 'tr' WHERE telegram_id = 7201"))
        await session.commit()
    assert await invariant(fuzz) == []
    async with fuzz.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(School)) == 9


# --------------------------------------------------------------------------------------------
# What the fuzz found, kept as plain examples


async def test_a_double_tap_redraws_nothing_and_is_no_error(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Telegram answers "message is not modified" to an edit that changes nothing: the second
    tap of a double tap, or a stale keyboard that already shows the new state."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    jan = chat.person(7801, "Jan")
    await jan.says("/start")
    [question] = await jan.taps(data="lang:nl")
    klimop = next(data for label, data in fake.inline_buttons(question) if "Klim-op" in label)
    await jan.taps(data=klimop)
    screen = fake.message(jan.id, question["message_id"])
    assert screen is not None
    await jan.presses(screen, "school:done")
    await jan.presses(screen, "school:done")  # the second tap of a double tap
    await jan.taps(data="privacy:ok")
    [settings_screen] = await jan.says("/settings")
    await jan.taps(data="set:q")
    await jan.taps(data="set:q:23-06")
    again = fake.message(jan.id, settings_screen["message_id"])
    assert again is not None
    await jan.presses(again, "set:q:23-06")
    [forget] = await jan.says("/forget")
    await jan.taps(data="forget:no")
    await jan.presses(forget, "forget:no")
    assert spy.errors == []
    sorry = "Sorry, er ging iets mis. Probeer het straks nog eens."
    assert sorry not in fake.texts(jan.id)
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == jan.id))
        assert row is not None and row.step is None and row.quiet_hours == "23-06"


async def test_the_coordinator_may_start_with_a_team_command(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """COORDINATOR_IDS make the coordinator without an invite, even before their first /start
    (or after /forget): their commands and buttons work, and onboarding goes on at /start."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    greet = chat.person(COORDINATOR_ID, "Greet", language_code="nl")
    [draft] = await greet.says("/broadcast")
    assert draft["text"].startswith("📤")
    await greet.taps(data=next(d for _label, d in fake.inline_buttons(draft) if d.endswith(":x")))
    [invite] = await greet.says("/invite")
    assert "start=staff_" in invite["text"]
    [welcome] = await greet.says("/start")
    assert "Welke taal" in welcome["text"] or fake.inline_buttons(welcome)
    await greet.taps(data="lang:nl")
    await greet.taps(data="privacy:ok")
    await greet.says("/forget")
    await greet.taps(data="forget:yes")
    [queue] = await greet.says("/queue")
    assert queue["text"]
    assert spy.errors == []


async def test_a_button_with_a_trailing_newline_is_no_button(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """re.match's "$" matches before a final newline: "forget:no\\n" used to reach the /forget
    handler, which read it as "yes" (it does not end with ":no") and erased everything."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    els = await onboard(chat, 7802, "Els", "nl", "klimop")
    [forget] = await els.says("/forget")
    before = await rows(db)
    for data in ("forget:no\n", "forget:yes\n", "privacy:ok\n", "lang:tr\n", "set:q:23-06\n"):
        assert await els.presses(forget, data) == ["Deze knop werkt niet meer."], data
    assert await rows(db) == before
    assert spy.errors == []


async def test_ids_beyond_the_databases_integers_are_expired_buttons(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """On PostgreSQL an id past 2**31 - 1 made the query fail ("out of int32 range"): every
    id in a button's data is at most nine digits, as the patterns say."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    els = await onboard(chat, 7803, "Els", "nl", "klimop")
    greet = await coordinator_with_programme(chat)
    message = fake.last_message(els.id)
    assert message is not None
    for data in ("rv:2147483648:yes", "rv:999999999999:ics", "rv:9999999999:nl"):
        assert await els.presses(message, data) == ["Deze knop werkt niet meer."], data
    mine = fake.last_message(greet.id)
    assert mine is not None
    for data in ("rn:2147483648:1", "rn:999999999999:1700000000"):
        assert await greet.presses(mine, data) == ["Deze knop werkt niet meer."], data
    assert spy.errors == []


async def test_a_nul_character_in_a_name_or_a_programme_file_is_dropped(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """PostgreSQL refuses a NUL in a text column ("invalid byte sequence for encoding UTF8"):
    a name with one could never register, a file with one failed the whole import."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    nul = await onboard(chat, 7804, "Ay\x00se", "tr", "klimop")
    greet = await coordinator_with_programme(chat)
    row = ("nul-1;workshop;alle;2026-11-25;14:00;15:00;;Zaal\x00 1;;;;Yoga\x00;;;;;;")
    [csv_reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                    content=f"{CSV_HEADER}\n{row}".encode())
    assert csv_reply["text"].startswith("Ingelezen: 1 nieuw"), csv_reply["text"]
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:nul-2\r\n"
           "DTSTART:20261126T140000\r\nDTEND:20261126T150000\r\nSUMMARY:Dans\x00les\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    [ics_reply] = await greet.sends("document", file_name="p.ics", mime_type="text/calendar",
                                    content=ics.encode())
    assert ics_reply["text"].startswith("Ingelezen: 1 nieuw"), ics_reply["text"]
    assert spy.errors == []
    async with db.session() as session:
        assert await session.scalar(select(Person.first_name).where(
            Person.telegram_id == nul.id)) == "Ayse"


async def test_a_button_on_a_photo_or_a_file_changes_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """A screen is drawn by editing the pressed message's text, which a photo or a file does
    not have ("there is no text in the message to edit"): the press was unhandled. Now it is a
    stale button: an alert, and what the press did is rolled back."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    els = await onboard(chat, 7805, "Els", "nl", "klimop")
    greet = await coordinator_with_programme(chat)
    photo = await bot.app.bot.send_photo(greet.id, b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    document = await bot.app.bot.send_document(els.id, b"x" * 16, filename="brief.pdf")
    photo_message = fake.message(greet.id, photo.message_id)
    document_message = fake.message(els.id, document.message_id)
    assert photo_message is not None and document_message is not None
    before = await rows(db)
    for data in ("team:m", "team:s"):
        assert await greet.presses(photo_message, data) == ["Deze knop werkt niet meer."], data
    for data in ("ask:school", "ask:letter"):  # would start a question
        assert await els.presses(document_message, data) == ["Deze knop werkt niet meer."], data
    assert await rows(db) == before
    assert spy.errors == []
