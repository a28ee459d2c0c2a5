"""The plain rules behind onboarding and roles (no Telegram involved)."""

from __future__ import annotations

import pytest

from bot.services.onboarding import (
    BAD_LINK,
    Press,
    StartLink,
    Step,
    after_start_link,
    bad_link_due,
    button_step,
    language_order,
    language_press,
    may_be_a_question,
    parse_start_payload,
    school_press,
    typed_language,
    typed_school,
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


LANGUAGE_QUESTION = ["lang:tr", "lang:nl", "lang:pa"]
SCHOOL_QUESTION = ["school:+:1", "school:-:2", "school:done", "lang:nl", "lang:pa"]
PRIVACY_QUESTION = ["privacy:ok", "lang:nl", "lang:pa"]


@pytest.mark.parametrize(("data", "keyboard", "step"), [
    ("lang:tr", LANGUAGE_QUESTION, Step.LANGUAGE),
    ("lang:nl", SCHOOL_QUESTION, Step.SCHOOL),  # the 🌐 row under the school question
    ("lang:nl", PRIVACY_QUESTION, Step.PRIVACY),
    ("lang:nl", [], Step.LANGUAGE),  # a message too old to show its keyboard
    ("school:+:1", SCHOOL_QUESTION, Step.SCHOOL),
    ("school:t:1", [], Step.SCHOOL),  # on a message from before the + and -
    ("school:done", SCHOOL_QUESTION, Step.SCHOOL),
    ("lang:tr:set", ["lang:tr:set", "lang:nl:set"], None),  # /language
    ("school:+:1:set", ["school:+:1:set", "school:done:set"], None),  # /school
    ("school:done:set", [], None),
])
def test_the_question_a_button_answers(data: str, keyboard: list[str],
                                       step: Step | None) -> None:
    assert button_step(data, keyboard) == step


@pytest.mark.parametrize(("button", "step", "tapped", "current", "press"), [
    (Step.LANGUAGE, "language", "tr", None, Press.ACT),
    (Step.SCHOOL, "school", "pa", "tr", Press.ACT),  # the 🌐 row: a wrong language undone
    (Step.SCHOOL, "school", "tr", "tr", Press.SAME),  # ... tapped twice
    (Step.PRIVACY, "privacy", "nl", "tr", Press.ACT),
    (None, None, "nl", "tr", Press.ACT),  # /language
    (None, None, "tr", "tr", Press.ACT),  # /language, the same: said so again
    (Step.LANGUAGE, "school", "tr", "tr", Press.SAME),  # the second of a double tap
    (Step.LANGUAGE, "school", "nl", "tr", Press.EXPIRED),  # an older copy of the question
    (Step.SCHOOL, "privacy", "nl", "tr", Press.EXPIRED),
    (Step.PRIVACY, None, "nl", "tr", Press.EXPIRED),  # signed up: /language does that
    (Step.LANGUAGE, None, "pa", "tr", Press.EXPIRED),
    (Step.LANGUAGE, None, "tr", "tr", Press.SAME),
    (None, "language", "tr", None, Press.EXPIRED),  # a /language of before /forget
])
def test_what_a_language_button_does(button: Step | None, step: str | None, tapped: str,
                                     current: str | None, press: Press) -> None:
    assert language_press(button, step, tapped, current) is press


@pytest.mark.parametrize(("button", "step", "done", "press"), [
    (Step.SCHOOL, "school", False, Press.ACT),
    (Step.SCHOOL, "school", True, Press.ACT),
    (Step.SCHOOL, "privacy", True, Press.SAME),  # Done tapped twice
    (Step.SCHOOL, "privacy", False, Press.EXPIRED),
    (Step.SCHOOL, None, False, Press.EXPIRED),  # signed up: /school does that
    (Step.SCHOOL, None, True, Press.EXPIRED),
    (None, None, False, Press.ACT),  # /school
    (None, None, True, Press.ACT),
    (None, "school", False, Press.EXPIRED),
])
def test_what_a_school_button_does(button: Step | None, step: str | None, done: bool,
                                   press: Press) -> None:
    assert school_press(button, step, done=done) is press


@pytest.mark.parametrize(("before", "link", "found", "after"), [
    ({}, StartLink(kind="school", value="nosuch"), False, {BAD_LINK: True}),
    ({}, StartLink(kind=None, malformed=True), False, {BAD_LINK: True}),
    ({BAD_LINK: True}, StartLink(kind="school", value="klimop"), True, {}),
    ({BAD_LINK: True}, StartLink(kind=None), True, {BAD_LINK: True}),  # a plain /start
    ({"other": 1}, StartLink(kind="school", value="klimop"), True, {"other": 1}),
])
def test_a_start_link_during_sign_up(before: dict, link: StartLink, found: bool,
                                     after: dict) -> None:
    assert after_start_link(before, link, found) == after


@pytest.mark.parametrize(("step", "data", "due"), [
    ("language", {BAD_LINK: True}, False),  # their language is not known yet: later
    ("school", {BAD_LINK: True}, True),
    ("privacy", {BAD_LINK: True}, True),
    ("privacy", {}, False),
    (None, {BAD_LINK: True}, False),
])
def test_a_bad_link_is_said_with_a_question_in_the_persons_language(
        step: str | None, data: dict, due: bool) -> None:
    assert bad_link_due(step, data) is due


SCHOOLS = [
    (1, "klimop", "Vrije basisschool Klim-op"),
    (2, "wijdeland", "Freinetschool Het Wijdeland (Brustem)"),
    (3, "kabouterland", "Vrije Kleuterschool Kabouterland, Sint-Rita"),
    (4, "debrug", "Basisschool Sint-Rita - De Brug"),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("Klim-op", 1), ("klimop", 1), ("KLIM OP", 1), ("wijdeland", 2), ("Het Wijdeland", 2),
    ("de brug", 4), ("debrug", 4), ("Kabouterland", 3),
    ("Sint-Rita", None),  # two schools' names
    ("Basisschool", None), ("GO", None), ("", None),
    ("Mijn zoon zit in het tweede leerjaar", None),
])
def test_a_school_typed_at_the_school_question(text: str, expected: int | None) -> None:
    assert typed_school(text, SCHOOLS) == expected
