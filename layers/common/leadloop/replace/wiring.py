"""Builds the replace tasks' dependencies from settings, once per warm container."""

from __future__ import annotations

import functools

from leadloop import aws
from leadloop.graph import GraphClient
from leadloop.graph.factory import graph_client_for
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.staging_bucket import StagingStore
from leadloop.routing import Routing, load_routing
from leadloop.settings import AudienceReplaceSettings, load_settings
from leadloop.state.replace_records import ReplaceRecords


def settings() -> AudienceReplaceSettings:
    return load_settings(AudienceReplaceSettings)


def graph() -> GraphClient:
    return graph_client_for(settings(), None)


def routing() -> Routing:
    return load_routing(settings().routing_parameter_name)


@functools.cache
def replace_deps() -> ReplaceDeps:
    s = settings()
    s3 = aws.client("s3")
    return ReplaceDeps(
        graph=graph,
        records=ReplaceRecords(aws.client("dynamodb"), s.state_table_name),
        staging=lambda run_id: StagingStore(s3, s.staging_bucket_name, run_id),
        dynamodb=aws.client("dynamodb"),
        s3=s3,
        routing=routing,
        settings=s,
    )
