"""API Gateway REST proxy events in, proxy responses out, for the webhook's two routes.

Powertools' event data class parses the event (case-insensitive headers, base64 bodies). The
route table is two entries, so a resolver is not worth its import cost on the latency-critical
webhook path (Powertools' event_handler package alone is ~60 ms of cold start).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadloop.webhook.endpoint import HttpAnswer
from leadloop.webhook.signature import SIGNATURE_HEADER

WEBHOOK_PATH = "/webhook"


def route_webhook(
    event: Mapping[str, Any],
    *,
    verify: Callable[[Mapping[str, str] | None], HttpAnswer],
    notify: Callable[[bytes, str | None], HttpAnswer],
) -> dict[str, Any]:
    request = APIGatewayProxyEvent(dict(event))
    if (request.resource or request.path or "").rstrip("/") != WEBHOOK_PATH:
        return _proxy(HttpAnswer(404, json.dumps({"error": "not found"})))
    method = (request.http_method or "").upper()
    if method == "GET":
        return _proxy(verify(request.query_string_parameters))
    if method == "POST":
        try:
            raw = _raw_body(request)
        except (binascii.Error, ValueError):
            return _proxy(HttpAnswer(400, json.dumps({"error": "body is not valid base64"})))
        headers = request.headers if request.get("headers") else {}
        return _proxy(notify(raw, headers.get(SIGNATURE_HEADER)))
    return _proxy(HttpAnswer(405, json.dumps({"error": "method not allowed"})))


def _raw_body(request: APIGatewayProxyEvent) -> bytes:
    """The body's exact bytes, as Meta signed them."""
    body = request.body or ""
    if request.is_base64_encoded:
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8")


def _proxy(answer: HttpAnswer) -> dict[str, Any]:
    return {
        "statusCode": answer.status,
        # The challenge is echoed text: no browser may read it as anything but what it says.
        "headers": {"Content-Type": answer.content_type, "X-Content-Type-Options": "nosniff"},
        "body": answer.body,
        "isBase64Encoded": False,
    }
