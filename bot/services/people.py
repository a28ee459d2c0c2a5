"""What the bot knows about a person, as plain data, and the changes a person may make."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import report
from bot.services.roles import Role
from storage import outbox as outbox_repo
from storage import people as repo
from storage.models import Person, utcnow


class UnknownSchool(Exception):
    """A button or link named a school that does not exist."""


class LastSchool(Exception):
    """Unticking a person's only school: they would hear from no school at all."""


@dataclass(frozen=True)
class SchoolView:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class PersonView:
    id: int
    telegram_id: int
    first_name: str
    locale: str | None
    role: Role
    step: str | None
    step_data: dict[str, Any]
    school_ids: tuple[int, ...]
    created_at: datetime
    onboarded_at: datetime | None
    stopped: bool
    dutch_below: bool = False
    quiet_hours: str | None = None  # "HH-HH"; None: the coordinator's default

    @property
    def onboarded(self) -> bool:
        return self.onboarded_at is not None


def view(person: Person | repo.PersonRecord, role: Role) -> PersonView:
    """A person as plain data: a record (what the door reads), or an ORM row."""
    if isinstance(person, repo.PersonRecord):
        row, school_ids = person.row, person.school_ids
    else:
        row, school_ids = person, tuple(link.school_id for link in person.schools)
    return PersonView(
        id=row.id,
        telegram_id=row.telegram_id,
        first_name=row.first_name,
        locale=row.locale,
        role=role,
        step=row.step,
        step_data=json.loads(row.step_data) if row.step_data else {},
        school_ids=tuple(sorted(school_ids)),
        created_at=row.created_at,
        onboarded_at=row.onboarded_at,
        stopped=row.stopped_at is not None,
        dutch_below=bool(row.dutch_below),
        quiet_hours=row.quiet_hours,
    )


async def _row(session: AsyncSession, person_id: int) -> Person:
    person = await repo.by_id(session, person_id)
    if person is None:
        raise LookupError(person_id)
    return person


async def load(session: AsyncSession, telegram_id: int) -> repo.PersonRecord | None:
    return await repo.by_telegram_id(session, telegram_id)


async def first_name(session: AsyncSession, person_id: int) -> str | None:
    return await session.scalar(select(Person.first_name).where(Person.id == person_id))


async def unblock(session: AsyncSession, person_id: int) -> None:
    """They write to us again, so they unblocked the bot: send to them again."""
    await repo.unblock(session, person_id)


async def register(
    session: AsyncSession, telegram_id: int, first_name: str, role: Role
) -> Person:
    stored_role = Role.PARENT if role is Role.STRANGER else role
    return await repo.add(session, telegram_id, first_name, stored_role.value)


async def set_step(
    session: AsyncSession, person_id: int, step: str | None, data: dict[str, Any] | None = None
) -> None:
    person = await _row(session, person_id)
    person.step = step
    person.step_data = json.dumps(data) if data else None
    if step is not None and person.onboarded_at is None:
        # A sign-up taken up again counts from now: it is not abandoned (retention.py erases
        # one left for 30 days). Real time, as the column's default.
        person.created_at = utcnow()


async def set_locale(session: AsyncSession, person_id: int, locale: str) -> None:
    (await _row(session, person_id)).locale = locale


async def set_dutch_below(session: AsyncSession, person_id: int, on: bool) -> None:
    """/settings: the Dutch original below translated broadcasts, or not."""
    (await _row(session, person_id)).dutch_below = on


async def set_quiet_hours(session: AsyncSession, person_id: int, value: str | None) -> int:
    """/settings: the hours without messages ("23-06"), or None for the usual ones. What
    waits for the end of the old ones follows the new ones: returns how many messages are
    due now for the sender to look at again."""
    person = await _row(session, person_id)
    person.quiet_hours = value
    await session.flush()
    return await outbox_repo.quiet_hours_changed(session, person.telegram_id)


async def schools(session: AsyncSession) -> list[SchoolView]:
    return [SchoolView(s.id, s.code, s.name) for s in await repo.all_schools(session)]


async def school_by_code(session: AsyncSession, code: str) -> SchoolView | None:
    school = await repo.school_by_code(session, code)
    return SchoolView(school.id, school.code, school.name) if school else None


async def add_school(session: AsyncSession, person_id: int, school_id: int) -> None:
    if school_id not in {s.id for s in await schools(session)}:
        raise UnknownSchool(school_id)
    await repo.link_school(session, await _row(session, person_id), school_id)


async def toggle_school(session: AsyncSession, person_id: int, school_id: int, *,
                        keep_one: bool = False, wanted: bool | None = None) -> bool:
    """Add the school, or remove it if it was there; True when it is now chosen. ``wanted``:
    what the tapped button offered (add: True, remove: False); a second tap of the same
    button then changes nothing. With ``keep_one`` (a person past onboarding: every tap is
    kept at once), the only school stays: LastSchool."""
    chosen = await repo.school_ids(session, person_id)
    if wanted is not None and (school_id in chosen) == wanted:
        return wanted  # a double tap: done already
    if school_id in chosen:
        if keep_one and len(chosen) == 1:
            raise LastSchool(school_id)
        await repo.unlink_school(session, await _row(session, person_id), school_id)
        return False
    await add_school(session, person_id, school_id)
    return True


async def school_ids(session: AsyncSession, person_id: int) -> list[int]:
    return await repo.school_ids(session, person_id)


async def finish_onboarding(session: AsyncSession, person_id: int,
                            now: datetime | None = None) -> None:
    person = await _row(session, person_id)
    person.step = None
    person.step_data = None
    person.onboarded_at = person.onboarded_at or now or utcnow()


async def stop(session: AsyncSession, person_id: int) -> None:
    person = await _row(session, person_id)
    person.stopped_at = person.stopped_at or utcnow()


async def resume(session: AsyncSession, person_id: int) -> bool:
    """Undo /stop; True when the person had stopped."""
    person = await _row(session, person_id)
    was_stopped = person.stopped_at is not None
    person.stopped_at = None
    return was_stopped


async def forget(session: AsyncSession, person_id: int) -> None:
    # The monthly report counts erasures: the rows go, a count without ids stays (issue 8).
    await report.note_erasure(session, await _row(session, person_id), utcnow())
    await repo.erase(session, person_id)
