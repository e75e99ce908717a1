"""One whole-number parser (hrcore.ids.parse_whole_number) for ids, paging and pickers: ASCII
digits only, bounded, None instead of an exception (issue 9 §5)."""

from __future__ import annotations

import pytest

from hrcore.ids import MAX_ID, parse_id, parse_whole_number


@pytest.mark.parametrize("raw", ["²", "١٢", "", " ", "-1", "1.5", "0x10", "9" * 21, None, True])
def test_not_a_whole_number(raw):
    assert parse_whole_number(raw) is None


def test_bounds_and_ids():
    assert parse_whole_number(" 42 ") == 42
    assert parse_whole_number("5", minimum=1, maximum=4) is None
    assert parse_id("0") is None
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None


def test_offboarding_picker_ignores_a_superscript_digit(client_as):
    """``"²".isdigit()`` is True but ``int("²")`` raises: the page answered 500."""
    response = client_as("hradmin").get("/integrations/offboarding/?employee=²")
    assert response.status_code == 200


def test_paging_refuses_a_superscript_digit(client_as):
    response = client_as("hradmin").get("/api/v1/crises/?limit=²")
    assert response.status_code == 400
