"""Every preflight check over what was read, in the order an operator fixes things."""

from __future__ import annotations

import time

from leadloop.health.findings import Finding, Report
from leadloop_cli.preflight import concurrency, contents, logging_role, services
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import Facts, Failure
from leadloop_cli.preflight.parameters import Parameters
from leadloop_cli.preflight.stack import check_identity, check_stack


def build_report(facts: Facts, params: Parameters, *, stack_failure: Failure | None = None) -> Report:
    identity = check_identity(facts.identity, facts.stack)
    if facts.identity.failure is not None and facts.identity.failure.kind == "credentials":
        return Report(checked_at=int(time.time()), findings=[identity])  # nothing else can be read
    stack: Finding = check_stack(facts.stack)
    if stack_failure is not None:
        stack = unread(
            "stack", facts.stack.name, stack_failure, what="the stack", permission="cloudformation:DescribeStacks"
        )
    findings = [
        identity,
        stack,
        logging_role.check(params.values["WebhookLogging"], facts.logging_role, facts.stack),
        *concurrency.check(params, facts.concurrency, facts.reserved_now, facts.concurrency_note),
        *services.check(facts.services, facts.stack.region),
        contents.check_secret(facts.secret, facts.stack),
        contents.check_routing(facts.routing),
    ]
    return Report(checked_at=int(time.time()), findings=findings)
