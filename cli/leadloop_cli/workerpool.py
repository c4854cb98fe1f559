"""How many warm workers each function of the local stack gets.

Outside :mod:`leadloop_cli.devstack` so ``leadloop dev up`` can parse ``--workers`` without
importing the stack (boto3, moto) first.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WORKERS", "MAX_WORKERS", "pool_size_for"]

#: Workers of a function that reserves no concurrency (Lambda would scale it out): enough for a
#: burst of webhook deliveries, each mostly waiting on Meta and AWS, on a 2-core machine (~60 MB each).
DEFAULT_WORKERS = 8
#: The most workers any one function gets, whatever it reserves, so memory stays bounded.
MAX_WORKERS = 32


def pool_size_for(reserved: int | None, workers: int) -> int:
    """Its reserved concurrency when a function has one (as Lambda runs it), else ``workers``; capped."""
    wanted = reserved if reserved else workers
    return max(1, min(wanted, MAX_WORKERS))
