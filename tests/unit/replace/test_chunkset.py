"""Chunk-number sets as ranges: what the state machine's state holds for overflow."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.replace import chunkset


def test_ranges_merge_neighbours_and_answer_questions():
    ranges = chunkset.to_ranges([9, 2, 3, 4, 7, 3])
    assert ranges == [[2, 4], [7, 7], [9, 9]]
    assert chunkset.count(ranges) == 5
    assert [chunkset.nth(ranges, i) for i in range(5)] == [2, 3, 4, 7, 9]
    with pytest.raises(IndexError):
        chunkset.nth(ranges, 5)
    assert chunkset.union(ranges, range(5, 7)) == [[2, 7], [9, 9]]
    assert chunkset.without(ranges, 3) == [[2, 2], [4, 4], [7, 7], [9, 9]]
    assert chunkset.count(None) == 0 and list(chunkset.members(None)) == []


def test_ten_thousand_overflow_chunks_stay_one_range():
    assert chunkset.union([[5, 5]], range(6, 10_001)) == [[5, 10_000]]


@given(st.sets(st.integers(min_value=1, max_value=500)))
def test_ranges_hold_exactly_the_numbers(numbers: set[int]):
    ranges = chunkset.to_ranges(numbers)
    assert list(chunkset.members(ranges)) == sorted(numbers)
    assert chunkset.count(ranges) == len(numbers)
