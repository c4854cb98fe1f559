"""A token's life as Meta tracks it: the 190 errors of dead tokens and the ``debug_token`` view.

Token values are secrets: nothing here puts one into a message or a returned document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.config import APP_NAME
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import TokenKind
from leadloop_cli.graphsim.state import NINETY_DAYS, derived_id

if TYPE_CHECKING:
    from leadloop_cli.graphsim.models import TokenGrant, TokenStatus
    from leadloop_cli.graphsim.state import SimState

EXPIRED_SUBCODE = 463
INVALID_SUBCODE = 467
UNPARSABLE_MESSAGE = "Invalid OAuth access token - Cannot parse access token"
INVALID_MESSAGE = "Error validating access token: The session is invalid because the user logged out."
DEBUG_TYPES = {
    TokenKind.APP: "APP",
    TokenKind.PAGE: "PAGE",
    TokenKind.USER: "USER",
    TokenKind.SYSTEM_USER: "SYSTEM_USER",
}
# Scopes Meta grants per object (granular_scopes lists their target ids).
PAGE_SCOPES = frozenset(
    {
        "leads_retrieval",
        "pages_manage_metadata",
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_ads",
        "pages_manage_posts",
        "pages_messaging",
    }
)
ACCOUNT_SCOPES = frozenset({"ads_management", "ads_read"})
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _meta_date(unix: int) -> str:
    """Meta's expiry wording, ``Saturday, 24-Mar-18 05:00:00 UTC`` (locale-independent)."""
    moment = datetime.fromtimestamp(unix, UTC)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year % 100:02d} "
        f"{moment:%H:%M:%S} UTC"
    )


def dead_token_error(status: TokenStatus, now: int) -> GraphError | None:
    """190/467 for a token marked invalid, 190/463 once ``expires_at`` passed, else ``None``."""
    if not status.is_valid:
        return GraphError(190, INVALID_MESSAGE, subcode=INVALID_SUBCODE)
    if status.expired(now):
        message = (
            f"Error validating access token: Session has expired on {_meta_date(status.expires_at)}. "
            f"The current time is {_meta_date(now)}."
        )
        return GraphError(190, message, subcode=EXPIRED_SUBCODE)
    return None


def unknown_token_view() -> dict[str, Any]:
    """``debug_token``'s answer for a string Meta cannot parse (HTTP 200, not an error)."""
    return {"error": {"code": 190, "message": UNPARSABLE_MESSAGE}, "is_valid": False, "scopes": []}


def debug_view(state: SimState, token: str) -> dict[str, Any] | None:
    """The ``data`` of ``debug_token`` for a token the simulator knows, else ``None``."""
    with state.lock:
        grant = state.grant(token)
        if grant is None:
            return None
        status = state.token_status(token)
        now = state.clock.now()
        return _render(state, token, grant, status, now)


def _render(state: SimState, token: str, grant: TokenGrant, status: TokenStatus, now: int) -> dict[str, Any]:
    scopes = list(status.effective_scopes(grant.kind))
    error = dead_token_error(status, now)
    view: dict[str, Any] = {
        "app_id": state.config.app_id,
        "type": DEBUG_TYPES[grant.kind],
        "application": APP_NAME,
        "data_access_expires_at": _data_access_expires_at(grant, status, now),
        "expires_at": status.expires_at,
        "is_valid": error is None,
        "scopes": scopes,
        "granular_scopes": _granular(grant, scopes),
    }
    if error is not None:
        view["error"] = {"code": error.code, "message": error.message, "subcode": error.subcode}
    if grant.kind is TokenKind.PAGE:
        view["profile_id"] = next(iter(grant.page_ids))
    if grant.kind is not TokenKind.APP:
        # A stable id per token (a hash, never the token itself): the person behind it.
        view["user_id"] = derived_id("token-user", token)
    return view


def _data_access_expires_at(grant: TokenGrant, status: TokenStatus, now: int) -> int:
    """Set by a test, else 90 days ahead for Page/user tokens (renewed by use) and 0 for the rest."""
    if status.data_access_expires_at is not None:
        return status.data_access_expires_at
    if grant.kind in (TokenKind.PAGE, TokenKind.USER):
        return now + NINETY_DAYS
    return 0


def _granular(grant: TokenGrant, scopes: list[str]) -> list[dict[str, Any]]:
    """Page-bound scopes list the token's Pages, ad scopes its ad accounts (digits), others no targets."""
    pages = sorted(grant.page_ids)
    accounts = sorted(account.removeprefix("act_") for account in grant.account_ids)
    granular: list[dict[str, Any]] = []
    for scope in scopes:
        entry: dict[str, Any] = {"scope": scope}
        targets = pages if scope in PAGE_SCOPES else accounts if scope in ACCOUNT_SCOPES else []
        if targets:
            entry["target_ids"] = targets
        granular.append(entry)
    return granular
