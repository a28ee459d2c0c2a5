"""A lone word that asks the bot for help or its menu: "Yardım", "menü", "hulp", "ਮਦਦ", "?".

A parent who reads little types what they want from the bot as they would say it: "Yardım",
"Menu", "Help!", "ਮਦਦ ਜੀ", "start". Such a message is no question for the team: it gets what
/help shows, the big buttons with a short word on each (bot/handlers/fallback.py). In this bot
the menu *is* those buttons, which /help sends again, so a menu or start word gets the same.

What counts: the *whole* message, and nothing in it but one of the phrases below, compared after
typed_answers' ``fold`` (case, punctuation and spaces set aside) and with the Latin letters'
accents dropped as a phone keyboard drops them ("yardim", "menu", "basla"); a courtesy word
("lütfen", "aub", "ਜੀ") and emoji may go with it ("Yardım lütfen 🙏"), a slash before it too
("/menu": no command of ours). A message of only question marks ("?", "??", "?!") is
``Asked.PUZZLED``: help when nothing is going on, but to a brugfiguur in a conversation it says
"any news?". Anything more is a real question and stays one: "Yardım edin, mektubu anlamadım",
"hulp bij het formulier".

Usage::

    asked = typed_command(message.text)     # Asked.HELP, Asked.PUZZLED, or None
"""

from __future__ import annotations

import unicodedata
from enum import Enum

from bot.services.typed_answers import Phrases, folded_words


class Asked(Enum):
    HELP = "help"  # a help, menu or start word: what /help shows
    PUZZLED = "puzzled"  # only question marks


# Per language, as typed alone (with and without Turkish letters: the accents are dropped
# anyway): a noun or a short imperative, as one types to a bot. What asks a person ("Yardım
# lazım", "Kunt u mij helpen?", "ਮਦਦ ਚਾਹੀਦੀ ਹੈ") stays a question: someone reads it.
_HELP = (
    # nl (and the English words every language borrows)
    "hulp", "help", "helpen", "help mij", "help me", "menu", "het menu", "hoofdmenu",
    "main menu", "start", "starten", "begin", "beginnen", "info", "informatie", "uitleg",
    # tr
    "yardım", "yardım et", "yardım edin", "bana yardım et", "bana yardım edin", "menü",
    "ana menü", "menüyü göster", "menüyü aç", "başla", "başlat", "başlangıç", "bilgi",
    # pa (Gurmukhi, and the Latin letters many type it in)
    "ਮਦਦ", "ਮਦਦ ਕਰੋ", "ਮੇਰੀ ਮਦਦ ਕਰੋ", "ਸਹਾਇਤਾ", "ਹੈਲਪ", "ਮੀਨੂ", "ਮੀਨੂੰ", "ਮੇਨੂ", "ਮੇਨੂੰ",
    "ਮੈਨਿਊ", "ਸ਼ੁਰੂ", "ਸ਼ੁਰੂ ਕਰੋ", "ਸਟਾਰਟ", "ਜਾਣਕਾਰੀ", "madad", "madad karo",
    "meri madad karo", "sahayta",
)
# Words that go with a help word but ask nothing alone: please, an address. Not "acil"
# (urgent): "acil yardım" goes to a person.
_COURTESY = (
    "aub", "alstublieft", "alsjeblieft", "svp", "please", "pls", "plz", "juf", "meester",
    "lütfen", "hocam", "abla", "abi",
    "ਜੀ", "ji", "ਕਿਰਪਾ ਕਰਕੇ", "kirpa karke",
)
QUESTION_MARKS = frozenset("?？¿؟❔")
# Longer than this, a message says more than "help": not read at all.
MAX_CHARS = 60
MAX_WORDS = 8

# A phone keyboard's missing accents, on Latin letters only (Gurmukhi's vowel signs are
# letters of the word). fold has cased İ to i already.
_PLAIN = str.maketrans("ıçğşöüâîûéèêëïáàäóòôú", "icgsouaiueeeeiaaaooou")


def _words(text: str) -> list[str]:
    """The folded words, accents dropped; an emoji on its own is dropped too ("help 🙏")."""
    words = [word.translate(_PLAIN) for word in folded_words(text)]
    return [word for word in words
            if any(unicodedata.category(ch)[0] != "S" for ch in word)]


def _phrase(words: str) -> str:
    return " ".join(_words(words))


# A help word at least, with courtesy words around it ("yardım yardım", said twice, too).
_SAID = Phrases(frozenset(_phrase(phrase) for phrase in _HELP),
                frozenset(_phrase(phrase) for phrase in _COURTESY))


def typed_command(text: str | None) -> Asked | None:
    """Whether the whole message asks the bot for help or its menu ("Yardım", "Menu",
    "Help!", "ਮਦਦ ਜੀ 🙏": ``Asked.HELP``), or is only question marks (``Asked.PUZZLED``);
    None for anything else, a real question above all."""
    if not text or len(text) > MAX_CHARS:
        return None
    stripped = "".join(text.split())
    if any(ch in QUESTION_MARKS for ch in stripped) and all(
            ch in QUESTION_MARKS or ch == "!" for ch in stripped):
        return Asked.PUZZLED
    words = _words(text)
    if 0 < len(words) <= MAX_WORDS and _SAID.made_of(words):
        return Asked.HELP
    return None
