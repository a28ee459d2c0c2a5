"""Chat with the real bot by hand, in a terminal, through the fake Telegram Bot API server.

There is no Telegram here, so this starts ``tests.fake_telegram.FakeTelegram`` on 127.0.0.1,
runs the bot as a real subprocess (``python -m bot``) pointed at it, and lets you play one
Telegram user: what you type is sent to the bot, and what the bot answers is printed.

Usage::

    .venv/bin/python -m tests.console [--port 0] [--user-id 4242] [--name Harpreet]
        [--language-code tr] [--coordinator [IDS]] [--fresh]
        [--database-url sqlite+aiosqlite:///data/console.sqlite3]
        [--bot-log data/console-bot.log]

At the ``>`` prompt::

    /start s_klimop      any other text is sent as a message from you
    tap 3                press inline button 3 (numbers are shown under the bot's messages)
    tap ਪੰਜਾਬੀ           ...or the newest inline button with that text
    key 3 | key ℹ️       press a button of the reply keyboard (by position or label)
    sticker, photo [caption], voice, document [caption], location
    file <path>          send a file of yours as a document (a programme .csv, .xlsx, .ics)
    group <text>         send a text in a group chat (-100) the bot is in
    say <text>           send a text literally (e.g. "say help")
    buttons              show the inline buttons you can still tap, numbered again
    help, quit

It reads lines from stdin, so a script can be piped in::

    printf '/start s_klimop\\ntap 3\\ntap 1\\nkey 3\\nquit\\n' | .venv/bin/python -m tests.console

The bot's log goes to ``--bot-log`` (not to the terminal); the database is a separate SQLite
file (``data/console.sqlite3``), so the real bot's data is left alone. The bot remembers you
between runs; ``--fresh`` deletes that SQLite file first, or use another ``--user-id``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import mimetypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from tests.fake_telegram import FakeTelegram, FakeUser

JSON = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/console.sqlite3"
DEFAULT_BOT_LOG = "data/console-bot.log"
GROUP_ID = -100
QUIET = 0.3  # seconds without any API call: the bot has finished answering
IDLE_TIMEOUT = 15.0
STARTUP_TIMEOUT = 60.0  # the first start migrates a new database
STOP_TIMEOUT = 10.0
LOCATION = (50.8167, 5.1867)  # Sint-Truiden
MEDIA_KINDS = ("photo", "document", "voice", "audio", "video", "animation", "video_note",
               "sticker", "location", "venue", "contact", "poll", "dice")
INDENT = "     "

HELP = """\
  <text>              send a message, e.g. /start s_klimop, /help or hello
  tap N | tap <text>  press inline button N, or the newest one with that text
  key N | key <text>  press reply-keyboard button N (from the left), or by its label
  sticker | photo [caption] | voice | document [caption] | location
                      send that kind of message
  file <path>         send a file of yours as a document, e.g. file examples/programme.csv
  group <text>        send a text in group chat -100 (the bot only works in private chats)
  say <text>          send a text literally, even "help" or "quit"
  buttons             list the inline buttons you can still tap, numbered again
  help                this list
  quit                stop the bot and leave (Ctrl-D works too)"""


class ConsoleError(Exception):
    """Something the person at the console did not mean; printed, then the prompt returns."""


# --------------------------------------------------------------------------------------------
# the fake server and the bot process


async def start_fake(port: int) -> FakeTelegram:
    """A FakeTelegram on 127.0.0.1; ``port`` 0 lets the OS choose a free one."""
    return await FakeTelegram(port=port).start()


def bot_environment(fake: FakeTelegram, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_FILE_URL=fake.file_url,
        DATABASE_URL=args.database_url,
        PYTHONUNBUFFERED="1",  # the log file is read while the bot runs
        PYTHONIOENCODING="utf-8",
    )
    # Run the bot of this checkout, whatever the working directory is.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    if args.coordinator is not None:
        env["COORDINATOR_IDS"] = str(args.user_id) if args.coordinator == "me" else args.coordinator
    return env


def start_bot(fake: FakeTelegram, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    log_path = Path(args.bot_log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=bot_environment(fake, args),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C at the console must not reach the bot directly;
            # the console stops it itself, while the fake server still answers its last calls.
            start_new_session=True,
        )


def log_tail(path: str, lines: int = 30) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as problem:
        return f"(cannot read {path}: {problem})"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


async def wait_until_polling(fake: FakeTelegram, bot: subprocess.Popen[bytes]) -> bool:
    """True once the bot polls for updates; False if it exits or takes too long."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            return False
        if fake.polling:
            return True
        await asyncio.sleep(0.05)
    return False


async def stop_bot(bot: subprocess.Popen[bytes]) -> int | None:
    """SIGINT (what Ctrl-C does: PTB shuts down cleanly), then kill after STOP_TIMEOUT."""
    if bot.poll() is None:
        bot.send_signal(signal.SIGINT)
        # Wait in a thread: the fake server in this loop must keep answering the bot's last
        # getUpdates (it confirms the handled updates on its way out).
        try:
            await asyncio.to_thread(bot.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            bot.kill()
            await asyncio.to_thread(bot.wait)
    return bot.returncode


# --------------------------------------------------------------------------------------------
# showing the chat


def message_content(message: JSON) -> str:
    """What the user sees of a message: the text, or the kind of media and its caption."""
    kind = next((k for k in MEDIA_KINDS if k in message), None)
    body = message.get("text") or message.get("caption") or ""
    if kind == "sticker":
        body = message["sticker"].get("emoji", "") + (" " + body if body else "")
    elif kind == "location":
        body = f"{message['location']['latitude']}, {message['location']['longitude']}"
    elif kind == "document" and message["document"].get("file_name"):
        body = f"{message['document']['file_name']} {body}".strip()
    return f"[{kind}] {body}".strip() if kind else body


@dataclass(frozen=True)
class Shown:
    """A message as the console last printed it."""

    state: str  # see snapshot()
    content: str  # see message_content()


def snapshot(message: JSON) -> str:
    """A message's content without its edit date, to notice edits."""
    return json.dumps({k: v for k, v in message.items() if k != "edit_date"}, sort_keys=True)


class ChatView:
    """Remembers what the console has shown, and prints what changed since."""

    def __init__(self, fake: FakeTelegram, user: FakeUser) -> None:
        self.fake = fake
        self.user = user
        self.chats = (user.id, GROUP_ID)
        self.shown: dict[tuple[int, int], Shown] = {}  # (chat, message_id) -> as last shown
        self.calls_seen = 0
        self.server_errors_seen = 0
        self.keyboard: list[str] | None = None
        self.menu: list[JSON] | None = None
        # inline button number -> (chat, message_id, label, callback_data)
        self.buttons: dict[int, tuple[int, int, str, str]] = {}

    def changes(self) -> list[str]:
        """Lines for everything new since the last call: alerts, messages, keyboard, menu."""
        lines: list[str] = []
        new_calls = self.fake.calls[self.calls_seen:]
        self.calls_seen += len(new_calls)
        for call in new_calls:
            if call.method == "answerCallbackQuery" and call.ok and call.params.get("text"):
                tag = "(alert)" if call.params.get("show_alert") else "(toast)"
                lines.append(f"{tag} {call.params['text']}")
        for call in new_calls:
            if not call.ok and call.method != "getUpdates":
                lines.append(f"(Bot API error) {call.method}: {call.error_code} {call.description}")
        lines.extend(self._messages())
        keyboard = self.fake.reply_keyboard(self.user.id)
        if keyboard != self.keyboard:
            self.keyboard = keyboard
            lines.append("keyboard: " + (" | ".join(keyboard) if keyboard else "(none)"))
        menu = self.current_menu()
        if menu != self.menu:
            self.menu = menu
            lines.append("menu: " + (", ".join(
                f"/{c.get('command')} – {c.get('description')}" for c in menu) or "(none)"))
        errors = self.fake.server_errors[self.server_errors_seen:]
        self.server_errors_seen += len(errors)
        lines.extend(f"(bug in FakeTelegram) {e.strip().splitlines()[-1]}" for e in errors)
        return lines

    def _messages(self) -> list[str]:
        lines: list[str] = []
        numbered: dict[int, tuple[int, int, str, str]] = {}
        for chat_id in self.chats:
            where = "" if chat_id == self.user.id else f" in group {chat_id}"
            current = {m["message_id"]: m for m in self.fake.transcript(chat_id)}
            for message_id, message in current.items():
                key = (chat_id, message_id)
                state = Shown(snapshot(message), message_content(message))
                if self.shown.get(key) == state:
                    continue
                before = self.shown.get(key)
                self.shown[key] = state
                lines.extend(self._render(f"bot{where}", message, numbered, before))
            for key in [k for k in self.shown if k[0] == chat_id and k[1] not in current]:
                del self.shown[key]
                lines.append(f"bot{where} deleted message {key[1]}")
        if numbered:  # otherwise the numbers shown before still hold
            self.buttons = numbered
        return lines

    def _render(
        self,
        label: str,
        message: JSON,
        numbered: dict[int, tuple[int, int, str, str]],
        before: Shown | None = None,
    ) -> list[str]:
        """The message as the user sees it; for an edit, only what changed in the text."""
        content = message_content(message)
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        if before is None:
            body = content.splitlines() or [""]
        elif content == before.content:  # only the buttons changed
            first = content.splitlines()[0] if content else ""
            body = [f"«{first[:50]}…»" + ("" if rows else " (buttons removed)")]
        elif content.startswith(before.content):  # a line added, e.g. the choice made
            added = content[len(before.content):].strip().splitlines()
            body = ["… " + line for line in added] or ["…"]
        else:
            body = content.splitlines() or [""]
        if before is not None:
            label += " (edited)"
        lines = [f"{label}: {body[0]}", *(INDENT + line for line in body[1:])]
        for row in rows:
            cells = []
            for button in row:
                text = button.get("text", "")
                if button.get("callback_data"):
                    number = len(numbered) + 1
                    numbered[number] = (message["chat"]["id"], message["message_id"], text,
                                        button["callback_data"])
                    cells.append(f"[{number}] {text}")
                else:  # a link or other button the console cannot press
                    target = button.get("url") or next(
                        (k for k in button if k != "text"), "?")
                    cells.append(f"[↗ {text}: {target}]")
            lines.append(INDENT + "  ".join(cells))
        return lines

    def relist_buttons(self, last: int = 3) -> list[str]:
        """The inline buttons of the newest messages that have any, numbered afresh."""
        numbered: dict[int, tuple[int, int, str, str]] = {}
        lines: list[str] = []
        messages = [m for m in self.fake.transcript(self.user.id)
                    if FakeTelegram.inline_buttons(m)]
        for message in messages[-last:]:
            lines.extend(self._render(f"bot (message {message['message_id']})", message,
                                      numbered))
        self.buttons = numbered
        return lines or ["(no inline buttons in the chat)"]

    def current_menu(self) -> list[JSON]:
        """The command menu this user sees: replay set/deleteMyCommands, pick Telegram's way."""
        menus: dict[tuple[str, str], list[JSON]] = {}
        for call in self.fake.calls:
            if not call.ok or call.method not in ("setMyCommands", "deleteMyCommands"):
                continue
            scope = json.dumps(call.params.get("scope") or {"type": "default"}, sort_keys=True)
            key = (scope, str(call.params.get("language_code") or ""))
            if call.method == "setMyCommands":
                menus[key] = list(call.params.get("commands") or [])
            else:
                menus.pop(key, None)
        language = self.user.language_code or ""
        scopes = ({"type": "chat", "chat_id": self.user.id}, {"type": "all_private_chats"},
                  {"type": "default"})
        for scope in scopes:
            for code in dict.fromkeys((language, "")):
                found = menus.get((json.dumps(scope, sort_keys=True), code))
                if found is not None:
                    return found
        return []


# --------------------------------------------------------------------------------------------
# the prompt


class Console:
    def __init__(self, fake: FakeTelegram, user: FakeUser) -> None:
        self.fake = fake
        self.user = user
        self.view = ChatView(fake, user)

    def act(self, line: str) -> bool:
        """Do what one input line says; False when the person wants to leave."""
        word, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        command = word.lower()
        if not line.strip():
            return True
        if command in ("quit", "exit") and not rest:
            return False
        if command == "help" and not rest:
            say(HELP)
        elif command == "buttons" and not rest:
            say(*self.view.relist_buttons())
        elif command == "tap" and rest:
            self.tap(rest)
        elif command == "key" and rest:
            self.key(rest)
        elif command == "group" and rest:
            self.fake.send_group_text(self.user, GROUP_ID, rest)
        elif command == "say" and rest:
            self.fake.send_text(self.user, rest)
        elif command in ("photo", "document"):
            caption = rest or None
            getattr(self.fake, f"send_{command}")(self.user, caption=caption)
        elif command == "file" and rest:
            self.send_file(Path(rest).expanduser())
        elif command in ("sticker", "voice") and not rest:
            getattr(self.fake, f"send_{command}")(self.user)
        elif command == "location" and not rest:
            self.fake.send_location(self.user, *LOCATION)
        else:
            self.fake.send_text(self.user, line.strip())
        return True

    def tap(self, what: str) -> None:
        if not what.isdigit():
            try:
                self.fake.press_button(self.user, what)
            except AssertionError as problem:
                raise ConsoleError(f"no inline button {what!r}; try `buttons`") from problem
            return
        number = int(what)
        if number not in self.view.buttons:
            raise ConsoleError(f"no inline button {number}; try `buttons`")
        chat_id, message_id, label, data = self.view.buttons[number]
        message = self.fake.message(chat_id, message_id)
        # Only a button still on the message can be pressed, as in Telegram.
        if message is None or (label, data) not in FakeTelegram.inline_buttons(message):
            raise ConsoleError(f"button {number} ({label}) is gone from that message; "
                               "try `buttons`")
        self.fake.press(self.user, message, data)

    def send_file(self, path: Path) -> None:
        try:
            content = path.read_bytes()
        except OSError as problem:
            raise ConsoleError(f"cannot read {path}: {problem.strerror}") from problem
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.fake.send_document(self.user, file_name=path.name, mime_type=mime_type,
                                content=content)

    def key(self, what: str) -> None:
        labels = self.fake.reply_keyboard(self.user.id) or []
        if not labels:
            raise ConsoleError("there is no reply keyboard")
        if what.isdigit():
            if not 1 <= int(what) <= len(labels):
                raise ConsoleError(f"the keyboard has {len(labels)} buttons: "
                                   + " | ".join(labels))
            what = labels[int(what) - 1]
        try:
            self.fake.press_key(self.user, what)
        except AssertionError as problem:
            raise ConsoleError(f"no key {what!r}; the keyboard is: "
                               + " | ".join(labels)) from problem

    async def settle(self) -> None:
        """Wait for the bot to finish answering, then print what changed. "Uploading..."
        (sendChatAction) announces a file the bot is still making (a poster, a report)."""
        deadline = time.monotonic() + IDLE_TIMEOUT
        try:
            await self.fake.wait_idle(quiet=QUIET, timeout=IDLE_TIMEOUT)
            while self.fake.calls and self.fake.calls[-1].method == "sendChatAction":
                if time.monotonic() > deadline:
                    raise AssertionError("still busy")
                await asyncio.sleep(QUIET)
                await self.fake.wait_idle(quiet=QUIET, timeout=IDLE_TIMEOUT)
        except AssertionError:
            say(f"(the bot is still busy after {IDLE_TIMEOUT:.0f} s; showing what is there)")
        say(*self.view.changes())


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


@contextlib.contextmanager
def stdin_lines(loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.Queue[str | None]]:
    """Lines of stdin in a queue (None at EOF), read by a daemon thread.

    A daemon thread rather than run_in_executor: a readline blocked in the default executor
    would keep the process alive after Ctrl-C until Enter is pressed.
    """
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    yield queue


async def run(args: argparse.Namespace) -> int:
    if args.fresh:
        remove_sqlite_file(args.database_url)
    try:
        fake = await start_fake(args.port)
    except OSError as problem:  # e.g. the port is taken
        say(f"Cannot start the fake Bot API server on port {args.port}: {problem}")
        return 1
    bot: subprocess.Popen[bytes] | None = None
    try:
        say(f"Fake Bot API server: {fake.base_url}<token>  (port {fake.port})")
        bot = start_bot(fake, args)
        say(f"Starting the bot (python -m bot; log: {args.bot_log}, "
            f"database: {args.database_url}) ...")
        if not await wait_until_polling(fake, bot):
            if bot.poll() is None:
                say(f"The bot did not poll for updates within {STARTUP_TIMEOUT:.0f} s.")
            else:
                say(f"The bot exited (code {bot.returncode}) before polling for updates.")
            say(f"--- last lines of {args.bot_log} ---", log_tail(args.bot_log))
            return 1
        user = fake.user(args.user_id, args.name, language_code=args.language_code)
        console = Console(fake, user)
        say(f'The bot is running. You are {user.first_name} (user id {user.id}'
            + (f", language {user.language_code}" if user.language_code else "")
            + '). Type "help" for commands, "quit" to leave.')
        await console.settle()  # the menus set at start-up
        echo = not sys.stdin.isatty()  # piped input is not echoed by a terminal
        with stdin_lines(asyncio.get_running_loop()) as lines:
            while True:
                print("> ", end="", flush=True)
                line = await lines.get()
                if line is None:
                    print(flush=True)
                    break
                if echo:
                    print(line, flush=True)
                try:
                    if not console.act(line):
                        break
                except ConsoleError as problem:
                    say(f"({problem})")
                    continue
                await console.settle()
                if bot.poll() is not None:
                    say(f"The bot exited (code {bot.returncode}).",
                        f"--- last lines of {args.bot_log} ---", log_tail(args.bot_log))
                    return 1
        return 0
    finally:
        if bot is not None:
            code = await stop_bot(bot)
            say(f"Bot stopped (exit code {code}).")
        await fake.stop()


def remove_sqlite_file(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.console",
        description="Chat with the real bot (python -m bot) through a fake Telegram server.",
    )
    parser.add_argument("--port", type=int, default=0,
                        help="port of the fake Bot API server on 127.0.0.1 (0: a free port)")
    parser.add_argument("--user-id", type=int, default=4242, help="your Telegram user id")
    parser.add_argument("--name", default="Harpreet", help="your first name")
    parser.add_argument("--language-code", default=None,
                        help="your Telegram app's language (e.g. nl, tr, pa); default none")
    parser.add_argument("--coordinator", nargs="?", const="me", default=None, metavar="IDS",
                        help="COORDINATOR_IDS for the bot: without a value, your own user id")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help=f"the bot's DATABASE_URL (default {DEFAULT_DATABASE_URL})")
    parser.add_argument("--fresh", action="store_true",
                        help="delete the SQLite database file first: the bot forgets you")
    parser.add_argument("--bot-log", default=DEFAULT_BOT_LOG,
                        help=f"where the bot's log goes (default {DEFAULT_BOT_LOG})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Gurmukhi and Turkish must get through even where the locale is not UTF-8.
    for stream in (sys.stdin, sys.stdout):
        if (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:  # Ctrl-C: run() has stopped the bot on its way out
        print(flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
