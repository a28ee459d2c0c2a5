"""The rules of onboarding, as plain functions: deep links, steps, language order."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.i18n import SUPPORTED_LOCALES, supported
from bot.services.roles import Role


class Step(StrEnum):
    LANGUAGE = "language"
    SCHOOL = "school"
    PRIVACY = "privacy"


ONBOARDING_STEPS = frozenset(Step)

# Telegram allows A-Z, a-z, 0-9, _ and - in a start parameter, at most 64 characters.
_PAYLOAD = re.compile(r"^(?P<kind>[a-z]+)_(?P<value>[A-Za-z0-9_-]{1,60})$")


@dataclass(frozen=True)
class StartLink:
    """What a deep link ``t.me/<bot>?start=<payload>`` asks for."""

    kind: str | None  # "school", "staff", or None for a plain Start
    value: str = ""
    malformed: bool = False


# Typed while the sign-up buttons wait, a text of this many words or more may be a question
# ("Okuldan bir mektup geldi, anlamadım"); a shorter one is a greeting or a try at answering
# ("Merhaba", "Türkçe").
QUESTION_WORDS = 3


def may_be_a_question(text: str, answers: Iterable[str]) -> bool:
    """Whether a text typed during sign-up is kept as a question: three words or more, and
    not one of the answers the buttons offer (a school's or a language's name) typed out."""
    if text.startswith("/") or len(text.split()) < QUESTION_WORDS:
        return False
    folded = text.casefold().strip(" .!?")
    return not any(folded in answer.casefold() for answer in answers)


# What a parent may type instead of tapping a language: its name in the three languages and
# in English, with and without the letters a phone keyboard may lack.
_TYPED_LANGUAGES = {
    "nl": ("nederlands", "dutch", "vlaams", "flemish", "felemenkçe", "felemenkce", "ਡੱਚ"),
    "tr": ("türkçe", "turkce", "türkce", "turkish", "turks", "ਤੁਰਕੀ"),
    "pa": ("ਪੰਜਾਬੀ", "punjabi", "panjabi", "pencapça", "pencapca", "pendjabi"),
}


# Polite words that may come with a language's name ("Türkçe lütfen", "punjabi please",
# "ਪੰਜਾਬੀ ਜੀ"): set aside, they name no language.
_PLEASE = frozenset(("lütfen", "lutfen", "please", "pls", "alstublieft", "aub", "graag",
                     "ji", "ਜੀ", "ਕਿਰਪਾ", "ਕਰਕੇ", "kripya", "in", "op", "ile", "bana",
                     "yaz", "yazın", "yazin", "write", "schrijf", "het"))


def typed_language(text: str) -> str | None:
    """The language a text typed at the first question names ("Türkçe", "punjabi"), if
    it names exactly one, alone or with polite words ("Türkçe lütfen")."""
    # Per word, letters and their marks only (Gurmukhi's vowel signs are marks): no
    # punctuation, no flag emoji.
    words = ["".join(ch for ch in word if unicodedata.category(ch)[0] in "LMN")
             for word in text.casefold().split()]
    folded = "".join(word for word in words if word not in _PLEASE)
    found = {code for code, names in _TYPED_LANGUAGES.items() if folded in names}
    return found.pop() if len(found) == 1 else None


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold())
                   if unicodedata.category(ch)[0] in "LN")


def typed_school(text: str, schools: Sequence[tuple[int, str, str]]) -> int | None:
    """The school a text typed at the school question names ("Klim-op", "wijdeland"), as
    ``(id, code, name)`` in ``schools``: its code, or a part of its name of four letters or
    more that no other school's name has. Case, accents, spaces and hyphens do not count."""
    typed = _letters(text)
    if len(typed) < 4:
        return None
    found = {school_id for school_id, code, name in schools
             if typed == _letters(code) or typed in _letters(name)}
    return found.pop() if len(found) == 1 else None


def parse_start_payload(payload: str | None) -> StartLink:
    if not payload:
        return StartLink(kind=None)
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return StartLink(kind=None, malformed=True)
    kinds = {"s": "school", "staff": "staff"}
    kind = kinds.get(match["kind"])
    if kind is None:
        return StartLink(kind=None, malformed=True)
    return StartLink(kind=kind, value=match["value"])


# In step_data: a /start link named no school we know; said with the next question asked in
# the person's language (at the language question we do not know it yet).
BAD_LINK = "bad_link"


def after_start_link(step_data: Mapping[str, Any], link: StartLink,
                     school_found: bool) -> dict[str, Any]:
    """step_data after a /start during sign-up: a school link we could not use is noted, a
    good one clears an older note, a plain /start leaves it as it was."""
    data = dict(step_data)
    if link.kind != "school" and not link.malformed:
        return data
    data.pop(BAD_LINK, None)
    if not school_found:
        data[BAD_LINK] = True
    return data


def bad_link_due(step: str | None, step_data: Mapping[str, Any]) -> bool:
    """Whether the question now asked says, once, that a link named no school we know."""
    return bool(step_data.get(BAD_LINK)) and step in (Step.SCHOOL, Step.PRIVACY)


# Buttons of /language and /school end in ":set" (they change a setting once signed up). The
# same buttons without it answer a sign-up question, and only while that question is open:
# one asked again leaves its older copy up in the chat, buttons and all.
SETTING = "set"


class Press(StrEnum):
    ACT = "act"
    SAME = "same"  # it is so already (a double tap): answered without a word
    EXPIRED = "expired"


def button_step(data: str, keyboard: Iterable[str]) -> Step | None:
    """The sign-up question a language or school button answers; None for a button of
    /language or /school. ``keyboard``: the callback data of the buttons beside it (the 🌐
    row under the school and privacy questions is told apart by its neighbours)."""
    if data.endswith(":" + SETTING):
        return None
    if data.startswith("school:"):
        return Step.SCHOOL
    neighbours = list(keyboard)
    if "privacy:ok" in neighbours:
        return Step.PRIVACY
    if any(other.startswith("school:") for other in neighbours):
        return Step.SCHOOL
    return Step.LANGUAGE


def language_press(button: Step | None, step: str | None, tapped: str,
                   current: str | None) -> Press:
    """What a language button does for a person at ``step`` who reads ``current``."""
    if button != step:
        # Not the open question's button: harmless, and silent when it changes nothing.
        return Press.SAME if tapped == current else Press.EXPIRED
    if button in (Step.SCHOOL, Step.PRIVACY) and tapped == current:
        return Press.SAME  # the 🌐 row never offers the current language: a second tap
    return Press.ACT


def school_press(button: Step | None, step: str | None, *, done: bool = False) -> Press:
    """What a school button (a school, or ``done``: Done) does for a person at ``step``."""
    if done and button == Step.SCHOOL and step == Step.PRIVACY:
        return Press.SAME  # Done tapped twice: the first brought the privacy notice
    return Press.ACT if button == step else Press.EXPIRED


def language_order(language_code: str | None) -> list[str]:
    """Telegram's guess goes first; it never decides for the person (it is often wrong)."""
    guess = supported(language_code)
    if guess is None:
        return list(SUPPORTED_LOCALES)
    return [guess, *(code for code in SUPPORTED_LOCALES if code != guess)]


def step_after_language(role: Role, school_ids: tuple[int, ...] | list[int]) -> Step:
    """Parents pick their school unless a deep link did; staff skip to the privacy notice."""
    if role in (Role.PARENT, Role.STRANGER) and not school_ids:
        return Step.SCHOOL
    return Step.PRIVACY
