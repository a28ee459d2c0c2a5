"""An answer to a reminder typed instead of tapped: "evet", "ja", "ਹਾਂ", 👍.

A parent who reads little often answers "Will you come?" in words, as in any chat. Such a
message is taken as the matching button when it is clearly about a reminder: a reply to the
reminder's message (or to the bot's answer about it), or the parent's next message after it
(the newest message of the bot the outbox knows is that reminder or the bot's answer about it,
of the last few days, and the parent has no question going on). A word after an answer was
kept does not answer again: "ok" or 👍 acknowledges. After a workshop's "yes", a
number ("2", "iki", "ਦੋ") is how many children come. Anything longer or less certain stays a
help question, as before: a person reads it.

Usage::

    answer = typed_answer(message.text, labels)          # Answer.YES, or None
    children = typed_children(message.text)              # 2, or None
    found = await reminder_answered(session, person_id, chat_id, replied_to, now)
    await record_reply(session, person_id, chat_id, found, sent.message_id, now)  # bot's answer
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.questions import DRAFT, OPEN
from bot.services.reminders import GROUP_PREFIX, Answer
from storage.models import OutboxMessage, Question, Reminder
from storage.outbox import SENT

# A bare word counts for a reminder sent this recently; later, it is more likely about
# something else (and the reminder's own buttons still work).
RECENT = timedelta(days=3)

# Whole messages, compared after ``fold``: nl, tr (with and without Turkish letters, as
# phone keyboards type them), pa (Gurmukhi and the Latin letters many type it in), emoji.
# "ok" and "tamam" answer "Will you come?" with yes; the confirmation shows what was kept,
# with the buttons to change it.
_WORDS: dict[Answer, tuple[str, ...]] = {
    Answer.YES: (
        "ja", "jaa", "jawel", "ja hoor", "ja ik kom", "ik kom", "we komen", "wij komen",
        "ik kom zeker", "zeker", "ok", "oke", "oké", "okay", "yes",
        "evet", "evt", "tamam", "tmm", "olur", "geliyorum", "gelirim", "geleceğim",
        "gelecegim", "gelicem", "geliriz", "geleceğiz", "gelecegiz", "katılıyorum",
        "katiliyorum", "katılacağım", "katilacagim", "evet geliyorum", "evet gelirim",
        "ਹਾਂ", "ਹਾਂਜੀ", "ਹਾਂ ਜੀ", "ਜੀ ਹਾਂ", "ਜੀ", "ਠੀਕ ਹੈ", "ਆਵਾਂਗਾ", "ਆਵਾਂਗੀ", "ਆਵਾਂਗੇ",
        "ਮੈਂ ਆਵਾਂਗਾ", "ਮੈਂ ਆਵਾਂਗੀ", "ਅਸੀਂ ਆਵਾਂਗੇ", "haan", "han", "haan ji", "han ji", "ji",
        "ji haan", "ha ji",
        "👍", "✅", "👌",
    ),
    Answer.MAYBE: (
        "misschien", "misschien wel", "weet niet", "weet ik niet", "ik weet het niet",
        "ik weet het nog niet", "belki", "bilmiyorum", "emin değilim", "emin degilim",
        "ਸ਼ਾਇਦ", "ਸ਼ਾਯਦ", "ਪਤਾ ਨਹੀਂ", "shayad", "pata nahi", "🤔",
    ),
    Answer.NO: (
        "nee", "neen", "nee sorry", "sorry nee", "nee helaas", "helaas niet", "helaas nee",
        "ik kan niet", "kan niet", "ik kom niet", "no",
        "hayır", "hayir", "yok", "gelemem", "gelemiyorum", "gelmeyeceğim", "gelmeyecegim",
        "gelemeyeceğim", "gelemeyecegim", "katılamam", "katilamam", "maalesef gelemem",
        "ਨਹੀਂ", "ਨਹੀ", "ਨਾ", "ਨਹੀਂ ਜੀ", "ਨਹੀਂ ਆ ਸਕਦਾ", "ਨਹੀਂ ਆ ਸਕਦੀ", "ਮੈਂ ਨਹੀਂ ਆ ਸਕਦਾ",
        "ਮੈਂ ਨਹੀਂ ਆ ਸਕਦੀ", "nahi", "nahin", "nai", "na",
        "❌", "👎",
    ),
}

# Skin tones (👍🏽) and emoji presentation selectors: the same answer.
_IGNORED = {chr(c) for c in range(0x1F3FB, 0x1F400)} | {"\ufe0f", "\u200d"}


def fold(text: str) -> str:
    """Case, accents of a phone keyboard, punctuation and spaces set aside: what is compared.
    Gurmukhi's vowel signs are kept (they are letters of the word)."""
    text = unicodedata.normalize("NFC", text).casefold()
    kept = []
    for ch in text:
        if ch in _IGNORED:
            continue
        category = unicodedata.category(ch)
        kept.append(" " if category[0] in "PZ" or category == "Cc" else ch)
    return " ".join("".join(kept).split())


_FOLDED: dict[str, Answer] = {fold(word): answer
                               for answer, words in _WORDS.items() for word in words}
LONGEST = max(len(word) for word in _FOLDED)


def typed_answer(text: str, labels: Mapping[Answer, Iterable[str]] | None = None
                 ) -> Answer | None:
    """The answer a whole message gives, if it is one of the words above or a button's
    label typed out (``labels``: the buttons' texts, in every language), else None."""
    if len(text) > 2 * LONGEST:  # a question's text: not folded at all
        return None
    folded = fold(text)
    if folded not in _FOLDED:  # "Evet 👍": the word without its emoji
        folded = " ".join("".join(ch for ch in folded
                                  if unicodedata.category(ch)[0] != "S").split()) or folded
    found = {_FOLDED[folded]} if folded in _FOLDED else set()
    for answer, texts in (labels or {}).items():
        if folded in {fold(t) for t in texts}:
            found.add(answer)
    return found.pop() if folded and len(found) == 1 else None


# A number of children typed ("2", "iki", "ਦੋ", "2 kinderen") after a workshop's "yes".
_NUMBERS: dict[str, int] = {
    **{str(n): n for n in range(1, 10)}, **{"੧੨੩੪੫੬੭੮੯"[n - 1]: n for n in range(1, 10)},
    "4+": 4, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5,
    "bir": 1, "iki": 2, "üç": 3, "uc": 3, "dört": 4, "dort": 4, "beş": 5, "bes": 5,
    "ਇੱਕ": 1, "ਦੋ": 2, "ਤਿੰਨ": 3, "ਚਾਰ": 4, "ਪੰਜ": 5,
}
_CHILDREN_WORDS = ("kinderen", "kind", "kinderkes", "çocuk", "cocuk", "çocuğum", "ਬੱਚੇ", "ਬੱਚਾ")


def typed_children(text: str) -> int | None:
    """How many children a short message says, 1 to 4 (4: "4+"), or None."""
    if len(text) > 2 * LONGEST:
        return None
    words = text.casefold().replace("+", " + ").split()
    words = [w.strip(".!,") for w in words if w.strip(".!,") not in _CHILDREN_WORDS]
    if words[-1:] == ["+"]:
        words = [words[0] + "+"] if len(words) == 2 else []
    if len(words) != 1 or words[0] not in _NUMBERS:
        return None
    return min(_NUMBERS[words[0]], 4)


@dataclass(frozen=True)
class Answered:
    """The reminder a typed answer is for, and its message with the buttons (to redraw)."""

    reminder_id: int
    message_id: int | None
    replied: bool  # a reply to the reminder (or to the bot's answer about it); else next
    group_key: str  # the outbox group of the reminder's occurrence


async def reminder_answered(session: AsyncSession, person_id: int, chat_id: int,
                            replied_to: int | None, now: datetime) -> Answered | None:
    """The reminder a typed answer is about: the one whose message it replies to (any of its
    parts, its map pin, or the bot's answer to a typed word, see ``record_reply``), or, for a
    message that replies to nothing, the reminder that is the newest message of the bot the
    outbox knows, handed over in the last ``RECENT``, when the parent has no question going
    on (a "ja" may answer the brugfiguur then). None: the words are about something else.
    (The bot's direct answers to commands are not in the outbox: an "ok" to the confirmation
    of a new language, right after a reminder, is still taken as that reminder's answer.)"""
    if replied_to is not None:
        row = (await session.execute(
            select(OutboxMessage.id, OutboxMessage.group_key)
            .where(OutboxMessage.chat_id == chat_id,
                   OutboxMessage.telegram_message_id == replied_to)
            .order_by(OutboxMessage.id.desc()).limit(1))).first()
    else:
        # The newest message the bot sent them that the outbox knows (its answers to typed
        # words included, see record_reply): a bot's message ids only grow. Not "the message
        # just before this one": a bot numbers the messages of all its private chats in one
        # sequence (MTProto's per-account counter), so another parent's message may be there.
        row = (await session.execute(
            select(OutboxMessage.id, OutboxMessage.group_key)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == SENT,
                   OutboxMessage.telegram_message_id.is_not(None))
            .order_by(OutboxMessage.telegram_message_id.desc()).limit(1))).first()
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
                               or reminder.handled_at < now - RECENT
                               or await _question_going_on(session, person_id)):
        return None
    # The buttons are under its last text part.
    buttons = await session.scalar(
        select(OutboxMessage.telegram_message_id)
        .where(OutboxMessage.reminder_id == reminder.id, OutboxMessage.kind == "text",
               OutboxMessage.telegram_message_id.is_not(None))
        .order_by(OutboxMessage.id.desc()).limit(1))
    return Answered(int(reminder.id), int(buttons) if buttons is not None else None,
                    replied=replied_to is not None, group_key=str(row.group_key))


async def record_reply(session: AsyncSession, person_id: int, chat_id: int, found: Answered,
                       telegram_message_id: int, now: datetime) -> None:
    """Note the bot's direct answer to a typed word (the thank-you, "how many children?") as
    a sent outbox row of the reminder's group, so that the parent's next message after it, or
    a reply to it ("2"), is about that reminder too. Its payload is empty: never sent again."""
    session.add(OutboxMessage(
        dedupe_key=f"typed-reply:{chat_id}:{telegram_message_id}", chat_id=chat_id,
        person_id=person_id, kind="text", payload="{}", group_key=found.group_key,
        status=SENT, not_before=now, created_at=now, sent_at=now,
        telegram_message_id=telegram_message_id))


async def _question_going_on(session: AsyncSession, person_id: int) -> bool:
    """Whether the parent has a question being written or open: words that reply to nothing
    belong to that conversation."""
    return await session.scalar(
        select(Question.id).where(Question.parent_id == person_id,
                                  Question.status.in_((DRAFT, OPEN))).limit(1)) is not None
