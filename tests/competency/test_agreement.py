"""The agreement arithmetic against published figures."""

import pytest

from competency.agreement import calibration_deviation, icc_2_1, item_agreement

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Their Table 4 reports
# ICC(2,1) = 0.29.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_icc_2_1_matches_shrout_and_fleiss():
    assert icc_2_1(SHROUT_FLEISS) == pytest.approx(0.2898, abs=5e-4)


def test_icc_of_two_raters_in_perfect_and_in_no_agreement():
    assert icc_2_1([[0, 0], [1, 1], [2, 2], [1, 1]]) == pytest.approx(1.0)
    # a second rater who scores against the first: negative agreement
    assert icc_2_1([[0, 2], [1, 1], [2, 0], [2, 0]]) < 0
    # a constant shift of one rater lowers absolute agreement below 1
    shifted = icc_2_1([[0, 1], [1, 2], [0, 1], [1, 2]])
    assert 0 < shifted < 1


def test_icc_is_undefined_with_too_little_data():
    assert icc_2_1([[1, 2], [2, 1]]) is None  # two targets
    assert icc_2_1([[1], [2], [0]]) is None  # one rater
    assert icc_2_1([[1, 1], [1, 1], [1, 1]]) is None  # no variance at all
    assert icc_2_1([[1, 2], [2], [0, 1]]) is None  # ragged


def test_items_are_flagged_where_raters_split():
    result = item_agreement({7: [(2, 2), (1, 1), (0, 0)], 8: [(2, 1), (0, 1), (2, 2)]})
    assert [(r.item_id, r.pairs, r.mean_difference, r.flagged) for r in result] == [
        (7, 3, 0.0, False),
        (8, 3, 0.67, True),
    ]


def test_calibration_deviation():
    assert calibration_deviation({1: 2, 2: 0, 3: 1}, {1: 2, 2: 1, 3: 2}) == 0.67
    assert calibration_deviation({1: 2}, {2: 1}) is None
