"""The coordinator's activity editor (/activity, and /activities beside it) as a coordinator on
a phone uses it (found by a reviewer): a cancellation meanwhile makes an open edit's Save
write nothing; a start in the night or already begun is pointed out; a title that begins
with a keyboard icon is a title; looking at another activity keeps the half-made one;
translations made for the old Dutch are not called complete; a text where a voice is asked
gets a hint. One known gap stays a strict xfail: new hours of a series rewrite its past."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.i18n import BRUSSELS
from bot.services import report
from bot.services.report import Month
from storage.db import Database
from storage.models import Activity
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_activity_edit_e2e import activity_id, open_edit, snapshot
from tests.test_activity_flow_e2e import drafts, open_activity_for_all_schools
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_reminders_e2e import local, says_yes_to_the_day_reminder

SECOND_COORDINATOR = 900_002


@pytest.fixture
def settings(fake: FakeTelegram, db: Database) -> Settings:
    """As conftest's, with two coordinators (COORDINATOR_IDS may hold several)."""
    return Settings(
        token=DEFAULT_TOKEN,
        database_url=db.url,
        api_base_url=fake.base_url,
        api_file_url=fake.file_url,
        coordinator_ids=frozenset({COORDINATOR_ID, SECOND_COORDINATOR}),
    )


async def second_coordinator(chat: Chat) -> Person:
    mieke = chat.person(SECOND_COORDINATOR, "Mieke", language_code="nl")
    await mieke.says("/start")
    await mieke.taps("Nederlands")
    await mieke.taps(data="privacy:ok")
    return mieke


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


async def starts_at(db: Database, external_id: str) -> datetime:
    async with db.session() as session:
        row = await session.scalar(select(Activity).where(Activity.external_id == external_id))
        assert row is not None
        return row.starts_at.astimezone(BRUSSELS)


# --- 1. a colleague cancels the day while the edit is open ---------------------------------


async def test_a_colleague_cancelling_the_day_meanwhile_makes_save_write_nothing(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    mieke = await second_coordinator(chat)
    knutselen = await activity_id(db, "knutselen-sinterklaas-2026")
    _summary, draft_id = await open_edit(fake, greet, db, "knutselen-sinterklaas-2026")

    # Mieke calls the afternoon off (this one time) in /activities.
    day = datetime(2026, 11, 28, 14, 0, tzinfo=BRUSSELS)
    await mieke.says("/activities")
    await mieke.taps(data=f"act:{knutselen}:{unix(day)}")
    await mieke.taps(data=f"act:{knutselen}:{unix(day)}:co")
    await mieke.taps(data=f"act:{knutselen}:{unix(day)}:xo")
    assert any(text.startswith("Geannuleerd") for text in fake.texts(mieke.id))
    cancelled = await snapshot(db, "knutselen-sinterklaas-2026")
    assert len(cancelled["cancelled"]) == 1

    # Greet, who had the summary open, moves it a week later and saves.
    await greet.taps(data=f"ad:{draft_id}:e:date")
    await greet.taps(data=f"ad:{draft_id}:d:20261205")
    [answer] = await greet.taps(data=f"ad:{draft_id}:save")
    assert not answer["text"].startswith("Opgeslagen"), answer["text"]
    assert (await starts_at(db, "knutselen-sinterklaas-2026")).day == 28


# --- 2. "2u30" is half past two in the afternoon ------------------------------------------


async def test_a_start_in_the_night_is_pointed_out_as_the_file_import_does(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    _summary, draft_id = await open_edit(fake, greet, db, "knutselen-sinterklaas-2026")
    seen = [m["text"] for m in await greet.taps(data=f"ad:{draft_id}:e:time")]
    seen += [m["text"] for m in await greet.says("2u30")]
    seen += [m["text"] for m in await greet.says("4u30")]
    seen += [m["text"] for m in await greet.taps(data=f"ad:{draft_id}:save")]
    assert any("nacht" in text for text in seen), seen


# --- 3. a title that begins with a keyboard icon ------------------------------------------


async def test_a_title_beginning_with_a_keyboard_icon_is_the_title(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await open_activity_for_all_schools(greet)
    await greet.taps("wo 25 nov")
    await greet.says("19:00")
    await greet.says("21u")
    await greet.says("Refter van Klim-op")
    [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith("De titel in het Nederlands?")
    replies = await greet.says("ℹ️ Infoavond schooltoelage")
    assert replies and replies[-1]["text"].startswith(
        "Een korte beschrijving in het Nederlands?"), [m["text"] for m in replies]
    [draft] = await drafts(db)
    assert draft.awaiting == "desc:nl"


# --- 4. a new activity at an hour already over ---------------------------------------------


async def test_an_activity_already_begun_today_is_not_saved_silently(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await open_activity_for_all_schools(greet)
    await greet.taps("zo 22 nov")
    replies = await greet.says("09:00")
    replies += await greet.says("12:00")
    replies += await greet.says("Wijkcentrum")
    replies += await greet.taps("⏭ Overslaan")
    replies += await greet.says("Zondagsontbijt")
    replies += await greet.taps("⏭ Overslaan")
    for _step in range(5):  # Dutch only (tr, pa), no voice messages (tr, pa, nl)
        last = replies[-1]
        label = next(label for label, _data in fake.inline_buttons(last)
                     if label.startswith(("🇧🇪", "⏭")))
        replies += await greet.taps(label)
    replies += await greet.taps("💾 Opslaan")
    texts = [m["text"] for m in replies]
    assert not any(text.startswith("Opgeslagen") for text in texts) or any(
        "voorbij" in text or "begonnen" in text for text in texts), texts


# --- 5. the Dutch changed, the translations stay and are called complete -------------------


async def test_translations_made_for_the_old_dutch_are_not_called_complete(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    _summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    await greet.taps(data=f"ad:{draft_id}:e:nl")
    await greet.says("Dansatelier")
    [summary] = await greet.says("Dansen op muziek uit de hele wereld.")
    assert "Türkçe: Çocuk yogası" in summary["text"]
    assert "Vertaald in elke taal." not in summary["text"], summary["text"]
    # As a file that changes the Dutch: they go at Save (said on the summary before).
    assert "Türkçe, ਪੰਜਾਬੀ" in summary["text"]
    await greet.taps(data=f"ad:{draft_id}:save")
    texts = (await snapshot(db, "kinderyoga-wijdeland"))["texts"]
    assert [locale for locale, *_rest in texts] == ["nl"], texts


# --- 6. a series' new hours rewrite its past sessions -------------------------------------


@pytest.mark.xfail(strict=True, reason=(
    "Not fixed (a design change): a series is one row, its first day and one hour, and the "
    "report expands its past at today's hour, so new hours 'from now on' rewrite its past "
    "sessions. Keeping them needs the old hours kept for the past: a schema change (the hour "
    "a series changed at, or the old series ended by an UNTIL and the new one a row of its "
    "own with its answers, reminders and notices moved) in storage, the importer and the "
    "report too; the file import's new 'start' of a series does the same today"))
async def test_new_hours_of_a_series_leave_its_past_sessions_as_they_were(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9711, "Ayşe", "tr", "wijdeland")
    await says_yes_to_the_day_reminder(bot, clock, fake, ayse)  # Wednesday 25 November
    clock.moment = local(26, 10).astimezone(UTC)  # the day after
    _summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    await greet.taps(data=f"ad:{draft_id}:e:time")
    await greet.says("15:00")
    await greet.says("16:00")
    [saved] = await greet.taps(data=f"ad:{draft_id}:save")
    assert saved["text"].startswith("Opgeslagen. (wo 2 dec 15:00)"), saved["text"]

    async with db.session() as session:
        built = await report.build(session, Month(2026, 11))
    sessions = [(f.starts_at.astimezone(BRUSSELS).strftime("%d %H:%M"), f.coming, f.moved)
                for f in built.occurrences
                if f.title_nl == "Kinderyoga" and f.starts_at.astimezone(BRUSSELS).day == 25]
    assert sessions == [("25 14:00", 1, False)], sessions


# --- 7. a look at another activity throws the half-made one away ---------------------------


async def test_looking_at_another_activity_keeps_the_half_made_one(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_with_programme(chat)
    await open_activity_for_all_schools(greet)
    await greet.taps("wo 2 dec")
    await greet.says("13u30")
    await greet.says("15u")
    await greet.says("Bibliotheek Sint-Truiden")
    await greet.taps("⏭ Overslaan")
    await greet.says("Ouderbabbel: slapen")
    [ask] = await greet.taps("⏭ Overslaan")
    assert ask["text"].startswith("De titel in het Turks?")
    [half_made] = await drafts(db)

    # What else is on that week? She looks at yoga, and leaves it as it is.
    _summary, draft_id = await open_edit(fake, greet, db, "kinderyoga-wijdeland")
    await greet.taps(data=f"ad:{draft_id}:x:summary")
    assert [d.id for d in await drafts(db)] == [half_made.id], (
        "the half-made activity is gone", fake.texts(greet.id)[-3:])
    # She finds it back where she left it, and her Turkish title goes into it.
    assert fake.texts(greet.id)[-1] == ask["text"]
    await greet.says("Ebeveyn sohbeti: uyku")
    [draft] = await drafts(db)
    assert draft.awaiting == "desc:tr"


# --- 8. a text where a voice message is asked ----------------------------------------------


async def test_a_text_where_a_voice_is_asked_gets_a_hint(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await open_activity_for_all_schools(greet)
    await greet.taps("wo 25 nov")
    await greet.says("14:00")
    await greet.says("15:00")
    await greet.says("Bibliotheek")
    await greet.taps("⏭ Overslaan")
    await greet.says("Voorleesuurtje")
    await greet.taps("⏭ Overslaan")
    await greet.taps("🇧🇪 Alleen Nederlands")
    [ask] = await greet.taps("🇧🇪 Alleen Nederlands")
    assert ask["text"].startswith("Een spraakbericht in het Turks")
    replies = await greet.says("Heb ik niet")
    assert len(replies) == 2 and replies[1]["text"] == ask["text"], [
        m["text"] for m in replies]
