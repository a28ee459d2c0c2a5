"""A fake Telegram Bot API server for tests and benchmarks.

The real python-telegram-bot ``Application`` talks to it over HTTP, in the test's event loop::

    fake = FakeTelegram()  # token, bot_id and bot_username have test defaults
    await fake.start()  # binds 127.0.0.1 on a free port
    app = (
        ApplicationBuilder().token(fake.token)
        .base_url(fake.base_url).base_file_url(fake.file_url).build()
    )
    ...  # add handlers, initialize, start, app.updater.start_polling(poll_interval=0, timeout=1)

    ayse = fake.user(1001, "Ayse", language_code="tr")
    fake.mark()
    fake.send_command(ayse, "/start")
    call = await fake.wait_for("sendMessage", chat_id=ayse.id)
    fake.press_button(ayse, "Türkçe")
    await fake.wait_idle()
    assert fake.texts(ayse.id)[-1] == "..."
    await fake.stop()  # or: async with FakeTelegram() as fake: ...

What it does:

* ``getUpdates`` long polling over a queue of injected updates (``send_text``, ``press``...).
* Every API call is recorded in ``fake.calls`` (see :class:`Call`); ``wait_for`` and
  ``wait_idle`` wait for them without sleeping in fixed steps.
* Messages sent by the bot are stored per chat (``transcript``/``texts``/``last_message``) and
  edits/deletions update them, so a test reads the chat as the user sees it.  HTML
  (``parse_mode="HTML"``) is parsed like Telegram does: tags become entities, unsupported or
  unbalanced tags give ``400 can't parse entities``.  Markdown is stored as sent.
* Only inline keyboards are returned in ``Message.reply_markup`` (as Telegram does); reply
  keyboards are remembered separately: see ``reply_keyboard`` and ``press_key``.
* Faults: ``fail_next`` (any status, e.g. 429 with ``retry_after``), ``block_chat`` (403) and
  optional rate limits (``enforce_limits=True``) plus ``latency`` (sends) and ``call_latency``
  (every other call but getUpdates), as a real server's round trips; ``random_faults`` injects,
  from a seeded RNG, 429s, 5xx, dropped connections and timeouts (before or after the message
  was created) into a share of the sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import mimetypes
import random
import re
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"

JSON = dict[str, Any]

# Form values that are always plain strings, even when they look like JSON ("123", "true").
STRING_PARAMS = frozenset(
    {
        "text", "caption", "callback_query_id", "inline_message_id", "description",
        "short_description", "name", "url", "secret_token", "emoji", "question", "title",
        "parse_mode", "language_code", "action", "file_id", "address", "phone_number",
        "first_name", "last_name", "vcard", "foursquare_id", "foursquare_type",
        "google_place_id", "google_place_type", "performer", "business_connection_id",
        "message_effect_id", "custom_title", "sticker_set_name", "set_name",
        # media params: a file_id, an URL or "attach://name" (never JSON)
        "photo", "voice", "document", "audio", "video", "animation", "video_note", "sticker",
        "thumbnail",
    }
)
INT_PARAMS = frozenset({"chat_id", "message_id", "from_chat_id", "user_id"})

# Methods that create messages; they count for rate limits, latency and blocked chats.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendVoice", "sendDocument", "sendAudio", "sendVideo",
        "sendAnimation", "sendVideoNote", "sendLocation", "sendVenue", "sendContact",
        "sendSticker", "sendPoll", "sendDice", "sendMediaGroup", "copyMessage", "copyMessages",
        "forwardMessage", "forwardMessages",
    }
)
SEND_METHODS = MESSAGE_METHODS | {"sendChatAction"}
# The emoji a bot may react with (Bot API, ReactionTypeEmoji).
REACTION_EMOJI = frozenset({
    "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮",
    "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤\u200d🔥", "🌚", "🌭", "💯", "🤣",
    "⚡", "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻",
    "👨\u200d💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅",
    "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷\u200d♂", "🤷",
    "🤷\u200d♀", "😡"
})
EDIT_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)

# Message fields that make up its content (what copyMessage/forwardMessage carry over).
CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", "photo", "voice", "document", "audio",
    "video", "animation", "sticker", "video_note", "location", "venue", "contact", "poll",
    "dice", "has_media_spoiler", "show_caption_above_media", "link_preview_options",
)
# editMessageMedia: what a message's media may become, and the extension of a new upload.
EDITABLE_MEDIA = MappingProxyType({"photo": "jpg", "video": "mp4", "document": "bin",
                                   "audio": "mp3", "animation": "mp4"})
MEDIA_KEYS = frozenset(
    {"photo", "voice", "document", "audio", "video", "animation", "video_note"}
)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# Kinds of ``random_faults``. "drop" and "timeout" happen before the request is handled
# (nothing was sent); "drop_after" and "timeout_after" after (the message exists, but the bot
# never hears so: whether it was sent is ambiguous to the bot).
RANDOM_FAULT_KINDS = ("429", "500", "502", "drop", "drop_after", "timeout", "timeout_after")
NO_ANSWER = 0  # Call.error_code of a request that got no HTTP answer and was not handled


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One recorded Bot API request."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the server handled it
    result: Any = None
    error_code: int | None = None
    description: str | None = None  # error description, if any
    # A random fault injected into this request (see FakeTelegram.random_faults), or None.
    # "drop_after"/"timeout_after" calls are ok: the message exists, the bot got no answer.
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """The server handled the method (a message it creates exists)."""
        return self.error_code is None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user; their private chat with the bot has ``id == user id``."""

    id: int
    first_name: str = "Ayse"
    language_code: str | None = None
    username: str | None = None
    last_name: str | None = None

    @property
    def chat_id(self) -> int:
        return self.id

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat(self) -> JSON:
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


class ApiError(Exception):
    """Raised inside a method handler to answer with an error."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class _Fault:
    method: str  # lower case, or "*"
    status: int
    description: str
    retry_after: int | None
    chat_id: int | str | None
    remaining: int


@dataclass
class _RandomFaults:
    rate: float
    rng: random.Random
    kinds: list[str]
    weights: list[float]
    chat_ids: frozenset[Any] | None
    methods: frozenset[str]  # lower case
    max_per_chat: int | None
    retry_after: int
    hang: float
    per_chat: Counter[Any] = field(default_factory=Counter)


@dataclass
class _Stored:
    """A message in a chat: the current state plus bookkeeping."""

    message: JSON
    from_bot: bool
    deleted: bool = False
    keyboard: JSON | None = None  # a non-inline reply_markup sent with it
    reactions: list[str] = field(default_factory=list)  # the bot's emoji on it


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


# --------------------------------------------------------------------------------------------
# HTML parse mode


_HTML_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}


class _TelegramHTML(HTMLParser):
    """Turns Telegram's HTML subset into plain text plus entities (offsets in UTF-16)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[JSON] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in _HTML_ENTITY_TYPES or (
            tag == "span" and attributes.get("class") != "tg-spoiler"
        ):
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" {self._where()}'
            )
        self.stack.append((tag, self.length, attributes))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise bad_request(
                f'can\'t parse entities: Unmatched end tag "{tag}" {self._where()}'
            )
        tag, start, attrs = self.stack.pop()
        length = self.length - start
        if length == 0:
            return  # Telegram drops empty entities
        entity: JSON = {"type": _HTML_ENTITY_TYPES[tag], "offset": start, "length": length}
        if tag == "a":
            entity["url"] = attrs.get("href") or ""
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attrs.get("class") or "").removeprefix("language-")
            if language:  # <pre><code class="language-x"> is one pre entity with a language
                self.stack[-1][2]["language"] = language
                return
        elif tag == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        self.entities.append(entity)

    def _where(self) -> str:
        """Telegram reports the UTF-8 byte offset of the offending tag."""
        line, column = self.getpos()
        lines = self.source.splitlines(keepends=True)
        index = sum(len(text) for text in lines[: line - 1]) + column
        return f"at byte offset {len(self.source[:index].encode())}"

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Plain text and entities of an HTML formatted text, or ApiError 400 like Telegram."""
    parser = _TelegramHTML(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise bad_request(
            f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{tag}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def command_entities(text: str) -> list[JSON]:
    """The bot_command entity Telegram adds when a text starts with a command."""
    match = re.match(r"/\S+", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, dict) and "content" in value and "size" in value:
        return f"<file {value.get('filename')!r} {value['size']} bytes>"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """An in-process Telegram Bot API server (see the module docstring)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_id: int | None = None,
        bot_username: str = "bredeschool_test_bot",
        *,
        enforce_limits: bool = False,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int | None = 20,
        latency: float = 0.0,
        call_latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.enforce_limits = enforce_limits
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute  # only with enforce_limits
        self.latency = latency  # before answering a send (a method that makes a message)
        self.call_latency = call_latency  # before answering any other call but getUpdates
        self.host = host
        self._wanted_port = port  # 0: a free port chosen by the OS
        self.port: int | None = None

        self.calls: list[Call] = []
        self.too_many_requests = 0  # 429s answered by the rate limiter
        self.downloads: list[str] = []  # file paths fetched from the file URL
        self.server_errors: list[str] = []  # tracebacks of bugs in this fake
        self.updates_confirmed = 0  # highest update_id confirmed via getUpdates offset
        self.updates_delivered = 0  # highest update_id returned by getUpdates
        self.webhook_url = ""

        self._updates: deque[JSON] = deque()
        self._update_ids = itertools.count(1)
        self._allowed_updates: set[str] | None = None
        self._messages: dict[int, dict[int, _Stored]] = {}
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, JSON] = {}
        self._users: dict[int, FakeUser] = {}
        self._files: dict[str, _File] = {}
        self._file_counter = itertools.count(1)
        self._callback_ids: set[str] = set()
        self._callback_counter = itertools.count(1)
        self._media_groups = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}  # (kind, language) -> text
        self._menu_buttons: dict[int | None, JSON] = {}
        self._faults: list[_Fault] = []
        self._random: _RandomFaults | None = None
        self.faults_injected: Counter[str] = Counter()  # random fault kind -> how many
        self._blocked: set[int | str] = set()
        self._sent_global: deque[float] = deque()
        self._sent_per_chat: dict[Any, deque[float]] = {}
        self._sent_per_group: dict[Any, deque[float]] = {}

        self._mark = 0
        self._inflight = 0  # requests being handled, getUpdates excluded
        self._last_activity = time.monotonic()  # last non-getUpdates request finished
        self._poll_generation = 0
        self._stopping = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods = self._method_table()

    # ----------------------------------------------------------------------------------------
    # lifecycle

    async def start(self) -> FakeTelegram:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._stopping = False
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/file/{prefix}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{prefix}/{method}", self._handle_api)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._wanted_port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self

    @property
    def polling(self) -> bool:
        """True once the bot has asked for updates (a long poll is recorded only when it ends)."""
        return self._poll_generation > 0 or bool(self.calls_of("getUpdates"))

    async def stop(self) -> None:
        """Finish pending long polls and shut the server down."""
        self._stopping = True
        self._notify()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def application_builder(self) -> Any:
        """An ``ApplicationBuilder`` with token and URLs pointing at this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.file_url)
        )

    def bot(self) -> Any:
        """A plain ``telegram.Bot`` talking to this server (use ``async with``)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.file_url)

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Brede School",
            "username": self.bot_username,
        }

    # ----------------------------------------------------------------------------------------
    # reading what the bot did

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def transcript(self, chat_id: int) -> list[JSON]:
        """Bot-sent messages of a chat, oldest first, as they look now (deleted ones left out)."""
        return [
            copy.deepcopy(s.message)
            for s in self._messages.get(chat_id, {}).values()
            if s.from_bot and not s.deleted
        ]

    def history(self, chat_id: int) -> list[JSON]:
        """All messages of a chat (the user's and the bot's), oldest first, without deleted."""
        return [
            copy.deepcopy(s.message)
            for s in self._messages.get(chat_id, {}).values()
            if not s.deleted
        ]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        stored = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(stored.message) if stored else None

    def last_message(self, chat_id: int) -> JSON | None:
        messages = self.transcript(chat_id)
        return messages[-1] if messages else None

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.transcript(chat_id)]

    def sent_count_per_chat(self, method_set: Collection[str] = MESSAGE_METHODS) -> Counter:
        return Counter(c.chat_id for c in self.calls if c.ok and c.method in method_set)

    @staticmethod
    def inline_buttons(message: JSON) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button; callback_data is "" for URL buttons."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    def reply_keyboard(self, chat_id: int) -> list[str] | None:
        """Labels of the reply keyboard the user currently sees in the chat, if any."""
        for stored in reversed(self._messages.get(chat_id, {}).values()):
            markup = stored.keyboard
            if not stored.from_bot or markup is None:
                continue
            if "keyboard" in markup:
                rows = markup["keyboard"]
                return [b if isinstance(b, str) else b["text"] for row in rows for b in row]
            if markup.get("remove_keyboard"):
                return None
        return None

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    def add_file(self, file_id: str, content: bytes, *, file_name: str | None = None) -> str:
        """Register downloadable bytes under a file_id; returns its file_path."""
        n = next(self._file_counter)
        suffix = f"_{file_name}" if file_name else ""
        path = f"files/file_{n}{suffix}"
        self._files[file_id] = _File(
            file_id, f"U{n:06d}{file_id[-6:]}", path, content, file_name,
            mimetypes.guess_type(file_name)[0] if file_name else None,
        )
        return path

    # ----------------------------------------------------------------------------------------
    # waiting

    def mark(self) -> int:
        """Remember len(calls): the default ``after`` of the next ``wait_for``."""
        self._mark = len(self.calls)
        return self._mark

    async def wait_for(
        self,
        method: str | Collection[str],
        predicate: Callable[[Call], bool] | None = None,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the assertion
        after: int | None = None,
        ok: bool | None = None,
    ) -> Call:
        """The first call (from index ``after``, default: the last ``mark()``) that matches."""
        methods = {method} if isinstance(method, str) else set(method)
        index = self._mark if after is None else after
        found: list[Call] = []

        def matches() -> bool:
            nonlocal index
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if (
                    call.method in methods
                    and (chat_id is None or call.chat_id == chat_id)
                    and (ok is None or call.ok == ok)
                    and (predicate is None or predicate(call))
                ):
                    found.append(call)
                    return True
            return False

        if await self._wait_until(matches, timeout):
            return found[0]
        wanted = f"{sorted(methods)}" + (f" chat_id={chat_id}" if chat_id is not None else "")
        start = self._mark if after is None else after
        raise AssertionError(
            f"no {wanted} call within {timeout}s (looked from call #{start}).\n"
            + self.summary()
        )

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until all updates were fetched and no request came in for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = time.monotonic()
            busy = self._undelivered() or self._inflight > 0
            left = quiet if busy else quiet - (now - self._last_activity)
            if left <= 0:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"not idle after {timeout}s.\n" + self.summary())
            await self._wait_change(min(left, remaining))

    def summary(self, last: int = 15) -> str:
        """Recent calls and server state, for assertion messages."""
        lines = [f"calls: {len(self.calls)} (mark at {self._mark}), pending updates: "
                 f"{len(self._updates)}, delivered up to {self.updates_delivered}"]
        start = max(0, len(self.calls) - last)
        for i, call in enumerate(self.calls[start:], start):
            params = " ".join(
                f"{k}={_short(v, 60)}" for k, v in call.params.items() if k != "chat_id"
            )
            status = "ok" if call.ok else f"{call.error_code} {call.description!r}"
            lines.append(f"  #{i} {call.method} chat={call.chat_id} {status}: {params}")
        lines.extend(f"  SERVER ERROR: {e.strip().splitlines()[-1]}" for e in self.server_errors)
        return "\n".join(lines)

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed  # taken before checking, so no change is missed
            if predicate():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    async def _wait_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return at the next recorded change, or after ``timeout`` seconds."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()

    def _undelivered(self) -> bool:
        return any(u["update_id"] > self.updates_delivered for u in self._updates)

    # ----------------------------------------------------------------------------------------
    # faults and limits

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" = any) get this error."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            )
        self._faults.append(
            _Fault(method.lower(), status, description, retry_after, chat_id, times)
        )

    def random_faults(
        self,
        rate: float,
        *,
        seed: int = 0,
        kinds: Mapping[str, float] | Collection[str] = RANDOM_FAULT_KINDS,
        chat_ids: Collection[int | str] | None = None,
        methods: Collection[str] = MESSAGE_METHODS,
        max_per_chat: int | None = None,
        retry_after: int = 1,
        hang: float = 6.0,
    ) -> None:
        """From now on, each call of ``methods`` to ``chat_ids`` (None: any chat) fails with
        probability ``rate``; ``rate=0`` stops it. The kind is drawn from ``kinds`` (names of
        RANDOM_FAULT_KINDS, or a mapping name -> weight) by ``random.Random(seed)``:

        * "429": Too Many Requests with ``retry_after``; "500", "502": server errors;
        * "drop": the connection is closed before the request is handled (nothing sent);
        * "drop_after": the request is handled (the message exists), then the connection is
          closed without an answer;
        * "timeout": no answer for ``hang`` seconds (longer than the client waits), then the
          connection is closed; nothing was sent;
        * "timeout_after": handled, then no answer for ``hang`` seconds.

        ``max_per_chat`` caps the faults per chat (so a test knows no message is given up).
        Each faulted call has ``Call.fault`` set; ``faults_injected`` counts them by kind.
        """
        if rate <= 0:
            self._random = None
            return
        weights = dict(kinds) if isinstance(kinds, Mapping) else dict.fromkeys(kinds, 1.0)
        unknown = set(weights) - set(RANDOM_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        self._random = _RandomFaults(
            rate, random.Random(seed), list(weights), list(weights.values()),
            frozenset(chat_ids) if chat_ids is not None else None,
            frozenset(m.lower() for m in methods), max_per_chat, retry_after, hang,
        )

    def _draw_random_fault(self, method: str, chat_id: Any) -> str | None:
        faults = self._random
        if faults is None or method.lower() not in faults.methods:
            return None
        if faults.chat_ids is not None and chat_id not in faults.chat_ids:
            return None
        if faults.max_per_chat is not None and faults.per_chat[chat_id] >= faults.max_per_chat:
            return None
        if faults.rng.random() >= faults.rate:
            return None
        kind = faults.rng.choices(faults.kinds, faults.weights)[0]
        faults.per_chat[chat_id] += 1
        self.faults_injected[kind] += 1
        return kind

    def block_chat(self, chat_id: int | str) -> None:
        """Sends to the chat get 403 "Forbidden: bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.discard(chat_id)

    def _take_fault(self, method: str, chat_id: Any) -> ApiError | None:
        for fault in self._faults:
            if fault.method in ("*", method.lower()) and (
                fault.chat_id is None or fault.chat_id == chat_id
            ):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return ApiError(fault.status, fault.description, fault.retry_after)
        return None

    def _rate_limit_wait(self, chat_id: Any, now: float) -> float:
        """Seconds until a send to ``chat_id`` is allowed (0: now)."""
        waits = [0.0]
        for window, sent, limit in self._windows(chat_id):
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit:
                waits.append(sent[-limit] + window - now)
        return max(waits)

    def _windows(self, chat_id: Any) -> list[tuple[float, deque[float], int]]:
        windows = [
            (1.0, self._sent_global, self.global_per_second),
            (1.0, self._sent_per_chat.setdefault(chat_id, deque()), self.per_chat_per_second),
        ]
        if self.per_group_per_minute and isinstance(chat_id, int) and chat_id < 0:
            group = self._sent_per_group.setdefault(chat_id, deque())
            windows.append((60.0, group, self.per_group_per_minute))
        return windows

    # ----------------------------------------------------------------------------------------
    # injecting updates

    def user(
        self,
        user_id: int,
        first_name: str = "Ayse",
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        user = FakeUser(user_id, first_name, language_code, username, last_name)
        self._users[user_id] = user
        self._chats[user_id] = user.chat()
        return user

    def queue_update(self, raw: JSON) -> JSON:
        """Queue any update (an update_id is added); its messages are remembered."""
        update = dict(raw)
        update["update_id"] = next(self._update_ids)
        for key in ("message", "channel_post", "business_message"):
            if isinstance(update.get(key), dict):
                self._remember(update[key])
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._callback_ids.add(str(query["id"]))
        self._updates.append(update)
        self._notify()
        return update

    def unqueue(self, update: JSON) -> JSON:
        """Take a queued update back from getUpdates: the test posts it to a webhook instead."""
        self._updates.remove(update)
        return update

    def send_text(
        self,
        user: FakeUser | int,
        text: str,
        *,
        chat: JSON | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A text; ``entities``: its formatting as the user's app sends it (bold, links...)."""
        fields: JSON = {"text": text}
        if entities := [*command_entities(text), *(entities or [])]:
            fields["entities"] = entities
        return self._user_message(user, fields, chat, reply_to_message_id)

    def delete_by_user(self, chat_id: int, message_id: int) -> None:
        """The user deletes a message in their chat; Telegram tells a bot nothing of it, but
        a copy or forward of it fails from now on ("message to copy not found")."""
        self._messages[chat_id][message_id].deleted = True

    def send_command(self, user: FakeUser | int, command: str, **kwargs: Any) -> JSON:
        return self.send_text(user, command, **kwargs)

    def press_key(self, user: FakeUser | int, label: str) -> JSON:
        """Tap a button of the visible reply keyboard (exact label, else a substring)."""
        user = self._as_user(user)
        labels = self.reply_keyboard(user.id) or []
        choice = next((x for x in labels if x == label), None) or next(
            (x for x in labels if label in x), None
        )
        if choice is None:
            raise AssertionError(f"no reply keyboard button {label!r}; visible: {labels}")
        return self.send_text(user, choice)

    def send_photo(
        self, user: FakeUser | int, caption: str | None = None, *, chat: JSON | None = None,
        reply_to_message_id: int | None = None, media_group_id: str | None = None,
        caption_entities: list[JSON] | None = None,
    ) -> JSON:
        """A photo; with ``media_group_id``, one of an album (Telegram sends each apart)."""
        small = self._new_file("photo", b"\xff\xd8\xff\xe0small", "jpg")
        big = self._new_file("photo", b"\xff\xd8\xff\xe0" + bytes(2048), "jpg")
        sizes = [self._photo_size(small, 90, 68), self._photo_size(big, 1280, 960)]
        fields: JSON = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
        if caption_entities:
            fields["caption_entities"] = caption_entities
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return self._user_message(user, fields, chat, reply_to_message_id)

    def send_voice(
        self, user: FakeUser | int, duration: int = 3, *, chat: JSON | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        voice = self._new_file("voice", b"OggS" + bytes(1000 * duration), "oga")
        fields = {"voice": {**self._file_fields(voice), "duration": duration,
                            "mime_type": "audio/ogg"}}
        return self._user_message(user, fields, chat, reply_to_message_id)

    def send_video_note(
        self, user: FakeUser | int, duration: int = 4, *, chat: JSON | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A round video message (a long press on the microphone's camera side)."""
        note = self._new_file("video_note", b"\x00\x00\x00\x18ftypmp42" + bytes(2000), "mp4")
        fields = {"video_note": {**self._file_fields(note), "duration": duration,
                                 "length": 384}}
        return self._user_message(user, fields, chat, reply_to_message_id)

    def send_document(
        self,
        user: FakeUser | int,
        file_name: str = "brief.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        content: bytes | None = None,
        chat: JSON | None = None,
    ) -> JSON:
        data = content if content is not None else b"%PDF-1.4\n% fake\n" + bytes(500)
        doc = self._new_file("document", data, file_name.rsplit(".", 1)[-1], file_name)
        fields: JSON = {"document": {**self._file_fields(doc), "file_name": file_name,
                                     "mime_type": mime_type}}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user, fields, chat)

    def send_sticker(self, user: FakeUser | int, emoji: str = "👍") -> JSON:
        sticker = self._new_file("sticker", b"RIFF....WEBP", "webp")
        fields = {"sticker": self._sticker(sticker, emoji)}
        return self._user_message(user, fields, None)

    def send_location(self, user: FakeUser | int, lat: float, lon: float) -> JSON:
        return self._user_message(user, {"location": {"latitude": lat, "longitude": lon}}, None)

    def send_contact(
        self, user: FakeUser | int, phone_number: str = "+31612345678"
    ) -> JSON:
        user = self._as_user(user)
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        return self._user_message(user, {"contact": contact}, None)

    def send_poll(
        self, user: FakeUser | int, question: str = "Welke dag?",
        options: Iterable[str] = ("Maandag", "Dinsdag"),
    ) -> JSON:
        return self._user_message(user, {"poll": self._poll(question, list(options))}, None)

    def send_group_text(
        self, user: FakeUser | int, group_id: int, text: str, group_type: str = "group"
    ) -> JSON:
        chat = self._chats.get(group_id) or {
            "id": group_id, "type": group_type, "title": f"Test group {group_id}"
        }
        return self.send_text(user, text, chat=chat)

    def send_group_join(self, user: FakeUser | int, group_id: int,
                        members: list[JSON]) -> JSON:
        """The service message of ``members`` (User objects) joining a group, added by user."""
        chat = self._chats.get(group_id) or {
            "id": group_id, "type": "group", "title": f"Test group {group_id}"
        }
        return self._user_message(user, {"new_chat_members": members}, chat)

    def send_edited_text(
        self, user: FakeUser | int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> JSON:
        user = self._as_user(user)
        chat_id = user.id if chat_id is None else chat_id
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.from_bot:
            raise AssertionError(f"no user message {message_id} in chat {chat_id}")
        message = stored.message
        message["text"] = text
        message.pop("entities", None)
        if entities := command_entities(text):
            message["entities"] = entities
        message["edit_date"] = int(time.time())
        return self.queue_update({"edited_message": copy.deepcopy(message)})

    def send_channel_post(self, channel_id: int, text: str) -> JSON:
        chat = self._chats.setdefault(
            channel_id, {"id": channel_id, "type": "channel", "title": f"Channel {channel_id}"}
        )
        message = {
            "message_id": self._next_message_id(channel_id),
            "sender_chat": dict(chat),
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        self._store(message, from_bot=False)
        return self.queue_update({"channel_post": copy.deepcopy(message)})

    def press(self, user: FakeUser | int, message: JSON | int, callback_data: str) -> JSON:
        """A callback_query update for a button on ``message`` (dict, or id in the private chat)."""
        user = self._as_user(user)
        if isinstance(message, int):
            chat_id, message_id = user.id, message
        else:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None and isinstance(message, int):
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        current = copy.deepcopy(stored.message if stored else message)
        query_id = str(4_200_000_000_000_000_000 + next(self._callback_counter))
        return self.queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "chat_instance": str(8_000_000_000_000 + abs(chat_id)),
                    "message": current,
                    "data": callback_data,
                }
            }
        )

    def press_button(
        self,
        user: FakeUser | int,
        text: str | None = None,
        *,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """Press the newest inline button with this text (exact, else substring) and/or data."""
        user = self._as_user(user)
        chat_id = user.id if chat_id is None else chat_id
        messages = list(reversed(self.transcript(chat_id)))

        def find(exact: bool) -> tuple[JSON, str] | None:
            for message in messages:
                for label, callback_data in self.inline_buttons(message):
                    if not callback_data:
                        continue
                    if text is not None and not (label == text if exact else text in label):
                        continue
                    if data is not None and callback_data != data:
                        continue
                    return message, callback_data
            return None

        hit = find(exact=True) or (find(exact=False) if text is not None else None)
        if hit is None:
            visible = [
                f"msg {m['message_id']}: {self.inline_buttons(m)}"
                for m in messages
                if self.inline_buttons(m)
            ]
            raise AssertionError(
                f"no inline button text={text!r} data={data!r} in chat {chat_id}; visible:\n  "
                + "\n  ".join(visible or ["(none)"])
            )
        return self.press(user, hit[0], hit[1])

    def _as_user(self, user: FakeUser | int) -> FakeUser:
        if isinstance(user, FakeUser):
            if user.id not in self._users:
                self._users[user.id] = user
                self._chats.setdefault(user.id, user.chat())
            return user
        return self._users.get(user) or self.user(user)

    def _user_message(
        self,
        user: FakeUser | int,
        fields: JSON,
        chat: JSON | None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        user = self._as_user(user)
        chat = dict(chat) if chat is not None else user.chat()
        self._chats.setdefault(chat["id"], chat)
        message: JSON = {
            "message_id": self._next_message_id(chat["id"]),
            "from": user.to_dict(),
            "chat": chat,
            "date": int(time.time()),
            **fields,
        }
        if reply_to_message_id is not None:
            replied = self._messages.get(chat["id"], {}).get(reply_to_message_id)
            if replied is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat['id']}")
            message["reply_to_message"] = self._snapshot(replied.message)
        self._store(message, from_bot=False)
        return self.queue_update({"message": copy.deepcopy(message)})

    # ----------------------------------------------------------------------------------------
    # messages and files

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _store(self, message: JSON, *, from_bot: bool, keyboard: JSON | None = None) -> None:
        chat_id = message["chat"]["id"]
        self._messages.setdefault(chat_id, {})[message["message_id"]] = _Stored(
            message, from_bot, keyboard=keyboard
        )

    def _remember(self, message: JSON) -> None:
        """Store a message from a raw update, unless it is known already."""
        chat = message.get("chat") or {}
        if "id" not in chat or "message_id" not in message:
            return
        self._chats.setdefault(chat["id"], dict(chat))
        chat_messages = self._messages.setdefault(chat["id"], {})
        if message["message_id"] not in chat_messages:
            chat_messages[message["message_id"]] = _Stored(copy.deepcopy(message), False)
            last = self._last_message_id.get(chat["id"], 0)
            self._last_message_id[chat["id"]] = max(last, message["message_id"])

    @staticmethod
    def _snapshot(message: JSON) -> JSON:
        replied = copy.deepcopy(message)
        replied.pop("reply_to_message", None)  # Telegram does not nest replies
        return replied

    def _new_file(
        self, kind: str, content: bytes, ext: str, file_name: str | None = None
    ) -> _File:
        n = next(self._file_counter)
        file_id = f"{kind.upper()}-{n:06d}-{self.bot_id}"
        path = f"{kind}s/file_{n}.{ext}"
        mime = mimetypes.guess_type(file_name or path)[0]
        stored = _File(file_id, f"U{kind[:2]}{n:06d}", path, content, file_name, mime)
        self._files[file_id] = stored
        return stored

    @staticmethod
    def _file_fields(stored: _File) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }

    def _photo_size(self, stored: _File, width: int, height: int) -> JSON:
        return {**self._file_fields(stored), "width": width, "height": height}

    def _sticker(self, stored: _File, emoji: str | None) -> JSON:
        sticker = {**self._file_fields(stored), "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "type": "regular"}
        if emoji:
            sticker["emoji"] = emoji
        return sticker

    def _poll(self, question: str, options: list[Any]) -> JSON:
        texts = [o if isinstance(o, str) else o.get("text", "") for o in options]
        return {
            "id": str(5_000_000_000 + next(self._file_counter)),
            "question": question,
            "options": [
                {"text": t, "voter_count": 0, "persistent_id": str(i)}
                for i, t in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }

    # ----------------------------------------------------------------------------------------
    # HTTP

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.method == "POST":
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    params[name] = {
                        "filename": value.filename,
                        "size": len(content),
                        "content": content,
                        "content_type": value.content_type,
                    }
                else:
                    raw[name] = value
        for name, value in raw.items():
            params[name] = self._parse_value(name, str(value))
        return params

    @staticmethod
    def _parse_value(name: str, value: str) -> Any:
        if name in STRING_PARAMS:
            return value
        if name in INT_PARAMS:
            return int(value) if re.fullmatch(r"-?\d+", value) else value
        try:
            return json.loads(value)
        except ValueError:
            return value

    async def _handle_api(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        canonical, handler = self._methods.get(method_name.lower(), (method_name, None))
        counts_as_activity = canonical != "getUpdates"
        if counts_as_activity:
            self._inflight += 1
        call = Call(canonical, {}, time.monotonic())
        try:
            if request.match_info["prefix"] != f"bot{self.token}":
                raise ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            if self.latency and canonical in SEND_METHODS:
                await asyncio.sleep(self.latency)
            elif self.call_latency and counts_as_activity:
                await asyncio.sleep(self.call_latency)
            call.at = time.monotonic()
            call.fault = self._draw_random_fault(canonical, call.params.get("chat_id"))
            if call.fault in ("drop", "timeout"):
                call.error_code, call.description = NO_ANSWER, f"injected: {call.fault}"
                return await self._no_answer(request, call)
            if call.fault in ("429", "500", "502"):
                raise self._random_error(call.fault)
            if call.fault in ("drop_after", "timeout_after"):  # handled, never answered
                try:
                    call.result = await self._dispatch(canonical, handler, call.params, call.at)
                except ApiError as error:
                    call.error_code, call.description = error.status, error.description
                return await self._no_answer(request, call)
            result = await self._dispatch(canonical, handler, call.params, call.at)
        except ApiError as error:
            call.error_code, call.description = error.status, error.description
            response = web.json_response(error.payload(), status=error.status)
        except ConnectionResetError:
            # The client went away mid-request (a bot killed with SIGKILL): not our bug.
            call.error_code, call.description = NO_ANSWER, "client went away"
            response = web.Response(status=499)
        except Exception:  # a bug in this fake: make it visible in assertion messages
            self.server_errors.append(traceback.format_exc())
            error = ApiError(500, "Internal Server Error: bug in FakeTelegram")
            call.error_code, call.description = error.status, error.description
            response = web.json_response(error.payload(), status=500)
        else:
            call.result = result
            response = web.json_response({"ok": True, "result": result})
        finally:
            if counts_as_activity:
                self._inflight -= 1
                self._last_activity = time.monotonic()
        self.calls.append(call)
        self._notify()
        return response

    def _random_error(self, kind: str) -> ApiError:
        if kind == "429":
            retry_after = self._random.retry_after if self._random else 1
            return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        return ApiError(int(kind), DEFAULT_DESCRIPTIONS[int(kind)])

    async def _no_answer(self, request: web.Request, call: Call) -> web.Response:
        """A dropped connection, or one that hangs first: recorded now, never answered."""
        self.calls.append(call)
        self._notify()
        if call.fault in ("timeout", "timeout_after"):
            await asyncio.sleep(self._random.hang if self._random else 6.0)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)  # written to a closed connection: never arrives

    async def _dispatch(
        self, method: str, handler: Callable[[JSON], Any] | None, params: JSON, now: float
    ) -> Any:
        chat_id = params.get("chat_id")
        if fault := self._take_fault(method, chat_id):
            raise fault
        if (method in SEND_METHODS or method in EDIT_METHODS) and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        limited = self.enforce_limits and method in MESSAGE_METHODS
        if limited:
            wait = self._rate_limit_wait(chat_id, now)
            if wait > 0:
                self.too_many_requests += 1
                retry_after = max(1, math.ceil(wait))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        if method == "getUpdates":
            return await self._get_updates(params)
        result = handler(params) if handler is not None else True
        if limited:  # only successful sends use up the quota
            for _window, sent, _limit in self._windows(chat_id):
                sent.append(now)
        return result

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["prefix"] != f"bot{self.token}":
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                self.downloads.append(path)
                return web.Response(body=stored.content)
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    # ----------------------------------------------------------------------------------------
    # Bot API methods

    def _method_table(self) -> dict[str, tuple[str, Callable[[JSON], Any] | None]]:
        table: dict[str, Callable[[JSON], Any] | None] = {
            "getUpdates": None,  # async, see _dispatch
            "getMe": lambda p: {
                **self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            },
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": lambda p: {
                "url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            },
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": lambda p: self._commands.get(self._commands_key(p), []),
            "setMyDescription": lambda p: self._set_bot_text(p, "description", 512),
            "setMyShortDescription": lambda p: self._set_bot_text(p, "short_description", 120),
            "setMyName": lambda p: self._set_bot_text(p, "name", 64),
            "getMyDescription": lambda p: self._get_bot_text(p, "description"),
            "getMyShortDescription": lambda p: self._get_bot_text(p, "short_description"),
            "getMyName": lambda p: self._get_bot_text(p, "name"),
            "setChatMenuButton": self._set_menu_button,
            "getChatMenuButton": lambda p: self._menu_buttons.get(
                p.get("chat_id"), {"type": "commands"}
            ),
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendVoice": lambda p: self._send_file(p, "voice", "oga", duration=True),
            "sendAudio": lambda p: self._send_file(p, "audio", "mp3", duration=True),
            "sendDocument": lambda p: self._send_file(p, "document", "bin"),
            "sendVideo": lambda p: self._send_file(p, "video", "mp4", duration=True, size=True),
            "sendAnimation": self._send_animation,
            "sendVideoNote": self._send_video_note,
            "sendSticker": self._send_sticker,
            "sendLocation": lambda p: self._bot_send(p, {"location": self._location(p)}),
            "sendVenue": self._send_venue,
            "sendContact": self._send_contact,
            "sendPoll": lambda p: self._bot_send(
                p, {"poll": self._poll(str(p.get("question", "")), p.get("options") or [])}
            ),
            "sendDice": lambda p: self._bot_send(
                p, {"dice": {"emoji": p.get("emoji") or "🎲", "value": 4}}
            ),
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "copyMessage": self._copy_message,
            "copyMessages": lambda p: self._copy_many(p, forward=False),
            "forwardMessage": self._forward_message,
            "forwardMessages": lambda p: self._copy_many(p, forward=True),
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageMedia": self._edit_media,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "setMessageReaction": self._set_reaction,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "leaveChat": lambda p: True,
            "close": lambda p: True,
            "logOut": lambda p: True,
        }
        return {name.lower(): (name, handler) for name, handler in table.items()}

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), 50.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        self._confirm(offset)
        # A newer getUpdates supersedes older pending ones (their client is usually gone).
        self._poll_generation += 1
        generation = self._poll_generation

        def ready() -> bool:
            self._drop_disallowed()
            return bool(self._updates) or self._stopping or generation != self._poll_generation

        await self._wait_until(ready, timeout)
        if generation != self._poll_generation or self._stopping:
            return []
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self.updates_delivered = max(self.updates_delivered, batch[-1]["update_id"])
            self._last_activity = time.monotonic()  # the bot is busy with them from now on
            self._notify()
        return batch

    def _confirm(self, offset: int) -> None:
        """Forget updates before ``offset``, as Telegram does (negative: keep the last N)."""
        if offset < 0:
            while len(self._updates) > -offset:
                self._drop_first()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._drop_first()

    def _drop_disallowed(self) -> None:
        """Updates of kinds left out of the bot's allowed_updates are never delivered."""
        allowed = self._allowed_updates
        if allowed and any(not allowed.intersection(u) for u in self._updates):
            self._updates = deque(u for u in self._updates if allowed.intersection(u))

    def _drop_first(self) -> None:
        update = self._updates.popleft()
        self.updates_confirmed = max(self.updates_confirmed, update["update_id"])
        self.updates_delivered = max(self.updates_delivered, update["update_id"])
        self._notify()

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            while self._updates:
                self._drop_first()
        return True

    def _set_webhook(self, params: JSON) -> bool:
        self.webhook_url = str(params.get("url") or "")
        return True

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("parameter \"commands\" must be an array of up to 100 commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is empty or too long")
        self._commands[self._commands_key(params)] = commands
        return True

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _set_bot_text(self, params: JSON, kind: str, max_length: int) -> bool:
        value = str(params.get(kind) or "")
        if len(value) > max_length:
            raise bad_request(f"{kind} is too long")
        self._bot_texts[(kind, str(params.get("language_code") or ""))] = value
        return True

    def _get_bot_text(self, params: JSON, kind: str) -> JSON:
        return {kind: self._bot_texts.get((kind, str(params.get("language_code") or "")), "")}

    def _set_menu_button(self, params: JSON) -> bool:
        self._menu_buttons[params.get("chat_id")] = params.get("menu_button") or {
            "type": "default"
        }
        return True

    # --- sending

    def _chat(self, chat_id: Any) -> JSON:
        """The chat dict for a chat_id; unknown numeric chats are made up."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            for chat in self._chats.values():
                if f"@{chat.get('username')}" == chat_id:
                    return dict(chat)
            raise bad_request("chat not found")
        if chat_id not in self._chats:
            if chat_id > 0:
                user = self._users.get(chat_id)
                self._chats[chat_id] = user.chat() if user else {
                    "id": chat_id, "type": "private", "first_name": f"User {chat_id}"
                }
            else:
                kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
                self._chats[chat_id] = {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}
        return dict(self._chats[chat_id])

    def _formatted(self, params: JSON, key: str) -> tuple[str | None, list[JSON] | None]:
        """Text (or caption) and its entities, parsing HTML like Telegram."""
        raw = params.get(key)
        if raw is None:
            return None, None
        text = str(raw)
        entities = params.get("entities" if key == "text" else "caption_entities")
        if isinstance(entities, list):
            return text, entities or None
        if str(params.get("parse_mode") or "").lower() == "html":
            text, parsed = parse_html(text)
            return text, parsed or None
        return text, None

    def _caption(self, params: JSON) -> JSON:
        caption, entities = self._formatted(params, "caption")
        if not caption:
            return {}
        if utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        return {"caption": caption, **({"caption_entities": entities} if entities else {})}

    @staticmethod
    def _split_markup(markup: Any) -> tuple[JSON | None, JSON | None]:
        """(inline markup for the Message, other reply markup) from a reply_markup param."""
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None, markup
        for row in markup["inline_keyboard"]:
            for button in row:
                if not button.get("text"):
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return (markup if any(markup["inline_keyboard"]) else None), None

    def _bot_send(self, params: JSON, fields: JSON) -> JSON:
        """Create, store and return a message the bot sends to params["chat_id"]."""
        chat = self._chat(params.get("chat_id"))
        inline, keyboard = self._split_markup(params.get("reply_markup"))
        message: JSON = {
            "message_id": 0,
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id", params.get("reply_to_message_id"))
        if reply_to is not None:
            reply_chat = reply.get("chat_id", chat["id"])
            replied = self._messages.get(reply_chat, {}).get(reply_to)
            if replied is not None and not replied.deleted:
                message["reply_to_message"] = self._snapshot(replied.message)
            elif not (reply.get("allow_sending_without_reply")
                      or params.get("allow_sending_without_reply")):
                raise bad_request("message to be replied not found")
        message.update(fields)
        if params.get("protect_content"):
            message["has_protected_content"] = True
        if inline is not None:
            message["reply_markup"] = inline
        message["message_id"] = self._next_message_id(chat["id"])
        self._store(message, from_bot=True, keyboard=keyboard)
        return copy.deepcopy(message)

    def _send_message(self, params: JSON) -> JSON:
        text, entities = self._formatted(params, "text")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > 4096:
            raise bad_request("message is too long")
        fields: JSON = {"text": text}
        if entities:
            fields["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            fields["link_preview_options"] = params["link_preview_options"]
        return self._bot_send(params, fields)

    def _input_file(self, params: JSON, name: str, ext: str) -> _File:
        """The file for a media param: an upload, "attach://x", an URL or a file_id."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, dict) and "content" in value:
            file_name = value.get("filename")
            suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else ext
            return self._new_file(name, value["content"], suffix, file_name)
        if isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                return self._new_file(name, b"downloaded from " + value.encode(), ext)
            if value not in self._files:  # a file_id we never saw: accept it
                self.add_file(value, b"content of " + value.encode())
            return self._files[value]
        raise bad_request(f"there is no {name} in the request")

    def _send_photo(self, params: JSON) -> JSON:
        stored = self._input_file(params, "photo", "jpg")
        sizes = [self._photo_size(stored, 1280, 960)]
        if stored.file_id.startswith("PHOTO-"):  # fresh upload: Telegram adds a thumbnail
            thumb = self._new_file("photo", stored.content[:64], "jpg")
            sizes.insert(0, self._photo_size(thumb, 90, 68))
        return self._bot_send(params, {"photo": sizes, **self._caption(params)})

    def _send_file(
        self, params: JSON, kind: str, ext: str, *, duration: bool = False, size: bool = False
    ) -> JSON:
        stored = self._input_file(params, kind, ext)
        media: JSON = self._file_fields(stored)
        if kind in ("document", "audio", "video", "animation") and stored.file_name:
            media["file_name"] = stored.file_name
        if stored.mime_type:
            media["mime_type"] = stored.mime_type
        if duration:
            media["duration"] = int(params.get("duration") or 1)
        if size:
            media["width"] = int(params.get("width") or 640)
            media["height"] = int(params.get("height") or 480)
        for extra in ("title", "performer"):
            if kind == "audio" and params.get(extra):
                media[extra] = params[extra]
        return self._bot_send(params, {kind: media, **self._caption(params)})

    def _send_animation(self, params: JSON) -> JSON:
        message = self._send_file(params, "animation", "mp4", duration=True, size=True)
        stored = self._messages[message["chat"]["id"]][message["message_id"]].message
        stored["document"] = {k: v for k, v in message["animation"].items()
                              if k not in ("width", "height", "duration")}
        return copy.deepcopy(stored)

    def _send_video_note(self, params: JSON) -> JSON:
        stored = self._input_file(params, "video_note", "mp4")
        note = {**self._file_fields(stored), "length": int(params.get("length") or 240),
                "duration": int(params.get("duration") or 1)}
        return self._bot_send(params, {"video_note": note})

    def _send_sticker(self, params: JSON) -> JSON:
        stored = self._input_file(params, "sticker", "webp")
        return self._bot_send(params, {"sticker": self._sticker(stored, params.get("emoji"))})

    @staticmethod
    def _location(params: JSON) -> JSON:
        try:
            return {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        except (KeyError, TypeError, ValueError):
            raise bad_request("wrong latitude or longitude") from None

    def _send_venue(self, params: JSON) -> JSON:
        venue = {"location": self._location(params), "title": str(params.get("title", "")),
                 "address": str(params.get("address", ""))}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key):
                venue[key] = params[key]
        return self._bot_send(params, {"venue": venue, "location": venue["location"]})

    def _send_contact(self, params: JSON) -> JSON:
        contact = {"phone_number": str(params.get("phone_number", "")),
                   "first_name": str(params.get("first_name", ""))}
        for key in ("last_name", "vcard"):
            if params.get(key):
                contact[key] = params[key]
        return self._bot_send(params, {"contact": contact})

    def _send_media_group(self, params: JSON) -> list[JSON]:
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media must include 2-10 items")
        group_id = str(13_000_000_000 + next(self._media_groups))
        messages = []
        for item in media:
            kind = item.get("type", "photo")
            item_params = {**params, kind: item.get("media"), "caption": item.get("caption"),
                           "parse_mode": item.get("parse_mode"),
                           "caption_entities": item.get("caption_entities")}
            item_params.pop("reply_markup", None)
            if kind == "photo":
                message = self._send_photo(item_params)
            else:
                message = self._send_file(item_params, kind, "bin", duration=kind != "document")
            stored = self._messages[message["chat"]["id"]][message["message_id"]].message
            stored["media_group_id"] = group_id
            messages.append(copy.deepcopy(stored))
        return messages

    def _send_chat_action(self, params: JSON) -> bool:
        self._chat(params.get("chat_id"))
        return True

    # --- copy, forward

    def _source(self, params: JSON, message_id: Any, verb: str) -> _Stored:
        from_chat = params.get("from_chat_id")
        stored = self._messages.get(from_chat, {}).get(message_id)
        if stored is None or stored.deleted:
            raise bad_request(f"message to {verb} not found")
        if not any(key in stored.message for key in CONTENT_KEYS):
            raise bad_request(f"message can't be {verb}ed")
        return stored

    def _copy_fields(self, source: JSON, params: JSON) -> JSON:
        fields = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        if "caption" in params and MEDIA_KEYS.intersection(fields):
            fields.pop("caption", None)
            fields.pop("caption_entities", None)
            fields.update(self._caption(params))
        return fields

    def _copy_message(self, params: JSON) -> JSON:
        source = self._source(params, params.get("message_id"), "copy")
        message = self._bot_send(params, self._copy_fields(source.message, params))
        return {"message_id": message["message_id"]}

    def _forward_fields(self, source: JSON) -> JSON:
        fields = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        if "forward_origin" in source:
            fields["forward_origin"] = copy.deepcopy(source["forward_origin"])
        elif source["chat"]["type"] == "channel":
            fields["forward_origin"] = {"type": "channel", "chat": dict(source["chat"]),
                                        "message_id": source["message_id"], "date": source["date"]}
        else:
            fields["forward_origin"] = {"type": "user", "sender_user": dict(source["from"]),
                                        "date": source["date"]}
        return fields

    def _forward_message(self, params: JSON) -> JSON:
        source = self._source(params, params.get("message_id"), "forward")
        forward_params = {k: v for k, v in params.items() if k != "reply_markup"}
        return self._bot_send(forward_params, self._forward_fields(source.message))

    def _copy_many(self, params: JSON, *, forward: bool) -> list[JSON]:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a list of 1-100 message identifiers")
        verb = "forward" if forward else "copy"
        sources = [self._source(params, message_id, verb) for message_id in sorted(ids)]
        result = []
        for source in sources:
            send_params = {"chat_id": params.get("chat_id")}
            fields = (self._forward_fields(source.message) if forward
                      else self._copy_fields(source.message, {}))
            if not forward and params.get("remove_caption"):
                fields.pop("caption", None)
                fields.pop("caption_entities", None)
            result.append({"message_id": self._bot_send(send_params, fields)["message_id"]})
        return result

    # --- edit, delete

    def _editable(self, params: JSON) -> _Stored | None:
        if params.get("inline_message_id"):
            return None  # inline messages are not tracked; Telegram answers True
        chat_id = self._chat(params.get("chat_id"))["id"]
        stored = self._messages.get(chat_id, {}).get(params.get("message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def _edit_markup(self, params: JSON) -> JSON | None:
        inline, other = self._split_markup(params.get("reply_markup"))
        if other is not None:
            raise bad_request("inline keyboard expected")
        return inline

    @staticmethod
    def _apply_edit(message: JSON, fields: JSON, markup: JSON | None) -> JSON:
        for key, value in fields.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        if markup is not None:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_text(self, params: JSON) -> JSON | bool:
        stored = self._editable(params)
        text, entities = self._formatted(params, "text")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > 4096:
            raise bad_request("message is too long")
        markup = self._edit_markup(params)
        if stored is None:
            return True
        message = stored.message
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        if (text, entities or None, markup) == (
            message.get("text"), message.get("entities") or None, message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(message, {"text": text, "entities": entities}, markup)

    def _edit_caption(self, params: JSON) -> JSON | bool:
        stored = self._editable(params)
        caption_fields = self._caption(params)
        markup = self._edit_markup(params)
        if stored is None:
            return True
        message = stored.message
        if not MEDIA_KEYS.intersection(message):
            raise bad_request("there is no caption in the message to edit")
        new = (caption_fields.get("caption"), caption_fields.get("caption_entities"), markup)
        old = (message.get("caption"), message.get("caption_entities"), message.get("reply_markup"))
        if new == old:
            raise bad_request(NOT_MODIFIED)
        fields = {"caption": new[0], "caption_entities": new[1]}
        return self._apply_edit(message, fields, markup)

    def _edit_media(self, params: JSON) -> JSON | bool:
        """A message's photo, video, file or audio replaced (with its caption), as Telegram:
        only a message with media (a text cannot become a photo), and a voice or video note
        stays as it is."""
        stored = self._editable(params)
        markup = self._edit_markup(params)
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in EDITABLE_MEDIA:
            raise bad_request("can't parse InputMedia")
        if stored is None:
            return True
        message = stored.message
        if not MEDIA_KEYS.intersection(message) or {"voice", "video_note"} & set(message):
            raise bad_request("there is no media in the message to edit")
        kind = media["type"]
        file = self._input_file({**params, kind: media.get("media")}, kind,
                                EDITABLE_MEDIA[kind])
        fields: JSON = dict.fromkeys(MEDIA_KEYS)
        if kind == "photo":
            fields["photo"] = [self._photo_size(file, 1280, 960)]
        else:
            fields[kind] = {**self._file_fields(file),
                            **({"file_name": file.file_name} if file.file_name else {})}
        caption = self._caption(media)
        fields["caption"] = caption.get("caption")
        fields["caption_entities"] = caption.get("caption_entities")
        old = {key: message.get(key) for key in fields}
        if {k: v for k, v in old.items() if v} == {k: v for k, v in fields.items() if v} \
                and markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(message, fields, markup)

    def _edit_reply_markup(self, params: JSON) -> JSON | bool:
        stored = self._editable(params)
        markup = self._edit_markup(params)
        if stored is None:
            return True
        if markup == stored.message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(stored.message, {}, markup)

    def _delete_message(self, params: JSON) -> bool:
        chat_id = self._chat(params.get("chat_id"))["id"]
        stored = self._messages.get(chat_id, {}).get(params.get("message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        return True

    def _delete_messages(self, params: JSON) -> bool:
        chat_id = self._chat(params.get("chat_id"))["id"]
        for message_id in params.get("message_ids") or []:
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is not None:
                stored.deleted = True
        return True

    def _set_reaction(self, params: JSON) -> bool:
        """The bot's reaction on a message: emoji of Telegram's list only (one, for a bot)."""
        chat_id = self._chat(params.get("chat_id"))["id"]
        stored = self._messages.get(chat_id, {}).get(params.get("message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to react not found")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list) or len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")
        emoji = [r.get("emoji") for r in reaction if isinstance(r, dict)]
        if any(r.get("type") != "emoji" for r in reaction) or any(
                e not in REACTION_EMOJI for e in emoji):
            raise bad_request("REACTION_INVALID")
        stored.reactions = [str(e) for e in emoji]
        return True

    def reactions(self, chat_id: int) -> dict[int, list[str]]:
        """The bot's reactions in a chat: message id -> its emoji (a test's view)."""
        return {message_id: list(stored.reactions)
                for message_id, stored in self._messages.get(chat_id, {}).items()
                if stored.reactions}

    # --- other

    def _answer_callback_query(self, params: JSON) -> bool:
        if str(params.get("callback_query_id")) not in self._callback_ids:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        return True

    def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        return {**self._file_fields(stored), "file_path": stored.file_path}

    def _get_chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id not in self._chats and not isinstance(chat_id, str):
            raise bad_request("chat not found")
        return {
            **self._chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: JSON) -> JSON:
        user_id = params.get("user_id")
        if user_id == self.bot_id:
            user: JSON = self.bot_user
        elif user_id in self._users:
            user = self._users[user_id].to_dict()
        else:
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return {"status": "member", "user": user}
