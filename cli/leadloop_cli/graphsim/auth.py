"""Access-token and ``appsecret_proof`` checks, answering with Meta's errors.

- no token / unknown token → code 190, HTTP 400 (Meta sends 104 for a *missing*
  token; the simulator uses 190 for both so clients see one "auth broken" code);
- a token marked invalid → 190/467, expired on the virtual clock → 190/463 (checked before
  the proof: the token is looked at first);
- proof required but missing → code 100 "API calls from the server require an
  appsecret_proof argument"; wrong proof → code 100 "Invalid appsecret_proof provided
  in the API argument"; both ``GraphMethodException``, HTTP 400;
- a valid token asking for another Page's or ad account's object → code 200, HTTP 403;
- a token without the permission an endpoint needs → code 200 "(#200) Requires <scope>
  permission ...", HTTP 403.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from leadloop_cli.graphsim.errors import GraphError, permission_denied
from leadloop_cli.graphsim.models import TokenGrant, TokenKind
from leadloop_cli.graphsim.tokens import dead_token_error

if TYPE_CHECKING:
    from leadloop_cli.graphsim.request import GraphRequest
    from leadloop_cli.graphsim.state import SimState


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """Hex HMAC-SHA256 of the token keyed with the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def authenticate(request: GraphRequest, state: SimState) -> TokenGrant:
    """The grant of the request's token, or the Graph error Meta would send."""
    token = request.token
    if not token:
        raise GraphError(190, "An access token is required to request this resource.")
    grant = state.grant(token)
    if grant is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    dead = dead_token_error(state.token_status(token), state.clock.now())
    if dead is not None:
        raise dead
    if state.config.require_appsecret_proof:
        proof = request.proof
        if not proof:
            raise GraphError(
                100,
                "API calls from the server require an appsecret_proof argument",
                error_type="GraphMethodException",
            )
        expected = appsecret_proof(state.config.app_secret, token)
        if not hmac.compare_digest(expected, proof.strip().lower()):
            raise GraphError(
                100, "Invalid appsecret_proof provided in the API argument", error_type="GraphMethodException"
            )
    return grant


def require_page(grant: TokenGrant, page_id: str) -> None:
    """Only tokens granted the Page may read its leads or manage its app installs."""
    if grant.kind is TokenKind.APP or page_id not in grant.page_ids:
        raise permission_denied(
            "(#200) The access token does not have permission to access leads or settings of this Page"
        )


def require_app(grant: TokenGrant) -> None:
    """App-level endpoints (``/{app_id}/subscriptions``) take only the app token."""
    if grant.kind is not TokenKind.APP:
        raise GraphError(15, "(#15) This method must be called with an app access_token.")


def require_account(grant: TokenGrant, account_id: str) -> None:
    """Audience reads need a token granted the owning ad account."""
    if account_id not in grant.account_ids:
        raise permission_denied("(#200) The access token does not have permission to access this ad account")


def require_scope(grant: TokenGrant, scope: str, what: str) -> None:
    """The token must hold ``scope`` (``what`` ends Meta's sentence: "to access this endpoint")."""
    if scope not in grant.scopes:
        raise permission_denied(f"(#200) Requires {scope} permission {what}")
