"""Subcommands of ``leadloop``. Each module exposes ``register(subparsers) -> None``.

A module adds its parsers and sets ``handler`` (``args -> int``) with ``set_defaults``. Failures are
reported by raising :class:`CommandError` with a one-line reason; ``main`` prints it and exits 1.
Commands grouped under one word (``leadloop dev up``, ``leadloop dev demo``) share the group through
:func:`subcommand_group`, so several modules can add to it in any order.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["CommandError", "subcommand_group"]


class CommandError(Exception):
    """A command failed; the message is the one-line reason shown to the user."""


def subcommand_group(subparsers: Any, name: str, help_text: str) -> Any:
    """The ``subparsers`` action of group ``name`` (created on first use)."""
    existing = subparsers.choices.get(name)
    if existing is not None:
        return existing._leadloop_group
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    group.required = True
    parser._leadloop_group = group  # type: ignore[attr-defined]
    return group
