"""API Gateway logs only through the account's CloudWatch Logs role, a per-region account setting.

``WebhookLogging``: ``CreateAccountRole`` (the stack creates a role and sets it as the account's),
``UseAccountRole`` (the account must have one already) or ``Off``.
"""

from __future__ import annotations

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import Read, StackFacts

MODES = ("CreateAccountRole", "UseAccountRole", "Off")
CHECK = "logging_role"
SET_ROLE = (
    "give API Gateway a role (trusting apigateway.amazonaws.com, with the AmazonAPIGatewayPushToCloudWatchLogs "
    "policy): aws apigateway update-account --patch-operations "
    "op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN; or deploy with WebhookLogging=CreateAccountRole "
    "(or Off)"
)


def check(mode: str, role: Read[str], stack: StackFacts) -> Finding:
    subject = f"WebhookLogging={mode}"
    if mode not in MODES:
        return Finding(CHECK, Status.FAIL, subject, "not an allowed value", f"use one of {', '.join(MODES)}")
    if mode == "Off":
        return Finding(CHECK, Status.OK, subject, "no API Gateway logs: no account role needed")
    if role.failure is not None:
        found = unread(
            CHECK, subject, role.failure, what="API Gateway's account settings", permission="apigateway:GET on /account"
        )
        if mode == "UseAccountRole" and found.status is Status.WARN:
            detail = f"{found.detail}; the deploy fails if the account has no role"
            return Finding(CHECK, Status.WARN, subject, detail, SET_ROLE)
        return found
    where = "local stack (moto): " if stack.local else ""
    name = (role.value or "").rsplit("/", 1)[-1]
    if mode == "UseAccountRole":
        if not role.value:
            return Finding(CHECK, Status.FAIL, subject, f"{where}no account role in {stack.region}", SET_ROLE)
        return Finding(CHECK, Status.OK, subject, f"{where}uses the account's role {name}")
    if not role.value:
        return Finding(CHECK, Status.OK, subject, f"{where}no account role in {stack.region}: the stack creates one")
    if name in stack.role_names:
        return Finding(CHECK, Status.OK, subject, f"{where}the account role is this stack's own ({name})")
    return Finding(
        CHECK,
        Status.WARN,
        subject,
        f"{where}the account already has role {name}; this stack will replace that region-wide setting "
        "(it applies to every REST API in the region)",
        "to keep the account's role, deploy with WebhookLogging=UseAccountRole",
    )
