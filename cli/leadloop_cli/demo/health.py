"""The health scenario: ``leadloop doctor``'s checks on the local stack after the loop has run.

Every check must pass for the seeded Page, form and audience (token, subscription, lead reads,
audience), and the webhook-drift check must flag exactly the lead the capture scenario kept from
the webhook (the one only the backfill found): that warning is the check working, not a problem.
"""

from __future__ import annotations

import time

from leadloop.graph import GraphClient
from leadloop.health.findings import Status
from leadloop.health.service import HealthDeps, run_checks
from leadloop.health.wiring import build_context
from leadloop_cli.commands.doctor import table
from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.stackclient import StackClient
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import local_target


def run_health(stack: StackClient, backfilled: int) -> ScenarioResult:
    result = ScenarioResult("health: leadloop doctor on the local stack")
    config = StackConfig.load(local_target(stack.info))
    creds, routing = config.credentials(), config.routing()

    def client_for(token: str) -> GraphClient:
        return GraphClient(
            base_url=config.env["GRAPH_BASE_URL"],
            version=config.env["GRAPH_API_VERSION"],
            access_token=token,
            app_secret=creds.app_secret.get_secret_value(),
        )

    deps = HealthDeps(
        context=lambda: build_context(
            routing, creds, client_for, config.lead_store(), drift_days=7, now=int(time.time())
        )
    )
    report = run_checks(deps)

    def green() -> str:
        others = [f for f in report.findings if f.check != "webhook_drift"]
        bad = [f"{f.check} {f.subject}: {f.detail}" for f in others if f.status is not Status.OK]
        if bad or not others:
            raise AssertionError("; ".join(bad) or "no finding")
        return f"{len(others)} findings ok: " + ", ".join(sorted({f.check for f in others}))

    def drift() -> str:
        [finding] = [f for f in report.findings if f.check == "webhook_drift"]
        if finding.status is not Status.WARN or not finding.detail.startswith(f"{backfilled} of "):
            raise AssertionError(f"webhook_drift: {finding.status.label}: {finding.detail}")
        return f"flags the {backfilled} lead only the backfill found ({finding.detail})"

    result.check("token, subscription, lead reads and audience are green", green)
    result.check("webhook drift flags the lead whose webhook never came", drift)
    if not result.passed:
        print(table(report))
    return result
