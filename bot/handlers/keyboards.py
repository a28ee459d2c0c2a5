"""Buttons, rendered in the current locale. Callback data stays short (Telegram allows 64 bytes)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import (
    LANGUAGE_NAMES,
    N_,
    SUPPORTED_LOCALES,
    _,
    current_locale,
    in_every_locale,
)
from bot.services.onboarding import SETTING
from bot.services.people import SchoolView

# Callback data: "<flow>:<action>[:<argument>]"; each handler's pattern accepts only its own.
# The buttons of /language and /school end in ":set"; without it they answer a sign-up
# question (bot.services.onboarding.button_step).
LANGUAGE_DATA = r"^lang:(nl|tr|pa)(:set)?$"
# school:+:<id> adds, school:-:<id> removes (a double tap does it once); school:t:<id>, on
# messages from before, adds or removes.
SCHOOL_TOGGLE_DATA = r"^school:([+t-]):(\d{1,6})(:set)?$"
SCHOOL_DONE_DATA = r"^school:done(:set)?$"
PRIVACY_OK_DATA = r"^privacy:ok$"
FORGET_DATA = r"^forget:(yes|no)$"


@dataclass(frozen=True)
class MainAction:
    """A big button of the persistent keyboard: an icon and one or two words."""

    key: str
    icon: str
    label: str  # msgid, translated when shown

    def caption(self) -> str:
        return f"{self.icon} {_(self.label)}"


# Later flows add theirs here (this week, ask a question...). A tap sends the caption; the
# icon identifies the button, so a keyboard sent in another language, or with an older
# wording that stays in a parent's chat, still works.
MAIN_ACTIONS: list[MainAction] = [
    MainAction("ask", "❓", N_("Ask a question")),
    MainAction("week", "📅", N_("This week")),
    MainAction("school", "🏫", N_("My school")),
    MainAction("language", "🌐", N_("Language")),
    MainAction("help", "ℹ️", N_("Help")),
]


def main_action_for(text: str, *, exact: bool = False) -> MainAction | None:
    """The big button ``text`` is a tap of (its icon first), or None. ``exact``: only a
    caption as we ship it, in any language: where a typed text is awaited (a title "ℹ️
    Infoavond" is a title, not a tap)."""
    stripped = text.strip()
    if exact:
        return _captions().get(stripped)
    return next((action for action in MAIN_ACTIONS if stripped.startswith(action.icon)), None)


@functools.cache
def _captions() -> dict[str, MainAction]:
    return {f"{action.icon} {label}": action for action in MAIN_ACTIONS
            for label in in_every_locale(action.label)}


def main_keyboard() -> ReplyKeyboardMarkup:
    """Asking a question gets the whole first row: it is what parents need most."""
    return _main_keyboard(current_locale())


@functools.cache
def _main_keyboard(locale: str) -> ReplyKeyboardMarkup:
    # Built once per language: most answers carry it, and Telegram objects are frozen.
    captions = [KeyboardButton(action.caption()) for action in MAIN_ACTIONS]
    rest = captions[1:]
    rows = [captions[:1], *(rest[i : i + 2] for i in range(0, len(rest), 2))]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def language_keyboard(order: list[str], *, setting: bool = False) -> InlineKeyboardMarkup:
    """The sign-up language question's buttons, or (``setting``) those of /language."""
    end = ":" + SETTING if setting else ""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"lang:{code}{end}")]
         for code in order]
    )


def other_languages(current: str | None) -> list[InlineKeyboardButton]:
    """During sign-up, under the school and privacy questions: a wrong language tap is one
    tap from undone (each language's name in its own script, readable by its reader)."""
    return [InlineKeyboardButton("🌐 " + LANGUAGE_NAMES[code], callback_data=f"lang:{code}")
            for code in SUPPORTED_LOCALES if code != current]


def school_keyboard(schools: list[SchoolView], chosen: set[int],
                    signing_up_in: str | None = None) -> InlineKeyboardMarkup:
    """``signing_up_in``: the language of a parent still signing up (the other ones below);
    without it, the buttons of /school."""
    end = "" if signing_up_in is not None else ":" + SETTING
    rows = [
        [InlineKeyboardButton(
            ("✅ " if s.id in chosen else "") + s.name,
            callback_data=f"school:{'-' if s.id in chosen else '+'}:{s.id}{end}")]
        for s in schools
    ]
    rows.append([InlineKeyboardButton("👍 " + _("Done"), callback_data=f"school:done{end}")])
    if signing_up_in is not None:
        rows.append(other_languages(signing_up_in))
    return InlineKeyboardMarkup(rows)


def privacy_keyboard(signing_up_in: str | None = None) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton("👍 " + _("OK"), callback_data="privacy:ok")]]
    if signing_up_in is not None:
        rows.append(other_languages(signing_up_in))
    return InlineKeyboardMarkup(rows)


def forget_keyboard(order: list[str] | None = None) -> InlineKeyboardMarkup:
    """Erase or keep; ``order``: each label in these languages, one after the other (no
    language chosen yet)."""
    def label(text: str) -> str:
        return " / ".join(in_every_locale(text, order)) if order else _(text)

    return InlineKeyboardMarkup([
        [InlineKeyboardButton("🗑 " + label(N_("Yes, erase everything")),
                              callback_data="forget:yes")],
        [InlineKeyboardButton("↩️ " + label(N_("No, keep my data")), callback_data="forget:no")],
    ])
