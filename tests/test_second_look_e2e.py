"""A second look at the fixes for a coordinator on a slow line and at the calendar's edges:
the overnight rule of /activity when the start changes, the door's "kept" answer only for
work really kept, an undo while a notice is on its way that then fails, a live location (a
stream of edits) left unanswered, a preview slower than its double-tap window."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.handlers import bursts
from bot.services.activity_draft import answer, skip_problem
from storage.db import Database
from storage.models import Activity
from tests.fake_telegram import FakeTelegram
from tests.helpers import QUIET, Chat, Handled, Person, outbox_settled
from tests.test_activity_edit_e2e import open_edit
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_slow_coordinator_e2e import (
    KEPT,
    cancel_and_tell,
    notice_on_its_way,
    sent_texts_since,
    taps_twice,
    undo,
    yoga,
)

# --------------------------------------------------------------------------------------------
# /activity: the overnight rule when the start changes after the end


def test_a_day_time_typed_for_a_new_years_eve_party_stays_on_one_day() -> None:
    """New Year's Eve 23:30-00:30 (the end on 1 January), then "Time" tapped: start 10:00,
    end 12:00. She means a morning of the 31st, and gets 10:00 on the 31st until 12:00 on
    1 January (the summary shows two days; a weekly sleep-over 19:00-09:00 made a breakfast
    08:00-09:00 likewise lasts 25 hours)."""
    party = {"date": "2026-12-31", "start": "23:30", "end": "00:30", "span_days": 1}
    moved, problem = answer(party, "start", "10:00")
    assert problem is None
    ended, problem = answer(moved, "end", "12:00")
    assert problem is None
    assert ended["span_days"] == 0, ended


def test_keeping_a_night_end_after_a_morning_start_is_refused() -> None:
    sleep_over = {"date": "2026-12-05", "start": "19:00", "end": "09:00", "span_days": 1}
    moved, _problem = answer(sleep_over, "start", "10:00")
    assert skip_problem(moved, "end") is not None


def test_the_midnight_end_still_follows_a_changed_start() -> None:
    """Pinned: an evening until midnight moved to the afternoon is one day again (the
    rule before today's change, kept)."""
    evening = {"date": "2026-12-05", "start": "20:00", "end": "00:00", "span_days": 1}
    moved, _problem = answer(evening, "start", "14:00")
    ended, problem = answer(moved, "end", "16:00")
    assert problem is None and ended["span_days"] == 0, ended


# --------------------------------------------------------------------------------------------
# the door: "what you did is saved" only when it was

ONE_ACTIVITY = ("id;kind;schools;date;start;end;title_nl\n"
                "dans-klimop;workshop;klimop;2026-12-01;14:00;{end};Dansen\n")


async def import_csv(greet: Person, content: str) -> str:
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=content.encode())
    return str(reply["text"])


async def ends_at(db: Database, external_id: str) -> datetime:
    async with db.session() as session:
        found = await session.scalar(select(Activity.ends_at).where(
            Activity.external_id == external_id))
        assert found is not None
        return found


async def test_a_save_that_saved_nothing_never_says_it_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    assert (await import_csv(greet, ONE_ACTIVITY.format(end="15:00"))).startswith("Ingelezen")
    summary, draft_id = await open_edit(fake, greet, db, "dans-klimop")
    # Meanwhile a file changes the activity: Save must write nothing.
    assert (await import_csv(greet, ONE_ACTIVITY.format(end="16:00"))).startswith("Ingelezen")
    before = await ends_at(db, "dans-klimop")
    fake.fail_next("answerCallbackQuery", 500)
    mark = fake.mark()
    await greet.presses(summary, f"ad:{draft_id}:save")
    await fake.wait_idle(quiet=QUIET)
    assert await ends_at(db, "dans-klimop") == before  # nothing was saved, rightly
    said = sent_texts_since(fake, greet.id, mark)
    assert KEPT not in said, said


# --------------------------------------------------------------------------------------------
# an undo while a cancellation notice is on its way


async def test_a_parent_whose_notice_failed_gets_no_goes_ahead_message(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9611, "Ayşe", "tr", "wijdeland")
    fake.fail_next("sendMessage", 500, chat_id=ayse.id)  # its only try fails, slowly
    listing = await cancel_and_tell(greet, fake)
    await notice_on_its_way(db, fake)
    said = await undo(greet, listing, db)
    assert said.startswith("Het gaat weer door."), said  # asked while it was unknown: fair
    fake.latency = 0
    await asyncio.sleep(1.5)  # the 500 has come back by now
    await outbox_settled(db)
    assert not any(t.startswith("❌") for t in fake.texts(ayse.id))  # she never heard it
    # Now the bot knows the notice never arrived; the coordinator says yes, tell them.
    mark = fake.mark()
    stamp = int(datetime(2026, 11, 25, 13, 0, tzinfo=UTC).timestamp())
    await greet.presses(listing, f"act:{await yoga(db)}:{stamp}:go")
    await outbox_settled(db)
    await fake.wait_idle(quiet=QUIET)
    told = sent_texts_since(fake, ayse.id, mark)
    assert told == [], told


# --------------------------------------------------------------------------------------------
# a team member's edited message


async def test_a_live_location_of_the_coordinator_is_not_answered_at_each_move(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    update = fake.send_location(greet.user, 50.81, 5.18)
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)
    message = dict(update["message"])
    mark = fake.mark()
    for step in range(3):  # Telegram sends the moving point as edits of the message
        moved = {**message, "location": {"latitude": 50.81 + step / 1000, "longitude": 5.18,
                                         "live_period": 900},
                 "edit_date": int(time.time())}
        sent = fake.queue_update({"edited_message": moved})
        await bot.wait(sent["update_id"])
    await fake.wait_idle(quiet=QUIET)
    said = sent_texts_since(fake, greet.id, mark)
    assert said == [], said


async def test_a_coordinators_edited_title_is_answered_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The day's rule itself: a text fixed by the coordinator is told to have changed
    nothing (it pins the behaviour the live location above must not trigger)."""
    greet = await coordinator_of(chat)
    update = fake.send_text(greet.user, "Dit is een notitie")
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)
    answers = await greet.edits(update["message"], "Dit is een notitie, verbeterd")
    assert len(answers) == 1, answers


async def test_an_edit_in_a_group_is_not_answered(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    group = -100777
    update = fake.send_group_text(greet.user, group, "Hallo allemaal")
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=QUIET)
    mark = fake.mark()
    edit = fake.send_edited_text(greet.user, update["message"]["message_id"],
                                 "Hallo allemaal!", chat_id=group)
    await bot.wait(edit["update_id"])
    await fake.wait_idle(quiet=QUIET)
    assert sent_texts_since(fake, group, mark) == []


# --------------------------------------------------------------------------------------------
# preview_once on a slow line


async def test_a_double_tap_on_a_preview_slower_than_the_window_shows_it_once(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window scaled down (10 s -> 0.3 s) with the line (three sends of 0.25 s): as a
    preview of three languages and voices taking over ten seconds on a bad mobile line."""
    greet = await coordinator_with_programme(chat)
    await onboard(chat, 9621, "Els", "nl", "vlindertje")
    await greet.says("/broadcast")
    monkeypatch.setattr(bursts, "PREVIEW_SECONDS", 0.3)
    fake.latency = 0.25
    mark = fake.mark()
    await taps_twice(greet, bot, fake, "👁 Voorbeeld")
    previews = Counter(t.split("\n")[0].replace("<b>", "").replace("</b>", "")
                       for t in sent_texts_since(fake, greet.id, mark))
    assert previews == {"👁 Nederlands": 1, "👁 Türkçe": 1, "👁 ਪੰਜਾਬੀ": 1}, previews
