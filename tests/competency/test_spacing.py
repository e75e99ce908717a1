"""The expanding-interval arithmetic of spaced practice."""

from datetime import UTC, datetime, timedelta

from competency.spacing import RETRY_AFTER_FAIL, intervals, is_current, next_due

T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def test_intervals_expand_and_end_at_the_cadence():
    assert intervals(180) == (7, 30, 90, 180)
    assert intervals(90) == (7, 30, 90, 90)
    assert intervals(20) == (7, 20, 20, 20)  # no step longer than the cadence


def test_next_practice_after_passes_failures_and_nothing():
    assert next_due([], cadence_days=180) is None
    assert next_due([(T, True)], cadence_days=180) == T + days(7)
    two = [(T, True), (T + days(8), True)]
    assert next_due(two, cadence_days=180) == T + days(8 + 30)
    three = [*two, (T + days(40), True)]
    assert next_due(three, cadence_days=180) == T + days(40 + 90)
    five = [*three, (T + days(131), True), (T + days(312), True)]
    assert next_due(five, cadence_days=180) == T + days(312 + 180)
    # a failure brings it back within days, and the streak starts again after it
    failed = [*three, (T + days(131), False)]
    assert next_due(failed, cadence_days=180) == T + days(131) + RETRY_AFTER_FAIL
    recovered = [*failed, (T + days(134), True)]
    assert next_due(recovered, cadence_days=180) == T + days(134 + 7)
    # the order the attempts come in does not matter
    assert next_due(list(reversed(recovered)), cadence_days=180) == T + days(134 + 7)


def test_currency():
    assert is_current([], cadence_days=180, now=T) is False
    assert is_current([(T, True)], cadence_days=180, now=T + days(6)) is True
    assert is_current([(T, True)], cadence_days=180, now=T + days(7)) is False
    # the latest result counts: a failed attempt is not current, whatever came before it
    assert is_current([(T, False)], cadence_days=180, now=T + days(1)) is False
    assert is_current([(T, True), (T + days(2), False)], cadence_days=180, now=T + days(3)) is False
    assert is_current([(T, False), (T + days(2), True)], cadence_days=180, now=T + days(3)) is True
