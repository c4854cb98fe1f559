"""Builds the health checks' dependencies from settings (the Lambda) or from a stack's config (the CLI)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from leadloop import aws
from leadloop.credentials import MetaCredentials, load_credentials
from leadloop.graph import GraphClient
from leadloop.graph.factory import shared_transport
from leadloop.health.checks import Context, Graph
from leadloop.health.service import HealthDeps
from leadloop.leads.store import LeadStore
from leadloop.routing import Routing, load_routing
from leadloop.settings import HealthCheckSettings, load_settings
from leadloop.state.health_records import HealthRecords


class SnsAlerts:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic = topic_arn

    def publish(self, subject: str, message: str) -> None:
        self._sns.publish(TopicArn=self._topic, Subject=subject, Message=message)


def build_context(
    routing: Routing,
    creds: MetaCredentials,
    client_for: Callable[[str], Graph],
    leads: Any,
    *,
    drift_days: int,
    now: int,
) -> Context:
    """The checks' context for a routing document and credentials; ``client_for(token)`` makes a client."""
    pages = sorted({r.page_id for r in routing.forms})
    tokens = {page: creds.token_for_page(page) for page in pages}
    app_graph = None
    if creds.app_id:
        app_graph = client_for(f"{creds.app_id}|{creds.app_secret.get_secret_value()}")

    def graph_for_page(page_id: str | None) -> Graph:
        return client_for(creds.token_for_page(page_id))

    return Context(
        routes=list(routing.forms),
        graph_for_page=graph_for_page,
        app_graph=app_graph,
        app_id=creds.app_id,
        page_tokens=tokens,
        leads=leads,
        now=now,
        drift_days=drift_days,
        audience_token=creds.token_for_page(None),
    )


def settings() -> HealthCheckSettings:
    return load_settings(HealthCheckSettings)


@functools.cache
def health_deps() -> HealthDeps:
    s = settings()

    def context() -> Context:
        creds = load_credentials(s.meta_secret_arn, max_age=s.secret_max_age_seconds)

        def client_for(token: str) -> GraphClient:
            return GraphClient(
                base_url=s.graph_base_url,
                version=s.graph_api_version,
                access_token=token,
                app_secret=creds.app_secret.get_secret_value(),
                transport=shared_transport(),
                read_timeout=s.graph_read_timeout_seconds,
            )

        leads = LeadStore(aws.client("dynamodb"), s.leads_table_name, retention_days=s.lead_retention_days)
        return build_context(
            load_routing(s.routing_parameter_name),
            creds,
            client_for,
            leads,
            drift_days=s.health_drift_days,
            now=int(time.time()),
        )

    return HealthDeps(
        context=context,
        store=HealthRecords(aws.client("dynamodb"), s.state_table_name),
        alerts=SnsAlerts(aws.client("sns"), s.alerts_topic_arn) if s.alerts_topic_arn else None,
    )
