"""Voice messages per language on activities, end to end: recorded in /activity (new or
changed), sent right after the programme text to the parents of that language in the weekly
broadcast and with /week; never another language's voice. A file import keeps them."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Activity, ActivityText, Broadcast, OutboxMessage, Person
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as ChatPerson
from tests.test_activity_edit_e2e import activity_id, open_edit
from tests.test_activity_flow_e2e import drafts
from tests.test_announce_e2e import user_file_id
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import EXAMPLE, coordinator_of, coordinator_with_programme, onboard


async def voices(db: Database, external_id: str) -> dict[str, tuple[str, str | None]]:
    """locale -> (title, voice file_id) of one activity."""
    async with db.session() as session:
        rows = await session.execute(
            select(ActivityText.locale, ActivityText.title, ActivityText.voice_file_id)
            .join(Activity, Activity.id == ActivityText.activity_id)
            .where(Activity.external_id == external_id))
        return {locale: (title, voice) for locale, title, voice in rows}


async def person_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
        assert found is not None
        return found


async def create_yoga_with_voices(greet: ChatPerson, fake: FakeTelegram,
                                  db: Database) -> tuple[str, str]:
    """/activity: a workshop next Wednesday with a Turkish and a Punjabi voice message (no
    Punjabi text, no Dutch voice); returns the two voices' file_ids."""
    await greet.says("/activity")
    await greet.taps("➕ Nieuwe activiteit")
    await greet.taps("🎨 Workshop voor kinderen")
    await greet.taps("Freinetschool Het Wijdeland (Brustem)")
    await greet.taps("✔️ Klaar")
    await greet.taps("wo 25 nov")
    await greet.says("14:00")
    await greet.says("15:00")
    await greet.says("Turnzaal")
    await greet.taps("⏭ Overslaan")
    await greet.says("Kinderyoga")
    await greet.taps("⏭ Overslaan")
    await greet.says("Çocuk yogası")
    await greet.taps("⏭ Overslaan")
    await greet.taps("🇧🇪 Alleen Nederlands")
    [draft] = await drafts(db)
    assert draft.awaiting == "voice:tr"
    # A text where a voice message is asked: a hint, the question again, nothing kept.
    [hint, again] = await greet.says("hallo?")
    assert "🎤" in hint["text"]
    [still] = await drafts(db)
    assert still.awaiting == "voice:tr" and "voices" not in still.data
    assert FakeTelegram.inline_buttons(again)[0] == ("⏭ Overslaan", f"ad:{draft.id}:sk:voice:tr")
    await greet.sends("voice")
    turkish = user_file_id(fake, greet, "voice")
    await greet.sends("voice", duration=5)
    punjabi = user_file_id(fake, greet, "voice")
    [summary] = await greet.taps("⏭ Overslaan")  # no Dutch voice
    assert "Spraakberichten: Türkçe, ਪੰਜਾਬੀ" in summary["text"]
    [saved] = await greet.taps("💾 Opslaan")
    assert saved["text"].startswith("Opgeslagen.")
    return turkish, punjabi


async def test_voices_follow_the_programme_text_in_each_parents_language(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7501, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 7502, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 7503, "Els", "nl", "wijdeland")
    turkish, punjabi = await create_yoga_with_voices(greet, fake, db)
    async with db.session() as session:
        [external_id] = list(await session.scalars(select(Activity.external_id)))
    # Punjabi has a voice but no text: its row holds the voice alone.
    assert await voices(db, external_id) == {"nl": ("Kinderyoga", None),
                                             "tr": ("Çocuk yogası", turkish),
                                             "pa": ("", punjabi)}

    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: bool(fake.calls_of("sendVoice", ayse.id))
                     and bool(fake.calls_of("sendVoice", harpreet.id))
                     and els.last_text().startswith("Programma"), fake)

    # Right after the programme text, the voice of their own language, titled.
    text, voice = fake.transcript(ayse.id)[-2:]
    assert text["text"].startswith("23 Kasım 2026 Pazartesi") and "Çocuk yogası" in text["text"]
    assert "voice" in voice and voice["message_id"] > text["message_id"]
    [call] = fake.calls_of("sendVoice", ayse.id)
    assert call.params["voice"] == turkish and call.params["caption"] == "🎙 Çocuk yogası"
    [call] = fake.calls_of("sendVoice", harpreet.id)
    assert call.params["voice"] == punjabi and call.params["caption"] == "🎙 Kinderyoga"
    assert "voice" in fake.transcript(harpreet.id)[-1]
    # No Dutch voice was recorded: the Dutch parent gets none (no other language's either).
    assert not fake.calls_of("sendVoice", els.id)

    # Each voice is its own outbox row with its own key.
    activity = await activity_id(db, external_id)
    async with db.session() as session:
        keys = set(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == "voice")))
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None
    assert keys == {f"broadcast:{broadcast.id}:{await person_id(db, p.id)}:voice:{activity}"
                    for p in (ayse, harpreet)}
    await wait_until(lambda: any(c.method == "editMessageText" and str(
        c.params.get("text", "")).startswith("✅") for c in fake.calls), fake, 10)
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        # Counted in parents: 3 texts and 2 voice messages reached 3 parents.
        assert row is not None and (row.total, row.sent) == (3, 3)

    # /week: the text, then the voice of their language.
    text, voice = await ayse.says("/week")
    assert "Çocuk yogası" in text["text"] and "voice" in voice
    assert fake.calls_of("sendVoice", ayse.id)[-1].params["voice"] == turkish
    [week] = await els.says("/week")
    assert "Kinderyoga" in week["text"]
    assert not fake.calls_of("sendVoice", els.id)


async def test_change_voices_of_an_activity_and_an_import_keeps_them(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7601, "Ayşe", "tr", "kabouterland")
    # A Turkish voice for an activity without any Turkish text.
    summary, draft_id = await open_edit(fake, greet, db, "knutselen-sinterklaas-2026")
    [ask] = await greet.taps(data=f"ad:{draft_id}:e:voice")
    assert [d for _l, d in FakeTelegram.inline_buttons(ask)] == [
        f"ad:{draft_id}:sk:voice:tr", f"ad:{draft_id}:x:voice:tr"]
    await greet.sends("voice")
    turkish = user_file_id(fake, greet, "voice")
    await greet.taps(data=f"ad:{draft_id}:sk:voice:pa")
    [summary] = await greet.taps(data=f"ad:{draft_id}:sk:voice:nl")
    assert "Spraakberichten: Türkçe" in summary["text"]
    assert await voices(db, "knutselen-sinterklaas-2026") == {
        "nl": ("Knutselnamiddag voor Sinterklaas", None)}  # not before Save
    await greet.taps(data=f"ad:{draft_id}:save")
    assert await voices(db, "knutselen-sinterklaas-2026") == {
        "nl": ("Knutselnamiddag voor Sinterklaas", None), "tr": ("", turkish)}

    # The same file again: nothing changed, and the voice recorded in the bot stays.
    [reply] = await greet.sends("document", file_name="programme.csv", mime_type="text/csv",
                                content=EXAMPLE.read_bytes())
    assert reply["text"].startswith("Ingelezen: 0 nieuw, 0 gewijzigd, 12 ongewijzigd.")
    assert (await voices(db, "knutselen-sinterklaas-2026"))["tr"] == ("", turkish)
    # A Turkish parent hears it after the (Dutch, marked) text.
    text, voice = await ayse.says("/week")
    assert "Knutselnamiddag voor Sinterklaas" in text["text"] and "voice" in voice

    # Change it again: remove the Turkish voice, record a Dutch one.
    summary, draft_id = await open_edit(fake, greet, db, "knutselen-sinterklaas-2026")
    [ask] = await greet.taps(data=f"ad:{draft_id}:e:voice")
    assert [d for _l, d in FakeTelegram.inline_buttons(ask)] == [
        f"ad:{draft_id}:sk:voice:tr", f"ad:{draft_id}:rm:voice:tr", f"ad:{draft_id}:x:voice:tr"]
    await greet.taps(data=f"ad:{draft_id}:rm:voice:tr")
    await greet.taps(data=f"ad:{draft_id}:sk:voice:pa")
    await greet.sends("voice", duration=2)
    dutch = user_file_id(fake, greet, "voice")
    await greet.taps(data=f"ad:{draft_id}:save")
    assert await voices(db, "knutselen-sinterklaas-2026") == {
        "nl": ("Knutselnamiddag voor Sinterklaas", dutch)}
    # The Turkish parent gets no voice now: the Dutch one is not theirs.
    [week] = await ayse.says("/week")
    assert "Knutselnamiddag voor Sinterklaas" in week["text"]
