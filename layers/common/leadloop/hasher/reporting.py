"""Cells the hasher could not normalize, counted by schema key over a batch, emitted once per key.

One metric line per key and batch (not per lead) keeps the EMF volume small; the dashboard's
"invalid cells by schema key" widget reads ``LeadCellsRejectedByKey``. Counts only, never values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from aws_lambda_powertools.metrics import single_metric

from leadloop.observability import MetricUnit, metrics

_rejected: Counter[str] = Counter()


def count_rejected(rejected: Iterable[tuple[str, str]]) -> None:
    _rejected.update(key for key, _reason in rejected)


def emit_rejected() -> dict[str, int]:
    """Publish and reset the batch's counts; returns what was published."""
    counts = dict(_rejected)
    _rejected.clear()
    for key, value in sorted(counts.items()):
        with single_metric(
            name="LeadCellsRejectedByKey", unit=MetricUnit.Count, value=value, namespace=metrics.namespace
        ) as m:
            m.add_dimension(name="key", value=key)
    return counts
