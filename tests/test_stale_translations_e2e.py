"""A translation made for a Dutch text that changed since: the team's reply to an older
request, and a voice message recorded for the old title and description, are not put under
the new Dutch (the importer's rule, ``importer.still_translates``, for both). From the
review tests/test_review_coordinator_month_e2e.py (1 and 4), with what the colleague reads."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import Activity, ActivityText
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, outbox_settled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_reminders_e2e import BABBEL, import_csv

GREEN = AvailabilityMap.all(Level.GREEN)
# The November babbel without its Turkish and Punjabi texts: the team is asked for them.
BABBEL_DUTCH_ONLY = BABBEL.replace(
    "Veli sohbeti: uyku;Uyku hakkında.;ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ;ਨੀਂਦ ਬਾਰੇ।;", ";;;;")
# The guest changed the theme: title and description new.
BABBEL_NEW_THEME = (BABBEL_DUTCH_ONLY.replace("Ouderbabbel: slapen", "Ouderbabbel: gezond eten")
                    .replace("Over goed slapen.", "Over gezonde brooddozen."))
STALE_ASKED = ("✋ De Nederlandse tekst is intussen veranderd, dus ik heb dit niet bewaard. Je "
               "krijgt de nieuwe tekst in een apart bericht: antwoord daar graag op. Dankjewel!")
STALE_DONE = ("✋ De Nederlandse tekst is intussen veranderd, dus ik heb dit niet bewaard. Toch "
              "bedankt!")


def request_about(fake: FakeTelegram, member: Talker, title: str) -> Callable[[], dict | None]:
    """The team's request to ``member`` that shows the Dutch ``title``."""
    def request() -> dict | None:
        return next((m for m in fake.transcript(member.id)
                     if m.get("text", "").startswith("🙋") and title in m["text"]), None)
    return request


async def babbel_asked_of(chat: Chat, fake: FakeTelegram, db: Database,
                          user_id: int) -> tuple[Talker, Talker, dict]:
    """Greet imports the Dutch-only babbel and asks the team; Mehmet (Turkish) gets it."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL_DUTCH_ONLY)
    mehmet = await join_team(chat, greet, user_id, "Mehmet", {"nl", "tr"}, db,
                             availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)
    request = request_about(fake, mehmet, "Ouderbabbel: slapen")
    await wait_until(lambda: request() is not None, fake)
    await outbox_settled(db)
    asked = request()
    assert asked is not None
    return greet, mehmet, asked


async def turkish(db: Database) -> ActivityText | None:
    async with db.session() as session:
        activity = await session.scalar(select(Activity).where(
            Activity.external_id == "babbel-nov"))
        assert activity is not None
        return next((t for t in activity.texts if t.locale == "tr"), None)


async def test_a_translation_of_the_old_dutch_text_is_not_put_under_the_new_one(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """On Sunday Greet asks the team to translate the babbel "Ouderbabbel: slapen" (🙋 under
    /programme). An hour later the guest changes the theme: she sends the corrected file,
    "Ouderbabbel: gezond eten", about lunch boxes. Mehmet, who had the request open, now
    replies with his Turkish of the old text: "Veli sohbeti: uyku" (sleep).

    His words, made for a Dutch text that is no longer there, are not put under the new
    one: he is told the Dutch changed and gets the new text to translate; Ayşe reads the new
    Dutch title, marked as Dutch, until someone translates it."""
    greet, mehmet, asked = await babbel_asked_of(chat, fake, db, 9701)
    await import_csv(greet, BABBEL_NEW_THEME)
    [told] = await mehmet.says("Veli sohbeti: uyku\nUyku hakkında.", reply_to=asked)
    assert told["text"] == STALE_ASKED

    ayse = await onboard(chat, 9702, "Ayşe", "tr", "wijdeland")
    [week] = await ayse.says("/week")
    assert "Veli sohbeti: uyku" not in week["text"], week["text"]
    assert "Ouderbabbel: gezond eten" in week["text"]

    # The new text comes, and his reply to it fills the babbel.
    fresh = request_about(fake, mehmet, "Ouderbabbel: gezond eten")
    await wait_until(lambda: fresh() is not None, fake)
    await outbox_settled(db)
    new_request = fresh()
    assert new_request is not None and "Over gezonde brooddozen." in new_request["text"]
    [thanks] = await mehmet.says("Veli sohbeti: sağlıklı beslenme\nSağlıklı beslenme "
                                 "çantaları hakkında.", reply_to=new_request)
    assert thanks["text"].startswith("✅")
    text = await turkish(db)
    assert text is not None and text.title == "Veli sohbeti: sağlıklı beslenme"

    # Another reply to the old request: still not saved, and nothing more is asked.
    [again] = await mehmet.sends("voice", reply_to_message_id=asked["message_id"])
    assert again["text"] == STALE_DONE
    text = await turkish(db)
    assert text is not None and text.voice_file_id is None


async def test_an_edit_of_a_reply_to_the_old_dutch_text_is_not_saved(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Mehmet replied in time: his Turkish fills the babbel. The file changes the theme, and
    his words go (the importer's rule). His edit of that reply, a typo fixed, translates the
    old Dutch still: it is not saved, and he gets the new text, once however often he
    answers the old request."""
    greet, mehmet, asked = await babbel_asked_of(chat, fake, db, 9711)
    [thanks] = await mehmet.says("Veli sohbeti: uyk\nUyku hakkında.", reply_to=asked)
    assert thanks["text"].startswith("✅")
    await import_csv(greet, BABBEL_NEW_THEME)
    assert await turkish(db) is None

    reply = next(m for m in fake.history(mehmet.id)
                 if m.get("text") == "Veli sohbeti: uyk\nUyku hakkında.")
    [told] = await mehmet.edits(reply, "Veli sohbeti: uyku\nUyku hakkında.")
    assert told["text"] == STALE_ASKED
    assert await turkish(db) is None
    [told] = await mehmet.says("Veli sohbeti: uyku", reply_to=asked)
    assert told["text"] == STALE_ASKED
    assert await turkish(db) is None

    fresh = request_about(fake, mehmet, "Ouderbabbel: gezond eten")
    await wait_until(lambda: fresh() is not None, fake)
    await outbox_settled(db)
    assert len([m for m in fake.transcript(mehmet.id)
                if m.get("text", "").startswith("🙋")
                and "Ouderbabbel: gezond eten" in m["text"]]) == 1


async def test_a_reply_still_counts_when_the_dutch_is_the_same(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The file sent again with the same Dutch (another activity's hours changed, say): a
    reply to the request is saved as always."""
    greet, mehmet, asked = await babbel_asked_of(chat, fake, db, 9721)
    await import_csv(greet, BABBEL_DUTCH_ONLY.replace("13:30;15:00", "14:00;15:30"))
    [thanks] = await mehmet.says("Veli sohbeti: uyku\nUyku hakkında.", reply_to=asked)
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    text = await turkish(db)
    assert text is not None and text.title == "Veli sohbeti: uyku"


async def test_a_voice_message_of_the_old_theme_is_not_sent_under_the_new_one(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Mehmet records the Turkish voice message of "Ouderbabbel: slapen" (a voice reply to the
    team's request). The guest changes the theme: Greet sends the corrected file, title and
    description new ("Ouderbabbel: gezond eten", about lunch boxes). The Turkish written text
    goes, as it should: Ayşe reads the new Dutch title, marked as Dutch.

    A voice message made for a Dutch text that is entirely gone is not sent with the new
    one (as the written translation, it waits for a new one)."""
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL_DUTCH_ONLY)
    mehmet = await join_team(chat, greet, 9731, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    missing = (await greet.says("/programme"))[-1]
    [(_label, data)] = FakeTelegram.inline_buttons(missing)
    await greet.taps(data=data)

    def request() -> dict | None:
        return next((m for m in fake.transcript(mehmet.id)
                     if m.get("text", "").startswith("🙋")
                     and "Ouderbabbel: slapen" in m["text"]), None)

    await wait_until(lambda: request() is not None, fake)
    asked = request()
    assert asked is not None
    await mehmet.sends("voice", reply_to_message_id=asked["message_id"])

    await import_csv(greet, BABBEL_DUTCH_ONLY.replace("Ouderbabbel: slapen",
                                                      "Ouderbabbel: gezond eten")
                     .replace("Over goed slapen.", "Over gezonde brooddozen."))
    ayse = await onboard(chat, 9732, "Ayşe", "tr", "wijdeland")
    [week, *voices] = await ayse.says("/week")
    assert "Ouderbabbel: gezond eten (Felemenkçe)" in week["text"], week["text"]
    assert voices == [], [v.get("caption") for v in voices]
