"""The one exception the hashfile package raises for unusable input or output.

Its message is shown to the user as the one-line reason, so it names rows, columns given on the
command line and schema keys, never a cell's value.
"""

from __future__ import annotations

__all__ = ["HashFileError", "OutputClosed"]


class HashFileError(Exception):
    """The run cannot go on (or cannot start): bad arguments, unreadable input, unwritable output."""


class OutputClosed(HashFileError):
    """The reader of ``--out -`` went away (a closed pipe) before every row was written."""
