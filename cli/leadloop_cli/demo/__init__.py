"""``leadloop dev demo``: start a fresh local stack, play Meta and an operator, check every step."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from leadloop_cli.demo.capture import ScenarioResult, run_capture
from leadloop_cli.demo.health import run_health
from leadloop_cli.demo.leadsout import DELIVERY_SECRET_NAME, DELIVERY_TOKEN, delivery_parameters, run_leads_out
from leadloop_cli.demo.members import forgotten_lead, run_members
from leadloop_cli.demo.receiver import Receiver
from leadloop_cli.demo.replace import run_replace
from leadloop_cli.demo.smoke import run_smoke_scenario
from leadloop_cli.stackclient import StackClient

#: Shorter waits than production so the demo finishes in seconds, and replace chunks of 10 rows so
#: a small CSV still takes several /usersreplace batches; nothing else differs.
DEMO_PARAMETERS = {
    "FetchRetryBaseDelaySeconds": "1",
    "AudienceUploadWindowSeconds": "2",
    "ReplacePollSeconds": "5",
    "ReplaceChunkRows": "10",
}


def run_demo(*, keep_logs: bool = False) -> bool:
    from leadloop_cli.devstack import LocalStack

    log_dir = Path(tempfile.mkdtemp(prefix="leadloop-demo-"))
    started = time.monotonic()
    print("starting a fresh local stack (moto + the SAM template + the Graph simulator) ...", flush=True)
    receiver = Receiver()  # the user's own endpoint: every captured lead is delivered to it
    try:
        with LocalStack(
            parameter_overrides=DEMO_PARAMETERS | delivery_parameters(receiver),
            secrets={DELIVERY_SECRET_NAME: DELIVERY_TOKEN},
            write_state_file=False,
            log_file=log_dir / "functions.log",
        ) as stack:
            client = StackClient(stack.describe())
            print(f"stack up in {time.monotonic() - started:.1f}s; webhook {client.webhook_url}", flush=True)
            captured, expected = run_capture(client)
            members = run_members(client, expected)
            results = [captured, members]
            if members.passed:
                results.append(run_replace(client, expected, {forgotten_lead(expected)}))
            results.append(run_leads_out(client, receiver, expected, {forgotten_lead(expected)}))
            results.append(run_health(client, backfilled=1))
            results.append(run_smoke_scenario(client))
    finally:
        receiver.close()
    for result in results:
        _print(result)
    passed = all(r.passed for r in results)
    total = sum(len(r.checks) for r in results)
    failed = sum(1 for r in results for c in r.checks if not c.passed)
    print(f"\n{total - failed} passed, {failed} failed in {time.monotonic() - started:.1f}s")
    if keep_logs or not passed:
        print(f"function logs: {log_dir / 'functions.log'}")
    return passed


def _print(result: ScenarioResult) -> None:
    print(f"\n{result.title}")
    for check in result.checks:
        mark = "PASS" if check.passed else "FAIL"
        print(f"  [{mark}] {check.name}" + (f": {check.detail}" if check.detail else ""))
