"""The smoke's Graph calls: create, list and delete a form's test lead, and read the Page's app install.

Meta wants a Page token for ``/{form_id}/test_leads`` (meta-api.md §1.10). The stack's secret may
hold one for the Page; otherwise the shared (user or system-user) token asks Meta for the Page's
token with ``GET /{page_id}?fields=access_token``, as Meta documents. Tokens stay inside the
clients; nothing here prints or returns one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadloop.graph import GraphClient, GraphError
from leadloop.graph.errors import GraphPermanentError

#: Meta's code for a request the object refuses; the one-per-form refusal comes with it.
INVALID_PARAMETER = 100


class ExistingTestLead(Exception):
    """The form already has a test lead (Meta allows one per form)."""

    def __init__(self, lead_ids: Sequence[str]) -> None:
        self.lead_ids = list(lead_ids)
        super().__init__(f"the form already has a test lead ({', '.join(self.lead_ids) or 'id not listed'})")


@dataclass
class MetaSide:
    """Graph calls with the Page's token (``page``) and the stack's shared token (``shared``)."""

    page: Callable[[], GraphClient]
    app_id: str | None = None

    def create(self, form_id: str, answers: Sequence[Mapping[str, Any]]) -> str:
        """``POST /{form_id}/test_leads`` → the new lead's id; :class:`ExistingTestLead` when one is there."""
        graph = self.page()
        try:
            answer = graph.post(f"{form_id}/test_leads", {"field_data": json.dumps(list(answers))})
        except GraphError as exc:
            if exc.code == INVALID_PARAMETER and exc.subcode is None:
                existing = self._listed(graph, form_id)
                if existing:
                    raise ExistingTestLead(existing) from None
            raise
        lead_id = answer.data.get("id") if isinstance(answer.data, dict) else None
        if not isinstance(lead_id, str) or not (lead_id.isascii() and lead_id.isdigit()):
            raise GraphPermanentError("the test lead answer carries no lead id")
        return lead_id

    def existing(self, form_id: str) -> list[str]:
        """Ids of the form's test leads (``GET /{form_id}/test_leads``)."""
        return self._listed(self.page(), form_id)

    def delete(self, lead_id: str) -> None:
        """``DELETE /{lead_id}``: only the person who created a test lead may."""
        self.page().delete(lead_id)

    def page_installed(self, page_id: str) -> bool | None:
        """Whether ``GET /{page}/subscribed_apps`` shows the app with ``leadgen``; None when unreadable."""
        try:
            answer = self.page().get(f"{page_id}/subscribed_apps")
        except GraphError:
            return None
        apps = answer.data.get("data") if isinstance(answer.data, dict) else None
        if not isinstance(apps, list):
            return None
        ours = [a for a in apps if isinstance(a, dict) and (self.app_id is None or str(a.get("id")) == self.app_id)]
        return any("leadgen" in (a.get("subscribed_fields") or []) for a in ours)

    @staticmethod
    def _listed(graph: GraphClient, form_id: str) -> list[str]:
        try:
            page = graph.get_page(f"{form_id}/test_leads", {"fields": "id"})
        except GraphError:
            return []
        return [str(item["id"]) for item in page.data if isinstance(item, dict) and "id" in item]


def page_token_client(
    shared: GraphClient, page_id: str, make: Callable[[str], GraphClient], own_token: str | None
) -> GraphClient:
    """A client with the Page's token: its own from the secret, else the one Meta gives ``shared``.

    When Meta does not give one (the shared token has no role on the Page), ``shared`` is used and
    Meta's refusal of the test lead (code 210) names the problem.
    """
    if own_token:
        return make(own_token)
    try:
        answer = shared.get(page_id, {"fields": "access_token"})
    except GraphError:
        return shared
    token = answer.data.get("access_token") if isinstance(answer.data, dict) else None
    return make(token) if isinstance(token, str) and token else shared
