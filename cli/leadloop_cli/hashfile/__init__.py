"""``leadloop hash``: stream a CRM CSV of any size into Meta Custom Audience payload rows.

One module per job: :mod:`~.reader` (bounded, encoding-tolerant CSV records), :mod:`~.mapping`
(column → schema key), :mod:`~.pipeline` (rows in, payload rows out, rejection policy),
:mod:`~.writer` (atomic JSONL), :mod:`~.report` (counts and row numbers, never values) and
:mod:`~.progress` (stderr progress). Normalizing and hashing is ``leadloop.audience.hash_row``,
passed in by the command so this package stays light to import.
"""

from __future__ import annotations

from leadloop_cli.hashfile.errors import HashFileError, OutputClosed
from leadloop_cli.hashfile.pipeline import HashOptions, hash_file
from leadloop_cli.hashfile.progress import Progress
from leadloop_cli.hashfile.report import RunReport

__all__ = ["HashFileError", "HashOptions", "OutputClosed", "Progress", "RunReport", "hash_file"]
