"""The team of brugfiguren: one-time invites, languages spoken, availability, school contacts.

Usage::

    token = await create_invite(session, coordinator_id, now)   # /invite
    outcome = await redeem_invite(session, token, person_id, now) # /start staff_<token>
    members = await team(session)                                 # /staff, routing
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Column, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import SUPPORTED_LOCALES
from bot.services import outbox
from bot.services.availability import AvailabilityMap
from bot.services.outbox import NewMessage
from bot.services.roles import Role
from bot.services.routing import delivery_for, on_leave, quietly
from storage import outbox as outbox_repo
from storage.db import flush_pending
from storage.models import Person, Question, School, StaffInvite, StaffProfile

INVITE_VALID = timedelta(days=7)
LANGUAGES, HOURS = "l", "a"  # what the coordinator may change of a brugfiguur's settings
CHANGED, CHANGED_WHAT = "changed:", "changed"  # her notice of them: key prefix, payload key
OPEN = ("open",)  # question statuses that count as work in someone's inbox


class InviteOutcome(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"  # no such token (mistyped, forged, or erased)
    EXPIRED = "expired"
    USED = "used"
    ALREADY = "already"  # in the team already: the link is left for the one it was made for


@dataclass(frozen=True)
class StaffMember:
    """A brugfiguur as the coordinator and the routing see them."""

    id: int
    telegram_id: int
    first_name: str
    locale: str
    languages: frozenset[str]
    availability: AvailabilityMap
    contact_for: tuple[int, ...]  # school ids
    open_questions: int
    # False after /stop or when they blocked the bot: still on /staff, but given no question.
    reachable: bool = True

    def speaks(self, locale: str) -> bool:
        return locale in self.languages

    @property
    def on_leave(self) -> bool:
        """The whole week red: routing and escalation pass them by (``routing.on_leave``)."""
        return on_leave(self.availability)

    def can_be_asked_in(self, locale: str) -> bool:
        """Speaks it and still reads the bot: a translation may be asked of them."""
        return self.reachable and self.speaks(locale)


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start=staff_{token}"


async def create_invite(session: AsyncSession, created_by: int | None, now: datetime) -> str:
    # 16 random bytes: unguessable, and 22 characters fit Telegram's 64 for a start link.
    token = secrets.token_urlsafe(16)
    session.add(StaffInvite(token=token, created_by=created_by, created_at=now,
                            expires_at=now + INVITE_VALID))
    await session.flush()
    return token


async def redeem_invite(
    session: AsyncSession, token: str, person_id: int, now: datetime
) -> InviteOutcome:
    """Make the person a brugfiguur, once per invite, within its 7 days. Someone in the
    team already does not use it up (a link forwarded to the wrong colleague). Their own
    link tapped again is no way back in once they were taken off the team: USED."""
    invite = await session.scalar(select(StaffInvite).where(StaffInvite.token == token))
    if invite is None:
        return InviteOutcome.UNKNOWN
    person = await session.get(Person, person_id)
    assert person is not None
    in_team = person.role == Role.BRUGFIGUUR.value
    if invite.used_at is not None:
        return (InviteOutcome.JOINED if invite.used_by == person_id and in_team
                else InviteOutcome.USED)
    if invite.expires_at <= now:
        return InviteOutcome.EXPIRED
    if in_team:
        return InviteOutcome.ALREADY
    invite.used_at = now
    invite.used_by = person_id
    person.role = Role.BRUGFIGUUR.value
    await ensure_profile(session, person_id, person.locale)
    await session.flush()
    return InviteOutcome.JOINED


async def leave(session: AsyncSession, person_id: int) -> bool:
    """The coordinator took them off the team: no longer a brugfiguur, nor any school's fixed
    contact. Their profile stays (a new invite brings back their languages and hours). False
    when they were not in the team. The questions they hold are the caller's to move first."""
    person = await session.get(Person, person_id)
    if person is None or person.role != Role.BRUGFIGUUR.value:
        return False
    person.role = Role.PARENT.value
    await session.execute(update(School).where(School.contact_id == person_id)
                          .values(contact_id=None))
    await session.flush()
    return True


async def ensure_profile(session: AsyncSession, person_id: int,
                         locale: str | None = None) -> StaffProfile:
    profile = await session.get(StaffProfile, person_id)
    if profile is None:
        profile = StaffProfile(person_id=person_id, languages=locale or "",
                               availability=AvailabilityMap.default().cells)
        session.add(profile)
        await session.flush()
    return profile


def _languages(stored: str) -> frozenset[str]:
    return frozenset(code for code in stored.split(",") if code in SUPPORTED_LOCALES)


async def toggle_language(session: AsyncSession, person_id: int, locale: str,
                          on: bool | None = None) -> frozenset[str]:
    """Add (``on``), take away (not ``on``) or flip (None) a language the brugfiguur speaks,
    in the languages as they are now; the languages after the change."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(locale)

    def change(stored: str) -> str:
        spoken = _languages(stored)
        wanted = locale not in spoken if on is None else on
        spoken = spoken | {locale} if wanted else spoken - {locale}
        return ",".join(code for code in SUPPORTED_LOCALES if code in spoken)

    return _languages(await _swap(session, person_id, _PROFILES.c.languages, change))


async def set_availability(session: AsyncSession, person_id: int, amap: AvailabilityMap) -> None:
    """Their new map. What already waits in the outbox for their green hour keeps its time:
    the caller re-times it in the same transaction (``held_cards.retime``)."""
    (await ensure_profile(session, person_id)).availability = amap.cells


async def change_availability(session: AsyncSession, person_id: int,
                              change: Callable[[AvailabilityMap], AvailabilityMap]
                              ) -> AvailabilityMap:
    """``change`` (a tap on an hour or a day) made to their map as it is now, not as a
    screen read it: another's tap at the same moment is kept. The map after it."""
    cells = await _swap(session, person_id, _PROFILES.c.availability,
                        lambda stored: change(AvailabilityMap(stored)).cells)
    return AvailabilityMap(cells)


SWAP_TRIES = 20


async def _swap(session: AsyncSession, person_id: int, column: Column[str],
                change: Callable[[str], str]) -> str:
    """Read-modify-write of one profile column that loses no concurrent change (two
    coordinators, or one and the brugfiguur, tapping at once): the UPDATE holds only while
    the row has what was read, else it is read again and changed again. On SQLite the
    re-read comes after the other writer's commit (one writer at a time); on PostgreSQL the
    guarded UPDATE waits for the other's row lock and then matches nothing."""
    profile = await ensure_profile(session, person_id)
    await flush_pending(session)
    where = _PROFILES.c.person_id == person_id
    for _attempt in range(SWAP_TRIES):
        old = await session.scalar(select(column).where(where))
        assert old is not None
        new = change(old)
        if new == old or (await session.execute(
                update(_PROFILES).where(where, column == old).values({column: new}))
        ).rowcount:
            await session.refresh(profile, [column.key])  # the ORM copy read before is stale
            return new
    raise RuntimeError(f"staff profile {person_id}: {column.key} kept changing")


async def set_contact(session: AsyncSession, school_id: int, person_id: int | None) -> None:
    """The school's fixed contact (None: nobody). Only a brugfiguur can be one."""
    if person_id is not None and await member(session, person_id) is None:
        raise LookupError(person_id)
    await session.execute(update(School).where(School.id == school_id)
                          .values(contact_id=person_id))


async def told_later(session: AsyncSession, member: StaffMember, what: str,
                     render: Callable[[frozenset[str]], str], stamp: int, now: datetime,
                     after: timedelta) -> None:
    """The coordinator changed the member's ``LANGUAGES`` or ``HOURS``: the notice still
    waiting for her (``changed:<id>:``, not sent yet) is made again, saying all that changed
    since the last one went (``render``), due ``after`` from now, or at her next green hour."""
    prefix = f"{CHANGED}{member.id}:"
    changed = {what}
    for payload in await outbox_repo.take_pending(session, prefix):
        changed.update(payload.get(CHANGED_WHAT, []))
    message = message_to(member, f"{prefix}{stamp}", render(frozenset(changed)), now)
    due = max(message.not_before or now, now + after)
    await outbox.enqueue_many(session, [replace(
        message, not_before=due, payload={**message.payload, CHANGED_WHAT: sorted(changed)})])


def message_to(member: StaffMember, key: str, text: str, now: datetime,
               group_key: str | None = None) -> NewMessage:
    """A message to a colleague, brought as their hours allow: at once in a green hour,
    silently in an orange one, at their next green hour in a red one."""
    delivery, when = delivery_for(member.availability, now)
    return NewMessage(dedupe_key=key, chat_id=member.telegram_id, person_id=member.id,
                      kind="text", payload=quietly({"text": text, "always": True}, delivery),
                      not_before=when, group_key=group_key)


def contact_of(members: Sequence[StaffMember], school_id: int | None) -> int | None:
    """The school's fixed contact among the team (``team()`` read who is whose)."""
    return next((m.id for m in members if school_id is not None and school_id in m.contact_for),
                None)


# Every question a parent opens reads the whole team: plain Core rows, built once (ORM
# objects of every brugfiguur and their schools cost several times the CPU).
_PEOPLE = Person.__table__
_PROFILES = StaffProfile.__table__
_SCHOOLS = School.__table__
_QUESTIONS = Question.__table__
_TEAM = (select(_PEOPLE.c.id, _PEOPLE.c.telegram_id, _PEOPLE.c.first_name, _PEOPLE.c.locale,
                _PEOPLE.c.stopped_at, _PEOPLE.c.blocked_at,
                _PROFILES.c.person_id.label("profile"), _PROFILES.c.languages,
                _PROFILES.c.availability)
         .outerjoin(_PROFILES, _PROFILES.c.person_id == _PEOPLE.c.id)
         .where(_PEOPLE.c.role == Role.BRUGFIGUUR.value)
         .order_by(_PEOPLE.c.first_name, _PEOPLE.c.id))
_CONTACTS = (select(_SCHOOLS.c.id, _SCHOOLS.c.contact_id)
             .where(_SCHOOLS.c.contact_id.is_not(None)).order_by(_SCHOOLS.c.id))
_LOAD = (select(_QUESTIONS.c.assignee_id, func.count()).where(_QUESTIONS.c.status.in_(OPEN))
         .group_by(_QUESTIONS.c.assignee_id))


async def team(session: AsyncSession) -> list[StaffMember]:
    """Every brugfiguur, by first name, reachable or not (``reachable``)."""
    await flush_pending(session)
    rows = (await session.execute(_TEAM)).all()
    contacts: dict[int, list[int]] = {}
    for school_id, contact_id in (await session.execute(_CONTACTS)).all():
        contacts.setdefault(contact_id, []).append(school_id)
    load = dict((await session.execute(_LOAD)).all())
    return [
        StaffMember(
            id=row.id, telegram_id=row.telegram_id, first_name=row.first_name,
            locale=row.locale or "nl",
            languages=_languages(row.languages) if row.profile else frozenset(),
            availability=(AvailabilityMap(row.availability) if row.profile
                          else AvailabilityMap.default()),
            contact_for=tuple(contacts.get(row.id, ())),
            open_questions=int(load.get(row.id, 0)),
            reachable=row.stopped_at is None and row.blocked_at is None,
        )
        for row in rows
    ]


async def member(session: AsyncSession, person_id: int) -> StaffMember | None:
    return next((m for m in await team(session) if m.id == person_id), None)


# Added for bot/handlers/team.py (/languages, /availability): one person's own settings as
# plain data. Unlike member(), it works for the coordinator too (team() lists brugfiguren
# only), and it creates the profile with the defaults when there is none yet.
async def languages_of(session: AsyncSession, person_id: int,
                       locale: str | None = None) -> frozenset[str]:
    return _languages((await ensure_profile(session, person_id, locale)).languages)


async def availability_of(session: AsyncSession, person_id: int,
                          locale: str | None = None) -> AvailabilityMap:
    return AvailabilityMap((await ensure_profile(session, person_id, locale)).availability)
