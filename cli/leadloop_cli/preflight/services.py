"""Step Functions (the replace) and EventBridge Scheduler (backfill, health, nightly replace) in the region."""

from __future__ import annotations

from collections.abc import Mapping

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import Read

CHECK = "service"
LABELS = {"stepfunctions": "Step Functions", "scheduler": "EventBridge Scheduler"}


def check(services: Mapping[str, Read[bool]], region: str) -> list[Finding]:
    findings = []
    for service, read in services.items():
        label = LABELS.get(service, service)
        if read.failure is None:
            findings.append(Finding(CHECK, Status.OK, service, f"{label} answers in {region}"))
        elif read.failure.kind == "unreachable":
            findings.append(
                Finding(
                    CHECK,
                    Status.FAIL,
                    service,
                    f"{label} cannot be reached in {region} ({read.failure.code})",
                    f"deploy to a region that offers {label} (AWS's Regional Services list), or check the network",
                )
            )
        else:
            findings.append(unread(CHECK, service, read.failure, what=label, permission=f"{service}:List*"))
    return findings
