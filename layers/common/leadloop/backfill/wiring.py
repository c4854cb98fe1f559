"""Builds the backfill dependencies from settings, once per warm container."""

from __future__ import annotations

import functools

from leadloop import aws
from leadloop.backfill.service import BackfillDeps
from leadloop.graph import GraphClient
from leadloop.graph.factory import graph_client_for
from leadloop.leads.store import LeadStore
from leadloop.routing import Routing, load_routing
from leadloop.settings import BackfillSettings, load_settings
from leadloop.state.store import StateStore


def settings() -> BackfillSettings:
    return load_settings(BackfillSettings)


def routing() -> Routing:
    return load_routing(settings().routing_parameter_name)


def graph_for_page(page_id: str | None) -> GraphClient:
    return graph_client_for(settings(), page_id)


@functools.cache
def backfill_deps() -> BackfillDeps:
    s = settings()
    return BackfillDeps(
        store=LeadStore(aws.client("dynamodb"), s.leads_table_name, retention_days=s.lead_retention_days),
        state=StateStore(aws.client("dynamodb"), s.state_table_name),
        graph_for_page=graph_for_page,
        overlap_seconds=s.backfill_overlap_seconds,
        initial_lookback_seconds=s.backfill_initial_lookback_days * 86400,
        slice_seconds=s.backfill_slice_seconds,
        page_size=s.backfill_page_size,
        budget_fraction=s.leadgen_budget_fraction,
        usage_ceiling_pct=s.leadgen_usage_ceiling_pct,
    )
