"""The monthly report (bot/services/report.py) as files, in the reader's language: a chart
(PNG), a workbook (XLSX) and the same tables as one CSV. Counts only: no cell names a parent.

Usage::

    with use_locale(locale):
        files = report_files(report)     # ReportFiles: .chart, .xlsx, .csv (bytes) and names

CPU-bound (matplotlib, about a second): call it from a thread (``asyncio.to_thread``); the
current locale is a ContextVar, which ``asyncio.to_thread`` carries into the thread.
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.handlers.programme_text import KIND_LABELS
from bot.handlers.question_texts import TOPIC_LABELS
from bot.i18n import (
    _,
    current_locale,
    format_date,
    format_time,
    language_word,
    use_locale,
)
from bot.services.questions import Topic
from bot.services.report import LanguageFigures, MonthFigures, Report, SchoolFigures

Cell = str | int | float | date | None
# One table: a title (the sheet's name) and its rows, the header first.
Table = tuple[str, list[list[Cell]]]

COLOURS = ("#3b6fb6", "#4a9d5b", "#e0893a")  # reached, coming, questions: the same everywhere
# matplotlib draws glyphs one by one (no text shaping): Gurmukhi would come out wrong, so a
# chart for a Punjabi reader is drawn in Dutch. The spreadsheet has no such limit.
CHART_FALLBACK = {"pa": "nl"}
TREND_COLUMNS = 3  # the small chart per school: three to a row
_matplotlib_lock = threading.Lock()


@dataclass(frozen=True)
class ReportFiles:
    month: str  # "2026-11"
    chart: bytes
    xlsx: bytes
    csv: bytes

    @property
    def chart_name(self) -> str:
        return f"brede-school-{self.month}.png"

    @property
    def xlsx_name(self) -> str:
        return f"brede-school-{self.month}.xlsx"

    @property
    def csv_name(self) -> str:
        return f"brede-school-{self.month}.csv"


def topic_label(topic: str) -> str:
    try:
        return _(TOPIC_LABELS[Topic(topic)][1])
    except ValueError:  # a topic from a newer version of the bot
        return topic


def month_label(report_month: date) -> str:
    """'november 2026', 'Kasım 2026'."""
    return format_date(report_month, "LLLL y")


# --------------------------------------------------------------------------------------------
# the tables


def _topics(months: Sequence[MonthFigures]) -> list[str]:
    known = [t.value for t in Topic]
    seen = {t for m in months for t in m.per_topic}
    return known + sorted(seen - set(known))


def _languages(report: Report) -> list[str]:
    seen = {loc for m in report.months for loc in m.per_language}
    ordered = [f.locale for f in report.languages]
    return ordered + sorted(seen - set(ordered))


def tables(report: Report) -> list[Table]:
    """Schools, languages, activities, months: what the workbook's sheets and the CSV hold."""
    figures = [_("Parents reached"), _("Coming"), _("Questions")]
    schools: list[list[Cell]] = [[_("School"), *figures]]
    schools += [[s.name, s.parents_reached, s.coming, s.questions] for s in report.schools]
    languages: list[list[Cell]] = [[_("Language"), *figures]]
    languages += [[language_word(f.locale), f.parents_reached, f.coming, f.questions]
                  for f in report.languages]
    activities: list[list[Cell]] = [[
        _("Date"), _("Time"), _("Kind"), _("Activity"), _("Schools"), _("Reminders sent"),
        _("Parents reached"), _("Coming"), _("Maybe"), _("Not coming"), _("Children"),
        _("Coming, number of children not said"), _("Cancelled")]]
    for o in report.occurrences:
        activities.append([
            o.starts_at.astimezone(report.timezone).date(),
            "" if o.all_day else format_time(o.starts_at),
            _(KIND_LABELS[o.kind][1]), o.title_nl,
            _("All schools") if o.all_schools else ", ".join(o.school_names),
            o.reminders, o.parents_reached, o.coming, o.maybe, o.not_coming, o.children,
            o.children_unsaid or None,
            # Translators: in the report's "Cancelled" column, for a day that did not take place.
            _("yes") if o.cancelled
            # Translators: in the report's "Cancelled" column, for a day whose activity was
            # moved to another day (it did not take place on this one).
            else _("moved") if o.moved else None])
    topics, locales = _topics(report.months), _languages(report)
    months: list[list[Cell]] = [[
        _("Month"), _("Parents reached"), _("Coming"), _("Questions"),
        *[_("Questions: {topic}").format(topic=topic_label(t)) for t in topics],
        *[_("Questions in {language}").format(language=language_word(loc)) for loc in locales],
        _("Answered"), _("Median time to a first answer (minutes)"),
        _("90th percentile time to a first answer (minutes)"), _("Escalated"),
        _("Parents joined"), _("Parents stopped"), _("Parents erased their data")]]
    for m in report.months:
        months.append([
            str(m.month), m.parents_reached, m.coming, m.questions,
            *[m.per_topic.get(t, 0) for t in topics],
            *[m.per_language.get(loc, 0) for loc in locales],
            m.answered, m.median_minutes, m.p90_minutes, m.escalated,
            m.joined, m.stopped, m.erased])
    school_months: list[list[Cell]] = [[_("Month"), _("School"), *figures]]
    school_months += [[str(m.month), s.name, s.parents_reached, s.coming, s.questions]
                      for m, per_school in zip(report.months, report.school_months, strict=True)
                      for s in per_school]
    return [(_("Schools"), schools), (_("Languages"), languages),
            (_("Activities"), activities), (_("Months"), months),
            (_("Schools per month"), school_months)]


def xlsx_bytes(parts: list[Table]) -> bytes:
    # Imported here: openpyxl took a tenth of the bot's start-up, for a monthly report.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in parts:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B2"
        for index, column in enumerate(zip(*rows, strict=True), start=1):
            width = max(len(str(value)) for value in column if value is not None)
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8) + 2, 48)
        for cell in sheet["A"][1:]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(parts: list[Table]) -> bytes:
    """The tables one after the other, each under its title: semicolons and a BOM, as
    Excel in Flanders opens a CSV without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, (title, rows) in enumerate(parts):
        if index:
            writer.writerow([])
        writer.writerow([title])
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> Any:
    """Dates as 2026-10-14; a decimal with a comma, as Excel in Flanders reads it (a dot
    would turn 12.5 minutes into the 12th of May)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(round(value, 2)).replace(".", ",")
    return value


# --------------------------------------------------------------------------------------------
# the chart


def _bars(axis: Any, labels: Sequence[str], series: Sequence[Sequence[int]],
          names: Sequence[str], *, horizontal: bool) -> None:
    """Grouped bars, one colour per figure, each bar with its number."""
    from matplotlib.ticker import MaxNLocator  # see chart_png

    width = 0.8 / len(series)
    positions = range(len(labels))
    for i, (values, name, colour) in enumerate(zip(series, names, COLOURS, strict=False)):
        offset = [p - 0.4 + width * (i + 0.5) for p in positions]
        draw: Callable[..., Any] = axis.barh if horizontal else axis.bar
        bars = draw(offset, values, width, label=name, color=colour)
        # Zeros stay unlabelled: a quiet school should not look like a wall of noughts.
        axis.bar_label(bars, labels=[str(v) if v else "" for v in values], padding=2,
                       fontsize=8)
    # Counts: whole numbers on the axis too.
    (axis.xaxis if horizontal else axis.yaxis).set_major_locator(MaxNLocator(integer=True))
    if horizontal:
        axis.set_yticks(list(positions), labels)
        axis.invert_yaxis()
        axis.margins(x=0.08)
    else:
        axis.set_xticks(list(positions), labels)
        axis.margins(y=0.12)
    axis.spines[["top", "right"]].set_visible(False)


def _trends(figure: Any, report: Report, names: Sequence[str]) -> None:
    """A small chart per school, three to a row: its three figures over the months, on one
    scale for all (a busy school looks busier than a quiet one)."""
    from matplotlib.ticker import MaxNLocator  # see chart_png

    months = [format_date(m.month.first_day, "LLL") for m in report.months]
    count = len(report.schools)
    axes = figure.subplots(_trend_rows(report), TREND_COLUMNS, sharex=True, sharey=True,
                           squeeze=False).flat
    highest = 0
    for index, axis in enumerate(axes):
        if index >= count:
            axis.set_visible(False)
            continue
        series = _figures([per_school[index] for per_school in report.school_months])
        for values, name, colour in zip(series, names, COLOURS, strict=True):
            axis.plot(range(len(months)), values, marker="o", markersize=3, label=name,
                      color=colour)
            highest = max(highest, *values)
        axis.set_title(_short(report.schools[index].name, 34), loc="left", fontsize=9)
        axis.set_xticks(range(len(months)), months, fontsize=7)
        axis.tick_params(axis="y", labelsize=7)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.spines[["top", "right"]].set_visible(False)
    # One scale from zero (shared by every school): a school with nothing stays at the bottom.
    axes[0].set_ylim(0, max(highest, 1) * 1.15)
    figure.suptitle(_("Per school, the last months"), x=0.01, ha="left", fontsize=12)


def _figures(rows: Sequence[SchoolFigures | LanguageFigures | MonthFigures]) -> list[list[int]]:
    """The three figures of every panel, one series each: parents reached, coming, questions
    (the order of COLOURS)."""
    return [[r.parents_reached for r in rows], [r.coming for r in rows],
            [r.questions for r in rows]]


def _trend_rows(report: Report) -> int:
    return math.ceil(len(report.schools) / TREND_COLUMNS)


def _short(name: str, limit: int = 44) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def chart_png(report: Report) -> bytes:
    """Per school and per language this month; parents reached, coming and questions over
    the last months."""
    # Imported here: matplotlib takes a second to import, and only reports need it.
    from matplotlib.figure import Figure

    names = [_("Parents reached"), _("Coming"), _("Questions")]
    trend_height = 2.3 * _trend_rows(report)
    figure = Figure(figsize=(10, 13 + trend_height), dpi=110, layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[13, trend_height])
    per_school, per_language, per_month = top.subplots(
        3, 1, height_ratios=[len(report.schools) + 1, len(report.languages) + 1, 5])
    figure.suptitle(_("Brede School: {month}").format(
        month=month_label(report.month.first_day)), fontsize=15, fontweight="bold")
    _bars(per_school, [_short(s.name) for s in report.schools], _figures(report.schools), names,
          horizontal=True)
    per_school.set_title(_("Per school"), loc="left")
    # One legend for every panel (the colours are the same throughout), above them all,
    # where no bar can hide under it.
    top.legend(*per_school.get_legend_handles_labels(), loc="outside upper center", ncols=3,
               frameon=False)
    _bars(per_language, [language_word(f.locale) for f in report.languages],
          _figures(report.languages), names, horizontal=True)
    per_language.set_title(_("Per language"), loc="left")
    _bars(per_month, [format_date(m.month.first_day, "LLL y") for m in report.months],
          _figures(report.months), names, horizontal=False)
    per_month.set_title(_("The last months"), loc="left")
    _trends(bottom, report, names)
    buffer = io.BytesIO()
    with _matplotlib_lock:  # one figure at a time: matplotlib's font cache is shared
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def report_files(report: Report) -> ReportFiles:
    """The three files, in the current locale (the chart maybe in Dutch, see above)."""
    parts = tables(report)
    with use_locale(CHART_FALLBACK.get(current_locale(), current_locale())):
        chart = chart_png(report)
    return ReportFiles(str(report.month), chart, xlsx_bytes(parts), csv_bytes(parts))
