"""``leadloop doctor``: the health checks from a laptop, against a deployed stack or the local one.

The same checks the HealthCheckFunction runs (``leadloop.health``), with the stack's own secret and
routing; it prints a table (check, status, subject, detail) and what to do for each problem, and
exits 1 when a check fails. Nothing is recorded or alerted: that is the scheduled function's job.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from leadloop.graph import GraphClient
from leadloop.health.checks import CHECKS
from leadloop.health.findings import Report, Status
from leadloop.health.service import HealthDeps, run_checks
from leadloop.health.wiring import build_context
from leadloop_cli.commands import CommandError
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target

MARKS = {Status.OK: "ok", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check tokens, Page subscriptions, Leads Access, audiences and webhook drift now"
    )
    parser.add_argument("--page-id", help="check one Page (default: every routed Page)")
    parser.add_argument("--check", action="append", choices=sorted(CHECKS), help="run only these checks (repeatable)")
    parser.add_argument("--drift-days", type=int, default=7, help="days of leads the webhook-drift check reads")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_target_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = StackConfig.load(resolve_target(args))
        creds, routing = config.credentials(), config.routing()
    except TargetError as exc:
        raise CommandError(f"doctor: {exc}") from None
    except Exception as exc:
        raise CommandError(f"doctor: cannot read the stack's secret or routing: {type(exc).__name__}") from None
    app_secret = creds.app_secret.get_secret_value()

    def client_for(token: str) -> GraphClient:
        return GraphClient(
            base_url=config.env.get("GRAPH_BASE_URL", "https://graph.facebook.com"),
            version=config.env["GRAPH_API_VERSION"],
            access_token=token,
            app_secret=app_secret,
        )

    deps = HealthDeps(
        context=lambda: build_context(
            routing, creds, client_for, config.lead_store(), drift_days=args.drift_days, now=int(time.time())
        )
    )
    report = run_checks(deps, page_id=args.page_id, only=args.check)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(table(report))
    if report.status is Status.FAIL:
        failing = sorted({f"{f.check} ({f.subject})" for f in report.findings if f.status is Status.FAIL})
        raise CommandError(f"doctor: {len(failing)} check(s) failing: {', '.join(failing)}")
    return 0


def table(report: Report) -> str:
    rows = [("CHECK", "STATUS", "SUBJECT", "DETAIL")]
    rows += [(f.check, MARKS[f.status], f.subject, f.detail) for f in report.findings]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)) for row in rows]
    actions = [f for f in report.findings if f.status is not Status.OK and f.action]
    if actions:
        lines.append("")
        lines.append("what to do:")
        lines += [f"  {f.check} {f.subject}: {f.action}" for f in actions]
    else:
        lines.append("")
        lines.append("all checks pass" if report.status is Status.OK else "warnings only")
    return "\n".join(lines)
