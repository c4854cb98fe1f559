"""AudienceUploaderFunction: hashed rows on AudienceQueue become Custom Audience members at Meta."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.observability import logger, metrics
from leadloop.uploader import consumer, wiring


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consumer.consume(event, context, wiring.uploader_deps())
