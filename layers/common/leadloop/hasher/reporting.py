"""Cells the hasher could not normalize, counted by schema key over a batch, emitted once per key.

One metric line per key and batch (not per lead) keeps the EMF volume small; the dashboard's
"invalid cells by schema key" widget reads ``LeadCellsRejectedByKey``. Counts only, never values.
The consumer makes one ``RejectedCells`` per invocation and hands it to the row code, so counts
never outlive their batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import single_metric

from leadloop.observability import MetricUnit, metrics


@dataclass
class RejectedCells:
    """The rejected cells of one batch, by schema key."""

    by_key: Counter[str] = field(default_factory=Counter)

    def count(self, rejected: Iterable[tuple[str, str]]) -> None:
        """Add one lead's ``(key, reason)`` rejections."""
        self.by_key.update(key for key, _reason in rejected)

    def emit(self) -> dict[str, int]:
        """Publish and reset the batch's counts; returns what was published."""
        counts = dict(self.by_key)
        self.by_key.clear()
        for key, value in sorted(counts.items()):
            with single_metric(
                name="LeadCellsRejectedByKey", unit=MetricUnit.Count, value=value, namespace=metrics.namespace
            ) as m:
                m.add_dimension(name="key", value=key)
        return counts
