"""Page arithmetic of the dashboard board (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisis.paging import page_window


def test_first_page_of_sixty_items():
    window = page_window(total=60, requested=None, size=25)
    assert (window.number, window.pages, window.offset, window.stop) == (1, 3, 0, 25)
    assert (window.first_index, window.last_index) == (1, 25)
    assert (window.has_previous, window.has_next) == (False, True)


def test_last_page_is_partial():
    window = page_window(total=60, requested="3", size=25)
    assert (window.offset, window.first_index, window.last_index) == (50, 51, 60)
    assert (window.has_previous, window.has_next) == (True, False)


@pytest.mark.parametrize(
    ("requested", "expected"), [("0", 1), ("-4", 1), ("99", 3), ("abc", 1), ("", 1), (2, 2)]
)
def test_requested_page_is_clamped(requested, expected):
    assert page_window(total=51, requested=requested, size=25).number == expected


def test_empty_board_has_one_empty_page():
    window = page_window(total=0, requested="5", size=25)
    assert (window.number, window.pages, window.first_index, window.last_index) == (1, 1, 0, 0)
    assert window.numbers() == [1]


def test_numbers_show_first_last_and_neighbours_with_gaps():
    assert page_window(total=400, requested=8, size=25).numbers() == [
        1,
        None,
        6,
        7,
        8,
        9,
        10,
        None,
        16,
    ]
    assert page_window(total=100, requested=1, size=25).numbers() == [1, 2, 3, 4]


@given(st.integers(0, 10_000), st.integers(-5, 500), st.integers(1, 100))
def test_every_item_is_on_exactly_one_page(total, requested, size):
    window = page_window(total=total, requested=requested, size=size)
    assert 1 <= window.number <= window.pages
    assert 0 <= window.offset <= max(total - 1, 0)
    covered = sum(
        page_window(total=total, requested=n, size=size).last_index
        - page_window(total=total, requested=n, size=size).offset
        for n in range(1, window.pages + 1)
    )
    assert covered == total
