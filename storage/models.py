"""The tables. Every conversation step and every person's choice is a row (nothing in memory)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always gives back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short code used in deep links: t.me/<bot>?start=s_<code>
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The brugfiguur who is the school's fixed contact (set by the coordinator in /staff).
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )


class Person(Base):
    """Anyone who talks to the bot: a parent, a brugfiguur or the coordinator.

    Kept minimal on purpose: Telegram id, first name, language, schools (see /privacy).
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(64), default="")
    # The language the person chose; None until they chose (never Telegram's guess).
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="parent")
    # Where the person is in a multi-step flow (e.g. onboarding), and that flow's data (JSON).
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    step_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # /stop: no more messages; the data stays until /forget.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Telegram answered 403 (bot blocked, account deleted): the outbox sends nothing more.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # /settings: the Dutch original below every translated broadcast.
    dutch_below: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Quiet hours as "HH-HH" (e.g. "23-06" for a parent working late); None: the coordinator's.
    quiet_hours: Mapped[str | None] = mapped_column(String(8), nullable=True)

    schools: Mapped[list[PersonSchool]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class PersonSchool(Base):
    """A parent's child goes to this school (a parent may have several)."""

    __tablename__ = "person_schools"
    __table_args__ = (UniqueConstraint("person_id", "school_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))


class Activity(Base):
    """One entry of the programme: a one-off activity, or a recurring one (``rrule``).

    Times are stored in UTC; a recurring activity is expanded in Brussels local time from
    ``starts_at`` so that a weekly 14:00 workshop stays at 14:00 across the DST change.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id in the coordinator's spreadsheet or calendar (UID): re-importing updates, not adds.
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # RFC 5545 RRULE value without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630".
    rrule: Mapped[str | None] = mapped_column(Text, nullable=True)
    all_schools: Mapped[bool] = mapped_column(Boolean, default=False)
    place_name: Mapped[str] = mapped_column(String(200), default="")
    place_address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The whole activity is off (single occurrences: ActivityCancellation).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    schools: Mapped[list[ActivitySchool]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    texts: Mapped[list[ActivityText]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    cancellations: Mapped[list[ActivityCancellation]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class ActivitySchool(Base):
    """The activity is for this school (unless the activity is for all schools)."""

    __tablename__ = "activity_schools"
    __table_args__ = (UniqueConstraint("activity_id", "school_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), index=True
    )
    # Loaded with the link: the importer compares school codes, not ids.
    school: Mapped[School] = relationship(lazy="joined")


class ActivityText(Base):
    """Title and description of an activity in one language (nl always; tr, pa optional)."""

    __tablename__ = "activity_texts"
    __table_args__ = (UniqueConstraint("activity_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    # Empty means "not translated": the reader gets the Dutch text, marked as such.
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # A voice message in this language (Telegram file_id), for parents who read little.
    voice_file_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ActivityCancellation(Base):
    """One cancelled occurrence of a (usually recurring) activity."""

    __tablename__ = "activity_cancellations"
    __table_args__ = (UniqueConstraint("activity_id", "occurrence_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())


class ActivityRestoration(Base):
    """A cancelled day brought back in the bot (/activities: ✅ Not cancelled after all), or,
    without a day, the whole activity: a file that still lists that day as cancelled
    (cancelled_dates, EXDATE), or a calendar that still calls the activity off
    (STATUS:CANCELLED), does not cancel it again. Forgotten when it is cancelled again (that
    day, or the whole activity) and when the file no longer says it is off
    (bot/services/importer/store.py). Names no person."""

    __tablename__ = "activity_restorations"
    __table_args__ = (UniqueConstraint("activity_id", "occurrence_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    # None: the whole activity. (The unique pair does not hold for None, which both databases
    # count as distinct: the undo writes it once, after deleting the activity's others.)
    occurrence_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    restored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(Base):
    """One message the bot will send, or has sent: broadcasts, reminders, relayed answers.

    ``dedupe_key`` names the message in the domain (``broadcast:<id>:<person>``,
    ``reminder:<occurrence>:<person>:<kind>``), so enqueueing twice never sends twice.
    ``payload`` is JSON with what the Bot API call needs (text, reply_markup, file_id...).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The sender's claim: due pending rows, and stuck "sending" rows.
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # Per chat order: a row waits for the chat's older unsent rows.
        Index("ix_outbox_chat_id_status", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Set for messages to a person: /forget deletes their pending messages too (cascade).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # text, photo, document, voice, copy, location
    payload: Mapped[str] = mapped_column(Text)
    # e.g. "broadcast:12": what progress counts are about.
    group_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A short reason code ("blocked", "bad_request", "gave_up"...), never message text.
    error: Mapped[str | None] = mapped_column(String(32), nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The reminder this message carries: when Telegram refuses it or it is dropped, the
    # reminder is marked undelivered (the coordinator's figures count what arrived).
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL"), nullable=True, index=True
    )


class Broadcast(Base):
    """A broadcast by the coordinator: its audience while a draft, its figures once sent.

    The draft row is also the conversation state of /broadcast: the buttons name its id.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "programme" (later: "announcement")
    # Who prepares it; a coordinator's draft is theirs alone.
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # JSON: {"schools": [ids] or null for all, "locales": [codes] or null for all}.
    audience: Mapped[str] = mapped_column(Text, default="{}")
    week_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # The coordinator's message that shows the live progress line (edited in place).
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Announcements: what the draft waits for next from its author ("nl", "tr", "pa",
    # "voice:tr"...; None: nothing), and its content as JSON (texts, files, voices per language).
    awaiting: Mapped[str | None] = mapped_column(String(16), nullable=True)
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Parents who used /stop while it was on its way: not a failure. Added by migration 0019,
    # hence last.
    stopped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # As ActivityDraft.asked_at, for an announcement's draft (migration 0023, hence last).
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ActivityDraft(Base):
    """The coordinator's /activity conversation: the step it waits for and the answers (JSON).

    SQLite AUTOINCREMENT: a draft id is never reused, so ``bot-<id>`` names one activity.
    """

    __tablename__ = "activity_drafts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), nullable=True
    )
    awaiting: Mapped[str | None] = mapped_column(String(16), nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When it last asked for a typed answer: with /announce half-done too, an answer goes to
    # the flow that asked last (bot/handlers/announce.py, draft_awaiting).
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StaffInvite(Base):
    """A one-time link t.me/<bot>?start=staff_<token> that makes its user a brugfiguur."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )


class StaffProfile(Base):
    """What routing needs to know of a brugfiguur: languages spoken and when they answer."""

    __tablename__ = "staff_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    # Locales spoken, comma-separated in catalog order ("nl,tr").
    languages: Mapped[str] = mapped_column(String(64), default="")
    # The availability map: 7 x 24 letters g/o/r (green, orange, red), Monday 00:00 first,
    # in Brussels local time. See bot/services/availability.py.
    availability: Mapped[str] = mapped_column(String(168))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Question(Base):
    """A parent's help question: routed to one brugfiguur, answered, closed.

    The parent's messages and the answers are relayed through the outbox with
    ``group_key = "q:<id>"``; a brugfiguur's reply is matched to its question by the
    outbox row of the message replied to.
    """

    __tablename__ = "questions"
    # Question numbers are shown to people: never reuse one.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), nullable=True
    )
    locale: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(16))
    # draft (topic chosen, no message yet) -> open -> closed
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Messages to the assignee wait in the outbox until then (their next green hour).
    deliver_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who last handed it on by hand (a brugfiguur or the coordinator): escalation never
    # brings it back to them, and leaves a question handed to the coordinator with them.
    handed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # Who took it (✋, or answered it first) since it came to its holder: among several
    # coordinators, the others read who has it. Cleared when it is handed on.
    taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )


class QuestionMessage(Base):
    """One message of a question, as sent in its author's chat: the parent's (relayed to
    whoever holds the question, again after a hand-over) or a brugfiguur's answer."""

    __tablename__ = "question_messages"
    # Outbox keys name a message by its id (q:<q>:answer:<id>): never reuse one.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    from_parent: Mapped[bool] = mapped_column(Boolean)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """One reminder of one occurrence for one parent: planned ahead as a row, handed to the
    outbox when due (``reminder:<activity>:<start>:<person>:<kind>``), never only in memory.

    status: planned -> sent (handed to the outbox) | skipped (said "can't come", stopped...)
    | dropped (fell in quiet hours until after the start) | obsolete (moved or cancelled);
    sent -> undelivered when the outbox could not deliver it (``reason``: blocked, expired,
    gone...).
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("activity_id", "occurrence_start", "person_id", "kind"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
        # The planner's every round reads the sent ones still ahead (moves, new places).
        Index("ix_reminders_status_occurrence_start", "status", "occurrence_start"),
        # Its buttons carry its id (rv:<id>:yes): never give a deleted one's id again.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # week, day, 2h
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="planned")
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The place it showed (bot.services.reminders.place_mark), kept when handed over: a
    # parent who read it and did not answer is told a new place once.
    place_mark: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The parent's schools when it was handed over ("3,5"; see school_ids_text): the monthly
    # report counts it for them, whatever school the child goes to later. None: older rows.
    school_ids: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Their language then, for the report likewise (migration 0024). None: older rows.
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)


class Rsvp(Base):
    """A parent's answer for one occurrence: yes, maybe or no (and children, for workshops)."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("activity_id", "occurrence_start", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    answer: Mapped[str] = mapped_column(String(8))
    children: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The place they answered to (bot.services.reminders.place_mark): a new one is told once.
    place_mark: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The parent's schools and language when they answered, as Reminder's.
    school_ids: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)


def school_ids_text(ids: Iterable[int]) -> str:
    """A parent's schools as stored with a reminder or an answer: "3,5"."""
    return ",".join(str(i) for i in sorted(set(ids)))


def school_ids_of(text: str | None) -> set[int] | None:
    """The schools stored by ``school_ids_text``; None for a row from before they were."""
    if text is None:
        return None
    return {int(part) for part in text.split(",") if part.isdigit()}


class Setting(Base):
    """The coordinator's settings (reminder times per activity kind, quiet hours): key, JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MonthlyCount(Base):
    """A count the monthly report cannot read back from rows, because /forget deletes them:
    per month ("2026-11", Brussels time) and kind ("erased", "erased_joined"...). No ids.
    Written by bot/services/report.py (issue 8)."""

    __tablename__ = "monthly_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TeamTranslation(Base):
    """Who of the team wrote one part of a translation by replying to a request, and a digest
    of what it said. While the part still reads so, its author may correct it (a typo seen
    after sending); once the coordinator or a file import changed it, it is no longer theirs.
    Written by bot/services/team_translation.py."""

    __tablename__ = "team_translations"
    __table_args__ = (UniqueConstraint("target", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "tr:<activity id>:<locale>" or "ta:<announcement draft id>:<locale>".
    target: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(16))  # title, description, text, voice
    # /forget of the colleague takes their claim with it.
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the part as they left it


class ReceivedUpdate(Base):
    """An update id a webhook instance took from Telegram (storage/received_updates.py): a
    retry of it that lands on another instance is acknowledged and not handled again. Only
    ids and times; kept two days (Telegram gives up on an update after one)."""

    __tablename__ = "received_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
