"""LeadFetchFunction: Meta's leadgen webhook (API Gateway) and the FetchRetryQueue consumer."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.capture import wiring
from leadloop.observability import logger, metrics
from leadloop.webhook import endpoint
from leadloop.webhook.apigateway import route_webhook


def _verify(params: Mapping[str, str] | None) -> endpoint.HttpAnswer:
    return endpoint.verify_subscription(params, wiring.credentials)


def _notify(raw_body: bytes, signature: str | None) -> endpoint.HttpAnswer:
    settings = wiring.settings()
    return endpoint.receive_notification(
        raw_body,
        signature,
        credentials=wiring.credentials,
        deps=wiring.capture_deps,
        budget_seconds=settings.webhook_response_budget_seconds,
        max_body_bytes=settings.webhook_max_body_bytes,
        started=time.time(),
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("Records"):
        # Imported here: webhook calls (the latency-critical path) never pay for batch processing.
        from leadloop.capture import retry_consumer

        return retry_consumer.consume(event, context, wiring.capture_deps())
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    return route_webhook(event, verify=_verify, notify=_notify)
