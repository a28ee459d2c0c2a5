"""The plain rules behind onboarding and roles (no Telegram involved)."""

from __future__ import annotations

import pytest

from bot.services.onboarding import (
    StartLink,
    Step,
    language_order,
    may_be_a_question,
    parse_start_payload,
    typed_language,
)
from bot.services.onboarding import step_after_language as after_language
from bot.services.roles import Role, resolve_role


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, StartLink(kind=None)),
        ("", StartLink(kind=None)),
        ("s_klimop", StartLink(kind="school", value="klimop")),
        ("s_KlimOp", StartLink(kind="school", value="KlimOp")),
        ("s_", StartLink(kind=None, malformed=True)),
        ("x_klimop", StartLink(kind=None, malformed=True)),
        ("klimop", StartLink(kind=None, malformed=True)),
        ("s_klim op", StartLink(kind=None, malformed=True)),
        ("s_" + "a" * 61, StartLink(kind=None, malformed=True)),
        ("s_<script>", StartLink(kind=None, malformed=True)),
    ],
)
def test_parse_start_payload(payload: str | None, expected: StartLink) -> None:
    assert parse_start_payload(payload) == expected


@pytest.mark.parametrize(
    ("language_code", "order"),
    [
        (None, ["nl", "tr", "pa"]),
        ("en", ["nl", "tr", "pa"]),
        ("tr", ["tr", "nl", "pa"]),
        ("tr-TR", ["tr", "nl", "pa"]),
        ("pa", ["pa", "nl", "tr"]),
        ("nl-BE", ["nl", "tr", "pa"]),
    ],
)
def test_language_order_puts_telegrams_guess_first(language_code: str | None,
                                                    order: list[str]) -> None:
    assert language_order(language_code) == order


@pytest.mark.parametrize(
    ("role", "schools", "step"),
    [
        (Role.PARENT, (), Step.SCHOOL),
        (Role.STRANGER, (), Step.SCHOOL),
        (Role.PARENT, (3,), Step.PRIVACY),
        (Role.COORDINATOR, (), Step.PRIVACY),
        (Role.BRUGFIGUUR, (), Step.PRIVACY),
    ],
)
def test_step_after_language(role: Role, schools: tuple[int, ...], step: Step) -> None:
    assert after_language(role, schools) == step


@pytest.mark.parametrize(
    ("stored", "telegram_id", "coordinators", "role"),
    [
        (None, 1, frozenset(), Role.STRANGER),
        (None, 1, frozenset({1}), Role.COORDINATOR),
        ("parent", 1, frozenset(), Role.PARENT),
        ("parent", 1, frozenset({1}), Role.COORDINATOR),
        ("brugfiguur", 1, frozenset(), Role.BRUGFIGUUR),
        ("coordinator", 1, frozenset(), Role.PARENT),  # no longer in COORDINATOR_IDS
        ("nonsense", 1, frozenset(), Role.PARENT),
    ],
)
def test_resolve_role(stored: str | None, telegram_id: int, coordinators: frozenset[int],
                      role: Role) -> None:
    assert resolve_role(stored, telegram_id, coordinators) is role


@pytest.mark.parametrize(("text", "kept"), [
    ("Okuldan bir mektup geldi, anlamadım.", True),
    ("Hallo, ik heb een vraag", True),
    ("ਸਕੂਲ ਦੀ ਚਿੱਠੀ ਸਮਝ ਨਹੀਂ ਆਈ", True),
    ("Merhaba", False),  # a greeting
    ("Goedemorgen juf", False),
    ("Türkçe", False),  # the language button, typed
    ("Vrije Basisschool Klim-op", False),  # the school button, typed
    ("vrije basisschool klim-op.", False),
    ("/start s_klimop now", False),
])
def test_a_text_typed_during_sign_up_is_kept_when_it_may_be_a_question(
        text: str, kept: bool) -> None:
    answers = ["Nederlands", "Türkçe", "ਪੰਜਾਬੀ", "Vrije basisschool Klim-op",
               "GO! Basisschool Engelmanshoven"]
    assert may_be_a_question(text, answers) is kept


@pytest.mark.parametrize(("text", "expected"), [
    ("Türkçe", "tr"), ("TURKCE", "tr"), ("türkçe 🇹🇷", "tr"), ("Turkish.", "tr"),
    ("ਪੰਜਾਬੀ", "pa"), ("Punjabi", "pa"), ("Nederlands", "nl"), ("vlaams!", "nl"),
    ("merhaba", None), ("Türkçe biliyorum", None), ("", None), ("1", None),
])
def test_a_language_typed_at_the_first_question(text: str, expected: str | None) -> None:
    assert typed_language(text) == expected
