"""The ``leadloop`` command: one argparse parser, subcommands registered from ``leadloop_cli.commands``.

To add a command, write ``leadloop_cli/commands/<name>.py`` with ``register(subparsers)`` and list it in
:data:`COMMAND_MODULES`. Exit status: 0 on success, 1 with a one-line reason on failure, 2 for usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from leadloop_cli.commands import CommandError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES: list[str] = [
    "leadloop_cli.commands.dev",
    "leadloop_cli.commands.demo",
    "leadloop_cli.commands.backfill",
    "leadloop_cli.commands.hash",
    "leadloop_cli.commands.dlq",
    "leadloop_cli.commands.audience",
    "leadloop_cli.commands.forget",
    "leadloop_cli.commands.replace",
    "leadloop_cli.commands.doctor",
    "leadloop_cli.commands.smoke",
    "leadloop_cli.commands.routing",
    "leadloop_cli.commands.preflight",
    "leadloop_cli.commands.leads",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadloop",
        description="Capture Meta lead-ad leads into DynamoDB and keep Custom Audiences in sync.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except CommandError as exc:
        print(f"leadloop: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("LEADLOOP_DEBUG"):
            raise
        print(f"leadloop: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
