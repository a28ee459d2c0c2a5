"""A short "ok" or "thank you" that asks nothing: "Tamam teşekkürler", "ਧੰਨਵਾਦ ਜੀ", 🙏.

A parent who reads little answers the bot as any chat: "Tamam" to "You are all set",
"Çok teşekkür ederim 🙏" to "Your question is closed". With no question going on, such a
message is no new question: the bot reacts 👍 and opens nothing (bot/handlers/questions.py).
With a question going on it still reaches the brugfiguur, who may like to hear it.

What counts: a short message (at most ``MAX_WORDS`` words, ``MAX_CHARS`` characters) made
only of the phrases and emoji below, compared after typed_answers' ``fold`` (case, a phone
keyboard's missing accents, punctuation and spaces set aside); one or several in a row
("tamam", "teşekkürler", "hocam", 🙏🙏). Anything else ("teşekkürler, ama ne zaman?") is not.
A sticker counts by its emoji (``thanks_sticker``).

Usage::

    if not await questions.going_on(session, person_id) and is_acknowledgement(text): ...
    if not await questions.going_on(session, person_id) and is_greeting(text): ...
    if message.sticker and thanks_sticker(message.sticker.emoji): ...
"""

from __future__ import annotations

from bot.services.typed_answers import Phrases, fold, folded_words

# Known phrases: nl, tr (with and without Turkish letters, as phone keyboards type them), pa
# (Gurmukhi, and the Latin letters many type it in), and a few words every language borrows.
_PHRASES = (
    # an "ok"
    "ok", "oke", "oké", "okee", "okay", "oki", "okey", "okeyy", "k", "kk",
    # nl
    "goed", "is goed", "oké dan", "ok dan", "dat is goed", "prima", "top", "super", "perfect",
    "in orde", "begrepen", "duidelijk", "fijn", "heel fijn", "bedankt", "heel erg bedankt",
    "erg bedankt", "hartelijk bedankt", "alvast bedankt", "dank je", "dank je wel",
    "dankjewel", "dank u", "dank u wel", "dankuwel", "veel dank", "merci", "merci veel",
    "mercikes", "thanks", "thank you", "thanx", "thx", "tnx", "bedankt voor de info",
    "dank je voor de info", "bedankt voor de hulp", "dank je voor de hulp",
    "dank u voor de hulp", "merci voor de hulp", "merci he", "merci hé", "thank you so much",
    "thank you very much", "thanks a lot",
    # tr
    "tamam", "tmm", "tamamdır", "tamamdir", "tamam hocam", "peki", "anladım", "anladim",
    "anlaşıldı", "anlasildi", "teşekkürler", "tesekkurler", "teşekkür ederim",
    "tesekkur ederim", "teşekkür ederiz", "tesekkur ederiz", "çok teşekkürler",
    "cok tesekkurler", "çok teşekkür ederim", "cok tesekkur ederim", "çok teşekkür ederiz",
    "cok tesekkur ederiz", "çok çok teşekkürler", "cok cok tesekkurler", "tşk", "tsk",
    "tşkler", "tskler", "tşk ederim", "tsk ederim", "sağol", "sagol", "sağ ol", "sag ol",
    "sağolun", "sagolun", "sağ olun", "sag olun", "çok sağolun", "cok sagolun",
    "çok sağ olun", "cok sag olun", "allah razı olsun", "allah razi olsun", "eyvallah",
    "eline sağlık", "eline saglik", "ellerinize sağlık", "ellerinize saglik",
    "allah razı olsun sizden", "allah razi olsun sizden", "yardımınız için teşekkürler",
    "yardiminiz icin tesekkurler", "yardımınız için çok teşekkürler",
    "yardiminiz icin cok tesekkurler", "yardımınız için teşekkür ederim",
    "yardiminiz icin tesekkur ederim",
    # pa
    "ਧੰਨਵਾਦ", "ਧੰਨਵਾਦ ਜੀ", "ਬਹੁਤ ਧੰਨਵਾਦ", "ਬਹੁਤ ਬਹੁਤ ਧੰਨਵਾਦ", "ਤੁਹਾਡਾ ਧੰਨਵਾਦ",
    "ਸ਼ੁਕਰੀਆ", "ਸ਼ੁਕਰੀਆ ਜੀ", "ਬਹੁਤ ਸ਼ੁਕਰੀਆ", "ਮਿਹਰਬਾਨੀ", "ਥੈਂਕ ਯੂ", "ਥੈਂਕਯੂ", "ਠੀਕ ਹੈ",
    "ਠੀਕ ਹੈ ਜੀ", "ਠੀਕ", "ਓਕੇ", "ਓਕੇ ਜੀ", "ਸਮਝ ਗਿਆ", "ਸਮਝ ਗਈ", "ਸਮਝ ਗਏ",
    "dhanvaad", "dhanwad", "dhanyavaad", "dhanyawad", "dhanvad", "bahut dhanvaad",
    "shukriya", "shukria", "meharbani", "mehrbani", "theek hai", "thik hai", "theek hai ji",
    "thik hai ji", "ok ji", "ਮਦਦ ਲਈ ਧੰਨਵਾਦ", "ਮਦਦ ਲਈ ਧੰਨਵਾਦ ਜੀ", "ਮਦਦ ਲਈ ਸ਼ੁਕਰੀਆ",
    "madad layi dhanvaad", "madad lai dhanvaad",
)
# Words that go with thanks but alone may open a question ("Hocam," then the question in
# the next message; "Kolay gelsin" greets first): an address, a greeting. Only with the above.
_COMPANIONS = (
    "hoor", "juf", "meester", "mevrouw", "meneer", "groetjes", "fijne dag", "fijne avond",
    "nog een fijne dag", "hocam", "hocamm", "abla", "abi", "hanım", "hanim", "hanımefendi",
    "hanimefendi", "kolay gelsin", "iyi günler", "iyi gunler", "iyi akşamlar", "iyi aksamlar",
    "ਜੀ", "ji", "ਭੈਣ ਜੀ", "ਵੀਰ ਜੀ", "bhain ji", "veer ji",
)
# Emoji that thank or say "fine" (skin tones and presentation selectors are folded away).
THANKS_EMOJI = (
    "🙏", "👍", "👌", "✅", "✔️", "🆗", "👏", "🤝", "🫶", "❤️", "♥️", "💕", "💖", "💗",
    "💓", "💞", "💙", "💚", "💛", "🧡", "💜", "🤍", "🩷", "😊", "🙂", "☺️", "😀", "😃",
    "😄", "😁", "🥰", "😍", "😘", "🤗", "💐", "🌹", "🌷", "🌸", "🌺", "💯", "⭐", "🌟",
)
# Longer than this, a message says more than thanks: not read at all.
MAX_CHARS = 80
MAX_WORDS = 10

# What an acknowledgement is made of: an "ok" or a thank-you at least.
_SAID = Phrases(frozenset(fold(phrase) for phrase in (*_PHRASES, *THANKS_EMOJI)),
                frozenset(fold(phrase) for phrase in _COMPANIONS))
_EMOJI = frozenset(fold(emoji) for emoji in THANKS_EMOJI)


def is_acknowledgement(text: str | None) -> bool:
    """Whether a message is only an "ok" or a thank-you ("Tamam teşekkürler", "ok 👍",
    "ਧੰਨਵਾਦ ਜੀ 🙏"), asking nothing."""
    if not text or len(text) > MAX_CHARS:
        return False
    words = folded_words(text)  # "tamam🙏🙏": "tamam", "🙏", "🙏"
    return 0 < len(words) <= MAX_WORDS and _SAID.made_of(words)


# A greeting alone, before the question in the next message ("Selam", then the question):
# nothing to pass on yet. Some words are greetings here and companions of thanks above.
_GREETINGS = (
    "hallo", "hoi", "dag", "goeiedag", "goedendag", "goedemorgen", "goeiemorgen",
    "goedemiddag", "goeiemiddag", "goedenavond", "goeienavond", "hello", "hi", "hey",
    "merhaba", "merhabalar", "selam", "selamlar", "selamün aleyküm", "selamun aleykum",
    "selamünaleyküm", "selamunaleykum", "günaydın", "gunaydin", "iyi günler", "iyi gunler",
    "iyi akşamlar", "iyi aksamlar", "kolay gelsin", "salam", "salaam", "as salamu alaykum",
    "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ", "ਸਤਿ ਸ਼੍ਰੀ ਅਕਾਲ", "sat sri akal", "sat shri akal",
    "ਨਮਸਤੇ", "namaste", "👋",
)
_GREETED = Phrases(frozenset(fold(phrase) for phrase in _GREETINGS),
                   frozenset(fold(phrase) for phrase in _COMPANIONS))


def is_greeting(text: str | None) -> bool:
    """Whether a message is only a greeting ("Selam", "Sat sri akal ji", "Hallo juf"): the
    question, if any, comes in the next message."""
    if not text or len(text) > MAX_CHARS:
        return False
    words = folded_words(text)
    return 0 < len(words) <= MAX_WORDS and _GREETED.made_of(words)


def thanks_sticker(emoji: str | None) -> bool:
    """Whether a sticker's emoji thanks or says "fine" (🙏, 👍, ❤️...)."""
    return bool(emoji) and fold(emoji or "") in _EMOJI
