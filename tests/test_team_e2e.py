"""The team's settings end to end: /languages, /availability, /staff and the schools' contacts.

Brugfiguren are made in the database (a parent's row turned brugfiguur), apart from the last
test, which joins with an invite link and gets the language screen after onboarding.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from storage.models import Person, School, StaffProfile
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard

DEFAULT = AvailabilityMap.default()
REFUSED_NL = "Sorry, dit is alleen voor het team van de Brede School."
COORDINATOR_ONLY_NL = "Sorry, dit is alleen voor de coördinator."


async def brugfiguur(chat: Chat, db: Database, user_id: int, name: str,
                     language: str) -> tuple[Talker, int]:
    """Someone who onboarded as a parent, then made a brugfiguur in the database."""
    talker = await onboard(chat, user_id, name, language, "klimop")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == user_id))
        assert row is not None
        row.role = "brugfiguur"
        await staff.ensure_profile(session, row.id, language)
        await session.commit()
        return talker, row.id


async def profile(db: Database, person_id: int) -> StaffProfile:
    async with db.session() as session:
        found = await session.get(StaffProfile, person_id)
        assert found is not None
        return found


async def school(db: Database, code: str) -> School:
    async with db.session() as session:
        found = await session.scalar(select(School).where(School.code == code))
        assert found is not None
        return found


def buttons(fake: FakeTelegram, message: dict[str, Any]) -> list[tuple[str, str]]:
    """The buttons of a message as it is now (after the bot's edits)."""
    current = fake.message(message["chat"]["id"], message["message_id"])
    assert current is not None
    return fake.inline_buttons(current)


def current_text(fake: FakeTelegram, message: dict[str, Any]) -> str:
    current = fake.message(message["chat"]["id"], message["message_id"])
    assert current is not None
    return current.get("text", "")


def label_of(fake: FakeTelegram, message: dict[str, Any], data: str) -> str:
    return next(label for label, found in buttons(fake, message) if found == data)


async def test_a_brugfiguur_ticks_languages_and_colours_an_hour(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    fatma, fatma_id = await brugfiguur(chat, db, 8301, "Fatma", "tr")

    [screen] = await fatma.says("/languages")
    with use_locale("tr"):
        assert screen["text"].startswith(_("Which languages do you speak with parents?"))
    assert buttons(fake, screen) == [
        ("Nederlands", f"team:l:{fatma_id}:nl:on"),
        ("✅ Türkçe", f"team:l:{fatma_id}:tr:off"),
        ("ਪੰਜਾਬੀ", f"team:l:{fatma_id}:pa:on"),
        ("👍 Bitti", f"team:l:{fatma_id}:ok"),
    ]
    assert await fatma.taps("Nederlands") == []  # edited in place
    assert buttons(fake, screen)[0] == ("✅ Nederlands", f"team:l:{fatma_id}:nl:off")
    assert (await profile(db, fatma_id)).languages == "nl,tr"
    await fatma.taps("👍 Bitti")
    assert buttons(fake, screen) == []
    assert "Nederlands, Türkçe" in current_text(fake, screen)
    assert "/availability" in current_text(fake, screen)

    # The week: a button per day, Monday first, in Turkish.
    [week] = await fatma.says("/availability")
    days = buttons(fake, week)
    assert days[0] == ("Pzt 🟢9–12 🟠12–13 🟢13–17", f"team:a:{fatma_id}:0")
    assert days[6] == ("Paz 🔴", f"team:a:{fatma_id}:6")
    await fatma.taps(data=f"team:a:{fatma_id}:2")  # Wednesday
    assert current_text(fake, week).startswith("Çarşamba: 🟢9–12 🟠12–13 🟢13–17")
    hours = [data for _label, data in buttons(fake, week) if data.count(":") == 4]
    assert len(hours) == 14 + 2  # 07:00–20:00, and the two shortcuts

    # 10:00 on Wednesday: green → orange → red; nothing else changes.
    hour = f"team:a:{fatma_id}:2:10"
    assert label_of(fake, week, hour) == "🟢 10:00"
    await fatma.taps(data=hour)
    assert label_of(fake, week, hour) == "🟠 10:00"
    assert (await profile(db, fatma_id)).availability == \
        DEFAULT.with_level(2, 10, Level.ORANGE).cells
    await fatma.taps(data=hour)
    assert label_of(fake, week, hour) == "🔴 10:00"
    assert (await profile(db, fatma_id)).availability == \
        DEFAULT.with_level(2, 10, Level.RED).cells
    assert current_text(fake, week).startswith("Çarşamba: 🟢9–10 🟢11–12 🟠12–13 🟢13–17")

    # Back to the week, then done.
    await fatma.taps(data=f"team:a:{fatma_id}")
    assert buttons(fake, week)[2] == ("Çar 🟢9–10 🟢11–12 🟠12–13 🟢13–17",
                                      f"team:a:{fatma_id}:2")
    await fatma.taps(data=f"team:a:{fatma_id}:ok")
    assert buttons(fake, week) == []
    assert "Çar 🟢9–10 🟢11–12 🟠12–13 🟢13–17" in current_text(fake, week)


async def test_forged_availability_buttons_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    fatma, fatma_id = await brugfiguur(chat, db, 8311, "Fatma", "tr")
    _harpreet, harpreet_id = await brugfiguur(chat, db, 8312, "Harpreet", "pa")
    els = await onboard(chat, 8313, "Els", "nl", "klimop")
    [week] = await fatma.says("/availability")
    await fatma.taps(data=f"team:a:{fatma_id}:2")
    before = {fatma_id: (await profile(db, fatma_id)).availability,
              harpreet_id: (await profile(db, harpreet_id)).availability}

    with use_locale("tr"):
        expired = _("This button has expired.")
        refused = _("Sorry, this is only for the coordinator.")
    for data in (f"team:a:{fatma_id}:2:3",  # 03:00: not on the screen
                 f"team:a:{fatma_id}:2:21",
                 f"team:a:{fatma_id}:9",  # no tenth day
                 f"team:a:{fatma_id}:8:10",
                 f"team:a:{harpreet_id}:2:10",  # someone else's hours
                 f"team:a:{harpreet_id}:2:g",
                 f"team:l:{harpreet_id}:nl:on",  # someone else's languages
                 "team:s", "team:m:1:2"):  # the coordinator's screens
        alerts = await fatma.presses(week, data)
        assert len(alerts) == 1, (data, alerts)
        assert alerts[0] == (refused if data.startswith(("team:s", "team:m")) else expired), data

    # A parent pressing a brugfiguur's button: refused.
    assert await els.presses(week, f"team:a:{fatma_id}:2:10") == [REFUSED_NL]
    assert await els.presses(week, f"team:l:{fatma_id}:pa:on") == [REFUSED_NL]

    after = {fatma_id: (await profile(db, fatma_id)).availability,
             harpreet_id: (await profile(db, harpreet_id)).availability}
    assert after == before
    assert (await profile(db, harpreet_id)).languages == "pa"
    assert (await profile(db, fatma_id)).languages == "tr"


async def test_a_parent_is_refused_the_team_screens(chat: Chat, db: Database) -> None:
    els = await onboard(chat, 8321, "Els", "nl", "klimop")
    for command in ("/staff", "/availability", "/languages"):
        [refused] = await els.says(command)
        assert refused["text"] == REFUSED_NL


async def test_a_brugfiguur_is_refused_staff(chat: Chat, db: Database) -> None:
    fatma, _fatma_id = await brugfiguur(chat, db, 8322, "Fatma", "nl")
    [refused] = await fatma.says("/staff")
    assert refused["text"] == COORDINATOR_ONLY_NL


async def test_the_coordinator_matches_a_school_to_a_brugfiguur(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    _fatma, fatma_id = await brugfiguur(chat, db, 8331, "Fatma", "tr")
    _harpreet, harpreet_id = await brugfiguur(chat, db, 8332, "Harpreet", "pa")
    async with db.session() as session:
        await staff.toggle_language(session, harpreet_id, "nl")
        await session.commit()
    klimop = await school(db, "klimop")

    [overview] = await greet.says("/staff")
    assert "👤 Fatma · Türkçe" in overview["text"]
    assert "👤 Harpreet · Nederlands, ਪੰਜਾਬੀ" in overview["text"]
    assert ("✏️ Fatma", f"team:s:{fatma_id}") in buttons(fake, overview)

    await greet.taps(data="team:m")
    schools = buttons(fake, overview)
    assert len(schools) == 9 + 1  # nine schools and Back
    with use_locale("nl"):
        nobody = _("nobody")
    assert (f"Vrije basisschool Klim-op → {nobody}", f"team:m:{klimop.id}") in schools

    await greet.taps(data=f"team:m:{klimop.id}")
    choices = buttons(fake, overview)
    # Harpreet speaks two languages: first.
    assert [data for _label, data in choices[:2]] == [f"team:m:{klimop.id}:{harpreet_id}",
                                                     f"team:m:{klimop.id}:{fatma_id}"]
    assert choices[0][0] == "Harpreet · Nederlands, ਪੰਜਾਬੀ"
    assert choices[2][1] == f"team:m:{klimop.id}:0" and choices[2][0].startswith("✅ ")

    await greet.taps(data=f"team:m:{klimop.id}:{fatma_id}")
    assert (await school(db, "klimop")).contact_id == fatma_id
    assert ("Vrije basisschool Klim-op → Fatma", f"team:m:{klimop.id}") in \
        buttons(fake, overview)
    assert "🏫 Vrije basisschool Klim-op → Fatma" in current_text(fake, overview)

    # The team screen shows it; then nobody again.
    [again] = await greet.says("/staff")
    fatma_block = next(b for b in again["text"].split("\n\n") if b.startswith("👤 Fatma"))
    assert "🏫 Vrije basisschool Klim-op" in fatma_block
    await greet.taps(data="team:m")
    await greet.taps(data=f"team:m:{klimop.id}")
    assert label_of(fake, again, f"team:m:{klimop.id}:{fatma_id}") == "✅ Fatma · Türkçe"
    await greet.taps(data=f"team:m:{klimop.id}:0")
    assert (await school(db, "klimop")).contact_id is None

    # A forged choice: a parent's row is no brugfiguur; an unknown school.
    els = await onboard(chat, 8333, "Els", "nl", "klimop")
    async with db.session() as session:
        els_id = await session.scalar(select(Person.id).where(Person.telegram_id == els.id))
    with use_locale("nl"):
        expired = _("This button has expired.")
    assert await greet.presses(again, f"team:m:{klimop.id}:{els_id}") == [expired]
    assert await greet.presses(again, f"team:m:999999:{fatma_id}") == [expired]
    assert (await school(db, "klimop")).contact_id is None


async def test_a_new_and_an_old_contact_are_told_in_their_language(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    fatma, fatma_id = await brugfiguur(chat, db, 8341, "Fatma", "tr")
    harpreet, harpreet_id = await brugfiguur(chat, db, 8342, "Harpreet", "pa")
    async with db.session() as session:  # available at any hour: told at once
        for person_id in (fatma_id, harpreet_id):
            await staff.set_availability(session, person_id, AvailabilityMap.all(Level.GREEN))
        await session.commit()
    klimop = await school(db, "klimop")
    await greet.says("/staff")

    await greet.taps(data="team:m")
    await greet.taps(data=f"team:m:{klimop.id}")
    await greet.taps(data=f"team:m:{klimop.id}:{fatma_id}")
    await wait_until(lambda: fatma.last_text().startswith("🏫"), fake)
    assert fatma.last_text() == ("🏫 Artık Vrije basisschool Klim-op için sabit irtibat "
                                 "kişisisiniz. Bu okulun velilerinden gelen sorular önce size "
                                 "gelir.")
    # The same choice again is no change: nobody is told twice.
    told = len(fake.texts(fatma.id))
    await greet.taps(data=f"team:m:{klimop.id}")
    await greet.taps(data=f"team:m:{klimop.id}:{fatma_id}")

    await greet.taps(data=f"team:m:{klimop.id}")
    await greet.taps(data=f"team:m:{klimop.id}:{harpreet_id}")
    await wait_until(lambda: harpreet.last_text().startswith("🏫")
                     and len(fake.texts(fatma.id)) > told, fake)
    assert len(fake.texts(fatma.id)) == told + 1
    assert fatma.last_text() == ("🏫 Vrije basisschool Klim-op için sabit irtibat kişisi artık "
                                 "Harpreet. Bu okulun soruları artık önce size gelmez.")
    assert harpreet.last_text().startswith("🏫 ਹੁਣ ਤੁਸੀਂ Vrije basisschool Klim-op ਦੇ ਪੱਕੇ")

    await greet.taps(data=f"team:m:{klimop.id}")
    await greet.taps(data=f"team:m:{klimop.id}:0")
    await wait_until(lambda: "ਨਹੀਂ ਹੋ" in harpreet.last_text(), fake)
    assert harpreet.last_text() == "🏫 ਹੁਣ ਤੁਸੀਂ Vrije basisschool Klim-op ਦੇ ਪੱਕੇ ਸੰਪਰਕ ਵਿਅਕਤੀ ਨਹੀਂ ਹੋ।"
    assert len(fake.texts(fatma.id)) == told + 1


async def test_a_brugfiguur_who_stopped_the_bot_is_marked_and_not_written_to(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    fatma, fatma_id = await brugfiguur(chat, db, 8351, "Fatma", "tr")
    await brugfiguur(chat, db, 8352, "Mehmet", "tr")
    async with db.session() as session:
        await staff.set_availability(session, fatma_id, AvailabilityMap.all(Level.GREEN))
        await session.commit()
    await fatma.says("/stop")
    told = len(fake.texts(fatma.id))
    klimop = await school(db, "klimop")
    [screen] = await greet.says("/staff")
    await greet.taps(data="team:m")
    await greet.taps(data=f"team:m:{klimop.id}")
    # Those who still read the bot first; the one who stopped it marked, last.
    assert [label for label, _d in buttons(fake, screen)][:2] == ["Mehmet · Türkçe",
                                                                 "⏸ Fatma · Türkçe"]
    await greet.taps(data=f"team:m:{klimop.id}:{fatma_id}")
    assert (await school(db, "klimop")).contact_id == fatma_id
    await fake.wait_idle(quiet=0.2)
    assert len(fake.texts(fatma.id)) == told


async def test_the_coordinator_edits_a_brugfiguurs_availability_and_languages(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    _harpreet, harpreet_id = await brugfiguur(chat, db, 8341, "Harpreet", "pa")

    [screen] = await greet.says("/staff")
    await greet.taps(data=f"team:s:{harpreet_id}")
    assert current_text(fake, screen).startswith("👤 Harpreet · ਪੰਜਾਬੀ")
    await greet.taps(data=f"team:a:{harpreet_id}")
    week = buttons(fake, screen)
    assert len(week) == 7 + 1 and week[-1][1] == f"team:s:{harpreet_id}"  # Back to the card
    assert week[0][0].startswith("ma 🟢9–12")  # the coordinator reads Dutch

    # Saturday: all green (07–21 only), then 20:00 back to orange.
    await greet.taps(data=f"team:a:{harpreet_id}:5")
    assert current_text(fake, screen).startswith("Harpreet · Zaterdag: 🔴")
    await greet.taps(data=f"team:a:{harpreet_id}:5:g")
    await greet.taps(data=f"team:a:{harpreet_id}:5:20")
    expected = DEFAULT
    for hour in range(7, 20):
        expected = expected.with_level(5, hour, Level.GREEN)
    expected = expected.with_level(5, 20, Level.ORANGE)
    assert (await profile(db, harpreet_id)).availability == expected.cells
    assert current_text(fake, screen).startswith("Harpreet · Zaterdag: 🟢7–20 🟠20–21")

    # And the languages, from the card: back to the card when done.
    await greet.taps(data=f"team:a:{harpreet_id}")
    await greet.taps(data=f"team:s:{harpreet_id}")
    await greet.taps(data=f"team:l:{harpreet_id}")
    await greet.taps(data=f"team:l:{harpreet_id}:nl:on")
    assert (await profile(db, harpreet_id)).languages == "nl,pa"
    await greet.taps(data=f"team:l:{harpreet_id}:ok")
    assert current_text(fake, screen).startswith("👤 Harpreet · Nederlands, ਪੰਜਾਬੀ")
    assert "🗓" in current_text(fake, screen)


async def test_a_new_brugfiguur_is_asked_their_languages_after_onboarding(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    async with db.session() as session:
        me = await session.scalar(select(Person.id).where(Person.telegram_id == greet.id))
        token = await staff.create_invite(session, me, clock.moment)
        await session.commit()
    harpreet = chat.person(8351, "Harpreet")
    await harpreet.says(f"/start staff_{token}")
    await harpreet.taps("ਪੰਜਾਬੀ")
    replies = await harpreet.taps(data="privacy:ok")
    welcome = replies[-1]
    with use_locale("pa"):
        assert welcome["text"].startswith(
            _("Welcome to the team! Which languages do you speak with parents?"))
    assert "/availability" in welcome["text"]
    async with db.session() as session:
        harpreet_id = await session.scalar(
            select(Person.id).where(Person.telegram_id == harpreet.id))
    assert ("✅ ਪੰਜਾਬੀ", f"team:l:{harpreet_id}:pa:off") in buttons(fake, welcome)
    # The staff commands are in the chat's menu.
    menu = fake.calls_of("setMyCommands")[-1].params
    assert {"languages", "availability"} <= {c["command"] for c in menu["commands"]}



async def test_help_shows_the_team_their_own_commands(chat: Chat, db: Database) -> None:
    greet = await coordinator_of(chat)
    fatma, _id = await brugfiguur(chat, db, 8931, "Fatma", "nl")
    ayse = await onboard(chat, 8941, "Ayşe", "nl", "wijdeland")

    [coordinator_help] = await greet.says("/help")
    assert "Voor het team:\n/inbox: Je open vragen" in coordinator_help["text"]
    assert "/broadcast: Het programma van volgende week versturen" in coordinator_help["text"]
    [team_help] = await fatma.says("/help")
    assert "/inbox: Je open vragen" in team_help["text"]
    assert "/broadcast" not in team_help["text"]
    [parent_help] = await ayse.says("/help")
    assert "Voor het team" not in parent_help["text"] and "/inbox" not in parent_help["text"]


async def test_the_coordinator_removes_a_brugfiguur_who_leaves(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fatma leaves the Brede School: the coordinator takes her off the team. The question she
    holds comes to the coordinator, her school has no fixed contact any more, she is told,
    and a new question no longer reaches her."""
    from tests.test_questions_e2e import MONDAY_10, join_team, question_rows

    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 8401, "Fatma", {"nl", "tr"}, db, contact_of="wijdeland")
    mehmet = await join_team(chat, greet, 8402, "Mehmet", {"nl", "tr"}, db)
    ayse = await onboard(chat, 8411, "Ayşe", "tr", "wijdeland")
    await ayse.says("Okul servisi var mı?")
    await ayse.picks_topic("school")
    await wait_until(lambda: "Okul servisi var mı?" in fake.texts(fatma.id), fake)
    fatma_id = (await profile_of(db, 8401)).id

    [screen] = await greet.says("/staff")
    await greet.taps(data=f"team:s:{fatma_id}")
    await greet.taps("🚪 Uit het team halen")
    assert current_text(fake, screen).startswith("Fatma uit het team halen?")
    await greet.taps("↩️ Nee")  # back to her card: nothing changed
    assert current_text(fake, screen).startswith("👤 Fatma")
    await greet.taps("🚪 Uit het team halen")
    await greet.taps("🚪 Ja, haal Fatma eruit")
    assert current_text(fake, screen).startswith(
        "🚪 Fatma zit niet meer in het team. De 1 vraag die Fatma had, ligt nu bij jou.")
    assert "Fatma" not in current_text(fake, screen).split("\n\n", 1)[1]

    [question] = await question_rows(db)
    assert question.assignee_id is None
    await wait_until(lambda: "Okul servisi var mı?" in fake.texts(greet.id), fake)
    await wait_until(lambda: fake.texts(fatma.id)[-1].startswith("🚪"), fake)
    assert (await school(db, "wijdeland")).contact_id is None
    assert (await profile_of(db, 8401)).role == "parent"
    # Her menu no longer has the team's commands.
    menus = [c.params["commands"] for c in fake.calls_of("setMyCommands")
             if c.params.get("scope") == {"type": "chat", "chat_id": fatma.id}]
    assert "inbox" in {c["command"] for c in menus[0]}
    assert "inbox" not in {c["command"] for c in menus[-1]}
    # A new question from her school goes to Mehmet, not to her.
    els = await onboard(chat, 8412, "Els", "nl", "wijdeland")
    await els.says("Is er opvang op woensdag?")
    await els.picks_topic("childcare")
    await wait_until(lambda: "Is er opvang op woensdag?" in fake.texts(mehmet.id), fake)
    assert "Is er opvang op woensdag?" not in fake.texts(fatma.id)


async def profile_of(db: Database, telegram_id: int) -> Person:
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        return person
