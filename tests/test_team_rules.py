"""The team screens' rules without Telegram: day summaries, callback data, who may edit;
and an invite link's rules (once, for seven days)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.handlers.commands import bot_commands
from bot.handlers.team import (
    AVAILABILITY_DATA,
    LANGUAGES_DATA,
    MATCH_DATA,
    STAFF_DATA,
    AvailabilityPress,
    Run,
    contact_order,
    day_runs,
    day_screen,
    day_summary,
    green_hours,
    languages_screen,
    match_screen,
    may_edit,
    parse_availability,
    school_screen,
    week_screen,
    weekday_name,
    with_shown_hours,
)
from bot.i18n import use_locale
from bot.services import staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.people import SchoolView
from bot.services.roles import Role
from bot.services.staff import InviteOutcome, StaffMember
from bot.services.team_translation import TITLE_LIMIT, split_reply
from storage.db import Database
from storage.models import Person

DEFAULT = AvailabilityMap.default()


def member(person_id: int, name: str, languages: set[str]) -> StaffMember:
    return StaffMember(id=person_id, telegram_id=person_id, first_name=name, locale="nl",
                       languages=frozenset(languages), availability=DEFAULT, contact_for=(),
                       open_questions=0)


def test_a_school_day_in_runs_and_in_one_line() -> None:
    assert day_runs(DEFAULT, 0) == [Run(Level.RED, 0, 9), Run(Level.GREEN, 9, 12),
                                    Run(Level.ORANGE, 12, 13), Run(Level.GREEN, 13, 17),
                                    Run(Level.RED, 17, 24)]
    assert day_summary(DEFAULT, 0) == "🟢9–12 🟠12–13 🟢13–17"
    assert day_summary(DEFAULT, 6) == "🔴"  # Sunday: a day off
    assert day_summary(AvailabilityMap.all(Level.GREEN), 3) == "🟢0–24"


def test_a_busy_day_is_cut_short_on_a_button() -> None:
    amap = DEFAULT
    for hour in (8, 18, 20, 22):
        amap = amap.with_level(1, hour, Level.ORANGE)
    assert day_summary(amap, 1) == "🟠8–9 🟢9–12 🟠12–13 🟢13–17 🟠18–19 🟠20–21 🟠22–23"
    assert day_summary(amap, 1, limit=4) == "🟠8–9 🟢9–12 🟠12–13 🟢13–17 …"


def test_green_hours_of_the_default_week() -> None:
    assert green_hours(DEFAULT) == 5 * 7
    assert green_hours(AvailabilityMap.all(Level.RED)) == 0


def test_all_green_touches_only_the_shown_hours_of_that_day() -> None:
    green = with_shown_hours(AvailabilityMap.all(Level.RED), 5, Level.GREEN)
    assert green.day(5) == "r" * 7 + "g" * 14 + "r" * 3
    assert green.cells.count("g") == 14
    red = with_shown_hours(AvailabilityMap.all(Level.ORANGE), 0, Level.RED)
    assert red.day(0) == "o" * 7 + "r" * 14 + "o" * 3


@pytest.mark.parametrize(("data", "press"), [
    ("team:a:12", AvailabilityPress(12)),
    ("team:a:12:ok", AvailabilityPress(12, done=True)),
    ("team:a:12:3", AvailabilityPress(12, day=3)),
    ("team:a:12:3:7", AvailabilityPress(12, day=3, hour=7)),
    ("team:a:12:3:20", AvailabilityPress(12, day=3, hour=20)),
    ("team:a:12:6:g", AvailabilityPress(12, day=6, whole=Level.GREEN)),
    ("team:a:12:0:r", AvailabilityPress(12, day=0, whole=Level.RED)),
])
def test_availability_presses(data: str, press: AvailabilityPress) -> None:
    assert parse_availability(data) == press


@pytest.mark.parametrize("data", [
    "team:a:12:7",  # no eighth day
    "team:a:12:9:10",
    "team:a:12:3:6",  # before 07:00: not on the screen
    "team:a:12:3:21",  # 21:00 and later: not on the screen
    "team:a:12:3:99",
    "team:a:12:3:o",
    "team:a:12:ok:3",
    "team:a:-1:3:10",
    "team:a:12:3:10:x",
    "team:a:1234567890:3:10",
])
def test_forged_availability_presses(data: str) -> None:
    assert parse_availability(data) is None


def test_who_may_edit_whose_settings() -> None:
    assert may_edit(Role.BRUGFIGUUR, 5, 5, True)
    assert not may_edit(Role.BRUGFIGUUR, 5, 6, True)
    assert may_edit(Role.COORDINATOR, 1, 6, True)
    assert not may_edit(Role.COORDINATOR, 1, 7, False)  # not (or no longer) in the team
    assert may_edit(Role.COORDINATOR, 1, 1, False)  # their own languages and hours
    assert not may_edit(Role.PARENT, 5, 5, False)


def test_those_who_speak_more_languages_come_first() -> None:
    team = [member(1, "Zeynep", {"tr"}), member(2, "Anna", {"nl"}),
            member(3, "Harpreet", {"nl", "pa"}), member(4, "Bert", {"nl"})]
    assert [m.first_name for m in contact_order(team)] == ["Harpreet", "Anna", "Bert", "Zeynep"]


def callback_data(markup: object) -> list[str]:
    rows = getattr(markup, "inline_keyboard", ())
    return [button.callback_data for row in rows for button in row]


def test_every_button_fits_telegram_and_its_own_pattern() -> None:
    big = 999_999_999
    school = SchoolView(999_999, "devilla", "Leefschool 'De Villa'")
    team = [member(big, "Fatma", {"nl", "tr"})]
    screens = [
        (languages_screen(big, frozenset({"tr"}))[1], LANGUAGES_DATA),
        (week_screen(big, DEFAULT)[1], AVAILABILITY_DATA),
        (week_screen(big, DEFAULT, "Fatma")[1], f"{AVAILABILITY_DATA}|{STAFF_DATA}"),
        (day_screen(big, DEFAULT, 6)[1], AVAILABILITY_DATA),
        (match_screen(team, [school], {school.id: big})[1], f"{MATCH_DATA}|{STAFF_DATA}"),
        (school_screen(team, school, None)[1], MATCH_DATA),
    ]
    for markup, pattern in screens:
        for data in callback_data(markup):
            assert len(data.encode()) <= 64
            assert re.match(pattern, data), data


def test_the_day_screen_in_the_readers_language() -> None:
    with use_locale("tr"):
        text, markup = day_screen(3, DEFAULT, 2)
        assert text.startswith("Çarşamba: 🟢9–12 🟠12–13 🟢13–17")
        assert weekday_name(0, "abbreviated") == "Pzt"
    labels = [b.text for row in markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert labels[:4] == ["🔴 07:00", "🔴 08:00", "🟢 09:00", "🟢 10:00"]
    assert "🟠 12:00" in labels and labels[13] == "🔴 20:00"
    with use_locale("pa"):
        assert day_screen(3, DEFAULT, 0)[0].startswith("ਸੋਮਵਾਰ")


def test_menus_per_role() -> None:
    def names(role: Role) -> list[str]:
        return [command.command for command in bot_commands("nl", role)]

    assert "languages" not in names(Role.PARENT) and "staff" not in names(Role.PARENT)
    assert {"languages", "availability"} <= set(names(Role.BRUGFIGUUR))
    assert "staff" not in names(Role.BRUGFIGUUR)
    assert {"languages", "availability", "staff"} <= set(names(Role.COORDINATOR))



async def test_an_invite_works_once_and_for_seven_days(db: Database) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    async with db.session() as session:
        people = [Person(telegram_id=9400 + n, first_name=f"P{n}", locale="tr", role="parent")
                  for n in range(3)]
        session.add_all(people)
        await session.flush()
        late, first, second = (p.id for p in people)
        old = await staff.create_invite(session, None, now)
        fresh = await staff.create_invite(session, None, now + timedelta(days=1))
        week = timedelta(days=7)
        assert await staff.redeem_invite(session, old, late, now + week) == InviteOutcome.EXPIRED
        assert await staff.redeem_invite(session, fresh, first, now + week) == \
            InviteOutcome.JOINED  # six days after it was made: still good
        assert await staff.redeem_invite(session, fresh, second, now + week) == \
            InviteOutcome.USED
        roles = {p.id: p.role for p in await session.scalars(select(Person))}
        assert roles == {late: "parent", first: "brugfiguur", second: "parent"}
        # Someone in the team already does not use up a link made for a new colleague.
        other = await staff.create_invite(session, None, now + week)
        assert await staff.redeem_invite(session, other, first, now + week) == \
            InviteOutcome.ALREADY
        assert await staff.redeem_invite(session, other, second, now + week) == \
            InviteOutcome.JOINED


def test_a_schools_contact_is_found_in_the_team() -> None:
    ayse = replace(member(1, "Ayşe", {"tr"}), contact_for=(3, 5))
    team = [member(2, "An", {"nl"}), ayse]
    assert staff.contact_of(team, 5) == 1
    assert staff.contact_of(team, 4) is None  # no contact, or one who left the team
    assert staff.contact_of(team, None) is None  # a parent without a school


def test_a_translation_reply_splits_into_title_and_description_and_keeps_every_word() -> None:
    assert split_reply("Yoga voor kinderen\nRustig ademen.\nEn bewegen.") == (
        "Yoga voor kinderen", "Rustig ademen.\nEn bewegen.")
    assert split_reply("  \n ") == ("", "")
    # All in one paragraph: the first sentence is the title (a Gurmukhi danda ends one too).
    long_tail = "ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ। " + "ਸ਼ਾਂਤ ਹੋਣਾ, ਸਾਹ ਲੈਣਾ ਅਤੇ ਹਿੱਲਣਾ। " * 10
    title, description = split_reply(long_tail)
    assert title == "ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ।" and description == long_tail.strip()[len(title):].strip()
    # No short sentence: the first words, and the whole text stays in the description.
    one_run = "word " * 80
    title, description = split_reply(one_run)
    assert len(title) <= TITLE_LIMIT and title.endswith("…") and description == one_run.strip()
