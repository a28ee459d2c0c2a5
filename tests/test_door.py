"""The one door: roles resolved once per update, staff-only handlers refuse everyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.app import build_application, running
from bot.config import Settings
from bot.handlers.door import BotContext, door
from bot.services.roles import STAFF, Role
from storage.db import Database
from tests.conftest import COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled

seen_roles: list[Role] = []


@door(roles=STAFF)
async def staff_only(update: Update, context: BotContext) -> None:
    """A stand-in for a later staff command: it answers only when the door let it in."""
    seen_roles.append(context.role)
    assert update.effective_chat is not None
    await update.effective_chat.send_message("staff door passed")


@pytest.fixture
async def staff_bot(settings: Settings, db: Database, fake: FakeTelegram) -> AsyncIterator[Chat]:
    app = build_application(settings, db=db)
    # First in group 0, as a real staff command would sit before the catch-alls.
    app.handlers[0].insert(0, CommandHandler("staffonly", staff_only))
    handled = Handled().watch(app)
    async with running(app):
        yield Chat(fake, handled)


async def test_staff_door_refuses_parents_and_strangers(staff_bot: Chat) -> None:
    seen_roles.clear()
    stranger = staff_bot.person(5001, "Stranger", language_code="tr")
    [refusal] = await stranger.says("/staffonly")
    assert refusal["text"] == "Üzgünüm, bu sadece Brede School ekibi için."

    parent = staff_bot.person(5002, "Els", language_code="nl")
    await parent.says("/start s_klimop")
    await parent.taps("Nederlands")
    await parent.taps(data="privacy:ok")
    [refusal] = await parent.says("/staffonly")
    assert refusal["text"] == "Sorry, dit is alleen voor het team van de Brede School."

    coordinator = staff_bot.person(COORDINATOR_ID, "Greet", language_code="nl")
    [passed] = await coordinator.says("/staffonly")
    assert passed["text"] == "staff door passed"
    assert seen_roles == [Role.COORDINATOR]
