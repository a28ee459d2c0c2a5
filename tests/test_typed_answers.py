"""Which typed words answer a reminder (bot/services/typed_answers.py)."""

from __future__ import annotations

import pytest

from bot.services.reminders import Answer
from bot.services.typed_answers import (
    _COURTESY,
    _FOLDED,
    _PARTICLES,
    _WORDS,
    Typed,
    fold,
    read,
    sticker_text,
    typed_answer,
    typed_children,
)


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


@pytest.mark.parametrize(("text", "answer"), [
    ("Geliyoruz", Answer.YES), ("Evet geliyoruz", Answer.YES), ("ਹਾਂ ਜੀ, ਆਵਾਂਗੇ", Answer.YES),
    ("Ja, we komen!", Answer.YES), ("Ja ik kom, bedankt!", Answer.YES), ("evet🙏", Answer.YES),
    ("Tamam, teşekkürler", Answer.YES), ("ok ok", Answer.YES), ("ਠੀਕ ਹੈ ਜੀ", Answer.YES),
    ("Tamam, maalesef gelemeyiz", Answer.NO), ("ok, ik kom niet", Answer.NO),
    ("Sorry, we kunnen niet komen", Answer.NO), ("ਨਹੀਂ ਜੀ, ਨਹੀਂ ਆ ਸਕਦੇ", Answer.NO),
    ("ਨਹੀਂ ਆਵਾਂਗੇ", Answer.NO), ("ji nahi", Answer.NO), ("hayır gelemiyorum", Answer.NO),
    ("Belki gelirim", Answer.MAYBE), ("ja, misschien", Answer.MAYBE),
    ("İnşallah geliriz", Answer.MAYBE), ("ਸ਼ਾਇਦ ਆਵਾਂਗੇ", Answer.MAYBE),
])
def test_answers_in_several_words(text: str, answer: Answer) -> None:
    """Known words in a row that say one answer; "ok", "tamam", "ਜੀ" go with any answer, and
    a maybe with a yes is a maybe."""
    assert typed_answer(text) is answer


@pytest.mark.parametrize("text", [
    "", "   ", "?", "ja maar waar is het?", "Evet ama saat kaçta?", "Merhaba",
    "ik kom met mijn zus, mag dat?", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "👋", "ja " * 200,
    # Yes and no together, thanks alone, a question in known words, a time.
    "ja nee", "❌ evet", "ja ik kom niet", "ਹਾਂ ਨਹੀਂ", "bedankt", "Teşekkürler 🙏", "🙏",
    "Evet geliyoruz ama saat kaçta?", "Kan ik komen?", "Geliyor musunuz?", "ja 2 uur",
    "ik kom niet maar mijn man wel",
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
    # An acknowledgement ("ok") says yes alone; thanks and sorry say nothing.
    assert all(_FOLDED.get(fold(word)) is Answer.YES for word in _PARTICLES)
    assert not any(fold(word) in _FOLDED for word in _COURTESY)


@pytest.mark.parametrize(("text", "typed"), [
    ("Evet 2 çocuk", Typed(Answer.YES, 2)), ("ja 2", Typed(Answer.YES, 2)),
    ("ਹਾਂ 2 ਬੱਚੇ", Typed(Answer.YES, 2)), ("ik kom met mijn 3 kinderen", Typed(Answer.YES, 3)),
    ("2 çocukla geliyoruz", Typed(Answer.YES, 2)), ("evet 4+", Typed(Answer.YES, 4)),
    ("Evet, iki", Typed(Answer.YES, 2)), ("👍 1", Typed(Answer.YES, 1)),
    ("evet", Typed(Answer.YES, None)), ("2", Typed(None, 2)), ("iki çocuk", Typed(None, 2)),
    ("İki çocuk", Typed(None, 2)), ("EVET GELİYORUZ", Typed(Answer.YES, None)),  # capital İ
])
def test_what_a_message_says_with_children(text: str, typed: Typed) -> None:
    assert read(text) == typed


@pytest.mark.parametrize("text", [
    "hayır 2", "belki 2", "ja 2 of 3", "evet 2 çocuk 1 anne", "ja 12", "ja 2 uur", "2 vragen",
])
def test_no_yes_with_children(text: str) -> None:
    assert read(text) is None


def test_a_sticker_counts_by_a_plain_yes_or_no_emoji_only() -> None:
    assert sticker_text("👍🏽") == "👍🏽" and typed_answer("👍🏽") is Answer.YES
    assert sticker_text("👎") == "👎" and sticker_text("👌") == "👌"
    assert sticker_text("🥰") is None and sticker_text("🤔") is None and sticker_text(None) is None


@pytest.mark.parametrize(("text", "count"), [
    ("2", 2), ("iki", 2), ("ਦੋ", 2), ("੩", 3), ("twee kinderen", 2), ("2 çocuk", 2),
    ("4+", 4), ("4 +", 4), ("6", 4), ("Een.", 1),
])
def test_a_number_of_children(text: str, count: int) -> None:
    assert typed_children(text) == count


@pytest.mark.parametrize("text", ["", "+", "kinderen", "2 of 3", "0", "ja", "12 uur", "2" * 200])
def test_no_number_of_children(text: str) -> None:
    assert typed_children(text) is None
