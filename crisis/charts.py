"""Server-side SVG charts for the crisis pages (pure: no ORM, no JavaScript, CSP-safe).

Each function returns a ``SafeString`` holding one ``<svg>`` element whose text is escaped; sizes
are in viewBox units so the chart scales with its container (``width: 100%`` in crisis.css).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b5cad", "#1e7d45", "#b26a00", "#7a3db8", "#b3261e", "#5f6b7a")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


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


def _open(width: int, height: int, title: str, css: str) -> list[str]:
    return [
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        'preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]


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
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{_fmt(y)}" x2="{width - right}" y2="{_fmt(y)}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end" class="axis">'
            f"{_fmt(top_value * frac)}</text>"
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
                f'text-anchor="middle" class="axis">{escape(label)}</text>'
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
    connect_gaps: bool = False,
) -> SafeString:
    """One polyline per series; ``None`` values break the line (no data that day) unless
    ``connect_gaps`` joins the points across them (sparse series)."""
    left, right, top, bottom = 40, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    everything = [v for _, vals in series for v in vals if v is not None]
    top_value = nice_max(max(everything, default=0))
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)
    parts = _open(width, height, title, "chart-line")
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{_fmt(y)}" x2="{width - right}" y2="{_fmt(y)}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end" class="axis">'
            f"{_fmt(top_value * frac)}{escape(unit)}</text>"
        )
    for i, label in enumerate(labels):
        if label_every and i % label_every == 0:
            parts.append(
                f'<text x="{_fmt(left + i * step)}" y="{height - 8}" text-anchor="middle" '
                f'class="axis">{escape(label)}</text>'
            )
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                if runs[-1] and not connect_gaps:
                    runs.append([])
                continue
            x = left + i * step
            y = top + plot_h * (1 - value / top_value)
            runs[-1].append((x, y))
            parts.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="2.5" fill="{color}">'
                f"<title>{escape(name)} {escape(labels[i] if i < len(labels) else '')}: "
                f"{_fmt(value)}{escape(unit)}</title></circle>"
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
    label_width: int = 130,
    warn_at: float = 0.1,
    bad_at: float = 0.25,
) -> SafeString:
    """Horizontal bars of fractions 0‥1 (e.g. breach rate per department), each with a caption;
    coloured green / amber / red by the thresholds."""
    height = max(len(rows), 1) * row_height + 8
    bar_left = label_width + 6
    bar_space = width - bar_left - 70
    parts = _open(width, height, title, "chart-hbar")
    for i, (label, fraction, caption) in enumerate(rows):
        y = 4 + i * row_height
        fraction = min(max(fraction, 0.0), 1.0)
        color = "#b3261e" if fraction >= bad_at else "#b26a00" if fraction >= warn_at else "#1e7d45"
        parts.append(
            f'<text x="{label_width}" y="{y + row_height * 0.62:.1f}" text-anchor="end" '
            f'class="axis-label">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{bar_left}" y="{y + 4}" width="{bar_space}" height="{row_height - 10}" '
            'class="track"/>'
        )
        parts.append(
            f'<rect x="{bar_left}" y="{y + 4}" width="{_fmt(bar_space * fraction)}" '
            f'height="{row_height - 10}" fill="{color}"/>'
        )
        parts.append(
            f'<text x="{bar_left + bar_space + 6}" y="{y + row_height * 0.62:.1f}" '
            f'class="axis-label">{escape(caption)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
