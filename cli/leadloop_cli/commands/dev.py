"""``leadloop dev up`` (run the local stack) and ``leadloop dev fire`` (fire a schedule now)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from leadloop_cli import statefile
from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.workerpool import DEFAULT_WORKERS, MAX_WORKERS

__all__ = ["register"]

GROUP_HELP = "Run leadloop on this machine: moto, the SAM template, real handlers, a Graph simulator."


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "dev", GROUP_HELP)

    up = group.add_parser("up", help="start the local stack and keep it running until Ctrl-C / SIGTERM")
    up.add_argument("--json", action="store_true", help="print one JSON line describing the stack first")
    up.add_argument("--schedules", action="store_true", help="run Schedule/ScheduleV2 events on their timers")
    up.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter override (repeatable)",
    )
    up.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Secrets Manager secret that exists before the stack, as one made before a deploy "
        "(e.g. LeadDeliveryAuthSecretName's); repeatable",
    )
    up.add_argument("--log-file", type=Path, help=f"where every function logs (default {statefile.default_log_file()})")
    up.add_argument("--template", type=Path, help="SAM template (default: infra/template.yaml)")
    up.add_argument("--stack-name", default="leadloop-local", help="stack name used in physical names")
    up.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"warm workers per function that reserves no concurrency (default {DEFAULT_WORKERS}; "
        f"a reserving function gets its ReservedConcurrentExecutions; at most {MAX_WORKERS} each)",
    )
    up.set_defaults(handler=run_up)

    fire = group.add_parser("fire", help="invoke a function (or state machine) with one of its schedules now")
    fire.add_argument("function", metavar="FUNCTION_LOGICAL_ID")
    fire.add_argument("event_name", nargs="?", metavar="EVENT_NAME", help="needed when it has several schedules")
    fire.add_argument("--local", action="store_true", help="target the running `leadloop dev up`")
    fire.set_defaults(handler=run_fire)


def _workers(text: str) -> int:
    """A pool size within what one machine's memory holds."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {MAX_WORKERS}")
    return value


def _parameters(pairs: list[str], option: str = "--param") -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"{option} {pair!r}: expected KEY=VALUE")
        overrides[key] = value
    return overrides


def _summary(document: dict[str, Any]) -> str:
    seed = document.get("seed") or {}
    lines = [
        f"leadloop local stack is up (stack {document['stack_name']}, region {document['region']})",
        f"  webhook       {document.get('webhook_url')}",
        f"  AWS endpoint  {document['aws_endpoint_url']}  (AWS_ENDPOINT_URL)",
        f"  AWS admin key {document.get('aws_access_key_id')} / {document.get('aws_secret_access_key')}"
        + ("  (IAM enforced: other keys are refused)" if document.get("iam_enforced") else ""),
        f"  Graph API     {document.get('graph_url')}",
        f"  log file      {document['log_file']}",
    ]
    if seed:
        lines.append(
            f"  seed          page {seed['page_id']}, form {seed['form_id']} -> audience "
            f"{seed['audience_id']} ({seed['account_id']})"
        )
    if document.get("state_file"):
        lines.append(f"  state file    {document['state_file']}  (other commands: --local)")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def run_up(args: argparse.Namespace) -> int:
    from leadloop_cli.devstack import LocalStack

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = LocalStack(
        args.template,
        parameter_overrides=_parameters(args.param),
        stack_name=args.stack_name,
        log_file=args.log_file,
        schedules=args.schedules,
        pool_size=args.workers,
        secrets=_parameters(args.secret, "--secret"),
    )
    try:
        try:
            stack.start()
        except Exception as exc:
            raise CommandError(f"the local stack did not start: {exc}") from exc
        document = stack.describe()
        if args.json:
            print(json.dumps(document), flush=True)
        else:
            print(_summary(document), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        stack.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not args.json:
        print("leadloop local stack stopped", file=sys.stderr)
    return 0


def run_fire(args: argparse.Namespace) -> int:
    if not args.local:
        raise CommandError("dev fire only targets the local stack: add --local")
    try:
        target = statefile.load_local_target()
    except statefile.NoLocalStackError as exc:
        raise CommandError(str(exc)) from exc
    from leadloop_cli.devstack.fire import fire_remote

    output, error = fire_remote(target, args.function, args.event_name)
    if output:
        print(output)
    if error:
        raise CommandError(error)
    return 0
