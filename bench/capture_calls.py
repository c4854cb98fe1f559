"""Graph calls per 1,000 leads delivered in bursts, on the local stack.

Meta batches up to 1,000 leadgen changes per webhook POST; we fold each POST's lead reads into batch
calls of up to 50. A batch item still counts against Meta's rate limits, so this measures round trips
(latency, connection and webhook-budget cost), not quota. The baseline, measured in the same run on
the same stack, is the naive receiver
that reads each lead with its own ``GET /{lead_id}`` (one webhook POST per lead).
Target (capture issue): ≤ 25 calls per 1,000 leads.

Run: ``make bench`` or ``.venv/bin/python bench/capture_calls.py [--leads 1000] [--burst 100]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

TARGET_CALLS_PER_1000 = 25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=100, help="leads per webhook POST")
    parser.add_argument("--baseline-leads", type=int, default=100, help="leads for the one-POST-per-lead baseline")
    args = parser.parse_args()

    from leadloop_cli.demo.capture import person
    from leadloop_cli.devstack import LocalStack
    from leadloop_cli.stackclient import StackClient

    log_dir = Path(tempfile.mkdtemp(prefix="leadloop-bench-"))
    with LocalStack(write_state_file=False, log_file=log_dir / "functions.log") as local:
        stack = StackClient(local.describe())

        def graph_calls() -> int:
            """HTTP round trips to the Graph API (batch items are logged with ``batch_parent``)."""
            return sum(1 for c in stack.calls() if "batch_parent" not in c)

        # Baseline: one POST per lead, each lead read on its own.
        ids = [stack.create_lead(person(n), deliver=False) for n in range(args.baseline_leads)]
        before, started = graph_calls(), time.monotonic()
        for lead_id in ids:
            stack.deliver([lead_id])
        stack.wait_for_fetched(ids, timeout=300)
        baseline_seconds = time.monotonic() - started
        baseline_per_1000 = (graph_calls() - before) * 1000 / len(ids)

        # Bursts: what Meta does under load.
        ids = [stack.create_lead(person(n), deliver=False) for n in range(args.leads)]
        before, started = graph_calls(), time.monotonic()
        for start in range(0, len(ids), args.burst):
            stack.deliver(ids[start : start + args.burst])
        stack.wait_for_fetched(ids, timeout=600)
        burst_seconds = time.monotonic() - started
        burst_per_1000 = (graph_calls() - before) * 1000 / len(ids)

    print(f"Graph calls per 1,000 leads (local stack, simulator; {args.burst} leads per webhook POST)")
    print(f"{'mode':<34}{'calls/1000':>12}{'leads/s':>10}")
    print(
        f"{'one POST per lead (baseline)':<34}{baseline_per_1000:>12.1f}{args.baseline_leads / baseline_seconds:>10.1f}"
    )
    print(f"{'bursts, batch reads':<34}{burst_per_1000:>12.1f}{args.leads / burst_seconds:>10.1f}")
    print(
        f"ratio to baseline {burst_per_1000 / baseline_per_1000:.3f}; target <= {TARGET_CALLS_PER_1000} calls/1000: "
        f"{'met' if burst_per_1000 <= TARGET_CALLS_PER_1000 else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
