"""/activity: the coordinator creates or edits an activity step by step; the draft row is
the state.

Usage::

    draft = await create(session, person_id)            # awaits "kind" first
    draft = await start_edit(session, person_id, 12)    # an existing activity: the summary
    data, problem = answer(draft.data, "start", "14u")  # a typed answer, checked
    step = next_step("title:tr", skipped=True)          # "Dutch only": on to "title:pa"
    step, data = after_skip(draft.data, "address")      # "Skip" / "Keep as it is"
    activity, problem = await save(session, draft)      # created, or updated in place

A new draft asks every question in order (``STEPS``), then shows the summary. From the
summary (and for an existing activity, from the start) the coordinator taps a part
(``PARTS``) to change; its questions are asked, then the summary again ("review"). The
activity itself is written only by :func:`save`, so cancelling leaves it untouched.

The plain rules (step order, validation, the buttons each step accepts) have no Telegram or
database in them; the draft functions flush, never commit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, SUPPORTED_LOCALES
from bot.services import importer
from bot.services import programme as programme_service
from bot.services.importer import overnight, parse_date, parse_end, parse_time
from bot.services.importer.store import in_the_night
from bot.services.programme import DUTCH, ActivityData, Kind, LocalText, Place
from storage import programme as programme_repo
from storage.models import ActivityDraft, utcnow

SUMMARY = "summary"
VOICE_PREFIX = "voice:"
TEXT_STEPS = ("kind", "schools", "date", "start", "end", "place", "address",
              "title:nl", "desc:nl", "title:tr", "desc:tr", "title:pa", "desc:pa")
# A voice message per language, for parents who read little; as in /announce, the
# languages that need one most come first.
VOICE_STEPS = tuple(VOICE_PREFIX + code for code in ("tr", "pa", "nl"))
# The questions of a new activity, in order; "summary" comes after the last.
STEPS = TEXT_STEPS + VOICE_STEPS
BUTTON_STEPS = ("kind", "schools")  # answered with buttons only
# Steps that may stay empty: a "Skip" / "Dutch only" button passes over them.
SKIPPABLE = ("address", "desc:nl", "title:tr", "desc:tr", "title:pa", "desc:pa", *VOICE_STEPS)
# The parts of the summary the coordinator may tap to change, and the questions each asks.
PARTS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "schools": ("schools",),
    "date": ("date",),
    "time": ("start", "end"),
    "place": ("place", "address"),
    "nl": ("title:nl", "desc:nl"),
    "tr": ("title:tr", "desc:tr"),
    "pa": ("title:pa", "desc:pa"),
    "voice": VOICE_STEPS,
}
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_PLACE = 200
MAX_ADDRESS = 300
DAYS_OFFERED = 14
AWAIT_FOR = timedelta(hours=24)

# Problems with a typed answer (the handler words them).
BAD_DATE = "bad_date"
PAST_DATE = "past_date"
BAD_TIME = "bad_time"
END_NOT_AFTER_START = "end_not_after_start"
CLOCKS_SKIP = "clocks_skip"  # a start or end at 2:30 on the night summer time starts
TOO_LONG = "too_long"
USE_BUTTONS = "use_buttons"
# Problems with Save of an edit: the activity changed (a file import, a cancellation) or is
# gone since the edit began; nothing is written.
CHANGED = "changed"

# sk: "Skip" (or "Keep as it is"), rm: "Remove" (or "Dutch only"), e: change a part,
# x:<step>: cancel, from the question of that step (or the summary).
_BUTTON = re.compile(
    r"^(?:k:(?P<kind>[a-z_]{1,16})|s:(?P<school>\d{1,6})|(?P<all>sa)|(?P<done>sd)"
    r"|d:(?P<day>\d{8})|sk:(?P<skip>[a-z:]{1,12})|rm:(?P<remove>[a-z:]{1,12})"
    r"|e:(?P<part>[a-z]{1,8})|(?P<save>save)|x:(?P<cancel>[a-z:]{1,12}))$")


@dataclass(frozen=True)
class DraftView:
    id: int
    person_id: int
    awaiting: str | None
    data: dict[str, Any]
    # Set when the draft edits this existing activity (None: a new one).
    activity_id: int | None = None
    created_at: datetime | None = None
    asked_at: datetime | None = None  # its last question (None: when created)


# --------------------------------------------------------------------------------------------
# plain rules


def next_step(step: str, *, skipped: bool = False, review: bool = False) -> str:
    """The question after ``step``; a skipped translation title skips its description too.
    In review (a part tapped on the summary) only that part's questions are asked."""
    steps = STEPS
    if review:
        steps = next(chain for chain in PARTS.values() if step in chain)
    index = steps.index(step) + 1
    if skipped and step.startswith("title:"):
        index += 1
    return steps[index] if index < len(steps) else SUMMARY


def reviewing(data: Mapping[str, Any]) -> bool:
    """The summary was reached once (or the draft edits an existing activity)."""
    return bool(data.get("review"))


def advance(data: Mapping[str, Any], step: str, *,
            skipped: bool = False) -> tuple[str, dict[str, Any]]:
    """The step after ``step`` and the data, which remembers once the summary is reached."""
    following = next_step(step, skipped=skipped, review=reviewing(data))
    new = dict(data)
    if following == SUMMARY:
        new["review"] = True
    return following, new


def is_voice_step(step: str | None) -> bool:
    return step is not None and step.startswith(VOICE_PREFIX)


def _locale_of(step: str) -> str:
    return step.split(":", 1)[1]


def _follows_dutch(step: str) -> bool:
    """A translation (title or description, not Dutch) or any voice message: made for the
    Dutch text, as the file import sees it (``importer.still_translates``)."""
    return is_voice_step(step) or (step.startswith(("title:", "desc:"))
                                   and _locale_of(step) != DUTCH)


def _dutch_for(data: Mapping[str, Any], step: str) -> list[str]:
    """The Dutch that ``step``'s answer translates: a title its title, a description its
    description, a voice message both."""
    dutch = (data.get("texts") or {}).get(DUTCH) or {}
    fields = (("title", "description") if is_voice_step(step)
              else ("title",) if step.startswith("title:") else ("description",))
    return [str(dutch.get(name) or "") for name in fields]


def _made_for(data: Mapping[str, Any], steps: Iterable[str]) -> dict[str, Any]:
    """``data`` with ``steps``' answers marked as made for the Dutch as it is now."""
    made = dict(data.get("made_for") or {})
    made.update({step: _dutch_for(data, step) for step in steps})
    return {**data, "made_for": made}


def stale_parts(data: Mapping[str, Any]) -> list[str]:
    """The translations and voice messages made for a Dutch text that has changed since
    (in this draft): they go at Save, as a file that changes the Dutch takes them away.
    Typed, recorded or kept ("Skip") again after the change, they fit again."""
    made = data.get("made_for") or {}
    return [step for step in STEPS if _follows_dutch(step) and has_value(data, step)
            and step in made and made[step] != _dutch_for(data, step)]


def has_value(data: Mapping[str, Any], step: str) -> bool:
    """Whether the draft already holds an answer to ``step``."""
    return bool(value_of(data, step))


def value_of(data: Mapping[str, Any], step: str) -> str:
    """The draft's answer to ``step`` as stored ("" if none): a date as 2026-11-25, an hour
    as 14:00, a text, a voice message's file_id."""
    if step == "schools":
        return "all" if data.get("all_schools") else " ".join(data.get("schools") or [])
    if is_voice_step(step):
        return str((data.get("voices") or {}).get(_locale_of(step)) or "")
    if step.startswith(("title:", "desc:")):
        field = "title" if step.startswith("title:") else "description"
        return str(((data.get("texts") or {}).get(_locale_of(step)) or {}).get(field) or "")
    return str(data.get(step) or "")


def can_skip(data: Mapping[str, Any], step: str) -> bool:
    """"Skip" for a step that may stay empty; "Keep as it is" for one that has an answer."""
    return step in SKIPPABLE or (step not in BUTTON_STEPS and has_value(data, step))


def can_remove(data: Mapping[str, Any], step: str) -> bool:
    """"Remove" (a translation: "Dutch only") for an optional answer the draft holds."""
    return step in SKIPPABLE and has_value(data, step)


def skip_problem(data: Mapping[str, Any], step: str) -> str | None:
    """Why the answer to ``step`` cannot be kept as it is: an end that is no longer after a
    new start. None: it can."""
    if step == "end" and has_value(data, step) and not _ends_after_start(data, data["end"]):
        return END_NOT_AFTER_START
    return None


def after_skip(data: Mapping[str, Any], step: str) -> tuple[str, dict[str, Any]]:
    """Skip ``step``, or keep its answer: the next step and the data."""
    if _follows_dutch(step) and has_value(data, step):
        data = _made_for(data, [step])  # kept on purpose: it still fits the Dutch
    # An empty translation title: its description is not asked either.
    return advance(data, step, skipped=not has_value(data, step))


def after_remove(data: Mapping[str, Any], step: str) -> tuple[str, dict[str, Any]]:
    """Remove the answer to an optional step (a title takes its description along)."""
    new = dict(data)
    if is_voice_step(step):
        new["voices"] = {code: file_id for code, file_id in (data.get("voices") or {}).items()
                         if code != _locale_of(step)}
    elif step.startswith(("title:", "desc:")):
        locale = _locale_of(step)
        texts = {code: dict(value) for code, value in (data.get("texts") or {}).items()}
        own = texts.pop(locale, {})
        if step.startswith("desc:") and own.get("title"):
            texts[locale] = {"title": own["title"]}
        new["texts"] = texts
    else:
        new[step] = ""
    gone = (step, "desc:" + _locale_of(step)) if step.startswith("title:") else (step,)
    new["made_for"] = {key: value for key, value in (data.get("made_for") or {}).items()
                       if key not in gone}
    return advance(new, step, skipped=True)


def with_voice(data: Mapping[str, Any], step: str, file_id: str) -> dict[str, Any]:
    """The draft's data with the voice message for the awaited language."""
    return _made_for({**data, "voices": {**(data.get("voices") or {}),
                                         _locale_of(step): file_id}}, [step])


def voice_languages(data: Mapping[str, Any]) -> list[str]:
    """The languages with a voice message, in catalog order."""
    voices = data.get("voices") or {}
    return [code for code in SUPPORTED_LOCALES if voices.get(code)]


def parts_offered(data: Mapping[str, Any]) -> list[str]:
    """The parts the summary offers to change. A repeating activity's days come from its
    repeat rule (the spreadsheet's), so only its hours change here."""
    return [part for part in PARTS if not (part == "date" and data.get("rrule"))]


def skips_clock(data: Mapping[str, Any], tz: ZoneInfo = BRUSSELS) -> bool:
    """Whether the draft's start or end is a time no clock shows on its day (see
    ``programme.skipped_by_clocks``)."""
    if not data.get("date"):
        return False
    day = date.fromisoformat(data["date"])
    # An activity imported over several days ends ``span_days`` after its first day.
    days = {"start": day, "end": day + timedelta(days=int(data.get("span_days") or 0))}
    return any(programme_service.skipped_by_clocks(days[key], time.fromisoformat(data[key]), tz)
               for key in days if data.get(key))


def starts_in_the_night(data: Mapping[str, Any], tz: ZoneInfo = BRUSSELS) -> bool:
    """Whether the draft starts in the night: "2u30" typed for half past two in the
    afternoon. The file import's rule (``importer.store.in_the_night``)."""
    if not data.get("date") or not data.get("start"):
        return False
    return in_the_night(datetime.combine(date.fromisoformat(data["date"]),
                                         time.fromisoformat(data["start"]), tz), tz)


def already_begun(data: Mapping[str, Any], now: datetime, tz: ZoneInfo = BRUSSELS) -> bool:
    """Whether a one-time activity's start is over (today, at an hour already past): no
    reminder, no /week would ever show it. A series keeps its first day, long past: its next
    time is what counts, and the edit began only while it had one."""
    if data.get("rrule") or not data.get("date") or not data.get("start"):
        return False
    return datetime.combine(date.fromisoformat(data["date"]),
                            time.fromisoformat(data["start"]), tz) <= now


def _overnight(data: Mapping[str, Any]) -> bool:
    """An activity of one evening that ends in the night or the next morning (New Year's
    Eve until 00:30, a sleep-over until 09:00): ``overnight`` put its end on the next day."""
    return (int(data.get("span_days") or 0) == 1 and bool(data.get("start"))
            and bool(data.get("end")) and overnight(time.fromisoformat(data["start"]),
                                                    time.fromisoformat(data["end"])))


def _ends_after_start(data: Mapping[str, Any], end: str) -> bool:
    # An activity imported over several days (a calendar event) ends on a later day.
    return bool(data.get("span_days")) or time.fromisoformat(end) > time.fromisoformat(
        data["start"])


def max_length(step: str) -> int:
    if step.startswith("title:"):
        return MAX_TITLE
    if step.startswith("desc:"):
        return MAX_DESCRIPTION
    return MAX_ADDRESS if step == "address" else MAX_PLACE


def answer(data: Mapping[str, Any], step: str, text: str, *,
           today: date | None = None) -> tuple[dict[str, Any], str | None]:
    """The draft's data with the typed answer to ``step``, or the data unchanged and the
    problem (one of the constants above)."""
    text = text.strip()
    new = dict(data)
    if step in BUTTON_STEPS or step not in TEXT_STEPS:
        return new, USE_BUTTONS
    if step == "date":
        day = parse_date(text)
        if day is None:
            return new, BAD_DATE
        if today is not None and day < today:
            return new, PAST_DATE
        new["date"] = day.isoformat()
    elif step in ("start", "end"):
        clock = parse_end(text) if step == "end" else parse_time(text)
        if clock is None:
            return new, BAD_TIME
        if step == "start" and _overnight(data):
            # The end was put on the next day for the old evening start: for a new start it
            # is the next day's only if it still is a night's (10:00 until 09:00 is not).
            new["span_days"] = 1 if overnight(clock, time.fromisoformat(data["end"])) else 0
        if step == "end":
            # An end at 00:00 (or 24:00), or before an evening start, is that night's or the
            # next morning's (span_days 1); a later end of the day undoes it.
            days = 0 if _overnight(data) else int(data.get("span_days") or 0)
            if not days and overnight(time.fromisoformat(data.get("start") or "12:00"), clock):
                days = 1
            new["span_days"] = days
            if not _ends_after_start(new, clock.isoformat()):
                return dict(data), END_NOT_AFTER_START
        new[step] = clock.strftime("%H:%M")
    else:
        if len(text) > max_length(step):
            return new, TOO_LONG
        if step in ("place", "address"):
            new[step] = text
        else:
            field, locale = step.split(":")
            texts = {code: dict(value) for code, value in (data.get("texts") or {}).items()}
            texts.setdefault(locale, {})["title" if field == "title" else "description"] = text
            new["texts"] = texts
            if _follows_dutch(step):
                new = _made_for(new, [step])
    if step in ("date", "start", "end") and skips_clock(new):
        return dict(data), CLOCKS_SKIP
    return new, None


def toggle_school(data: Mapping[str, Any], code: str) -> dict[str, Any]:
    """Tap a school: in or out of the chosen ones (and no longer "all schools")."""
    chosen = [] if data.get("all_schools") else list(data.get("schools") or [])
    chosen = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
    return {**data, "all_schools": False, "schools": sorted(chosen)}


def choose_all_schools(data: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "all_schools": True, "schools": []}


def schools_chosen(data: Mapping[str, Any]) -> bool:
    return bool(data.get("all_schools") or data.get("schools"))


def days_offered(today: date) -> list[date]:
    """The days with a button: today and the 13 after it."""
    return [today + timedelta(days=n) for n in range(DAYS_OFFERED)]


def button_fits(awaiting: str | None, action: str, today: date | None = None,
                data: Mapping[str, Any] | None = None) -> bool:
    """Whether a button (the action part of its data) answers the step the draft is at, with
    the answers it holds (``data``)."""
    match = _BUTTON.match(action)
    data = data or {}
    if match is None or awaiting is None:
        return False
    if match["cancel"]:
        # Cancel names the step it was shown at: an older question's (answered since, and
        # far up the chat) no longer throws the whole draft away.
        return awaiting == match["cancel"]
    if match["kind"]:
        return awaiting == "kind" and match["kind"] in {k.value for k in Kind}
    if match["school"] or match["all"] or match["done"]:
        return awaiting == "schools"
    if match["day"]:
        day = day_of(match["day"])
        return awaiting == "date" and day is not None and (
            today is None or today <= day < today + timedelta(days=DAYS_OFFERED))
    if match["skip"]:
        return awaiting == match["skip"] and can_skip(data, awaiting)
    if match["remove"]:
        return awaiting == match["remove"] and can_remove(data, awaiting)
    if match["part"]:
        return awaiting == SUMMARY and match["part"] in parts_offered(data)
    return awaiting == SUMMARY  # save


def day_of(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        return None


def missing_languages(data: Mapping[str, Any]) -> list[str]:
    """The languages (not Dutch) without a title, or with a text made for the old Dutch."""
    texts, stale = data.get("texts") or {}, stale_parts(data)
    return [code for code in SUPPORTED_LOCALES
            if code != DUTCH and (not (texts.get(code) or {}).get("title")
                                  or f"title:{code}" in stale or f"desc:{code}" in stale)]


def external_id(draft_id: int) -> str:
    return f"{programme_service.MADE_IN_BOT}{draft_id}"


def to_activity(data: Mapping[str, Any], activity_external_id: str,
                school_ids: Mapping[str, int] | None = None,
                tz: ZoneInfo = BRUSSELS) -> ActivityData:
    """The finished draft as the importer's ActivityData (Brussels time; an edited repeating
    activity keeps its rule). Translations and voices made for an older Dutch are left out."""
    day = date.fromisoformat(data["date"])
    stale = stale_parts(data)

    def moment(key: str, days: int = 0) -> datetime:
        return datetime.combine(day + timedelta(days=days), time.fromisoformat(data[key]),
                                tz).astimezone(UTC)

    codes = tuple(sorted(data.get("schools") or []))
    all_schools = bool(data.get("all_schools"))
    texts = {code: LocalText(*("" if f"{step}:{code}" in stale else str(value.get(name) or "")
                               for step, name in (("title", "title"), ("desc", "description"))))
             for code, value in (data.get("texts") or {}).items()}
    texts = {code: text for code, text in texts.items() if text.title or text.description}
    return ActivityData(
        external_id=activity_external_id,
        kind=Kind(data["kind"]),
        starts_at=moment("start"),
        ends_at=moment("end", int(data.get("span_days") or 0)),
        # Its hours may have moved: an UNTIL at the old hour would cut the last day off.
        rrule=programme_service.until_whole_day(
            data["rrule"], time.fromisoformat(data["start"]), tz) if data.get("rrule") else None,
        all_schools=all_schools,
        school_codes=() if all_schools else codes,
        place=Place(str(data.get("place") or ""), str(data.get("address") or "")),
        texts=texts,
        school_ids=() if all_schools else tuple(
            (school_ids or {})[code] for code in codes if code in (school_ids or {})),
        voices={code: str(file_id) for code, file_id in (data.get("voices") or {}).items()
                if file_id and VOICE_PREFIX + code not in stale},
    )


def from_activity(activity: ActivityData, base: datetime,
                  tz: ZoneInfo = BRUSSELS) -> dict[str, Any]:
    """An existing activity as a draft's data, in review from the start. ``base``: the
    activity's last change, so Save can tell whether something else changed it since."""
    start, end = activity.starts_at.astimezone(tz), activity.ends_at.astimezone(tz)
    data: dict[str, Any] = {
        "kind": activity.kind.value,
        "all_schools": activity.all_schools,
        "schools": [] if activity.all_schools else sorted(activity.school_codes),
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "span_days": (end.date() - start.date()).days,
        "place": activity.place.name,
        "address": activity.place.address,
        "texts": {code: {"title": text.title, "description": text.description}
                  for code, text in activity.texts.items() if text.title or text.description},
        "voices": dict(activity.voices),
        "rrule": activity.rrule,
        "review": True,
        "base": base.isoformat(),
    }
    # What it has was made for its Dutch as it is: a change of the Dutch makes it stale.
    return _made_for(data, [step for step in STEPS if _follows_dutch(step)
                            and has_value(data, step)])


# --------------------------------------------------------------------------------------------
# the draft


def _view(row: ActivityDraft) -> DraftView:
    return DraftView(row.id, row.person_id, row.awaiting, json.loads(row.data or "{}"),
                     row.activity_id, row.created_at, row.asked_at)


async def create(session: AsyncSession, person_id: int) -> DraftView:
    """A new draft asking for the kind; the person's older drafts are dropped."""
    await session.execute(delete(ActivityDraft).where(ActivityDraft.person_id == person_id))
    row = ActivityDraft(person_id=person_id, awaiting=STEPS[0], data="{}")
    session.add(row)
    await session.flush()
    return _view(row)


async def start_edit(session: AsyncSession, person_id: int, activity_id: int, now: datetime,
                     tz: ZoneInfo = BRUSSELS) -> DraftView | None:
    """A draft that edits an activity still to come, at its summary; None for an activity
    that is unknown, cancelled or past. The person's older edits are dropped; a new activity
    half made stays (she only looks at what is planned), and comes back after this one."""
    row = await programme_repo.by_id(session, activity_id)
    if row is None:
        return None
    activity = programme_service.activity_data(row)
    if programme_service.next_occurrence(activity, now, tz) is None:
        return None
    await session.execute(delete(ActivityDraft).where(ActivityDraft.person_id == person_id,
                                                      ActivityDraft.activity_id.is_not(None)))
    draft = ActivityDraft(person_id=person_id, activity_id=activity_id, awaiting=SUMMARY,
                          data=json.dumps(from_activity(activity, row.updated_at, tz),
                                          ensure_ascii=False))
    session.add(draft)
    await session.flush()
    return _view(draft)


async def save(session: AsyncSession, draft: DraftView,
               tz: ZoneInfo = BRUSSELS) -> tuple[ActivityData | None, str | None]:
    """Save: a new activity (``bot-<draft id>``), or the edited one updated in place (same
    id and external id); the draft is gone either way. An edit of an activity that changed
    since it began writes nothing: (None, CHANGED)."""
    schools = await programme_repo.schools_by_code(session)
    school_ids = {code: school.id for code, school in schools.items()}
    if draft.activity_id is None:
        data = to_activity(draft.data, external_id(draft.id), school_ids, tz)
        await importer.apply(session, [data], tz)
        await programme_service.set_voices(session, data.external_id, data.voices)
    else:
        row = await programme_repo.by_id(session, draft.activity_id)
        base = draft.data.get("base")
        if row is None or base is None or row.updated_at != datetime.fromisoformat(base):
            await drop(session, draft.id)
            return None, CHANGED
        data = to_activity(draft.data, row.external_id, school_ids, tz)
        await programme_service.update_activity(session, row.id, data)
    await drop(session, draft.id)
    return data, None


async def get(session: AsyncSession, draft_id: int) -> DraftView | None:
    row = await session.get(ActivityDraft, draft_id)
    return _view(row) if row is not None else None


async def awaiting_draft(session: AsyncSession, person_id: int,
                         now: datetime | None = None) -> DraftView | None:
    """The person's draft that waits for a typed answer (not the summary), if not stale: of
    a new activity half made and an edit, the one that asked last (an edit at its summary
    takes no text, and neither does the new one behind it)."""
    since = (now or utcnow()) - AWAIT_FOR
    row = await session.scalar(select(ActivityDraft).where(
        ActivityDraft.person_id == person_id, ActivityDraft.created_at >= since).order_by(
        func.coalesce(ActivityDraft.asked_at, ActivityDraft.created_at).desc(),
        ActivityDraft.id.desc()).limit(1))
    return _view(row) if row is not None and row.awaiting in STEPS else None


async def new_draft(session: AsyncSession, person_id: int,
                    now: datetime | None = None) -> DraftView | None:
    """The person's new activity still being made (not stale), if any."""
    since = (now or utcnow()) - AWAIT_FOR
    row = await session.scalar(select(ActivityDraft).where(
        ActivityDraft.person_id == person_id, ActivityDraft.activity_id.is_(None),
        ActivityDraft.created_at >= since).order_by(ActivityDraft.id.desc()).limit(1))
    return _view(row) if row is not None else None


async def store(session: AsyncSession, draft_id: int, awaiting: str,
                data: Mapping[str, Any]) -> DraftView:
    row = await session.get(ActivityDraft, draft_id)
    assert row is not None
    row.awaiting = awaiting
    row.asked_at = utcnow()  # real time, as created_at (which flow asked last)
    row.data = json.dumps(dict(data), ensure_ascii=False)
    await session.flush()
    return _view(row)


async def drop(session: AsyncSession, draft_id: int) -> None:
    await session.execute(delete(ActivityDraft).where(ActivityDraft.id == draft_id))
