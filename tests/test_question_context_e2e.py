"""What a parent and a brugfiguur need to follow a question: a parent who used /stop (or
writes at night) and never taps a topic is still told who has her question, at once; and the
holder sees which activity a parent's message is about when she swiped a reminder to ask it
(copyMessage drops the reply)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.scheduler.questions import housekeeping
from bot.services import questions
from bot.services.reminders import moved_key
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_parent_thanks_e2e import MONDAY_10
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv

TOPIC_QUESTION_TR = "Sorunuz ne hakkında? Bir düğmeye dokunun."
ABOUT_BABBEL = "📅 Over: Ouderbabbel: slapen, woensdag 25 november 2026, 13:30"


async def run_housekeeping(bot: Handled) -> None:
    await housekeeping(SimpleNamespace(application=bot.app))  # type: ignore[arg-type]


# --- who has her question, told to a parent who never tapped a topic ------------------------


async def test_a_parent_who_used_stop_is_told_who_has_her_untapped_question(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe used /stop (too many programme messages). Later a letter from school worries
    her: she writes to the bot and does not tap a topic (she reads little).

    Half an hour later the question goes to the team as "something else", and she is told
    that someone has it, as a parent who taps a topic is told at once, /stop or not (the
    answer reaches her anyway)."""
    clock.moment = MONDAY_10
    await coordinator_of(chat)
    ayse = await onboard(chat, 9403, "Ayşe", "tr", "wijdeland")
    await ayse.says("/stop")
    replies = await ayse.says("Okuldan bir mektup geldi, anlamadım")
    assert [r.get("text") for r in replies] == [TOPIC_QUESTION_TR]
    before = len(fake.texts(ayse.id))

    clock.moment = MONDAY_10 + timedelta(minutes=40)
    await run_housekeeping(bot)
    await wait_until(lambda: "Okuldan bir mektup geldi, anlamadım"
                     in fake.texts(COORDINATOR_ID), fake)  # the team has it
    await outbox_settled(db)
    told = fake.texts(ayse.id)[before:]
    assert any(text.startswith("✅ Teşekkürler!") for text in told), told


async def test_a_parent_who_writes_at_night_is_told_at_once_not_after_the_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe writes at 22:00, in the quiet hours, and taps no topic. At 22:40 the question
    goes out: she is told at once who has it and when they answer (a tap would have told her
    at once too), not at 08:00, when the answer may be there before it."""
    clock.moment = MONDAY_10 + timedelta(hours=12)  # 22:00 in Brussels
    await coordinator_of(chat)
    ayse = await onboard(chat, 9404, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okuldan bir mektup geldi, anlamadım")
    before = len(fake.texts(ayse.id))

    clock.moment += timedelta(minutes=40)
    await run_housekeeping(bot)
    await wait_until(lambda: any(text.startswith("✅ Teşekkürler!")
                                 for text in fake.texts(ayse.id)[before:]), fake)
    [told] = [text for text in fake.texts(ayse.id)[before:] if text.startswith("✅ Teşekkürler!")]
    assert "09:00" in told  # the team answers tomorrow: said tonight


# --- which activity a reply to a reminder is about ------------------------------------------


async def test_the_brugfiguur_sees_which_activity_a_reply_to_a_reminder_is_about(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe reads little. On Tuesday evening she gets the reminder of Wednesday's babbel,
    swipes it and records a voice message ("may I bring my little one?"), then taps a topic.

    The question reaches the team (here the coordinator) as a card and her voice message:
    the card names the babbel on sleep and its day, so the holder need not ask back "to
    what?"."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9405, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    before = len(fake.transcript(COORDINATOR_ID))

    await fake.wait_idle(quiet=0.12)
    await ayse.sends("voice", reply_to_message_id=reminder["message_id"])
    await ayse.picks_topic("other")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(COORDINATOR_ID)[before:]),
                     fake)
    await outbox_settled(db)
    seen = [m.get("text") or m.get("caption") or "" for m in
            fake.transcript(COORDINATOR_ID)[before:]]
    assert any("Ouderbabbel: slapen" in text for text in seen), seen
    # On the card itself, in the holder's language (Dutch), in Brussels time; no extra message.
    [card] = [text for text in seen if text.startswith("❓ Vraag")]
    assert ABOUT_BABBEL in card.splitlines()
    assert len(seen) == 2  # the card and the voice message


async def test_a_reply_to_a_reminder_that_joins_an_open_question_comes_after_its_activity(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe's question about a letter is open with the coordinator. On Tuesday evening she
    swipes the babbel's reminder and asks "may I bring my little one?": it joins her open
    question (the card said nothing of the babbel), so a line naming the babbel comes just
    before it, under the card. A word typed without a swipe comes without such a line."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9406, "Ayşe", "tr", "wijdeland")
    await ayse.says("/ask")
    await ayse.picks_topic("letter")
    await ayse.says("Okuldan bir mektup geldi")
    await wait_until(lambda: "Okuldan bir mektup geldi" in fake.texts(COORDINATOR_ID), fake)
    [card] = [m for m in fake.transcript(COORDINATOR_ID)
              if (m.get("text") or "").startswith("❓ Vraag")]
    assert "📅" not in card["text"]
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    before = len(fake.transcript(COORDINATOR_ID))

    await ayse.says("Küçük kızımı getirebilir miyim?", reply_to=reminder)
    await wait_until(lambda: "Küçük kızımı getirebilir miyim?"
                     in fake.texts(COORDINATOR_ID)[before:], fake)
    await ayse.says("Teşekkürler")
    await wait_until(lambda: "Teşekkürler" in fake.texts(COORDINATOR_ID)[before:], fake)
    await outbox_settled(db)
    # (By Tuesday evening the question waits past four working hours: the housekeeping job,
    # on its own timer, may tell the coordinator so meanwhile. Not what this is about.)
    came = [m for m in fake.transcript(COORDINATOR_ID)[before:]
            if not (m.get("text") or "").startswith("⚠️ Vraag")]
    assert [m.get("text") for m in came] == [
        ABOUT_BABBEL, "Küçük kızımı getirebilir miyim?", "Teşekkürler"]
    under_card = [m.get("reply_to_message", {}).get("message_id") for m in came[:2]]
    assert under_card == [card["message_id"]] * 2


async def test_a_reply_to_the_notice_of_a_move_names_the_new_day(db: Database) -> None:
    """The ⚠️ notice of a move (any of its parts) names the activity at its new start; the
    notice that it no longer takes place, at the start it had. Another message: nothing."""
    old = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    new = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    async with db.session() as session:
        for key, group, telegram_id in ((moved_key(7, old, new, 1), "moved:7", 501),
                                        (moved_key(7, old, new, 1) + "#2", "moved:7", 502),
                                        (moved_key(8, old, None, 1), "moved:8", 503),
                                        ("broadcast:3:1", "broadcast:3", 504)):
            session.add(OutboxMessage(
                dedupe_key=key, chat_id=42, person_id=None, kind="text", payload="{}",
                group_key=group, status="sent", telegram_message_id=telegram_id))
        await session.flush()
        assert await questions.replied_activity(session, 42, 501) == (7, new)
        assert await questions.replied_activity(session, 42, 502) == (7, new)
        assert await questions.replied_activity(session, 42, 503) == (8, old)
        assert await questions.replied_activity(session, 42, 504) is None
        assert await questions.replied_activity(session, 43, 501) is None
