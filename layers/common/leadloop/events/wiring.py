"""Builds the LeadEvents dependencies from settings, once per warm container."""

from __future__ import annotations

import functools
import time

from leadloop import aws
from leadloop.events.consumer import EventsDeps
from leadloop.events.publisher import EventPublisher
from leadloop.queues import MessageQueue
from leadloop.routing import Routing, load_routing
from leadloop.settings import LeadEventsSettings, load_settings


def settings() -> LeadEventsSettings:
    return load_settings(LeadEventsSettings)


def routing() -> Routing:
    return load_routing(settings().routing_parameter_name)


@functools.cache
def events_deps() -> EventsDeps:
    s = settings()
    return EventsDeps(
        routing=routing,
        publisher=EventPublisher(aws.client("events"), s.lead_events_bus_name),
        parking=MessageQueue(aws.client("sqs"), s.lead_events_dlq_url),
        clock=time.time,
    )
