"""/activity: the coordinator creates an activity step by step; the draft row is the state.

Usage::

    draft = await create(session, person_id)            # awaits "kind" first
    data, problem = answer(draft.data, "start", "14u")  # a typed answer, checked
    step = next_step("title:tr", skipped=True)          # "Dutch only": on to "title:pa"
    activity = to_activity(draft.data, external_id(draft.id), school_ids)

The plain rules (step order, validation, the buttons each step accepts) have no Telegram or
database in them; the draft functions flush, never commit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, SUPPORTED_LOCALES
from bot.services.importer import parse_date, parse_time
from bot.services.programme import DUTCH, ActivityData, Kind, LocalText, Place
from storage.models import ActivityDraft, utcnow

SUMMARY = "summary"
# The questions, in order; "summary" comes after the last.
STEPS = ("kind", "schools", "date", "start", "end", "place", "address",
         "title:nl", "desc:nl", "title:tr", "desc:tr", "title:pa", "desc:pa")
BUTTON_STEPS = ("kind", "schools")  # answered with buttons only
# Steps a "Skip" / "Dutch only" button may pass over.
SKIPPABLE = ("address", "desc:nl", "title:tr", "desc:tr", "title:pa", "desc:pa")
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
TOO_LONG = "too_long"
USE_BUTTONS = "use_buttons"

_BUTTON = re.compile(
    r"^(?:k:(?P<kind>[a-z_]{1,16})|s:(?P<school>\d{1,6})|(?P<all>sa)|(?P<done>sd)"
    r"|d:(?P<day>\d{8})|sk:(?P<skip>[a-z:]{1,12})|(?P<save>save)|(?P<cancel>x))$")


@dataclass(frozen=True)
class DraftView:
    id: int
    person_id: int
    awaiting: str | None
    data: dict[str, Any]


# --------------------------------------------------------------------------------------------
# plain rules


def next_step(step: str, *, skipped: bool = False) -> str:
    """The question after ``step``; a skipped translation title skips its description too."""
    index = STEPS.index(step) + 1
    if skipped and step.startswith("title:"):
        index += 1
    return STEPS[index] if index < len(STEPS) else SUMMARY


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
    if step in BUTTON_STEPS or step not in STEPS:
        return new, USE_BUTTONS
    if step == "date":
        day = parse_date(text)
        if day is None:
            return new, BAD_DATE
        if today is not None and day < today:
            return new, PAST_DATE
        new["date"] = day.isoformat()
    elif step in ("start", "end"):
        clock = parse_time(text)
        if clock is None:
            return new, BAD_TIME
        if step == "end" and clock <= time.fromisoformat(data["start"]):
            return new, END_NOT_AFTER_START
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


def button_fits(awaiting: str | None, action: str, today: date | None = None) -> bool:
    """Whether a button (the action part of its data) answers the step the draft is at."""
    match = _BUTTON.match(action)
    if match is None or awaiting is None:
        return False
    if match["cancel"]:
        return True
    if match["kind"]:
        return awaiting == "kind" and match["kind"] in {k.value for k in Kind}
    if match["school"] or match["all"] or match["done"]:
        return awaiting == "schools"
    if match["day"]:
        day = day_of(match["day"])
        return awaiting == "date" and day is not None and (
            today is None or today <= day < today + timedelta(days=DAYS_OFFERED))
    if match["skip"]:
        return awaiting == match["skip"] and awaiting in SKIPPABLE
    return awaiting == SUMMARY  # save


def day_of(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        return None


def missing_languages(data: Mapping[str, Any]) -> list[str]:
    """The languages (not Dutch) without a title."""
    texts = data.get("texts") or {}
    return [code for code in SUPPORTED_LOCALES
            if code != DUTCH and not (texts.get(code) or {}).get("title")]


def external_id(draft_id: int) -> str:
    return f"bot-{draft_id}"


def to_activity(data: Mapping[str, Any], activity_external_id: str,
                school_ids: Mapping[str, int] | None = None,
                tz: ZoneInfo = BRUSSELS) -> ActivityData:
    """The finished draft as the importer's ActivityData (one-off, Brussels time)."""
    day = date.fromisoformat(data["date"])

    def moment(key: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(data[key]), tz).astimezone(UTC)

    codes = tuple(sorted(data.get("schools") or []))
    all_schools = bool(data.get("all_schools"))
    texts = {code: LocalText(str(value.get("title") or ""), str(value.get("description") or ""))
             for code, value in (data.get("texts") or {}).items()
             if value.get("title") or value.get("description")}
    return ActivityData(
        external_id=activity_external_id,
        kind=Kind(data["kind"]),
        starts_at=moment("start"),
        ends_at=moment("end"),
        all_schools=all_schools,
        school_codes=() if all_schools else codes,
        place=Place(str(data.get("place") or ""), str(data.get("address") or "")),
        texts=texts,
        school_ids=() if all_schools else tuple(
            (school_ids or {})[code] for code in codes if code in (school_ids or {})),
    )


# --------------------------------------------------------------------------------------------
# the draft


def _view(row: ActivityDraft) -> DraftView:
    return DraftView(row.id, row.person_id, row.awaiting, json.loads(row.data or "{}"))


async def create(session: AsyncSession, person_id: int) -> DraftView:
    """A new draft asking for the kind; the person's older drafts are dropped."""
    await session.execute(delete(ActivityDraft).where(ActivityDraft.person_id == person_id))
    row = ActivityDraft(person_id=person_id, awaiting=STEPS[0], data="{}")
    session.add(row)
    await session.flush()
    return _view(row)


async def get(session: AsyncSession, draft_id: int) -> DraftView | None:
    row = await session.get(ActivityDraft, draft_id)
    return _view(row) if row is not None else None


async def awaiting_draft(session: AsyncSession, person_id: int,
                         now: datetime | None = None) -> DraftView | None:
    """The person's draft that waits for a typed answer (not the summary), if not stale."""
    since = (now or utcnow()) - AWAIT_FOR
    row = await session.scalar(select(ActivityDraft).where(
        ActivityDraft.person_id == person_id, ActivityDraft.awaiting.in_(STEPS),
        ActivityDraft.created_at >= since).order_by(ActivityDraft.id.desc()).limit(1))
    return _view(row) if row is not None else None


async def store(session: AsyncSession, draft_id: int, awaiting: str,
                data: Mapping[str, Any]) -> DraftView:
    row = await session.get(ActivityDraft, draft_id)
    assert row is not None
    row.awaiting = awaiting
    row.data = json.dumps(dict(data), ensure_ascii=False)
    await session.flush()
    return _view(row)


async def drop(session: AsyncSession, draft_id: int) -> None:
    await session.execute(delete(ActivityDraft).where(ActivityDraft.id == draft_id))
