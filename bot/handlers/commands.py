"""The command menu, registered with setMyCommands per language and per chat."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.i18n import N_, SUPPORTED_LOCALES, _, use_locale

PARENT_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start")),
    ("week", N_("The programme of the coming days")),
    ("language", N_("Choose your language")),
    ("school", N_("Add or remove a school")),
    ("help", N_("What can this bot do?")),
    ("privacy", N_("What we keep about you")),
    ("stop", N_("No more messages")),
    ("forget", N_("Erase all your data")),
]


def bot_commands(locale: str) -> list[BotCommand]:
    with use_locale(locale):
        return [BotCommand(name, _(description)) for name, description in PARENT_COMMANDS]


async def register_menus(bot: Bot) -> None:
    """One menu per Telegram language; Dutch for everyone else (the coordinator's language)."""
    await bot.set_my_commands(bot_commands("nl"))
    for locale in SUPPORTED_LOCALES:
        await bot.set_my_commands(bot_commands(locale), language_code=locale)


async def set_chat_menu(bot: Bot, chat_id: int, locale: str) -> None:
    """The menu in the language the person chose, whatever their phone's language is."""
    await bot.set_my_commands(bot_commands(locale), scope=BotCommandScopeChat(chat_id))


async def clear_chat_menu(bot: Bot, chat_id: int) -> None:
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
