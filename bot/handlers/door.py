"""The one door every update passes: a database session, the person, their role and locale.

Usage::

    @door()                              # anyone in a private chat
    async def help_command(update: Update, context: BotContext) -> None: ...

    @door(roles=COORDINATOR_ONLY)        # refused, politely, to everyone else
    async def broadcast(update: Update, context: BotContext) -> None: ...

The wrapped handler finds ``context.session``, ``context.person`` (a PersonView or None)
and ``context.role``; the door commits once when the handler returns and rolls back on error.

On SQLite a write holds the database's one writer until the commit, and every other
writer (a parent's tap, the outbox sender) waits for it. A handler that writes and then
calls Telegram therefore lets it go first where it can (``context.release_writer()``): a
slow round trip must not hold the writer. The cost, on SQLite: a press whose message then
cannot be redrawn keeps what it changed (the door rolls back only what is not committed).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import _, supported, use_locale
from bot.services import people
from bot.services.onboarding import Step
from bot.services.people import PersonView
from bot.services.roles import Role, resolve_role
from storage.db import Database, has_writes

# PostgreSQL advisory locks of one person's updates, in a key space of their own (the two-key
# form never meets storage.db's one-key locks of migrations and of the sender).
PERSON_LOCK_SPACE = 7_471

log = logging.getLogger(__name__)


def lock_key(telegram_id: int) -> int:
    """A Telegram id folded into the lock's 32-bit key (two people sharing one merely wait
    for each other now and then)."""
    return telegram_id % 2_147_483_647


# A handler returns None, or a value its caller wants (e.g. "was this mine?").
Handler = Callable[[Update, "BotContext"], Awaitable[Any]]
# What Telegram says when a press's screen cannot be drawn over its message.
UNEDITABLE = ("no text in the message to edit", "no caption in the message to edit",
              "message can't be edited", "message to edit not found")


def not_modified(problem: BadRequest) -> bool:
    """Telegram refused an edit that would show what the message shows already (a double
    tap, a progress line that did not move): nothing is wrong."""
    return "not modified" in str(problem).lower()


async def release_writer(session: AsyncSession, db: Database) -> None:
    """``BotContext.release_writer``, for the door itself."""
    if not db.is_postgresql:
        await session.commit()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The typed context: settings and database from the application, the rest per update."""

    session: AsyncSession
    telegram_id: int
    person: PersonView | None
    role: Role

    def __init__(self, application: Application, chat_id: int | None = None,
                 user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.person = None
        self.role = Role.STRANGER
        # The update's writes were committed before a Telegram call (``commit``, or
        # ``release_writer`` on SQLite): a failure after it must not say "try again" to
        # someone whose work is kept.
        self.kept = False

    @property
    def settings(self) -> Settings:
        return self.application.bot_data["settings"]

    @property
    def db(self) -> Database:
        return self.application.bot_data["db"]

    def now(self) -> datetime:
        """Now, in the configured time zone (a test may have set the clock)."""
        clock: Clock = self.application.bot_data.get("clock") or Clock()
        return clock.now().astimezone(self.settings.timezone)

    async def release_writer(self) -> None:
        """Before a Telegram call: on SQLite, commit what the update wrote so far, so that
        its one writer (which every other update and the outbox sender wait for) is not
        held over a round trip. On PostgreSQL, which locks rows one by one, the transaction
        goes on: it holds the person's advisory lock until the door commits."""
        if self.db.is_postgresql:
            return
        wrote = await has_writes(self.session)
        await release_writer(self.session, self.db)
        self.kept = self.kept or wrote

    async def commit(self) -> None:
        """Keep the update's work now, whatever Telegram does after (a failure then says so,
        not "try again")."""
        wrote = await has_writes(self.session)
        await self.session.commit()
        self.kept = self.kept or wrote

    async def reload_person(self) -> PersonView | None:
        """Read the person again after a service changed them."""
        found = await people.load(self.session, self.telegram_id)
        self.person = people.view(found, self.role) if found else None
        return self.person


def door(*, roles: Iterable[Role] | None = None) -> Callable[[Handler], Handler]:
    allowed = frozenset(roles) if roles is not None else None

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def inner(update: Update, context: BotContext) -> Any:
            user = update.effective_user
            if user is None or user.is_bot:
                return None
            async with context.db.session() as session:
                if context.db.is_postgresql:
                    # Another instance may hold this person's previous update: wait for it,
                    # so one person's updates never run side by side (a double draft, two
                    # registrations of a new person). Released when the transaction ends.
                    await session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                                          {"space": PERSON_LOCK_SPACE, "key": lock_key(user.id)})
                found = await people.load(session, user.id)
                if found is not None and found.row.blocked_at is not None:
                    await people.unblock(session, found.row.id)
                    await release_writer(session, context.db)
                role = resolve_role(found.row.role if found else None, user.id,
                                    context.settings.coordinator_ids)
                person = people.view(found, role) if found else None
                if found is None and role is Role.COORDINATOR and allowed is not None:
                    # The coordinator before their first /start, or after /forget: the team's
                    # handlers need their row. Onboarding goes on at their next /start.
                    row = await people.register(session, user.id, user.first_name or "", role)
                    await people.set_step(session, row.id, Step.LANGUAGE)
                    await release_writer(session, context.db)
                    person = people.view(row, role)
                context.session = session
                context.telegram_id = user.id
                context.role = role
                context.person = person
                locale = (person.locale if person else None) or supported(user.language_code)
                with use_locale(locale, context.settings.timezone):
                    if allowed is not None and role not in allowed:
                        await refuse(update, refusal_text(role))
                        return None
                    try:
                        result = await handler(update, context)
                    except BadRequest as problem:
                        reason = str(problem).lower()
                        if not_modified(problem):
                            # A double tap redraws what the message already shows: keep
                            # what the press changed.
                            result = None
                        elif update.callback_query is not None and any(
                                words in reason for words in UNEDITABLE):
                            # A button on a message its screen cannot replace (a photo, a
                            # file, one gone or too old): stale, so it changes nothing.
                            await session.rollback()
                            await _expired(update)
                            return None
                        else:
                            raise
                    except NetworkError:  # Telegram failed us (a 5xx, a timeout)
                        if not context.kept or role not in (Role.BRUGFIGUUR, Role.COORDINATOR):
                            # Nothing kept (rolled back): "please try again" is true. A
                            # parent, for whom "try again" is simpler, hears it too.
                            raise
                        await session.rollback()  # what came after the kept part: undone
                        log.warning("update failed after its work was kept", exc_info=True)
                        await _kept_but_not_told(update)
                        return None
                    await session.commit()
                    return result

        return inner

    return wrap


def refusal_text(role: Role) -> str:
    """Why a command or button is not for this person: team only, or coordinator only."""
    if role is Role.BRUGFIGUUR:
        return _("Sorry, this is only for the coordinator.")
    return _("Sorry, this is only for the Brede School team.")


async def _kept_but_not_told(update: Update) -> None:
    """What the person did is saved; only the bot's answer to it was lost on the way."""
    if update.effective_chat is None or update.effective_chat.type != "private":
        return
    with contextlib.suppress(TelegramError):
        await update.effective_chat.send_message(_(
            "What you did is saved, but my answer did not get through. Please look before "
            "you do it again."))


async def _expired(update: Update) -> None:
    """The alert of a stale button; the press may have been answered already."""
    assert update.callback_query is not None
    with contextlib.suppress(TelegramError):
        await update.callback_query.answer(_("This button has expired."), show_alert=True)


async def refuse(update: Update, text: str) -> None:
    """Say no without changing anything: an alert for a button, a message otherwise."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
