"""Commission arithmetic on known data: the rule in force, overlaps, a rule change's preview."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from integrations import commission as c

R2 = c.Rule(3, "", D("0.0200"), date(2026, 1, 1), None, id=1)
R3_TEA = c.Rule(3, "tea", D("0.0300"), date(2026, 11, 15), None, id=2)


def test_rule_in_force_prefers_the_product_line_and_respects_dates():
    rules = [R2, R3_TEA]
    assert c.rule_in_force(rules, grade=3, product_line="tea", day=date(2026, 11, 14)) == R2
    assert c.rule_in_force(rules, grade=3, product_line="tea", day=date(2026, 11, 15)) == R3_TEA
    assert c.rule_in_force(rules, grade=3, product_line="wine", day=date(2026, 11, 20)) == R2
    assert c.rule_in_force(rules, grade=4, product_line="", day=date(2026, 11, 20)) is None
    # No rule: the default grade table (grade 5 → 2.5 %).
    assert c.rate_on(rules, grade=5, product_line="", day=date(2026, 11, 20)) == D("0.0250")


def test_end_date_is_exclusive_and_overlaps():
    a = c.Rule(3, "", D("0.01"), date(2026, 1, 1), date(2026, 2, 1))
    b = c.Rule(3, "", D("0.02"), date(2026, 2, 1), None)
    assert not c.overlaps(a, b)
    assert c.rule_in_force([a, b], grade=3, product_line="", day=date(2026, 2, 1)) == b
    assert c.overlaps(a, c.Rule(3, "", D("0.02"), date(2026, 1, 31), None))
    assert not c.overlaps(a, c.Rule(3, "tea", D("0.02"), date(2026, 1, 15), None))
    assert not c.overlaps(a, c.Rule(4, "", D("0.02"), date(2026, 1, 15), None))


def test_preview_per_person_and_total():
    orders = [
        c.PaidOrder(1, 3, "tea", D("10000"), date(2026, 11, 10)),  # R2: 200.00
        c.PaidOrder(1, 3, "tea", D("10000"), date(2026, 11, 20)),  # R3_TEA: 300.00
        c.PaidOrder(2, 3, "wine", D("333.33"), date(2026, 11, 20)),  # R2: 6.67
        c.PaidOrder(3, 5, "", D("1000"), date(2026, 11, 20)),  # default 2.5 %: 25.00
    ]
    proposed = c.Rule(3, "", D("0.0250"), date(2026, 11, 1), None)  # every line from Nov 1
    result = c.preview(orders, [R2, R3_TEA], proposed)
    lines = {line.employee_id: (line.current, line.proposed) for line in result.lines}
    # Person 1: the tea rule still wins from Nov 15 (exact line first): 250.00 + 300.00.
    assert lines == {
        1: (D("500.00"), D("550.00")),
        2: (D("6.67"), D("8.33")),
        3: (D("25.00"), D("25.00")),
    }
    assert (result.current, result.proposed, result.change) == (
        D("531.67"),
        D("583.33"),
        D("51.66"),
    )


def test_preview_of_an_edited_rule_replaces_it():
    orders = [c.PaidOrder(1, 3, "tea", D("10000"), date(2026, 11, 20))]
    edited = c.Rule(3, "tea", D("0.0100"), date(2026, 11, 15), None, id=2)
    result = c.preview(orders, [R2, R3_TEA], edited)
    assert (result.current, result.proposed) == (D("300.00"), D("100.00"))


def test_previous_month():
    assert c.previous_month(date(2026, 12, 2)) == (date(2026, 11, 1), date(2026, 12, 1))
    assert c.previous_month(date(2026, 1, 31)) == (date(2025, 12, 1), date(2026, 1, 1))
