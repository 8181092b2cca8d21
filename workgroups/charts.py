"""Server-rendered charts: geometry computed here, drawn as SVG by the templates.

No script and no library: the page is readable without JavaScript, each chart
is an `<svg role="img">` with a title and a description, and the template
gives the same numbers as a table beside it. Colours are the design system's
state colours, each with at least 3:1 contrast on white; status is always
named in text too (legend, table), never told by colour alone.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from .models import ActionItemStatus, Task, TaskStatus

TASK_COLOURS = {
    TaskStatus.PLANNED: "#71767a",
    TaskStatus.ACTIVE: "#005ea2",
    TaskStatus.ON_HOLD: "#8c4a00",
    TaskStatus.COMPLETED: "#00703c",
}
ITEM_COLOURS = {
    ActionItemStatus.OPEN: "#005ea2",
    ActionItemStatus.IN_PROGRESS: "#8c4a00",
    ActionItemStatus.DONE: "#00703c",
    ActionItemStatus.DROPPED: "#71767a",
}
INK = "#1b1b1b"
RULE = "#c9ced3"
TODAY = "#b50909"


@dataclasses.dataclass
class LegendKey:
    x: float
    label: str
    colour: str


@dataclasses.dataclass
class Tick:
    x: float
    label: str
    strong: bool


@dataclasses.dataclass
class GanttRow:
    task: Task
    y: float
    bar_x: float
    bar_width: float
    label: str
    colour: str
    progress: int | None
    late: bool

    @property
    def text_y(self) -> float:
        return self.y + 17


@dataclasses.dataclass
class Gantt:
    width: int
    height: int
    label_width: int
    rows: list[GanttRow]
    ticks: list[Tick]
    legend: list[LegendKey]
    legend_y: float
    today_x: float | None
    first: dt.date
    last: dt.date
    chart_bottom: float

    @property
    def axis_y(self) -> float:
        return 24


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def gantt(tasks: Sequence[Task], today: dt.date, *, width: int = 960, label_width: int = 300) -> Gantt | None:
    """Lay out a work plan: one bar per task from start to end, month ticks, today's line."""
    if not tasks:
        return None
    first = _month_start(min(t.start for t in tasks))
    last = _next_month(max(t.end for t in tasks))
    while (last - first).days < 90:
        last = _next_month(last)
    span = (last - first).days
    right = width - 16
    scale = (right - label_width) / span

    def x(day: dt.date) -> float:
        return round(label_width + (min(max(day, first), last) - first).days * scale, 1)

    months = []
    day = first
    while day < last:
        months.append(day)
        day = _next_month(day)
    # Monthly ticks for a plan of up to 18 months, quarterly beyond; a year is named at
    # its January (or at the first tick), and a label too close to the last one is left out.
    step = 1 if len(months) <= 18 else 3
    ticks: list[Tick] = []
    last_label_end = -100.0
    for m in months:
        if (m.month - 1) % step:
            continue
        if m.month == 1:
            label = f"Jan {m.year}" if step == 1 else str(m.year)
        elif not ticks:
            label = f"{calendar.month_abbr[m.month]} {m.year}"
        else:
            label = calendar.month_abbr[m.month]
        position = x(m)
        if position < last_label_end:
            label = ""
        else:
            # Labels start at their tick; about 7.5 units a character at 13px, and a gap.
            last_label_end = position + 7.5 * len(label) + 10
        ticks.append(Tick(position, label, m.month == 1))
    top, row_height = 36, 28
    rows = []
    for n, task in enumerate(tasks):
        late = task.status != TaskStatus.COMPLETED and task.end < today
        rows.append(
            GanttRow(
                task=task,
                y=top + n * row_height,
                bar_x=x(task.start),
                bar_width=max(x(task.end + dt.timedelta(days=1)) - x(task.start), 3),
                label=_truncate(task.title, 40),
                colour=TASK_COLOURS.get(task.status, TASK_COLOURS[TaskStatus.PLANNED]),
                progress=getattr(task, "progress", None),
                late=late,
            )
        )
    chart_bottom = top + len(tasks) * row_height + 4
    legend_y = chart_bottom + 24
    legend = [
        LegendKey(label_width + i * 150, str(status.label), colour)
        for i, (status, colour) in enumerate(TASK_COLOURS.items())
    ]
    return Gantt(
        width=width,
        height=int(legend_y + 16),
        label_width=label_width,
        rows=rows,
        ticks=ticks,
        legend=legend,
        legend_y=legend_y,
        today_x=x(today) if first <= today <= last else None,
        first=first,
        last=last,
        chart_bottom=chart_bottom,
    )


@dataclasses.dataclass
class Segment:
    status: str
    label: str
    count: int
    x: float
    width: float
    colour: str


@dataclasses.dataclass
class BarRow:
    key: str
    label: str
    y: float
    segments: list[Segment]
    total: int
    overdue: int
    end_x: float
    counts: dict[str, int]

    @property
    def text_y(self) -> float:
        return self.y + 13


@dataclasses.dataclass
class BarChart:
    width: int
    height: int
    label_width: int
    rows: list[BarRow]
    legend: list[LegendKey]
    legend_y: float
    statuses: list[tuple[str, str]]


def stacked_bars(
    counts: Iterable[tuple[str, str, str, int, int]], *, width: int = 640, label_width: int = 120
) -> BarChart | None:
    """Stacked bars of action items by owner (member state, persons, secretariat) and status.

    `counts`: (key, label, status, count, overdue) rows, as one GROUP BY query gives them.
    """
    by_owner: dict[str, dict] = {}
    for key, label, status, count, overdue in counts:
        row = by_owner.setdefault(key, {"label": label, "counts": {}, "overdue": 0})
        row["counts"][status] = row["counts"].get(status, 0) + count
        row["overdue"] += overdue
    if not by_owner:
        return None
    statuses = list(ITEM_COLOURS)
    biggest = max(sum(r["counts"].values()) for r in by_owner.values())
    right = width - 48
    scale = (right - label_width) / biggest
    top, row_height = 8, 24
    rows = []
    for n, (key, data) in enumerate(sorted(by_owner.items(), key=lambda kv: (kv[0].startswith("~"), kv[1]["label"]))):
        x, segments = float(label_width), []
        for status in statuses:
            count = data["counts"].get(status, 0)
            if count:
                segments.append(
                    Segment(
                        status,
                        str(ActionItemStatus(status).label),
                        count,
                        round(x, 1),
                        round(count * scale, 1),
                        ITEM_COLOURS[status],
                    )
                )
                x += count * scale
        rows.append(
            BarRow(
                key=key,
                label=data["label"],
                y=top + n * row_height,
                segments=segments,
                total=sum(data["counts"].values()),
                overdue=data["overdue"],
                end_x=round(x + 6, 1),
                counts={s: data["counts"].get(s, 0) for s in statuses},
            )
        )
    legend_y = top + len(rows) * row_height + 20
    legend = [
        LegendKey(label_width + i * 120, str(ActionItemStatus(status).label), colour)
        for i, (status, colour) in enumerate(ITEM_COLOURS.items())
    ]
    return BarChart(
        width=width,
        height=int(legend_y + 14),
        label_width=label_width,
        rows=rows,
        legend=legend,
        legend_y=legend_y,
        statuses=[(s, str(ActionItemStatus(s).label)) for s in statuses],
    )
