"""A review of the coordinator's announcements (/announce) and the team's translations of them,
played as the people who use them would: an urgent closure written at 21:30, a colleague who
types instead of swiping, two colleagues at once, a long letter, a question about it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.scheduler.outbox import wake
from storage.db import Database
from storage.models import Broadcast
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_team_translation_e2e import GREEN

MONDAY_2130 = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # Monday 21:30 in Brussels
TUESDAY_0830 = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # Tuesday 08:30 in Brussels
DUTCH_ONLY, SKIP = "🇧🇪 Alleen Nederlands", "⏭ Overslaan"
ASK_TEAM = "🙋 Vraag het team om te vertalen"
CLOSED = "Morgen is de school dicht wegens de storm."
CLOSED_PA = "ਕੱਲ੍ਹ ਤੂਫਾਨ ਕਾਰਨ ਸਕੂਲ ਬੰਦ ਹੈ।"


def request_of(fake: FakeTelegram, member: Person) -> dict[str, Any] | None:
    """The newest translation request in a colleague's chat."""
    return next((m for m in reversed(fake.transcript(member.id))
                 if m.get("text", "").startswith("🙋")), None)


async def asked(fake: FakeTelegram, db: Database, *members: Person) -> None:
    """Until every colleague has their request, and its message id is noted."""
    await wait_until(lambda: all(request_of(fake, m) for m in members), fake)
    for member in members:  # (parents' copies may be waiting for their morning)
        await outbox_settled(db, member.id)


async def draft_content(db: Database) -> dict[str, Any]:
    async with db.session() as session:
        row = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert row is not None
        return dict(json.loads(row.content))


async def skip_voices(greet: Person) -> dict[str, Any]:
    """The three voice questions skipped: the audience screen."""
    for _voice in range(2):
        await greet.taps(SKIP)
    [screen] = await greet.taps(SKIP)
    assert screen["text"].startswith("📣 Je aankondiging")
    return screen


async def send_from(greet: Person, fake: FakeTelegram, screen: dict[str, Any]) -> str:
    """📤 then ✅ from the screen; returns the confirmation question the coordinator read."""
    await greet.presses(screen, next(d for t, d in FakeTelegram.inline_buttons(screen)
                                     if t.startswith("📤")))
    confirm = fake.message(greet.id, screen["message_id"]) or {}
    await greet.taps("✅ Ja, nu versturen")
    return str(confirm.get("text", ""))


# --------------------------------------------------------------------------------------------
# the urgent closure written at 21:30


async def test_a_translation_that_comes_while_the_copies_wait_for_the_morning_reaches_them(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Monday 21:30: Greet writes that the school is closed tomorrow (storm), asks the team
    for the Punjabi and sends at once, it is urgent. Ten minutes later Simran replies with
    the Punjabi. Nobody has received anything yet: every parent is in their quiet hours."""
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 9101, "Simran", {"nl", "pa"}, db, availability=GREEN)
    harpreet = await onboard(chat, 9111, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 9112, "Els", "nl", "klimop")
    clock.moment = MONDAY_2130
    await greet.says("/announce")
    await greet.says(CLOSED)
    await greet.taps(DUTCH_ONLY)  # nobody writes Turkish tonight
    await greet.taps(ASK_TEAM)  # Punjabi: Simran
    screen = await skip_voices(greet)
    await send_from(greet, fake, screen)
    await asked(fake, db, simran)

    await simran.says(CLOSED_PA, reply_to=request_of(fake, simran))
    assert not any(CLOSED in t for t in fake.texts(harpreet.id))  # still waiting

    clock.moment = TUESDAY_0830
    wake(bot.app)
    # (Her copy, whichever language it came in: "ਸਕੂਲ" alone is also in the sign-up's words.)
    await wait_until(lambda: any("storm" in t for t in fake.texts(els.id))
                     and any(t == CLOSED_PA or CLOSED in t for t in fake.texts(harpreet.id)),
                     fake)
    assert fake.texts(harpreet.id)[-1] == CLOSED_PA


async def test_the_audience_screen_tells_a_translation_asked_of_the_team_is_awaited(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9201, "Simran", {"nl", "pa"}, db, availability=GREEN)
    await onboard(chat, 9211, "Harpreet", "pa", "klimop")
    await greet.says("/announce")
    await greet.says(CLOSED)
    await greet.taps(DUTCH_ONLY)
    [told, _voice_question] = await greet.taps(ASK_TEAM)
    assert told["text"].startswith("1 collega gevraagd")
    screen = await skip_voices(greet)
    assert "ਪੰਜਾਬੀ: Alleen Nederlands" not in screen["text"], screen["text"]


async def test_an_evening_announcement_about_tomorrow_is_not_read_as_the_day_after(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    els = await onboard(chat, 9311, "Els", "nl", "klimop")
    clock.moment = MONDAY_2130
    await greet.says("/announce")
    await greet.says(CLOSED)
    await greet.taps(DUTCH_ONLY)
    await greet.taps(DUTCH_ONLY)
    screen = await skip_voices(greet)
    confirmation = await send_from(greet, fake, screen)
    await outbox_settled(db, greet.id)
    assert not any("storm" in t for t in fake.texts(els.id))  # held by her quiet hours

    clock.moment = TUESDAY_0830
    wake(bot.app)
    await wait_until(lambda: any("storm" in t for t in fake.texts(els.id)), fake)
    delivered = next(t for t in fake.texts(els.id) if "storm" in t)
    # Either Greet knew before confirming (and could choose), or Els reads when it was
    # written: either way nobody takes "morgen" for Wednesday.
    assert "08:00" in confirmation or "21:30" in delivered, (confirmation, delivered)


async def test_asking_the_team_in_the_evening_says_when_they_will_see_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9401, "Mehmet", {"nl", "tr"}, db)  # the usual school hours
    clock.moment = MONDAY_2130
    await greet.says("/announce")
    await greet.says(CLOSED)
    [told, _punjabi_question] = await greet.taps(ASK_TEAM)
    assert told["text"].startswith("1 collega gevraagd")
    assert "09:00" in told["text"], told["text"]


# --------------------------------------------------------------------------------------------
# the coordinator's long letter


async def test_a_long_dutch_letter_split_by_telegram_is_not_taken_for_the_turkish(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await greet.says("/announce")
    letter = "Beste ouders,\n\n" + "Het schoolfeest is op zaterdag en iedereen is welkom. " * 80
    head, rest = letter[:4096], letter[4096:] + "\n\nGroeten, de directie."
    # What Telegram's apps send for one long text: two messages, one right after the other.
    await greet.says(head)
    await greet.says(rest)
    content = await draft_content(db)
    turkish = content["parts"].get("tr")
    assert turkish is None or turkish["text"] != rest, content["parts"].keys()


# --------------------------------------------------------------------------------------------
# the team translating


async def test_a_translation_typed_without_swiping_is_pointed_to_the_request(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9501, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps(ASK_TEAM)
    await asked(fake, db, mehmet)

    [answer] = await mehmet.says("Cuma günü yüzme dersi yok.")
    taken = "tr" in (await draft_content(db))["parts"]
    pointed = any(word in answer["text"].lower()
                  for word in ("aankondiging", "vertaal", "verzoek", "🙋"))
    assert taken or pointed, answer["text"]


async def test_two_colleagues_replying_at_once_are_not_both_told_their_words_are_used(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9601, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    fatma = await join_team(chat, greet, 9602, "Fatma", {"nl", "tr"}, db, availability=GREEN)
    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps(ASK_TEAM)
    await asked(fake, db, mehmet, fatma)

    words = {mehmet.id: "Cuma yüzme yok.", fatma.id: "Cuma günü yüzme dersi yok."}
    updates = [fake.send_text(member.user, words[member.id],
                              reply_to_message_id=(request_of(fake, member) or {})[
                                  "message_id"]) for member in (mehmet, fatma)]
    for update in updates:
        await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=0.3)

    thanked = [m for m in (mehmet, fatma)
               if fake.texts(m.id)[-1] == "✅ Dankjewel! Ouders lezen jouw woorden."]
    kept = (await draft_content(db))["parts"]["tr"]["text"]
    assert [words[m.id] for m in thanked] == [kept], [fake.texts(m.id)[-1]
                                                      for m in (mehmet, fatma)]
    assert sum("Turks toegevoegd" in t for t in fake.texts(greet.id)) == 1


async def test_the_request_to_translate_a_letter_shows_the_letter(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9701, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    await greet.says("/announce")
    await greet.sends("document", file_name="brief-staking.pdf",
                      caption="De brief van de school over de staking van dinsdag.")
    letter = next(m for m in fake.history(greet.id) if "document" in m)["document"]["file_id"]
    await greet.taps(ASK_TEAM)
    await asked(fake, db, mehmet)
    shown = [m["document"]["file_id"] for m in fake.transcript(mehmet.id) if "document" in m]
    assert letter in shown


async def test_a_voice_reply_is_not_announced_to_the_coordinator_as_the_text(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9801, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    await greet.taps(ASK_TEAM)
    await asked(fake, db, mehmet)
    [thanks] = await mehmet.sends("voice",
                                  reply_to_message_id=(request_of(fake, mehmet) or {})[
                                      "message_id"])
    assert thanks["text"] == "✅ Dankjewel! Ouders horen jouw spraakbericht."
    assert "tr" not in (await draft_content(db))["parts"]
    note = greet.last_text()
    assert note.startswith("✅ Mehmet")
    assert note != "✅ Mehmet heeft het Turks toegevoegd aan je aankondiging.", note


# --------------------------------------------------------------------------------------------
# a parent asks about it


