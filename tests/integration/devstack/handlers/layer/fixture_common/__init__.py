"""Shared helper of the test handlers (served as a layer): record what a handler saw in CallsTable."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import boto3

_cache: dict[str, Any] = {}


def record(kind: str, data: Any) -> None:
    if "table" not in _cache:
        _cache["table"] = boto3.resource("dynamodb").Table(os.environ["CALLS_TABLE"])
    item = {"pk": kind, "sk": f"{time.time():.6f}-{uuid.uuid4().hex[:8]}", "data": json.dumps(data)}
    _cache["table"].put_item(Item=item)
