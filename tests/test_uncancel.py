"""The rules of undoing a cancelled day: what /activities lists, when an undo is allowed,
and how a cancellation's notices are set aside so a later one can tell the parents again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.handlers.activities import ACTIVITY_DATA, _data
from bot.services import cancellation as rules
from bot.services import outbox
from bot.services.broadcast import Recipient
from bot.services.outbox import NewMessage
from bot.services.programme import ProgrammeItem
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage
from tests.test_cancellation import WED_25, YOGA

SUNDAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TWO_WEEKS = SUNDAY + timedelta(days=14)


def test_the_list_keeps_cancelled_days_marked() -> None:
    off = replace(YOGA, cancelled_starts=YOGA.cancelled_starts | {WED_25})
    lines = rules.listed(off, SUNDAY, TWO_WEEKS)
    assert [(line.occurrence.starts_at, line.cancelled) for line in lines] == [
        (WED_25, True), (WED_25 + timedelta(days=7), False)]
    # Nothing cancelled: as before, open days only.
    assert [line.cancelled for line in rules.listed(YOGA, SUNDAY, TWO_WEEKS)] == [False, False]
    # A whole activity called off is not listed (a day of it cannot be undone).
    assert rules.listed(replace(off, cancelled=True), SUNDAY, TWO_WEEKS) == []


def test_beyond_the_window_the_cancelled_days_up_to_the_next_open_one() -> None:
    """Both of the two weeks' days cancelled: the later ones come, up to the next open one."""
    both = replace(YOGA, cancelled_starts=frozenset(
        {WED_25, WED_25 + timedelta(days=7), WED_25 + timedelta(days=14)}))
    lines = rules.listed(both, SUNDAY, TWO_WEEKS)
    assert [(line.occurrence.starts_at - WED_25, line.cancelled) for line in lines] == [
        (timedelta(0), True), (timedelta(days=7), True), (timedelta(days=14), True),
        (timedelta(days=21), False)]
    # A one-off, cancelled, weeks away: listed, so that it can be undone.
    party = replace(YOGA, rrule=None, starts_at=datetime(2026, 12, 18, 13, 0, tzinfo=UTC),
                    ends_at=datetime(2026, 12, 18, 15, 0, tzinfo=UTC),
                    cancelled_starts=frozenset({datetime(2026, 12, 18, 13, 0, tzinfo=UTC)}))
    [line] = rules.listed(party, SUNDAY, TWO_WEEKS)
    assert line.cancelled and line.occurrence.starts_at.day == 18


def test_only_a_cancelled_day_still_to_come_can_be_undone() -> None:
    nov_4 = datetime(2026, 11, 4, 13, 0, tzinfo=UTC)  # cancelled in YOGA
    off = replace(YOGA, cancelled_starts=YOGA.cancelled_starts | {WED_25})
    assert rules.can_undo(off, WED_25, SUNDAY)
    assert not rules.can_undo(off, WED_25, WED_25)  # begun
    assert not rules.can_undo(off, nov_4, SUNDAY)  # past
    assert not rules.can_undo(YOGA, WED_25, SUNDAY)  # not cancelled
    assert not rules.can_undo(off, WED_25 + timedelta(hours=1), SUNDAY)  # no such hour
    assert not rules.can_undo(replace(off, cancelled=True), WED_25, SUNDAY)  # all of it off


def test_goes_ahead_notices_carry_their_round() -> None:
    people = [Recipient(1, 101, "tr", frozenset({3})), Recipient(2, 102, "nl", frozenset({3}))]

    def render(locale: str, item: ProgrammeItem) -> str:
        return f"{locale}: {item.title}"

    stamp = rules.unix(WED_25)
    messages = rules.notices(YOGA, WED_25, people, render, round_mark=2)
    assert [m.dedupe_key for m in messages] == [f"ahead:5:{stamp}:2:1", f"ahead:5:{stamp}:2:2"]
    assert {m.group_key for m in messages} == {f"ahead:5:{stamp}:2"}
    assert rules.round_of(f"undone:5:{stamp}:12") == 12
    assert rules.round_of("garbage") == 0


def test_the_new_buttons_fit_the_pattern_and_64_bytes() -> None:
    import re

    for action in ("ro", "uo", "go", "ko"):
        data = _data(999_999_999, datetime.fromtimestamp(99_999_999_999, UTC), action)
        assert re.match(ACTIVITY_DATA, data) and len(data.encode()) <= 64
    assert not re.match(ACTIVITY_DATA, "act:5:1:ra")  # a whole activity is undone with rw / uw


def _notice(person: int, key: str | None = None) -> NewMessage:
    return NewMessage(dedupe_key=key or rules.dedupe_key(5, WED_25, person), chat_id=person,
                      person_id=None, kind="text", payload={"text": "❌"},
                      group_key=rules.group_key(5, WED_25))


async def _rows(db: Database) -> list[tuple[str, str | None, str]]:
    async with db.session() as session:
        found = await session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.group_key,
                                             OutboxMessage.status).order_by(OutboxMessage.id))
        return [(k, g, s) for k, g, s in found.all()]


async def test_an_undo_sets_the_notices_aside_and_frees_their_keys(db: Database) -> None:
    stamp = rules.unix(WED_25)
    async with db.session() as session:
        assert await rules.set_notices_aside(session, 5, WED_25) is None  # nobody told
        await outbox.enqueue_many(session, [_notice(1), _notice(2)])
        [first, _second] = await outbox_repo.pending_ids(session,
                                                         group_key=rules.group_key(5, WED_25))
        await outbox_repo.mark_sent(session, first, telegram_message_id=1, now=SUNDAY)
        assert await rules.set_notices_aside(session, 5, WED_25) == 1
        await session.commit()
    # The sent one is kept aside; the waiting one is never sent.
    assert await _rows(db) == [
        (f"cancel:5:{stamp}:1:u1", f"undone:5:{stamp}:1", "sent"),
        (f"cancel:5:{stamp}:2:u1", f"undone:5:{stamp}:1", "dropped")]
    async with db.session() as session:
        assert await rules.last_undone_round(session, 5, WED_25) == 1
        # Cancelled again: the same keys are free, and a second undo is round 2.
        assert await outbox.enqueue_many(session, [_notice(1)]) == 1
        assert await rules.set_notices_aside(session, 5, WED_25) == 2
        assert await rules.last_undone_round(session, 5, WED_25) == 2
        assert await rules.last_undone_round(session, 6, WED_25) is None
        await session.commit()
    assert [k for k, _g, _s in await _rows(db)][-1] == f"cancel:5:{stamp}:1:u2"
