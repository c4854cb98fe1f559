"""State machine task: fails with TransientError until the attempt given in the input, or with Fatal."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from fixture_common import record  # type: ignore[import-not-found]


class TransientError(Exception):
    pass


class FatalError(Exception):
    pass


def _calls(run: str) -> list[Any]:
    table = boto3.resource("dynamodb").Table(os.environ["CALLS_TABLE"])
    items = table.query(KeyConditionExpression=Key("pk").eq("task"))["Items"]
    return [item for item in items if json.loads(str(item["data"])).get("run") == run]


def handler(event: Any, context: Any) -> Any:
    record("task", event)
    if event.get("fatal"):
        raise FatalError("cannot continue")
    attempts = len(_calls(event["run"]))
    if attempts < event.get("succeed_on", 1):
        raise TransientError(f"attempt {attempts}")
    return {"run": event["run"], "attempts": attempts}
