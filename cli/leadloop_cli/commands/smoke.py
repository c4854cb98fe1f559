"""``leadloop smoke``: after a deploy (or on the local stack), prove a Meta test lead arrives by webhook.

Creates a test lead on a routed form, waits until LeadsTable holds it ``FETCHED`` through its
webhook, prints the seconds from creation to stored, then cleans up (LeadsTable, the form's
audiences, Meta) whatever happened. Exit 1 with the likely cause and what to do when it fails.
Never prints a token or an answer.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, NoReturn

from leadloop_cli.commands import CommandError
from leadloop_cli.smoke.result import SmokeResult
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "smoke", help="create a Meta test lead, check it arrives through the webhook, clean up"
    )
    parser.add_argument("--form-id", help="routed form to use (default: the first routed form feeding audiences)")
    parser.add_argument(
        "--timeout", type=_seconds, default=120.0, help="seconds to wait for the lead (default %(default)s)"
    )
    parser.add_argument(
        "--replace-existing", action="store_true", help="delete the form's existing test lead first (Meta allows one)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_target_arguments(parser)
    parser.set_defaults(handler=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("--timeout must be between 0 and 3600 seconds")
    return value


def run(args: argparse.Namespace) -> int:
    from leadloop_cli.smoke.runner import SmokeSetupError, pick_route, run_smoke
    from leadloop_cli.smoke.wiring import build_deps
    from leadloop_cli.stackconfig import StackConfig

    try:
        config = StackConfig.load(resolve_target(args))
        creds, routing = config.credentials(), config.routing()
        route = pick_route(routing, args.form_id)
    except (TargetError, SmokeSetupError) as exc:
        _failed(args, SmokeResult(form_id=args.form_id or ""), f"smoke: {exc}")
    except Exception as exc:
        reason = f"smoke: cannot read the stack's secret or routing: {type(exc).__name__}"
        _failed(args, SmokeResult(form_id=args.form_id or ""), reason)
    say = None if args.json else (lambda line: print(line, flush=True))
    deps = build_deps(config, creds, route.page_id, sim_url=_sim_url(args), say=say)
    result = run_smoke(deps, form_id=route.form_id, timeout=args.timeout, replace_existing=args.replace_existing)
    if args.json:
        print(json.dumps(result.as_json()))
    elif result.ok:
        print(
            f"smoke ok: test lead {result.lead_id} on form {result.form_id} stored through the webhook in "
            f"{result.seconds_to_stored:.2f}s; removed from LeadsTable, the form's audiences and Meta"
        )
    if not result.ok:
        raise CommandError(f"smoke: {result.reason}")
    return 0


def _failed(args: argparse.Namespace, result: SmokeResult, reason: str) -> NoReturn:
    if args.json:
        result.reason, result.cleaned_up = reason, True
        print(json.dumps(result.as_json()))
    raise CommandError(reason)


def _sim_url(args: argparse.Namespace) -> str | None:
    """The local stack's Graph simulator, whose audiences show their members."""
    if not args.local:
        return None
    from leadloop_cli.statefile import load_local_target

    return str(load_local_target()["graph_url"])
