"""Geometry of the map drawing (pure)."""

from __future__ import annotations

from responsibilities import drawing, planning


def d(code, minutes, after=(), deliverable="document"):
    return {
        "code": code,
        "deadline_minutes": minutes,
        "after": list(after),
        "deliverable": deliverable,
        "warn_ratio": 0.8,
        "label": code,
    }


EMERGENCY = [
    d("finance-records", 30),
    d("legal-support", 60),
    d("admin-on-site", 20),
    d("manager-contact", 10),
    d("vp-decision", 60, ["finance-records", "legal-support"], "decision"),
]


def test_bars_are_proportional_to_the_allowance_and_start_where_prerequisites_end():
    plan = planning.schedule(EMERGENCY)
    art = drawing.draw(plan, EMERGENCY)
    bars = {b.code: b for b in art.bars}
    scale = (art.chart_right - art.chart_left) / 120  # axis 0..2 h in 30-min ticks
    assert [t.minutes for t in art.ticks] == [0, 30, 60, 90, 120]
    assert abs(bars["legal-support"].w - 60 * scale) < 0.11
    assert abs(bars["vp-decision"].x - (art.chart_left + 60 * scale)) < 0.11
    assert abs(bars["finance-records"].warn_x - (art.chart_left + 24 * scale)) < 0.11
    assert [b.code for b in art.bars if b.critical] == ["legal-support", "vp-decision"]
    assert sorted((a.source, a.target, a.critical) for a in art.arrows) == [
        ("finance-records", "vp-decision", False),
        ("legal-support", "vp-decision", True),
    ]
    assert art.target_x == round(art.chart_right, 1)
    assert not art.zoomed and not any(b.clipped for b in art.bars)
    # Rows: earlier starts first, the decision (starts at 60 min) last.
    assert art.bars[-1].code == "vp-decision"


def test_long_follow_up_work_zooms_the_axis_to_the_last_decision():
    duties = [
        d("contact", 10),
        d("decide", 30, ["contact"], "decision"),
        d("paperwork", 4320, ["decide"]),
    ]
    plan = planning.schedule(duties)
    horizon = drawing.default_horizon(plan)
    assert horizon == 60
    art = drawing.draw(plan, duties, horizon=horizon)
    assert art.zoomed
    assert art.ticks[-1].minutes == 60
    bars = {b.code: b for b in art.bars}
    assert bars["paperwork"].clipped and not bars["decide"].clipped
    assert bars["paperwork"].x + bars["paperwork"].w <= art.chart_right + 0.1
    full = drawing.draw(plan, duties)
    assert not full.zoomed and full.ticks[-1].minutes >= 4360


def test_tick_step_keeps_the_axis_readable():
    assert drawing.tick_step(60) == 10
    assert drawing.tick_step(120) == 30
    assert drawing.tick_step(4360) == 1440
