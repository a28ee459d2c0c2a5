"""Which typed words answer a reminder (bot/services/typed_answers.py)."""

from __future__ import annotations

import pytest

from bot.services.reminders import Answer
from bot.services.typed_answers import _WORDS, fold, typed_answer, typed_children


@pytest.mark.parametrize(("text", "answer"), [
    ("Evet", Answer.YES), ("EVET!", Answer.YES), ("evet 👍🏽", Answer.YES), ("👍️", Answer.YES),
    ("  Ja  hoor ", Answer.YES), ("Oké.", Answer.YES), ("ਹਾਂ ਜੀ", Answer.YES),
    ("haan ji", Answer.YES), ("tamam", Answer.YES),
    ("HAYIR", Answer.NO), ("Hayır.", Answer.NO), ("nee, sorry", Answer.NO), ("ਨਹੀਂ", Answer.NO),
    ("❌", Answer.NO), ("belki?", Answer.MAYBE), ("Misschien", Answer.MAYBE),
    ("ਸ਼ਾਇਦ", Answer.MAYBE), ("🤔", Answer.MAYBE),
])
def test_short_answers_in_the_three_languages(text: str, answer: Answer) -> None:
    assert typed_answer(text) is answer


@pytest.mark.parametrize("text", [
    "", "   ", "?", "ja maar waar is het?", "Evet ama saat kaçta?", "Merhaba",
    "ik kom met mijn zus, mag dat?", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "👋", "ja " * 200,
])
def test_anything_else_is_no_answer(text: str) -> None:
    assert typed_answer(text) is None


def test_a_buttons_label_typed_out_counts_and_an_ambiguous_one_does_not() -> None:
    labels = {Answer.YES: ("Geliyorum", "✅ Geliyorum"), Answer.NO: ("Gelemem",)}
    assert typed_answer("geliyorum", labels) is Answer.YES
    assert typed_answer("✅ Geliyorum", labels) is Answer.YES
    assert typed_answer("Gelemem", labels) is Answer.NO
    # A word that would mean two answers is none.
    assert typed_answer("evet", {Answer.NO: ("Evet",)}) is None


def test_no_word_means_two_answers() -> None:
    folded = [fold(word) for words in _WORDS.values() for word in words]
    assert len(folded) == len(set(folded))


@pytest.mark.parametrize(("text", "count"), [
    ("2", 2), ("iki", 2), ("ਦੋ", 2), ("੩", 3), ("twee kinderen", 2), ("2 çocuk", 2),
    ("4+", 4), ("4 +", 4), ("6", 4), ("Een.", 1),
])
def test_a_number_of_children(text: str, count: int) -> None:
    assert typed_children(text) == count


@pytest.mark.parametrize("text", ["", "+", "kinderen", "2 of 3", "0", "ja", "12 uur", "2" * 200])
def test_no_number_of_children(text: str) -> None:
    assert typed_children(text) is None
