"""HealthCheckFunction: the health checks on a schedule or on demand (``{"page_id"?, "checks"?}``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.health import service, wiring
from leadloop.health.request import parse_request
from leadloop.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_request(event)
    deps = wiring.health_deps()
    report = service.run_checks(deps, page_id=request.page_id, only=request.checks)
    alerted = service.record(report, deps)
    return report.as_dict() | {"alerted": alerted}
