"""Sets of chunk numbers kept as ``[[first, last], ...]`` ranges, so the state stays small.

A 100M-row replace has 10,000 chunks; when the window closes early most of them become overflow,
and a plain list of numbers would weigh tens of kilobytes in every history event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

Ranges = list[list[int]]


def to_ranges(numbers: Iterable[int]) -> Ranges:
    ranges: Ranges = []
    for n in sorted(set(numbers)):
        if ranges and ranges[-1][1] + 1 == n:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ranges


def members(ranges: Sequence[Sequence[int]] | None) -> Iterator[int]:
    for first, last in ranges or []:
        yield from range(int(first), int(last) + 1)


def count(ranges: Sequence[Sequence[int]] | None) -> int:
    return sum(int(last) - int(first) + 1 for first, last in ranges or [])


def union(ranges: Sequence[Sequence[int]] | None, numbers: Iterable[int]) -> Ranges:
    return to_ranges([*members(ranges), *numbers])


def without(ranges: Sequence[Sequence[int]] | None, number: int) -> Ranges:
    return to_ranges(n for n in members(ranges) if n != number)


def nth(ranges: Sequence[Sequence[int]], index: int) -> int:
    """The ``index``-th (0-based) member in ascending order."""
    for first, last in ranges:
        size = int(last) - int(first) + 1
        if index < size:
            return int(first) + index
        index -= size
    raise IndexError(index)
