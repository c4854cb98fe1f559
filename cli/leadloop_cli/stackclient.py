"""Drive a running local stack the way Meta and an operator would: over HTTP and the AWS APIs.

Built from the JSON that ``leadloop dev up --json`` prints (or the in-process stack's ``info()``),
so the demo and the end-to-end tests exercise exactly what a user's own scripts can.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
import requests
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config

_deserializer = TypeDeserializer()


class WaitTimeout(AssertionError):
    """A condition the scenario waited for did not come true in time."""


class StackClient:
    def __init__(self, info: Mapping[str, Any]) -> None:
        self.info = dict(info)
        self.resources: dict[str, str] = dict(info["resources"])
        self.seed: dict[str, str] = dict(info["seed"])
        self.graph_url = str(info["graph_url"]).rstrip("/")
        self.webhook_url = str(info["webhook_url"])
        self._http = requests.Session()
        # The stack's admin: with IAM enforced, moto refuses keys it did not issue.
        self._boto = boto3.session.Session(
            aws_access_key_id=str(info.get("aws_access_key_id") or "testing"),
            aws_secret_access_key=str(info.get("aws_secret_access_key") or "testing"),
            region_name=str(info["region"]),
        )
        self._config = Config(read_timeout=960, retries={"max_attempts": 1})

    def aws(self, service: str) -> Any:
        return self._boto.client(  # type: ignore[call-overload]
            service, endpoint_url=str(self.info["aws_endpoint_url"]), config=self._config
        )

    # ------------------------------------------------------------------ simulator
    def sim(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, f"{self.graph_url}{path}", json=body, timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"simulator {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def create_lead(self, field_data: Sequence[Mapping[str, Any]], *, deliver: bool, **extra: Any) -> str:
        body = {
            "page_id": self.seed["page_id"],
            "form_id": self.seed["form_id"],
            "field_data": list(field_data),
            "deliver": deliver,
            **extra,
        }
        return str(self.sim("POST", "/_sim/leads", body)["id"])

    def deliver(self, lead_ids: Sequence[str], *, copies: int = 1) -> None:
        self.sim("POST", "/_sim/webhooks", {"lead_ids": list(lead_ids), "copies": copies})

    def add_fault(self, **fault: Any) -> str:
        return str(self.sim("POST", "/_sim/faults", fault)["id"])

    def clear_faults(self) -> None:
        self.sim("DELETE", "/_sim/faults")

    def calls(self) -> list[dict[str, Any]]:
        return list(self.sim("GET", "/_sim/calls"))

    # ------------------------------------------------------------------ AWS side
    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        answer = self.aws("dynamodb").get_item(
            TableName=self.resources["LeadsTable"], Key={"leadgen_id": {"S": leadgen_id}}, ConsistentRead=True
        )
        item = answer.get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def all_leads(self) -> list[dict[str, Any]]:
        ddb = self.aws("dynamodb")
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.resources["LeadsTable"], "ConsistentRead": True}
        while True:
            answer = ddb.scan(**kwargs)
            items += [{k: _deserializer.deserialize(v) for k, v in i.items()} for i in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return items
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def wait_for_fetched(self, leadgen_ids: Sequence[str], *, timeout: float = 60.0) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}

        def done() -> bool:
            for lead_id in leadgen_ids:
                if lead_id not in found:
                    item = self.lead(lead_id)
                    if item and item.get("status") == "FETCHED":
                        found[lead_id] = item
            return len(found) == len(leadgen_ids)

        wait_until(done, timeout=timeout, what=f"{len(leadgen_ids)} lead(s) to be stored")
        return found

    def queue_depth(self, logical_id: str) -> int:
        attrs = self.aws("sqs").get_queue_attributes(
            QueueUrl=self.resources[logical_id],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def invoke(self, logical_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.aws("lambda").invoke(
            FunctionName=self.resources[logical_id], Payload=json.dumps(payload).encode()
        )
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise AssertionError(f"{logical_id} failed: {str(body)[:300]}")
        return dict(body)

    def log_text(self) -> str:
        path = Path(str(self.info["log_file"]))
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    if not condition():
        raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}")
