"""A short "ok" or "thank you" that asks nothing (bot/services/acknowledgements.py)."""

from __future__ import annotations

import pytest

from bot.services.acknowledgements import is_acknowledgement, thanks_sticker


@pytest.mark.parametrize("text", [
    # nl
    "ok", "OK!", "Oké", "oke bedankt", "Dankjewel", "dank u wel", "Merci!", "Bedankt juf",
    "ok, top", "Super, dank je wel!",
    # tr, with and without the Turkish letters
    "Tamam", "Tamam teşekkürler", "tamam tesekkurler", "TAMAM TEŞEKKÜRLER", "Sağol",
    "sag olun", "tşk", "Çok teşekkür ederim 🙏", "Teşekkür ederim hocam, iyi günler",
    "İyi günler, teşekkürler", "Allah razı olsun", "anladım teşekkürler", "Eyvallah abi",
    # pa, Gurmukhi and Latin letters
    "ਧੰਨਵਾਦ", "ਧੰਨਵਾਦ ਜੀ 🙏", "ਸ਼ੁਕਰੀਆ", "ਬਹੁਤ ਬਹੁਤ ਧੰਨਵਾਦ", "ਠੀਕ ਹੈ ਜੀ", "ਠੀਕ ਹੈ, ਧੰਨਵਾਦ",
    "dhanvaad ji", "Shukriya", "theek hai",
    # emoji, alone or repeated, with a skin tone
    "🙏", "👍", "👍🏽", "🙏🙏🙏", "❤️", "ok 👌", "😊🌹",
])
def test_a_short_ok_or_thanks_is_an_acknowledgement(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize("text", [
    "", "   ", "?", "Okul ne zaman kapalı?", "teşekkürler ama ne zaman?",
    "dank je, maar waar is het?", "ਧੰਨਵਾਦ, ਕਦੋਂ?", "Merhaba", "Hallo",
    # an address or a greeting alone often comes before the question itself
    "Hocam", "Abla", "Kolay gelsin", "ਜੀ", "juf",
    # a yes or a no says more than thanks (a reminder's answer is read elsewhere)
    "evet", "ja", "hayır", "nee",
    "🤔", "😡", "❓",
    # too long to be only thanks
    "teşekkürler " * 11,
    "tamam " + "🙏" * 80,
])
def test_anything_else_is_not(text: str) -> None:
    assert not is_acknowledgement(text)


def test_none_is_not() -> None:
    assert not is_acknowledgement(None)


@pytest.mark.parametrize("emoji", ["🙏", "👍", "👍🏿", "❤️", "❤", "👌", "🌹", "😊"])
def test_a_thanks_sticker(emoji: str) -> None:
    assert thanks_sticker(emoji)


@pytest.mark.parametrize("emoji", [None, "", "😡", "🐱", "🤔", "❓", "👎"])
def test_other_stickers(emoji: str | None) -> None:
    assert not thanks_sticker(emoji)
