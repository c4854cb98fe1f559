"""Builds the LeadHasher dependencies from settings, once per warm container."""

from __future__ import annotations

import functools

from leadloop import aws
from leadloop.hasher.service import HasherDeps
from leadloop.queues import MessageQueue
from leadloop.routing import Routing, load_routing
from leadloop.settings import LeadHasherSettings, load_settings
from leadloop.state.markers import FailureMarkers


def settings() -> LeadHasherSettings:
    return load_settings(LeadHasherSettings)


def routing() -> Routing:
    return load_routing(settings().routing_parameter_name)


@functools.cache
def hasher_deps() -> HasherDeps:
    s = settings()
    return HasherDeps(
        routing=routing,
        audience_queue=MessageQueue(aws.client("sqs"), s.audience_queue_url),
        markers=FailureMarkers(aws.client("dynamodb"), s.state_table_name),
    )
