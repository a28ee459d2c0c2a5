"""An answer to a reminder typed instead of tapped: "evet", "ja", "ਹਾਂ ਜੀ, ਆਵਾਂਗੇ", 👍.

A parent who reads little often answers "Will you come?" in words, as in any chat. Such a
message is taken as the matching button when it is clearly about a reminder: a reply to the
reminder's message (or to the bot's answer about it), or the parent's next message after it
(the newest message of the bot the outbox knows is that reminder or the bot's answer about it,
of the last few days, and no question of theirs moved on since: a question blocks it only when
the parent wrote in it after that message; a ❓ tapped with nothing written is no
conversation). The ⚠️ notice that the reminder's activity moved counts as the reminder, for
the new time ("Evet geliyoruz" to it is a yes to the new day, no question). A sticker counts
by its emoji when that is 👍 ✅ 👌 (yes) or ❌ 👎 (no).

What counts: a short message made only of known words and phrases ("evet", "geliyoruz",
"ik kan niet", "ਆਵਾਂਗੇ"), words that go with an answer but give none ("teşekkürler",
"sorry", "ਜੀ"), and "ok"/"tamam"/"ਠੀਕ ਹੈ", which say yes alone and go with any answer
("tamam, gelemem": no). Every word must be known, and all must say one answer ("belki
gelirim": maybe with anything but a no-and-yes mix); anything else ("ja maar waar?") is none.
After a workshop's "yes", a number ("2", "iki", "ਦੋ") is how many children come; a yes with a
number ("Evet 2 çocuk", "ja 2") says both. A word after an answer was kept does not answer
again: "ok" or 👍 acknowledges. Anything longer or less certain stays a help question, as
before: a person reads it.

Usage::

    typed = read(message.text, labels)                   # Typed(Answer.YES, 2), or None
    found = await reminder_answered(session, person_id, chat_id, replied_to, now)
    await record_reply(session, person_id, chat_id, found, sent.message_id, now)  # bot's answer
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox
from bot.services.questions import DRAFT, OPEN
from bot.services.reminders import (
    GROUP_PREFIX,
    MOVED_PREFIX,
    Answer,
    last_told,
    parse_moved_key,
    told_moves,
)
from storage.models import OutboxMessage, Question, QuestionMessage, Reminder
from storage.outbox import SENT

# A bare word counts for a reminder sent this recently; later, it is more likely about
# something else (and the reminder's own buttons still work).
RECENT = timedelta(days=3)

# Known phrases, compared after ``fold``: nl, tr (with and without Turkish letters, as phone
# keyboards type them), pa (Gurmukhi and the Latin letters many type it in), emoji. A message
# may be one of them or several in a row ("evet" + "geliyoruz"). "ok" and "tamam" answer
# "Will you come?" with yes; the confirmation shows what was kept, with the buttons to change
# it. No negation on its own ("niet", "değil"): "ik kom niet" is a phrase, never "ik kom" +
# something.
_WORDS: dict[Answer, tuple[str, ...]] = {
    Answer.YES: (
        # nl
        "ja", "jaa", "jawel", "jazeker", "ja hoor", "ja ik kom", "ik kom", "we komen",
        "wij komen", "ik kom zeker", "we komen zeker", "ik kom ook", "we komen ook",
        "ik kom graag", "we komen graag", "graag", "zeker", "natuurlijk", "tuurlijk",
        "ik ben er", "we zijn er", "ik ben erbij", "we zijn erbij", "ik zal er zijn",
        "we zullen er zijn", "ik zal komen", "we zullen komen", "ik doe mee", "we doen mee",
        "ok", "oke", "oké", "okay", "oki", "goed", "is goed", "dat is goed", "prima", "yes",
        "k kom", "ja k kom", "k kom zeker", "we komme", "k zal er zijn",
        # tr
        "evet", "evt", "tamam", "tmm", "tamamdır", "tamamdir", "olur", "peki", "tabii",
        "tabi", "tabii ki", "tabi ki", "tabiki", "elbette", "kesinlikle", "memnuniyetle",
        "geliyorum", "gelirim", "geleceğim", "gelecegim", "gelicem", "gelcem",
        "geliyoruz", "geliriz", "geleceğiz", "gelecegiz", "gelicez", "gelcez",
        "katılıyorum", "katiliyorum", "katılırım", "katilirim", "katılacağım", "katilacagim",
        "katılıyoruz", "katiliyoruz", "katılırız", "katiliriz", "katılacağız", "katilacagiz",
        "evet geliyorum", "evet gelirim",
        # pa
        "ਹਾਂ", "ਹਾਂਜੀ", "ਹਾਂ ਜੀ", "ਜੀ ਹਾਂ", "ਜੀ", "ਠੀਕ ਹੈ", "ਠੀਕ", "ਓਕੇ", "ਜ਼ਰੂਰ", "ਬਿਲਕੁਲ",
        "ਆਵਾਂਗਾ", "ਆਵਾਂਗੀ", "ਆਵਾਂਗੇ", "ਮੈਂ ਆਵਾਂਗਾ", "ਮੈਂ ਆਵਾਂਗੀ", "ਅਸੀਂ ਆਵਾਂਗੇ",
        "ਆ ਰਿਹਾ ਹਾਂ", "ਆ ਰਹੀ ਹਾਂ", "ਆ ਰਹੇ ਹਾਂ", "ਮੈਂ ਆ ਰਿਹਾ ਹਾਂ", "ਮੈਂ ਆ ਰਹੀ ਹਾਂ",
        "ਅਸੀਂ ਆ ਰਹੇ ਹਾਂ", "ਆਉਂਦੇ ਹਾਂ", "ਅਸੀਂ ਆਉਂਦੇ ਹਾਂ",
        "haan", "han", "haan ji", "han ji", "haanji", "hanji", "ji", "ji haan", "ha ji",
        "aavanga", "avanga", "aavangi", "avangi", "aavange", "avange", "zaroor", "jaroor",
        "ਜਰੂਰ", "ਜਰੂਰ ਆਵਾਂਗੇ", "ਜ਼ਰੂਰ ਆਵਾਂਗੇ", "asi aavange", "assi aavange", "asi avange",
        "main aavanga", "mai aavanga", "main aavangi", "mai aavangi", "main avanga",
        "👍", "✅", "👌", "✔", "☑", "🆗",
    ),
    Answer.MAYBE: (
        # nl
        "misschien", "misschien wel", "misschien niet", "weet niet", "weet ik niet",
        "weet nog niet", "weet ik nog niet", "ik weet het niet", "ik weet het nog niet",
        "ik weet nog niet", "niet zeker", "nog niet zeker", "ik ben niet zeker",
        "ik ben nog niet zeker", "ik probeer", "ik probeer het", "ik probeer te komen",
        "ik zal proberen", "ik zal het proberen", "we proberen", "we proberen het",
        "we zullen zien", "we zien wel", "ik hoop het", "hopelijk", "kan zijn", "mogelijk",
        # tr
        "belki", "bilmiyorum", "henüz bilmiyorum", "henuz bilmiyorum", "daha bilmiyorum",
        "bilemiyorum", "emin değilim", "emin degilim", "belli değil", "belli degil",
        "bakarız", "bakariz", "bakalım", "bakalim", "duruma göre", "duruma gore",
        "inşallah", "insallah", "gelmeye çalışırım", "gelmeye calisirim",
        "gelmeye çalışacağım", "gelmeye calisacagim",
        # pa
        "ਸ਼ਾਇਦ", "ਸ਼ਾਯਦ", "ਪਤਾ ਨਹੀਂ", "ਹਾਲੇ ਪਤਾ ਨਹੀਂ", "ਅਜੇ ਪਤਾ ਨਹੀਂ", "ਕੋਸ਼ਿਸ਼ ਕਰਾਂਗੇ",
        "ਕੋਸ਼ਿਸ਼ ਕਰਾਂਗਾ", "ਕੋਸ਼ਿਸ਼ ਕਰਾਂਗੀ", "shayad", "pata nahi", "pata nahin",
        "🤔",
    ),
    Answer.NO: (
        # nl
        "nee", "neen", "nee sorry", "sorry nee", "nee helaas", "helaas", "helaas niet",
        "helaas nee", "ik kan niet", "kan niet", "ik kan helaas niet", "helaas kan ik niet",
        "ik kan niet komen", "ik kom niet", "we komen niet", "wij komen niet",
        "we kunnen niet", "wij kunnen niet", "we kunnen niet komen", "wij kunnen niet komen",
        "lukt niet", "het lukt niet", "lukt me niet", "gaat niet", "het gaat niet",
        "dat gaat niet", "ik ben er niet", "we zijn er niet", "no",
        # nl, as Flemish is spoken (and typed): "'k kan ni" folds to "k kan ni"
        "kan ni", "kan nie", "ik kan ni", "ik kan nie", "k kan ni", "k kan nie",
        "k kan ni komen", "k kan nie komen", "ik kan ni komen", "ik kan nie komen",
        "k kom ni", "k kom nie", "lukt ni", "gaat ni",
        # tr
        "hayır", "hayir", "yok", "olmaz", "maalesef", "malesef", "gelemem", "gelemiyorum",
        "gelmiyorum", "gelmeyeceğim", "gelmeyecegim", "gelemeyeceğim", "gelemeyecegim",
        "gelemicem", "gelmicem", "gelemeyiz", "gelemiyoruz", "gelmiyoruz", "gelmeyeceğiz",
        "gelmeyecegiz", "gelemeyeceğiz", "gelemeyecegiz", "gelemicez", "gelmicez",
        "katılamam", "katilamam", "katılamıyorum", "katilamiyorum", "katılamayacağım",
        "katilamayacagim", "katılamayız", "katilamayiz", "katılamıyoruz", "katilamiyoruz",
        "müsait değilim", "musait degilim", "maalesef gelemem",
        # pa
        "ਨਹੀਂ", "ਨਹੀ", "ਨਾ", "ਨਹੀਂ ਜੀ", "ਨਹੀਂ ਆ ਸਕਦਾ", "ਨਹੀਂ ਆ ਸਕਦੀ", "ਨਹੀਂ ਆ ਸਕਦੇ",
        "ਮੈਂ ਨਹੀਂ ਆ ਸਕਦਾ", "ਮੈਂ ਨਹੀਂ ਆ ਸਕਦੀ", "ਅਸੀਂ ਨਹੀਂ ਆ ਸਕਦੇ", "ਨਹੀਂ ਆ ਸਕਾਂਗਾ",
        "ਨਹੀਂ ਆ ਸਕਾਂਗੀ", "ਨਹੀਂ ਆ ਸਕਾਂਗੇ", "ਨਹੀਂ ਆਵਾਂਗਾ", "ਨਹੀਂ ਆਵਾਂਗੀ", "ਨਹੀਂ ਆਵਾਂਗੇ",
        "ਮੈਂ ਨਹੀਂ ਆਵਾਂਗਾ", "ਮੈਂ ਨਹੀਂ ਆਵਾਂਗੀ", "ਅਸੀਂ ਨਹੀਂ ਆਵਾਂਗੇ",
        "nahi", "nahin", "nai", "na", "nahi aa sakde", "nahi aa sakda", "nahi aa sakdi",
        "nhi", "nhi aa sakde", "nhi aa sakda", "nhi aa sakdi", "nahi aa sakte",
        "nahi aa sakta", "nahi aa sakti", "ਨਹੀ ਆ ਸਕਦੇ", "ਨਹੀ ਆ ਸਕਦਾ", "ਨਹੀ ਆ ਸਕਦੀ",
        "ਨਹੀ ਆਵਾਂਗੇ",
        "❌", "👎",
    ),
}
# Yes alone, but with other words only an acknowledgement that goes with any answer ("tamam,
# gelemem": no; "ਨਹੀਂ ਜੀ": no). Each is one of the yes words above too.
_PARTICLES = ("ok", "oke", "oké", "okay", "oki", "goed", "is goed", "dat is goed", "prima",
              "tamam", "tmm", "tamamdır", "tamamdir", "olur", "peki", "ji", "ਜੀ", "ਠੀਕ ਹੈ",
              "ਠੀਕ", "ਓਕੇ")
# Words that go with an answer and give none: thanks, sorry, a polite address. Alone: no answer.
_COURTESY = (
    "sorry", "bedankt", "dank je", "dank je wel", "dankjewel", "dank u", "dank u wel",
    "merci", "thanks", "hoor", "teşekkürler", "tesekkurler", "teşekkür ederim",
    "tesekkur ederim", "çok teşekkürler", "cok tesekkurler", "çok teşekkür ederim",
    "cok tesekkur ederim", "tşk", "tsk", "tşkler", "tskler", "sağol", "sagol", "sağolun",
    "sagolun", "sağ olun", "sag olun", "özür dilerim", "ozur dilerim", "kusura bakmayın",
    "kusura bakmayin", "hocam", "abla", "ਧੰਨਵਾਦ", "ਸ਼ੁਕਰੀਆ", "ਮਾਫ਼ ਕਰਨਾ", "ਮਾਫ਼ੀ", "ਸੌਰੀ",
    "dhanvaad", "dhanyavaad", "shukriya",
    # greetings and "see you", around an answer ("Selam, evet geleceğim"; "Ja, tot morgen!")
    "hallo", "hoi", "dag", "goeiedag", "goedemorgen", "goeiemorgen", "goedemiddag",
    "tot morgen", "tot dan", "tot straks", "selam", "selamlar", "merhaba", "günaydın",
    "gunaydin", "selamun aleyküm", "selamun aleykum", "yarın görüşürüz", "yarin gorusuruz",
    "görüşürüz", "gorusuruz", "sat sri akal", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ",
    "ਕੱਲ੍ਹ ਮਿਲਾਂਗੇ", "kal milange",
)
# Yes alone, but with other words a polite address that says nothing ("ਧੰਨਵਾਦ ਜੀ" thanks;
# "Sat sri akal ji" greets).
_HONORIFICS = ("ji", "ਜੀ")
# A sticker counts by its emoji for these only: whoever made a sticker set chose its emoji,
# and only these say yes or no plainly.
STICKER_ANSWERS = ("👍", "✅", "👌", "❌", "👎")
# Longer than this, a message is a question's text: not read at all.
MAX_CHARS = 80
MAX_WORDS = 10

# Skin tones (👍🏽) and emoji presentation selectors: the same answer.
_IGNORED = {chr(c) for c in range(0x1F3FB, 0x1F400)} | {"\ufe0f", "\u200d"}


def fold(text: str) -> str:
    """Case, accents of a phone keyboard, punctuation and spaces set aside: what is compared.
    Gurmukhi's vowel signs are kept (they are letters of the word)."""
    # A Turkish keyboard's capital İ ("İki", "İnşallah") folds to i and a dot above.
    text = unicodedata.normalize("NFC", text).casefold().replace("i\u0307", "i")
    kept = []
    for ch in text:
        if ch in _IGNORED:
            continue
        category = unicodedata.category(ch)
        kept.append(" " if category[0] in "PZ" or category == "Cc" else ch)
    return " ".join("".join(kept).split())


_FOLDED: dict[str, Answer] = {fold(word): answer
                               for answer, words in _WORDS.items() for word in words}
_PARTICLE = frozenset(fold(word) for word in _PARTICLES)
_HONORIFIC = frozenset(fold(word) for word in _HONORIFICS)
_POLITE = frozenset(fold(word) for word in _COURTESY)
_STICKERS = frozenset(fold(emoji) for emoji in STICKER_ANSWERS)


def folded_words(text: str) -> list[str]:
    """The folded words, a symbol on its own ("evet👍" is "evet", "👍")."""
    return "".join(f" {ch} " if unicodedata.category(ch)[0] == "S" else ch
                   for ch in fold(text)).split()


@dataclass(frozen=True)
class Phrases:
    """The folded phrases a short message may be made of: ``known`` ones (one at least) and
    ``companions``, which go with them but say nothing alone ("lütfen", "ji"). For the
    acknowledgements and the typed help words (``made_of``)."""

    known: frozenset[str]
    companions: frozenset[str]

    @cached_property
    def longest(self) -> int:
        """The words of the longest phrase: no longer piece is tried."""
        return max(len(phrase.split()) for phrase in self.known | self.companions)

    def made_of(self, words: list[str], found: bool = False) -> bool:
        """Whether the words cut, from the front, into such phrases, a known one at least
        (``found``: one was, before ``words``)."""
        if not words:
            return found
        for end in range(1, min(self.longest, len(words)) + 1):
            piece = " ".join(words[:end])
            if ((piece in self.known or piece in self.companions)
                    and self.made_of(words[end:], found or piece in self.known)):
                return True
        return False


def _phrases(labels: Mapping[Answer, Iterable[str]] | None) -> dict[str, set[Answer]]:
    """Every known phrase and what it answers; the buttons' labels (``labels``: their texts,
    in every language) too. A label that is another answer's word means both: none."""
    phrases = {word: {answer} for word, answer in _FOLDED.items()}
    for answer, texts in (labels or {}).items():
        for text in texts:
            phrases.setdefault(" ".join(folded_words(text)), set()).add(answer)
    return phrases


def _readings(words: list[str], known: Mapping[str, set[Answer]]) -> Iterator[list[str]]:
    """The ways to cut the words into known phrases and courtesy words, from the front."""
    if not words:
        yield []
        return
    for end in range(1, len(words) + 1):
        piece = " ".join(words[:end])
        if piece in known or piece in _POLITE:
            for rest in _readings(words[end:], known):
                yield [piece, *rest]


_STRETCH = re.compile(r"(\w)\1{2,}")


def _unstretched(word: str, known: Mapping[str, set[Answer]]) -> str:
    """A word typed with a letter held down ("jaaa", "evettt", "neee", "hayırrr") as the
    known word it stretches: the run of three or more cut to two, else to one."""
    if word in known or word in _POLITE or not _STRETCH.search(word):
        return word
    for cut in (r"\1\1", r"\1"):
        shorter = _STRETCH.sub(cut, word)
        if shorter in known or shorter in _POLITE:
            return shorter
    return word


def _answer_of(words: list[str], known: Mapping[str, set[Answer]]) -> Answer | None:
    """The one answer the words give, cut into as few known phrases as can be ("ਨਹੀਂ ਆਵਾਂਗੇ"
    is one phrase, no, not "ਨਹੀਂ" + "ਆਵਾਂਗੇ"); a maybe with other words is a maybe ("belki
    gelirim"); yes and no together, or nothing said, is none."""
    words = [_unstretched(w, known) for w in words]
    # An emoji that says nothing here decorates ("evet 🙏"); alone, it is no answer.
    words = [w for w in words if w in known
             or any(unicodedata.category(ch)[0] != "S" for ch in w)]
    if not words or len(words) > MAX_WORDS:
        return None
    readings = list(_readings(words, known))
    if not readings:
        return None
    fewest = min(len(reading) for reading in readings)
    found: set[Answer] = set()
    for reading in readings:
        if len(reading) != fewest:
            continue
        said: set[Answer] = set().union(*(known[p] for p in reading
                                          if p in known and p not in _PARTICLE))
        # Only acknowledgements ("tamam, teşekkürler"): the yes "ok" says alone; "ji" with
        # other words is an address ("ਧੰਨਵਾਦ ਜੀ" is thanks, no yes).
        found |= said or set().union(*(
            known[p] for p in reading
            if p in _PARTICLE and not (p in _HONORIFIC and len(reading) > 1)))
    if Answer.MAYBE in found and found != {Answer.YES, Answer.NO, Answer.MAYBE}:
        return Answer.MAYBE
    return found.pop() if len(found) == 1 else None


def typed_answer(text: str, labels: Mapping[Answer, Iterable[str]] | None = None
                 ) -> Answer | None:
    """The answer a whole message gives, if it is made of the words above or is a button's
    label typed out (``labels``: the buttons' texts, in every language), else None."""
    if len(text) > MAX_CHARS:  # a question's text: not folded at all
        return None
    return _answer_of(folded_words(text), _phrases(labels))


# A number of children typed ("2", "iki", "ਦੋ", "2 kinderen") after a workshop's "yes".
_NUMBERS: dict[str, int] = {
    **{str(n): n for n in range(1, 10)}, **{"੧੨੩੪੫੬੭੮੯"[n - 1]: n for n in range(1, 10)},
    "4+": 4, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5,
    "bir": 1, "iki": 2, "üç": 3, "uc": 3, "dört": 4, "dort": 4, "beş": 5, "bes": 5,
    "ਇੱਕ": 1, "ਦੋ": 2, "ਤਿੰਨ": 3, "ਚਾਰ": 4, "ਪੰਜ": 5,
}
_CHILDREN_WORDS = ("kinderen", "kind", "kinderkes", "kindjes", "çocuk", "cocuk", "çocuğum",
                   "ਬੱਚੇ", "ਬੱਚਾ")
_CHILDREN = frozenset(fold(word) for word in _CHILDREN_WORDS)
# With a yes and a number only: "ik kom met mijn 2 kinderen", "2 çocukla geliyoruz".
_WITH_WORDS = frozenset(fold(word) for word in (
    *_CHILDREN_WORDS, "met", "mijn", "onze", "ile", "tane", "çocukla", "cocukla",
    "çocuğumla", "cocugumla", "çocuklarla", "cocuklarla", "ਬੱਚਿਆਂ", "ਨਾਲ"))


def _count_words(text: str) -> list[str]:
    """The folded words, "4 +" and "4+" as one."""
    words = folded_words(text)
    while "+" in words[1:]:
        at = words.index("+", 1)
        words[at - 1:at + 1] = [words[at - 1] + "+"]
    return words


def typed_children(text: str) -> int | None:
    """How many children a short message says, 1 to 4 (4: "4+"), or None."""
    if len(text) > MAX_CHARS:
        return None
    words = [w for w in _count_words(text) if w not in _CHILDREN]
    if len(words) != 1 or words[0] not in _NUMBERS:
        return None
    return min(_NUMBERS[words[0]], 4)


def _yes_with_children(text: str, labels: Mapping[Answer, Iterable[str]] | None) -> int | None:
    """A yes and a number of children in one message ("Evet 2 çocuk", "ja 2", "ਹਾਂ 2 ਬੱਚੇ"):
    the number (1 to 4), else None."""
    if len(text) > MAX_CHARS:
        return None
    words = _count_words(text)
    numbers = [w for w in words if w in _NUMBERS]
    if len(numbers) != 1:
        return None
    rest = [w for w in words if w not in _NUMBERS and w not in _WITH_WORDS]
    if _answer_of(rest, _phrases(labels)) is not Answer.YES:
        return None
    return min(_NUMBERS[numbers[0]], 4)


@dataclass(frozen=True)
class Typed:
    """What a typed message says: an answer, a number of children, or both."""

    answer: Answer | None  # None: a number alone, the children of a "yes" given before
    children: int | None


def read(text: str, labels: Mapping[Answer, Iterable[str]] | None = None) -> Typed | None:
    """An answer ("evet"), a yes with its children ("Evet 2 çocuk"), or a number alone ("2"):
    what the message says about a reminder, or None (it is something else)."""
    answer = typed_answer(text, labels)
    if answer is not None:
        return Typed(answer, None)
    children = _yes_with_children(text, labels)
    if children is not None:
        return Typed(Answer.YES, children)
    children = typed_children(text)
    return Typed(None, children) if children is not None else None


def sticker_text(emoji: str | None) -> str | None:
    """A sticker's emoji read as typed, when it says yes or no plainly (👍, ❌), else None."""
    return emoji if emoji and fold(emoji) in _STICKERS else None


@dataclass(frozen=True)
class Answered:
    """The reminder a typed answer is for, and its message with the buttons (to redraw)."""

    reminder_id: int
    message_id: int | None
    # It answers anew, even when an answer was kept: a reply to the reminder (or to the
    # bot's answer about it), or the first word after the ⚠️ notice of a move (a new time
    # asks again). Else the next message, which only acknowledges a kept answer.
    replied: bool
    group_key: str  # the outbox group of the reminder's occurrence, or of the move notice


async def reminder_answered(session: AsyncSession, person_id: int, chat_id: int,
                            replied_to: int | None, now: datetime,
                            before: int | None = None,
                            recent: timedelta = RECENT) -> Answered | None:
    """The reminder a typed answer is about: the one whose message it replies to (any of its
    parts, its map pin, or the bot's answer to a typed word, see ``record_reply``), or, for a
    message that replies to nothing, the reminder that is the newest message of the bot the
    outbox knows, handed over in the last ``RECENT``, unless the parent wrote in a question of
    theirs after that message (a "ja" may answer the brugfiguur then). None: the words are
    about something else. ``recent``: how long ago the reminder may have been handed over.
    ``before``: the message is an edit of the parent's message with this id: the newest of
    the bot's messages before it (a correction of an older answer, however many reminders
    came since).
    The ⚠️ notice of a move counts as the reminder it tells the new time of ("Evet
    geliyoruz" to it: yes to the new time, ``_notice_answered``).
    (The bot's direct answers to commands are not in the outbox: an "ok" to the confirmation
    of a new language, right after a reminder, is still taken as that reminder's answer.)"""
    if replied_to is not None:
        row = (await session.execute(
            select(OutboxMessage.id, OutboxMessage.group_key, OutboxMessage.telegram_message_id)
            .where(OutboxMessage.chat_id == chat_id,
                   OutboxMessage.telegram_message_id == replied_to)
            .order_by(OutboxMessage.id.desc()).limit(1))).first()
    else:
        # The newest message the bot sent them that the outbox knows (its answers to typed
        # words included, see record_reply): a bot's message ids only grow. Not "the message
        # just before this one": a bot numbers the messages of all its private chats in one
        # sequence (MTProto's per-account counter), so another parent's message may be there.
        query = (
            select(OutboxMessage.id, OutboxMessage.group_key, OutboxMessage.telegram_message_id)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == SENT,
                   OutboxMessage.telegram_message_id.is_not(None))
            .order_by(OutboxMessage.telegram_message_id.desc()).limit(1))
        if before is not None:
            query = query.where(OutboxMessage.telegram_message_id < before)
        row = (await session.execute(query)).first()
    if row is not None and (row.group_key or "").startswith(MOVED_PREFIX):
        return await _notice_answered(session, person_id, chat_id, row, replied_to, now)
    if row is None or not (row.group_key or "").startswith(GROUP_PREFIX):
        return None
    # The reminder this message belongs to: its text parts carry the reminder's id (a map pin
    # and the bot's answers to typed words do not, and follow it); the reminders of one
    # occurrence (a week ahead, the day before...) share the group.
    reminder = (await session.execute(
        select(Reminder.id, Reminder.handled_at)
        .join(OutboxMessage, OutboxMessage.reminder_id == Reminder.id)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.group_key == row.group_key,
               OutboxMessage.id <= row.id)
        .order_by(OutboxMessage.id.desc()).limit(1))).first()
    if reminder is None:
        return None
    if replied_to is None and (reminder.handled_at is None
                               or reminder.handled_at < now - recent
                               or await _question_going_on(session, person_id, chat_id,
                                                           int(row.telegram_message_id))):
        return None
    return Answered(int(reminder.id), await _buttons(session, int(reminder.id)),
                    replied=replied_to is not None, group_key=str(row.group_key))


async def is_reminder_message(session: AsyncSession, chat_id: int, message_id: int) -> bool:
    """Whether this message of the bot is one of a reminder's own parts, or the ⚠️ notice of
    its day's move (not the bot's thank-you or a map pin): what a 👍 on it answers."""
    key = await session.scalar(
        select(OutboxMessage.dedupe_key)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.telegram_message_id == message_id)
        .order_by(OutboxMessage.id.desc()).limit(1))
    return key is not None and key.startswith(("reminder:", MOVED_PREFIX))


async def _buttons(session: AsyncSession, reminder_id: int) -> int | None:
    """The reminder's message with the buttons: its last text part."""
    buttons = await session.scalar(
        select(OutboxMessage.telegram_message_id)
        .where(OutboxMessage.reminder_id == reminder_id, OutboxMessage.kind == "text",
               OutboxMessage.telegram_message_id.is_not(None))
        .order_by(OutboxMessage.id.desc()).limit(1))
    return int(buttons) if buttons is not None else None


async def _notice_answered(session: AsyncSession, person_id: int, chat_id: int, row: Row[Any],
                           replied_to: int | None, now: datetime) -> Answered | None:
    """A word after the ⚠️ notice of a move (``row``: it, one of its parts, or the bot's
    answer to a word about it), or in reply to it: the reminder the parent got of the day
    that moved, whose buttons now answer for the new time (``rsvp.decide``). The first word
    after the notice answers anew ("hayır": she cannot come at the new time), a word after
    the bot's answer to it as after a reminder. None when the notice said it no longer
    takes place, is older than ``RECENT``, or a question of theirs went on since."""
    notice = (await session.execute(
        select(OutboxMessage.id, OutboxMessage.dedupe_key, OutboxMessage.sent_at)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.group_key == row.group_key,
               OutboxMessage.id <= row.id, OutboxMessage.dedupe_key.like(f"{MOVED_PREFIX}%"))
        .order_by(OutboxMessage.id.desc()).limit(1))).first()
    move = parse_moved_key(notice.dedupe_key.split(outbox.PART_MARK)[0]) if notice else None
    if notice is None or move is None or move.new_start is None \
            or move.person_id != person_id:
        return None
    if replied_to is None and (notice.sent_at is None or notice.sent_at < now - RECENT
                               or await _question_going_on(session, person_id, chat_id,
                                                           int(row.telegram_message_id))):
        return None
    # Of the parent's reminders of the activity, the newest that the moves told lead here.
    told = await told_moves(session, move.activity_id, person_id)
    reminded = await session.execute(
        select(Reminder.id, Reminder.occurrence_start)
        .join(OutboxMessage, OutboxMessage.reminder_id == Reminder.id)
        .where(Reminder.activity_id == move.activity_id, Reminder.person_id == person_id,
               OutboxMessage.chat_id == chat_id,
               OutboxMessage.telegram_message_id.is_not(None))
        .order_by(OutboxMessage.id.desc()))
    for reminder_id, start in reminded:
        if last_told(start, told) == move.new_start:
            return Answered(int(reminder_id), await _buttons(session, int(reminder_id)),
                            replied=replied_to is not None or notice.id == row.id,
                            group_key=str(row.group_key))
    return None


async def record_reply(session: AsyncSession, person_id: int, chat_id: int, found: Answered,
                       telegram_message_id: int, now: datetime) -> None:
    """Note the bot's direct answer to a typed word (the thank-you, "how many children?") as
    a sent outbox row of the reminder's group, so that the parent's next message after it, or
    a reply to it ("2"), is about that reminder too (``outbox.note_sent``)."""
    outbox.note_sent(session, dedupe_key=f"typed-reply:{chat_id}:{telegram_message_id}",
                     chat_id=chat_id, person_id=person_id, group_key=found.group_key,
                     telegram_message_id=telegram_message_id, now=now)


async def _question_going_on(session: AsyncSession, person_id: int, chat_id: int,
                             after: int) -> bool:
    """Whether a question of the parent's (being written or open) moved on after the bot's
    message ``after`` (its Telegram id; the ids of a chat only grow): the parent wrote in it
    since, so words that reply to nothing belong to that conversation. A ❓ and a topic
    tapped with nothing written is no conversation; an answer of the brugfiguur's relayed
    since would be the newest message of the bot itself (the outbox's ``q:`` group), which is
    no reminder's."""
    return await session.scalar(
        select(QuestionMessage.id)
        .join(Question, Question.id == QuestionMessage.question_id)
        .where(Question.parent_id == person_id, Question.status.in_((DRAFT, OPEN)),
               QuestionMessage.from_parent.is_(True), QuestionMessage.chat_id == chat_id,
               QuestionMessage.message_id > after)
        .limit(1)) is not None
