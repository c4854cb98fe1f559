"""Builds the capture dependencies from settings, once per warm container.

Credentials are re-read through Powertools' cache on every call (``max_age``), so a token the
operator replaces is used within minutes without a redeploy.
"""

from __future__ import annotations

import functools

from leadloop import aws
from leadloop.capture.service import CaptureDeps
from leadloop.credentials import MetaCredentials, load_credentials
from leadloop.graph import GraphClient
from leadloop.graph.factory import graph_client_for
from leadloop.leads.store import LeadStore
from leadloop.queues import MessageQueue
from leadloop.settings import LeadFetchSettings, load_settings


def settings() -> LeadFetchSettings:
    return load_settings(LeadFetchSettings)


def credentials() -> MetaCredentials:
    s = settings()
    return load_credentials(s.meta_secret_arn, max_age=s.secret_max_age_seconds)


def graph_for_page(page_id: str | None) -> GraphClient:
    return graph_client_for(settings(), page_id)


@functools.cache
def capture_deps() -> CaptureDeps:
    s = settings()
    return CaptureDeps(
        store=LeadStore(aws.client("dynamodb"), s.leads_table_name, retention_days=s.lead_retention_days),
        graph_for_page=graph_for_page,
        retry_queue=MessageQueue(aws.client("sqs"), s.fetch_retry_queue_url),
        dead_letters=MessageQueue(aws.client("sqs"), s.fetch_retry_dlq_url),
        base_retry_delay=s.retry_base_delay_seconds,
        max_attempts=s.max_fetch_attempts,
        max_throttle_wait_seconds=s.max_throttle_wait_days * 86400,
    )
