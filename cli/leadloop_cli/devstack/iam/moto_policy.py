"""Rewrite a role's IAM policy so moto 5.2.5's evaluator decides each request as AWS would.

moto checks ``<signing name>:<operation>`` against the caller's identity policies (``moto/iam/access_control.py``),
with these differences from AWS, each handled here without granting an action AWS would refuse:

- **Resources.** Only S3 (bucket/object ARN) and SQS (the queue ARN of a request's ``QueueUrl``) resolve
  the resource; every other request is checked against ``"*"``, which a statement naming an ARN never
  matches. For those actions the Allow statement is copied with ``Resource: "*"``: the action is
  enforced, the resource is not. SQS requests that carry no ``QueueUrl`` (``GetQueueUrl``,
  ``CreateQueue``) are checked against ``"*"`` too.
- **Operation names.** AWS authorises some operations by another action: an SQS batch by its single
  action (``SendMessageBatch`` by ``sqs:SendMessage``), an SNS ``PublishBatch`` by ``sns:Publish``, a
  Lambda ``Invoke`` by ``lambda:InvokeFunction``, ``HeadBucket`` by ``s3:ListBucket``. Where a statement
  grants (or denies) the action AWS uses, the operation name moto checks is added beside it.
- **CloudWatch** signs as ``monitoring``: ``cloudwatch:X`` gets ``monitoring:X`` beside it.
- **Case.** AWS compares actions case-insensitively, moto does not: ``sns:publish`` (as SAM writes it)
  gets ``sns:Publish`` beside it.
- **Conditions.** moto skips a ``Condition`` it has no request values for: an Allow applies without it (as
  moto would anyway), a Deny with a ``Condition`` would deny always, so it is left out and reported.

Resource policies (queue, bucket, key, secret, Lambda permission) are not evaluated by moto at all.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = ["ACTION_ALIASES", "MotoPolicy", "for_moto", "iam_pattern_matches"]

#: moto checks the key; AWS authorises that request by the value.
ACTION_ALIASES = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sns:PublishBatch": "sns:Publish",
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeWithResponseStream": "lambda:InvokeFunction",
    "s3:HeadBucket": "s3:ListBucket",
}
#: Services whose requests moto checks against the resource's ARN.
_RESOLVED_SERVICES = ("s3", "sqs")
#: SQS requests without a QueueUrl: moto checks them against "*".
_SQS_BY_NAME = ("sqs:GetQueueUrl", "sqs:CreateQueue", "sqs:ListQueues")


@dataclass
class MotoPolicy:
    """The rewritten document and what moto still cannot check in it."""

    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def iam_pattern_matches(pattern: str, value: str) -> bool:
    """IAM's action matching: ``*`` and ``?`` wildcards, case-insensitive."""
    return _regex(pattern).fullmatch(value) is not None


def _moto_matches(pattern: str, value: str) -> bool:
    """moto's matching: ``*`` only, case-sensitive (``IAMPolicyStatement._match``)."""
    return re.match("^" + pattern.replace("*", ".*") + "$", value) is not None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _with_aliases(actions: Iterable[str]) -> list[str]:
    """``actions`` plus the names moto checks for the requests AWS would match them to."""
    result = list(actions)

    def add(name: str) -> None:
        if not any(_moto_matches(existing, name) for existing in result):
            result.append(name)

    for action in list(result):
        service, _, operation = action.partition(":")
        if operation[:1].islower():
            add(f"{service}:{operation[:1].upper()}{operation[1:]}")
        if service.lower() == "cloudwatch":
            add(f"monitoring:{operation}")
    for moto_name, aws_name in ACTION_ALIASES.items():
        if any(iam_pattern_matches(action, aws_name) for action in result):
            add(moto_name)
    return result


def _service(action: str) -> str:
    return action.partition(":")[0].lower()


def _split(actions: list[str]) -> tuple[list[str], list[str]]:
    """(actions moto checks against the resource's ARN, actions it checks against ``"*"``)."""
    wildcard = [a for a in actions if "*" in _service(a) or "?" in _service(a)]
    resolved = [a for a in actions if _service(a) in _RESOLVED_SERVICES or a in wildcard]
    unresolved = [a for a in actions if a not in resolved or a in wildcard]
    unresolved += [n for n in _SQS_BY_NAME if any(_moto_matches(a, n) for a in resolved) and n not in unresolved]
    return resolved, unresolved


def _statement(statement: dict[str, Any], where: str, notes: list[str]) -> list[dict[str, Any]]:
    effect = str(statement.get("Effect", ""))
    rewritten = copy.deepcopy(statement)
    if effect == "Deny" and "Condition" in statement:
        notes.append(f"{where}: a Deny with a Condition is not applied locally (moto cannot evaluate conditions)")
        return []
    if "Condition" in statement:
        notes.append(f"{where}: its Condition is not evaluated locally (the Allow applies without it)")
    for key in ("Action", "NotAction"):
        if key in rewritten:
            rewritten[key] = _with_aliases(_strings(rewritten[key]))
    if effect != "Allow" or "Action" not in rewritten or "Resource" not in rewritten:
        if (
            effect == "Deny"
            and "*" not in _strings(rewritten.get("Resource"))
            and _split(_strings(rewritten.get("Action")))[1]
        ):
            notes.append(
                f"{where}: a Deny on named resources is applied to S3 and SQS only (moto checks others against '*')"
            )
        return [rewritten]
    resources = _strings(rewritten["Resource"])
    if "*" in resources:
        return [rewritten]
    resolved, unresolved = _split(rewritten["Action"])
    if not unresolved:
        return [rewritten]
    wide = {key: value for key, value in rewritten.items() if key not in ("Sid", "Action", "Resource")}
    wide |= {"Action": unresolved, "Resource": "*"}
    return [rewritten | {"Action": resolved}, wide] if resolved else [wide]


def for_moto(document: dict[str, Any], where: str = "policy") -> MotoPolicy:
    """``document`` (resolved, no intrinsics) rewritten for moto's evaluator, with notes on what it skips."""
    notes: list[str] = []
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    out: list[dict[str, Any]] = []
    for index, statement in enumerate(statements):
        out += _statement(statement, f"{where} statement {index}", notes)
    return MotoPolicy({"Version": "2012-10-17", "Statement": out}, notes)
