"""Meta-shaped Graph errors: one exception type, rendered the way graph.facebook.com does.

HTTP status choices (Meta documents codes, not statuses; these follow what its
servers are commonly seen to send): 500 for codes 1 and 2 (transient server
trouble), 403 for the permission family (10, 200-299), 400 for everything else
(OAuth 190, parameter errors 100, throttles 4/17/32/613/800xx).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"

DEFAULT_MESSAGES: dict[int, str] = {
    1: "An unknown error has occurred.",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "(#200) Permissions error",
    341: "(#341) Application limit reached",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    2650: "(#2650) Failed to update the custom audience",
    80003: "(#80003) There have been too many calls to this ad-account. Wait a bit and try again. For more "
    "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    80004: "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.",
    80005: "(#80005) There have been too many leadgen api calls to this Page. Wait a bit and try again.",
}

TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, *range(80000, 80015)})


def fbtrace_id() -> str:
    """A short random support id like Meta's (``AbCdEf12_-x``)."""
    return "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(11))


def status_for_code(code: int) -> int:
    """The HTTP status the simulator pairs with a Graph error code."""
    if code in (1, 2):
        return 500
    if code == 10 or 200 <= code <= 299:
        return 403
    return 400


class GraphError(Exception):
    """A Graph API error; ``body()`` gives Meta's ``{"error": {...}}`` document."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        is_transient: bool | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, f"(#{code}) Error")
        self.error_type = error_type
        self.subcode = subcode
        self.is_transient = is_transient if is_transient is not None else code in TRANSIENT_CODES
        self.status = status if status is not None else status_for_code(code)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        # Extra call-log fields (``rows``, ``op``) for errors raised after the payload was read.
        self.log: dict[str, Any] = {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The JSON error document, with a fresh ``fbtrace_id``."""
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.is_transient
        error.update(self.extra)
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def invalid_param(message: str) -> GraphError:
    """Code 100, the generic "your request is wrong" error."""
    return GraphError(100, message if message.startswith("(#100)") else f"(#100) {message}")


def unsupported_request(method: str, object_id: str) -> GraphError:
    """Code 100 subcode 33: the object is unknown, hidden from this token, or lacks the operation."""
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        error_type="GraphMethodException",
        subcode=33,
    )


def nonexisting_field(field: str, node_type: str) -> GraphError:
    """Code 100 for a ``fields``/edge name the node does not have."""
    return GraphError(100, f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})")


def permission_denied(message: str = "(#200) Permissions error") -> GraphError:
    """Code 200, HTTP 403: the token is valid but may not see this object."""
    return GraphError(200, message)


class ControlError(Exception):
    """Bad input to a ``/_sim/`` route; rendered as ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)
