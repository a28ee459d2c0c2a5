"""The rules of undoing a whole activity called off ("every time"): which day /activities
shows it by, when the undo is allowed, which notices were the whole activity's, and the
"it goes ahead again" notice keyed by one day but naming another."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.handlers.activities import ACTIVITY_DATA, _data, button_label, render_goes_ahead
from bot.i18n import BRUSSELS, use_locale
from bot.services import cancellation as rules
from bot.services import importer, outbox, programme
from bot.services.broadcast import Recipient
from bot.services.outbox import NewMessage
from bot.services.programme import ProgrammeItem
from storage import programme as programme_repo
from storage.db import Database
from storage.models import utcnow
from tests.test_cancellation import WED_25, YOGA
from tests.test_uncancel import SUNDAY

OFF = replace(YOGA, cancelled=True)  # called off as a whole; 4 November cancelled on its own
DEC_2 = WED_25 + timedelta(days=7)


def test_a_whole_activity_called_off_is_shown_by_its_first_day_to_come() -> None:
    first = rules.first_again(OFF, SUNDAY)
    assert first is not None and first.starts_at == WED_25
    # A day cancelled on its own stays off: the first day is the one after it.
    both = replace(OFF, cancelled_starts=OFF.cancelled_starts | {WED_25})
    first = rules.first_again(both, SUNDAY)
    assert first is not None and first.starts_at == DEC_2
    assert rules.first_again(YOGA, SUNDAY) is None  # not called off
    assert rules.first_again(OFF, datetime(2026, 12, 17, tzinfo=UTC)) is None  # rule ended


def test_only_its_first_day_to_come_undoes_it() -> None:
    every = rules.EVERY
    assert rules.can_undo(OFF, WED_25, SUNDAY, which=every)
    assert not rules.can_undo(OFF, DEC_2, SUNDAY, which=every)  # not the first: stale
    assert not rules.can_undo(OFF, WED_25 + timedelta(hours=1), SUNDAY, which=every)
    assert not rules.can_undo(OFF, WED_25, WED_25, which=every)  # begun
    assert rules.can_undo(OFF, DEC_2, WED_25, which=every)  # the next one, after it began
    assert not rules.can_undo(YOGA, WED_25, SUNDAY, which=every)  # not called off
    # A day's undo is not a whole activity's, nor the other way round.
    assert not rules.can_undo(OFF, WED_25, SUNDAY)
    day_off = replace(YOGA, cancelled_starts=YOGA.cancelled_starts | {WED_25})
    assert not rules.can_undo(day_off, WED_25, SUNDAY, which=every)


def test_the_buttons_fit_the_pattern_and_64_bytes() -> None:
    for action in ("rw", "uw", "gw", "kw"):
        data = _data(999_999_999, datetime.fromtimestamp(99_999_999_999, UTC), action)
        assert re.match(ACTIVITY_DATA, data) and len(data.encode()) <= 64
    assert not re.match(ACTIVITY_DATA, "act:5:1:xw")


def test_its_line_in_the_list_says_every_time() -> None:
    first = rules.first_again(OFF, SUNDAY)
    assert first is not None
    with use_locale("nl", BRUSSELS):
        assert button_label(OFF, first, every=True) == "Kinderyoga · elke keer vanaf wo 25/11"
        assert button_label(OFF, first) == "Kinderyoga · wo 25/11 14:00"


def test_good_news_is_keyed_by_one_day_and_names_another() -> None:
    """The notices of the whole activity were keyed by 25 November, its first day when it
    was called off; undone on 1 December, the good news names 2 December."""
    people = [Recipient(1, 101, "tr", frozenset({3})), Recipient(2, 102, "nl", frozenset({3}))]
    messages = rules.notices(YOGA, WED_25, people, render_goes_ahead(BRUSSELS, rules.EVERY),
                             round_mark=1, shown=DEC_2)
    stamp = rules.unix(WED_25)
    assert [m.dedupe_key for m in messages] == [f"ahead:5:{stamp}:1:1", f"ahead:5:{stamp}:1:2"]
    assert [m.payload["text"] for m in messages] == [
        "✅ İyi haber: Çocuk yogası yine her zamanki gibi yapılacak. Bir sonraki sefer: "
        "2 Aralık 2026 Çarşamba, 14:00. Karışıklık için özür dileriz. Görüşmek üzere!",
        "✅ Goed nieuws: Kinderyoga gaat toch gewoon door. Volgende keer: woensdag "
        "2 december 2026, 14:00. Sorry voor de verwarring. Tot dan!"]

    def title(_locale: str, item: ProgrammeItem) -> str:
        return item.starts_at.isoformat()

    # Without ``shown``, as for a day: the text names the day it is keyed by.
    [one] = rules.notices(YOGA, WED_25, people[:1], title)
    assert one.payload["text"] == WED_25.isoformat()


def _notice(start: datetime, person: int) -> NewMessage:
    return NewMessage(dedupe_key=rules.dedupe_key(5, start, person), chat_id=person,
                      person_id=None, kind="text", payload={"text": "❌"},
                      group_key=rules.group_key(5, start))


async def test_the_whole_activitys_notices_are_told_from_a_days(db: Database) -> None:
    """4 November was cancelled on its own (its notices keyed by it), then the whole activity
    from 25 November: its notices are those written since it was called off."""
    nov_4 = datetime(2026, 11, 4, 13, 0, tzinfo=UTC)
    async with db.session() as session:
        await outbox.enqueue_many(session, [_notice(nov_4, 1)])
        off = replace(OFF, cancelled_at=utcnow())  # (rows are stamped with the real time)
        assert await rules.every_notice_start(session, off) is None  # nobody told
        await outbox.enqueue_many(session, [_notice(WED_25, 1), _notice(WED_25, 2)])
        assert await rules.every_notice_start(session, off) == WED_25
        # Once the whole activity's are set aside (undone), none is left to find.
        assert await rules.set_notices_aside(session, 5, WED_25) == 1
        assert await rules.every_notice_start(session, off) is None
        await session.rollback()


async def test_the_days_that_began_while_it_was_off_stay_off(db: Database) -> None:
    """Called off on Sunday 22 November, undone on Thursday 3 December: 25 November and
    2 December did not take place, and stay cancelled (the report counts the days held);
    from 9 December on it goes ahead. A second undo changes nothing."""
    yoga = replace(YOGA, id=None, school_ids=(), school_codes=("wijdeland",))
    async with db.session() as session:
        await importer.apply(session, [yoga])
        row = (await programme_repo.by_external_ids(session, [yoga.external_id]))[
            yoga.external_id]
        row.cancelled_at = SUNDAY
        await session.commit()
        activity_id = row.id
    thursday, dec_9 = DEC_2 + timedelta(days=1), DEC_2 + timedelta(days=7)

    def render(_locale: str, item: ProgrammeItem) -> str:
        return item.title

    async with db.session() as session:
        data = await rules.load(session, activity_id)
        assert data is not None and rules.can_undo(data, dec_9, thursday, which=rules.EVERY)
        undone = await rules.undo(session, data, dec_9, thursday, render, which=rules.EVERY)
        assert undone is not None and undone.mark is None and undone.told_about is None
        assert undone.heard == rules.Heard([], [])
        assert await rules.undo(session, data, dec_9, thursday, render,
                                which=rules.EVERY) is None
        await session.commit()
    async with db.session() as session:
        data = await rules.load(session, activity_id)
    assert data is not None and not data.cancelled
    held = programme.held_occurrences(data, datetime(2026, 11, 1, tzinfo=UTC),
                                      datetime(2026, 12, 31, tzinfo=UTC))
    assert [o.starts_at.day for o in held] == [11, 18, 9, 16]  # 4 November: cancelled before
