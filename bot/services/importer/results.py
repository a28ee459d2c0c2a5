"""What parsing and importing a file give back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.programme import ActivityData


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: ``_(message_id).format(**params)`` in the coordinator's language."""

    row: int
    column: str
    message_id: str
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CalendarMove:
    """One occurrence of a calendar's series changed on its own (RECURRENCE-ID): by external
    id, the series' occurrence at ``old_start`` is now the activity ``override_id`` at
    ``new_start`` (the same start when only its place or title changed)."""

    series_id: str
    old_start: datetime
    override_id: str
    new_start: datetime


@dataclass(frozen=True)
class MovedOccurrence:
    """A CalendarMove as imported, by activity id: the series ``activity_id``'s occurrence
    at ``old_start`` (cancelled in the series) takes place as ``to_activity_id`` at
    ``new_start``."""

    activity_id: int
    old_start: datetime
    to_activity_id: int
    new_start: datetime


@dataclass(frozen=True)
class ParseResult:
    rows: list[ActivityData]
    errors: list[RowError]
    # Calendar events left out because they were over before this school year.
    skipped: int = 0
    # A calendar's occurrences changed on their own: each is also a cancelled day of its
    # series and a row of its own in ``rows``.
    moves: tuple[CalendarMove, ...] = ()
    # Calendar events marked private (CLASS:PRIVATE or CONFIDENTIAL): left out, counted.
    private: int = 0
    # A workbook of several sheets: the sheet read, and the other visible sheets that hold a
    # programme too (not read: the reply names them).
    sheet: str | None = None
    other_sheets: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    # What the file newly cancelled: (activity id, the occurrence's start), or (id, None) for
    # the whole activity. Those who said they would come are told (services/cancellation.py).
    # Not the occurrences in ``moved``: they take place, elsewhen or elsewhere.
    cancelled: tuple[tuple[int, datetime | None], ...] = ()
    # Dutch titles the coordinator may expect the file to have changed, and it did not:
    # rows of activities called off in the bot (a file never brings one back), and planned
    # activities the file does not hold (a row taken out of it cancels nothing).
    still_cancelled: tuple[str, ...] = ()
    not_in_file: tuple[str, ...] = ()
    # (Dutch title, start) of coming occurrences cancelled before that the file's row no
    # longer lists in cancelled_dates: they stay cancelled (a file does not bring a day back).
    days_still_cancelled: tuple[tuple[str, datetime], ...] = ()
    # Dutch titles of new rows over already and from before this school year (the year
    # mistyped, last year's sheet).
    over: tuple[str, ...] = ()
    # Dutch titles of the rows created and of those the file changed, in the file's order:
    # for the reply (the counts above say what happened, so they do not take part in ==).
    created_titles: tuple[str, ...] = field(default=(), compare=False)
    updated_titles: tuple[str, ...] = field(default=(), compare=False)
    # Calendar events left out: over before this school year (ParseResult.skipped), and
    # marked private (ParseResult.private).
    skipped_over: int = 0
    skipped_private: int = 0
    # A workbook of several sheets: the sheet read and the other programme sheets.
    sheet: str | None = None
    other_sheets: tuple[str, ...] = ()
    # Dutch titles of activities that were still to come and that the file changed to be
    # over (a day or year mistyped): parents who said they come are not told of a move to a
    # day already past, so the coordinator must see it.
    moved_past: tuple[str, ...] = ()
    # (Dutch title, its next start) of activities still to come whose day or hour the file
    # changed: a date mistyped or dragged in Excel must be seen (parents who said they come
    # are told of a move). Not part of ==, as the titles.
    new_times: tuple[tuple[str, datetime], ...] = field(default=(), compare=False)
    # (Dutch title, what went: "title:tr", "voice:pa"...) of activities whose translations or voice
    # messages made in the bot went with a changed Dutch text (store._write): the team's work,
    # lost unless the coordinator sees it.
    translations_lost: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(),
                                                                      compare=False)
    # (Dutch title, start) of coming days brought back in the bot (/activities: ✅ Not
    # cancelled after all) that the file's row still lists as cancelled (cancelled_dates,
    # EXDATE): not cancelled again, and nobody is told again (the symmetric case of
    # ``days_still_cancelled``). And the Dutch titles of activities brought back as a whole
    # that a calendar still calls off (STATUS:CANCELLED): not called off again. (See
    # storage.models.ActivityRestoration.)
    days_brought_back: tuple[tuple[str, datetime], ...] = ()
    brought_back: tuple[str, ...] = ()
    # A calendar's occurrences still to come that moved to an activity of their own, also
    # still to come (CalendarMove): those who expect the old one are told of the new one
    # and their answers follow it (services/cancellation.py). Read from the file each time
    # (a file sent again moves no answer and tells nobody again), so not part of ==.
    moved: tuple[MovedOccurrence, ...] = field(default=(), compare=False)
    # (Dutch title, start) of new rows, and rows whose start the file changed, that start in
    # the night (``store.NIGHT``): "2u30" typed for half past two in the afternoon.
    at_night: tuple[tuple[str, datetime], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ImportOutcome:
    """Either errors (and nothing imported) or a summary."""

    errors: list[RowError]
    summary: ImportSummary | None
    # A workbook of several sheets: the sheet its rows and errors are of.
    sheet: str | None = None


class UnknownSchoolCode(LookupError):
    """``apply`` was given a school code the database does not know."""
