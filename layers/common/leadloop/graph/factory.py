"""GraphClient construction from settings and the Meta secret, shared by every function.

One connection pool per container keeps connections warm across invocations; the token is
re-read through the credentials cache each time, so a replaced token is used within minutes.
"""

from __future__ import annotations

import functools

from leadloop.credentials import load_credentials
from leadloop.graph.client import GraphClient
from leadloop.graph.transport import Urllib3Transport
from leadloop.settings import CommonSettings


@functools.cache
def shared_transport() -> Urllib3Transport:
    """The container's one connection pool, for every client whatever its token."""
    return Urllib3Transport()


def graph_client_for(settings: CommonSettings, page_id: str | None) -> GraphClient:
    """A client holding the Page's token (or the shared system-user token)."""
    creds = load_credentials(settings.meta_secret_arn, max_age=settings.secret_max_age_seconds)
    return GraphClient(
        base_url=settings.graph_base_url,
        version=settings.graph_api_version,
        access_token=creds.token_for_page(page_id),
        app_secret=creds.app_secret.get_secret_value(),
        transport=shared_transport(),
        read_timeout=settings.graph_read_timeout_seconds,
    )
