"""Exponential waits with jitter, so retries of many records spread out instead of arriving together."""

from __future__ import annotations

import math
import random
from typing import Final

#: Doublings stop here: every wait is capped long before, this only keeps the number finite.
MAX_DOUBLINGS: Final = 19
#: The factor a retry wait is multiplied by, drawn at random (plus or minus 20%).
DEFAULT_JITTER: Final = (0.8, 1.2)


def doubled(base: float, attempt: int) -> float:
    """``base`` for the first attempt, twice as long for each attempt after it."""
    return base * 2.0 ** min(MAX_DOUBLINGS, max(0, attempt - 1))


def jittered(seconds: float, low: float, high: float, *, rng: random.Random | None = None) -> float:
    """``seconds`` times a factor drawn from ``[low, high]`` (from ``rng``, or the module's generator)."""
    draw = rng.uniform if rng is not None else random.uniform
    return seconds * draw(low, high)


def backoff_with_jitter(
    base: float,
    attempt: int,
    *,
    cap: float = math.inf,
    jitter: tuple[float, float] = DEFAULT_JITTER,
    rng: random.Random | None = None,
) -> float:
    """The wait before retrying ``attempt``: doubled per attempt, jittered, then at most ``cap``."""
    return min(cap, jittered(doubled(base, attempt), *jitter, rng=rng))
