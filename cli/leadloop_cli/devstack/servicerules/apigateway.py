"""API Gateway logs only through the region's account-level CloudWatch Logs role.

A stage with an access log or execution logging (``LoggingLevel`` INFO or ERROR) is refused with the
message below when the account setting names no role, and a fresh account or region has none. A
template either creates the setting (``AWS::ApiGateway::Account``) before the stage, or relies on an
operator who set it (which ``leadloop preflight`` checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["NO_LOG_ROLE_MESSAGE", "stage_logs"]

NO_LOG_ROLE_MESSAGE = "CloudWatch Logs role ARN must be set in account settings to enable logging"
_LOGGING_LEVELS = frozenset({"INFO", "ERROR"})


def stage_logs(properties: Mapping[str, Any]) -> bool:
    """Whether a stage (or ``AWS::Serverless::Api``) with these properties writes CloudWatch logs."""
    if properties.get("AccessLogSetting"):
        return True
    settings = properties.get("MethodSettings") or []
    levels = {str(s.get("LoggingLevel", "OFF")).upper() for s in settings if isinstance(s, Mapping)}
    return bool(levels & _LOGGING_LEVELS)
