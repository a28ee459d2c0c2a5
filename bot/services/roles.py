"""Who someone is to the bot, resolved once per update (see bot/handlers/door.py)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STRANGER = "stranger"  # no row yet: has never pressed Start
    PARENT = "parent"
    BRUGFIGUUR = "brugfiguur"
    COORDINATOR = "coordinator"


STAFF = frozenset({Role.BRUGFIGUUR, Role.COORDINATOR})


def resolve_role(stored: str | None, telegram_id: int, coordinator_ids: frozenset[int]) -> Role:
    """COORDINATOR_IDS always win, so the first coordinator never needs an invite."""
    if telegram_id in coordinator_ids:
        return Role.COORDINATOR
    if stored is None:
        return Role.STRANGER
    try:
        role = Role(stored)
    except ValueError:
        return Role.PARENT
    # A coordinator removed from COORDINATOR_IDS loses the role with the next update.
    return Role.PARENT if role is Role.COORDINATOR else role
