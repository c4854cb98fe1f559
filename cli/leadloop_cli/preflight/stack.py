"""Who is deploying where, and whether the stack can take an update now."""

from __future__ import annotations

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import Read, StackFacts

#: States CloudFormation refuses an update in, with what to do.
_STUCK = {
    "ROLLBACK_COMPLETE": "its first deploy rolled back and it cannot be updated: delete it "
    "(aws cloudformation delete-stack --stack-name {name}; LeadsTable is kept), fix the cause, deploy again",
    "ROLLBACK_FAILED": "delete it (aws cloudformation delete-stack --stack-name {name}), then deploy again",
    "CREATE_FAILED": "delete it (aws cloudformation delete-stack --stack-name {name}), then deploy again",
    "DELETE_FAILED": "finish the delete (aws cloudformation delete-stack --stack-name {name}, keeping what blocks it)",
    "UPDATE_ROLLBACK_FAILED": "continue the rollback first: aws cloudformation continue-update-rollback "
    "--stack-name {name}",
}


def check_identity(identity: Read[str], stack: StackFacts) -> Finding:
    if identity.failure is not None:
        return unread("account", stack.region, identity.failure, what="the caller identity", permission="sts")
    where = "local stack (moto)" if stack.local else f"account {identity.value}"
    return Finding("account", Status.OK, stack.region, f"{where}, region {stack.region}")


def check_stack(stack: StackFacts) -> Finding:
    if stack.local:
        return Finding("stack", Status.OK, stack.name, "the running `leadloop dev up` stack")
    if stack.status is None:
        return Finding("stack", Status.OK, stack.name, "not deployed yet: the deploy creates it")
    if stack.status.endswith("_IN_PROGRESS"):
        return Finding(
            "stack", Status.FAIL, stack.name, f"{stack.status}: another operation is running", "wait for it to end"
        )
    if stack.status in _STUCK:
        action = _STUCK[stack.status].format(name=stack.name)
        return Finding("stack", Status.FAIL, stack.name, f"{stack.status}: CloudFormation refuses an update", action)
    return Finding("stack", Status.OK, stack.name, f"{stack.status}: the deploy updates it")
