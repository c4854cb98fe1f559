"""``leadloop backfill``: read a form's leads from Meta now, beyond the hourly schedule."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from leadloop_cli.commands import CommandError
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "backfill", help="bulk-read routed forms' leads now and store the ones we lack"
    )
    parser.add_argument("--form-id", action="append", required=True, help="routed form id (repeatable)")
    parser.add_argument("--since", type=_iso_date, help="read leads created since this ISO date/time (UTC if no zone)")
    parser.add_argument("--json", action="store_true", help="print the backfill report as JSON")
    add_target_arguments(parser)
    parser.set_defaults(handler=run)


def _iso_date(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def run(args: argparse.Namespace) -> int:
    payload: dict[str, Any] = {"form_ids": args.form_id}
    if args.since:
        payload["since"] = args.since
    try:
        target = resolve_target(args)
        answer = target.client("lambda").invoke(
            FunctionName=target.physical_id("BackfillFunction"), Payload=json.dumps(payload).encode()
        )
    except TargetError as exc:
        raise CommandError(f"backfill: {exc}") from None
    report = json.loads(answer["Payload"].read() or b"null")
    if answer.get("FunctionError"):
        message = report.get("errorMessage") if isinstance(report, dict) else report
        raise CommandError(f"backfill: the backfill function failed: {message}")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    if not report.get("ok"):
        unknown = report.get("unknown_form_ids")
        reason = f"form(s) not routed: {', '.join(unknown)}" if unknown else "see the form statuses above"
        raise CommandError(f"backfill: not complete: {reason}")
    return 0


def _print_report(report: dict[str, Any]) -> None:
    for form in report.get("forms", []):
        print(
            f"form {form['form_id']}: {form['status']}, {form['pages_read']} page(s), "
            f"{form['leads_seen']} lead(s) seen, {form['leads_inserted']} inserted"
            + (f" ({form['detail']})" if form.get("detail") else "")
        )
    print(f"inserted {report.get('inserted', 0)} lead(s)")
