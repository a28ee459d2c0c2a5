"""The command menu, registered with setMyCommands per language and per chat."""

from __future__ import annotations

import asyncio

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.i18n import N_, SUPPORTED_LOCALES, _, use_locale
from bot.services.roles import STAFF, Role

PARENT_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start")),
    ("ask", N_("Ask a question (text, voice or photo)")),
    ("week", N_("The programme of the coming days")),
    ("language", N_("Choose your language")),
    ("school", N_("Add or remove a school")),
    ("settings", N_("Your settings")),
    ("help", N_("What can this bot do?")),
    ("privacy", N_("What we keep about you")),
    ("stop", N_("No more messages")),
    ("forget", N_("Erase all your data")),
]


# Brugfiguren see these too, in their own chat's menu; so does the coordinator.
BRUGFIGUUR_COMMANDS: list[tuple[str, str]] = [
    ("inbox", N_("Your open questions")),
    ("rsvps", N_("Who comes to the coming activities")),
    ("languages", N_("The languages you speak with parents")),
    ("availability", N_("When questions may reach you")),
]


# The coordinator sees these too, in their own chat's menu.
COORDINATOR_COMMANDS: list[tuple[str, str]] = [
    ("queue", N_("Every open question, and who holds it")),
    ("invite", N_("An invite link for a new brugfiguur")),
    ("reminders", N_("Reminders and quiet hours")),
    ("programme", N_("Preview next week's programme")),
    ("broadcast", N_("Send next week's programme")),
    ("broadcasts", N_("Past broadcasts and their figures")),
    ("announce", N_("Send an announcement to parents")),
    ("activities", N_("Cancel an activity and tell the parents")),
    ("activity", N_("Add an activity to the programme, or change one")),
    ("staff", N_("The team and the schools' contacts")),
    ("poster", N_("A poster with a QR code for each school")),
    ("report", N_("The monthly report: a chart and a spreadsheet")),
    ("cancel", N_("Stop the announcement or activity you are writing")),
]


def staff_commands(role: Role) -> list[tuple[str, str]]:
    """The commands a member of the team has beside the parents' (none for others)."""
    return ((BRUGFIGUUR_COMMANDS if role in STAFF else [])
            + (COORDINATOR_COMMANDS if role is Role.COORDINATOR else []))


def bot_commands(locale: str, role: Role = Role.PARENT) -> list[BotCommand]:
    commands = PARENT_COMMANDS + staff_commands(role)
    with use_locale(locale):
        return [BotCommand(name, _(description)) for name, description in commands]


async def register_menus(bot: Bot) -> None:
    """One menu per Telegram language; Dutch for everyone else (the coordinator's language).
    Side by side: the start waits for one round trip to Telegram, not four."""
    await asyncio.gather(bot.set_my_commands(bot_commands("nl")), *(
        bot.set_my_commands(bot_commands(locale), language_code=locale)
        for locale in SUPPORTED_LOCALES))


async def set_chat_menu(bot: Bot, chat_id: int, locale: str, role: Role = Role.PARENT) -> None:
    """The menu in the language the person chose (whatever their phone's language is), with
    the staff commands for staff."""
    await bot.set_my_commands(bot_commands(locale, role), scope=BotCommandScopeChat(chat_id))


async def clear_chat_menu(bot: Bot, chat_id: int) -> None:
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
