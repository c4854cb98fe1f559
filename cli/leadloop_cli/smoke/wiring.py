"""The real dependencies of a smoke run against a stack: its secret, routing, tables, queues and Meta."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from leadloop.credentials import MetaCredentials
from leadloop.graph import GraphClient
from leadloop_cli.smoke.audiences import GraphRemover
from leadloop_cli.smoke.deps import Probe, SmokeDeps
from leadloop_cli.smoke.meta import MetaSide, page_token_client
from leadloop_cli.smoke.probes import QueueQuiet, SimulatorMembers
from leadloop_cli.stackconfig import StackConfig

GRAPH_HOST = "https://graph.facebook.com"


def build_deps(
    config: StackConfig,
    creds: MetaCredentials,
    page_id: str,
    *,
    sim_url: str | None = None,
    say: Callable[[str], None] | None = None,
) -> SmokeDeps:
    """Wire a run for one Page; ``sim_url`` (the local stack's simulator) makes audience checks exact."""
    app_secret = creds.app_secret.get_secret_value()

    def client(token: str) -> GraphClient:
        return GraphClient(
            base_url=config.env.get("GRAPH_BASE_URL", GRAPH_HOST),
            version=config.env["GRAPH_API_VERSION"],
            access_token=token,
            app_secret=app_secret,
        )

    shared = functools.cache(lambda: client(creds.access_token.get_secret_value()))
    own = creds.page_access_tokens.get(page_id)
    page = functools.cache(
        lambda: page_token_client(shared(), page_id, client, own.get_secret_value() if own else None)
    )
    sqs = config.client("sqs")
    probe: Probe = SimulatorMembers(sim_url) if sim_url else QueueQuiet(sqs, config.target.physical_id("AudienceQueue"))
    deps = SmokeDeps(
        routing=config.routing,
        meta=MetaSide(page=page, app_id=creds.app_id),
        store=config.lead_store(),
        remover=GraphRemover(graph=shared),
        probe=probe,
        parked=lambda: queue_depth(sqs, config.target.physical_id("FetchRetryDLQ")),
    )
    if say is not None:
        deps.say = say
    return deps


def queue_depth(sqs: Any, queue_url: str) -> int | None:
    """Messages waiting or in flight on a queue; None when it cannot be read."""
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except Exception:
        return None
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
