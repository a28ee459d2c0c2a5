"""Webhook mode: the secret header guards the door, /healthz tells the load balancer the
truth about the database, and a shutdown finishes the update in hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.webhook import SECRET_HEADER, serve
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import free_port

SECRET = "s3cret-for-the-tests-only-0123456789"
Hook = tuple[str, asyncio.Event, Application]  # base URL, SIGTERM, the Application behind it


@pytest.fixture
async def webhook(settings: Settings, db: Database, fake: FakeTelegram,
                  clock: FixedClock) -> AsyncIterator[Hook]:
    port = free_port()
    hooked = replace(settings, mode="webhook", webhook_url="https://bot.example.org/telegram",
                     webhook_secret=SECRET, listen="127.0.0.1", port=port)
    application = build_application(hooked, db=db)
    application.bot_data["clock"] = clock
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, hooked, stop))
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as client:
        for _ in range(100):  # until the server listens
            try:
                async with client.get(f"{base}/healthz"):
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    yield base, stop, application
    stop.set()
    await task


async def post(base: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as client, client.post(
            f"{base}/telegram", json=update, headers=headers) as response:
        return response.status


async def test_only_telegram_with_the_secret_gets_in(
    webhook: Hook, fake: FakeTelegram
) -> None:
    base, _stop, _application = webhook
    assert fake.webhook_url == "https://bot.example.org/telegram"
    update = fake.send_text(fake.user(4101, "Els", "nl"), "/start")
    assert await post(base, update, None) == 403
    assert await post(base, update, "wrong-secret-wrong-secret") == 403
    await asyncio.sleep(0.3)
    assert fake.transcript(4101)[1:] == []  # nothing processed: only Els's own message

    assert await post(base, update, SECRET) == 200
    await fake.wait_for("sendMessage", chat_id=4101, after=0, timeout=10)
    assert "Welkom" in fake.texts(4101)[-1]


async def test_healthz_reports_a_broken_database(
    webhook: Hook, db: Database
) -> None:
    base, _stop, _application = webhook
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{base}/healthz") as response:
            assert response.status == 200 and (await response.json())["database"] == "up"
        broken = Database.create("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
        real_ping = db.ping
        db.ping = broken.ping  # type: ignore[method-assign]
        try:
            async with client.get(f"{base}/healthz") as response:
                assert response.status == 503
                assert (await response.json())["database"] == "down"
        finally:
            db.ping = real_ping  # type: ignore[method-assign]
            await broken.close()


async def test_an_update_the_database_cannot_note_is_left_for_telegram_to_post_again(
    webhook: Hook, fake: FakeTelegram, db: Database
) -> None:
    """The id is noted in the database before the 200 (storage/received_updates.py); when
    the database does not answer, a 503 makes Telegram post it again, and nothing is lost."""
    base, _stop, application = webhook
    update = fake.send_text(fake.user(4104, "Harpreet", "pa"), "/start")
    broken = Database.create("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    application.bot_data["db"] = broken
    try:
        assert await post(base, update, SECRET) == 503
    finally:
        application.bot_data["db"] = db
        await broken.close()
    await asyncio.sleep(0.3)
    assert fake.calls_of("sendMessage", chat_id=4104) == []
    assert await post(base, update, SECRET) == 200  # Telegram's retry
    await fake.wait_for("sendMessage", chat_id=4104, after=0, timeout=10)
    assert await post(base, update, SECRET) == 200  # and one more: taken already
    await asyncio.sleep(0.3)
    assert len(fake.calls_of("sendMessage", chat_id=4104)) == 1


async def test_a_shutdown_finishes_the_update_in_hand(
    webhook: Hook, fake: FakeTelegram
) -> None:
    base, stop, _application = webhook
    fake.latency = 0.3  # the answer takes a while
    update = fake.send_text(fake.user(4102, "Ayşe", "tr"), "/start")
    assert await post(base, update, SECRET) == 200
    await asyncio.sleep(0.1)  # the bot is busy with it
    stop.set()  # SIGTERM, as the platform sends it
    await asyncio.sleep(0.05)
    # While it finishes: new updates are turned away (Telegram sends them again, elsewhere),
    # and the load balancer hears that this instance is going.
    later = fake.send_text(fake.user(4103, "Els", "nl"), "/start")
    assert await post(base, later, SECRET) == 503
    async with aiohttp.ClientSession() as client, client.get(f"{base}/healthz") as response:
        assert response.status == 503 and (await response.json())["closing"] is True
    await fake.wait_for("sendMessage", chat_id=4102, after=0, timeout=10)
    assert len(fake.calls_of("sendMessage", chat_id=4102)) == 1
    assert fake.calls_of("sendMessage", chat_id=4103) == []


async def test_a_body_that_is_no_update_is_refused(
    webhook: Hook, fake: FakeTelegram
) -> None:
    base, _stop, _application = webhook
    for body in ([1, 2], None, "update", 42):
        assert await post(base, body, SECRET) == 400, body  # type: ignore[arg-type]
    assert fake.calls_of("sendMessage") == []
