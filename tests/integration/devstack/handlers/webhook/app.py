"""API handler: Meta's verification GET (verify_token from the secret) and an echo of POST bodies."""

import base64
import json
import os
from typing import Any

import boto3


def _verify_token() -> str:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["META_SECRET_ARN"])
    return str(json.loads(secret["SecretString"])["verify_token"])


def handler(event: Any, context: Any) -> Any:
    if event["httpMethod"] == "GET" and event["resource"] == "/webhook":
        query = event.get("queryStringParameters") or {}
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == _verify_token():
            return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": query["hub.challenge"]}
        return {"statusCode": 403, "body": "forbidden"}
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    if raw == b"explode":
        raise RuntimeError("webhook exploded")
    if raw == b"malformed":
        return {"statusCode": "two hundred"}
    if raw == b"binary-reply":
        return {
            "statusCode": 201,
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\xff\xfe").decode(),
            "headers": {"Content-Type": "application/octet-stream"},
            "multiValueHeaders": {"X-Multi": ["a", "b"]},
        }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Handler": context.function_name},
        "body": json.dumps({"event": event, "raw_b64": base64.b64encode(raw).decode()}),
    }
