"""/announce end to end: a free announcement, translated or Dutch only, with voice messages;
and the plain rules of what each parent gets."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.announcement import (
    CAPTION_MAX,
    Content,
    Part,
    caption_problem,
    next_step,
    payloads,
)
from storage.db import Database
from storage.models import Broadcast
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import EXAMPLE, coordinator_of, onboard
from tests.test_questions_e2e import join_team

MARK = "🇧🇪 (Dutch)"

ASK_DUTCH = ("Stuur me de aankondiging in het Nederlands: een tekst, een foto met bijschrift, "
             "of een pdf.")
ASK_TURKISH = "Nu de Turkse tekst: stuur hem, of tik op “Alleen Nederlands”."
ASK_PUNJABI = "Nu de Punjabi tekst: stuur hem, of tik op “Alleen Nederlands”."
ASK_VOICE = "Een spraakbericht voor ouders die weinig lezen? Stuur er een in het {}, of tik"


# --------------------------------------------------------------------------------------------
# plain rules


def test_each_parent_gets_their_language_or_the_dutch_marked() -> None:
    content = Content({"nl": Part("text", "Zwemles gaat niet door."),
                       "tr": Part("text", "Yüzme dersi yapılmayacak.")},
                      {"tr": "VOICE-TR"})
    assert payloads(content, "tr", MARK) == [("text", {"text": "Yüzme dersi yapılmayacak."}),
                                             ("voice", {"file_id": "VOICE-TR"})]
    assert payloads(content, "pa", MARK) == [
        ("text", {"text": f"{MARK}\n\nZwemles gaat niet door."})]
    assert payloads(content, "nl", MARK) == [("text", {"text": "Zwemles gaat niet door."})]
    # Before the Dutch original there is nothing to send.
    assert payloads(Content(), "nl", MARK) == []


def test_a_photo_keeps_its_file_with_the_caption_in_each_language() -> None:
    content = Content({"nl": Part("photo", "Brief van de school", "PHOTO"),
                       "pa": Part("text", "ਸਕੂਲ ਦੀ ਚਿੱਠੀ")}, {"nl": "VOICE-NL"})
    assert payloads(content, "pa", MARK) == [("photo", {"file_id": "PHOTO",
                                                        "caption": "ਸਕੂਲ ਦੀ ਚਿੱਠੀ"})]
    assert payloads(content, "tr", MARK) == [
        ("photo", {"file_id": "PHOTO", "caption": f"{MARK}\n\nBrief van de school"})]
    assert payloads(content, "nl", MARK, {"k": 1}) == [
        ("photo", {"file_id": "PHOTO", "caption": "Brief van de school", "reply_markup": {"k": 1}}),
        ("voice", {"file_id": "VOICE-NL"})]
    # A photo without a caption, for someone without a translation: the mark alone.
    bare = Content({"nl": Part("document", "", "DOC")})
    assert payloads(bare, "tr", MARK) == [("document", {"file_id": "DOC", "caption": MARK})]


def test_the_steps_and_the_caption_limit() -> None:
    assert [next_step(s) for s in ("nl", "tr", "pa", "voice:tr", "voice:pa", "voice:nl")] == [
        "tr", "pa", "voice:tr", "voice:pa", "voice:nl", None]
    photo = Content({"nl": Part("photo", "", "PHOTO")})
    text = Content({"nl": Part("text", "kort")})
    long = "x" * (CAPTION_MAX + 1)
    assert caption_problem(photo, "tr", Part("text", long)) == CAPTION_MAX + 1
    assert caption_problem(photo, "tr", Part("text", "x" * CAPTION_MAX)) is None
    assert caption_problem(text, "tr", Part("text", long)) is None  # texts are split instead
    assert caption_problem(Content(), "nl", Part("document", long, "DOC")) == CAPTION_MAX + 1


# --------------------------------------------------------------------------------------------
# end to end


def user_file_id(fake: FakeTelegram, person: Person, kind: str) -> str:
    """The file_id of the last photo/voice/document the person sent to the bot."""
    sent = [m for m in fake.history(person.id) if m["from"]["id"] == person.id and kind in m]
    media = sent[-1][kind]
    return (media[-1] if isinstance(media, list) else media)["file_id"]


async def test_text_announcement_with_a_translation_and_a_voice(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8001, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 8002, "Harpreet", "pa", "kabouterland")
    els = await onboard(chat, 8003, "Els", "nl", "vlindertje")
    jan = await onboard(chat, 8004, "Jan", "nl", "wijdeland")
    await jan.says("/stop")  # gets nothing

    [ask] = await greet.says("/announce")
    assert ask["text"] == ASK_DUTCH
    # Anything but a text, photo or file: the same question again.
    [again] = await greet.sends("sticker")
    assert again["text"] == ASK_DUTCH
    [ask] = await greet.says("Vrijdag is er geen zwemles.")
    assert ask["text"] == ASK_TURKISH
    # Nobody in the team speaks Turkish (there is no team yet): nobody to ask.
    assert [label for label, _data in fake.inline_buttons(ask)] == [
        "🇧🇪 Alleen Nederlands", "✖️ Annuleren"]
    [ask] = await greet.says("Cuma günü yüzme dersi yok.")
    assert ask["text"] == ASK_PUNJABI
    [ask] = await greet.taps("🇧🇪 Alleen Nederlands")
    assert ask["text"].startswith(ASK_VOICE.format("Turks"))
    # A text where a voice is asked: the question again.
    [again] = await greet.says("hallo?")
    assert again["text"].startswith(ASK_VOICE.format("Turks"))
    [ask] = await greet.sends("voice")
    voice_id = user_file_id(fake, greet, "voice")
    assert ask["text"].startswith(ASK_VOICE.format("Punjabi"))
    [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith(ASK_VOICE.format("Nederlands"))
    [screen] = await greet.taps("⏭ Overslaan")
    assert screen["text"].startswith("📣 Je aankondiging: een tekst.")
    assert "Türkçe: vertaald\nਪੰਜਾਬੀ: Alleen Nederlands\nSpraakberichten: Türkçe" in screen[
        "text"]
    assert "Het bereikt 3 ouders. Nederlands 1 · Türkçe 1 · ਪੰਜਾਬੀ 1" in screen["text"]

    previews = await greet.taps("👁 Voorbeeld", expect=7)
    assert [m.get("text") for m in previews] == [
        "👁 Nederlands", "Vrijdag is er geen zwemles.", "👁 Türkçe",
        "Cuma günü yüzme dersi yok.", None, "👁 ਪੰਜਾਬੀ",
        "🇧🇪 (ਡੱਚ ਵਿੱਚ)\n\nVrijdag is er geen zwemles."]
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")

    await wait_until(lambda: bool(fake.calls_of("sendVoice", ayse.id))
                     and "zwemles" in harpreet.last_text() and "zwemles" in els.last_text(),
                     fake)
    tr_last = fake.transcript(ayse.id)[-2:]
    assert tr_last[0]["text"] == "Cuma günü yüzme dersi yok."
    assert FakeTelegram.inline_buttons(tr_last[0]) == [("🇧🇪 Nederlands", "nl:a:1")]
    assert "voice" in tr_last[1]
    [voice_call] = fake.calls_of("sendVoice", ayse.id)
    assert voice_call.params["voice"] == voice_id
    assert harpreet.last_text() == "🇧🇪 (ਡੱਚ ਵਿੱਚ)\n\nVrijdag is er geen zwemles."
    assert els.last_text() == "Vrijdag is er geen zwemles."
    assert not fake.calls_of("sendVoice", harpreet.id) and not fake.calls_of("sendVoice", els.id)
    assert not any("zwemles" in t for t in fake.texts(jan.id))

    # One tap under the translation shows the Dutch original.
    [dutch] = await ayse.taps("🇧🇪 Nederlands")
    assert dutch["text"] == "Vrijdag is er geen zwemles."

    # The progress line ends as the delivery report, counted in parents (as the screen said
    # "3 parents"): Ayşe's text and voice message are one.
    await wait_until(lambda: (fake.message(greet.id, screen["message_id"]) or {}).get(
        "text", "").startswith("✅"), fake, 10)
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None
        assert (row.kind, row.status, row.total, row.sent, row.awaiting) == (
            "announcement", "done", 3, 3, None)
    report = fake.message(greet.id, screen["message_id"])
    assert report is not None and "Verstuurd: 3 van 3" in report["text"]


async def test_photo_announcement_and_a_file_import_after_it(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8101, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 8102, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 8103, "Els", "nl", "klimop")

    # An older draft still waiting is cancelled by a new /announce.
    await greet.says("/announce")
    await greet.says("/announce")
    # A spreadsheet sent meanwhile is the programme, not the announcement; the draft waits on.
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 12 nieuw")
    # Both sides of the flyer as an album: the first photo is the announcement; the back
    # is not taken for the Turkish one (said once), the question waits for Turkish.
    [ask] = await greet.sends("photo", caption="Schoolfeest zaterdag!", media_group_id="flyer")
    photo_id = user_file_id(fake, greet, "photo")
    assert ask["text"] == ASK_TURKISH
    [told] = await greet.sends("photo", media_group_id="flyer")
    assert told["text"] == ("Ik heb alleen de eerste foto van dat album gehouden. Stuur één "
                            "bericht per taal.")
    assert await greet.sends("photo", media_group_id="flyer") == []
    [too_long] = await greet.says("ç" * (CAPTION_MAX + 1))
    assert too_long["text"].startswith("Dat is te lang voor een bijschrift")
    [ask] = await greet.says("Cumartesi okul şenliği!")
    assert ask["text"] == ASK_PUNJABI
    [ask] = await greet.says("ਸ਼ਨਿੱਚਰਵਾਰ ਸਕੂਲ ਦਾ ਮੇਲਾ!")
    for _step in range(3):
        [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith("📣 Je aankondiging: een foto met bijschrift.")
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")

    await wait_until(lambda: all(fake.calls_of("sendPhoto", p.id)
                                 for p in (ayse, harpreet, els)), fake)
    captions = {p.id: [c.params["caption"] for c in fake.calls_of("sendPhoto", p.id)]
                for p in (ayse, harpreet, els)}
    assert captions == {ayse.id: ["Cumartesi okul şenliği!"],
                        harpreet.id: ["ਸ਼ਨਿੱਚਰਵਾਰ ਸਕੂਲ ਦਾ ਮੇਲਾ!"],
                        els.id: ["Schoolfeest zaterdag!"]}
    assert all(c.params["photo"] == photo_id for c in fake.calls_of("sendPhoto"))
    async with db.session() as session:
        statuses = list(await session.scalars(select(Broadcast.status).order_by(Broadcast.id)))
        assert statuses[0] == "cancelled"
    # The coordinator is told it is done (a message of its own, after the report): before
    # the file below, whose one answer is counted.
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    [listing] = await greet.says("/broadcasts")
    assert listing["text"].split("\n")[1].startswith("📣 Aankondiging · ")

    # Nothing awaits any more: a file from the coordinator is a programme import again.
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 12 ongewijzigd.")
    # And a free text gets the usual answer.
    [reply] = await greet.says("hallo")
    assert reply["text"] == "Sorry, dat begreep ik niet. Gebruik de knoppen hieronder."


async def test_a_parent_cannot_announce(chat: Chat, fake: FakeTelegram, db: Database) -> None:
    ayse = await onboard(chat, 8201, "Ayşe", "tr", "klimop")
    [refused] = await ayse.says("/announce")
    assert refused["text"] == "Üzgünüm, bu sadece Brede School ekibi için."
    async with db.session() as session:
        assert await session.scalar(select(Broadcast)) is None


async def test_a_pdf_announcement_in_dutch_only(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A letter as a PDF: every parent gets the same file, the Turkish and Punjabi readers
    with the caption marked as Dutch."""
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8301, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 8302, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 8303, "Els", "nl", "klimop")

    await greet.says("/announce")
    [ask] = await greet.sends("document", file_name="brief-uitstap.pdf",
                              caption="De brief over de uitstap.")
    pdf_id = user_file_id(fake, greet, "document")
    assert ask["text"] == ASK_TURKISH
    [ask] = await greet.taps("🇧🇪 Alleen Nederlands")  # no Turkish text
    assert ask["text"] == ASK_PUNJABI
    await greet.taps("🇧🇪 Alleen Nederlands")  # no Punjabi text
    for _language in range(2):
        await greet.taps("⏭ Overslaan")  # no voice message in Turkish, in Punjabi
    [screen] = await greet.taps("⏭ Overslaan")  # nor in Dutch
    assert "Het bereikt 3 ouders." in screen["text"]
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")

    await wait_until(lambda: all(fake.calls_of("sendDocument", p.id)
                                 for p in (ayse, harpreet, els)), fake)
    sent = {p.id: [(c.params["document"], c.params.get("caption"))
                   for c in fake.calls_of("sendDocument", p.id)] for p in (ayse, harpreet, els)}
    assert sent[els.id] == [(pdf_id, "De brief over de uitstap.")]
    for parent in (ayse, harpreet):
        [(document, caption)] = sent[parent.id]
        assert document == pdf_id
        assert caption.startswith("🇧🇪 (") and caption.endswith("De brief over de uitstap.")


async def test_without_words_to_translate_the_team_is_not_offered(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A PDF without a caption has no Dutch words: "Ask the team" would send colleagues an
    empty request. With a caption, the button is there."""
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 8311, "Fatma", {"nl", "tr"}, db)
    await greet.says("/announce")
    [ask] = await greet.sends("document", file_name="brief.pdf")
    assert ask["text"] == ASK_TURKISH
    assert not any(label.startswith("🙋") for label, _d in FakeTelegram.inline_buttons(ask))
    await greet.says("/announce")
    [ask] = await greet.sends("document", file_name="brief.pdf", caption="De brief.")
    assert any(label.startswith("🙋") for label, _d in FakeTelegram.inline_buttons(ask))


async def test_an_announcement_started_after_a_half_done_activity_gets_the_text(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The coordinator walks away from /activity at "where?", then starts /announce: what they
    type next is the announcement, not the place of the forgotten activity."""
    greet = await coordinator_of(chat)
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🎨 Workshop voor kinderen")
    await greet.taps("Alle scholen")
    await greet.taps("✔️ Klaar")
    await greet.taps("wo 25 nov")
    await greet.says("14:00")
    [where] = await greet.says("15:00")
    assert where["text"].startswith("Waar")
    [ask] = await greet.says("/announce")
    assert ask["text"] == ASK_DUTCH
    [ask] = await greet.says("Morgen is de school dicht wegens staking.")
    assert ask["text"] == ASK_TURKISH
    async with db.session() as session:
        [content] = await session.scalars(select(Broadcast.content))
    assert "Morgen is de school dicht wegens staking." in content
