"""The team's settings: a brugfiguur's languages and availability map; the coordinator's /staff.

Usage::

    /languages      a brugfiguur ticks the languages they speak with parents
    /availability   their availability map: the week, then a day's hours 07:00–21:00
    /staff          the coordinator: the team, each one's settings, the schools' fixed contacts

Every button edits its own message in place. Callback data (at most 64 bytes) carries the
person whose settings it changes, and every press checks again that the presser may change
them: a brugfiguur only their own, the coordinator anyone of the team.

    team:l:<person>[:<nl|tr|pa>:<on|off>|:ok]   languages: show, tick or untick one (what the
                                                 button asks for: an older screen undoes
                                                 nothing), done
    team:a:<person>[:ok|:<day>[:<hour>|:g|:r]]   availability: week, done, a day, cycle an
                                                 hour, the day's shown hours all green/red
    team:s[:<person>]                            /staff: the team, one brugfiguur's card
    team:m[:<school>[:<person>]]                 the schools' fixed contacts (person 0: nobody)
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from babel.dates import get_day_names
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError

from bot.handlers.commands import set_chat_menu
from bot.handlers.door import BotContext, door, not_modified
from bot.handlers.question_texts import render_card
from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED_LOCALES,
    _,
    current_locale,
    format_time,
    ngettext,
    use_locale,
)
from bot.scheduler.outbox import wake
from bot.services import held_cards, outbox, people, questions, staff
from bot.services.availability import AvailabilityMap, Level
from bot.services.people import SchoolView
from bot.services.roles import STAFF, Role
from bot.services.staff import StaffMember

LANGUAGES_DATA = r"^team:l:(\d{1,9})(?::(?:(nl|tr|pa):(on|off)|(ok)))?$"
AVAILABILITY_DATA = r"^team:a:(\d{1,9})(?::(ok|\d)(?::(\d{1,2}|g|r))?)?$"
# team:s[:<person id>[:rm|rmok]]: the team, a brugfiguur's card, "remove?", removed.
STAFF_DATA = r"^team:s(?::(\d{1,9})(?::(rm|rmok))?)?$"
MATCH_DATA = r"^team:m(?::(\d{1,6})(?::(\d{1,9}))?)?$"

COORDINATOR_ONLY = (Role.COORDINATOR,)
SHOWN_HOURS = range(7, 21)  # the day screen: 07:00–21:00; the night stays as it is
HOURS_PER_ROW = 4
RUNS_ON_A_BUTTON = 4
SCHOOL_CHARS = 26
ICONS = {Level.GREEN: "🟢", Level.ORANGE: "🟠", Level.RED: "🔴"}

Screen = tuple[str, InlineKeyboardMarkup | None]


# --- Rules: plain functions, tested without Telegram -------------------------------------

@dataclass(frozen=True)
class Run:
    """Hours in a row of one level on one day: ``start`` to ``end`` (exclusive, ≤ 24)."""

    level: Level
    start: int
    end: int


def day_runs(amap: AvailabilityMap, weekday: int) -> list[Run]:
    """The day cut into runs of equal level, midnight to midnight."""
    cells = amap.day(weekday)
    runs: list[Run] = []
    start = 0
    for hour in range(1, 25):
        if hour == 24 or cells[hour] != cells[start]:
            runs.append(Run(Level(cells[start]), start, hour))
            start = hour
    return runs


def day_summary(amap: AvailabilityMap, weekday: int, limit: int | None = None) -> str:
    """'🟢9–12 🟠12–13 🟢13–17': the hours that are not red; '🔴' for a day off."""
    shown = [f"{ICONS[run.level]}{run.start}–{run.end}"
             for run in day_runs(amap, weekday) if run.level is not Level.RED]
    if not shown:
        return ICONS[Level.RED]
    if limit is not None and len(shown) > limit:
        shown = [*shown[:limit], "…"]
    return " ".join(shown)


def green_hours(amap: AvailabilityMap) -> int:
    return amap.cells.count(Level.GREEN.value)


def with_shown_hours(amap: AvailabilityMap, weekday: int, level: Level) -> AvailabilityMap:
    """'All green' / 'All red' on a day's screen: only the hours the screen shows."""
    for hour in SHOWN_HOURS:
        amap = amap.with_level(weekday, hour, level)
    return amap


def may_edit(role: Role, own_id: int, target_id: int, target_in_team: bool) -> bool:
    """A brugfiguur changes their own settings; the coordinator also anyone of the team."""
    if target_id == own_id:
        return role in STAFF
    return role is Role.COORDINATOR and target_in_team


@dataclass(frozen=True)
class AvailabilityPress:
    """What an availability button asks: the week (no day), done, a day, or a change."""

    person_id: int
    done: bool = False
    day: int | None = None
    hour: int | None = None  # cycle this hour of ``day``
    whole: Level | None = None  # every shown hour of ``day`` to this level


def parse_availability(data: str) -> AvailabilityPress | None:
    """The press, or None for data no button of ours carries (a forged day or hour)."""
    match = re.match(AVAILABILITY_DATA, data)
    if match is None:
        return None
    person_id, second, third = int(match[1]), match[2], match[3]
    if second is None:
        return AvailabilityPress(person_id)
    if second == "ok":
        return AvailabilityPress(person_id, done=True) if third is None else None
    day = int(second)
    if day > 6:
        return None
    if third is None:
        return AvailabilityPress(person_id, day=day)
    if third in ("g", "r"):
        return AvailabilityPress(person_id, day=day, whole=Level(third))
    hour = int(third)
    return AvailabilityPress(person_id, day=day, hour=hour) if hour in SHOWN_HOURS else None


def contact_order(members: list[StaffMember]) -> list[StaffMember]:
    """Who may be a school's contact: those who speak more languages first, then by name;
    those who stopped the bot last."""
    return sorted(members, key=lambda m: (not m.reachable, -len(m.languages),
                                          m.first_name.casefold(), m.id))


# --- Rendering ------------------------------------------------------------------------------

def weekday_name(weekday: int, width: str = "wide") -> str:
    """'maandag' / 'ma', 'Pazartesi' / 'Pzt', 'ਸੋਮਵਾਰ' / 'ਸੋਮ' (0 is Monday)."""
    return get_day_names(width, locale=current_locale())[weekday]


def language_list(languages: frozenset[str]) -> str:
    names = [LANGUAGE_NAMES[code] for code in SUPPORTED_LOCALES if code in languages]
    return ", ".join(names) if names else _("no language chosen yet")


def short(name: str, chars: int = SCHOOL_CHARS) -> str:
    return name if len(name) <= chars else name[: chars - 1].rstrip() + "…"


def back_button(data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("⬅️ " + _("Back"), callback_data=data)


def languages_screen(person_id: int, languages: frozenset[str], name: str | None = None,
                     *, welcome: bool = False) -> Screen:
    """The language ticks; ``name`` when the coordinator sets someone else's."""
    if welcome:
        lines = [_("Welcome to the team! Which languages do you speak with parents?"),
                 _("With /availability you choose when questions may reach you.")]
    elif name is None:
        lines = [_("Which languages do you speak with parents?")]
    else:
        lines = [_("Which languages does {name} speak with parents?").format(name=name)]
    lines.append(_("Tap a language to choose it or take it away, then tap Done."))
    rows = [[InlineKeyboardButton(
        ("✅ " if code in languages else "") + LANGUAGE_NAMES[code],
        callback_data=f"team:l:{person_id}:{code}:{'off' if code in languages else 'on'}")]
        for code in SUPPORTED_LOCALES]
    rows.append([InlineKeyboardButton("👍 " + _("Done"), callback_data=f"team:l:{person_id}:ok")])
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


def languages_saved(languages: frozenset[str]) -> str:
    return "\n\n".join([
        "✅ " + _("Saved.") + " " + language_list(languages),
        _("With /availability you choose when questions may reach you."),
    ])


def legend() -> str:
    return _("🟢 available\n🟠 now and then: messages come without a sound\n"
             "🔴 not available: messages wait for a green hour")


def week_lines(amap: AvailabilityMap) -> str:
    return "\n".join(f"{weekday_name(day, 'abbreviated')} {day_summary(amap, day)}"
                     for day in range(7))


def week_screen(person_id: int, amap: AvailabilityMap, name: str | None = None) -> Screen:
    """A button per weekday with its hours; Done (or Back, for the coordinator)."""
    title = (_("When may parents' questions reach you?") if name is None
             else _("When may parents' questions reach {name}?").format(name=name))
    text = "\n\n".join([title, legend(), _("Tap a day to change its hours.")])
    rows = [[InlineKeyboardButton(
        f"{weekday_name(day, 'abbreviated')} "
        f"{day_summary(amap, day, limit=RUNS_ON_A_BUTTON)}",
        callback_data=f"team:a:{person_id}:{day}")] for day in range(7)]
    if name is None:
        rows.append([InlineKeyboardButton("👍 " + _("Done"),
                                          callback_data=f"team:a:{person_id}:ok")])
    else:
        rows.append([back_button(f"team:s:{person_id}")])
    return text, InlineKeyboardMarkup(rows)


def week_saved(amap: AvailabilityMap) -> str:
    return "✅ " + _("Saved.") + "\n\n" + week_lines(amap)


def hour_label(amap: AvailabilityMap, weekday: int, hour: int) -> str:
    return f"{ICONS[amap.level(weekday, hour)]} {format_time(time(hour))}"


def day_screen(person_id: int, amap: AvailabilityMap, weekday: int,
               name: str | None = None) -> Screen:
    """The day's hours 07:00–21:00, each a button that cycles 🟢 → 🟠 → 🔴."""
    title = f"{weekday_name(weekday).capitalize()}: {day_summary(amap, weekday)}"
    if name is not None:
        title = f"{name} · {title}"
    text = "\n\n".join([
        title,
        _("Tap an hour to change it: 🟢 → 🟠 → 🔴 → 🟢."),
        _("Only {start} to {end} is shown here; the other hours stay as they are.").format(
            start=format_time(time(SHOWN_HOURS.start)),
            end=format_time(time(SHOWN_HOURS.stop))),
    ])
    hours = [InlineKeyboardButton(hour_label(amap, weekday, hour),
                                  callback_data=f"team:a:{person_id}:{weekday}:{hour}")
             for hour in SHOWN_HOURS]
    rows = [hours[i:i + HOURS_PER_ROW] for i in range(0, len(hours), HOURS_PER_ROW)]
    rows.append([
        InlineKeyboardButton("🟢 " + _("All green"),
                             callback_data=f"team:a:{person_id}:{weekday}:g"),
        InlineKeyboardButton("🔴 " + _("All red"),
                             callback_data=f"team:a:{person_id}:{weekday}:r"),
    ])
    rows.append([back_button(f"team:a:{person_id}")])
    return text, InlineKeyboardMarkup(rows)


def member_text(member: StaffMember, schools: dict[int, str], now: datetime) -> str:
    """Four lines about one brugfiguur: languages, schools, open questions, availability; and
    a fifth when they stopped or blocked the bot (routing passes them by)."""
    school_names = [schools[sid] for sid in member.contact_for if sid in schools]
    amap = member.availability
    lines = [
        f"👤 {member.first_name} · {language_list(member.languages)}",
        "🏫 " + (", ".join(school_names) if school_names else _("not a school's contact yet")),
        "📨 " + ngettext("{n} open question", "{n} open questions",
                         member.open_questions).format(n=member.open_questions),
        "🗓 " + ngettext("{n} green hour a week", "{n} green hours a week",
                         green_hours(amap)).format(n=green_hours(amap))
        + " · " + _("now {level}").format(level=ICONS[amap.level_at(now)]),
    ]
    if not member.reachable:
        lines.append("⏸ " + _("Stopped the bot: gets no new questions."))
    return "\n".join(lines)


def staff_screen(members: list[StaffMember], schools: list[SchoolView], now: datetime) -> Screen:
    if not members:
        return _("There is no brugfiguur in the team yet. Send /invite to add one."), None
    names = {school.id: school.name for school in schools}
    text = "\n\n".join([
        ngettext("The team: {n} brugfiguur", "The team: {n} brugfiguren",
                 len(members)).format(n=len(members)),
        *(member_text(member, names, now) for member in members),
        _("Tap a name to change their languages or availability."),
    ])
    people_buttons = [InlineKeyboardButton("✏️ " + member.first_name,
                                           callback_data=f"team:s:{member.id}")
                      for member in members]
    rows = [people_buttons[i:i + 2] for i in range(0, len(people_buttons), 2)]
    rows.append([InlineKeyboardButton("🏫 " + _("Match schools"), callback_data="team:m")])
    return text, InlineKeyboardMarkup(rows)


def member_screen(member: StaffMember, schools: list[SchoolView], now: datetime) -> Screen:
    rows = [
        [InlineKeyboardButton("🌐 " + _("Languages"), callback_data=f"team:l:{member.id}"),
         InlineKeyboardButton("🗓 " + _("Availability"), callback_data=f"team:a:{member.id}")],
        [InlineKeyboardButton("🚪 " + _("Remove from the team"),
                              callback_data=f"team:s:{member.id}:rm")],
        [back_button("team:s")],
    ]
    return member_text(member, {s.id: s.name for s in schools}, now), InlineKeyboardMarkup(rows)


def remove_screen(member: StaffMember) -> Screen:
    """Are you sure? What happens to their questions, and that they are told."""
    text = _("Remove {name} from the team? The questions {name} holds come to you, and no "
             "new ones go to {name}. {name} is told.").format(name=member.first_name)
    return text, InlineKeyboardMarkup([
        [InlineKeyboardButton("🚪 " + _("Yes, remove {name}").format(name=member.first_name),
                              callback_data=f"team:s:{member.id}:rmok")],
        [InlineKeyboardButton("↩️ " + _("No"), callback_data=f"team:s:{member.id}")]])


def _contact_name(members: list[StaffMember], contact_id: int | None) -> str:
    found = next((m.first_name for m in members if m.id == contact_id), None)
    return found or _("nobody")


def match_screen(members: list[StaffMember], schools: list[SchoolView],
                 contacts: dict[int, int]) -> Screen:
    """Every school with its fixed contact; a button per school to change it."""
    lines = [f"🏫 {school.name} → {_contact_name(members, contacts.get(school.id))}"
             for school in schools]
    text = "\n\n".join([_("The fixed contact of each school:"), "\n".join(lines),
                        _("Tap a school to change its contact.")])
    rows = [[InlineKeyboardButton(
        f"{short(school.name)} → {_contact_name(members, contacts.get(school.id))}",
        callback_data=f"team:m:{school.id}")] for school in schools]
    rows.append([back_button("team:s")])
    return text, InlineKeyboardMarkup(rows)


def school_screen(members: list[StaffMember], school: SchoolView,
                  contact_id: int | None) -> Screen:
    rows = [[InlineKeyboardButton(
        ("✅ " if member.id == contact_id else "") + ("" if member.reachable else "⏸ ")
        + member.first_name
        + (" · " + language_list(member.languages) if member.languages else ""),
        callback_data=f"team:m:{school.id}:{member.id}")] for member in contact_order(members)]
    rows.append([InlineKeyboardButton(("✅ " if contact_id is None else "") + "🚫 " + _("Nobody"),
                                      callback_data=f"team:m:{school.id}:0")])
    rows.append([back_button("team:m")])
    return (_("Who is the fixed contact of {school}?").format(school=school.name),
            InlineKeyboardMarkup(rows))


# --- Handlers --------------------------------------------------------------------------------

async def _show(update: Update, screen: Screen) -> None:
    """Draw a screen in place of the pressed button's message (or as a new message)."""
    text, markup = screen
    query = update.callback_query
    if query is None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text, reply_markup=markup)
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as problem:
        # Two quick taps that end where they began: nothing to redraw.
        if not not_modified(problem):
            raise


async def _expired(update: Update) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(_("This button has expired."), show_alert=True)


async def _no_person(update: Update) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(_("Please tap /start first."))


async def _editable(context: BotContext, target_id: int) -> tuple[bool, str | None]:
    """(may the presser change ``target_id``'s settings, the target's name if not theirs)."""
    person = context.person
    if person is None:
        return False, None
    if target_id == person.id:
        return may_edit(context.role, person.id, target_id, False), None
    target = await staff.member(context.session, target_id)
    allowed = may_edit(context.role, person.id, target_id, target is not None)
    return allowed, target.first_name if target else None


async def send_languages_welcome(update: Update, context: BotContext) -> None:
    """The end of a new brugfiguur's onboarding: welcome, and the language ticks."""
    person = context.person
    assert person is not None
    languages = await staff.languages_of(context.session, person.id, person.locale)
    if not languages and person.locale:
        # They joined before choosing the bot's language: they surely speak that one.
        languages = await staff.toggle_language(context.session, person.id, person.locale)
    await _show_new(update, languages_screen(person.id, languages, welcome=True))


async def _show_new(update: Update, screen: Screen) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(screen[0], reply_markup=screen[1])


@door(roles=STAFF)
async def languages_command(update: Update, context: BotContext) -> None:
    """/languages: tick the languages you speak with parents."""
    person = context.person
    if person is None:
        await _no_person(update)
        return
    languages = await staff.languages_of(context.session, person.id, person.locale)
    await _show_new(update, languages_screen(person.id, languages))


@door(roles=STAFF)
async def languages_button(update: Update, context: BotContext) -> None:
    """A language tick, Done, or the coordinator opening someone's languages."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(LANGUAGES_DATA, query.data)
    assert match is not None  # the handler's pattern
    target_id, action, on = int(match[1]), match[2] or match[4], match[3] == "on"
    allowed, name = await _editable(context, target_id)
    if not allowed:
        await _expired(update)
        return
    moved = 0  # unseen questions in a language taken away, handed over (routed again)
    if action in SUPPORTED_LOCALES:
        spoken = await staff.toggle_language(context.session, target_id, action, on=on)
        if action not in spoken:
            moved = await _reroute_unread(context, target_id, action)
        if name is not None:  # the coordinator's change: she hears of it, once
            await _tell_changes_soon(context, target_id, staff.LANGUAGES, update.update_id)
    languages = await staff.languages_of(context.session, target_id)
    if moved:
        await context.commit()
        wake(context.application)  # the new holders' cards leave now
    await context.release_writer()  # before Telegram's calls
    if action != "ok":
        screen: Screen | None = languages_screen(target_id, languages, name)
    elif name is None:
        screen = (languages_saved(languages), None)
    else:  # the coordinator, done with someone's languages: back to their card
        screen = await _member_screen(context, target_id)
    if moved:
        await query.answer("↪️ " + ngettext(
            "{language}: {count} question not seen yet has been handed over.",
            "{language}: {count} questions not seen yet have been handed over.",
            moved).format(count=moved, language=LANGUAGE_NAMES[action]), show_alert=True)
    else:
        await query.answer()
    if screen is not None:
        await _show(update, screen)


async def _reroute_unread(context: BotContext, person_id: int, locale: str) -> int:
    """``locale`` taken away from ``person_id``'s languages: what waits for their green hour
    in it, never seen, is routed again (``held_cards.reroute_unread``); committed with the
    change (by the caller), so the new holder's card leaves now. Returns how many questions
    moved."""
    coordinators = await questions.coordinator_recipients(context.session,
                                                          context.settings.coordinator_ids)
    moved = await held_cards.reroute_unread(context.session, person_id, locale, context.now(),
                                            render_card, coordinators)
    return len(moved)


@door(roles=STAFF)
async def availability_command(update: Update, context: BotContext) -> None:
    """/availability: your week, a button per day."""
    person = context.person
    if person is None:
        await _no_person(update)
        return
    amap = await staff.availability_of(context.session, person.id, person.locale)
    await _show_new(update, week_screen(person.id, amap))


async def _save_availability(context: BotContext, person_id: int,
                             change: Callable[[AvailabilityMap], AvailabilityMap]
                             ) -> AvailabilityMap:
    """``change`` made to the map as it is now (another's tap at the same moment is kept),
    and (in the same transaction) what waits for their green hour: routed
    again when the new map puts it off past what its parent was told and a colleague sees it
    sooner (or they are on leave now), else re-timed to it: nothing held for them rings in
    an hour they just made red. (At each tap, as the map is saved: what the parent was told
    is the question's time until then.) Returns the new map."""
    amap = await staff.change_availability(context.session, person_id, change)
    coordinators = await questions.coordinator_recipients(context.session,
                                                          context.settings.coordinator_ids)
    rerouted = await held_cards.reroute_delayed(context.session, person_id, amap,
                                                context.now(), render_card, coordinators)
    moved = await held_cards.retime(context.session, person_id, amap, context.now())
    if moved.rows or rerouted:
        await context.commit()
        wake(context.application)  # it may be due now (an hour made green)
    await context.release_writer()  # before Telegram's calls
    return amap


@door(roles=STAFF)
async def availability_button(update: Update, context: BotContext) -> None:
    """A day, an hour (cycled), a day's shortcut, Back or Done on the availability screens."""
    query = update.callback_query
    assert query is not None and query.data is not None
    press = parse_availability(query.data)
    allowed, name = (await _editable(context, press.person_id)) if press else (False, None)
    if press is None or not allowed:
        await _expired(update)
        return
    amap = await staff.availability_of(context.session, press.person_id)
    changed = press.day is not None and (press.hour is not None or press.whole is not None)
    day, hour, whole = press.day, press.hour, press.whole
    if day is not None and hour is not None:
        amap = await _save_availability(context, press.person_id,
                                        lambda current: current.cycled(day, hour))
    elif day is not None and whole is not None:
        amap = await _save_availability(context, press.person_id,
                                        lambda current: with_shown_hours(current, day, whole))
    if changed and name is not None:  # the coordinator's change: she hears of it, once
        await _tell_changes_soon(context, press.person_id, staff.HOURS, update.update_id)
    await query.answer()
    if press.done:
        await _show(update, (week_saved(amap), None))
    elif press.day is not None:
        await _show(update, day_screen(press.person_id, amap, press.day, name))
    else:
        await _show(update, week_screen(press.person_id, amap, name))


@door(roles=COORDINATOR_ONLY)
async def staff_command(update: Update, context: BotContext) -> None:
    """/staff: the team, with what each one speaks, serves and can take."""
    members = await staff.team(context.session)
    await _show_new(update, staff_screen(members, await people.schools(context.session),
                                         context.now()))


async def _member_screen(context: BotContext, person_id: int) -> Screen | None:
    member = await staff.member(context.session, person_id)
    if member is None:
        return None
    return member_screen(member, await people.schools(context.session), context.now())


@door(roles=COORDINATOR_ONLY)
async def staff_button(update: Update, context: BotContext) -> None:
    """Back to the team, or one brugfiguur's card."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(STAFF_DATA, query.data)
    assert match is not None
    if match[2] is not None:
        member = await staff.member(context.session, int(match[1]))
        if member is None:
            await _expired(update)
            return
        await query.answer()
        if match[2] == "rm":
            await _show(update, remove_screen(member))
        else:
            await _remove(update, context, member)
        return
    if match[1] is not None:
        screen = await _member_screen(context, int(match[1]))
        if screen is None:
            await _expired(update)
            return
        await query.answer()
        await _show(update, screen)
        return
    await query.answer()
    await _show(update, staff_screen(await staff.team(context.session),
                                     await people.schools(context.session), context.now()))


async def _remove(update: Update, context: BotContext, member: StaffMember) -> None:
    """Off the team: what they hold goes to the coordinator, what waits for them is not sent,
    and they are told (in their language and hours); their menu loses the team's commands."""
    now = context.now()
    coordinators = await questions.coordinator_recipients(context.session,
                                                          context.settings.coordinator_ids)
    moved = await questions.hand_back(context.session, member.id, now, render_card,
                                      coordinators)
    # Only the team's: what she gets as a parent (her school's news) still comes.
    await outbox.drop_waiting_for(context.session, member.id, "left_team", team_only=True)
    await staff.leave(context.session, member.id)
    if member.reachable:
        with use_locale(member.locale, context.settings.timezone):
            farewell = "🚪 " + _("You are no longer in the Brede School team. Parents' "
                                 "questions no longer come to you. Thank you for your work!")
        await outbox.enqueue_many(context.session, [staff.message_to(
            member, f"left:{member.id}:{int(now.timestamp())}", farewell, now)])
    await context.commit()
    wake(context.application)
    with contextlib.suppress(TelegramError):  # a blocked chat keeps its old menu: harmless
        await set_chat_menu(context.bot, member.telegram_id, member.locale or "nl")
    schools = await people.schools(context.session)
    text, markup = staff_screen(await staff.team(context.session), schools, now)
    done = "🚪 " + _("{name} is no longer in the team.").format(name=member.first_name)
    if moved:
        done += " " + ngettext("The {count} question {name} held is with you now.",
                               "The {count} questions {name} held are with you now.",
                               moved).format(count=moved, name=member.first_name)
    orphaned = [school.name for school in schools if school.id in member.contact_for]
    if orphaned:
        # Their questions would now go by language alone: the coordinator chooses a contact.
        done += "\n⚠️ " + ngettext(
            "{schools} has no fixed contact now. Tap 🏫 Match schools to choose one.",
            "{schools} have no fixed contact now. Tap 🏫 Match schools to choose them.",
            len(orphaned)).format(schools=", ".join(orphaned))
    await _show(update, (f"{done}\n\n{text}", markup))


def changes_text(member: StaffMember, changed: frozenset[str]) -> str:
    """What the coordinator changed of a brugfiguur's settings, in the current language."""
    parts = []
    if staff.LANGUAGES in changed:
        parts.append("🌐 " + _("The coordinator changed the languages you speak with parents: "
                              "{languages}. With /languages you can change them.").format(
            languages=language_list(member.languages)))
    if staff.HOURS in changed:
        parts.append("\n\n".join([
            "🗓 " + _("The coordinator changed your hours. Your week now:"),
            week_lines(member.availability),
            _("With /availability you choose when questions may reach you.")]))
    return "\n\n".join(parts)


# A map takes a dozen taps: the notice of the coordinator's changes leaves this long after
# the last one, whatever screen she goes to next (or none).
CHANGES_TOLD_AFTER = timedelta(minutes=2)


async def _tell_changes_soon(context: BotContext, person_id: int, what: str,
                             stamp: int) -> None:
    """The coordinator changed a brugfiguur's languages or hours (``what``): she hears what
    they are now, once for a run of taps, in her language and hours (the new ones). Each tap
    makes the notice waiting for her again (``staff.told_later``), due a little later.
    ``stamp``: the press's update id."""
    member = await staff.member(context.session, person_id)
    if member is None or not member.reachable:
        return  # (one who stopped the bot hears nothing from it, this neither)

    def render(changed: frozenset[str]) -> str:
        with use_locale(member.locale, context.settings.timezone):
            return changes_text(member, changed)

    await staff.told_later(context.session, member, what, render, stamp, context.now(),
                           CHANGES_TOLD_AFTER)
    await context.commit()
    wake(context.application)


def contacts_of(members: list[StaffMember]) -> dict[int, int]:
    """School id → its fixed contact, as the team knows it."""
    return {school_id: member.id for member in members for school_id in member.contact_for}


async def _tell_contacts(context: BotContext, members: list[StaffMember], school: SchoolView,
                         before: int | None, after: int | None, stamp: int) -> None:
    """A school's contact changed: the new one learns that its parents' questions come to
    them, the old one that they no longer do (each in their language, in their hours).
    ``stamp``: the press's update id, one per change (the dedupe key's last part)."""
    now = context.now()
    new_name = next((m.first_name for m in members if m.id == after), "")
    messages = []
    for member in members:
        if member.id not in (before, after) or not member.reachable:
            continue  # (one who stopped the bot hears nothing from it, this neither)
        with use_locale(member.locale, context.settings.timezone):
            if member.id == after:
                text = _("🏫 You are now the fixed contact of {school}. Questions from its "
                         "parents come to you first.").format(school=school.name)
            elif after is not None:
                text = _("🏫 {name} is now the fixed contact of {school}. Its questions no "
                         "longer come to you first.").format(name=new_name, school=school.name)
            else:
                text = _("🏫 You are no longer the fixed contact of {school}.").format(
                    school=school.name)
        # A notice naming the new contact says so in its key: their /forget takes it while
        # it waits.
        about = f":about{after}" if member.id != after and after is not None else ""
        messages.append(staff.message_to(
            member, f"contact:{school.id}:{member.id}:{stamp}{about}", text, now))
    await outbox.enqueue_many(context.session, messages)
    await context.commit()
    wake(context.application)


@door(roles=COORDINATOR_ONLY)
async def match_button(update: Update, context: BotContext) -> None:
    """The schools' contacts: the list, one school's choice, or the choice made."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = re.match(MATCH_DATA, query.data)
    assert match is not None
    members = await staff.team(context.session)
    schools = await people.schools(context.session)
    school = next((s for s in schools if match[1] and s.id == int(match[1])), None)
    if match[1] is not None and school is None:
        await _expired(update)
        return
    if school is not None and match[2] is not None:
        chosen = int(match[2]) or None
        if chosen is not None and all(m.id != chosen for m in members):
            await _expired(update)
            return
        before = contacts_of(members).get(school.id)
        await staff.set_contact(context.session, school.id, chosen)
        if chosen != before:
            await _tell_contacts(context, members, school, before, chosen, update.update_id)
        await query.answer(_("Saved."))
        members = await staff.team(context.session)
        await _show(update, match_screen(members, schools, contacts_of(members)))
        return
    await query.answer()
    if school is not None:
        await _show(update, school_screen(members, school, contacts_of(members).get(school.id)))
    else:
        await _show(update, match_screen(members, schools, contacts_of(members)))
