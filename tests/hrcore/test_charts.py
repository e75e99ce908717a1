"""hrcore.charts: the shared pure SVG charts (crisis dashboard, competency resilience curve)."""

from datetime import UTC, datetime
from xml.etree import ElementTree

from competency.charts import resilience_svg
from hrcore import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # raises on anything that is not well-formed XML


def test_fixed_axis_runs_to_y_max_in_the_given_steps():
    root = parse(
        charts.line_chart([("s", [10, 50])], ["a", "b"], title="t", y_max=100, grid_steps=4)
    )
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "25", "50", "75", "100"]
    assert len(list(root.iter(f"{SVG}line"))) == 5


def test_values_beyond_a_fixed_axis_are_drawn_clamped_but_told_as_they_are():
    root = parse(charts.line_chart([("s", [120])], ["a"], title="t", y_max=100, height=200))
    (circle,) = root.iter(f"{SVG}circle")
    assert float(circle.get("cy")) == 10  # the top of the plot
    assert circle.find(f"{SVG}title").text == "s a: 120"


def test_time_positions():
    days = [datetime(2025, 1, d, tzinfo=UTC) for d in (1, 2, 5)]
    assert charts.time_positions(days) == [0, 0.25, 1]
    assert charts.time_positions(days[:1]) == [0.5]
    assert charts.time_positions([]) == []


def test_resilience_curve_is_valid_svg_with_scores_dates_and_a_0_to_100_axis():
    points = [
        {"at": datetime(2025, 3, 1, 9, tzinfo=UTC), "score": 40.0},
        {"at": datetime(2025, 3, 11, 9, tzinfo=UTC), "score": 72.0},
    ]
    svg = resilience_svg(points, title="Resilience <score>")
    root = parse(svg)
    assert root.get("aria-label") == "Resilience <score>"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:5] == ["0", "25", "50", "75", "100"]
    assert {"03/01", "03/11", "40", "72"} <= set(texts)
    hints = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert hints == ["2025-03-01: 40", "2025-03-11: 72"]
    (line,) = root.iter(f"{SVG}polyline")
    xs = [float(p.split(",")[0]) for p in line.get("points").split()]
    assert xs == [40, 632]  # first and last moment at the ends of the time axis


def test_one_point_sits_in_the_middle_and_no_points_draw_an_empty_axis():
    one = parse(resilience_svg([{"at": datetime(2025, 3, 1, tzinfo=UTC), "score": 55}]))
    (circle,) = one.iter(f"{SVG}circle")
    assert float(circle.get("cx")) == 40 + 592 / 2
    empty = parse(resilience_svg([]))
    assert not list(empty.iter(f"{SVG}circle")) and len(list(empty.iter(f"{SVG}line"))) == 5


def test_hbar_label_column_fits_the_longest_label():
    import re

    from hrcore.charts import hbar_chart, text_width

    rows = [("Customer service manager", 0.0, "0/1"), ("法务", 0.5, "1/2")]
    svg = hbar_chart(rows, title="breaches")
    anchor = float(re.search(r'<text x="([\d.]+)"[^>]*text-anchor="end"', svg).group(1))
    assert anchor >= text_width("Customer service manager", 13)  # nothing cut off on the left
    assert "Customer service manager</text>" in svg

    long = [("Department of " + "very " * 40 + "long name", 0.2, "1/5")]
    svg = hbar_chart(long, title="t", width=520)
    shown = re.search(r"</title>([^<]*)</text>", svg).group(1)
    assert shown.endswith("…") and text_width(shown, 13) <= 520 * 0.4
    assert "very very" in re.search(r"<text[^>]*><title>([^<]*)</title>", svg).group(1)
