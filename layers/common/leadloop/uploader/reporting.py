"""Per-audience counters of a batch, emitted as metrics with the audience id as a dimension.

Counts only (rows sent, Meta's ``num_received`` and ``num_invalid_entries``): no row data. Meta
reports both numbers cumulatively for an upload session, so calls of one session add the growth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import single_metric

from leadloop.observability import MetricUnit, metrics
from leadloop.uploader.batching import Call


@dataclass
class AudienceCounts:
    rows_sent: int = 0
    received: int = 0
    invalid: int = 0
    calls: int = 0
    failed_calls: int = 0
    _sessions: dict[int, tuple[int, int]] = field(default_factory=dict)

    def add(self, call: Call, num_received: int, num_invalid: int) -> None:
        self.calls += 1
        self.rows_sent += len(call.rows)
        if call.session is None:
            self.received += num_received
            self.invalid += num_invalid
            return
        seen_received, seen_invalid = self._sessions.get(call.session.session_id, (0, 0))
        self.received += max(0, num_received - seen_received)
        self.invalid += max(0, num_invalid - seen_invalid)
        self._sessions[call.session.session_id] = (
            max(seen_received, num_received),
            max(seen_invalid, num_invalid),
        )


def emit_counts(counts: Mapping[str, AudienceCounts]) -> None:
    for audience_id, c in counts.items():
        for name, value in (
            ("AudienceRowsSent", c.rows_sent),
            ("AudienceRowsReceived", c.received),
            ("AudienceRowsInvalid", c.invalid),
            ("AudienceUploadCalls", c.calls),
            ("AudienceUploadFailedCalls", c.failed_calls),
        ):
            with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as metric:
                metric.add_dimension(name="audience_id", value=audience_id)
