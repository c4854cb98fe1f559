"""Builds the uploader's dependencies from settings, once per warm container.

The Graph client is built lazily per batch (a batch that only defers or parks reads no secret),
and through the credentials cache, so a replaced token is used within minutes.
"""

from __future__ import annotations

import functools

from leadloop import aws
from leadloop.graph import GraphClient
from leadloop.graph.factory import graph_client_for
from leadloop.queues import MessageQueue
from leadloop.settings import AudienceUploaderSettings, load_settings
from leadloop.state.locks import AudienceLocks
from leadloop.uploader.call_outcomes import Policy
from leadloop.uploader.service import UploaderDeps
from leadloop.uploader.visibility import VisibilityChanger


def settings() -> AudienceUploaderSettings:
    return load_settings(AudienceUploaderSettings)


def graph() -> GraphClient:
    """The ad account's (system-user) token: audiences belong to ad accounts, not Pages."""
    return graph_client_for(settings(), None)


@functools.cache
def uploader_deps() -> UploaderDeps:
    s = settings()
    sqs = aws.client("sqs")
    return UploaderDeps(
        graph=graph,
        locks=AudienceLocks(aws.client("dynamodb"), s.state_table_name),
        visibility=VisibilityChanger(sqs, s.audience_queue_url),
        requeue=MessageQueue(sqs, s.audience_queue_url),
        dead_letters=MessageQueue(sqs, s.audience_dlq_url),
        policy=Policy(
            retry_base_delay=s.upload_retry_base_delay_seconds,
            max_throttle_wait=s.upload_max_throttle_wait_seconds,
            auth_delay=s.upload_auth_retry_delay_seconds,
        ),
        max_receives=s.upload_max_receives,
        call_timeout=s.graph_read_timeout_seconds,
    )
