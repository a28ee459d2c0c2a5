"""The plain rule of the /settings choice "Dutch below the translation"."""

from __future__ import annotations

from bot.services.announcement import Content, Part, payloads
from bot.services.dutch_below import CAPTION_LIMIT, with_dutch_below

HEAD = "🇧🇪 Orijinal (Felemenkçe):"


def test_appended_when_wanted_below_a_translation() -> None:
    assert (with_dutch_below("Merhaba", "Hallo", wanted=True, same=False, heading=HEAD)
            == f"Merhaba\n\n{HEAD}\nHallo")


def test_unchanged_when_not_wanted_dutch_itself_or_nothing_dutch() -> None:
    assert with_dutch_below("Merhaba", "Hallo", wanted=False, same=False, heading=HEAD) == "Merhaba"
    assert with_dutch_below("Hallo", "Hallo", wanted=True, same=True, heading=HEAD) == "Hallo"
    assert with_dutch_below("Merhaba", "  ", wanted=True, same=False, heading=HEAD) == "Merhaba"


def test_a_caption_that_would_not_fit_stays_as_it_was() -> None:
    fits = with_dutch_below("a", "b" * 900, wanted=True, same=False, heading=HEAD,
                            limit=CAPTION_LIMIT)
    assert fits.endswith("b" * 900)
    assert with_dutch_below("a" * 500, "b" * 600, wanted=True, same=False, heading=HEAD,
                            limit=CAPTION_LIMIT) == "a" * 500


def test_announcement_payloads() -> None:
    content = Content({"nl": Part("photo", "Feest!", "F1"), "tr": Part("text", "Parti!")})
    [(kind, payload)] = payloads(content, "tr", "(nl)", original=HEAD)
    assert (kind, payload["caption"]) == ("photo", f"Parti!\n\n{HEAD}\nFeest!")
    # Punjabi has no translation: the Dutch fallback gets no second copy.
    [(_kind, fallback)] = payloads(content, "pa", "(nl)", original=HEAD)
    assert fallback["caption"] == "(nl)\n\nFeest!"
    long = Content({"nl": Part("photo", "n" * 900, "F1"), "tr": Part("text", "t" * 900)})
    [(_kind, skipped)] = payloads(long, "tr", "(nl)", original=HEAD)
    assert skipped["caption"] == "t" * 900
