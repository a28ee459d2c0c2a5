"""/settings: the Dutch original below the translation, from the button to the broadcast."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_with_programme, onboard

TOGGLE_TR = "Çevirinin altında Felemenkçe metni göster"
QUIET_TR = "🌙 Mesaj yok: 21:00–08:00"


def labels(message: dict) -> list[tuple[str, str]]:
    return FakeTelegram.inline_buttons(message)


async def test_dutch_below_the_translation(chat: Chat, fake: FakeTelegram, db: Database) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7201, "Ayşe", "tr", "wijdeland")
    murat = await onboard(chat, 7202, "Murat", "tr", "wijdeland")
    els = await onboard(chat, 7203, "Els", "nl", "wijdeland")

    # Ayşe turns the setting on; the button redraws in place.
    [screen] = await ayse.says("/settings")
    assert screen["text"].startswith("Ayarlar\n\n🌙 ")
    # Off is an empty box (a ☑️ would look ticked already).
    assert labels(screen) == [(f"⬜ {TOGGLE_TR}", "set:nl:on"), (QUIET_TR, "set:q")]
    assert await ayse.taps(f"⬜ {TOGGLE_TR}") == []
    redrawn = fake.message(ayse.id, screen["message_id"])
    assert redrawn is not None and labels(redrawn)[0] == (f"✅ {TOGGLE_TR}", "set:nl:off")

    # A Dutch reader has nothing to add below their messages: only the quiet hours.
    [dutch_screen] = await els.says("/settings")
    assert [data for _text, data in labels(dutch_screen)] == ["set:q"]

    # A forged value: the expired alert, nothing changes.
    ayse._since = fake.mark()
    fake.press(ayse.user, screen["message_id"], "set:nl:maybe")
    await fake.wait_idle(quiet=0.12)
    assert ayse.alerts() == ["Bu düğme artık çalışmıyor."]

    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: all(fake.texts(p.id)[-1].startswith(("23 Kasım", "Programma"))
                                 for p in (ayse, murat, els)), fake)

    with_original = ayse.last_text()
    translation, original = with_original.split("\n\n🇧🇪 Orijinal (Felemenkçe):\n")
    assert translation.startswith("23 Kasım 2026 Pazartesi - 29 Kasım 2026 Pazar programı")
    assert "Çocuk yogası" in translation and "Kinderyoga" not in translation
    assert original.startswith("Programma van maandag 23 november 2026")
    assert "Kinderyoga" in original
    assert [text for text, _data in labels(fake.transcript(ayse.id)[-1])] == ["🇧🇪 Nederlands"]

    only_turkish = murat.last_text()
    assert only_turkish == translation
    assert "Orijinal" not in only_turkish and "Programma" not in only_turkish
    assert "Origineel" not in els.last_text()


async def test_quiet_hours_of_a_parent_who_works_nights(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Els sleeps by day after a night shift: a broadcast at 10:00 waits until 16:00 for her,
    while Ayşe (the usual hours) gets it at once."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 7301, "Els", "nl", "wijdeland")
    ayse = await onboard(chat, 7302, "Ayşe", "tr", "wijdeland")
    [screen] = await els.says("/settings")
    await els.taps(data="set:q")
    choices = fake.message(els.id, screen["message_id"])
    assert choices is not None
    assert [text for text, _data in labels(choices)] == [
        "✅ De gewone: 21:00–08:00", "20:00–07:00", "22:00–07:00", "23:00–06:00",
        "08:00–16:00", "Berichten op elk uur"]
    await els.taps(data="set:q:08-16")
    redrawn = fake.message(els.id, screen["message_id"])
    assert redrawn is not None and labels(redrawn)[-1] == ("🌙 Geen berichten: 08:00–16:00",
                                                           "set:q")
    # A forged choice changes nothing.
    assert await els.presses(screen, "set:q:03-04") == ["Deze knop werkt niet meer."]
    # No quiet hours at all: said as such ("No messages: none" read as no messages at all).
    [other] = await ayse.says("/settings")
    await ayse.taps(data="set:q")
    await ayse.taps(data="set:q:00-00")
    redrawn = fake.message(ayse.id, other["message_id"])
    assert redrawn is not None and labels(redrawn)[-1] == ("🌙 Her saatte mesaj", "set:q")
    await ayse.taps(data="set:q")
    await ayse.taps(data="set:q:def")

    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 2 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: fake.texts(ayse.id)[-1].startswith("23 Kasım"), fake)
    async with db.session() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == els.id,
                                                               OutboxMessage.kind == "text"))
        assert row is not None and row.status == "pending" and row.error == "quiet"
        assert row.not_before == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 16:00 Brussels
    assert not fake.texts(els.id)[-1].startswith("Programma")
