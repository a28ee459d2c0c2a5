"""The programme as a parent reads it: kind, day, hours and place, in their language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import (
    BRUSSELS,
    N_,
    _,
    format_time,
    format_weekday_date,
    local_moment,
    use_locale,
)
from bot.services import programme as programme_service
from bot.services.people import SchoolView
from bot.services.programme import Kind, Occurrence, ProgrammeItem

KIND_LABELS: dict[Kind, tuple[str, str]] = {
    Kind.OUDERBABBEL: ("☕", N_("Parents' chat (ouderbabbel)")),
    Kind.WORKSHOP: ("🎨", N_("Workshop for children")),
    Kind.OPEN_ACTIVITY: ("🌳", N_("Open activity")),
    Kind.HOLIDAY_ACTIVITY: ("🏖", N_("Holiday activity")),
    Kind.OTHER: ("📌", N_("Activity")),
}


def kind_label(kind: Kind) -> str:
    icon, label = KIND_LABELS[kind]
    return f"{icon} {_(label)}"


def hours(start: datetime, end: datetime) -> str:
    """'13:30–15:00' in the reader's locale and Brussels time."""
    return f"{format_time(start)}–{format_time(end)}"


def when_text(start: datetime, end: datetime) -> str:
    """When an activity is, in the reader's locale and Brussels time: 'woensdag 25 november
    2026, 13:30–15:00'; a whole day (a calendar's all-day event) without hours; one that ends
    on a later day with both days, so a week's camp does not read as one afternoon."""
    first, last = local_moment(start), local_moment(end)
    if Occurrence(start, end).all_day(first.tzinfo or BRUSSELS):  # whole days, read here
        final_day = (last - timedelta(days=1)).date()
        if final_day == first.date():
            return format_weekday_date(first.date())
        return f"{format_weekday_date(first.date())} – {format_weekday_date(final_day)}"
    if last.time() == time(0) and last.date() == first.date() + timedelta(days=1):
        # An evening until midnight: "23:30–24:00", one day for a parent to read.
        return f"{format_weekday_date(first)}, {format_time(first)}–24:00"
    if last.date() != first.date():
        return (f"{format_weekday_date(first)}, {format_time(first)} – "
                f"{format_weekday_date(last)}, {format_time(last)}")
    return f"{format_weekday_date(first)}, {hours(start, end)}"


def schools_line(item: ProgrammeItem, schools: list[SchoolView]) -> str:
    if item.all_schools:
        return _("For all schools")
    names = [s.name for s in schools if s.id in item.school_ids]
    return _("For: {schools}").format(schools=", ".join(names))


def item_text(item: ProgrammeItem, schools: list[SchoolView], *, show_schools: bool) -> str:
    """One activity: what, when, where; Dutch text shown in place of a missing one is marked."""
    title = item.title
    if item.title_is_dutch_fallback:
        title += " " + _("(in Dutch)")
    lines = [kind_label(item.kind), f"<b>{escape(title)}</b>"]
    lines.append(f"🗓 {when_text(item.starts_at, item.ends_at)}")
    place = ", ".join(part for part in (item.place.name, item.place.address) if part)
    if place:
        lines.append(f"📍 {escape(place)}")
    if show_schools:
        lines.append(f"🏫 {escape(schools_line(item, schools))}")
    if item.description:
        description = item.description
        if item.description_is_dutch_fallback:
            description += " " + _("(in Dutch)")
        lines.append(escape(description))
    return "\n".join(lines)


def programme_text(
    heading: str, items: list[ProgrammeItem], schools: list[SchoolView], *, show_schools: bool
) -> str:
    """A heading and every activity, or a kind word when there is none (HTML)."""
    if not items:
        return f"<b>{escape(heading)}</b>\n\n" + escape(
            _("There is nothing on the programme in these days.")
        )
    body = "\n\n".join(item_text(item, schools, show_schools=show_schools) for item in items)
    welcome = escape(_("Everyone is welcome. You do not need to sign up."))
    return f"<b>{escape(heading)}</b>\n\n{body}\n\n{welcome}"


def escape(text: str) -> str:
    """Telegram HTML: only &, < and > need escaping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def programme_heading(first_day: date, last_day: date | None = None) -> str:
    """'Programme from Monday 23 November 2026 to Sunday 29 November 2026' (seven days, or
    to ``last_day``)."""
    return _("Programme from {start} to {end}").format(
        start=format_weekday_date(first_day),
        end=format_weekday_date(last_day or first_day + timedelta(days=6)),
    )


def week_heading(week_start: date) -> str:
    """The parents' heading: from the first day to the Sunday of that week."""
    return programme_heading(
        week_start, programme_service.next_week_start(week_start) - timedelta(days=1))


def render_for(
    week_start: date, schools: list[SchoolView], tz: ZoneInfo
) -> Callable[[str, frozenset[int], list[ProgrammeItem]], str]:
    """What a parent reads: the week's heading and activities, in their language (HTML)."""

    def render(locale: str, school_ids: frozenset[int], items: list[ProgrammeItem]) -> str:
        with use_locale(locale, tz):
            return programme_text(week_heading(week_start), items, schools,
                                  show_schools=len(school_ids) > 1)

    return render
