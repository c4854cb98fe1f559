"""SQS handler: reports messages whose body starts with "fail" as batchItemFailures."""

from fixture_common import record


def handler(event, context):
    failures = []
    for rec in event["Records"]:
        if rec["body"].startswith("fail"):
            failures.append({"itemIdentifier": rec["messageId"]})
        else:
            record("queue", {"body": rec["body"], "count": rec["attributes"]["ApproximateReceiveCount"]})
    record("queue-batch", {"size": len(event["Records"]), "failed": len(failures)})
    return {"batchItemFailures": failures}
