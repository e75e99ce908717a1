"""Paging of the crisis list and the dashboard board: Django's Paginator over rows whose number
the page already knows (crisis.presenters.page_of / page_links). Pure: plain lists, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisis.presenters import page_links, page_of


def _page(total, requested, size):
    return page_of(range(total), total=total, requested=requested, size=size)


def _numbers(page):
    return [link["number"] for link in page_links(page, lambda n: f"?page={n}")["page_links"]]


def test_first_page_of_sixty_items():
    page = _page(60, None, 25)
    assert (page.number, page.paginator.num_pages) == (1, 3)
    assert list(page.object_list) == list(range(25))
    assert (page.start_index(), page.end_index()) == (1, 25)
    assert (page.has_previous(), page.has_next()) == (False, True)


def test_last_page_is_partial():
    page = _page(60, "3", 25)
    assert (page.start_index(), page.end_index()) == (51, 60)
    assert list(page.object_list) == list(range(50, 60))
    assert (page.has_previous(), page.has_next()) == (True, False)


@pytest.mark.parametrize(
    ("requested", "expected"), [("0", 1), ("-4", 1), ("99", 3), ("abc", 1), ("", 1), (2, 2)]
)
def test_requested_page_is_clamped(requested, expected):
    assert _page(51, requested, 25).number == expected


def test_empty_board_has_one_empty_page():
    page = _page(0, "5", 25)
    assert (page.number, page.paginator.num_pages, page.start_index(), page.end_index()) == (
        1,
        1,
        0,
        0,
    )
    assert _numbers(page) == [1]


def test_numbers_show_first_last_and_neighbours_with_gaps():
    assert _numbers(_page(400, 8, 25)) == [1, None, 6, 7, 8, 9, 10, None, 16]
    assert _numbers(_page(100, 1, 25)) == [1, 2, 3, 4]


def test_links_keep_the_url_builder_and_mark_the_current_page():
    links = page_links(_page(100, 2, 25), lambda n: f"?page={n}")
    assert links["previous_url"] == "?page=1" and links["next_url"] == "?page=3"
    assert [link["current"] for link in links["page_links"]] == [False, True, False, False]


def test_the_known_total_is_not_counted_again():
    class Rows(list):
        def count(self):
            raise AssertionError("counted a second time")

    page = page_of(Rows(range(30)), total=30, requested=2, size=25)
    assert list(page.object_list) == list(range(25, 30))


@given(st.integers(0, 10_000), st.integers(-5, 500), st.integers(1, 100))
def test_every_item_is_on_exactly_one_page(total, requested, size):
    page = _page(total, requested, size)
    pages = page.paginator.num_pages
    assert 1 <= page.number <= pages
    covered = sum(len(_page(total, n, size).object_list) for n in range(1, pages + 1))
    assert covered == total
