"""Who may publish to an encrypted SNS topic: KMS key policies decide, and moto ignores them.

A CloudWatch alarm notifies an SSE topic only when the topic's KMS key policy lets the
``cloudwatch.amazonaws.com`` service principal use the key (``kms:Decrypt`` and
``kms:GenerateDataKey*``). The AWS managed key ``alias/aws/sns`` has a fixed policy that admits only
principals of the account, so an alarm on such a topic fires and nobody hears it. Any other
publisher (a function) needs the same two actions, granted by its IAM policy when the key policy
delegates to the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

__all__ = ["PUBLISH_KEY_ACTIONS", "cloudwatch_publish_error", "grants_actions", "is_aws_managed_key"]

#: What a publisher must be allowed on an encrypted topic's key.
PUBLISH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


def is_aws_managed_key(key_id: str) -> bool:
    """``alias/aws/...`` (by name or ARN): a key whose policy nobody can change."""
    return key_id.startswith("alias/aws/") or ":alias/aws/" in key_id


def cloudwatch_publish_error(kms_key_id: str | None, key_policy: Mapping[str, Any] | None) -> str | None:
    """Why CloudWatch cannot publish to a topic with this key, or ``None`` when it can."""
    if not kms_key_id:
        return None
    if is_aws_managed_key(kms_key_id):
        return (
            f"the topic is encrypted with the AWS managed key {kms_key_id}, whose policy cannot admit "
            f"{CLOUDWATCH_PRINCIPAL}: use a customer managed key that does"
        )
    if key_policy is None:
        return f"the policy of key {kms_key_id} is unknown"
    if not all(grants_actions(_statements_for(key_policy, CLOUDWATCH_PRINCIPAL), [a]) for a in PUBLISH_KEY_ACTIONS):
        return (
            f"the policy of key {kms_key_id} does not allow {CLOUDWATCH_PRINCIPAL} {' and '.join(PUBLISH_KEY_ACTIONS)}"
        )
    return None


def grants_actions(statements: Iterable[Mapping[str, Any]], actions: Iterable[str]) -> bool:
    """Whether the Allow statements cover every action (IAM wildcards honoured)."""
    allowed = [
        pattern.lower()
        for statement in statements
        if statement.get("Effect") == "Allow"
        for pattern in _as_list(statement.get("Action"))
        if isinstance(pattern, str)
    ]
    return all(any(fnmatchcase(action.lower(), pattern) for pattern in allowed) for action in actions)


def _statements_for(policy: Mapping[str, Any], service: str) -> list[Mapping[str, Any]]:
    found = []
    for statement in _as_list(policy.get("Statement")):
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        if service in services:
            found.append(statement)
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
