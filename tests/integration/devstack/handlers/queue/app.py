"""SQS handler: reports messages whose body starts with "fail" as batchItemFailures."""

from typing import Any

from fixture_common import record  # type: ignore[import-not-found]


def handler(event: Any, context: Any) -> Any:
    failures = []
    for rec in event["Records"]:
        if rec["body"].startswith("fail"):
            failures.append({"itemIdentifier": rec["messageId"]})
        else:
            record("queue", {"body": rec["body"], "count": rec["attributes"]["ApproximateReceiveCount"]})
    record("queue-batch", {"size": len(event["Records"]), "failed": len(failures)})
    return {"batchItemFailures": failures}
