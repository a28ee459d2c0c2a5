"""A parent who cannot read well and lives by voice messages and photos (found by a
reviewer). Harpreet (Punjabi, reads Gurmukhi only a little) holds the microphone button and
talks: right under a reminder with an older question still open, onto a cancellation
notice, onto the 🎙 voice of an activity after /week: the brugfiguur's card says which
activity. A caption corrected after a swipe onto a letter leaves the letter's copy alone.
"""

from __future__ import annotations

import time
from typing import Any

from bot.services import programme
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv

ABOUT_BABBEL = "📅 Over: Ouderbabbel: slapen, woensdag 25 november 2026, 13:30"
SIMRAN = 7301
HARPREET = 7302


def shown(messages: list[dict[str, Any]]) -> list[str]:
    """What each message shows: its text or caption, else the kind of media it is."""
    kinds = ("voice", "video_note", "photo", "document", "audio", "location")
    return [m.get("text") or m.get("caption")
            or next((k for k in kinds if k in m), "?") for m in messages]


async def simran_and_harpreet(chat: Chat, db: Database) -> tuple[Person, Person, Person]:
    """The babbel of Wednesday 25 November at 13:30 is in the programme; Simran (Dutch,
    Punjabi), always available, is Klim-op's contact; Harpreet has signed up for Klim-op."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    simran = await join_team(chat, greet, SIMRAN, "Simran", {"nl", "pa"}, db,
                             contact_of="klimop", availability=AvailabilityMap.all(Level.GREEN))
    harpreet = await onboard(chat, HARPREET, "Harpreet", "pa", "klimop")
    return greet, simran, harpreet


# --------------------------------------------------------------------------------------------
# 1. a voice recorded right under a reminder, while an older question is still open


async def test_a_voice_right_under_a_reminder_with_an_old_question_open_names_the_activity(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, simran, harpreet = await simran_and_harpreet(chat, db)
    # Sunday: a photo of a letter, answered by Simran by voice; nobody closes it.
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("letter")
    await harpreet.sends("photo", caption="ਚਿੱਠੀ")
    await wait_until(lambda: any(m.get("caption") == "ਚਿੱਠੀ"
                                 for m in fake.transcript(simran.id)), fake)
    await outbox_settled(db)
    [copied] = [m for m in fake.transcript(simran.id) if m.get("caption") == "ਚਿੱਠੀ"]
    await simran.sends("voice", reply_to_message_id=copied["message_id"])
    await wait_until(lambda: any("voice" in m for m in fake.transcript(harpreet.id)), fake)
    await outbox_settled(db)

    # Tuesday 18:00: the reminder of Wednesday's babbel is the last thing in her chat.
    await day_reminder_of(bot, clock, fake, harpreet)
    await fake.wait_idle(quiet=0.12)
    before = len(fake.transcript(simran.id))
    await harpreet.sends("voice")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)[before:]),
                     fake)
    await outbox_settled(db)
    came = [text for text in shown(fake.transcript(simran.id)[before:])
            if not text.startswith("⚠️")]
    assert came == [ABOUT_BABBEL, "voice"], came


# --------------------------------------------------------------------------------------------
# 2. a voice swiped onto the notice that the babbel is cancelled


async def cancel_the_babbel(greet: Person, fake: FakeTelegram, parent: Person) -> dict[str, Any]:
    """The coordinator cancels Wednesday's babbel and tells its parents; the notice as the
    parent got it."""
    [listing] = await greet.says("/activities")
    [label] = [text for text, _data in FakeTelegram.inline_buttons(listing)
               if text.startswith("Ouderbabbel")]
    await greet.taps(label)
    await greet.taps("❌ Deze activiteit annuleren")  # a one-off: one button
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: parent.last_text().startswith("❌"), fake)
    return fake.transcript(parent.id)[-1]


async def test_a_voice_swiped_onto_the_cancellation_notice_tells_the_brugfiguur_what_it_is_about(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, simran, harpreet = await simran_and_harpreet(chat, db)
    notice = await cancel_the_babbel(greet, fake, harpreet)
    await outbox_settled(db)
    before = len(fake.transcript(simran.id))

    await harpreet.sends("voice", reply_to_message_id=notice["message_id"])
    await harpreet.picks_topic("other")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)[before:]),
                     fake)
    await outbox_settled(db)
    came = shown(fake.transcript(simran.id)[before:])
    told = "\n".join(came)
    assert "Ouderbabbel: slapen" in told, came


# --------------------------------------------------------------------------------------------
# 3. a voice swiped onto the 🎙 voice message of an activity, after /week


async def test_a_voice_swiped_onto_the_weeks_activity_voice_tells_the_brugfiguur_which_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    _greet, simran, harpreet = await simran_and_harpreet(chat, db)
    recorded = fake._new_file("voice", b"OggS" + bytes(3000), "oga")
    async with db.session() as session:
        await programme.set_voices(session, "babbel-nov",
                                   {"pa": fake._file_fields(recorded)["file_id"]})
        await session.commit()

    replies = await harpreet.presses_key("📅")
    [voice] = [m for m in replies if "voice" in m]
    assert voice["caption"].startswith("🎙 ")
    before = len(fake.transcript(simran.id))
    await harpreet.sends("voice", reply_to_message_id=voice["message_id"])
    await harpreet.picks_topic("other")
    await wait_until(lambda: sum("voice" in m for m in fake.transcript(simran.id)[before:]) >= 1,
                     fake)
    await outbox_settled(db)
    came = shown(fake.transcript(simran.id)[before:])
    told = "\n".join(came)
    assert "Ouderbabbel: slapen" in told or "ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ" in told, came



# --------------------------------------------------------------------------------------------
# 4. a photo swiped onto the school's letter, its caption corrected afterwards


async def test_a_caption_corrected_after_a_swipe_onto_the_letter_leaves_the_letters_copy_alone(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet, simran, harpreet = await simran_and_harpreet(chat, db)
    await greet.says("/announce")
    await greet.sends("document", file_name="brief-uitstap.pdf",
                      caption="De brief over de uitstap.")
    await greet.taps("🇧🇪 Alleen Nederlands")
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _language in range(3):
        await greet.taps("⏭ Overslaan")
    await greet.taps("📤 Verstuur naar")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: any("document" in m for m in fake.transcript(harpreet.id)), fake)
    await outbox_settled(db)
    [letter] = [m for m in fake.transcript(harpreet.id) if "document" in m]

    await harpreet.sends("photo", caption="ਇਹ ਕੀ ਹੈ", reply_to_message_id=letter["message_id"])
    await harpreet.picks_topic("letter")
    await wait_until(lambda: any(m.get("caption") == "ਇਹ ਕੀ ਹੈ"
                                 for m in fake.transcript(simran.id)), fake)
    await outbox_settled(db)
    [letter_copy] = [m for m in fake.transcript(simran.id) if "document" in m]
    [sent] = [m for m in fake.history(harpreet.id)
              if not m["from"]["is_bot"] and m.get("caption") == "ਇਹ ਕੀ ਹੈ"]

    edited = {key: value for key, value in sent.items() if key != "reply_to_message"}
    edited["reply_to_message"] = letter
    edited["caption"] = "ਇਹ ਚਿੱਠੀ ਕੀ ਕਹਿੰਦੀ ਹੈ?"
    edited["edit_date"] = int(time.time())
    update = fake.queue_update({"edited_message": edited})
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=0.2)

    now = fake.message(simran.id, letter_copy["message_id"])
    assert now is not None
    assert "document" in now and "photo" not in now, (now.get("caption"), sorted(now))
    assert now.get("caption") == letter_copy.get("caption"), now
