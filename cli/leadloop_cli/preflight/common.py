"""Findings shared by every preflight check: a read that failed, told the same way everywhere."""

from __future__ import annotations

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.facts import Failure

SIGN_IN = "sign in (aws sso login, aws configure) or choose a profile with --profile, then run preflight again"


def unread(check: str, subject: str, failure: Failure, *, what: str, permission: str) -> Finding:
    """Missing credentials block; a denied or failed read is a warning naming the permission to add."""
    if failure.kind == "credentials":
        return Finding(check, Status.FAIL, subject, f"no usable AWS credentials ({failure.code})", SIGN_IN)
    action = f"allow {permission} to let preflight check it, or check it by hand" if failure.kind == "denied" else ""
    return Finding(check, Status.WARN, subject, f"cannot read {what}: {failure.code}", action)
