"""StateTable record of health runs: ``health`` / ``latest`` and ``health`` / ``report#{at}`` (30 days)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.health.findings import Report
from leadloop.health.service import problem_keys, report_json

HISTORY_SECONDS = 30 * 86400


class HealthRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def latest(self) -> dict[str, Any] | None:
        try:
            item = self._ddb.get_item(
                TableName=self._table, Key={"pk": {"S": "health"}, "sk": {"S": "latest"}}, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError):
            return None  # no previous record: at worst an alert is sent again
        if not item:
            return None
        return {
            "report": json.loads(item["report"]["S"]),
            "alerted_at": int(item["alerted_at"]["N"]) if "alerted_at" in item else None,
            "problem_keys": [v["S"] for v in item.get("problem_keys", {}).get("L", [])],
        }

    def save(self, report: Report, *, alerted_at: int | None) -> None:
        base: dict[str, Any] = {
            "pk": {"S": "health"},
            "status": {"S": report.status.label},
            "checked_at": {"N": str(report.checked_at)},
            "report": {"S": report_json(report)},
            "problem_keys": {"L": [{"S": k} for k in problem_keys(report)]},
        }
        if alerted_at is not None:
            base["alerted_at"] = {"N": str(alerted_at)}
        history = base | {
            "sk": {"S": f"report#{report.checked_at:010d}"},
            "expires_at": {"N": str(report.checked_at + HISTORY_SECONDS)},
        }
        self._ddb.put_item(TableName=self._table, Item=base | {"sk": {"S": "latest"}})
        self._ddb.put_item(TableName=self._table, Item=history)
