"""Tests of the fake Telegram server, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram

TOKEN = DEFAULT_TOKEN
GROUP = -100

# PTB itself reads RetryAfter.retry_after when building the exception.
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`:DeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_id=123456) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.file_url) as plain_bot:
        yield plain_bot


# --- a small bot application ------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = ReplyKeyboardMarkup([["🏫 School", "ℹ️ Help"]], resize_keyboard=True)
    args = " ".join(context.args or [])
    await update.effective_message.reply_text(
        f"<b>Hoi</b> {update.effective_user.first_name} ({args})",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text
    if text == "ℹ️ Help":
        await update.effective_message.reply_text("Help", reply_markup=ReplyKeyboardRemove())
        return
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Klik hier", callback_data="clicked")]])
    await update.effective_message.reply_text(text, reply_markup=buttons, do_quote=True)


async def clicked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Done")
    await query.edit_message_text(f"You pressed {query.data}")


async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await asyncio.sleep(0.15)  # e.g. a database query: no API call for a while
    await update.effective_message.reply_text("slow done")


async def voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    file = await message.voice.get_file()
    data = await file.download_as_bytearray()
    await context.bot.copy_message(GROUP, message.chat_id, message.message_id)
    await message.reply_text(f"voice of {len(data)} bytes")


@pytest.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("slow", slow))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(MessageHandler(filters.VOICE, voice))
    application.add_handler(CallbackQueryHandler(clicked))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# --- tests with the application ----------------------------------------------------------


async def test_echo_and_inline_button(fake: FakeTelegram, app: Application) -> None:
    ayse = fake.user(1001, "Ayse", language_code="tr")
    assert fake.calls_of("getMe") and fake.calls_of("deleteWebhook")

    fake.mark()
    fake.send_text(ayse, "123")  # stays a string, not a number
    sent = await fake.wait_for("sendMessage", chat_id=ayse.id)
    assert sent.ok and sent.params["text"] == "123"
    assert sent.params["reply_parameters"]["message_id"] == 1
    assert fake.texts(ayse.id) == ["123"]
    message = fake.last_message(ayse.id)
    assert message["message_id"] == 2  # ids are shared with the user's messages
    assert message["reply_to_message"]["text"] == "123"
    assert fake.inline_buttons(message) == [("Klik hier", "clicked")]

    fake.mark()
    fake.press_button(ayse, "Klik")
    edit = await fake.wait_for("editMessageText")
    assert edit.params["message_id"] == message["message_id"]
    answer = fake.calls_of("answerCallbackQuery")[-1]
    assert answer.ok and answer.params["text"] == "Done"
    assert fake.texts(ayse.id) == ["You pressed clicked"]
    assert "reply_markup" not in fake.last_message(ayse.id)  # edits drop the keyboard
    with pytest.raises(AssertionError, match="no inline button"):
        fake.press_button(ayse, "Klik")

    await fake.wait_idle(quiet=0.1)
    assert fake.updates_delivered == 2
    assert fake.sent_count_per_chat() == {ayse.id: 1}


async def test_command_html_and_reply_keyboard(fake: FakeTelegram, app: Application) -> None:
    jan = fake.user(1002, "Jan", language_code="nl")
    fake.mark()
    fake.send_command(jan, "/start s_abc")
    sent = await fake.wait_for("sendMessage", chat_id=jan.id)
    assert sent.params["parse_mode"] == "HTML"
    message = fake.last_message(jan.id)
    assert message["text"] == "Hoi Jan (s_abc)"  # tags became entities
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert "reply_markup" not in message  # only inline keyboards come back in a Message
    assert fake.reply_keyboard(jan.id) == ["🏫 School", "ℹ️ Help"]

    fake.mark()
    fake.press_key(jan, "Help")
    await fake.wait_for("sendMessage", lambda c: c.params["text"] == "Help")
    assert fake.reply_keyboard(jan.id) is None


async def test_wait_idle_waits_for_a_slow_handler(fake: FakeTelegram, app: Application) -> None:
    ayse = fake.user(1009)
    fake.send_command(ayse, "/slow")
    await fake.wait_idle(quiet=0.25)  # quiet counts from the moment the update was fetched
    assert fake.texts(ayse.id) == ["slow done"]


async def test_voice_download_and_copy(fake: FakeTelegram, app: Application) -> None:
    ayse = fake.user(1003)
    fake.send_group_text(ayse, GROUP, "hello group")  # make the group known
    fake.mark()
    update = fake.send_voice(ayse, duration=2)
    reply = await fake.wait_for("sendMessage", chat_id=ayse.id)
    assert reply.params["text"] == "voice of 2004 bytes"
    assert fake.calls_of("getFile")[-1].result["file_size"] == 2004
    assert len(fake.downloads) == 1

    copied = fake.last_message(GROUP)
    assert copied["voice"] == update["message"]["voice"]  # a copied voice stays a voice
    assert copied["from"]["is_bot"] is True
    assert copied["chat"]["id"] == GROUP


# --- tests with a plain Bot --------------------------------------------------------------


async def test_faults_map_to_ptb_errors(fake: FakeTelegram, bot: Bot) -> None:
    ayse = fake.user(1004)
    fake.fail_next("sendMessage", 429, retry_after=1)
    with pytest.raises(RetryAfter, match="Retry in"):
        await bot.send_message(ayse.id, "hi")
    assert fake.calls[-1].error_code == 429
    assert fake.transcript(ayse.id) == []
    await bot.send_message(ayse.id, "hi")  # only the next call failed

    fake.block_chat(ayse.id)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(ayse.id, "hi again")
    fake.unblock_chat(ayse.id)

    message = await bot.send_message(ayse.id, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("same", ayse.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ayse.id, 999)
    # PTB drops "Bad Request: " and capitalizes the rest of Telegram's description
    with pytest.raises(BadRequest, match=r"^Can't parse entities: unsupported start tag"):
        await bot.send_message(ayse.id, "Hoi <Jan>", parse_mode=ParseMode.HTML)
    assert fake.calls[-1].description == (
        "Bad Request: can't parse entities: Unsupported start tag \"jan\" at byte offset 4"
    )
    assert await bot.delete_message(ayse.id, message.message_id)
    assert fake.texts(ayse.id) == ["hi"]

    with pytest.raises(InvalidToken):  # Bot.initialize() calls getMe
        async with Bot("654321:WRONG", base_url=fake.base_url):
            pass
    assert fake.calls[-1].method == "getMe" and fake.calls[-1].error_code == 401


async def test_params_uploads_and_commands(fake: FakeTelegram, bot: Bot) -> None:
    ayse = fake.user(1005)
    message = await bot.send_photo(ayse.id, b"\xff\xd8 jpeg bytes", caption="true")
    call = fake.calls_of("sendPhoto")[-1]
    assert call.params["caption"] == "true"  # plain-text params stay strings
    assert call.params["chat_id"] == ayse.id
    assert call.params["photo"]["size"] == len(b"\xff\xd8 jpeg bytes")
    file = await bot.get_file(message.photo[-1].file_id)
    assert await file.download_as_bytearray() == b"\xff\xd8 jpeg bytes"

    again = await bot.send_photo(ayse.id, message.photo[-1].file_id)
    assert again.photo[-1].file_id == message.photo[-1].file_id

    await bot.set_my_commands([("start", "Begin")], language_code="nl")
    assert [c.command for c in await bot.get_my_commands(language_code="nl")] == ["start"]
    assert await bot.get_my_commands() == ()
    chat = await bot.get_chat(ayse.id)
    assert chat.type == "private"


async def test_injected_updates_are_valid_for_ptb(fake: FakeTelegram, bot: Bot) -> None:
    ayse = fake.user(1006, "Ayse", language_code="tr", username="ayse")
    first = fake.send_text(ayse, "hoi")
    updates = [
        first,
        fake.send_text(ayse, "/start@bredeschool_test_bot x", reply_to_message_id=1),
        fake.send_photo(ayse, caption="foto"),
        fake.send_voice(ayse),
        fake.send_document(ayse),
        fake.send_sticker(ayse),
        fake.send_location(ayse, 52.37, 4.89),
        fake.send_contact(ayse),
        fake.send_poll(ayse),
        fake.send_group_text(ayse, GROUP, "hoi groep", group_type="supergroup"),
        fake.send_edited_text(ayse, 1, "hoi!"),
        fake.send_channel_post(-1001, "nieuws"),
        fake.press(ayse, 1, "data"),
        fake.queue_update({"my_chat_member": {}}),
    ]
    assert [u["update_id"] for u in updates] == list(range(1, 15))
    parsed = [Update.de_json(u, bot) for u in updates[:-1]]
    assert parsed[1].message.text.startswith("/start")
    assert parsed[1].message.entities[0].length == len("/start@bredeschool_test_bot")
    assert parsed[1].message.reply_to_message.text == "hoi"
    assert parsed[2].message.photo[-1].width == 1280
    assert parsed[9].effective_chat.type == "supergroup"
    assert parsed[10].edited_message.text == "hoi!"
    assert parsed[11].channel_post.text == "nieuws"
    assert parsed[12].callback_query.data == "data"

    updates = await bot.get_updates(offset=3, limit=5)
    assert [u.update_id for u in updates] == [3, 4, 5, 6, 7]
    assert fake.updates_confirmed == 2


async def test_rate_limits() -> None:
    async with (
        FakeTelegram(token=TOKEN, enforce_limits=True, global_per_second=3) as fake,
        Bot(TOKEN, base_url=fake.base_url) as bot,
    ):
        await bot.send_message(1, "one")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "two")  # 1 per second per chat
        await bot.send_message(2, "other chat")
        await bot.send_message(3, "third chat")
        with pytest.raises(RetryAfter):
            await bot.send_message(4, "over the global limit")
        assert fake.too_many_requests == 2
        assert fake.calls[-1].error_code == 429
        assert fake.sent_count_per_chat() == {1: 1, 2: 1, 3: 1}


async def test_latency() -> None:
    async with (
        FakeTelegram(token=TOKEN, latency=0.1) as fake,
        Bot(TOKEN, base_url=fake.base_url) as bot,
    ):
        started = time.monotonic()
        await bot.send_message(1, "slow network")
        assert time.monotonic() - started >= 0.1


async def test_long_poll_wakes_fast_and_stop_ends_it(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        fake.send_text(fake.user(1007), "wake up")
        response = await poll
        assert time.monotonic() - started < 0.5
        assert [u["update_id"] for u in response.json()["result"]] == [1]

        poll = asyncio.create_task(client.post(url, data={"offset": "2", "timeout": "5"}))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await fake.stop()
        assert (await poll).json() == {"ok": True, "result": []}
        assert time.monotonic() - started < 0.5
        assert fake.updates_confirmed == 1


async def test_wait_for_times_out_with_summary(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(1008, "hello")
    fake.mark()
    with pytest.raises(AssertionError, match=r"(?s)no \['sendPhoto'\].*sendMessage"):
        await fake.wait_for("sendPhoto", timeout=0.05)
    call = await fake.wait_for("sendMessage", after=0)
    assert call.params["text"] == "hello"
