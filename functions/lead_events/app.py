"""LeadEventsFunction: stored and forgotten leads (LeadsTable stream) become events on LeadEventsBus."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.events import consumer, wiring
from leadloop.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consumer.consume(event, context, wiring.events_deps())
