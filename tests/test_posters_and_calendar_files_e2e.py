"""The printed and downloaded things (found by a reviewer): 📆 after a move updates the entry
a parent has (same UID, higher SEQUENCE); the coordinator testing a poster's QR code keeps
every school's week; a double tap on a poster button sends it once; a whole day written with
DURATION:P1D stays whole on the night the clocks go back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar

from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_broadcast_e2e import wait_until
from tests.test_poster import decoded
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_reminders_e2e import (
    BABBEL,
    day_reminder_of,
    import_csv,
    local,
    nl_reminder_id,
    reminders_in,
    round_at,
)


def calendar_event(fake: FakeTelegram, document: dict[str, Any]) -> Any:
    content = fake.file_content(document["document"]["file_id"])
    return next(iter(Calendar.from_ical(content).walk("VEVENT")))


async def add_to_calendar(bot: Handled, parent: Person, reminder_id: int) -> dict[str, Any]:
    """The parent taps 📆 under the reminder (a while after any earlier tap: the bot sends
    the file once per burst of taps, timed by the real clock, not the test's)."""
    assert bot.app is not None
    bot.app.chat_data[parent.id].pop("bursts", None)
    [document] = await parent.taps(data=f"rv:{reminder_id}:ics")
    return document


async def test_add_to_calendar_after_a_move_updates_the_entry_instead_of_adding_a_second(
    chat: Chat, fake: FakeTelegram, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    await import_csv(greet, BABBEL)
    ayse = await onboard(chat, 9601, "Ayşe", "tr", "kabouterland")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    rid = nl_reminder_id(reminder)
    before = calendar_event(fake, await add_to_calendar(bot, ayse, rid))
    assert before.decoded("dtstart").astimezone(UTC) == local(25, 13, 30).astimezone(UTC)

    # The coordinator moves it an hour later; Ayşe is told, and taps 📆 again.
    told = len(fake.texts(ayse.id))
    await import_csv(greet, BABBEL.replace(";13:30;15:00;", ";14:30;16:00;"))
    await round_at(bot, clock, local(24, 18, 5))
    await wait_until(lambda: len(fake.texts(ayse.id)) > told, fake)
    assert "⚠️" in fake.texts(ayse.id)[-1]
    clock.moment = local(24, 18, 10).astimezone(UTC)
    after = calendar_event(fake, await add_to_calendar(bot, ayse, rid))
    assert after.decoded("dtstart").astimezone(UTC) == local(25, 14, 30).astimezone(UTC)
    assert str(after["summary"]) == "Veli sohbeti: uyku"

    assert str(after["uid"]) == str(before["uid"]), (str(before["uid"]), str(after["uid"]))
    assert int(after.get("sequence", 0)) > int(before.get("sequence", 0))



async def test_the_coordinator_who_tests_a_poster_keeps_every_schools_week(
    chat: Chat, fake: FakeTelegram
) -> None:
    greet = await coordinator_with_programme(chat)
    [week] = await greet.says("/week")
    assert "Kinderyoga" in week["text"] and "Badminton na school" in week["text"]

    [menu] = await greet.says("/poster")
    klimop = dict(fake.inline_buttons(menu))["Vrije basisschool Klim-op"]
    _pdf, png = await greet.taps(data=klimop)
    [link] = decoded(fake.file_content(png["document"]["file_id"]))
    assert link == f"https://t.me/{fake.bot_username}?start=s_klimop"
    # Her phone's camera opens the link: Telegram sends what it says.
    [said] = await greet.says("/start " + link.split("?start=")[1])
    assert "Dit is de link voor de ouders van Vrije basisschool Klim-op: hij werkt." \
        in said["text"], said["text"]

    [week_after] = await greet.says("/week")
    assert week_after["text"] == week["text"], week_after["text"]


async def test_a_double_tap_on_all_schools_sends_one_zip(
    chat: Chat, fake: FakeTelegram, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    [menu] = await greet.says("/poster")
    first = fake.press(greet.user, menu, "po:all")
    second = fake.press(greet.user, menu, "po:all")
    await bot.wait(first["update_id"], 60)
    await bot.wait(second["update_id"], 60)
    await fake.wait_idle()
    sent = fake.calls_of("sendDocument", greet.id)
    assert len(sent) == 1, [call.params.get("caption") for call in sent]


PLAY_DAY_WITH_DURATION = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//review//EN
BEGIN:VEVENT
UID:speeldag-herfst@bredeschool.example
DTSTAMP:20261001T000000Z
SUMMARY:Speeldag in de wijk
CATEGORIES:open_activity,klimop
DTSTART;VALUE=DATE:20261025
DURATION:P1D
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


async def test_a_whole_day_with_a_duration_on_the_night_the_clocks_go_back_stays_whole(
    chat: Chat, fake: FakeTelegram, clock: FixedClock, bot: Handled
) -> None:
    clock.moment = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=PLAY_DAY_WITH_DURATION)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    els = await onboard(chat, 9611, "Els", "nl", "klimop")
    # Saturday 24 October, 18:00: the day-before reminder; Els taps 📆.
    await round_at(bot, clock, local(20, 10, month=10))
    await round_at(bot, clock, local(24, 18, month=10))
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 1, fake)
    assert bot.app is not None
    await outbox_settled(bot.app.bot_data["db"], els.id)
    [reminder] = reminders_in(fake, els.id)
    assert "Speeldag in de wijk" in reminder["text"]
    event = calendar_event(fake, await add_to_calendar(bot, els, nl_reminder_id(reminder)))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert not isinstance(start, datetime) and start == date(2026, 10, 25), (start, end)
    assert not isinstance(end, datetime) and end == date(2026, 10, 26), (start, end)
    [week] = await els.says("/week")
    assert "00:00" not in week["text"], week["text"]
