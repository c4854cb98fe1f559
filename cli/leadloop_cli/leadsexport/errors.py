"""The one exception the leads export raises: its message is the command's one-line reason.

Messages name lead ids, forms, options and DynamoDB error codes, never an answer: the export
handles raw PII (DESIGN rule 6), and a reason ends up in terminals, CI logs and bug reports.
"""

from __future__ import annotations

__all__ = ["ExportError"]


class ExportError(Exception):
    """The export cannot start or go on; OUT is left as it was."""
