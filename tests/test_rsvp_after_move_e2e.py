"""An answer to an activity that moved, end to end: the old reminder's buttons answer for the
new day and the alert names it; a word typed after the ⚠️ notice of the move ("Evet
geliyoruz") answers for the new day as after a reminder, no help question. From the review
in tests/test_review_parent_month_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import func, select

from bot.scheduler.questions import housekeeping
from storage.db import Database
from storage.models import Question, Rsvp
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_moves_e2e import notices, replan_at
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv, local, nl_reminder_id

TOPIC_QUESTION_TR = "Sorunuz ne hakkında? Bir düğmeye dokunun."
THURSDAY = BABBEL.replace("2026-11-25;13:30;15:00", "2026-11-26;14:00;15:30")


async def question_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Question)) or 0)


async def answers_at(db: Database) -> list[tuple[str, datetime]]:
    async with db.session() as session:
        return [(r.answer, r.occurrence_start) for r in await session.scalars(select(Rsvp))]


async def run_housekeeping(bot: Handled) -> None:
    await housekeeping(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]


# --- 1. a postponed activity, and the old reminder's buttons --------------------------------


async def test_the_old_reminder_of_a_postponed_babbel_points_where_the_new_day_is_not(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe taps ✅ under Tuesday's reminder of Wednesday's ouderbabbel. That evening the
    guest falls ill and it is postponed by one week, to Wednesday 2 December; she hears of
    it. She cannot come on the new day and taps ❌ under the old reminder.

    Was: the alert said "This activity has a new time. Tap 📅 This week to see it." and
    📅 This week did not show 2 December, eight days away.

    Now: her ❌ is kept for the new day, and the alert names it."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9401, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-12-02"))
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, ayse)), fake)

    clock.moment = local(24, 20, 30).astimezone(UTC)
    [alert] = await ayse.presses(reminder, f"rv:{nl_reminder_id(reminder)}:no")
    assert alert == ("⚠️ Yeni gün ve saat: 2 Aralık 2026 Çarşamba, 13:30.\n"
                     "Cevabınız: ❌ Gelemem.")
    [week] = await ayse.presses_key("📅")
    assert "2 Aralık" in alert or "Veli sohbeti: uyku" in week["text"], week["text"]
    # Kept for the new day; the old reminder now shows it, with her answer.
    assert await answers_at(db) == [("no", local(2, 13, 30, month=12).astimezone(UTC))]
    redrawn = fake.message(ayse.id, reminder["message_id"])
    assert redrawn is not None and "2 Aralık" in redrawn["text"], redrawn
    assert "Cevabınız: ❌ Gelemem." in redrawn["text"]


async def test_a_tap_under_the_old_reminder_before_the_notice_answers_the_new_day_too(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The babbel moves to Thursday; Els taps ✅ under her old reminder before the planner
    has told her: her yes is for Thursday, and the alert says so."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9411, "Els", "nl", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, els)

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, THURSDAY)
    [alert] = await els.presses(reminder, f"rv:{nl_reminder_id(reminder)}:yes")
    assert alert == ("⚠️ Nieuwe dag en uur: donderdag 26 november 2026, 14:00.\n"
                     "Je zei: ✅ Ik kom.")
    assert await answers_at(db) == [("yes", local(26, 14).astimezone(UTC))]


async def test_a_babbel_moved_into_the_past_says_it_no_longer_takes_place_then(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A day moved to a time already gone (a mistake in the file): no new time to answer
    for, and no pointer to 📅 This week."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9412, "Els", "nl", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, els)

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, BABBEL.replace("2026-11-25", "2026-11-24").replace("13:30", "08:30"))
    [alert] = await els.presses(reminder, f"rv:{nl_reminder_id(reminder)}:yes")
    assert alert == "Deze activiteit is niet meer op dit uur."
    assert await answers_at(db) == []


# --- 2. "yes, we are coming" to the notice of a move ----------------------------------------


async def test_yes_we_come_typed_after_the_notice_of_a_move_is_no_help_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe said ✅ to Wednesday's babbel. On Tuesday evening it moves to Thursday 14:00 and
    she gets the ⚠️ notice with the new time. She answers it as anyone would in a chat:
    "Evet geliyoruz" (yes, we are coming).

    Was: "What is your question about? Tap a button." She has no question and taps
    nothing; 30 minutes later the team got a question card "Evet geliyoruz".

    Now: her words are taken as what they are (her answer stands for the new time: a
    thank-you or a 👍), no help question, nothing for the team."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9404, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, THURSDAY)
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, ayse)), fake)
    await outbox_settled(db, ayse.id)

    replies = await ayse.says("Evet geliyoruz")
    clock.moment = local(24, 20, 45).astimezone(UTC)
    await run_housekeeping(bot)
    await outbox_settled(db)
    assert TOPIC_QUESTION_TR not in [r.get("text") for r in replies]
    assert "Evet geliyoruz" not in fake.texts(COORDINATOR_ID)
    assert await question_count(db) == 0
    # Her yes stands for Thursday, and the thank-you says so.
    assert await answers_at(db) == [("yes", local(26, 14).astimezone(UTC))]
    [thanks] = replies
    assert thanks["text"].startswith("Teşekkürler! Cevabınız: ✅ Geliyorum.\n"
                                     "Yeni gün ve saat: 26 Kasım 2026 Perşembe, 14:00."), thanks
    # A word after the bot's answer only acknowledges, as after a reminder.
    assert await ayse.says("tamam") == []
    assert await question_count(db) == 0


async def test_a_parent_reminded_who_did_not_answer_says_yes_to_the_notice_of_a_move(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Harpreet got the reminder and did not tap; the babbel moves to Thursday and she is
    told. "ਹਾਂ ਜੀ" is her yes for Thursday; the old reminder shows Thursday, with her •."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9405, "Harpreet", "pa", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, harpreet)

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, THURSDAY)
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, harpreet)), fake)
    await outbox_settled(db, harpreet.id)

    [thanks] = await harpreet.says("ਹਾਂ ਜੀ")
    assert "ਨਵਾਂ ਦਿਨ ਅਤੇ ਸਮਾਂ:" in thanks["text"] and "14:00" in thanks["text"], thanks
    assert await answers_at(db) == [("yes", local(26, 14).astimezone(UTC))]
    assert await question_count(db) == 0
    redrawn = fake.message(harpreet.id, reminder["message_id"])
    assert redrawn is not None and "14:00" in redrawn["text"], redrawn
    assert any(label.startswith("• ✅") for row in redrawn["reply_markup"]["inline_keyboard"]
               for label in [row[0]["text"]])


async def test_no_typed_after_the_notice_of_a_move_changes_a_yes_given_before(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Els said ✅ to Wednesday; it moves to Thursday and she cannot come then: "nee sorry"
    right after the notice answers the new time (the notice asks again), no question."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    els = await onboard(chat, 9406, "Els", "nl", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, els)
    await els.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")

    clock.moment = local(24, 20).astimezone(UTC)
    await import_csv(greet, THURSDAY)
    await replan_at(bot, clock, local(24, 20))
    await wait_until(lambda: bool(notices(fake, els)), fake)
    await outbox_settled(db, els.id)

    [thanks] = await els.says("nee sorry")
    assert thanks["text"].startswith("Dankjewel! Je zei: ❌ Ik kan niet komen.\n"
                                     "Nieuwe dag en uur: donderdag 26 november 2026, 14:00."), \
        thanks
    assert await answers_at(db) == [("no", local(26, 14).astimezone(UTC))]
    assert await question_count(db) == 0
