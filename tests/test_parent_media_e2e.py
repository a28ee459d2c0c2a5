"""Parents who read little (a Punjabi grandmother, a Turkish father) talk to the bot with
photos, albums, voice messages and forwards: an album after an untapped question is answered,
a photo swapped by an edit reaches the brugfiguur, a forward says whose words it carries, a
reply to the school's letter comes with the letter, and the note after an activity says in
the parent's language what it is."""

from __future__ import annotations

import copy
import re
import time
from datetime import UTC
from typing import Any

from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
)

GURMUKHI = re.compile("[\u0a00-\u0a7f]")


def next_message_id(fake: FakeTelegram, chat_id: int) -> int:
    return max((m["message_id"] for m in fake.history(chat_id)), default=0) + 1


async def deliver(bot: Handled, fake: FakeTelegram, update: dict[str, Any]) -> None:
    """Wait until the bot has handled a hand-made update, and the outbox has settled."""
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=0.2)


async def asked_with_a_photo(chat: Chat, fake: FakeTelegram, db: Database
                             ) -> tuple[Talker, Talker, dict[str, Any], dict[str, Any]]:
    """Mehmet (Turkish) asks about a letter with a photo of its first page; Fatma, the
    school's Turkish contact, has the card and the photo's copy."""
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8601, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    mehmet = await onboard(chat, 8611, "Mehmet", "tr", "klimop")
    await mehmet.presses_key("❓")
    await mehmet.picks_topic("letter")
    await mehmet.sends("photo", caption="Sayfa 1")
    await wait_until(lambda: any(m.get("caption") == "Sayfa 1"
                                 for m in fake.transcript(fatma.id)), fake)
    await outbox_settled(db)
    [sent] = [m for m in fake.history(mehmet.id)
              if not m["from"]["is_bot"] and m.get("caption") == "Sayfa 1"]
    [copied] = [m for m in fake.transcript(fatma.id) if m.get("caption") == "Sayfa 1"]
    return mehmet, fatma, sent, copied


# --------------------------------------------------------------------------------------------
# albums


async def test_an_album_sent_after_an_untapped_question_is_answered_like_any_message(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 8621, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    mehmet = await onboard(chat, 8631, "Mehmet", "tr", "klimop")

    # He writes a line, does not read the topic buttons, and sends the letter's two pages as
    # one album.
    [topics] = await mehmet.says("Okuldan mektup geldi.")
    assert topics["text"] == "Sorunuz ne hakkında? Bir düğmeye dokunun."
    replies = await mehmet.sends("photo", caption="Sayfa 1", media_group_id="letter-1")
    replies += await mehmet.sends("photo", media_group_id="letter-1")

    # The album is kept and, as after any message he sends on without a tap, he hears so,
    # once (at its first photo: two kept by then), with the topics again.
    assert [r["text"] for r in replies] == [
        "2 mesajınızı kaydettim. Sorunuz ne hakkında? Bir düğmeye dokunun."]
    # A second album later is answered too.
    [again] = await mehmet.sends("photo", caption="Sayfa 3", media_group_id="letter-2")
    assert again["text"].startswith("4 mesajınızı kaydettim.")
    assert await mehmet.sends("photo", media_group_id="letter-2") == []


# --------------------------------------------------------------------------------------------
# edits


async def test_a_photo_the_parent_replaces_by_an_edit_reaches_the_brugfiguur_or_is_not_said_to(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    mehmet, fatma, sent, copied = await asked_with_a_photo(chat, fake, db)

    # He sent the wrong page: he edits the message and picks the right photo (same caption).
    edited = copy.deepcopy(sent)
    edited.pop("reply_to_message", None)
    edited["photo"] = [
        {"file_id": "page-two-small", "file_unique_id": "page-two-s", "width": 90, "height": 68},
        {"file_id": "page-two", "file_unique_id": "page-two-u", "width": 1280, "height": 960}]
    edited["edit_date"] = int(time.time())
    mark = len(fake.transcript(mehmet.id))
    await deliver(bot, fake, fake.queue_update({"edited_message": edited}))
    told = [m.get("text", "") for m in fake.transcript(mehmet.id)[mark:]]

    now = fake.message(fatma.id, copied["message_id"])
    assert now is not None
    # The new page is in Fatma's copy, with its caption, and Mehmet is told so.
    assert [size["file_id"] for size in now["photo"]] == ["page-two"]
    assert now["caption"] == "Sayfa 1"
    assert told == ["✏️ Değişikliğiniz iletildi."]


# --------------------------------------------------------------------------------------------
# forwards


async def test_a_forwarded_message_reaches_the_brugfiguur_as_a_forward(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = MONDAY_10
    mehmet, fatma, _sent, _copied = await asked_with_a_photo(chat, fake, db)

    words = "Beste papa, Emre heeft morgen zijn turnzak nodig. Juf An"
    forwarded = {
        "message_id": next_message_id(fake, mehmet.id),
        "from": mehmet.user.to_dict(),
        "chat": mehmet.user.chat(),
        "date": int(time.time()),
        "forward_origin": {"type": "hidden_user", "sender_user_name": "Juf An",
                           "date": int(time.time()) - 3600},
        "text": words,
    }
    await deliver(bot, fake, fake.queue_update({"message": forwarded}))
    await wait_until(lambda: any(words in m.get("text", "")
                                 for m in fake.transcript(fatma.id)), fake)

    # Fatma sees whose words they are: a line of the bot just before the copy.
    after_card = fake.transcript(fatma.id)
    at = next(i for i, m in enumerate(after_card) if words in m.get("text", ""))
    assert after_card[at - 1]["text"] == "↪️ Mehmet stuurde dit bericht van Juf An door:"


# --------------------------------------------------------------------------------------------
# the note after an activity


async def test_the_note_after_an_activity_says_in_the_parents_language_what_it_is(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    nani = await onboard(chat, 8641, "Gurdeep", "pa", "klimop")
    reminder = await day_reminder_of(bot, clock, fake, nani)
    await nani.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")

    clock.moment = local(25, 16).astimezone(UTC)
    [overview] = await greet.says("/rsvps")
    [(_label, data)] = FakeTelegram.inline_buttons(overview)
    [prompt] = await greet.taps(data=data)
    mark = len(fake.transcript(nani.id))
    await greet.sends("photo", caption="Zo slaap je beter: tips van Huis van het Kind",
                      reply_to_message_id=prompt["message_id"])
    await wait_until(lambda: any(m.get("caption", "").startswith("Zo slaap je beter")
                                 for m in fake.transcript(nani.id)), fake)
    await outbox_settled(db)

    got = fake.transcript(nani.id)[mark:]
    words = " ".join(m.get("text") or m.get("caption") or "" for m in got)
    assert GURMUKHI.search(words), words


# --------------------------------------------------------------------------------------------
# a reply to the school's letter


async def test_a_voice_reply_to_the_schools_letter_reaches_the_brugfiguur_with_the_letter(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    harpreet = await join_team(chat, greet, 8651, "Harpreet", {"nl", "pa"}, db,
                               contact_of="klimop")
    nani = await onboard(chat, 8661, "Gurdeep", "pa", "klimop")

    # The coordinator sends the letter about the school trip, in Dutch only.
    await greet.says("/announce")
    await greet.sends("document", file_name="brief-uitstap.pdf",
                      caption="De brief over de uitstap.")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _language in range(3):
        await greet.taps("⏭ Overslaan")
    await greet.taps("📤 Verstuur naar")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: any("document" in m for m in fake.transcript(nani.id)), fake)
    await outbox_settled(db)
    [letter] = [m for m in fake.transcript(nani.id) if "document" in m]

    # She swipes it and asks by voice what it says; then taps the letter topic.
    await nani.sends("voice", reply_to_message_id=letter["message_id"])
    await nani.picks_topic("letter")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(harpreet.id)), fake)
    await outbox_settled(db)

    got = fake.transcript(harpreet.id)
    card_at = next(i for i, m in enumerate(got) if m.get("text", "").startswith("❓"))
    # After the card: what she replied to (the letter itself, copied from her chat), then
    # her voice message.
    after = [m.get("text") or m.get("caption") or next(k for k in m if k in ("voice",))
             for m in got[card_at + 1:]]
    assert after == ["↩️ Gurdeep antwoordde op dit bericht van de bot:",
                     "🇧🇪 (ਡੱਚ ਵਿੱਚ)\n\nDe brief over de uitstap.", "voice"], after
    assert got[card_at + 2]["document"]["file_id"] == letter["document"]["file_id"]
