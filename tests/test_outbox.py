"""The outbox without Telegram: splitting long texts, the drop rule, enqueue and the claim."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services import outbox
from bot.services.outbox import NewMessage, Progress, drop_reason, split_text, utf16_len
from storage import outbox as repo
from storage.db import Database
from storage.models import OutboxMessage, Person, utcnow

GURMUKHI = "ਸਕੂਲ ਵਿੱਚ ਮਾਪਿਆਂ ਦੀ ਮੀਟਿੰਗ ਬੁੱਧਵਾਰ ਨੂੰ ਹੈ। ਕਿਰਪਾ ਕਰਕੇ ਸਮੇਂ ਸਿਰ ਆਓ।"
BUTTONS = {"inline_keyboard": [[{"text": "OK", "callback_data": "rsvp:1:yes"}]]}


# --------------------------------------------------------------------------------------------
# split_text


def words(text: str) -> list[str]:
    return text.split()


def test_short_text_is_one_part() -> None:
    assert split_text("Hallo") == ["Hallo"]
    assert split_text("x" * 4096) == ["x" * 4096]


def test_exact_limit_in_utf16_units() -> None:
    # 2048 emoji are 4096 UTF-16 units: one message; one more character makes two.
    assert split_text("😀" * 2048) == ["😀" * 2048]
    assert split_text("😀" * 2048 + " a") == ["😀" * 2048, "a"]
    assert split_text("a" * 4095 + " b") == ["a" * 4095, "b"]


def test_paragraph_break_right_after_the_limit() -> None:
    text = "a" * 4096 + "\n\n" + "b" * 10
    assert split_text(text) == ["a" * 4096, "b" * 10]


def test_prefers_paragraphs_then_lines_then_words() -> None:
    para1 = "een twee drie\n" * 100  # 1400 characters in lines
    para2 = "vier vijf zes " * 250  # 3500 characters, no line break
    parts = split_text(para1 + "\n" + para2.strip())
    assert parts == [para1.strip(), para2.strip()]

    lines = [f"regel nummer {i:04d} met wat woorden erin" for i in range(200)]
    parts = split_text("\n".join(lines))
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert [line for p in parts for line in p.split("\n")] == lines  # cut between lines only


def test_words_are_never_cut() -> None:
    text = " ".join(f"woord{i}" for i in range(2000))
    parts = split_text(text, limit=500)
    assert all(utf16_len(p) <= 500 for p in parts)
    assert [w for p in parts for w in words(p)] == words(text)


def test_gurmukhi_is_cut_between_words() -> None:
    text = " ".join([GURMUKHI] * 200)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert [w for p in parts for w in words(p)] == words(text)
    # No part starts with a vowel sign or another mark of the previous letter.
    assert all(unicodedata.category(p[0]) not in ("Mn", "Mc") for p in parts)


def test_emoji_count_double() -> None:
    text = " ".join(["👨‍👩‍👧 🇧🇪 👍🏽 ok"] * 600)
    assert len(text) < 4096 * 3 and utf16_len(text) > 4096 * 2
    parts = split_text(text)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert [w for p in parts for w in words(p)] == words(text)


def test_a_10000_character_word_is_cut_hard() -> None:
    parts = split_text("x" * 10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_a_hard_cut_keeps_characters_whole() -> None:
    # A family emoji is 8 UTF-16 units joined by ZWJ; a flag is two regional indicators.
    for unit in ("👨‍👩‍👧", "🇧🇪", "ਖ਼ੁ", "ਕ੍ਰਿ", "👍🏽"):
        for shift in ("", "x", "xy", "xyz"):  # cuts at every offset within the unit
            text = shift + unit * 3000
            parts = split_text(text)
            assert "".join(parts) == text
            assert all(utf16_len(p) <= 4096 for p in parts)
            cuts = [sum(len(p) for p in parts[:i]) for i in range(1, len(parts))]
            assert all((cut - len(shift)) % len(unit) == 0 for cut in cuts), (unit, shift)


# --------------------------------------------------------------------------------------------
# the drop rule


@pytest.mark.parametrize(
    ("stopped", "blocked", "always", "reason"),
    [
        (False, False, False, None),
        (True, False, False, "stopped"),
        (False, True, False, "blocked"),
        (True, True, False, "blocked"),
        (True, False, True, None),
        (False, True, True, None),
    ],
)
def test_drop_rule(stopped: bool, blocked: bool, always: bool, reason: str | None) -> None:
    assert drop_reason(stopped=stopped, blocked=blocked, always=always) == reason


# --------------------------------------------------------------------------------------------
# enqueue


async def add_people(db: Database, n: int, first_id: int = 70_000) -> list[tuple[int, int]]:
    """(person id, chat id) of n new parents."""
    async with db.session() as session:
        people = [Person(telegram_id=first_id + i, first_name=f"P{i}", locale="nl",
                         role="parent") for i in range(n)]
        session.add_all(people)
        await session.commit()
        return [(p.id, p.telegram_id) for p in people]


async def all_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_enqueue_twice_is_one_row(db: Database) -> None:
    [(person, chat)] = await add_people(db, 1)
    for expected in (True, False):
        async with db.session() as session:
            added = await outbox.enqueue(
                session, dedupe_key=f"broadcast:1:{person}", chat_id=chat, person_id=person,
                kind="text", payload={"text": "Hallo"}, group_key="broadcast:1")
            await session.commit()
        assert added is expected
    [row] = await all_rows(db)
    assert (row.status, row.attempts, row.chat_id, row.group_key) == (
        "pending", 0, chat, "broadcast:1")
    assert json.loads(row.payload) == {"text": "Hallo"}
    assert row.not_before <= utcnow()


async def test_a_long_text_becomes_parts_with_the_buttons_last(db: Database) -> None:
    text = "\n\n".join(["Een alinea met tekst. " * 40] * 8)  # about 7,000 characters
    async with db.session() as session:
        assert await outbox.enqueue(session, dedupe_key="reminder:9:1:day", chat_id=5,
                                    person_id=None, kind="text",
                                    payload={"text": text, "reply_markup": BUTTONS,
                                             "parse_mode": "HTML"})
        await session.commit()
    rows = await all_rows(db)
    assert [r.dedupe_key for r in rows] == ["reminder:9:1:day#1", "reminder:9:1:day#2"]
    payloads = [json.loads(r.payload) for r in rows]
    assert "reply_markup" not in payloads[0] and payloads[1]["reply_markup"] == BUTTONS
    assert all(p["parse_mode"] == "HTML" for p in payloads)
    assert words(payloads[0]["text"] + " " + payloads[1]["text"]) == words(text)
    async with db.session() as session:  # the same message again: nothing new
        assert not await outbox.enqueue(session, dedupe_key="reminder:9:1:day", chat_id=5,
                                        person_id=None, kind="text", payload={"text": text})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"kind": "sticker"}, "kind"),
        ({"dedupe_key": "a#1"}, "key"),
        ({"dedupe_key": "k" * 157}, "key"),
        ({"payload": {"text": "  "}}, "empty"),
        ({"payload": {"file_id": "F", "caption": "c" * 1025}, "kind": "photo"}, "caption"),
        ({"not_before": utcnow().replace(tzinfo=None)}, "aware"),
    ],
)
async def test_enqueue_refuses_bad_messages(db: Database, changes: dict, problem: str) -> None:
    message = {"dedupe_key": "k", "chat_id": 1, "person_id": None, "kind": "text",
               "payload": {"text": "hi"}, **changes}
    async with db.session() as session:
        with pytest.raises(ValueError, match=problem):
            await outbox.enqueue(session, **message)


async def test_enqueue_many_5000_is_quick(db: Database) -> None:
    people = await add_people(db, 5000)
    messages = [NewMessage(f"broadcast:7:{person}", chat, person, "text",
                           {"text": "Morgen is er geen school. 🏫"}, group_key="broadcast:7")
                for person, chat in people]
    started = time.monotonic()
    async with db.session() as session:
        assert await outbox.enqueue_many(session, messages) == 5000
        await session.commit()
    assert time.monotonic() - started < 1.5  # about 0.2 s on a laptop
    async with db.session() as session:
        assert await outbox.enqueue_many(session, messages[:10]) == 0
        assert await outbox.progress(session, "broadcast:7") == Progress(total=5000,
                                                                          pending=5000)


# --------------------------------------------------------------------------------------------
# claim and outcomes (storage)


async def claim(db: Database, limit: int = 50, lease: float = 60.0) -> list[repo.ClaimedMessage]:
    async with db.session() as session:
        rows = await repo.claim(session, now=utcnow(), limit=limit,
                                lease=timedelta(seconds=lease))
        await session.commit()
        return rows


async def test_claim_takes_due_rows_once_and_one_per_chat(db: Database) -> None:
    (p1, c1), (p2, c2) = await add_people(db, 2)
    long_text = "woord " * 1000  # two parts
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage("a", c1, p1, "text", {"text": long_text}),
            NewMessage("b", c2, p2, "text", {"text": "nu"}),
            NewMessage("c", c2, p2, "text", {"text": "straks"},
                       not_before=utcnow() + timedelta(hours=1)),
        ])
        await session.commit()
    first = await claim(db)
    # Part 2 of "a" waits for part 1; "c" is not due yet.
    assert [r.dedupe_key for r in first] == ["a#1", "b"]
    assert [r.attempts for r in first] == [1, 1]
    assert await claim(db) == []
    async with db.session() as session:
        await repo.mark_sent(session, first[0].id, telegram_message_id=11, now=utcnow())
        await session.commit()
    assert [r.dedupe_key for r in await claim(db)] == ["a#2"]


async def test_a_retried_first_part_keeps_the_second_waiting(db: Database) -> None:
    [(person, chat)] = await add_people(db, 1)
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="long", chat_id=chat, person_id=person,
                             kind="text", payload={"text": "woord " * 1000})
        await session.commit()
    [part1] = await claim(db)
    async with db.session() as session:
        await repo.retry_later(session, part1.id, chat_id=chat, error="network",
                               not_before=utcnow() + timedelta(seconds=30))
        await session.commit()
    assert await claim(db) == []  # part 2 is not sent ahead of part 1
    rows = await all_rows(db)
    assert rows[0].not_before == rows[1].not_before


async def test_an_expired_claim_is_taken_again(db: Database) -> None:
    [(person, chat)] = await add_people(db, 1)
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="x", chat_id=chat, person_id=person,
                             kind="text", payload={"text": "hi"})
        await session.commit()
    assert len(await claim(db)) == 1
    assert await claim(db) == []  # still within its lease
    [again] = await claim(db, lease=0.0)  # the sender died: the lease ran out
    assert again.attempts == 2


async def test_blocked_person_loses_pending_rows(db: Database) -> None:
    (p1, c1), (p2, c2) = await add_people(db, 2)
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage("b1", c1, p1, "text", {"text": "1"}, group_key="g"),
            NewMessage("r1", c1, p1, "text", {"text": "2"},
                       not_before=utcnow() + timedelta(days=1)),
            NewMessage("b2", c2, p2, "text", {"text": "1"}, group_key="g"),
        ])
        await session.commit()
    claimed = await claim(db)
    async with db.session() as session:
        dropped = await repo.mark_blocked(session, claimed[0].id, chat_id=c1, person_id=p1,
                                          now=utcnow())
        await repo.mark_sent(session, claimed[1].id, telegram_message_id=1, now=utcnow())
        await session.commit()
        assert dropped == 1
        person = await session.get(Person, p1)
        assert person is not None and person.blocked_at is not None
        assert await outbox.progress(session, "g") == Progress(total=2, sent=1, blocked=1,
                                                              errors={"blocked": 1})
    assert [(r.status, r.error) for r in await all_rows(db)] == [
        ("failed", "blocked"), ("dropped", "blocked"), ("sent", None)]


async def test_forget_erases_pending_messages(db: Database) -> None:
    [(person, chat)] = await add_people(db, 1)
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="x", chat_id=chat, person_id=person,
                             kind="text", payload={"text": "hi"})
        await session.commit()
    async with db.session() as session:
        await session.delete(await session.get(Person, person))
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_release_gives_the_try_back(db: Database) -> None:
    [(person, chat)] = await add_people(db, 1)
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="x", chat_id=chat, person_id=person,
                             kind="text", payload={"text": "hi"})
        await session.commit()
    [row] = await claim(db)
    async with db.session() as session:
        await repo.release(session, [row.id])
        await session.commit()
    [again] = await claim(db)
    assert again.attempts == 1


async def test_concurrent_claims_never_share_a_row(db: Database) -> None:
    """Several senders at once (PostgreSQL: SKIP LOCKED; SQLite: one writer at a time)."""
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage(f"k{i}", 1000 + i, None, "text", {"text": "x"}) for i in range(120)])
        await session.commit()

    async def one_sender() -> list[int]:
        async with db.session() as session:
            rows = await repo.claim(session, now=utcnow(), limit=40,
                                    lease=timedelta(seconds=60))
            await asyncio.sleep(0.05)  # hold the claim while the others try
            await session.commit()
            return [r.id for r in rows]

    claimed = [i for ids in await asyncio.gather(*(one_sender() for _ in range(4)))
               for i in ids]
    assert len(claimed) == len(set(claimed)) == 120
