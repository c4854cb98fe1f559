"""Graph API errors, classified by what the caller should do about them.

Meta says to branch on codes, never on message text (meta-api.md §4.1-4.2). Four classes decide a
caller's path: retry soon (``GraphRetryableError``), wait as long as Meta says
(``GraphThrottledError``), stop and alert a human because the token or permissions are broken
(``GraphAuthError``; the work is kept, never dropped), or give up on this request
(``GraphPermanentError``). Messages never include tokens; Meta's own message is kept short.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadloop.graph.usage import GraphUsage

#: Codes Meta uses for rate limits (app, user, Pages, custom, BUC 80000-80014).
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
#: Codes that mean "try again shortly".
TRANSIENT_CODES = frozenset({1, 2})
#: Token, permission and access problems that need a person (190 subcodes 458-492 included).
AUTH_CODES = frozenset({10, 102, 190, 270, 294, *range(200, 300)})
#: Policy block: wait long before trying again.
POLICY_BLOCK_CODE = 368
POLICY_BLOCK_WAIT_SECONDS = 3600.0
DEFAULT_THROTTLE_WAIT_SECONDS = 60.0
MAX_MESSAGE_CHARS = 300


class GraphError(Exception):
    """An error answer from the Graph API (or the way to it)."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        error_type: str | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        is_transient: bool = False,
    ) -> None:
        self.message = message[:MAX_MESSAGE_CHARS]
        self.code = code
        self.subcode = subcode
        self.error_type = error_type
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.is_transient = is_transient
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line for logs, DLQ reasons and operators: codes first, Meta's message after."""
        parts = [f"graph error code={self.code}"]
        if self.subcode is not None:
            parts.append(f"subcode={self.subcode}")
        if self.http_status is not None:
            parts.append(f"http={self.http_status}")
        if self.fbtrace_id:
            parts.append(f"fbtrace_id={self.fbtrace_id}")
        return " ".join(parts) + f": {self.message}"

    def log_fields(self) -> dict[str, Any]:
        return {
            "graph_error_class": type(self).__name__,
            "graph_error_code": self.code,
            "graph_error_subcode": self.subcode,
            "http_status": self.http_status,
            "fbtrace_id": self.fbtrace_id,
        }


class GraphRetryableError(GraphError):
    """Temporary failure: retry with backoff."""

    retryable = True


class GraphTransportError(GraphRetryableError):
    """No usable answer (timeout, connection error, unreadable body, unfinished batch item)."""


class GraphThrottledError(GraphRetryableError):
    """Rate limited: wait ``retry_after`` seconds (from Meta's headers when it says)."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class GraphAuthError(GraphError):
    """Token expired/invalid or a permission (e.g. Leads Access) is missing: a human must act."""


class GraphPermanentError(GraphError):
    """The request itself is wrong or the object is gone: retrying will not help."""


def error_from_response(
    http_status: int, body: Any, headers: Mapping[str, str], *, usage: GraphUsage | None = None
) -> GraphError:
    """Build the right error class from an error answer's status, JSON body and headers."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        message = f"unexpected HTTP {http_status} without a Graph error body"
        if http_status >= 500 or http_status == 429:
            return GraphRetryableError(message, http_status=http_status)
        return GraphPermanentError(message, http_status=http_status)

    code = _int_or_none(error.get("code"))
    kwargs: dict[str, Any] = {
        "code": code,
        "subcode": _int_or_none(error.get("error_subcode")),
        "error_type": _str_or_none(error.get("type")),
        "http_status": http_status,
        "fbtrace_id": _str_or_none(error.get("fbtrace_id")),
        "is_transient": error.get("is_transient") is True,
    }
    message = str(error.get("message") or "no message")
    usage = usage or GraphUsage.from_headers(headers)

    if code in THROTTLE_CODES:
        wait = usage.regain_seconds() or DEFAULT_THROTTLE_WAIT_SECONDS
        return GraphThrottledError(message, retry_after=wait, **kwargs)
    if code == POLICY_BLOCK_CODE:
        return GraphThrottledError(message, retry_after=POLICY_BLOCK_WAIT_SECONDS, **kwargs)
    if code in AUTH_CODES:
        return GraphAuthError(message, **kwargs)
    if code in TRANSIENT_CODES or kwargs["is_transient"] or http_status >= 500:
        return GraphRetryableError(message, **kwargs)
    return GraphPermanentError(message, **kwargs)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
