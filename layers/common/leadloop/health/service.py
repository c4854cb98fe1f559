"""One health run: every check (for every Page, or one), then the report's record, metrics and alert.

A check that cannot run (a network error, a store error) becomes a FAIL finding of its own: a
health check that dies quietly would be the very silence it exists to catch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from aws_lambda_powertools.metrics import single_metric

from leadloop.health.checks import CHECKS, Context
from leadloop.health.findings import Finding, Report, Status
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.state.health_records import HealthRecord

#: The same problems are alerted again after this long, so a forgotten alert is not forgotten.
REALERT_SECONDS = 24 * 3600
#: Daily runs land ~24 h apart, a few seconds either way: without slack the same problems would be
#: re-alerted only every other day.
REALERT_SLACK_SECONDS = 15 * 60


class ReportStore(Protocol):
    def latest(self) -> dict[str, Any] | None: ...

    def save(self, record: HealthRecord, *, alerted_at: int | None) -> None: ...


class Alerts(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


@dataclass
class HealthDeps:
    context: Callable[[], Context]
    store: ReportStore | None = None
    alerts: Alerts | None = None
    clock: Callable[[], float] = time.time


def run_checks(deps: HealthDeps, *, page_id: str | None = None, only: Sequence[str] | None = None) -> Report:
    ctx = deps.context()
    if page_id is not None:
        ctx = replace(ctx, routes=[r for r in ctx.routes if r.page_id == page_id])
    partial = page_id is not None or bool(only and set(CHECKS) - set(only))
    report = Report(checked_at=int(deps.clock()), partial=partial)
    if not ctx.routes:
        subject = f"page {page_id}" if page_id else "routing"
        report.findings.append(
            Finding("routing", Status.WARN, subject, "no routed form to check", "add the forms to RoutingParameter")
        )
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        try:
            report.findings.extend(check(ctx))
        except Exception as exc:  # one broken check must not hide the others
            logger.exception("health check could not run", extra={"check": name})
            report.findings.append(Finding(name, Status.FAIL, "check", f"could not run: {type(exc).__name__}"))
    return report


def record(report: Report, deps: HealthDeps) -> bool:
    """Metrics per check; for full runs, the StateTable record and an SNS alert when problems are new or stale."""
    for name in sorted({f.check for f in report.findings}):
        of_check = [f for f in report.findings if f.check == name]
        for metric, status in (("HealthCheckFailures", Status.FAIL), ("HealthCheckWarnings", Status.WARN)):
            value = sum(1 for f in of_check if f.status is status)
            with single_metric(name=metric, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as m:
                m.add_dimension(name="check", value=name)
    failing = sum(1 for f in report.findings if f.status is Status.FAIL)
    metrics.add_metric(name="HealthChecksFailing", unit=MetricUnit.Count, value=failing)  # the alarm's metric
    if report.partial:
        # A one-Page run must not announce a recovery (or hide the other Pages' problems) by becoming `latest`.
        logger.info("partial health check: not recorded", extra={"status": report.status.label})
        return False
    previous = deps.store.latest() if deps.store is not None else None
    alerted_at, published = _alert(report, previous, deps)
    if deps.store is not None:
        deps.store.save(health_record(report), alerted_at=alerted_at)
    logger.info(
        "health checked",
        extra={"status": report.status.label, "problems": [f"{f.check}:{f.subject}" for f in report.problems()]},
    )
    return published


def _alert(report: Report, previous: dict[str, Any] | None, deps: HealthDeps) -> tuple[int | None, bool]:
    """Publish when the problems changed (or a day passed), and once when they are all gone.

    Returns when the current problems were last alerted (kept in the record) and whether this run
    published anything.
    """
    last_alert = int((previous or {}).get("alerted_at") or 0) or None
    had_problems = bool((previous or {}).get("problem_keys"))
    if not report.problems():
        if had_problems and deps.alerts is not None:
            deps.alerts.publish("leadloop health: all checks pass again", describe(report))
            return None, True
        return None, False
    if deps.alerts is None:
        return last_alert, False
    same = problem_keys(report) == sorted((previous or {}).get("problem_keys") or [])
    if same and last_alert is not None and report.checked_at - last_alert < REALERT_SECONDS - REALERT_SLACK_SECONDS:
        return last_alert, False
    deps.alerts.publish(_subject(report), describe(report))
    return report.checked_at, True


def _subject(report: Report) -> str:
    fails = sum(1 for f in report.findings if f.status is Status.FAIL)
    warns = sum(1 for f in report.findings if f.status is Status.WARN)
    return f"leadloop health: {fails} failing, {warns} warning"[:100]


def describe(report: Report) -> str:
    lines = [f"leadloop health check at {report.checked_at}: {report.status.label}"]
    for f in report.problems():
        lines.append(f"- [{f.status.label}] {f.check} {f.subject}: {f.detail}")
        if f.action:
            lines.append(f"    what to do: {f.action}")
    return "\n".join(lines)


def problem_keys(report: Report) -> list[str]:
    return sorted(f"{f.check}|{f.subject}|{f.status.label}" for f in report.problems())


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), separators=(",", ":"))


def health_record(report: Report) -> HealthRecord:
    """What StateTable keeps of a full run: the report encoded, so the record needs nothing of the checks."""
    return HealthRecord(report.status.label, report.checked_at, report_json(report), problem_keys(report))
