"""One occurrence as an .ics file (RFC 5545, via icalendar) for "add to calendar"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import BRUSSELS
from bot.services.programme import ProgrammeItem


def occurrence_ics(item: ProgrammeItem, *, now: datetime, domain: str = "bredeschool.bot",
                   tz: ZoneInfo = BRUSSELS, first_start: datetime | None = None) -> bytes:
    """A calendar with one event; the UID is stable per occurrence, by the day it had when
    the parent was reminded of it (``first_start``; else its own), and the SEQUENCE grows
    with time: added again after a move, it updates the entry she has instead of making a
    second one. A whole-day event stays one (dates, the end exclusive), not a
    midnight-to-midnight appointment."""
    # Imported here: icalendar is big (0.1 s and 3 MB at start-up) and rarely needed.
    from icalendar import Calendar, Event, vGeo

    calendar = Calendar()
    calendar.add("prodid", "-//Brede School bot//NL")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid",
              f"{item.external_id}-{int((first_start or item.starts_at).timestamp())}@{domain}")
    event.add("dtstamp", now)
    event.add("sequence", int(now.timestamp()) // 60)  # a later file wins (minutes: < 2^31)
    if item.all_day(tz):
        event.add("dtstart", item.starts_at.astimezone(tz).date())
        event.add("dtend", item.ends_at.astimezone(tz).date())
    else:
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
    event.add("summary", item.title)
    if item.description:
        event.add("description", item.description)
    place = ", ".join(part for part in (item.place.name, item.place.address) if part)
    if place:
        event.add("location", place)
    if item.place.latitude is not None and item.place.longitude is not None:
        event.add("geo", vGeo((item.place.latitude, item.place.longitude)))
    calendar.add_component(event)
    return calendar.to_ical()
