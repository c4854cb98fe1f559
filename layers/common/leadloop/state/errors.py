"""The one error family of StateTable: every adapter in ``leadloop.state`` raises these and only these.

Messages carry ids and DynamoDB's error codes only (DESIGN rule 6). A subclass exists only where a
caller acts differently on it.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError


class StateError(RuntimeError):
    """StateTable refused a read or a write: the caller must not carry on as if it had succeeded."""


class AudienceLocked(StateError):
    """Another replace run holds the audience lock, or took it over from this one.

    The class name is the ``Error`` the replace state machine stops on instead of retrying.
    """


def error_code(exc: ClientError | BotoCoreError) -> str:
    """DynamoDB's error code for a refused call; the exception's class name for a transport failure."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def is_condition_failure(exc: ClientError | BotoCoreError) -> bool:
    """The write's condition did not hold: an expected answer, not a failure of the table."""
    return isinstance(exc, ClientError) and error_code(exc) == "ConditionalCheckFailedException"
