"""The same update delivered twice.

Telegram delivers an update again when it did not hear it was received: a webhook POST whose
200 got lost, retried to the same instance; a poller started again in the same process,
without its offset. Handled twice, a parent's message would reach the brugfiguur twice, a
Turkish text sent again would be taken as the Punjabi one: the bot takes each update id once
(``update_order.PerChatUpdateProcessor.first_time``). ``deliver_again`` stops the poller,
queues the very same update (same update_id, same message_id) at the fake server, forgets the
chat's in-memory data, moves the clock on a little (the retry comes later) and polls again
without an offset. (A new process remembers no ids: python-telegram-bot confirms an update to
Telegram as soon as it fetched it, and the webhook answers 200 once it is queued, so a restart
is sent none of the handled ones again.)
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import ALLOWED_UPDATES
from bot.config import Settings
from bot.services.availability import AvailabilityMap, Level
from bot.update_order import PerChatUpdateProcessor
from bot.webhook import SECRET_HEADER, make_web_app
from storage.db import Database
from storage.models import (
    Activity,
    ActivityDraft,
    Broadcast,
    OutboxMessage,
    PersonSchool,
    Question,
    QuestionMessage,
    Rsvp,
)
from storage.models import Person as PersonRow
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import MESSAGE_METHODS, FakeTelegram
from tests.helpers import Chat, Handled, free_port, outbox_settled
from tests.helpers import Person as Talker
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import BABBEL, HEADER, day_reminder_of, import_csv, nl_reminder_id

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
SECRET = "s3cret-for-the-tests-only-0123456789"


async def deliver_again(fake: FakeTelegram, bot: Handled, clock: FixedClock,
                        update: dict[str, Any], *,
                        later: timedelta = timedelta(seconds=40)) -> None:
    """Telegram sends ``update`` (as recorded when it was first queued) once more."""
    app = bot.app
    assert app is not None and app.updater is not None
    await fake.wait_idle(quiet=0.15)
    await outbox_settled(app.bot_data["db"])
    await app.updater.stop()  # its last getUpdates confirms everything it took
    chat_id = _chat_of(update)
    if chat_id is not None:
        app.drop_chat_data(chat_id)  # a restarted bot, or the other instance
    clock.moment = clock.moment + later
    queued = fake.queue_update({k: copy.deepcopy(v) for k, v in update.items()
                                if k != "update_id"})
    queued["update_id"] = update["update_id"]  # the very same update
    bot.ids.discard(update["update_id"])
    # A restarted poller asks without an offset (PTB keeps it here; no public way to reset).
    app.updater._last_update_id = 0
    await app.updater.start_polling(poll_interval=0, timeout=1,
                                    allowed_updates=ALLOWED_UPDATES)
    # Fetched, and confirmed by the next getUpdates (the bot takes it once: it may never
    # reach a handler).
    for _ in range(200):
        if all(u["update_id"] != update["update_id"] for u in fake._updates):
            break
        await asyncio.sleep(0.05)
    await fake.wait_idle(quiet=0.3)
    await outbox_settled(app.bot_data["db"])
    await fake.wait_idle(quiet=0.15)


def _chat_of(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message"):
        if key in update:
            return int(update[key]["chat"]["id"])
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    if "message_reaction" in update:
        return int(update["message_reaction"]["chat"]["id"])
    return None


async def settle(fake: FakeTelegram, db: Database) -> None:
    await fake.wait_idle(quiet=0.15)
    await outbox_settled(db)
    await fake.wait_idle(quiet=0.15)


async def did(fake: FakeTelegram, bot: Handled, update: dict[str, Any]) -> dict[str, Any]:
    """Wait until the bot has handled ``update`` (a person's act) and what it sent is out;
    returns the update as recorded, to deliver it again."""
    recorded = copy.deepcopy(update)
    await bot.wait(update["update_id"])
    assert bot.app is not None
    await settle(fake, bot.app.bot_data["db"])
    return recorded


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ------------------------------------------------------------------------------------------
# the scene: Greet the coordinator, Fatma the Turkish-speaking contact of Het Wijdeland,
# Ayşe a Turkish parent there


async def scene(chat: Chat, db: Database, clock: FixedClock) -> tuple[Talker, Talker, Talker]:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8101, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 8201, "Ayşe", "tr", "wijdeland")
    return greet, fatma, ayse


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in fake.transcript(chat_id)]


def copies(fake: FakeTelegram, chat_id: int, kind: str) -> list[dict[str, Any]]:
    return [m for m in fake.transcript(chat_id) if kind in m]


async def asked(fake: FakeTelegram, bot: Handled, ayse: Talker, words: str) -> dict[str, Any]:
    """Ayşe's question, its topic tapped: open, and with Fatma. Returns her message's
    update."""
    update = await did(fake, bot, fake.send_text(ayse.user, words))
    await ayse.picks_topic("letter")
    assert bot.app is not None
    await settle(fake, bot.app.bot_data["db"])
    return update


# ------------------------------------------------------------------------------------------
# a parent's question


async def test_the_first_words_of_a_question_delivered_again_count_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    words = "Okuldan bir mektup geldi, anlamadım."
    update = await did(fake, bot, fake.send_text(ayse.user, words))
    mark = len(fake.transcript(ayse.id))
    await deliver_again(fake, bot, clock, update)
    await ayse.picks_topic("letter")
    await settle(fake, db)
    assert not any("2 mesaj" in t for t in texts(fake, ayse.id)[mark:])
    assert texts(fake, fatma.id).count(words) == 1
    assert await count(db, QuestionMessage) == 1


async def test_a_text_to_an_open_question_delivered_again_reaches_the_holder_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    more = "Yarına kadar imzalamam gerekiyor."
    update = await did(fake, bot, fake.send_text(ayse.user, more))
    assert texts(fake, fatma.id).count(more) == 1
    await deliver_again(fake, bot, clock, update)
    assert texts(fake, fatma.id).count(more) == 1
    assert await count(db, QuestionMessage) == 2


async def test_a_webhook_retry_of_a_parents_message_reaches_the_holder_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    settings: Settings
) -> None:
    """Through the webhook's own receiver (bot/webhook.py), on the instance that handled it."""
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    more = "Yarına kadar imzalamam gerekiyor."
    update = await did(fake, bot, fake.send_text(ayse.user, more))
    assert bot.app is not None
    hooked = replace(settings, webhook_url="https://bot.example.org/telegram",
                     webhook_secret=SECRET)
    runner = web.AppRunner(make_web_app(bot.app, hooked))
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        clock.moment += timedelta(seconds=40)
        bot.ids.discard(update["update_id"])
        async with aiohttp.ClientSession() as client, client.post(
                f"http://127.0.0.1:{port}/telegram", json=update,
                headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
        await asyncio.sleep(0.3)  # taken from the queue (once: no handler sees it again)
        await settle(fake, db)
    finally:
        await runner.cleanup()
    assert texts(fake, fatma.id).count(more) == 1


async def test_a_webhook_retry_reaching_the_other_instance_reaches_the_holder_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    settings: Settings
) -> None:
    """Two instances behind the load balancer, one database: the first post reaches one, its
    200 is lost, the retry reaches the other, which never saw the id (its own memory of
    taken ids is empty: emptied here on the same Application). The id noted in the database
    by the first (storage/received_updates.py) makes the second acknowledge it unhandled."""
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    app = bot.app
    assert app is not None and app.updater is not None
    await app.updater.stop()  # updates come by webhook from here on
    more = "Yarına kadar imzalamam gerekiyor."
    update = copy.deepcopy(fake.unqueue(fake.send_text(ayse.user, more)))
    hooked = replace(settings, webhook_url="https://bot.example.org/telegram",
                     webhook_secret=SECRET)
    runner = web.AppRunner(make_web_app(app, hooked))
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()

    async def post() -> int:
        async with aiohttp.ClientSession() as client, client.post(
                f"http://127.0.0.1:{port}/telegram", json=update,
                headers={SECRET_HEADER: SECRET}) as response:
            return response.status

    try:
        assert await post() == 200
        await bot.wait(update["update_id"])
        await settle(fake, db)
        assert texts(fake, fatma.id).count(more) == 1
        # The other instance: no memory of the id, no chat data; a little later.
        processor = app.update_processor
        assert isinstance(processor, PerChatUpdateProcessor)
        processor._seen.clear()
        app.drop_chat_data(ayse.id)
        clock.moment += timedelta(seconds=40)
        bot.ids.discard(update["update_id"])
        assert await post() == 200
        await asyncio.sleep(0.3)
        await settle(fake, db)
    finally:
        await runner.cleanup()
    assert update["update_id"] not in bot.ids  # acknowledged, not handled
    assert texts(fake, fatma.id).count(more) == 1
    assert await count(db, QuestionMessage) == 2


@pytest.mark.parametrize("kind", ["photo", "voice"])
async def test_a_photo_or_voice_to_an_open_question_delivered_again_comes_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled, kind: str
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    update = await did(fake, bot, getattr(fake, f"send_{kind}")(ayse.user))
    assert len(copies(fake, fatma.id, kind)) == 1
    await deliver_again(fake, bot, clock, update)
    assert len(copies(fake, fatma.id, kind)) == 1


async def test_the_words_that_open_a_question_delivered_again_reach_the_holder_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    await ayse.says("/ask")
    await ayse.taps(data="ask:letter")
    words = "Okuldan bir mektup geldi."
    update = await did(fake, bot, fake.send_text(ayse.user, words))
    told = texts(fake, ayse.id)
    assert told[-1].startswith("✅ Teşekkürler! Fatma sorunuzu aldı"), told[-1]
    assert texts(fake, fatma.id).count(words) == 1
    await deliver_again(fake, bot, clock, update)
    assert texts(fake, fatma.id).count(words) == 1
    assert texts(fake, ayse.id) == told


async def test_a_photo_that_starts_a_question_delivered_again_comes_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    update = await did(fake, bot, fake.send_photo(ayse.user, caption="Bu ne?"))
    mark = len(fake.transcript(ayse.id))
    await deliver_again(fake, bot, clock, update)
    assert texts(fake, ayse.id)[mark:] == []
    await ayse.picks_topic("letter")
    await settle(fake, db)
    assert len(copies(fake, fatma.id, "photo")) == 1


async def test_the_topic_tapped_after_the_words_delivered_again_opens_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Its button names the draft, which is open now: the press is stale."""
    _greet, fatma, ayse = await scene(chat, db, clock)
    await did(fake, bot, fake.send_text(ayse.user, "Okuldan bir mektup geldi."))
    [topics] = [m for m in fake.transcript(ayse.id) if "ask:letter:" in repr(m)]
    [data] = [d for _label, d in fake.inline_buttons(topics) if d.startswith("ask:letter:")]
    tap = await did(fake, bot, fake.press(ayse.user, topics, data))
    cards, mark = texts(fake, fatma.id), len(fake.transcript(ayse.id))
    await deliver_again(fake, bot, clock, tap)
    assert texts(fake, fatma.id) == cards
    assert texts(fake, ayse.id)[mark:] == []
    assert await count(db, Question) == 1


async def test_the_topic_tapped_first_delivered_again_asks_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The button's message shows the topic already: its redraw is "not modified", and the
    door leaves the rest of the handler out."""
    _greet, _fatma, ayse = await scene(chat, db, clock)
    await ayse.says("/ask")
    tap = await did(fake, bot, fake.press_button(ayse.user, data="ask:letter"))
    mark = len(fake.transcript(ayse.id))
    await deliver_again(fake, bot, clock, tap)
    assert texts(fake, ayse.id)[mark:] == []
    assert await count(db, Question) == 1


# ------------------------------------------------------------------------------------------
# the brugfiguur's side


@pytest.mark.parametrize("to", ["card", "copy"])
async def test_an_answer_delivered_again_reaches_the_parent_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled, to: str
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    words = "Okuldan bir mektup geldi."
    await asked(fake, bot, ayse, words)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    target = card if to == "card" else next(m for m in fake.transcript(fatma.id)
                                            if m.get("text") == words)
    answer = "Yarın okulda bakarız."
    update = await did(fake, bot, fake.send_text(fatma.user, answer,
                                                  reply_to_message_id=target["message_id"]))
    assert texts(fake, ayse.id).count(answer) == 1
    mark = len(fake.transcript(fatma.id))
    await deliver_again(fake, bot, clock, update)
    assert texts(fake, ayse.id).count(answer) == 1
    assert texts(fake, fatma.id)[mark:] == []  # no second "✅ Sent to Ayşe."
    assert await count(db, QuestionMessage, QuestionMessage.from_parent.is_(False)) == 1


def card_of(fake: FakeTelegram, chat_id: int) -> dict[str, Any]:
    return next(m for m in reversed(fake.transcript(chat_id))
                if m.get("text", "").startswith("❓"))


async def test_take_it_delivered_again_changes_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    card = card_of(fake, fatma.id)
    tap = await did(fake, bot, fake.press(fatma.user, card, f"qs:{1}:take"))
    async with db.session() as session:
        taken = (await session.scalars(select(Question.taken_at))).one()
    shown, told = texts(fake, fatma.id), texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, tap)
    assert texts(fake, fatma.id) == shown and texts(fake, ayse.id) == told
    async with db.session() as session:
        assert (await session.scalars(select(Question.taken_at))).one() == taken


async def test_close_delivered_again_tells_the_parent_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    card = card_of(fake, fatma.id)
    await did(fake, bot, fake.send_text(fatma.user, "Tamam, hallettim.",
                                        reply_to_message_id=card["message_id"]))
    tap = await did(fake, bot, fake.press(fatma.user, card, "qs:1:close"))
    told = texts(fake, ayse.id)
    assert sum("kapatıldı" in t for t in told) == 1, told
    await deliver_again(fake, bot, clock, tap)
    assert texts(fake, ayse.id) == told


async def test_a_brugfiguurs_hand_over_delivered_again_sends_one_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, fatma, ayse = await scene(chat, db, clock)
    mehmet = await join_team(chat, greet, 8102, "Mehmet", {"tr"}, db)
    await asked(fake, bot, ayse, "Okuldan bir mektup geldi.")
    card = card_of(fake, fatma.id)
    mehmet_id = await person_id(db, mehmet.id)
    tap = await did(fake, bot, fake.press(fatma.user, card, f"qs:1:to:{mehmet_id}"))
    cards = [t for t in texts(fake, mehmet.id) if t.startswith("❓")]
    assert len(cards) == 1
    await deliver_again(fake, bot, clock, tap)
    assert [t for t in texts(fake, mehmet.id) if t.startswith("❓")] == cards


async def test_the_coordinators_hand_over_delivered_again_sends_one_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, _fatma, ayse = await scene(chat, db, clock)
    mehmet = await join_team(chat, greet, 8102, "Mehmet", {"tr"}, db)
    words = "Okuldan bir mektup geldi."
    await asked(fake, bot, ayse, words)
    await greet.says("/queue")
    await greet.taps(data="qs:1:pick")
    mehmet_id = await person_id(db, mehmet.id)
    tap = await did(fake, bot, fake.press_button(greet.user, data=f"qs:1:to:{mehmet_id}"))
    assert texts(fake, mehmet.id).count(words) == 1
    await deliver_again(fake, bot, clock, tap)
    assert [t for t in texts(fake, mehmet.id) if t.startswith("❓")][1:] == []
    assert texts(fake, mehmet.id).count(words) == 1


async def person_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_id == telegram_id))
    assert found is not None
    return found


async def test_a_reaction_delivered_again_sets_the_same_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, fatma, ayse = await scene(chat, db, clock)
    words = "Okuldan bir mektup geldi."
    await asked(fake, bot, ayse, words)
    copied = next(m for m in fake.transcript(fatma.id) if m.get("text") == words)
    reaction = await did(fake, bot, fake.queue_update({"message_reaction": {
        "chat": fatma.user.chat(), "message_id": copied["message_id"],
        "user": fatma.user.to_dict(), "date": int(time.time()),
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}))
    shown = fake.reactions(ayse.id)
    assert list(shown.values()) == [["👍"]]
    sent = len(fake.calls)
    await deliver_again(fake, bot, clock, reaction)
    assert fake.reactions(ayse.id) == shown
    assert not [c for c in fake.calls[sent:] if c.method in MESSAGE_METHODS]


# ------------------------------------------------------------------------------------------
# reminders and RSVPs


async def reminded(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                   bot: Handled) -> tuple[Talker, dict[str, Any]]:
    """Ayşe, and the day-before reminder of the ouderbabbel she received."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9951, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    return ayse, reminder


async def rsvp_rows(db: Database) -> list[tuple[str, int | None]]:
    async with db.session() as session:
        return [(r.answer, r.children) for r in await session.scalars(select(Rsvp))]


async def test_an_rsvp_press_delivered_again_keeps_one_answer_and_says_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse, reminder = await reminded(chat, fake, db, clock, bot)
    press = await did(fake, bot, fake.press(ayse.user, reminder,
                                            f"rv:{nl_reminder_id(reminder)}:yes"))
    shown = fake.transcript(ayse.id)
    await deliver_again(fake, bot, clock, press)
    assert fake.transcript(ayse.id) == shown
    assert await rsvp_rows(db) == [("yes", None)]


async def test_a_typed_rsvp_as_the_next_message_delivered_again_is_not_thanked_twice(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The thank-you is now the newest message: the same word after it is acknowledged with
    the 👍 the bot puts on what it received (on the same message: no second message)."""
    ayse, _reminder = await reminded(chat, fake, db, clock, bot)
    word = await did(fake, bot, fake.send_text(ayse.user, "Evet"))
    shown = texts(fake, ayse.id)
    assert shown[-1].startswith("Teşekkürler! Cevabınız: ✅ Geliyorum."), shown[-1]
    await deliver_again(fake, bot, clock, word)
    assert texts(fake, ayse.id) == shown
    assert await rsvp_rows(db) == [("yes", None)]
    assert await count(db, Question) == 0


async def test_a_typed_rsvp_replying_to_the_reminder_delivered_again_is_thanked_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse, reminder = await reminded(chat, fake, db, clock, bot)
    word = await did(fake, bot, fake.send_text(ayse.user, "Evet geliyoruz",
                                               reply_to_message_id=reminder["message_id"]))
    shown = texts(fake, ayse.id)
    assert shown[-1].startswith("Teşekkürler! Cevabınız: ✅ Geliyorum."), shown[-1]
    await deliver_again(fake, bot, clock, word)
    assert texts(fake, ayse.id) == shown
    assert await rsvp_rows(db) == [("yes", None)]


# ------------------------------------------------------------------------------------------
# the coordinator


async def test_the_programme_file_delivered_again_is_answered_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    content = "\n".join([HEADER, BABBEL]).encode()
    sent = await did(fake, bot, fake.send_document(greet.user, "p.csv", "text/csv",
                                                   content=content))
    shown = texts(fake, greet.id)
    assert shown[-1].startswith("Ingelezen: 1 nieuw"), shown[-1]
    await deliver_again(fake, bot, clock, sent)
    assert await count(db, Activity) == 1
    assert texts(fake, greet.id) == shown


async def test_a_file_that_moves_an_activity_delivered_again_tells_the_parents_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The second import finds the activity where the first put it: nothing to tell."""
    ayse, _reminder = await reminded(chat, fake, db, clock, bot)
    moved = BABBEL.replace(";13:30;15:00;", ";15:30;17:00;")
    content = "\n".join([HEADER, moved]).encode()
    sent = await did(fake, bot, fake.send_document(COORDINATOR_ID, "p.csv", "text/csv",
                                                   content=content))
    notices = [t for t in texts(fake, ayse.id) if t.startswith("⚠️")]
    assert len(notices) == 1, texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, sent)
    assert [t for t in texts(fake, ayse.id) if t.startswith("⚠️")] == notices


async def announcement_asked(greet: Talker) -> None:
    [ask] = await greet.says("/announce")
    assert ask["text"].startswith("Stuur me de aankondiging in het Nederlands")


async def test_announce_delivered_again_asks_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    command = await did(fake, bot, fake.send_command(greet.user, "/announce"))
    shown = texts(fake, greet.id)
    await deliver_again(fake, bot, clock, command)
    assert texts(fake, greet.id) == shown
    assert await count(db, Broadcast) == 1


async def test_the_announcements_dutch_text_delivered_again_asks_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await announcement_asked(greet)
    dutch = await did(fake, bot, fake.send_text(greet.user, "Vrijdag is er geen zwemles."))
    shown = texts(fake, greet.id)
    await deliver_again(fake, bot, clock, dutch)
    assert texts(fake, greet.id) == shown


async def test_the_announcements_turkish_text_delivered_again_is_not_the_punjabi_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await announcement_asked(greet)
    await greet.says("Vrijdag is er geen zwemles.")
    turkish = await did(fake, bot, fake.send_text(greet.user, "Cuma günü yüzme dersi yok."))
    shown = texts(fake, greet.id)
    assert shown[-1].startswith("Nu de Punjabi tekst"), shown[-1]
    await deliver_again(fake, bot, clock, turkish)
    async with db.session() as session:
        draft = await session.scalar(select(Broadcast))
    assert draft is not None
    parts = json.loads(draft.content or "{}")["parts"]
    assert "pa" not in parts, parts
    assert texts(fake, greet.id) == shown


async def test_announce_yes_send_now_delivered_again_sends_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    els = await onboard(chat, 8003, "Els", "nl", "vlindertje")
    await announcement_asked(greet)
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _step in range(3):
        await greet.taps("⏭ Overslaan")
    await greet.taps("📤 Verstuur naar 1 ouder")
    yes = await did(fake, bot, fake.press_button(greet.user, "✅ Ja, nu versturen"))
    await settle(fake, db)
    assert texts(fake, els.id).count("Vrijdag is er geen zwemles.") == 1
    screen = texts(fake, greet.id)
    await deliver_again(fake, bot, clock, yes)
    assert texts(fake, els.id).count("Vrijdag is er geen zwemles.") == 1
    assert texts(fake, greet.id) == screen


async def test_broadcast_yes_send_now_delivered_again_sends_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7001, "Ayşe", "tr", "wijdeland")
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    yes = await did(fake, bot, fake.press_button(greet.user, "✅ Ja, nu versturen"))
    await settle(fake, db)
    got = [t for t in texts(fake, ayse.id) if "programı" in t]
    assert len(got) == 1, texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, yes)
    assert [t for t in texts(fake, ayse.id) if "programı" in t] == got
    assert await count(db, OutboxMessage, OutboxMessage.chat_id == ayse.id) == 1


async def activity_at_start_time(fake: FakeTelegram, greet: Talker) -> None:
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🎨 Workshop voor kinderen")
    await greet.taps("Freinetschool Het Wijdeland (Brustem)")
    await greet.taps("✔️ Klaar")
    [ask] = await greet.taps("wo 25 nov")
    assert ask["text"] == "Hoe laat begint het? Typ het zoals 14:00."


async def test_an_activity_button_step_delivered_again_is_taken_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Its button no longer fits the draft's step: a stale press, nothing changes."""
    greet = await coordinator_of(chat)
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    kind = await did(fake, bot, fake.press_button(greet.user, "🎨 Workshop voor kinderen"))
    shown = texts(fake, greet.id)
    async with db.session() as session:
        before = (await session.scalars(select(ActivityDraft.data))).one()
    await deliver_again(fake, bot, clock, kind)
    assert texts(fake, greet.id) == shown
    async with db.session() as session:
        assert (await session.scalars(select(ActivityDraft.data))).one() == before


async def test_a_typed_activity_step_delivered_again_answers_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await activity_at_start_time(fake, greet)
    start = await did(fake, bot, fake.send_text(greet.user, "14:00"))
    shown = texts(fake, greet.id)
    assert shown[-1].startswith("Hoe laat eindigt het?"), shown[-1]
    await deliver_again(fake, bot, clock, start)
    assert texts(fake, greet.id) == shown


async def test_activity_save_delivered_again_saves_one_activity(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await activity_at_start_time(fake, greet)
    await greet.says("14:00")
    await greet.says("15:00")
    await greet.says("Turnzaal")
    await greet.taps("⏭ Overslaan")
    await greet.says("Kinderyoga")
    await greet.says("Rustig bewegen.")
    for _step in range(9):  # translations and voices: none
        labels = [label for label, _d in fake.inline_buttons(fake.transcript(greet.id)[-1])]
        if "💾 Opslaan" in labels:
            break
        await greet.taps("🇧🇪 Alleen Nederlands" if "🇧🇪 Alleen Nederlands" in labels
                         else "⏭ Overslaan")
    save = await did(fake, bot, fake.press_button(greet.user, "💾 Opslaan"))
    shown = texts(fake, greet.id)
    assert shown[-1].startswith("Opgeslagen."), shown[-1]
    await deliver_again(fake, bot, clock, save)
    assert texts(fake, greet.id) == shown
    assert await count(db, Activity) == 1


# ------------------------------------------------------------------------------------------
# onboarding, /forget, /stop


async def test_start_delivered_again_asks_the_language_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    start = await did(fake, bot, fake.send_command(fake.user(9301, "Ayşe"), "/start s_klimop"))
    shown = texts(fake, 9301)
    await deliver_again(fake, bot, clock, start)
    assert texts(fake, 9301) == shown


async def test_sign_up_buttons_delivered_again_change_nothing_more(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The language, a school (its button says whether it adds or removes), Done and OK."""
    ayse = chat.person(9302, "Ayşe")
    await ayse.says("/start")
    for press in (lambda: fake.press_button(ayse.user, "Türkçe"),
                  lambda: fake.press_button(ayse.user, "Freinetschool Het Wijdeland"),
                  lambda: fake.press_button(ayse.user, data="school:done"),
                  lambda: fake.press_button(ayse.user, data="privacy:ok")):
        tap = await did(fake, bot, press())
        shown = fake.transcript(ayse.id)
        async with db.session() as session:
            schools = list(await session.scalars(select(PersonSchool.school_id)))
        await deliver_again(fake, bot, clock, tap)
        assert fake.transcript(ayse.id) == shown, tap
        async with db.session() as session:
            assert list(await session.scalars(select(PersonSchool.school_id))) == schools


@pytest.mark.parametrize("typed", ["Türkçe", "Klim-op"])
async def test_a_typed_sign_up_answer_delivered_again_is_answered_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled, typed: str
) -> None:
    ayse = chat.person(9311, "Ayşe")
    await ayse.says("/start")
    if typed == "Klim-op":
        await ayse.says("Türkçe")
    answer = await did(fake, bot, fake.send_text(ayse.user, typed))
    shown = texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, answer)
    assert texts(fake, ayse.id) == shown


async def test_forget_yes_delivered_again_says_goodbye_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 9303, "Ayşe", "tr", "wijdeland")
    await ayse.says("/forget")
    yes = await did(fake, bot, fake.press_button(ayse.user, data="forget:yes"))
    shown = texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, yes)
    assert texts(fake, ayse.id) == shown
    assert await count(db, PersonRow, PersonRow.telegram_id == ayse.id) == 0


async def test_stop_delivered_again_answers_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    ayse = await onboard(chat, 9304, "Ayşe", "tr", "wijdeland")
    stop = await did(fake, bot, fake.send_command(ayse.user, "/stop"))
    shown = texts(fake, ayse.id)
    await deliver_again(fake, bot, clock, stop)
    assert texts(fake, ayse.id) == shown


# ------------------------------------------------------------------------------------------
# the team's translation of an announcement


async def test_a_translation_reply_delivered_again_is_not_a_correction(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 8731, "Mehmet", {"nl", "tr"}, db,
                             availability=AvailabilityMap.all(Level.GREEN))
    await announcement_asked(greet)
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps("🙋 Vraag het team om te vertalen")
    await settle(fake, db)
    request = next(m for m in fake.transcript(mehmet.id) if m.get("text", "").startswith("🙋"))
    reply = await did(fake, bot, fake.send_text(mehmet.user, "Cuma günü yüzme dersi yok.",
                                                reply_to_message_id=request["message_id"]))
    assert texts(fake, mehmet.id)[-1] == "✅ Dankjewel! Ouders lezen jouw woorden."
    his, hers = texts(fake, mehmet.id), texts(fake, greet.id)
    await deliver_again(fake, bot, clock, reply)
    assert texts(fake, mehmet.id) == his
    assert texts(fake, greet.id) == hers

