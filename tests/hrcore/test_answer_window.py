"""The weekly answer window of self-service questions (issue 17 §2): pure arithmetic of the
window open at a moment or the next one, in a DST-free zone and across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from hrcore.answer_window import WeeklyWindow

SH = timezone(timedelta(hours=8))


def test_default_window_is_thursday_evening_in_shanghai():
    window = WeeklyWindow()
    assert (window.weekday, window.starts, window.ends) == (3, time(19), time(21))
    wednesday = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
    opens, closes = window.current_or_next(wednesday)
    assert (opens, closes) == (
        datetime(2026, 12, 3, 19, 0, tzinfo=SH),
        datetime(2026, 12, 3, 21, 0, tzinfo=SH),
    )
    assert opens.astimezone(UTC) == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert window.next_opening_after(wednesday) == (opens, closes)
    assert window.is_open(wednesday) is False


def test_inside_the_window_it_is_current_but_a_new_question_waits_for_the_next_one():
    window = WeeklyWindow(time_zone="Asia/Shanghai")
    during = datetime(2026, 12, 3, 19, 30, tzinfo=SH)
    assert window.is_open(during)
    assert window.current_or_next(during) == (
        datetime(2026, 12, 3, 19, 0, tzinfo=SH),
        datetime(2026, 12, 3, 21, 0, tzinfo=SH),
    )
    assert window.next_opening_after(during) == (
        datetime(2026, 12, 10, 19, 0, tzinfo=SH),
        datetime(2026, 12, 10, 21, 0, tzinfo=SH),
    )
    # At the opening minute itself the window is open; the next whole one is a week later.
    at_open = datetime(2026, 12, 3, 19, 0, tzinfo=SH)
    assert window.is_open(at_open)
    assert window.next_opening_after(at_open)[0] == datetime(2026, 12, 10, 19, 0, tzinfo=SH)


def test_closing_minute_and_later_days_roll_to_next_week():
    window = WeeklyWindow()
    at_close = datetime(2026, 12, 3, 21, 0, tzinfo=SH)
    assert not window.is_open(at_close)
    assert window.current_or_next(at_close)[0] == datetime(2026, 12, 10, 19, 0, tzinfo=SH)
    friday = datetime(2026, 12, 4, 8, 0, tzinfo=SH)
    assert window.current_or_next(friday)[0] == datetime(2026, 12, 10, 19, 0, tzinfo=SH)
    # A moment given in UTC that is already Thursday night in Shanghai.
    utc = datetime(2026, 12, 3, 12, 59, tzinfo=UTC)  # 20:59 in Shanghai
    assert window.is_open(utc)


def test_a_configured_window_in_berlin_keeps_its_local_hours_across_the_dst_change():
    # Europe/Berlin leaves summer time on Sunday 2026-10-25.
    window = WeeklyWindow(weekday=0, starts=time(8, 30), ends=time(10), time_zone="Europe/Berlin")
    before = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # Tuesday
    opens, closes = window.current_or_next(before)
    assert opens.astimezone(UTC) == datetime(2026, 10, 26, 7, 30, tzinfo=UTC)  # 08:30 CET
    assert closes.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    summer = window.current_or_next(datetime(2026, 10, 12, 12, 0, tzinfo=UTC))[0]
    assert summer.astimezone(UTC) == datetime(2026, 10, 19, 6, 30, tzinfo=UTC)  # 08:30 CEST
    assert (summer.hour, opens.hour) == (8, 8)


def test_invalid_windows_are_refused():
    with pytest.raises(ValueError):
        WeeklyWindow(starts=time(21), ends=time(19))
    with pytest.raises(ValueError):
        WeeklyWindow(weekday=7)
    with pytest.raises(Exception):  # noqa: B017  an unknown zone (ZoneInfoNotFoundError)
        WeeklyWindow(time_zone="Mars/Olympus")
