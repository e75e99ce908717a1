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


def test_drills_and_simulations_are_one_history_of_the_role():
    # a simulation passed on day 0, a drill passed on day 8: two passes in a row → 30 days
    simulation, drill = (T, True), (T + days(8), True)
    assert next_due([drill, simulation], cadence_days=180) == T + days(8 + 30)
    # a late drill after them: back within days, and not current meanwhile
    late_drill = (T + days(40), False)
    history = [simulation, drill, late_drill]
    assert next_due(history, cadence_days=180) == T + days(40) + RETRY_AFTER_FAIL
    assert is_current(history, cadence_days=180, now=T + days(41)) is False


def test_one_default_cadence_from_the_setting(settings):
    from competency.spacing import DEFAULT_CADENCE_DAYS, default_cadence_days

    assert default_cadence_days() == DEFAULT_CADENCE_DAYS == 180
    settings.KEEL_PRACTICE_CADENCE_DAYS = 90
    assert default_cadence_days() == 90
