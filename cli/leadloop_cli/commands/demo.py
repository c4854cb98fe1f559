"""``leadloop dev demo``: the whole loop on a fresh local stack; exit 0 only if every check passed."""

from __future__ import annotations

import argparse
from typing import Any

from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.commands.dev import GROUP_HELP


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "dev", GROUP_HELP)
    demo = group.add_parser("demo", help="run the whole loop on a fresh local stack and check every step")
    demo.add_argument("--keep-logs", action="store_true", help="print where the functions' log file is kept")
    demo.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadloop_cli.demo import run_demo

    if not run_demo(keep_logs=args.keep_logs):
        raise CommandError("demo: some checks failed (see above)")
    return 0
