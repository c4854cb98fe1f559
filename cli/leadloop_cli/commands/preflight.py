"""``leadloop preflight``: before a deploy, check the account and the existing stack (read-only calls).

It works out the parameter values ``sam deploy`` will use (``--parameter-overrides``, else
samconfig.toml's for ``--config-env``, else the stack's current values, else the template's
defaults), then checks the API Gateway logging role, reserved concurrency, Step Functions and
EventBridge Scheduler in the region, and an existing stack's state, secret and routing. It prints a
table like ``leadloop doctor`` and exits 1 on a blocker, saying what to do.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError

from leadloop.health.findings import Status
from leadloop_cli.commands import CommandError
from leadloop_cli.commands.doctor import table
from leadloop_cli.preflight.facts import Failure, StackFacts
from leadloop_cli.preflight.gather import deployed_stack, gather, local_stack
from leadloop_cli.preflight.parameters import (
    ParameterError,
    SamConfig,
    effective,
    parse_overrides,
    read_samconfig,
    template_defaults,
)
from leadloop_cli.preflight.report import build_report
from leadloop_cli.statefile import NoLocalStackError, load_local_target
from leadloop_cli.target import DEFAULT_STACK_NAME, Target, add_target_arguments, local_target, resolve_target


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preflight", help="before a deploy: check the account's prerequisites and the existing stack (read-only)"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        metavar="KEY=VALUE",
        help="template parameters as for `sam deploy` (replaces samconfig.toml's parameter_overrides)",
    )
    parser.add_argument("--config-env", default="default", help="samconfig.toml section (default %(default)s)")
    parser.add_argument("--config-file", default="samconfig.toml", help="SAM config file (default %(default)s)")
    parser.add_argument(
        "--template", default="infra/template.yaml", help="template whose defaults apply (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_target_arguments(parser)
    for action in parser._actions:
        if action.dest == "stack_name":
            action.help = f"deployed stack name (default: samconfig.toml's for --config-env, else {DEFAULT_STACK_NAME})"
    parser.set_defaults(handler=run, stack_name=None)


def run(args: argparse.Namespace) -> int:
    try:
        config = SamConfig() if args.local else read_samconfig(Path(args.config_file), args.config_env)
        command_line = parse_overrides(args.parameter_overrides or [])
    except ParameterError as exc:
        raise CommandError(f"preflight: {exc}") from None
    target, stack, stack_failure = _stack(args, config)
    params = effective(
        defaults=template_defaults(Path(args.template)),
        previous=stack.parameters if stack.status and not stack.local else None,
        samconfig=config.parameter_overrides,
        command_line=command_line,
    )
    report = build_report(gather(target, stack), params, stack_failure=stack_failure)
    if args.json:
        print(json.dumps(report.as_dict() | {"parameters": params.values, "stack": stack.name}, indent=2))
    else:
        where = "the local stack" if stack.local else f"stack {stack.name} in {stack.region}"
        print(f"preflight for {where}, with:")
        print("\n".join(f"  {params.describe(name)}" for name in params.values))
        print()
        print(table(report))
    if report.status is Status.FAIL:
        blockers = [f"{f.check} ({f.subject})" for f in report.findings if f.status is Status.FAIL]
        raise CommandError(f"preflight: {len(blockers)} blocker(s): {', '.join(blockers)}; see what to do above")
    return 0


def _stack(args: argparse.Namespace, config: SamConfig) -> tuple[Target, StackFacts, Failure | None]:
    if args.local:
        try:
            info = dict(load_local_target())
        except NoLocalStackError as exc:
            raise CommandError(f"preflight: {exc}") from None
        args.template = str(info.get("template") or args.template)  # the template the local stack runs
        return local_target(info), local_stack(info), None
    args.stack_name = args.stack_name or config.stack_name or DEFAULT_STACK_NAME
    args.region = args.region or config.region
    args.profile = args.profile or config.profile
    try:
        target = resolve_target(args)
    except BotoCoreError as exc:
        raise CommandError(f"preflight: {type(exc).__name__}: {exc}") from None
    region = target.session.region_name
    if not region:
        raise CommandError("preflight: no AWS region: pass --region, set AWS_REGION, or give the profile a region")
    found = deployed_stack(target, args.stack_name, region)
    return target, found.value or StackFacts(name=args.stack_name, region=region), found.failure
