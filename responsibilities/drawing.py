"""Geometry of the map drawing (no ORM, no HTML): duties as bars on a time axis from crisis
start, dependency arrows, the critical path marked. The template turns it into inline SVG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .planning import Plan

WIDTH = 760
LABEL_W = 190
RIGHT_PAD = 70
TOP = 34
ROW_H = 38
BAR_H = 20
TICK_STEPS = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 4320, 10080, 20160]


@dataclass
class Bar:
    code: str
    label: str
    sublabel: str
    title: str
    x: float
    y: float
    w: float
    h: float
    warn_x: float
    text_y: float
    label_y: float
    sublabel_y: float
    bottom: float
    deadline_x: float
    deadline: int
    start: int
    due: int
    critical: bool
    deliverable: str
    clipped: bool = False  # runs on past the right edge of a zoomed axis


@dataclass
class Arrow:
    path: str
    critical: bool
    source: str
    target: str


@dataclass
class Tick:
    x: float
    minutes: int


@dataclass
class Drawing:
    width: int
    height: int
    axis_y: float
    tick_label_y: float
    chart_left: float
    chart_right: float
    bars: list[Bar] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    target_x: float | None = None
    zoomed: bool = False  # the axis ends near the last decision, not at the last duty


def default_horizon(plan: Plan) -> int | None:
    """Zoom to the last decision when later follow-up work (e.g. a 3-day HR record) would
    squeeze the decisive part of the map into a sliver; None means the whole map."""
    if plan.total_minutes and plan.makespan > 4 * plan.total_minutes:
        return int(plan.total_minutes * 1.5)
    return None


def tick_step(span: int, max_ticks: int = 6) -> int:
    """The smallest readable step that gives at most ``max_ticks`` ticks over ``span`` minutes."""
    for step in TICK_STEPS:
        if span / step <= max_ticks:
            return step
    return TICK_STEPS[-1] * (span // (TICK_STEPS[-1] * max_ticks) + 1)


def draw(plan: Plan, duties: Sequence[Mapping], horizon: int | None = None) -> Drawing:
    """Lay out ``duties`` (dicts with ``code``, ``label``, ``sublabel``, ``deliverable``,
    ``warn_ratio``, ``after``) on rows in plan order: earlier start first, lane as tie-break."""
    by_code = {d["code"]: d for d in duties}
    rows = sorted(
        plan.order, key=lambda c: (plan.slots[c].start, plan.slots[c].lane, plan.order.index(c))
    )
    zoomed = bool(horizon) and horizon < plan.makespan
    span = max(horizon if zoomed else plan.makespan, 1)
    step = tick_step(span)
    axis_end = ((span + step - 1) // step) * step
    left, right = LABEL_W, WIDTH - RIGHT_PAD
    scale = (right - left) / axis_end
    height = TOP + ROW_H * len(rows) + 16
    drawing = Drawing(
        width=WIDTH,
        height=height,
        axis_y=TOP - 8,
        tick_label_y=TOP - 12,
        chart_left=left,
        chart_right=right,
        zoomed=zoomed,
    )
    drawing.ticks = [
        Tick(x=round(left + m * scale, 1), minutes=m) for m in range(0, axis_end + 1, step)
    ]
    index = {}
    for row, code in enumerate(rows):
        slot = plan.slots[code]
        d = by_code[code]
        y = TOP + row * ROW_H + (ROW_H - BAR_H) / 2
        first, last = min(slot.start, axis_end), min(slot.due, axis_end)
        x = left + first * scale
        w = max((last - first) * scale, 3)
        warn_minute = slot.start + (slot.due - slot.start) * float(d.get("warn_ratio", 0.8))
        drawing.bars.append(
            Bar(
                code=code,
                label=d.get("label", code),
                sublabel=d.get("sublabel", ""),
                title=d.get("title", ""),
                x=round(x, 1),
                y=round(y, 1),
                w=round(w, 1),
                h=BAR_H,
                warn_x=round(left + min(warn_minute, axis_end) * scale, 1),
                text_y=round(y + BAR_H - 5, 1),
                label_y=round(y + 8, 1),
                sublabel_y=round(y + 21, 1),
                bottom=round(y + BAR_H, 1),
                deadline_x=round(x + w + 4, 1),
                deadline=slot.due - slot.start,
                start=slot.start,
                due=slot.due,
                critical=slot.critical,
                deliverable=d.get("deliverable", ""),
                clipped=slot.due > axis_end,
            )
        )
        index[code] = drawing.bars[-1]
    on_path = set(plan.critical_path)
    path_edges = set(zip(plan.critical_path, plan.critical_path[1:], strict=False))
    for bar in drawing.bars:
        for prereq in by_code[bar.code].get("after") or []:
            source = index.get(prereq)
            if source is None:
                continue
            # Leave the prerequisite just before its end, drop to the row, enter from the left.
            x1 = source.x + source.w - 4
            y1 = source.y + source.h
            y2 = bar.y + bar.h / 2
            x2 = bar.x
            if y2 < y1:  # the dependent is drawn above: leave from the top instead
                y1 = source.y
            drawing.arrows.append(
                Arrow(
                    path=f"M{x1:.1f},{y1:.1f} V{y2:.1f} H{x2 - 1:.1f}",
                    critical=(prereq, bar.code) in path_edges
                    and prereq in on_path
                    and bar.code in on_path,
                    source=prereq,
                    target=bar.code,
                )
            )
    if plan.target:
        target = index[plan.target]
        drawing.target_x = round(target.x + target.w, 1)
    return drawing
