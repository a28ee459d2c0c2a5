"""Translations by the team: /programme's button asks the brugfiguren who speak the missing
language; the first reply fills the activity, a voice reply becomes its voice message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import Activity, ActivityText, OutboxMessage
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team

ACTIVITY = "knutselen-sinterklaas-2026"  # has no Turkish and no Punjabi text
# The tests' clock stands on a Sunday, red in the usual hours: these colleagues are green.
GREEN = AvailabilityMap.all(Level.GREEN)


async def texts_of(db: Database, external_id: str) -> dict[str, ActivityText]:
    async with db.session() as session:
        activity = await session.scalar(select(Activity).where(
            Activity.external_id == external_id))
        assert activity is not None
        return {t.locale: t for t in activity.texts}


async def test_the_team_fills_a_missing_punjabi_text_and_voice(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    simran = await join_team(chat, greet, 8711, "Simran", {"nl", "pa"}, db, availability=GREEN)
    jaspreet = await join_team(chat, greet, 8712, "Jaspreet", {"pa"}, db, availability=GREEN)
    mehmet = await join_team(chat, greet, 8713, "Mehmet", {"tr"}, db, availability=GREEN)

    replies = await greet.says("/programme")
    missing = replies[-1]
    assert "Knutselnamiddag voor Sinterklaas" in missing["text"]
    [(label, data)] = FakeTelegram.inline_buttons(missing)
    assert label == "🙋 Vraag het team om te vertalen"
    [asked] = await greet.taps(data=data)
    assert asked["text"].startswith("Gevraagd:")

    def request_in(chat_id: int) -> dict | None:
        return next((m for m in fake.transcript(chat_id)
                     if "Knutselnamiddag voor Sinterklaas" in m.get("text", "")
                     and m.get("text", "").startswith("🙋")), None)

    await wait_until(lambda: all(request_in(p.id) for p in (simran, jaspreet, mehmet)), fake)
    request = request_in(simran.id)
    assert request is not None and "in het Punjabi schrijven" in request["text"]

    # Simran answers first; Jaspreet's later answer does not overwrite hers.
    [thanks] = await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।", reply_to=request)
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    [late] = await jaspreet.says("ਕੁਝ ਹੋਰ", reply_to=request_in(jaspreet.id))
    assert late["text"] == "Een collega heeft deze al geschreven. Toch bedankt!"
    [voice] = await jaspreet.sends("voice", reply_to_message_id=request_in(jaspreet.id)[
        "message_id"])
    assert voice["text"] == "✅ Dankjewel! Ouders horen jouw spraakbericht."
    first_voice = (await texts_of(db, ACTIVITY))["pa"].voice_file_id
    # Simran's voice message after it does not replace Jaspreet's.
    [again] = await simran.sends("voice", reply_to_message_id=request["message_id"])
    assert again["text"] == "Een collega heeft deze al ingesproken. Toch bedankt!"

    texts = await texts_of(db, ACTIVITY)
    assert texts["pa"].voice_file_id == first_voice
    assert texts["pa"].title == "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ"
    assert texts["pa"].description == "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।"
    assert texts["pa"].voice_file_id

    # A Punjabi parent now reads it in Punjabi, no "(in Dutch)" mark.
    harpreet = await onboard(chat, 8721, "Harpreet", "pa", "kabouterland")
    week = (await harpreet.says("/week"))[0]
    assert "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ" in week["text"]
    assert "Knutselnamiddag voor Sinterklaas" not in week["text"]

    # A parent replying to something is not a translator.
    [other] = await harpreet.says("ਹੈਲੋ", reply_to=week)
    assert "ਬਟਨ" in other["text"]
    assert (await texts_of(db, ACTIVITY))["pa"].title == "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ"


async def test_a_missing_description_is_asked_for_alone_and_a_one_line_reply_fills_it(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    async with db.session() as session:
        activity = await session.scalar(select(Activity).where(Activity.external_id == ACTIVITY))
        assert activity is not None
        activity.texts.append(ActivityText(locale="pa", title="ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ",
                                           description=""))
        await session.commit()
    simran = await join_team(chat, greet, 8731, "Simran", {"nl", "pa"}, db, availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)

    def request() -> dict | None:
        return next((m for m in fake.transcript(simran.id)
                     if m.get("text", "").startswith("🙋")
                     and "Knutselnamiddag voor Sinterklaas" in m["text"]), None)

    await wait_until(lambda: request() is not None, fake)
    asked = request()
    assert asked is not None
    assert "De titel staat er al: antwoord op dit bericht met een korte beschrijving." in asked[
        "text"]
    # Two lines: both are the description (the title stays as it was).
    [thanks] = await simran.says("ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।\nਮਾਪੇ ਵੀ ਆ ਸਕਦੇ ਹਨ।", reply_to=asked)
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    texts = await texts_of(db, ACTIVITY)
    assert (texts["pa"].title, texts["pa"].description) == (
        "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।\nਮਾਪੇ ਵੀ ਆ ਸਕਦੇ ਹਨ।")
    # Her second reply corrects her description (all of it again); the title stays.
    [fixed] = await simran.says("ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।", reply_to=asked)
    assert fixed["text"] == "✏️ Bijgewerkt, dankjewel! Ouders lezen jouw verbeterde woorden."
    texts = await texts_of(db, ACTIVITY)
    assert (texts["pa"].title, texts["pa"].description) == (
        "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")


async def test_the_team_translates_an_announcement_before_it_is_sent(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 8731, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    ayse = await onboard(chat, 8741, "Ayşe", "tr", "wijdeland")

    await greet.says("/announce")
    await greet.says("Vrijdag is er geen zwemles.")
    replies = await greet.taps("🙋 Vraag het team om te vertalen")
    assert replies[0]["text"] == ("1 collega gevraagd. Zijn of haar tekst komt erbij zodra "
                                  "hij er is.")
    await greet.taps("🇧🇪 Alleen Nederlands")  # Punjabi
    await greet.taps("⏭ Overslaan")
    await greet.taps("⏭ Overslaan")
    [screen] = await greet.taps("⏭ Overslaan")
    assert "Türkçe: gevraagd aan het team, nog niet binnen" in screen["text"]

    await wait_until(lambda: any(m.get("text", "").startswith("🙋")
                                 for m in fake.transcript(mehmet.id)), fake)
    request = next(m for m in fake.transcript(mehmet.id) if m.get("text", "").startswith("🙋"))
    assert "aankondiging in het Turks" in request["text"]
    assert "Vrijdag is er geen zwemles." in request["text"]
    [thanks] = await mehmet.says("Cuma gunu yüzme dersi yok.", reply_to=request)
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    assert greet.last_text() == "✅ Mehmet heeft het Turks toegevoegd aan je aankondiging."
    # He sees his typo: a new reply corrects it while the draft waits, and Greet is told.
    [fixed] = await mehmet.says("Cuma günü yüzme dersi yok.", reply_to=request)
    assert fixed["text"] == "✏️ Bijgewerkt, dankjewel! Ouders lezen jouw verbeterde woorden."
    assert greet.last_text() == "✏️ Mehmet heeft het Turks van je aankondiging verbeterd."

    # Sent from the screen as it was: Ayşe gets the team's Turkish.
    await greet.presses(screen, next(d for t, d in FakeTelegram.inline_buttons(screen)
                                     if t.startswith("📤")))
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: ayse.last_text() == "Cuma günü yüzme dersi yok.", fake)

    # After sending, a late reply (his own correction too) is thanked and changes nothing:
    # parents keep what they got.
    [late] = await mehmet.says("Başka bir şey", reply_to=request)
    assert late["text"] == "Deze aankondiging is al verstuurd. Toch bedankt!"
    assert ayse.last_text() == "Cuma günü yüzme dersi yok."


async def test_a_request_waits_for_the_colleagues_next_green_hour(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Sunday 10:00 is red in the usual hours: nobody is disturbed in a red hour, so the
    request waits in the outbox for Monday 09:00; an orange hour brings it silently."""
    greet = await coordinator_with_programme(chat)
    simran = await join_team(chat, greet, 8751, "Simran", {"nl", "pa"}, db)
    orange = AvailabilityMap.default().with_day(6, Level.ORANGE)  # Sunday all orange
    mehmet = await join_team(chat, greet, 8752, "Mehmet", {"tr"}, db, availability=orange)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)

    async with db.session() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.group_key.like("tr:%"))))
    held = [r for r in rows if r.chat_id == simran.id]
    silent = [r for r in rows if r.chat_id == mehmet.id]
    # (The sender's own clock is the real one, weeks after this test's Sunday: it may have
    # sent them by now; when is what the rows say.)
    assert held and all(r.not_before == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00
                        and "disable_notification" not in json.loads(r.payload) for r in held)
    assert silent and all(json.loads(r.payload).get("disable_notification") for r in silent)
    assert all(r.not_before != datetime(2026, 11, 23, 8, 0, tzinfo=UTC) for r in silent)


async def asked_in_punjabi(chat: Chat, fake: FakeTelegram, db: Database,
                           ids: tuple[int, int]) -> tuple[Talker, Talker, Talker]:
    """Greet asks the team for the missing texts; Simran and Jaspreet (Punjabi) get it."""
    greet = await coordinator_with_programme(chat)
    simran = await join_team(chat, greet, ids[0], "Simran", {"nl", "pa"}, db, availability=GREEN)
    jaspreet = await join_team(chat, greet, ids[1], "Jaspreet", {"pa"}, db, availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)
    await wait_until(lambda: all(punjabi_request(fake, p) for p in (simran, jaspreet)), fake)
    # A reply is matched with the request by its message id, which the outbox notes just
    # after Telegram's answer: on a busy machine, after the transcript shows it.
    await outbox_settled(db)
    return greet, simran, jaspreet


def punjabi_request(fake: FakeTelegram, member: Talker) -> dict:
    return next((m for m in fake.transcript(member.id)
                 if m.get("text", "").startswith("🙋")
                 and "Knutselnamiddag voor Sinterklaas" in m["text"]), {})


def own_message(fake: FakeTelegram, member: Talker, text: str) -> dict:
    return next(m for m in fake.history(member.id) if m.get("text") == text)


async def pa_text(db: Database) -> tuple[str, str]:
    text = (await texts_of(db, ACTIVITY))["pa"]
    return text.title, text.description


async def test_the_author_corrects_her_translation_with_a_new_reply(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Simran saw a typo after sending: her second reply replaces her words (and her second
    voice message her voice); Jaspreet's reply still changes nothing. Once the coordinator
    changed the text, it is no longer Simran's to correct."""
    _greet, simran, jaspreet = await asked_in_punjabi(chat, fake, db, (8761, 8762))
    asked = punjabi_request(fake, simran)

    [thanks] = await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ", reply_to=asked)
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    [fixed] = await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।", reply_to=asked)
    assert fixed["text"] == "✏️ Bijgewerkt, dankjewel! Ouders lezen jouw verbeterde woorden."
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")
    # A correction of the title alone keeps her description: no word is lost.
    [fixed] = await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ!", reply_to=asked)
    assert fixed["text"].startswith("✏️ Bijgewerkt")
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ!", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")

    [late] = await jaspreet.says("ਕੁਝ ਹੋਰ\nਹੋਰ", reply_to=punjabi_request(fake, jaspreet))
    assert late["text"] == "Een collega heeft deze al geschreven. Toch bedankt!"
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ!", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")

    [voice] = await simran.sends("voice", reply_to_message_id=asked["message_id"])
    assert voice["text"] == "✅ Dankjewel! Ouders horen jouw spraakbericht."
    first_voice = (await texts_of(db, ACTIVITY))["pa"].voice_file_id
    [again] = await simran.sends("voice", reply_to_message_id=asked["message_id"])
    assert again["text"] == "✏️ Bijgewerkt, dankjewel! Ouders horen jouw nieuwe spraakbericht."
    second_voice = (await texts_of(db, ACTIVITY))["pa"].voice_file_id
    assert second_voice and second_voice != first_voice
    [other] = await jaspreet.sends("voice", reply_to_message_id=punjabi_request(
        fake, jaspreet)["message_id"])
    assert other["text"] == "Een collega heeft deze al ingesproken. Toch bedankt!"
    assert (await texts_of(db, ACTIVITY))["pa"].voice_file_id == second_voice

    # The coordinator rewrote the title (as /activity does): Simran's reply changes nothing.
    async with db.session() as session:
        activity = await session.scalar(select(Activity).where(Activity.external_id == ACTIVITY))
        assert activity is not None
        next(t for t in activity.texts if t.locale == "pa").title = "ਸਿੰਟਰਕਲਾਸ"
        await session.commit()
    [late] = await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", reply_to=asked)
    assert late["text"] == "Een collega heeft deze al geschreven. Toch bedankt!"
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")
    # Her description is still as she wrote it: that part she may still correct.
    [fixed] = await simran.says("ਸਿੰਟਰਕਲਾਸ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ!", reply_to=asked)
    assert fixed["text"].startswith("✏️ Bijgewerkt")
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ!")


async def test_the_author_corrects_her_translation_by_editing_her_reply(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Needs the hook at the top of bot/handlers/questions.py's edited_copy:
    ``if await team_translation.edited(update, context): return``.
    Simran edits her reply: her words change and she is told so. Jaspreet's edit of her
    (refused) reply changes nothing; an edit of any other message is not a translation."""
    _greet, simran, jaspreet = await asked_in_punjabi(chat, fake, db, (8771, 8772))
    await simran.says("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ", reply_to=punjabi_request(
        fake, simran))
    [late] = await jaspreet.says("ਕੁਝ ਹੋਰ", reply_to=punjabi_request(fake, jaspreet))
    assert late["text"] == "Een collega heeft deze al geschreven. Toch bedankt!"

    reply = own_message(fake, simran, "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ")
    [told] = await simran.edits(reply, "ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ\nਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")
    assert told["text"] == "✏️ Bijgewerkt, dankjewel! Ouders lezen jouw verbeterde woorden."
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")

    [told] = await jaspreet.edits(own_message(fake, jaspreet, "ਕੁਝ ਹੋਰ"), "ਕੁਝ ਹੋਰ ਵੀ")
    assert told["text"] == "Een collega heeft deze al geschreven. Toch bedankt!"
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")

    # An edit of a message that answers no request is none of this: it changes nothing, and
    # she is told so (fallback.edited_message).
    await simran.says("/week")
    [told] = await simran.edits(own_message(fake, simran, "/week"), "/help")
    assert told["text"].startswith("Ik neem geen wijzigingen over in een bericht dat ik al kreeg")
    assert await pa_text(db) == ("ਸਿੰਟਰਕਲਾਸ ਲਈ ਦਸਤਕਾਰੀ", "ਮਿਲ ਕੇ ਜੁੱਤੀ ਸਜਾਓ।")
