"""``leadloop hash``: stream a CRM CSV of any size into Meta Custom Audience payload rows.

One module per job: :mod:`~.reader` (bounded, encoding-tolerant CSV records with their physical
lines), :mod:`~.encoding` (UTF-8, or what a byte-order mark says), :mod:`~.mapping` (column →
schema key), :mod:`~.pipeline` (rows in, payload rows out, rejection policy), :mod:`~.swallow`
(lines a runaway quote took in, and when that fails the run), :mod:`~.writer` (atomic JSONL, only
ever over a regular file), :mod:`~.report` (counts, row and line numbers, never values) and
:mod:`~.progress` (stderr progress). Normalizing and hashing is ``leadloop.audience.hash_row``,
passed in by the command so this package stays light to import.
"""

from __future__ import annotations

from leadloop_cli.hashfile.errors import HashFileError, OutputClosed
from leadloop_cli.hashfile.pipeline import HashOptions, hash_file
from leadloop_cli.hashfile.progress import Progress
from leadloop_cli.hashfile.report import RunReport

__all__ = ["HashFileError", "HashOptions", "OutputClosed", "Progress", "RunReport", "hash_file"]
