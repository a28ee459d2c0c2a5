"""Parents who hardly read. Harpreet (Punjabi, reads Gurmukhi only a little) and Emine,
Ayşe's mother-in-law (Turkish only), talk to the bot with voice messages, round video notes,
photos, stickers, emoji, locations and the buttons, at every moment: during sign-up, right
after a reminder, while a question is going on, after /stop, and in a school's group.

What they should get: what can be a question is kept and reaches the brugfiguur (with the
line that says which activity it is about); anything else gets an answer she can take in at a
glance (a 👍, a short sentence in her language with pictures, the big buttons): never
silence, never English or Dutch only, never an error.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import MONDAY_10, join_team
from tests.test_reminders_e2e import BABBEL, day_reminder_of, import_csv

GURMUKHI = re.compile("[\u0a00-\u0a7f]")
TOPIC_PA = "ਤੁਹਾਡਾ ਸਵਾਲ ਕਿਸ ਬਾਰੇ ਹੈ? ਇੱਕ ਬਟਨ ਦਬਾਓ।"
TOPIC_TR = "Sorunuz ne hakkında? Bir düğmeye dokunun."
NOT_PASSED_PA = "ਮਾਫ਼ ਕਰਨਾ, ਇਹ ਮੈਂ ਅੱਗੇ ਨਹੀਂ ਭੇਜ ਸਕਦਾ। 🎤 ਆਵਾਜ਼ ਵਾਲਾ ਸੁਨੇਹਾ, 📷 ਫ਼ੋਟੋ ਜਾਂ ✍️ ਲਿਖਤ ਭੇਜੋ।"
YES_THANKS_PA = ("ਧੰਨਵਾਦ! ਤੁਹਾਡਾ ਜਵਾਬ: ✅ ਹਾਂ, ਆਵਾਂਗੇ।\n"
                 "ਜਵਾਬ ਬਦਲਣ ਲਈ 🔔 ਯਾਦ-ਦਹਾਨੀ ਦੇ ਹੇਠਾਂ ਇੱਕ ਬਟਨ ਦਬਾਓ।")
ABOUT_BABBEL = "📅 Over: Ouderbabbel: slapen, woensdag 25 november 2026, 13:30"
MAIN_KEYS_PA = ["❓ ਸਵਾਲ ਪੁੱਛੋ", "📅 ਇਸ ਹਫ਼ਤੇ", "🏫 ਮੇਰਾ ਸਕੂਲ", "🌐 ਭਾਸ਼ਾ", "ℹ️ ਮਦਦ"]
# Pictures a parent who cannot read recognises as "talk" and "photo".
VOICE_SIGNS = ("🎤", "🎙", "🗣")
PHOTO_SIGNS = ("📷", "📸")
SIMRAN = 7101
HARPREET = 7002
GROUP = -100_777_001


# --------------------------------------------------------------------------------------------
# helpers


async def team_and_parent(chat: Chat, db: Database, language: str = "pa") -> tuple[Person,
                                                                                   Person]:
    """Simran (Dutch, Punjabi, Turkish), always available, is Klim-op's contact; Harpreet (or
    Emine, in Turkish) has signed up for Klim-op."""
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, SIMRAN, "Simran", {"nl", "pa", "tr"}, db,
                             contact_of="klimop", availability=AvailabilityMap.all(Level.GREEN))
    parent = await onboard(chat, HARPREET, "Harpreet" if language == "pa" else "Emine",
                           language, "klimop")
    return simran, parent


async def reminded(chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
                   bot: Handled, language: str = "pa") -> tuple[Person, Person, dict[str, Any]]:
    """The babbel of Wednesday at 13:30 (Bibliotheek, with a map pin): its reminder reached
    the parent on Tuesday at 18:00, and is the last thing in her chat."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    simran = await join_team(chat, greet, SIMRAN, "Simran", {"nl", "pa", "tr"}, db,
                             contact_of="klimop", availability=AvailabilityMap.all(Level.GREEN))
    parent = await onboard(chat, HARPREET, "Harpreet" if language == "pa" else "Emine",
                           language, "klimop")
    reminder = await day_reminder_of(bot, clock, fake, parent)
    await fake.wait_idle(quiet=0.12)
    return simran, parent, reminder


async def with_a_question_going_on(chat: Chat, fake: FakeTelegram, db: Database,
                                   clock: FixedClock) -> tuple[Person, Person]:
    """Harpreet tapped ❓ and the letter topic and sent a voice message: Simran has it."""
    clock.moment = MONDAY_10
    simran, harpreet = await team_and_parent(chat, db)
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("letter")
    await harpreet.sends("voice")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)), fake)
    await outbox_settled(db)
    return simran, harpreet


async def deliver(bot: Handled, fake: FakeTelegram, person: Person,
                  update: dict[str, Any]) -> list[dict[str, Any]]:
    """Wait until the bot handled a hand-made update; the bot's new messages in her chat."""
    mark = len(fake.transcript(person.id))
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=0.2)
    return fake.transcript(person.id)[mark:]


def new_file(fake: FakeTelegram, kind: str, ext: str, name: str | None = None) -> dict[str, Any]:
    """A file on the fake server, as the fields of a message's media."""
    stored = fake._new_file(kind, b"\x00" * 800, ext, name)
    return fake._file_fields(stored)


def sent(fake: FakeTelegram, person: Person, fields: dict[str, Any], *,
         chat: dict[str, Any] | None = None, reply_to: int | None = None) -> dict[str, Any]:
    """A message of any kind from the person (a video, an audio file, dice, a forward...)."""
    return fake._user_message(person.user, fields, chat, reply_to)


def card_of(fake: FakeTelegram, holder: Person) -> str:
    cards = [m["text"] for m in fake.transcript(holder.id)
             if m.get("text", "").startswith("❓ Vraag")]
    assert cards, fake.summary()
    return cards[-1]


def words(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in messages]


# --------------------------------------------------------------------------------------------
# during sign-up


async def test_a_voice_message_instead_of_the_language_tap_is_kept_and_the_question_asked_again(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Harpreet opens the bot and, instead of tapping a language, talks: the three languages
    come again, each in its own script; once she is set up her voice message is not lost."""
    clock.moment = MONDAY_10
    harpreet = chat.person(HARPREET, "Harpreet")
    await harpreet.says("/start s_klimop")
    [again] = await harpreet.sends("voice")
    labels = [label for label, _data in FakeTelegram.inline_buttons(again)]
    assert sorted(labels) == sorted(["Nederlands", "Türkçe", "ਪੰਜਾਬੀ"])
    assert GURMUKHI.search(again["text"])

    await harpreet.taps("ਪੰਜਾਬੀ")
    replies = await harpreet.taps(data="privacy:ok")
    assert words(replies)[-1] == "ਮੈਂ ਤੁਹਾਡਾ ਸੁਨੇਹਾ ਸੰਭਾਲ ਲਿਆ ਹੈ। " + TOPIC_PA


async def test_a_sticker_or_a_video_note_at_the_school_question_asks_it_again_in_her_language(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    harpreet = chat.person(HARPREET, "Harpreet")
    await harpreet.says("/start")
    await harpreet.taps("ਪੰਜਾਬੀ")
    for kind, extra in (("sticker", {"emoji": "🙂"}), ("video_note", {})):
        [again] = await harpreet.sends(kind, **extra)
        assert again["text"].startswith("ਕਿਰਪਾ ਕਰਕੇ ਇੱਕ ਬਟਨ ਦਬਾਓ।\n\n"), again["text"]
        assert ("👍 ਹੋ ਗਿਆ", "school:done") in FakeTelegram.inline_buttons(again)


# --------------------------------------------------------------------------------------------
# right after a reminder


@pytest.mark.parametrize(("kind", "value"), [
    ("sticker", "👍"), ("text", "👍"), ("text", "✅"), ("text", "👍🏽"), ("text", "👍👍")])
async def test_a_thumbs_up_right_after_a_reminder_says_she_is_coming(
    kind: str, value: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock,
    bot: Handled
) -> None:
    _simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    replies = (await harpreet.sends("sticker", emoji=value) if kind == "sticker"
               else await harpreet.says(value))
    assert words(replies) == [YES_THANKS_PA]
    redrawn = fake.message(harpreet.id, reminder["message_id"])
    assert redrawn is not None
    assert ("• ✅ ਹਾਂ, ਆਵਾਂਗੇ" in [label for label, _d in FakeTelegram.inline_buttons(redrawn)])


async def test_a_thumbs_up_reaction_on_the_reminder_says_she_is_coming(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """The quickest "yes" on a phone: a long press on the reminder and 👍. A typed 👍 or a
    👍 sticker counts; the reaction is met with silence and nothing is kept."""
    _simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    replies = await deliver(bot, fake, harpreet, fake.queue_update({"message_reaction": {
        "chat": harpreet.user.chat(), "message_id": reminder["message_id"],
        "user": harpreet.user.to_dict(), "date": int(time.time()),
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}))
    redrawn = fake.message(harpreet.id, reminder["message_id"])
    assert redrawn is not None
    labels = [label for label, _d in FakeTelegram.inline_buttons(redrawn)]
    assert "• ✅ ਹਾਂ, ਆਵਾਂਗੇ" in labels, (labels, words(replies))


@pytest.mark.parametrize(("language", "topic_question"), [("pa", TOPIC_PA), ("tr", TOPIC_TR)])
@pytest.mark.parametrize("kind", ["voice", "video_note"])
async def test_a_voice_or_round_video_right_after_a_reminder_becomes_a_question(
    kind: str, language: str, topic_question: str, chat: Chat, fake: FakeTelegram,
    db: Database, clock: FixedClock, bot: Handled
) -> None:
    """She answers the reminder by talking ("where is the library?"): kept, the topics in her
    language with their pictures, and after a tap the brugfiguur has her message."""
    simran, parent, _reminder = await reminded(chat, fake, db, clock, bot, language)
    [asked] = await parent.sends(kind)
    assert asked["text"] == topic_question
    assert all(label[0] in "🏫👶💶📄💡💼🗣💬"
               for label, _d in FakeTelegram.inline_buttons(asked))
    await parent.picks_topic("other")
    await wait_until(lambda: any(kind in m for m in fake.transcript(simran.id)), fake)


@pytest.mark.parametrize("kind", ["voice", "video_note"])
async def test_a_voice_right_after_a_reminder_tells_the_brugfiguur_which_activity(
    kind: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Harpreet does not know how to swipe a message. The reminder is the last thing in her
    chat; she records "may I bring my little one?" right under it. Her next word ("ja",
    👍) is read as the reminder's answer; her next voice message is just as surely about
    it, but Simran gets a card without the activity and must ask back "about what?"."""
    simran, harpreet, _reminder = await reminded(chat, fake, db, clock, bot)
    await harpreet.sends(kind)
    await harpreet.picks_topic("other")
    await wait_until(lambda: any(kind in m for m in fake.transcript(simran.id)), fake)
    assert ABOUT_BABBEL in card_of(fake, simran).splitlines()


async def test_a_round_video_swiped_onto_the_reminder_names_the_activity_on_the_card(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    simran, harpreet, reminder = await reminded(chat, fake, db, clock, bot)
    await harpreet.sends("video_note", reply_to_message_id=reminder["message_id"])
    await harpreet.picks_topic("other")
    await wait_until(lambda: any("video_note" in m for m in fake.transcript(simran.id)), fake)
    assert ABOUT_BABBEL in card_of(fake, simran).splitlines()


async def test_a_location_shared_right_after_a_reminder_is_not_refused(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """On her way to the library she cannot find it and shares where she stands. The bot
    should show her the activity's pin again, or keep it for the brugfiguur (who can guide
    her); it says it cannot pass that on."""
    _simran, harpreet, _reminder = await reminded(chat, fake, db, clock, bot)
    replies = await harpreet.sends("location", lat=50.8150, lon=5.1830)
    pinned = any("location" in m or "venue" in m for m in replies)
    kept = any(m.get("text", "").endswith(TOPIC_PA) for m in replies)
    assert pinned or kept, words(replies)


# --------------------------------------------------------------------------------------------
# while a question is going on


def media(fake: FakeTelegram, kind: str) -> dict[str, Any]:
    """The fields of a message of ``kind`` as Telegram sends them."""
    if kind == "video":
        return {"video": {**new_file(fake, "video", "mp4"), "width": 640, "height": 480,
                          "duration": 6, "mime_type": "video/mp4"}}
    if kind == "audio":
        return {"audio": {**new_file(fake, "audio", "mp3", "song.mp3"), "duration": 30,
                          "mime_type": "audio/mpeg", "file_name": "song.mp3"}}
    if kind == "whatsapp audio":  # a voice note shared from WhatsApp arrives as an audio file
        return {"audio": {**new_file(fake, "audio", "opus", "PTT-20261123-WA0007.opus"),
                          "duration": 9, "mime_type": "audio/ogg",
                          "file_name": "PTT-20261123-WA0007.opus"}}
    if kind == "whatsapp document":  # ... or, from some phones, as a file
        return {"document": {**new_file(fake, "document", "opus", "PTT-20261123-WA0008.opus"),
                             "file_name": "PTT-20261123-WA0008.opus",
                             "mime_type": "audio/ogg"}}
    if kind == "gif":
        animation = new_file(fake, "animation", "mp4", "giphy.mp4")
        return {"animation": {**animation, "width": 200, "height": 200, "duration": 2},
                "document": {**animation, "file_name": "giphy.mp4", "mime_type": "video/mp4"}}
    if kind == "video_note":
        return {"video_note": {**new_file(fake, "video_note", "mp4"), "duration": 4,
                               "length": 384}}
    if kind == "document":
        return {"document": {**new_file(fake, "document", "pdf", "brief.pdf"),
                             "file_name": "brief.pdf", "mime_type": "application/pdf"}}
    if kind == "location":
        return {"location": {"latitude": 50.815, "longitude": 5.183}}
    if kind == "venue":
        spot = {"latitude": 50.815, "longitude": 5.183}
        return {"location": spot, "venue": {"location": spot, "title": "Bibliotheek",
                                            "address": "Kazernestraat 13"}}
    if kind == "contact":
        return {"contact": {"phone_number": "+3211123456", "first_name": "Juf An"}}
    if kind == "dice":
        return {"dice": {"emoji": "🎲", "value": 4}}
    if kind == "poll":
        return {"poll": fake._poll("Welke dag?", ["Maandag", "Dinsdag"])}
    raise AssertionError(kind)


PASSED_ON = {"video_note": "video_note", "video": "video", "audio": "audio",
             "document": "document", "whatsapp audio": "audio",
             "whatsapp document": "document", "gif": "animation"}


@pytest.mark.parametrize("kind", list(PASSED_ON))
async def test_what_she_sends_during_a_question_reaches_the_brugfiguur_with_a_thumb(
    kind: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A round video, a video of the letter, an audio file, a voice note shared from
    WhatsApp: passed on, and a 👍 on her message says so without words."""
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    mark = len(fake.transcript(simran.id))
    message = sent(fake, harpreet, media(fake, kind))
    replies = await deliver(bot, fake, harpreet, message)
    field = PASSED_ON[kind]
    await wait_until(lambda: any(field in m for m in fake.transcript(simran.id)[mark:]), fake)
    assert replies == []
    assert fake.reactions(harpreet.id).get(message["message"]["message_id"]) == ["👍"]


async def test_an_album_of_five_photos_reaches_the_brugfiguur_without_five_answers(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    mark = len(fake.transcript(simran.id))
    replies: list[dict[str, Any]] = []
    for page in range(5):
        replies += await harpreet.sends("photo", media_group_id="letter-pages",
                                        caption="ਚਿੱਠੀ" if page == 0 else None)
    await wait_until(lambda: sum("photo" in m for m in fake.transcript(simran.id)[mark:]) == 5,
                     fake)
    assert replies == []
    assert sum(r == ["👍"] for r in fake.reactions(harpreet.id).values()) >= 5


async def test_a_forwarded_voice_tells_the_brugfiguur_whose_words_it_carries(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    mark = len(fake.transcript(simran.id))
    voice = {"voice": {**new_file(fake, "voice", "oga"), "duration": 7, "mime_type": "audio/ogg"},
             "forward_origin": {"type": "hidden_user", "sender_user_name": "Juf An",
                                "date": int(time.time()) - 3600}}
    await deliver(bot, fake, harpreet, sent(fake, harpreet, voice))
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)[mark:]), fake)
    got = fake.transcript(simran.id)[mark:]
    at = next(i for i, m in enumerate(got) if "voice" in m)
    assert got[at - 1]["text"] == "↪️ Harpreet stuurde dit bericht van Juf An door:"


@pytest.mark.parametrize("kind", ["dice", "poll", "sticker"])
async def test_what_cannot_be_passed_on_is_answered_in_her_language_with_the_big_buttons(
    kind: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A grandchild plays with the phone: dice, a poll, a crying sticker. One sentence in
    Punjabi with the big buttons; never silence, never English."""
    _simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    if kind == "sticker":
        replies = await harpreet.sends("sticker", emoji="😢")
    else:
        replies = await deliver(bot, fake, harpreet, sent(fake, harpreet, media(fake, kind)))
    assert words(replies) == [NOT_PASSED_PA]
    assert harpreet.keyboard() == MAIN_KEYS_PA


@pytest.mark.parametrize("kind", ["location", "venue"])
async def test_a_location_during_a_question_reaches_the_brugfiguur(
    kind: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Simran asked "where do you live?". Harpreet cannot type an address: she shares her
    location, copied as a voice message is."""
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    mark = len(fake.transcript(simran.id))
    replies = await deliver(bot, fake, harpreet, sent(fake, harpreet, media(fake, kind)))
    await outbox_settled(db)
    assert any("location" in m for m in fake.transcript(simran.id)[mark:]), words(replies)


async def test_a_contact_card_is_not_passed_on_and_she_is_shown_what_can_be(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """A contact card would hand the team a phone number (the privacy notice says we never
    see one): refused, with the pictures of what she can send."""
    simran, harpreet = await with_a_question_going_on(chat, fake, db, clock)
    mark = len(fake.transcript(simran.id))
    replies = await deliver(bot, fake, harpreet, sent(fake, harpreet, media(fake, "contact")))
    await outbox_settled(db)
    assert not any("contact" in m for m in fake.transcript(simran.id)[mark:])
    assert words(replies) == [NOT_PASSED_PA]


# --------------------------------------------------------------------------------------------
# words she would have to read


async def test_the_refusal_shows_with_pictures_what_she_can_send(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    _simran, harpreet = await team_and_parent(chat, db)
    [refused] = await harpreet.sends("sticker", emoji="🐱")
    assert refused["text"] == NOT_PASSED_PA  # in her language, at least
    assert any(sign in refused["text"] for sign in VOICE_SIGNS)
    assert any(sign in refused["text"] for sign in PHOTO_SIGNS)


async def test_send_your_question_now_shows_with_pictures_how_to_ask(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    _simran, harpreet = await team_and_parent(chat, db)
    await harpreet.presses_key("❓")
    [prompt] = await harpreet.picks_topic("letter")
    assert GURMUKHI.search(prompt["text"])
    assert any(sign in prompt["text"] for sign in VOICE_SIGNS), prompt["text"]
    assert any(sign in prompt["text"] for sign in PHOTO_SIGNS), prompt["text"]


async def test_her_question_arriving_is_shown_with_a_sign_she_recognises(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Her follow-ups get a 👍 on them; the first voice message, the one that matters, gets
    a sentence in Gurmukhi with the ✅ she knows at its start."""
    clock.moment = MONDAY_10
    _simran, harpreet = await team_and_parent(chat, db)
    await harpreet.presses_key("❓")
    await harpreet.picks_topic("letter")
    [told] = await harpreet.sends("voice")
    assert told["text"] == "✅ ਧੰਨਵਾਦ! Simran ਜੀ ਕੋਲ ਤੁਹਾਡਾ ਸਵਾਲ ਹੈ ਅਤੇ ਉਹ ਜਲਦੀ ਜਵਾਬ ਦੇਣਗੇ।"
    assert told["text"].startswith("✅")


# --------------------------------------------------------------------------------------------
# after /stop, and in a group


async def test_after_stop_a_voice_message_is_still_a_question_for_the_team(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    simran, harpreet = await team_and_parent(chat, db)
    await harpreet.says("/stop")
    [asked] = await harpreet.sends("voice")
    assert asked["text"] == TOPIC_PA
    [told] = await harpreet.picks_topic("letter")
    assert told["text"].startswith("✅ ਧੰਨਵਾਦ! Simran")
    await wait_until(lambda: any("voice" in m for m in fake.transcript(simran.id)), fake)


@pytest.mark.parametrize("kind", ["voice", "sticker", "photo"])
async def test_a_reply_to_the_bot_in_a_group_without_words_gets_the_pointer(
    kind: str, chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Harpreet adds the bot to the class's parent group; it says (in Punjabi, with a 💬
    button) that it works in a private chat. She swipes that and answers by voice, as she
    does everywhere: nothing. A typed "ਕਿਵੇਂ?" in the same place gets the pointer again."""
    clock.moment = MONDAY_10
    harpreet = await onboard(chat, HARPREET, "Harpreet", "pa", "klimop")
    await deliver(bot, fake, harpreet, fake.send_group_join(harpreet.user, GROUP,
                                                            [fake.bot_user]))
    [pointer] = [m for m in fake.history(GROUP) if m["from"]["is_bot"]]
    assert GURMUKHI.search(pointer["text"])
    bodies = {
        "voice": {"voice": {**new_file(fake, "voice", "oga"), "duration": 4}},
        "sticker": {"sticker": fake._sticker(fake._new_file("sticker", b"x", "webp"), "🤔")},
        "photo": {"photo": [fake._photo_size(fake._new_file("photo", b"x", "jpg"), 90, 68)]},
    }
    group = fake._chats[GROUP]
    update = sent(fake, harpreet, bodies[kind], chat=group, reply_to=pointer["message_id"])
    await bot.wait(update["update_id"])
    await fake.wait_idle(quiet=0.2)
    answers = [m for m in fake.history(GROUP) if m["from"]["is_bot"]]
    assert len(answers) == 2, [m.get("text") for m in answers]
    assert GURMUKHI.search(answers[-1]["text"])
