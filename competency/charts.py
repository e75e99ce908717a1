"""Server-side SVG: the resilience curve and the simulation graph (no JS chart library)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
    """A line chart of ``[{"at": datetime, "score": float}]`` on a 0–100 axis."""
    pad_l, pad_r, pad_t, pad_b = 40, 16, 16, 34
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = pad_t + inner_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7ee"/>'
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#667">{tick}</text>'
        )
    if points:
        start = points[0]["at"].timestamp()
        end = points[-1]["at"].timestamp()
        span = max(end - start, 1)
        coords = []
        for point in points:
            x = pad_l + (
                inner_w * (point["at"].timestamp() - start) / span
                if len(points) > 1
                else inner_w / 2
            )
            y = pad_t + inner_h * (1 - max(min(point["score"], 100), 0) / 100)
            coords.append((x, y, point))
        parts.append(
            '<polyline fill="none" stroke="#1a73e8" stroke-width="2.5" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y, _p in coords)
            + '"/>'
        )
        for x, y, point in coords:
            label = f"{point['at']:%Y-%m-%d}: {point['score']:.0f}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1a73e8"><title>{escape(label)}</title></circle>'
                f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle" fill="#123">{point["score"]:.0f}</text>'
                f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle" fill="#667">{point["at"]:%m/%d}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


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
