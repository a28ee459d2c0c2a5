"""The finer points of reminders and RSVPs, end to end: the Dutch original beside a
translation (the 🇧🇪 button, and the /settings option that stays below it after a press), the
children of a workshop, a brugfiguur's /rsvps for their own schools, and a cancellation
written in the programme file, which tells those who said they would come.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.transport import AiohttpRequest
from storage import sqlite_driver
from storage.db import Database
from storage.models import OutboxMessage, Question, Rsvp
from tests.conftest import TEST_DATABASE_URL, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_access import ErrorSpy
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import (
    BABBEL,
    HEADER,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
    says_yes_to_the_day_reminder,
)

DUTCH_HEADING = {"tr": "Orijinal (Felemenkçe):", "pa": "ਅਸਲ (ਡੱਚ):"}
# A children's workshop on Wednesday at Het Wijdeland only, in Dutch and Turkish.
YOGA = ("yoga-wijdeland;workshop;wijdeland;2026-11-25;14:00;15:00;;Turnzaal;;;;Kinderyoga;"
        "Rustig bewegen.;Çocuk yogası;Sakin hareket.;;;")


async def test_the_dutch_button_of_a_reminder_shows_the_dutch_original(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9901, "Ayşe", "tr", "wijdeland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    assert "Veli sohbeti: uyku" in reminder["text"] and "slapen" not in reminder["text"]
    [original] = await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:nl")
    assert DUTCH_HEADING["tr"] in original["text"]
    assert "Ouderbabbel: slapen" in original["text"]
    assert "Over goed slapen." in original["text"]
    assert "woensdag 25 november 2026" in original["text"]
    assert "Veli sohbeti" not in original["text"] and "Uyku hakkında" not in original["text"]


async def test_the_dutch_below_a_reminder_stays_after_an_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    harpreet = await onboard(chat, 9902, "Harpreet", "pa", "kabouterland")
    await harpreet.says("/settings")
    await harpreet.taps(data="set:nl:on")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(reminders_in(fake, harpreet.id)) == 1, fake)
    [reminder] = reminders_in(fake, harpreet.id)
    assert "ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ" in reminder["text"]
    assert DUTCH_HEADING["pa"] in reminder["text"] and "Ouderbabbel: slapen" in reminder["text"]
    for answer in ("yes", "maybe"):
        await harpreet.taps(data=f"rv:{nl_reminder_id(reminder)}:{answer}")
        edited = fake.message(harpreet.id, reminder["message_id"])
        assert edited is not None
        assert "ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ" in edited["text"]
        assert DUTCH_HEADING["pa"] in edited["text"] and "Ouderbabbel: slapen" in edited["text"]


async def test_a_reminder_too_long_for_one_message_still_takes_an_answer(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A long description and the Dutch below it: the reminder comes in two parts, the
    buttons under the second. A press redraws that part (the • on the button shows the
    answer) and the answer is kept."""
    greet = await coordinator_of(chat)
    long_nl = ("Lange uitleg over slapen. " * 90).strip()
    long_tr = ("Uyku hakkında uzun açıklama. " * 90).strip()
    await import_csv(greet, BABBEL.replace("Over goed slapen.", long_nl)
                     .replace("Uyku hakkında.", long_tr))
    ayse = await onboard(chat, 9905, "Ayşe", "tr", "wijdeland")
    await ayse.says("/settings")
    await ayse.taps(data="set:nl:on")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))

    def with_buttons() -> list[dict[str, Any]]:
        return [m for m in fake.transcript(ayse.id)
                if any(d.startswith("rv:") for _l, d in fake.inline_buttons(m))]

    await wait_until(lambda: bool(with_buttons()), fake)
    [last] = with_buttons()
    assert "🔔" in fake.transcript(ayse.id)[-2]["text"]  # the first part, without buttons
    rid = next(d for _l, d in fake.inline_buttons(last) if d.startswith("rv:")).split(":")[1]
    await ayse.taps(data=f"rv:{rid}:yes")
    assert ayse.alerts()[-1:] == ["Teşekkürler!"]
    edited = fake.message(ayse.id, last["message_id"])
    assert edited is not None and len(edited["text"]) <= 4096
    assert "• ✅" in " ".join(label for label, _d in fake.inline_buttons(edited))
    async with db.session() as session:
        assert list(await session.scalars(select(Rsvp.answer))) == ["yes"]


async def test_a_workshop_asks_how_many_children_and_rsvps_adds_them_up(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, YOGA)
    ayse = await onboard(chat, 9903, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 9904, "Els", "nl", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1 for p in (ayse, els)), fake)

    # "Yes" brings the buttons 1, 2, 3, 4+; only then.
    [reminder] = reminders_in(fake, ayse.id)
    assert not any(d.endswith(":c1") for _l, d in fake.inline_buttons(reminder))
    rid = nl_reminder_id(reminder)
    await ayse.taps(data=f"rv:{rid}:yes")
    shown = fake.message(ayse.id, reminder["message_id"])
    assert shown is not None
    assert [label for label, d in fake.inline_buttons(shown) if ":c" in d] == [
        "👧 1", "👧 2", "👧 3", "👧 4+"]
    assert shown["text"].endswith("Kaç çocuk gelecek? Bir sayıya dokunun.")  # asked in words
    await ayse.taps(data=f"rv:{rid}:c2")
    shown = fake.message(ayse.id, reminder["message_id"])
    assert shown is not None and "Çocuk: 2. Değiştirmek" in shown["text"]
    assert "Kaç çocuk" not in shown["text"]
    assert "• 👧 2" in [label for label, _d in fake.inline_buttons(shown)]
    [nl] = reminders_in(fake, els.id)
    await els.presses(nl, f"rv:{nl_reminder_id(nl)}:c4")  # straight to "4+": a yes with 4

    clock.moment = local(24, 19).astimezone(UTC)
    [overview] = await greet.says("/rsvps")
    assert "Kinderyoga" in overview["text"]
    assert "✅ 2 komen · 🤔 0 misschien · ❌ 0 komen niet · 👧 6 kinderen" in overview["text"]

    # "Maybe" forgets the children.
    await ayse.taps(data=f"rv:{rid}:maybe")
    [overview] = await greet.says("/rsvps")
    assert "✅ 1 komen · 🤔 1 misschien · ❌ 0 komen niet · 👧 4 kinderen" in overview["text"]
    async with db.session() as session:
        children = dict((await session.execute(select(Rsvp.answer, Rsvp.children))).all())
    assert children == {"maybe": None, "yes": 4}

    # A "yes" again, and no number yet: not "0 children", but who did not say.
    await ayse.taps(data=f"rv:{rid}:yes")
    [overview] = await greet.says("/rsvps")
    assert ("✅ 2 komen · 🤔 0 misschien · ❌ 0 komen niet · 👧 4 kinderen · 1 ouder zei niet "
            "met hoeveel kinderen") in overview["text"]
    await els.presses(nl, f"rv:{nl_reminder_id(nl)}:maybe")
    [overview] = await greet.says("/rsvps")
    assert ("✅ 1 komen · 🤔 1 misschien · ❌ 0 komen niet · 1 ouder zei niet met hoeveel "
            "kinderen") in overview["text"]
    assert "👧" not in overview["text"]


async def test_a_brugfiguur_sees_the_rsvps_of_their_own_schools(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    babbel_klimop = BABBEL.replace("babbel-nov;ouderbabbel;alle", "babbel-klimop;ouderbabbel;klimop"
                                   ).replace("Ouderbabbel: slapen", "Ouderbabbel Klim-op")
    await import_csv(greet, YOGA, babbel_klimop)
    fatma = await join_team(chat, greet, 9905, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    ayse = await onboard(chat, 9906, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)

    clock.moment = local(24, 19).astimezone(UTC)
    [mine] = await fatma.says("/rsvps")
    assert "Kinderyoga" in mine["text"] and "Klim-op" not in mine["text"]
    assert "✅ 1 komen" in mine["text"]
    [everything] = await greet.says("/rsvps")
    assert "Kinderyoga" in everything["text"] and "Ouderbabbel Klim-op" in everything["text"]

    # After the workshop, the note for those who came is the coordinator's to send.
    clock.moment = local(25, 16).astimezone(UTC)
    notes = [d for _t, d in fake.inline_buttons((await greet.says("/rsvps"))[0])
             if d.startswith("rn:")]
    assert len(notes) == 1
    [mine] = await fatma.says("/rsvps")
    assert not any(d.startswith("rn:") for _t, d in fake.inline_buttons(mine))


async def test_a_cancellation_in_the_file_tells_those_who_said_they_come(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    weekly = ('babbel-weekly;ouderbabbel;alle;2026-11-25;13:30;15:00;"FREQ=WEEKLY;BYDAY=WE";'
              "Bibliotheek;;;;Ouderbabbel: slapen;;Veli sohbeti: uyku;;;;{cancelled}")
    greet = await coordinator_of(chat)
    await import_csv(greet, weekly.format(cancelled=""))
    ayse = await onboard(chat, 9906, "Ayşe", "tr", "wijdeland")
    els = await onboard(chat, 9907, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 9908, "Jan", "nl", "klimop")
    await round_at(bot, clock, local(22, 10))
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: all(len(reminders_in(fake, p.id)) == 1
                                 for p in (ayse, els, jan)), fake)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, ayse.id)[0])}:yes")
    await els.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, els.id)[0])}:maybe")
    await jan.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, jan.id)[0])}:no")

    # The coordinator writes 25 November in the file's cancelled dates and sends it again.
    clock.moment = local(24, 20).astimezone(UTC)
    content = "\n".join([HEADER, weekly.format(cancelled="2026-11-25")]).encode()
    [reply] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=content)
    assert "2 ouders die zeiden dat ze komen, krijgen bericht dat het niet doorgaat." in \
        reply["text"], reply["text"]
    def notices(person: Person) -> list[str]:
        return [t for t in fake.texts(person.id) if t.startswith("❌")]

    await wait_until(lambda: bool(notices(ayse) and notices(els)), fake)
    [tr] = notices(ayse)
    assert "İptal" in tr and "Veli sohbeti: uyku" in tr and "25 Kasım 2026 Çarşamba" in tr
    assert notices(jan) == []  # he had said he could not come

    # The same file again tells nobody again; nor does /activities for that day.
    [again] = await greet.sends("document", file_name="p.csv", mime_type="text/csv",
                                content=content)
    assert "bericht" not in again["text"]
    async with db.session() as session:
        told = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.dedupe_key.like("cancel:%")))
    assert told == 2
    # Its 2-hour reminder is not sent; the next Wednesday's reminders come as usual.
    result = await round_at(bot, clock, local(25, 11, 30))
    assert result.sent == 0


async def test_a_long_rsvps_list_arrives_whole_in_several_messages(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Thirty workshops twice a week: more than Telegram takes in one message."""
    greet = await coordinator_of(chat)
    rows = [YOGA.replace("yoga-wijdeland", f"workshop-{n:02d}")
            .replace(";;Turnzaal;", ';"FREQ=WEEKLY;BYDAY=MO,WE";Turnzaal;')
            .replace("Kinderyoga", f"Workshop nummer {n:02d} met een lange naam")
            for n in range(30)]
    await import_csv(greet, *rows)
    clock.moment = local(22, 10).astimezone(UTC)
    parts = await greet.says("/rsvps", expect=None)
    assert len(parts) > 1 and all(len(p["text"]) <= 4096 for p in parts)
    text = "\n".join(p["text"] for p in parts)
    # From Wednesday 25 November: 25 and 30 November, 2 December (the 14 days end on the 6th).
    assert [text.count(f"Workshop nummer {n:02d}") for n in range(30)] == [3] * 30


class OwnedLock(asyncio.Lock):
    """SQLite's writer lock, noting the task that holds it (the connection that took it
    names it: ``acquire`` itself runs in a task of wait_for's)."""

    owner: asyncio.Task[Any] | None = None

    def release(self) -> None:
        self.owner = None
        super().release()


@pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgresql"),
                    reason="SQLite's one writer; PostgreSQL locks rows, not the database")
async def test_presses_and_questions_do_not_hold_sqlites_writer_while_telegram_answers(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite a write holds the database's one writer until the commit. A handler that
    then waits for Telegram (one to three round trips) would keep every other writer waiting,
    the outbox sender of a broadcast too. An RSVP press redraws its message before it
    writes (a double tap keeps it too); a question is kept before the parent is answered."""
    assert bot.app is not None
    spy = ErrorSpy(bot.app)
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9907, "Ayşe", "tr", "wijdeland")
    rid = nl_reminder_id(await day_reminder_of(bot, clock, fake, ayse))

    path = make_url(db.url).database
    assert path is not None
    locks = sqlite_driver._locks[asyncio.get_running_loop()]
    assert path in locks  # the test's file has an absolute path: the driver's key
    lock = locks[path] = OwnedLock()  # free now: nothing is being handled
    calls: list[tuple[str, bool]] = []  # (Bot API method, made while holding the writer)
    do_request = AiohttpRequest.do_request

    async def watched(self: AiohttpRequest, url: str, *args: Any, **kwargs: Any) -> Any:
        method = url.rsplit("/", 1)[-1]
        if method != "getUpdates":
            calls.append((method, lock.owner is asyncio.current_task()))
        return await do_request(self, url, *args, **kwargs)

    take = sqlite_driver.InlineConnection._before

    async def taking(self: sqlite_driver.InlineConnection, sql: str) -> None:
        had = self._held
        await take(self, sql)
        if had is None and self._held is lock:
            lock.owner = asyncio.current_task()

    monkeypatch.setattr(AiohttpRequest, "do_request", watched)
    monkeypatch.setattr(sqlite_driver.InlineConnection, "_before", taking)
    await ayse.taps(data=f"rv:{rid}:yes")
    await ayse.taps(data=f"rv:{rid}:no")
    await ayse.taps(data=f"rv:{rid}:no")  # a double tap: the message shows it already
    await ayse.says("Okuldan gelen mektubu anlamadım.")  # asks for the topic
    await ayse.picks_topic("letter")  # opens the question: it goes to the coordinator
    await ayse.says("Bir de: ne zaman?")  # a follow-up, relayed
    await fake.wait_idle(quiet=0.2)

    methods = {method for method, _held in calls}
    assert {"answerCallbackQuery", "editMessageText", "sendMessage"} <= methods, methods
    assert [c for c in calls if c[1]] == []
    assert spy.errors == []
    async with db.session() as session:
        assert await session.scalar(select(Rsvp.answer)) == "no"
        assert await session.scalar(select(func.count()).select_from(Question)
                                    .where(Question.status == "open")) == 1
