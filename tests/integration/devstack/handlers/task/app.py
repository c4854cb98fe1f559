"""State machine task: fails with TransientError until the attempt given in the input, or with Fatal."""

from fixture_common import record


class TransientError(Exception):
    pass


class FatalError(Exception):
    pass


def handler(event, context):
    record("task", event)
    if event.get("fatal"):
        raise FatalError("cannot continue")
    attempts = len(_calls(event["run"]))
    if attempts < event.get("succeed_on", 1):
        raise TransientError(f"attempt {attempts}")
    return {"run": event["run"], "attempts": attempts}


def _calls(run):
    import json
    import os

    import boto3
    from boto3.dynamodb.conditions import Key

    table = boto3.resource("dynamodb").Table(os.environ["CALLS_TABLE"])
    items = table.query(KeyConditionExpression=Key("pk").eq("task"))["Items"]
    return [i for i in items if json.loads(i["data"]).get("run") == run]
