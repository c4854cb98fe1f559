from fixture_common import record


def handler(event, context):
    record("scheduled", event)
    return {"got": event}
