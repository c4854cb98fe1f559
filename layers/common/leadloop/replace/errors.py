"""Errors a replace task raises; the class name is the ``Error`` the state machine's Retry/Catch match.

Every message carries ids, counts and Meta's codes only: the ASL history is readable by anyone
with console access, so no row data or raw answer may ever reach it.

StateTable's refusals come from :mod:`leadloop.state.errors`: ``AudienceLocked`` (another run holds
the audience lock; the state machine stops) and ``StateError`` (retried like any other error).
"""

from __future__ import annotations


class ReplaceError(Exception):
    """Base class: a replace step failed for a reason the outcome reports."""


class InvalidReplaceInput(ReplaceError):
    """The execution input (or the routing it names) cannot describe a replace."""


class AudienceNotReplaceable(ReplaceError):
    """Meta will not replace this audience (not CUSTOM, flagged, 100M or larger)."""


class AudienceBusy(ReplaceError):
    """Another operation runs on the audience at Meta; the state machine waits and tries again."""


class EmptySource(ReplaceError):
    """The source produced no row: replacing would empty the audience, so we refuse."""


class ReplaceFailed(ReplaceError):
    """Meta reports the replace failed (operation_status 415, or 2650/1870148)."""


class GraphUnavailable(ReplaceError):
    """Meta answered with a transient error or throttling; Retry with backoff."""


class GraphAccessBroken(ReplaceError):
    """The token or its permissions are broken: a person must act before a replace can run."""


class StagingError(ReplaceError):
    """S3 or DynamoDB refused a staging read or write (retryable)."""
