"""BackfillFunction: hourly (ScheduleV2) and on-demand bulk reads of every routed form."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadloop.backfill import wiring
from leadloop.backfill.request import BackfillRequest
from leadloop.backfill.service import backfill
from leadloop.batch.deadline import time_left
from leadloop.observability import logger, metrics


class InvalidBackfillRequest(ValueError):
    """The invocation payload is not a backfill request."""


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = BackfillRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidBackfillRequest(f"invalid backfill request: {exc.error_count()} error(s)") from None
    routes, unknown = request.select(wiring.routing())
    report = backfill(
        routes,
        wiring.backfill_deps(),
        since=request.since_epoch(),
        time_left=time_left(context),
    )
    answer = report.as_dict()
    if unknown:
        answer |= {"ok": False, "unknown_form_ids": unknown}
    return answer
