"""Server-side SVG charts for every app's pages (pure: no ORM, no JavaScript, CSP-safe).

Each function returns a ``SafeString`` holding one ``<svg class="chart …">`` element whose text is
escaped; sizes are in viewBox units so the chart scales with its container. Colours and font sizes
are given as presentation attributes, so a chart reads well on a page without chart CSS; a
stylesheet (``svg.chart .grid``, ``.axis``, ``.axis-label``, ``.track``) may override them.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b5cad", "#1e7d45", "#b26a00", "#7a3db8", "#b3261e", "#5f6b7a")

_GRID = 'class="grid" stroke="#e6eaf0"'
_AXIS = 'class="axis" font-size="11" fill="#5f6b7a"'
_AXIS_LABEL = 'class="axis-label" font-size="13" fill="#1d2433"'


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def text_width(text: str, font_size: float) -> float:
    """Approximate rendered width: wide (CJK, full-width) characters one em, others ~0.56 em."""
    return sum(
        font_size if unicodedata.east_asian_width(ch) in ("W", "F") else font_size * 0.56
        for ch in text
    )


def fit_text(text: str, max_width: float, font_size: float) -> str:
    """``text``, or its longest prefix plus "…" that fits ``max_width``."""
    if text_width(text, font_size) <= max_width:
        return text
    while text and text_width(text + "…", font_size) > max_width:
        text = text[:-1]
    return text + "…"


def nice_max(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def time_positions(moments: Sequence[datetime]) -> list[float]:
    """Where each moment sits on a time axis, as fractions 0‥1 of the first-to-last span (for
    ``line_chart(x_positions=…)``); a single moment sits in the middle."""
    if len(moments) < 2:
        return [0.5] * len(moments)
    start = moments[0].timestamp()
    span = max(moments[-1].timestamp() - start, 1)
    return [(m.timestamp() - start) / span for m in moments]


def _open(width: int, height: int, title: str, css: str) -> list[str]:
    return [
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" width="100%" '
        'preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]


def _y_grid(
    parts: list[str],
    *,
    left: int,
    right_x: int,
    top: int,
    plot_h: float,
    top_value: float,
    steps: int,
    unit: str = "",
) -> None:
    """Horizontal grid lines from 0 to ``top_value`` in ``steps`` equal steps, labelled on the
    left."""
    for k in range(steps + 1):
        frac = k / steps
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{_fmt(y)}" x2="{right_x}" y2="{_fmt(y)}" {_GRID}/>')
        parts.append(
            f'<text x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end" {_AXIS}>'
            f"{_fmt(top_value * frac)}{escape(unit)}</text>"
        )


def bar_chart(
    values: Sequence[float],
    labels: Sequence[str],
    *,
    title: str,
    width: int = 640,
    height: int = 180,
    label_every: int = 1,
    color: str = PALETTE[0],
) -> SafeString:
    """Vertical bars (e.g. crises filed per day) with a y axis from 0 to a round maximum."""
    left, right, top, bottom = 34, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max(values, default=0))
    parts = _open(width, height, title, "chart-bar")
    _y_grid(
        parts,
        left=left,
        right_x=width - right,
        top=top,
        plot_h=plot_h,
        top_value=top_value,
        steps=2,
    )
    n = max(len(values), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1)
    for i, (value, label) in enumerate(zip(values, labels, strict=False)):
        h = plot_h * (value / top_value) if top_value else 0
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        parts.append(
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(bar_w)}" height="{_fmt(h)}" '
            f'fill="{color}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
        )
        if label_every and i % label_every == 0:
            parts.append(
                f'<text x="{_fmt(left + i * slot + slot / 2)}" y="{height - 8}" '
                f'text-anchor="middle" {_AXIS}>{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    labels: Sequence[str],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 200,
    label_every: int = 1,
    y_max: float | None = None,
    grid_steps: int = 2,
    x_positions: Sequence[float] | None = None,
    hints: Sequence[str] | None = None,
    show_values: bool = False,
) -> SafeString:
    """One polyline per series; ``None`` values break the line (no data that day: a line across
    the gap would draw a trend nobody measured).

    The y axis runs from 0 to a round maximum of the data, or to a fixed ``y_max`` (e.g. 100 for
    scores; values are then drawn clamped to 0‥y_max), with ``grid_steps`` grid intervals. Points
    are evenly spaced unless ``x_positions`` gives each label's place as a fraction 0‥1 (see
    ``time_positions``). A point's tooltip names the series and ``hints[i]`` (default: the label);
    ``show_values`` also writes each value above its point."""
    left, right, bottom = 40, 8, 24
    top = 18 if show_values else 10
    plot_w, plot_h = width - left - right, height - top - bottom
    if y_max is None:
        everything = [v for _, vals in series for v in vals if v is not None]
        top_value = nice_max(max(everything, default=0))
    else:
        top_value = float(y_max)
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)

    def x_of(i: int) -> float:
        if x_positions is not None and i < len(x_positions):
            return left + plot_w * x_positions[i]
        return left + i * step

    parts = _open(width, height, title, "chart-line")
    _y_grid(
        parts,
        left=left,
        right_x=width - right,
        top=top,
        plot_h=plot_h,
        top_value=top_value,
        steps=grid_steps,
        unit=unit,
    )
    for i, label in enumerate(labels):
        if label_every and i % label_every == 0:
            parts.append(
                f'<text x="{_fmt(x_of(i))}" y="{height - 8}" text-anchor="middle" '
                f"{_AXIS}>{escape(label)}</text>"
            )
    tooltips = hints if hints is not None else labels
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            x = x_of(i)
            y = top + plot_h * (1 - min(max(value, 0), top_value) / top_value)
            runs[-1].append((x, y))
            hint = tooltips[i] if i < len(tooltips) else ""
            parts.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="2.5" fill="{color}">'
                f"<title>{escape(' '.join(p for p in (name, hint) if p))}: "
                f"{_fmt(value)}{escape(unit)}</title></circle>"
            )
            if show_values:
                parts.append(
                    f'<text x="{_fmt(x)}" y="{_fmt(y - 6)}" text-anchor="middle" {_AXIS}>'
                    f"{_fmt(value)}{escape(unit)}</text>"
                )
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def hbar_chart(
    rows: Sequence[tuple[str, float, str]],
    *,
    title: str,
    width: int = 520,
    row_height: int = 28,
    label_width: int | None = None,
    warn_at: float = 0.1,
    bad_at: float = 0.25,
) -> SafeString:
    """Horizontal bars of fractions 0‥1 (e.g. breach rate per department), each with a caption;
    coloured green / amber / red by the thresholds. The label column is as wide as the longest
    label (at most 40 % of the chart; longer labels are shortened, in full in the tooltip)."""
    height = max(len(rows), 1) * row_height + 8
    if label_width is None:
        widest = max((text_width(label, 13) for label, _, _ in rows), default=0)
        label_width = math.ceil(min(max(widest, 60), width * 0.4)) + 4
    bar_left = label_width + 6
    bar_space = width - bar_left - 70
    parts = _open(width, height, title, "chart-hbar")
    for i, (label, fraction, caption) in enumerate(rows):
        y = 4 + i * row_height
        fraction = min(max(fraction, 0.0), 1.0)
        color = "#b3261e" if fraction >= bad_at else "#b26a00" if fraction >= warn_at else "#1e7d45"
        shown = fit_text(label, label_width - 4, 13)
        parts.append(
            f'<text x="{label_width}" y="{y + row_height * 0.62:.1f}" text-anchor="end" '
            f"{_AXIS_LABEL}><title>{escape(label)}</title>{escape(shown)}</text>"
        )
        parts.append(
            f'<rect x="{bar_left}" y="{y + 4}" width="{bar_space}" height="{row_height - 10}" '
            'class="track" fill="#eef2f7"/>'
        )
        parts.append(
            f'<rect x="{bar_left}" y="{y + 4}" width="{_fmt(bar_space * fraction)}" '
            f'height="{row_height - 10}" fill="{color}"/>'
        )
        parts.append(
            f'<text x="{bar_left + bar_space + 6}" y="{y + row_height * 0.62:.1f}" '
            f"{_AXIS_LABEL}>{escape(caption)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
