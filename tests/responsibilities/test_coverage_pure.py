"""The coverage arithmetic (responsibilities.coverage): no database."""

from __future__ import annotations

from hrcore.contact import ContactCard
from responsibilities import coverage as c


def card(**fields) -> ContactCard:
    return ContactCard(employee_id=1, user_id=1, **fields)


def test_reach_counts_out_of_band_addresses_and_a_mobile_once():
    assert c.reach_channels(card()) == ()  # in-app alone: nothing
    assert c.reach_channels(card(email="a@x.cn", mobile="+8613800138000")) == ("email", "mobile")
    assert c.reach_channels(card(dingtalk_user_id="dt-1", feishu_open_id="ou_12345678")) == (
        "dingtalk",
        "feishu",
    )
    assert c.reach_channels(card(email="  ")) == ()


def test_person_issues_in_the_order_of_the_gap_kinds():
    issues = c.person_issues(absent=True, channels=["email"], skills=["a", "b"], current={"a"})
    assert issues == ("absent", "unreachable", "untrained")
    assert (
        c.person_issues(absent=False, channels=["email", "mobile"], skills=["a"], current={"a"})
        == ()
    )
    # Training unchecked (no competency app): nobody is untrained.
    assert (
        c.person_issues(absent=False, channels=["email", "wecom"], skills=["a"], current=None) == ()
    )
    # A duty naming no skill needs no evidence.
    assert (
        c.person_issues(absent=False, channels=["email", "wecom"], skills=[], current=set()) == ()
    )
    # Two distinct channels are needed, not two mentions of one.
    assert c.person_issues(absent=False, channels=["email", "email"], skills=[], current=None) == (
        "unreachable",
    )


OK = c.PersonCheck(1, ("email", "mobile"))
AWAY = c.PersonCheck(2, ("email", "mobile"), ("absent",))
MUTE = c.PersonCheck(3, ("email",), ("unreachable",))


def test_holder_first_then_deputy_then_a_gap_named_by_the_holder():
    assert c.DutyCover("d", "u", OK, MUTE).covered_by == "holder"
    by_deputy = c.DutyCover("d", "u", AWAY, OK)
    assert (by_deputy.covered_by, by_deputy.gaps) == ("deputy", ())
    gap = c.DutyCover("d", "u", AWAY, MUTE)
    assert (gap.covered, gap.gaps) == (False, ("absent",))
    assert c.DutyCover("d", "u", None, None).gaps == ("vacant",)
    assert c.DutyCover("d", "u", MUTE, None).gaps == ("unreachable",)


def test_score_arithmetic():
    covers = [
        c.DutyCover("a", "sh", OK),
        c.DutyCover("b", "sh", AWAY, OK),
        c.DutyCover("c", "sh", None),
        c.DutyCover("d", "sz", MUTE),
    ]
    t = c.tally(covers)
    assert (t.covered, t.total, t.score) == (2, 4, 0.5)
    assert c.Tally().score == 1.0  # nothing to cover
    assert c.combined([t, c.Tally(3, 4)]) == c.Tally(5, 8)
    assert c.combined([t, c.Tally(3, 4)]).score == 5 / 8
    assert c.gap_counts(covers) == {"vacant": 1, "unreachable": 1}
    cov = c.Coverage(tuple(covers))
    assert cov.for_unit("sz").tally == c.Tally(0, 1)
    assert list(cov.by_unit()) == ["sh", "sz"]


def test_alert_once_per_drop_and_again_only_after_recovery():
    step = c.alert_decision
    assert step(critical=True, score=0.8, alerted=False) == c.AlertDecision(True, True)
    assert step(critical=True, score=0.6, alerted=True) == c.AlertDecision(False, True)
    assert step(critical=True, score=1.0, alerted=True) == c.AlertDecision(False, False)
    assert step(critical=True, score=0.9, alerted=False) == c.AlertDecision(True, True)
    assert step(critical=False, score=0.1, alerted=False) == c.AlertDecision(False, False)
