"""AudienceReplaceFunction: one task of the AudienceReplace state machine per invocation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.batch.deadline import time_left
from leadloop.observability import logger, metrics
from leadloop.replace import tasks, wiring


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.run_task(event, wiring.replace_deps(), time_left(context))
