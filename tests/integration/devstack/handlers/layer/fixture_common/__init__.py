"""Shared helper of the test handlers (served as a layer): record what a handler saw in CallsTable."""

import json
import os
import time
import uuid

import boto3

_table = None


def record(kind, data):
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["CALLS_TABLE"])
    _table.put_item(Item={"pk": kind, "sk": f"{time.time():.6f}-{uuid.uuid4().hex[:8]}", "data": json.dumps(data)})
