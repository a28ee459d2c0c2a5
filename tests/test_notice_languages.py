"""A notice waiting for a parent's morning follows her language (``outbox.IN_EACH``): the
words in each language ride along, and the sender picks hers as it is when the row leaves."""

from __future__ import annotations

from typing import Any

from bot.services.outbox import IN_EACH, TEXT_LIMIT, in_each_language, text_in
from bot.services.reminders import rendered_in_each

WORDS = {"nl": "Afgelast.", "tr": "İptal edildi.", "pa": "ਰੱਦ ਕੀਤਾ ਗਿਆ।"}


def test_a_text_payload_carries_each_language_and_the_sender_picks_hers() -> None:
    payload = in_each_language(WORDS, "nl")
    assert payload["text"] == "Afgelast."
    assert text_in(payload, "tr") == "İptal edildi."
    assert text_in(payload, "pa") == "ਰੱਦ ਕੀਤਾ ਗਿਆ।"
    assert text_in(payload, None) == "Afgelast."  # no person (a coordinator's chat)
    assert text_in({"text": "Afgelast."}, "tr") == "Afgelast."  # made before: as it was


def test_a_text_too_long_for_one_message_stays_in_its_first_language() -> None:
    # A long one is cut in parts, and the parts of two languages do not line up.
    payload = in_each_language({**WORDS, "pa": "ਰ" * (TEXT_LIMIT + 1)}, "nl")
    assert IN_EACH not in payload and payload["text"] == "Afgelast."


def test_a_notice_with_buttons_in_words_keeps_its_first_language() -> None:
    def with_button(locale: str) -> tuple[str, dict[str, Any]]:
        return "text", {"text": WORDS[locale], "reply_markup": {"label": WORDS[locale]}}

    def words_only(locale: str) -> tuple[str, dict[str, Any]]:
        return "text", {"text": WORDS[locale], "parse_mode": "HTML"}

    kind, payload = rendered_in_each(with_button, "tr")
    assert kind == "text" and IN_EACH not in payload and payload["text"] == "İptal edildi."
    kind, payload = rendered_in_each(words_only, "tr")
    assert payload["text"] == "İptal edildi." and payload["parse_mode"] == "HTML"
    assert payload[IN_EACH] == WORDS
