"""DynamoDB stream handler: records what it got; items with poison=true are reported as failures."""

from typing import Any

from fixture_common import record  # type: ignore[import-not-found]


def handler(event: Any, context: Any) -> Any:
    failures = []
    for rec in event["Records"]:
        image = rec["dynamodb"].get("NewImage") or {}
        if image.get("poison", {}).get("BOOL"):
            failures.append({"itemIdentifier": rec["dynamodb"]["SequenceNumber"]})
            break
        record("stream", {"id": image.get("id", {}).get("S"), "event": rec["eventName"], "source": rec["eventSource"]})
    return {"batchItemFailures": failures}
