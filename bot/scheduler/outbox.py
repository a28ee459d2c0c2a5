"""The outbox sender: drains the ``outbox`` table within Telegram's limits.

Usage (bot/app.py does this in post_init / post_shutdown)::

    sender = OutboxSender(app.bot, db)       # rate=30.0 messages/s, per_chat_rate=1.0
    sender.start()
    app.bot_data["outbox"] = sender
    ...
    await session.commit()                   # after enqueueing (bot.services.outbox)
    wake(context.application)                # send now rather than at the next poll
    ...
    await sender.stop()                      # finishes what is in flight, gives back the rest

How it works: one loop claims due rows in batches (``storage.outbox.claim``: status
"sending"; on PostgreSQL with SKIP LOCKED so several instances can share the outbox), keeps
them in a heap ordered by when their chat may next receive a message, and starts each send
when the global window allows it, with up to ``max_in_flight`` HTTP requests at once (one by
default). Each outcome is written right after its request, so a crash repeats at most the
requests that were in flight: by default the one message in flight (its row stays "sending"
and is claimed again once ``lease`` has passed). One at a time reaches 30/s as long as
Telegram answers within 33 ms; OUTBOX_MAX_IN_FLIGHT trades speed on a slow link for as many
possible duplicates at a crash.

Outcomes: sent; 429 pauses all sending for ``retry_after`` and retries the row; network
errors, timeouts and 5xx retry with back-off (1, 2, 4... 60 s) up to ``max_attempts`` tries,
then "gave_up"; 403 marks the person blocked and drops their other pending rows (the author
of an answer among them, refused or dropped, is told it did not arrive); 400 fails for good
(an answer whose copy Telegram refuses because its author deleted the message: she is told to
send it again).
A row past its expiry (a reminder once its activity has begun) is dropped, never sent late;
a reminder that failed or was dropped is marked undelivered. Logs carry row ids, counts and
reason codes, never message text.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from bot.clock import Clock
from bot.services import refused_answers
from bot.services import reminders as quiet_hours
from bot.services.availability import AvailabilityMap
from bot.services.held_cards import asked_for
from bot.services.outbox import FOR_SCHOOLS, URGENT, drop_reason, expiry, text_in
from bot.services.roles import Role
from bot.services.routing import BY_HOURS, Delivery, delivery_for
from storage import outbox as repo
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

def wake(application: Application) -> None:
    """Tell the application's sender that rows were committed (no-op without a sender)."""
    sender = application.bot_data.get("outbox")  # an OutboxSender or a SenderLeadership
    if sender is not None:
        sender.wake()


class _Window:
    """At most ``capacity`` messages counted by Telegram in any ``period`` seconds, evenly
    spaced (one per 1/rate s) rather than in bursts, so few requests are in flight at any
    moment (those are what a crash may send twice).

    Telegram counts a request when it arrives, which we never see: somewhere between our
    start and its answer. So each send is stamped with its answer time (or ``start + skew``
    for a request that hangs), and a new send starts only when fewer than ``capacity`` stamps
    lie within the last ``period``: the server can never count more. The price is the round
    trip: on a local link the full rate, with 100 ms round trips about 27 of 30 per second
    (a 429 costs far more: everything waits its retry_after).
    """

    def __init__(self, rate: float, skew: float) -> None:
        self.capacity = max(1, int(rate))
        self.period = self.capacity / rate
        self.spacing = 1.0 / rate
        self.skew = skew
        self.stamps: list[list[float]] = []  # [stamp], mutable: lowered when answered
        self.next_at = 0.0

    def delay(self, now: float) -> float:
        self.stamps = [s for s in self.stamps if s[0] > now - self.period]
        full = 0.0
        if len(self.stamps) >= self.capacity:
            ordered = sorted(s[0] for s in self.stamps)
            full = ordered[len(ordered) - self.capacity] + self.period - now
        return max(self.next_at - now, full, 0.0)

    def record(self, now: float) -> list[float]:
        """A send starts now; returns its stamp, for :meth:`answered`."""
        stamp = [now + self.skew]
        self.stamps.append(stamp)
        # Slots follow a schedule, so a wake-up a little late is made up by the next send;
        # after a longer stall the schedule starts again from now (no burst).
        base = self.next_at if now - self.next_at < self.spacing else now
        self.next_at = base + self.spacing
        return stamp

    @staticmethod
    def answered(stamp: list[float], now: float) -> None:
        stamp[0] = min(stamp[0], now)


@dataclass(order=True)
class _Held:
    ready_at: float  # monotonic time when the row's chat may receive it
    order: int
    row: repo.ClaimedMessage = field(compare=False)


class OutboxSender:
    """Sends due outbox rows through ``bot``; see the module docstring."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        rate: float = 30.0,
        per_chat_rate: float = 1.0,
        per_group_per_minute: float = 20.0,
        max_in_flight: int = 1,
        request_timeout: float = 5.0,
        batch_size: int | None = None,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 6,
        max_backoff: float = 60.0,
        idle_poll: float = 1.0,
        skew: float = 1.0,
        retention: timedelta | None = timedelta(days=30),
        clock: Clock | None = None,
        coordinator_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.bot = bot
        self.db = db
        # Their chats are the team's too: their own map keeps red hours free (held_for_team).
        self.coordinator_ids = coordinator_ids
        # Whose "now" decides quiet hours (the application's clock; tests set their own).
        self.clock = clock or Clock()
        self.rate = rate
        self.lease = lease
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff
        self.idle_poll = idle_poll
        self.retention = retention
        # Seconds to wait for Telegram's answer to one send (python-telegram-bot's default);
        # with one request in flight, a send that hangs holds the others back that long.
        self.request_timeout = request_timeout
        self.batch_size = batch_size or max(10, int(rate * 2))
        self.counts: Counter[str] = Counter()  # "sent", "failed:blocked", "retry:network"...

        self._window = _Window(rate, skew)
        self._skew = skew
        self._chat_interval = 1.0 / per_chat_rate
        self._group_interval = 60.0 / per_group_per_minute
        self._chat_next: dict[int, float] = {}  # chat_id -> monotonic time it may get one more
        self._slots = asyncio.Semaphore(max_in_flight)
        self._held: list[_Held] = []
        self._order = itertools.count()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sending: set[int] = set()  # ids of the rows in flight
        self._rate_limited: Counter[int] = Counter()  # row id -> 429s, refunded up to a cap
        self._resume_at = 0.0  # monotonic: no sends before (a 429's retry_after)
        self._signal = asyncio.Event()  # wake() or stop(): interrupts the loop's naps
        self._woken = False
        self._drained = False  # the last claim found less than it asked for
        self._next_claim = 0.0
        self._next_purge = time.monotonic() + 60.0
        self._next_report = time.monotonic() + 60.0
        self._reported: Counter[str] = Counter()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------------------------------
    # lifecycle

    def start(self) -> OutboxSender:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-sender")
        return self

    def wake(self) -> None:
        """New rows may be due: claim them now instead of at the next poll."""
        self._woken = True
        self._signal.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered (what a crash now could send twice)."""
        return len(self._in_flight)

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop claiming, let the sends in flight finish, give back the rows not yet tried."""
        if self._task is None:
            return
        self._stopping = True
        self._signal.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=timeout)
            for task in late:  # their rows stay "sending" and are retried after the lease
                task.cancel()
        held, self._held = [h.row.id for h in self._held], []
        await self._write(lambda s: repo.release(s, held))
        self._report(force=True)

    async def abandon(self) -> None:
        """Stop at once, as a crash would: nothing is written back (tests use this)."""
        tasks = [t for t in (self._task, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._held = []

    # ----------------------------------------------------------------------------------------
    # the loop

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._step()
            except Exception:  # keep sending: a database hiccup must not end the sender
                log.exception("outbox: sender loop error; retrying in 1 s")
                await self._nap(1.0, wakeable=False)

    async def _step(self) -> None:
        now = time.monotonic()
        if now < self._resume_at:
            await self._pause()
            return
        if now >= self._next_purge:
            await self._purge()
        self._report()
        if self._should_claim(now):
            await self._claim()
        if not self._held:
            await self._idle()
            return
        head = self._held[0]
        if head.ready_at > now:
            await self._nap(head.ready_at - now, wakeable=True)
            return
        if (delay := self._window.delay(now)) > 0:
            await self._nap(delay, wakeable=False)
            return
        await self._slots.acquire()
        now = time.monotonic()
        if self._stopping or now < self._resume_at:  # a 429 came in while we waited
            self._slots.release()
            return
        row = heapq.heappop(self._held).row  # the head: only this loop changes the heap
        stamp = self._window.record(now)
        self._chat_next[row.chat_id] = now + self._skew + self._interval(row.chat_id)
        task = asyncio.create_task(self._send(row, stamp), name=f"outbox-send-{row.id}")
        self._in_flight.add(task)
        self._sending.add(row.id)
        task.add_done_callback(self._in_flight.discard)
        task.add_done_callback(lambda _task: self._sending.discard(row.id))

    def _interval(self, chat_id: int) -> float:
        return self._group_interval if chat_id < 0 else self._chat_interval

    def _answered(self, row: repo.ClaimedMessage, stamp: list[float]) -> None:
        """The request is answered, so Telegram counted it by now at the latest."""
        now = time.monotonic()
        _Window.answered(stamp, now)
        if row.chat_id in self._chat_next:
            self._chat_next[row.chat_id] = min(self._chat_next[row.chat_id],
                                               now + self._interval(row.chat_id))

    def _should_claim(self, now: float) -> bool:
        if len(self._held) >= self.batch_size // 2:
            self._woken = False  # busy anyway: the next claim comes when the heap runs low
            return False
        if self._woken or not self._drained:
            return True
        return now >= self._next_claim

    async def _claim(self) -> None:
        self._woken = False
        want = self.batch_size - len(self._held)
        async with self.db.session() as session:
            now_utc = utcnow()
            # The rows still waiting here or in flight are ours: renew their lease first, or
            # those older than the lease would be claimed again (a dead sender's) and sent twice.
            await repo.renew(session, [h.row.id for h in self._held] + list(self._sending),
                             now=now_utc)
            rows = await repo.claim(session, now=now_utc, limit=want, lease=self.lease)
            keep = await self._drop_unwanted(session, rows)
            await session.commit()
        self._drained = len(rows) < want
        self._next_claim = time.monotonic() + (self.idle_poll if self._drained else 0.0)
        now = time.monotonic()
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        for row in keep:
            ready_at = max(now, self._chat_next.get(row.chat_id, 0.0))
            heapq.heappush(self._held, _Held(ready_at, next(self._order), row))

    async def _drop_unwanted(
        self, session: AsyncSession, rows: list[repo.ClaimedMessage]
    ) -> list[repo.ClaimedMessage]:
        """Apply the drop rule (/stop, blocked, expired), the try limit and the quiet hours to
        freshly claimed rows; the rest is sent."""
        keep = []
        dropped: dict[str, list[int]] = {}
        gave_up = []
        now = self.clock.now()
        usual_quiet = await quiet_hours.default_quiet(session)
        coordinator_maps = await repo.maps_of_chats(session, {
            row.chat_id for row in rows
            if row.person_id is None and row.chat_id in self.coordinator_ids})
        for row in rows:
            always = bool(row.payload.get("always"))
            reason = drop_reason(stopped=row.person_stopped, blocked=row.person_blocked,
                                 always=always)
            quiet = quiet_hours.QuietHours.parse(row.person_quiet_hours) or usual_quiet
            held = (row.person_id is not None and not always and not row.payload.get(URGENT)
                    and quiet.covers(now))
            expires = expiry(row.payload)
            if reason is None and expires is not None and (
                    now >= expires or (held and quiet.end_after(now) >= expires)):
                reason = "expired"  # a reminder of an activity that has started by then
            team_map = (coordinator_maps.get(row.chat_id) if row.person_id is None
                        else row.person_map)
            team_hold = None if reason is not None else self._held_for_team(row, team_map, now)
            if reason is not None:
                dropped.setdefault(reason, []).append(row.id)
            elif row.attempts > self.max_attempts:  # taken again after lease upon lease
                gave_up.append(row.id)
            elif team_hold is not None and row.group_key and await repo.shown_since(
                    session, row.id, row.group_key, row.chat_id):
                # They opened the question with 📨 meanwhile: it is in their chat already.
                dropped.setdefault("shown", []).append(row.id)
            elif team_hold is not None:
                # Due in their green hour but leaving in a red one (a retry after a 429, a
                # backlog, a restart): held for their next green hour, as routing holds it.
                await repo.retry_later(session, row.id, chat_id=row.chat_id,
                                       not_before=team_hold, error=None, refund_attempt=True,
                                       push_younger=False)
                self.counts["deferred:red"] += 1
            elif held:
                # Nothing reaches a parent in their quiet hours: it waits for the morning
                # (messages they asked for, marked "always", and urgent ones are not held).
                # The chat's younger rows are judged each on its own, not pushed behind it:
                # an urgent one among them still goes now (the others are held as this one).
                await repo.retry_later(session, row.id, chat_id=row.chat_id,
                                       not_before=quiet.end_after(now), error=repo.QUIET,
                                       refund_attempt=True, push_younger=False)
                self.counts["deferred:quiet"] += 1
            else:
                keep.append(row)
        for reason, ids in dropped.items():
            await repo.mark_finished(session, ids, status=repo.DROPPED, error=reason)
            self.counts[f"dropped:{reason}"] += len(ids)
        if gave_up:
            await repo.mark_finished(session, gave_up, status=repo.FAILED, error="gave_up")
            self.counts["failed:gave_up"] += len(gave_up)
            log.warning("outbox: %d rows given up after %d tries", len(gave_up),
                        self.max_attempts)
        return keep

    def _held_for_team(self, row: repo.ClaimedMessage, team_map: str | None,
                       now: datetime) -> datetime | None:
        """What the team is brought as their hours allow (cards, the parent's messages,
        notes: ``routing.BY_HOURS``) follows their map when it leaves, not only when it was made:
        their next green hour in a red hour (returned), without a sound in an orange one or
        when their map has no green hour (the payload is marked). None: send it."""
        is_team = row.person_role == Role.BRUGFIGUUR.value or row.chat_id in self.coordinator_ids
        if not (is_team and team_map and row.payload.get(BY_HOURS)) or asked_for(
                row.dedupe_key):
            # (What they asked for comes now, 📨 in /inbox; and what they get as anyone
            # does, the answer to a question of their own as a parent, is no team message.)
            return None
        try:
            availability = AvailabilityMap(team_map)
        except ValueError:
            return None
        delivery, when = delivery_for(availability, now)
        if delivery is Delivery.HELD and when is not None and when > utcnow():
            # (A green hour already past by the wall clock, which claims the rows, would be
            # claimed again at once: only when the clock deciding hours is not the wall's.)
            return when
        if delivery is Delivery.SILENT:
            row.payload["disable_notification"] = True
        return None

    async def _idle(self) -> None:
        """Nothing to send: sleep until the next row is due, a wake() or the next poll."""
        async with self.db.session() as session:
            due = await repo.next_due(session, lease=self.lease)
        if due is None:
            # Nothing at all: only a wake() or a later look at next_due brings work (no idle
            # claims: each is a write, and writers queue behind each other on SQLite).
            self._next_claim = math.inf
            timeout = self.idle_poll
        else:
            # Due already but not claimable (an older row of its chat is in flight): soon.
            wait = max((due - utcnow()).total_seconds() + 0.01, 0.1)
            self._next_claim = time.monotonic() + wait
            timeout = min(self.idle_poll, wait)
        await self._nap(timeout, wakeable=True)

    async def _pause(self) -> None:
        """Flood control: no sends until ``_resume_at``; give rows back if that is long."""
        remaining = self._resume_at - time.monotonic()
        if remaining > self.lease.total_seconds() / 2 and self._held:
            held, self._held = [h.row.id for h in self._held], []
            await self._write(lambda s: repo.release(s, held))
        await self._nap(remaining, wakeable=False)

    async def _nap(self, seconds: float, *, wakeable: bool) -> None:
        """Sleep; stop() always interrupts, wake() only when ``wakeable``."""
        deadline = time.monotonic() + seconds
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            if wakeable and self._woken:
                return
            self._signal.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._signal.wait()

    async def _purge(self) -> None:
        self._next_purge = time.monotonic() + 3600.0
        if self.retention is None:
            return
        before = utcnow() - self.retention
        async with self.db.session() as session:
            purged = await repo.purge_finished(session, before=before)
            await session.commit()
        if purged:
            log.info("outbox: purged %d finished rows", purged)

    def _report(self, *, force: bool = False) -> None:
        """Log what happened since the last report: counts and reason codes only."""
        if not force and time.monotonic() < self._next_report:
            return
        self._next_report = time.monotonic() + 60.0
        delta = self.counts - self._reported
        self._reported = self.counts.copy()
        if delta:
            log.info("outbox: %s", ", ".join(f"{k}={v}" for k, v in sorted(delta.items())))

    # ----------------------------------------------------------------------------------------
    # one send

    async def _send(self, row: repo.ClaimedMessage, stamp: list[float]) -> None:
        try:
            # Held here for its turn since the claim: what happened meanwhile counts (a
            # /forget, a cancelled activity's reminder, a /stop).
            meant_for = row.payload.get(FOR_SCHOOLS)
            async with self.db.session() as session:
                now = await repo.still_to_send(session, row.id, schools=bool(meant_for))
            if now.gone or now.withdrawn:
                self.counts["dropped:gone" if now.gone else "dropped:withdrawn"] += 1
                return
            reason = drop_reason(stopped=now.person_stopped, blocked=now.person_blocked,
                                 always=bool(row.payload.get("always")))
            if reason is None and meant_for and now.person_schools is not None \
                    and not now.person_schools & set(meant_for):
                reason = "school_left"  # for a school she no longer has (a child moved)
            if reason is not None:
                await self._finish(row, repo.DROPPED, reason)
                self.counts[f"dropped:{reason}"] += 1
                return
            try:
                call = self._api_call(row, now.person_locale)
            except (KeyError, TypeError, ValueError):
                await self._finish(row, repo.FAILED, "bad_payload")
                return
            try:
                try:
                    result = await call
                finally:
                    self._answered(row, stamp)
            except RetryAfter as exc:
                await self._rate_limited_by_telegram(row, _seconds(exc))
            except Forbidden:
                await self._blocked(row)
            except ChatMigrated:
                await self._finish(row, repo.FAILED, "chat_migrated")
            except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
                if (refused_answers.answers_in([row.dedupe_key])
                        and refused_answers.source_gone(exc.message)):
                    await self._source_gone(row)  # deleted before we copied it
                else:
                    await self._finish(row, repo.FAILED, "bad_request")
            except TimedOut:
                await self._transient(row, "timed_out")
            except NetworkError:  # connection errors and 5xx answers
                await self._transient(row, "network")
            except TelegramError:
                await self._transient(row, "telegram_error")
            except (TypeError, ValueError):  # PTB refused the payload's values
                await self._finish(row, repo.FAILED, "bad_payload")
            else:
                message_id = getattr(result, "message_id", None)
                await self._write(lambda s: repo.mark_sent(
                    s, row.id, telegram_message_id=message_id, now=utcnow()))
                self._rate_limited.pop(row.id, None)
                self.counts["sent"] += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # the row stays "sending" and is retried after the lease
            log.exception("outbox %d: could not record the outcome", row.id)
        finally:
            self._slots.release()

    def _api_call(self, row: repo.ClaimedMessage, locale: str | None = None) -> Awaitable[Any]:
        """The Bot API call of a row (KeyError/TypeError/ValueError: a broken payload); a
        text in the person's language ``locale`` of now when it has it (``outbox.IN_EACH``)."""
        p = row.payload
        options: dict[str, Any] = {"chat_id": row.chat_id, "read_timeout": self.request_timeout}
        for key in ("disable_notification", "protect_content"):
            if key in p:
                options[key] = bool(p[key])
        if p.get("reply_markup"):
            options["reply_markup"] = InlineKeyboardMarkup.de_json(p["reply_markup"], self.bot)
        if p.get("reply_to"):  # shown as a reply to that message (gone: sent all the same)
            options["reply_parameters"] = ReplyParameters(
                message_id=int(p["reply_to"]), allow_sending_without_reply=True)
        formatted = {k: p[k] for k in ("caption", "parse_mode") if p.get(k)}
        bot = self.bot
        if row.kind == "text":
            text_options = {"parse_mode": p["parse_mode"]} if p.get("parse_mode") else {}
            return bot.send_message(text=text_in(p, locale), **text_options, **options)
        if row.kind == "photo":
            return bot.send_photo(photo=str(p["file_id"]), **formatted, **options)
        if row.kind == "document":
            return bot.send_document(document=str(p["file_id"]), **formatted, **options)
        if row.kind == "voice":
            return bot.send_voice(voice=str(p["file_id"]), **formatted, **options)
        if row.kind == "copy":
            return bot.copy_message(from_chat_id=int(p["from_chat_id"]),
                                    message_id=int(p["message_id"]), **formatted, **options)
        if row.kind == "forward":  # shows whose message it was (a colleague's answer)
            return bot.forward_message(
                from_chat_id=int(p["from_chat_id"]), message_id=int(p["message_id"]),
                **{k: v for k, v in options.items()
                   if k not in ("reply_markup", "reply_parameters")})
        if row.kind == "location":
            return bot.send_location(latitude=float(p["latitude"]),
                                     longitude=float(p["longitude"]), **options)
        raise ValueError(row.kind)

    async def _finish(self, row: repo.ClaimedMessage, status: str, error: str) -> None:
        await self._write(lambda s: repo.mark_finished(s, [row.id], status=status, error=error))
        self._rate_limited.pop(row.id, None)
        self.counts[f"{status}:{error}"] += 1
        log.warning("outbox %d: %s (%s)", row.id, status, error)

    async def _blocked(self, row: repo.ClaimedMessage) -> None:
        dropped = told = 0

        async def write(session: AsyncSession) -> None:
            nonlocal dropped, told
            keys = await repo.mark_blocked_keys(session, row.id, chat_id=row.chat_id,
                                                person_id=row.person_id, now=utcnow())
            dropped = len(keys)
            # A brugfiguur was told "✅ Sent" for an answer among these: now it never arrives,
            # so she hears it (in the same transaction: told once, or not at all).
            told = await refused_answers.answers_lost(session, [row.dedupe_key, *keys],
                                                      self.clock.now(),
                                                      refused_answers.Lost.BLOCKED)

        await self._write(write)
        self.counts["failed:blocked"] += 1
        self.counts["dropped:blocked"] += dropped
        self.counts["told:answer_refused"] += told
        log.warning("outbox %d: blocked by the recipient; %d pending rows dropped, "
                    "%d authors of answers told", row.id, dropped, told)
        if told:
            self.wake()

    async def _source_gone(self, row: repo.ClaimedMessage) -> None:
        """400 "message to copy not found" on an answer's copy: its author deleted it before
        we copied it. She was told "✅ Sent", so she hears it was not, and sends it again."""
        told = 0

        async def write(session: AsyncSession) -> None:
            nonlocal told
            await repo.mark_finished(session, [row.id], status=repo.FAILED, error="source_gone")
            # In the same transaction: told once, or not at all.
            told = await refused_answers.answers_lost(session, [row.dedupe_key],
                                                      self.clock.now(),
                                                      refused_answers.Lost.DELETED)

        await self._write(write)
        self._rate_limited.pop(row.id, None)
        self.counts["failed:source_gone"] += 1
        self.counts["told:answer_deleted"] += told
        log.warning("outbox %d: failed (source_gone); %d authors of answers told", row.id, told)
        if told:
            self.wake()

    async def _rate_limited_by_telegram(self, row: repo.ClaimedMessage, seconds: float) -> None:
        """429: Telegram's flood control is per bot, so every send waits, then this row."""
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)
        self._rate_limited[row.id] += 1
        # Not the row's fault: the try is given back, unless this row keeps hitting it.
        refund = self._rate_limited[row.id] <= 2 * self.max_attempts
        not_before = utcnow() + timedelta(seconds=seconds)
        await self._write(lambda s: repo.retry_later(
            s, row.id, chat_id=row.chat_id, not_before=not_before, error="rate_limited",
            refund_attempt=refund))
        self.counts["retry:rate_limited"] += 1
        log.warning("outbox %d: flood control, all sending paused for %.0f s", row.id, seconds)

    async def _transient(self, row: repo.ClaimedMessage, error: str) -> None:
        if self._stopping:  # the bot is shutting down under us: not the row's fault
            await self._write(lambda s: repo.retry_later(
                s, row.id, chat_id=row.chat_id, not_before=utcnow(), error=error,
                refund_attempt=True))
            return
        if row.attempts >= self.max_attempts:
            await self._finish(row, repo.FAILED, "gave_up")
            return
        delay = min(self.max_backoff, 2.0 ** (row.attempts - 1))
        not_before = utcnow() + timedelta(seconds=delay)
        await self._write(lambda s: repo.retry_later(
            s, row.id, chat_id=row.chat_id, not_before=not_before, error=error))
        self.counts[f"retry:{error}"] += 1
        log.info("outbox %d: %s, try %d, again in %.0f s", row.id, error, row.attempts, delay)

    async def _write(self, change: Callable[[AsyncSession], Awaitable[Any]]) -> None:
        """One short transaction; retried when SQLite is busy for longer than its timeout."""
        for attempt in range(3):
            try:
                async with self.db.session() as session:
                    await change(session)
                    await session.commit()
                return
            except OperationalError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))


def _seconds(exc: RetryAfter) -> float:
    """retry_after in seconds (PTB 22 warns when it hands out an int; both are fine here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    return max(float(value), 0.0)
