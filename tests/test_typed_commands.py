"""A lone help, menu or start word (bot/services/typed_commands.py): recognised in nl, tr and
pa however it is typed; a real question that has such a word in it is none."""

from __future__ import annotations

import pytest

from bot.services.typed_commands import Asked, typed_command


@pytest.mark.parametrize("text", [
    # tr, with and without the Turkish letters, any case, with punctuation
    "Yardım", "yardım", "yardim", "YARDIM", "Yardım!", "yardım?", "Yardım edin",
    "yardım lütfen", "Hocam yardım", "bana yardım edin",
    "menü", "Menü", "menu", "Ana menü", "başla", "basla", "Başlat", "bilgi",
    # nl (and English)
    "hulp", "Hulp", "help", "Help!", "HELP", "help me", "Help mij aub", "Menu",
    "hoofdmenu", "start", "Start", "begin", "info",
    # pa: Gurmukhi, and Latin letters
    "ਮਦਦ", "ਮਦਦ ਜੀ", "ਮਦਦ ਕਰੋ", "ਮੇਰੀ ਮਦਦ ਕਰੋ", "ਕਿਰਪਾ ਕਰਕੇ ਮਦਦ ਕਰੋ",
    "ਮੀਨੂ", "ਮੇਨੂ", "ਸ਼ੁਰੂ", "ਸ਼ੁਰੂ ਕਰੋ", "madad", "Madad karo ji",
    # spaces, emoji and repeats around it
    "  yardım  ", "Yardım 🙏", "🙏 help", "Menü 😊😊", "yardım yardım", "help!!!",
])
def test_a_lone_help_or_menu_word_is_recognised(text: str) -> None:
    assert typed_command(text) is Asked.HELP


@pytest.mark.parametrize("text", ["?", "??", "???", " ? ", "? ?", "?!", "？", "¿", "❔"])
def test_only_question_marks_are_puzzled(text: str) -> None:
    assert typed_command(text) is Asked.PUZZLED


@pytest.mark.parametrize("text", [
    # real questions with a help word in them
    "Yardım edin, mektubu anlamadım", "yardım lazım okul formu için", "menü ne zaman?",
    "Okulun menüsü nerede?", "hulp bij het formulier", "Ik heb hulp nodig met de brief",
    "help, waar moet ik dit papier afgeven?", "ਮਦਦ ਕਰੋ, ਚਿੱਠੀ ਸਮਝ ਨਹੀਂ ਆਈ",
    "Wanneer start de opvang?", "school start?",
    # asking a person for help, or urgent: a person reads it
    "acil yardım", "Yardım lazım.", "yardıma ihtiyacım var", "Yardım eder misiniz?",
    "ik heb hulp nodig", "Kunt u mij helpen?", "ਮਦਦ ਚਾਹੀਦੀ ਹੈ",
    # no help word at all, or only a courtesy word or emoji
    "Merhaba", "Tamam", "teşekkürler", "lütfen", "ਜੀ", "🙏", "🆘", "!", "", "   ",
    "hallo?", "? okul", "menüü", "yardımcı",
    # too long to be a lone word
    "yardım " * 12,
])
def test_anything_else_is_not(text: str) -> None:
    assert typed_command(text) is None


def test_no_text_is_not() -> None:
    assert typed_command(None) is None
