"""Server-side SVG: the resilience curve (a ``hrcore.charts`` line chart) and the simulation
graph (no JS chart library)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hrcore import charts

from . import graph as graph_mod

TONE_COLOURS = {"good": "#1e8e3e", "mixed": "#c77700", "bad": "#c5221f"}
KIND_COLOURS = {
    "narrative": "#eef2f7",
    "decision": "#e3efff",
    "free_text": "#f3e8fd",
    "timed": "#fff4e0",
    "ending": "#f1f3f4",
}


def resilience_svg(
    points: list[dict], *, width: int = 640, height: int = 220, title: str = ""
) -> SafeString:
    """A line chart of ``[{"at": datetime, "score": float}]`` on a fixed 0–100 axis, the points
    placed by time; each point shows its score, its day below the axis and its date on hover."""
    moments = [p["at"] for p in points]
    return charts.line_chart(
        [("", [p["score"] for p in points])],
        [f"{m:%m/%d}" for m in moments],
        title=title,
        width=width,
        height=height,
        y_max=100,
        grid_steps=4,
        x_positions=charts.time_positions(moments),
        hints=[f"{m:%Y-%m-%d}" for m in moments],
        show_values=True,
    )


def graph_svg(
    graph: dict, labels: dict[str, str], tones: dict[str, str], problems: list[dict] | None = None
) -> SafeString:
    """Draw a simulation graph: columns by depth, boxes per node, arrows per choice."""
    box_w, box_h, gap_x, gap_y, margin = 150, 48, 60, 22, 20
    positions = graph_mod.layout(graph)
    flagged = {p["node"] for p in (problems or []) if p.get("node")}
    if not positions:
        return mark_safe('<p class="muted">—</p>')
    cols = max(c for c, _r in positions.values()) + 1
    rows = max(r for _c, r in positions.values()) + 1
    width = margin * 2 + cols * box_w + (cols - 1) * gap_x
    height = margin * 2 + rows * box_h + (rows - 1) * gap_y

    def xy(key: str) -> tuple[float, float]:
        col, row = positions[key]
        return margin + col * (box_w + gap_x), margin + row * (box_h + gap_y)

    parts = [
        f'<svg class="simgraph" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7a8799"/>'
        "</marker></defs>",
    ]
    for key, node in graph.get("nodes", {}).items():
        x1, y1 = xy(key)
        for choice in node.get("choices", []):
            target = choice.get("next")
            if target not in positions:
                parts.append(
                    f'<line x1="{x1 + box_w:.0f}" y1="{y1 + box_h / 2:.0f}" x2="{x1 + box_w + 30:.0f}" '
                    f'y2="{y1 + box_h / 2:.0f}" stroke="#c5221f" stroke-dasharray="4 3"/>'
                )
                continue
            x2, y2 = xy(target)
            colour = "#c5221f" if choice.get("critical") else "#7a8799"
            dash = (
                ' stroke-dasharray="5 3"'
                if choice.get("condition") or choice.get("timeout")
                else ""
            )
            sx, sy = x1 + box_w, y1 + box_h / 2
            tx, ty = x2, y2 + box_h / 2
            if tx <= sx:  # backwards edge (only in invalid drafts): route around
                parts.append(
                    f'<path d="M {sx} {sy} C {sx + 40} {sy - 60}, {tx - 40} {ty - 60}, {tx} {ty}" '
                    f'fill="none" stroke="{colour}"{dash} marker-end="url(#arrow)"/>'
                )
            else:
                mx = (sx + tx) / 2
                parts.append(
                    f'<path d="M {sx} {sy} C {mx} {sy}, {mx} {ty}, {tx} {ty}" fill="none" '
                    f'stroke="{colour}"{dash} marker-end="url(#arrow)"/>'
                )
    start = graph.get("start")
    for key, node in graph.get("nodes", {}).items():
        x, y = xy(key)
        fill = KIND_COLOURS.get(node.get("kind"), "#fff")
        stroke = TONE_COLOURS.get(tones.get(key, ""), "#9aa5b4")
        if key in flagged:
            stroke = "#c5221f"
        width_stroke = 3 if key == start or key in flagged else 1.5
        label = labels.get(key, key)
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<g class="simnode" data-key="{escape(key)}"><title>{escape(key)}: {escape(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width_stroke}"/>'
            f'<text x="{x + 8}" y="{y + 18}" font-size="11" font-weight="700" fill="#123">{escape(key[:22])}</text>'
            f'<text x="{x + 8}" y="{y + 36}" font-size="10" fill="#445">{escape(short)}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
