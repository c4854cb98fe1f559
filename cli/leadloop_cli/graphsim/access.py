"""Who may read a Page's leads: the token's Page grant and scope, Leads Access, the app's mode.

Meta refuses lead reads for reasons outside the token (meta-api.md §1.1): a Leads Access Manager
setup that leaves the app out, or an app in development mode (it then sees only leads of people
with a role on the app). These are the checks that make such silent lead loss visible in tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadloop_cli.graphsim.auth import require_page, require_scope
from leadloop_cli.graphsim.errors import GraphError, permission_denied

if TYPE_CHECKING:
    from collections.abc import Iterable

    from leadloop_cli.graphsim.models import Lead, TokenGrant
    from leadloop_cli.graphsim.state import SimState

DEVELOPMENT = "development"
LEADS_ACCESS_MESSAGE = (
    "(#200) The app does not have permission to access leads of this Page: "
    "the Page's Leads Access Manager has not granted it lead access"
)
DEVELOPMENT_MESSAGE = (
    "(#10) Application does not have permission for this action: an app in development mode can "
    "only retrieve leads submitted by people with a role on the app"
)


def require_lead_read(state: SimState, grant: TokenGrant, page_id: str) -> None:
    """Page grant (200), ``leads_retrieval`` (200), then the Page's Leads Access for the app (200)."""
    require_page(grant, page_id)
    require_scope(grant, "leads_retrieval", "to access leads")
    page = state.page(page_id)
    if page is not None and not page.leads_access:
        raise permission_denied(LEADS_ACCESS_MESSAGE)


def visible(state: SimState, lead: Lead) -> bool:
    """A live app sees every lead; a development-mode app only leads by people with a role on it."""
    return lead.by_app_role or state.app_mode != DEVELOPMENT


def require_visible(state: SimState, lead: Lead) -> None:
    """Single reads of a lead a development-mode app may not see → code 10, HTTP 403."""
    if not visible(state, lead):
        raise GraphError(10, DEVELOPMENT_MESSAGE)


def visible_leads(state: SimState, leads: Iterable[Lead]) -> list[Lead]:
    """Bulk reads leave invisible leads out silently, as Meta does."""
    return [lead for lead in leads if visible(state, lead)]
