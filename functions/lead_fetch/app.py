"""LeadFetchFunction: Meta's leadgen webhook (API Gateway) and the FetchRetryQueue consumer."""

from __future__ import annotations

import base64
import time
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from leadloop.capture import wiring
from leadloop.observability import logger, metrics
from leadloop.webhook import endpoint
from leadloop.webhook.signature import SIGNATURE_HEADER

app = APIGatewayRestResolver()


def _respond(answer: endpoint.HttpAnswer) -> Response[str]:
    return Response(status_code=answer.status, content_type=answer.content_type, body=answer.body)


@app.get("/webhook")
def verify() -> Response[str]:
    return _respond(endpoint.verify_subscription(app.current_event.query_string_parameters, wiring.credentials))


@app.post("/webhook")
def notify() -> Response[str]:
    event = app.current_event
    body = event.body or ""
    raw = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    settings = wiring.settings()
    return _respond(
        endpoint.receive_notification(
            raw,
            event.headers.get(SIGNATURE_HEADER),
            credentials=wiring.credentials,
            deps=wiring.capture_deps,
            budget_seconds=settings.webhook_response_budget_seconds,
            max_body_bytes=settings.webhook_max_body_bytes,
            started=time.time(),
        )
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("Records"):
        # Imported here: webhook calls (the latency-critical path) never pay for batch processing.
        from leadloop.capture import retry_consumer

        return retry_consumer.consume(event, context, wiring.capture_deps())
    logger.set_correlation_id(event.get("requestContext", {}).get("requestId"))
    return app.resolve(event, context)
