"""/settings: the Dutch original below the translation, from the button to the broadcast."""

from __future__ import annotations

from storage.db import Database
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_with_programme, onboard

TOGGLE_TR = "Çevirinin altında Felemenkçe metni göster"


def labels(message: dict) -> list[tuple[str, str]]:
    return FakeTelegram.inline_buttons(message)


async def test_dutch_below_the_translation(chat: Chat, fake: FakeTelegram, db: Database) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 7201, "Ayşe", "tr", "wijdeland")
    murat = await onboard(chat, 7202, "Murat", "tr", "wijdeland")
    els = await onboard(chat, 7203, "Els", "nl", "wijdeland")

    # Ayşe turns the setting on; the button redraws in place.
    [screen] = await ayse.says("/settings")
    assert screen["text"] == "Ayarlar"
    assert labels(screen) == [(f"☑️ {TOGGLE_TR}", "set:nl:on")]
    assert await ayse.taps(f"☑️ {TOGGLE_TR}") == []
    redrawn = fake.message(ayse.id, screen["message_id"])
    assert redrawn is not None and labels(redrawn) == [(f"✅ {TOGGLE_TR}", "set:nl:off")]

    # A Dutch reader has nothing to add below their messages.
    [dutch_screen] = await els.says("/settings")
    assert dutch_screen["text"].startswith("Instellingen\n\nOnze berichten komen al in het "
                                           "Nederlands bij je aan")
    assert labels(dutch_screen) == []

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
