"""The webhook's HTTP behaviour (DESIGN §3), independent of the API Gateway event format.

GET: Meta's subscription check, 200 with the challenge as plain text or 403.
POST: 413 when oversized, 401 unless the raw body carries a valid ``X-Hub-Signature-256``
(fail closed), 400 for a signed body that is not a notification, 200 only after every valid
leadgen change is durably recorded, 500 when storage or queueing fails so that Meta retries (never
5xx for bad input). A malformed change beside valid ones is counted (``WebhookChangeMalformed``)
and logged by position, never by content, and the POST still answers 200: Meta would resend the
same body for 36 hours and it could never succeed. A stack whose secret is not filled in answers
500 too: Meta keeps retrying for 36 hours while the operator fixes it, instead of the leads being
refused for good.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from leadloop.capture.service import CaptureDeps, capture
from leadloop.config_source import ConfigurationError
from leadloop.credentials import MetaCredentials
from leadloop.leads.store import StoreError
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.queues import QueueError
from leadloop.webhook.payload import ChangePosition, MalformedPayload, parse_leadgen_notifications
from leadloop.webhook.signature import answer_challenge, signature_is_valid

#: Positions logged for one POST (the count is always complete).
MAX_LOGGED_POSITIONS = 20


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str
    content_type: str = "application/json"


def _json(status: int, **body: object) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(body))


def verify_subscription(params: Mapping[str, str] | None, credentials: Callable[[], MetaCredentials]) -> HttpAnswer:
    try:
        verify_token = credentials().verify_token.get_secret_value()
    except ConfigurationError as exc:
        logger.error("webhook verification refused: configuration", extra={"reason": str(exc)})
        return HttpAnswer(403, "Forbidden", "text/plain")
    challenge = answer_challenge(params, verify_token)
    if challenge is None:
        metrics.add_metric(name="WebhookVerifyRejected", unit=MetricUnit.Count, value=1)
        return HttpAnswer(403, "Forbidden", "text/plain")
    return HttpAnswer(200, challenge, "text/plain")


def receive_notification(
    raw_body: bytes,
    signature: str | None,
    *,
    credentials: Callable[[], MetaCredentials],
    deps: Callable[[], CaptureDeps],
    budget_seconds: float,
    max_body_bytes: int,
    started: float | None = None,
) -> HttpAnswer:
    started = time.time() if started is None else started
    if len(raw_body) > max_body_bytes:
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        return _json(413, error="payload too large")
    try:
        app_secret = credentials().app_secret.get_secret_value()
    except ConfigurationError as exc:
        logger.error("webhook cannot verify signatures: configuration", extra={"reason": str(exc)})
        return _json(500, error="not configured")
    if not signature_is_valid(raw_body, signature, app_secret):
        metrics.add_metric(name="WebhookSignatureRejected", unit=MetricUnit.Count, value=1)
        logger.warning("webhook POST with a missing or wrong signature", extra={"has_signature": bool(signature)})
        return _json(401, error="invalid signature")
    try:
        parsed = parse_leadgen_notifications(raw_body)
    except MalformedPayload as exc:
        metrics.add_metric(name="WebhookMalformed", unit=MetricUnit.Count, value=1)
        return _json(400, error=str(exc))
    if parsed.malformed:
        _note_malformed(parsed.malformed)
    if parsed.leads:
        try:
            report = capture(parsed.leads, deps(), deadline=started + budget_seconds)
        except (StoreError, QueueError, ConfigurationError) as exc:
            metrics.add_metric(name="WebhookFailed", unit=MetricUnit.Count, value=1)
            logger.error("webhook could not record its leads; Meta will retry", extra={"reason": str(exc)})
            return _json(500, error="temporarily unable to record leads")
        stored = report.stored + report.already_stored
    else:
        stored = 0
    return _json(
        200,
        received=len(parsed.leads),
        stored=stored,
        ignored=parsed.ignored_changes,
        malformed=parsed.malformed_changes,
    )


def _note_malformed(positions: Sequence[ChangePosition]) -> None:
    """Count and locate the changes skipped; their contents may be anything, so none is logged."""
    metrics.add_metric(name="WebhookChangeMalformed", unit=MetricUnit.Count, value=len(positions))
    logger.warning(
        "webhook changes malformed: skipped, the valid ones recorded",
        extra={"malformed": len(positions), "positions": [str(p) for p in positions[:MAX_LOGGED_POSITIONS]]},
    )
