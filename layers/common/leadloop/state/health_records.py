"""StateTable record of health runs: the latest (``keys.health_latest``) and a 30-day history.

The health service hands over a :class:`HealthRecord` (the report already encoded), so this adapter
knows the item's shape and nothing of the checks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.state import keys
from leadloop.state.codec import from_item, to_item
from leadloop.state.errors import StateError, error_code

HISTORY_SECONDS = 30 * 86400


@dataclass(frozen=True)
class HealthRecord:
    """One full health run: its status label, when it ran, the report as JSON and its problems' keys."""

    status: str
    checked_at: int
    report_json: str
    problem_keys: Sequence[str]


class HealthRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def latest(self) -> dict[str, Any] | None:
        """The last full run's report, alert time and problem keys; None when none can be read."""
        try:
            item = self._ddb.get_item(
                TableName=self._table, Key=keys.health_latest().item_key(), ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError):
            return None  # no previous record: at worst an alert is sent again
        if not item:
            return None
        fields = from_item(item)
        alerted_at = fields.get("alerted_at")
        return {
            "report": json.loads(fields["report"]),
            "alerted_at": int(alerted_at) if alerted_at is not None else None,
            "problem_keys": [str(k) for k in fields.get("problem_keys", [])],
        }

    def save(self, record: HealthRecord, *, alerted_at: int | None) -> None:
        """Replace the latest record and add one to the history (kept ``HISTORY_SECONDS``)."""
        base = {
            "status": record.status,
            "checked_at": record.checked_at,
            "report": record.report_json,
            "problem_keys": list(record.problem_keys),
            "alerted_at": alerted_at,
        }
        latest = keys.health_latest().fields() | base
        history = keys.health_report(record.checked_at).fields() | base
        history["expires_at"] = record.checked_at + HISTORY_SECONDS
        for fields in (latest, history):
            try:
                self._ddb.put_item(TableName=self._table, Item=to_item(fields))
            except (ClientError, BotoCoreError) as exc:
                raise StateError(f"recording the health report failed: {error_code(exc)}") from None
